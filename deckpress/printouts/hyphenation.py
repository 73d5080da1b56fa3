"""Hyphenation patterns read once per dictionary file, not once per process.

WeasyPrint hyphenates with pyphen, which parses a whole ``hyph_*.dic`` (11,000
patterns for English, with a regular expression each) the first time a process
hyphenates a language: about 35 ms of every build's first worker, before its first
sheet. :func:`install` makes pyphen keep what it parsed in the per-user cache
(``hyphenation/`` in :func:`deckpress.usercache.folder`, see :func:`cache_in`) and
read it back with :mod:`marshal` (about 3 ms) in later builds, of any course. The patterns are the same
either way (``tests/test_hyphenation.py``), so the PDFs are too.

A cached file is named after the dictionary file's path, size and modification
time and pyphen's version; one that cannot be read is parsed again and rewritten.
Dictionaries with nonstandard hyphenation (``ff=f`` alternatives: not in the
English ones) are parsed every time, as pyphen does.
"""

from __future__ import annotations

import marshal
from pathlib import Path
from typing import Any

FORMAT = 1
"""Version of the cached files' layout (part of their names)."""

_folder: Path | None = None


def cache_in(folder: Path | None) -> None:
    """Keep parsed hyphenation patterns in ``folder`` (``None``: parse in every process).
    Called before worker processes are forked: they inherit the folder."""
    global _folder
    _folder = folder


def install() -> None:
    """Make pyphen read parsed patterns from the cache folder (idempotent; the original
    ``pyphen.HyphDict`` stays as ``.original``)."""
    import pyphen

    if getattr(pyphen.HyphDict, "deckpress", False):
        return
    original = pyphen.HyphDict

    def cached(path: Path) -> Any:
        return _cached(original, Path(path))

    cached.deckpress = True  # type: ignore[attr-defined]
    cached.original = original  # type: ignore[attr-defined]
    pyphen.HyphDict = cached


def uninstall() -> None:
    """Undo :func:`install` (for tests)."""
    import pyphen

    pyphen.HyphDict = getattr(pyphen.HyphDict, "original", pyphen.HyphDict)


def cache_file(path: Path) -> Path | None:
    """Where the patterns of the dictionary at ``path`` are kept (``None``: nowhere)."""
    if _folder is None:
        return None
    import pyphen

    from ..build.incremental import derived_path

    return derived_path(_folder, path, ".marshal", FORMAT, pyphen.__version__)


def _cached(cls: Any, path: Path) -> Any:
    """``cls(path)`` (``cls`` is pyphen's ``HyphDict``), from the cache folder when the
    patterns are there."""
    kept = cache_file(path)
    if kept is not None:
        try:
            patterns = marshal.loads(kept.read_bytes())
        except (OSError, EOFError, ValueError, TypeError):
            pass
        else:
            if _well_formed(patterns):
                return _from_patterns(cls, patterns)
    parsed = _parse(cls, path)
    if kept is not None:
        _keep(kept, parsed.patterns)
    return parsed


def _well_formed(patterns: object) -> bool:
    """Whether a kept file held patterns as :func:`_keep` writes them: ``{pattern:
    (start, (value, ...))}``. Anything else (a file from elsewhere in the per-user
    cache's place) is parsed again, not used (~1 ms for English's 11,000)."""
    return (
        isinstance(patterns, dict)
        and bool(patterns)
        and all(
            type(key) is str
            and type(value) is tuple
            and len(value) == 2
            and type(value[0]) is int
            and type(value[1]) is tuple
            and all(type(v) is int for v in value[1])
            for key, value in patterns.items()
        )
    )


def _parse(cls: Any, path: Path) -> Any:
    return cls(path)


def _from_patterns(cls: Any, patterns: dict[str, tuple[int, tuple[int, ...]]]) -> Any:
    """A ``HyphDict`` with these patterns, as its ``__init__`` leaves one (pyphen 0.x)."""
    hyph = object.__new__(cls)
    hyph.patterns = patterns
    hyph.cache = {}
    hyph.maxlen = max(len(key) for key in patterns)
    return hyph


def _keep(target: Path, patterns: dict[str, tuple[int, tuple[Any, ...]]]) -> None:
    from ..build.output import write_kept

    values = [value for _, found in patterns.values() for value in found]
    if any(getattr(value, "data", None) is not None for value in values):
        return  # nonstandard hyphenation: objects marshal cannot keep
    plain = {key: (start, tuple(int(v) for v in found)) for key, (start, found) in patterns.items()}
    write_kept(target, marshal.dumps(plain))
