"""The regular expressions of WeasyPrint's HTML parser, compiled once.

WeasyPrint parses HTML with tinyhtml5, whose input stream reads runs of characters
with ``chars_until(characters, opposite)``: one regular expression per set of
characters, meant to be cached. In tinyhtml5 2.1.0 the cache is filled under the
compiled expression instead of the characters (``characters = cache[(characters,
opposite)] = regex`` rebinds ``characters`` first), so every call builds the
expression's text and asks ``re.compile`` again: half the time of parsing a sheet
(measured: the 17 sheets of the real notes in 105 ms, 58 ms with a working cache).

:func:`install` puts a cache in front: each set of characters is compiled once, as
tinyhtml5 builds it, and handed to tinyhtml5 already compiled, filed in its cache
under itself, where tinyhtml5 looks it up. The parse is the same
(``tests/test_pdf.py`` compares the trees of every sheet of the real notes); if
tinyhtml5's stream does not look as expected, nothing is changed.
"""

from __future__ import annotations

import re
from typing import Any

_MARK = "deckpress"


def install() -> bool:
    """Cache the input stream's expressions (idempotent); False when tinyhtml5's stream
    is not the expected one (then nothing changes). The original method stays as
    ``.original``."""
    from tinyhtml5 import inputstream

    stream = getattr(inputstream, "HTMLUnicodeInputStream", None)
    cache = getattr(inputstream, "characters_until_regex", None)
    original = getattr(stream, "chars_until", None)
    if original is None or not isinstance(cache, dict):
        return False
    if getattr(original, _MARK, False):
        return True
    compiled: dict[tuple[Any, bool], re.Pattern[str]] = {}

    def chars_until(self: Any, characters: Any, opposite: bool = False) -> str:
        key = (characters, opposite)
        regex = compiled.get(key)
        if regex is None:
            regex = compiled[key] = _expression(characters, opposite)
            cache[(regex, opposite)] = regex  # where tinyhtml5 looks it up
        return original(self, regex, opposite)

    setattr(chars_until, _MARK, True)
    chars_until.original = original  # type: ignore[attr-defined]
    stream.chars_until = chars_until
    return True


def uninstall() -> None:
    """Undo :func:`install` (for tests)."""
    from tinyhtml5 import inputstream

    stream = inputstream.HTMLUnicodeInputStream
    stream.chars_until = getattr(stream.chars_until, "original", stream.chars_until)


def _expression(characters: Any, opposite: bool) -> re.Pattern[str]:
    """The expression tinyhtml5 builds for ``characters``: a run of them (``opposite``)
    or of anything else."""
    listed = "".join(f"\\x{ord(character):02x}" for character in characters)
    return re.compile(f"[{listed}]+" if opposite else f"[^{listed}]+")
