"""Images referenced by the notes: where they are, and what is wrong with them.

Shared by the load stage (so ``check`` and every build report a bad image as
``file:line``) and by the deck (which packs the files as media).
"""

from __future__ import annotations

import re
from pathlib import Path

_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*:|//)")


def resolve_image(source: Path, notes_file: str, src: str) -> tuple[Path | None, str | None]:
    """``(path, None)`` for a usable local image, else ``(None, what is wrong)``.

    ``src`` is as written in the notes, relative to ``notes_file`` (itself relative
    to ``source``). ``data:`` URLs give ``(None, None)``: nothing to pack.
    """
    if src.startswith("data:"):
        return None, None
    if _SCHEME.match(src):
        return None, (
            f"image {src!r} is not a local file; cards must work offline: save it next to "
            "the notes and link it by a relative path"
        )
    path = (source / notes_file).parent / src
    try:
        path.resolve().relative_to(source.resolve())
    except ValueError:
        return None, f"image {src!r} is outside the source folder; keep images inside it"
    if not path.is_file():
        return None, (
            f"image {src!r} not found (looked for {path.as_posix()}); fix the path, "
            f"which is relative to {notes_file}"
        )
    return path, None
