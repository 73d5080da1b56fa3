"""A small client for AnkiConnect, the add-on that lets programs talk to a running Anki.

AnkiConnect (add-on code 2055492159) serves JSON over HTTP, by default on
``http://127.0.0.1:8765``; this client speaks its API version 6
(https://git.foosoft.net/alex/anki-connect). Every failure becomes one
:class:`~deckpress.errors.SyncError` with a line that says what to do.
"""

from __future__ import annotations

import base64
import http.client
import json
import sqlite3
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import SyncError

DEFAULT_URL = "http://127.0.0.1:8765"
API_VERSION = 6
ADDON_CODE = "2055492159"


class AnkiConnect:
    """``call(action, **params)`` -> the action's result."""

    def __init__(self, url: str = DEFAULT_URL, api_key: str | None = None, timeout: float = 120):
        self.url = url
        self.api_key = api_key
        self.timeout = timeout
        self._fields: dict[str, tuple[str, ...]] = {}

    def call(self, action: str, **params: Any) -> Any:
        body: dict[str, Any] = {"action": action, "version": API_VERSION, "params": params}
        if self.api_key:
            body["key"] = self.api_key
        try:
            request = urllib.request.Request(
                self.url, json.dumps(body).encode("utf-8"), {"Content-Type": "application/json"}
            )
        except ValueError:
            raise SyncError(
                f"{self.url!r} is not an address: write it like http://127.0.0.1:8765"
            ) from None
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                reply = json.loads(response.read().decode("utf-8"))
        except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
            reason = getattr(exc, "reason", exc)
            raise SyncError(
                f"cannot reach Anki at {self.url} ({reason}): start Anki with the AnkiConnect "
                f"add-on (code {ADDON_CODE}), or pass --url"
            ) from None
        except (ValueError, OSError, http.client.HTTPException) as exc:
            reason = " ".join(str(exc).split())  # one line, whatever the server sent
            raise SyncError(f"{self.url} did not answer like AnkiConnect ({reason})") from None
        if not isinstance(reply, dict) or "error" not in reply:
            raise SyncError(f"{self.url} did not answer like AnkiConnect (API version 6)")
        error = reply.get("error")
        if error:
            if "api key" in str(error).lower():
                raise SyncError(
                    "AnkiConnect refused the API key: pass the key set in the add-on's config "
                    "with --api-key or DECKPRESS_ANKICONNECT_KEY"
                )
            raise SyncError(f"AnkiConnect: {action} failed: {error}")
        return reply.get("result")

    def field_names(self, model: str) -> tuple[str, ...]:
        """The fields of the collection's note type ``model`` (asked once per client)."""
        if model not in self._fields:
            self._fields[model] = tuple(self.call("modelFieldNames", modelName=model) or ())
        return self._fields[model]

    def check(self) -> None:
        """Fail with one clear line unless AnkiConnect answers with API version 6 or newer."""
        version = self.call("version")
        if not isinstance(version, int) or version < API_VERSION:
            raise SyncError(
                f"AnkiConnect at {self.url} speaks API version {version}; deckpress needs "
                f"{API_VERSION}: update the add-on"
            )


@dataclass(frozen=True)
class AnkiNote:
    """A note as the collection has it."""

    id: int
    guid: str
    mod: int
    """Modification time, Unix seconds."""
    model: str
    """Note type name."""
    fields: tuple[str, ...]
    tags: tuple[str, ...]
    cards: tuple[tuple[int, str], ...]
    """``(card id, deck name)`` of each card."""


def snapshot(client: AnkiConnect, deck: str) -> dict[str, AnkiNote] | None:
    """Every note with a card in ``deck`` (or its subdecks), by GUID; ``None`` if no such deck.

    AnkiConnect does not show GUIDs, so the deck is exported to a temporary
    package (``exportPackage``, which needs Anki on this machine) and read back.
    """
    if deck not in client.call("deckNames"):
        return None
    with tempfile.TemporaryDirectory(prefix="deckpress-sync-") as tmp:
        path = Path(tmp) / "export.apkg"
        if not client.call("exportPackage", deck=deck, path=str(path), includeSched=False):
            raise SyncError(f"Anki could not export deck {deck!r}")
        if not path.is_file():
            raise SyncError(
                f"Anki exported {deck!r} to {path}, but the file is not there: deckpress sync "
                "needs Anki running on this machine"
            )
        return read_package(path)


def read_package(path: Path) -> dict[str, AnkiNote]:
    """Notes of an ``.apkg`` (legacy schema 11, as genanki and Anki's exporter write it)."""
    with tempfile.TemporaryDirectory(prefix="deckpress-apkg-") as tmp, zipfile.ZipFile(path) as z:
        names = z.namelist()
        name = "collection.anki21" if "collection.anki21" in names else "collection.anki2"
        db_path = Path(tmp) / "collection.db"
        db_path.write_bytes(z.read(name))
        db = sqlite3.connect(db_path)
        try:
            models, decks = (
                json.loads(x) for x in db.execute("select models, decks from col").fetchone()
            )
            deck_names = {int(i): d["name"] for i, d in decks.items()}
            cards: dict[int, list[tuple[int, str]]] = {}
            for cid, nid, did in db.execute("select id, nid, did from cards order by id"):
                cards.setdefault(nid, []).append((cid, deck_names.get(did, "")))
            notes = {}
            for nid, guid, mid, mod, flds, tags in db.execute(
                "select id, guid, mid, mod, flds, tags from notes"
            ):
                notes[guid] = AnkiNote(
                    id=nid,
                    guid=guid,
                    mod=mod,
                    model=models.get(str(mid), {}).get("name", ""),
                    fields=tuple(flds.split("\x1f")),
                    tags=tuple(tags.split()),
                    cards=tuple(cards.get(nid, ())),
                )
        finally:
            db.close()
    return notes


def package_media(path: Path) -> dict[str, bytes]:
    """The media files of an ``.apkg``: ``{file name: bytes}``."""
    with zipfile.ZipFile(path) as z:
        index = json.loads(z.read("media"))
        return {name: z.read(number) for number, name in index.items()}


def store_media(client: AnkiConnect, name: str, data: bytes) -> None:
    client.call("storeMediaFile", filename=name, data=base64.b64encode(data).decode("ascii"))
