"""Images referenced by the notes: where they are, and what is wrong with them.

Shared by the load stage (so ``check`` and every build report a bad image as
``file:line``) and by the deck (which packs the files as media).

A path is found as people write it: percent-encoded (``loss%20curve.png``) or
in angle brackets (``<loss curve.png>``, which markdown-it hands over encoded),
with accents or CJK in any Unicode normalisation form: a file saved on macOS is
often named in NFD (``e`` + combining accent) while an editor types NFC.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote

_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*:|//)")
_NOT_NAME = re.compile(r"[^\w-]+")
# an inline image's destination as typed: ![alt](<dest>) or ![alt](dest "title")
_WRITTEN = re.compile(r"!\[[^\]\n]*\]\(\s*(?:<([^>\n]*)>|([^\s)]+))")


def resolve_image(source: Path, notes_file: str, src: str) -> tuple[Path | None, str | None]:
    """``(path, None)`` for a usable local image, else ``(None, what is wrong)``.

    ``src`` is the link destination, percent-encoded or not, relative to
    ``notes_file`` (itself relative to ``source``). ``data:`` URLs give
    ``(None, None)``: nothing to pack. Messages show the path as typed in the notes.
    """
    if src.startswith("data:"):
        return None, None
    decoded = unquote(src)
    shown = decoded
    if _SCHEME.match(src):
        return None, (
            f"image {shown!r} is not a local file; cards must work offline: save it next to "
            "the notes and link it by a relative path"
        )
    folder = (source / notes_file).parent
    # the decoded path first; the literal one for a file that really has '%20' in its name
    candidates = [folder / c for c in dict.fromkeys([decoded, src])]
    shown = as_written(source / notes_file, src) or decoded
    for path in candidates:
        try:
            resolved = path.resolve()
        except (OSError, ValueError):
            continue  # a name the file system rejects (too long, a NUL byte): not found
        if not resolved.is_relative_to(source.resolve()):
            return None, f"image {shown!r} is outside the source folder; keep images inside it"
    for path in candidates:
        found = find_file(path)
        if found is not None:
            return found, None
    return None, (
        f"image {shown!r} not found (looked for {candidates[0].as_posix()}); fix the path, "
        f"which is relative to {notes_file}"
    )


def as_written(notes: Path, src: str) -> str | None:
    """How the notes file spells the image destination that markdown-it normalised to
    ``src`` (``<a b.png>`` and ``a%20b.png`` both become ``a%20b.png``), if it is there."""
    from markdown_it.common.normalize_url import normalizeLink
    from markdown_it.common.utils import unescapeAll

    try:
        text = notes.read_text(encoding="utf-8-sig")
    except (OSError, ValueError):
        return None
    for m in _WRITTEN.finditer(text):
        written = m.group(1) if m.group(1) is not None else m.group(2)
        if normalizeLink(unescapeAll(written)) == src:
            return written
    return None


def find_file(path: Path, test: Callable[[Path], bool] = Path.is_file) -> Path | None:
    """``path`` as it is on disk, matching each part in any Unicode normalisation form
    (``test`` = ``Path.is_dir`` finds a folder)."""
    if _is(path, test):
        return path
    if path.parent == path:
        return None
    parent = find_file(path.parent, Path.is_dir)
    if parent is None:
        return None
    match = _entry(parent, path.name)
    return match if match is not None and _is(match, test) else None


def _is(path: Path, test: Callable[[Path], bool]) -> bool:
    """``test(path)``, false for a name the file system rejects (too long, a NUL byte)."""
    try:
        return test(path)
    except (OSError, ValueError):
        return False


def _entry(folder: Path, name: str) -> Path | None:
    """The entry of ``folder`` whose name equals ``name`` once both are NFC."""
    if name in ("", ".", ".."):
        return folder / name
    wanted = unicodedata.normalize("NFC", name)
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return None
    for entry in names:
        if unicodedata.normalize("NFC", entry) == wanted:
            return folder / entry
    return None


def media_name(path: Path, data: bytes) -> str:
    """The file's name in Anki's media folder: ``<stem>-<content hash><ext>``.

    Letters of any script stay readable (``réseau-…png``, ``图-…png``), in NFC as
    Anki stores media names; anything else becomes ``-``. An ASCII stem gives the
    same name as before Unicode names were kept (``A_b c`` -> ``A_b-c``).
    """
    stem = unicodedata.normalize("NFC", path.stem)
    stem = _NOT_NAME.sub("-", stem).strip("-") or "image"
    return f"{stem}-{hashlib.sha256(data).hexdigest()[:10]}{path.suffix.lower()}"
