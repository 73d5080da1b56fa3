"""The per-user cache: what deckpress works out from installed software, never from
anyone's notes, kept for every later build of every course (as pip, fontconfig and
black keep theirs).

It holds ``hyphenation/`` (the patterns pyphen parsed from its dictionary files,
see :mod:`deckpress.printouts.hyphenation`), ``fonts/`` (the character maps of the
font files the glyph check reads, see :func:`deckpress.printouts.pdf.coverage`)
and ``templates/`` (the templates as jinja2 compiled them, checked against their
source, see :func:`deckpress.templating.cache_in`). Each file is named after what it
was made from (path, size and date of the file, the library's version), so an
upgrade or an edited template is worked out again; a file that cannot be read is
made again, one that cannot be written is not kept. Deleting the folder only
costs the next build about 0.1 s.

Where: ``$DECKPRESS_CACHE`` (empty: no cache at all), else
``$XDG_CACHE_HOME/deckpress``, else ``~/.cache/deckpress`` (the XDG Base
Directory default).
"""

from __future__ import annotations

import os
from pathlib import Path

ENV = "DECKPRESS_CACHE"
"""Environment variable naming the cache folder (empty: keep nothing)."""


def folder() -> Path | None:
    """The cache folder (not created here), or None when there is to be none (or no
    home folder to put it in)."""
    chosen = os.environ.get(ENV)
    if chosen is not None:
        return Path(chosen).expanduser() if chosen.strip() else None
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    if base and Path(base).is_absolute():  # a relative one is to be ignored (XDG)
        return Path(base) / "deckpress"
    try:
        return Path.home() / ".cache" / "deckpress"
    except RuntimeError:  # no home folder
        return None


def part(name: str) -> Path | None:
    """``folder() / name``, or None without a cache."""
    found = folder()
    return found / name if found is not None else None
