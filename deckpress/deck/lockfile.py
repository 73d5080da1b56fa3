"""The lock file ``source/deckpress.lock``: what it remembers, and its bytes.

JSON with a fixed key order and a line per field and per bullet, so diffs stay
readable. Format 2 adds the course identity, the deck name and retired bullets;
format 1 is read as is (see :func:`deckpress.deck.identity.course_identity`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import ContentError, Diagnostic

STATE_NAME = "deckpress.lock"
FORMAT = 2
READS = (1, 2)
"""Lock formats this deckpress reads (1: no course identity, no retired bullets)."""
ABOUT = (
    "deckpress state: which Anki note each of your notes is, so re-imports update "
    "cards instead of duplicating them. Commit this file; do not edit it."
)


@dataclass(frozen=True)
class NoteRecord:
    """One note as the state file remembers it."""

    guid: str
    """Anki GUID."""
    kind: str
    """``qa`` or ``keypoints``."""
    video: int
    """Video number."""
    topic: str
    """Topic label (``05 Loss functions & backpropagation``)."""
    parts: tuple[str, ...]
    """Markdown source: ``(question, answer)``, or the bullets of a key-points note."""
    ords: tuple[int, ...] = ()
    """Key points: the cloze number of each bullet in ``parts``."""
    last_ord: int = 0
    """Key points: the highest cloze number ever used (numbers are never reused)."""
    fingerprint: str = ""
    """Hash of the fields and tags written to Anki (line numbers left out)."""
    changed: int = 0
    """When the content last changed (Unix seconds): the note's Anki modification time."""
    removed: int = 0
    """Tombstones: when the note disappeared from the notes (0 = still there); the same
    for every note removed by one build."""
    retired: tuple[tuple[int, str], ...] = ()
    """Key points: every bullet deleted from the note, with its cloze number."""

    @property
    def text(self) -> str:
        return "\n".join(self.parts)


@dataclass(frozen=True)
class NoteTypeRecord:
    """A note type's look (templates + CSS) and when it last changed."""

    id: int
    look: str
    changed: int


@dataclass(frozen=True)
class State:
    """The whole state file."""

    notes: tuple[NoteRecord, ...] = ()
    """Notes of the last build, in course order."""
    removed: tuple[NoteRecord, ...] = ()
    """Tombstones, oldest removal first."""
    notetypes: tuple[NoteTypeRecord, ...] = ()
    """Note types by id."""
    course: str = ""
    """The course's identity (``""``: not created yet, or a format-1 lock)."""
    deck: str = ""
    """The Anki deck name of the last build (``""``: unknown, a format-1 lock)."""
    synced: bool = False
    """``deckpress sync`` has brought an Anki profile to this course at least once, so a
    profile without the deck is the wrong profile, not a first sync."""

    @property
    def empty(self) -> bool:
        return not (self.notes or self.removed or self.notetypes)


def load_state(path: Path, shown: str | None = None) -> State:
    """Read the state file; a missing file is an empty state (first build)."""
    shown = shown or str(path)
    if not path.is_file():
        return State()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise _corrupt(shown, 0, "not UTF-8") from None
    except json.JSONDecodeError as exc:
        raise _corrupt(shown, exc.lineno, exc.msg) from None
    if not isinstance(data, dict) or data.get("format") not in READS:
        found = data.get("format") if isinstance(data, dict) else None
        readable = " and ".join(map(str, READS))
        raise _corrupt(shown, 0, f"unknown format {found!r} (this deckpress reads {readable})")
    try:
        course = str(data["course"]) if data["format"] > 1 else ""
        deck = str(data.get("deck", ""))
        return State(
            notes=tuple(_record(d) for d in data["notes"]),
            removed=tuple(_record(d) for d in data["removed"]),
            notetypes=tuple(
                NoteTypeRecord(int(d["id"]), str(d["look"]), int(d["changed"]))
                for d in data["notetypes"]
            ),
            course=course,
            deck=deck,
            synced=bool(data.get("synced", False)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise _corrupt(shown, 0, f"missing or malformed entry ({exc})") from None


def _corrupt(shown: str, line: int, why: str) -> ContentError:
    return ContentError(
        [
            Diagnostic(
                shown,
                line,
                f"deck state file is unreadable: {why}; restore "
                "it from version control (deleting it makes notes that moved "
                "new cards and marks every note as changed)",
            )
        ]
    )


def _record(d: dict) -> NoteRecord:
    kind = str(d["kind"])
    if kind == "keypoints":
        pairs = [(int(o), str(t)) for o, t in d["points"]]
        parts, ords = tuple(t for _, t in pairs), tuple(o for o, _ in pairs)
    else:
        parts, ords = (str(d["question"]), str(d["answer"])), ()
    return NoteRecord(
        retired=tuple((int(o), str(t)) for o, t in d.get("retired", ())),
        guid=str(d["guid"]),
        kind=kind,
        video=int(d["video"]),
        topic=str(d["topic"]),
        parts=parts,
        ords=ords,
        last_ord=int(d.get("last_ord", 0)),
        fingerprint=str(d["fingerprint"]),
        changed=int(d["changed"]),
        removed=int(d.get("removed", 0)),
    )


def _record_json(r: NoteRecord) -> dict:
    d: dict = {"guid": r.guid, "kind": r.kind, "video": r.video, "topic": r.topic}
    if r.kind == "keypoints":
        d["points"] = [[o, t] for o, t in zip(r.ords, r.parts, strict=True)]
        if r.retired:
            d["retired"] = [[o, t] for o, t in r.retired]
        d["last_ord"] = r.last_ord
    else:
        d["question"], d["answer"] = r.parts
    d["fingerprint"] = r.fingerprint
    d["changed"] = r.changed
    if r.removed:
        d["removed"] = r.removed
    return d


def dump_state(state: State) -> bytes:
    """The state file's bytes: fixed key order, a line per field and per bullet, for diffs."""

    def value(v: object) -> str:
        return json.dumps(v, ensure_ascii=False)

    def block(records: Sequence[NoteRecord]) -> str:
        entries = []
        for r in records:
            lines = []
            for key, v in _record_json(r).items():
                if key in ("points", "retired"):
                    inner = ",\n".join(f"    {value(p)}" for p in v)
                    lines.append(f'   "{key}": [\n{inner}\n   ]')
                else:
                    lines.append(f"   {value(key)}: {value(v)}")
            entries.append("  {\n" + ",\n".join(lines) + "\n  }")
        return "[\n" + ",\n".join(entries) + "\n ]" if entries else "[]"

    types = "".join(
        f"\n  {value({'id': t.id, 'look': t.look, 'changed': t.changed})}"
        + ("," if i + 1 < len(state.notetypes) else "\n ")
        for i, t in enumerate(sorted(state.notetypes, key=lambda t: t.id))
    )
    text = (
        f'{{\n "about": {value(ABOUT)},\n "format": {FORMAT},\n "course": {value(state.course)},\n'
        f' "deck": {value(state.deck)},\n'
        + (' "synced": true,\n' if state.synced else "")
        + f' "notetypes": [{types}],\n'
        f' "notes": {block(state.notes)},\n "removed": {block(state.removed)}\n}}\n'
    )
    return text.encode("utf-8")
