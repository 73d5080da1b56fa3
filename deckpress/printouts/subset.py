"""Font subsetting with the HarfBuzz that the ``uharfbuzz`` wheel bundles.

WeasyPrint subsets every embedded font with HarfBuzz's subsetter when the system
has ``libharfbuzz-subset`` (an optional package most machines lack) and with
fontTools otherwise, which costs about a third of a cold build. The wheel brings
the same subsetter to every machine, and one HarfBuzz version everywhere: the PDF
bytes no longer depend on which system packages are installed.

:func:`install` makes WeasyPrint's fonts subset themselves with :func:`subset`;
without the wheel (or if it fails on a font) WeasyPrint's own path is kept.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

log = logging.getLogger(__name__)

_DROP_TABLES = (b"BASE", b"DSIG", b"EBDT", b"EBLC", b"EBSC", b"GPOS", b"GSUB", b"JSTF")
_DROP_TABLES += (b"LTSH", b"PCLT", b"SVG ")
"""Tables WeasyPrint drops from embedded fonts (the same list as its own HarfBuzz path)."""


@lru_cache(maxsize=1)
def version() -> str:
    """The ``uharfbuzz`` wheel's version (each release bundles one HarfBuzz), or ``""``
    when WeasyPrint subsets by itself (part of every PDF's fingerprint: another
    subsetter, other bytes). Read from the installed distribution: the build's own
    process computes the fingerprints and need not import the wheel (~13 ms)."""
    from ..installed import version as installed_version

    found = installed_version("uharfbuzz")
    return f"uharfbuzz {found}" if found else ""


def install(font_class: Any) -> bool:
    """Make ``font_class`` (WeasyPrint's ``Font``) subset with :func:`subset`; False
    (and nothing changed) when the ``uharfbuzz`` wheel cannot be imported."""
    try:
        import uharfbuzz  # noqa: F401
    except ImportError:
        log.info("uharfbuzz is not installed: WeasyPrint subsets the fonts itself")
        return False
    if getattr(font_class.subset, "deckpress", False):
        return True
    original = font_class.subset

    def subset_font(font: Any, to_unicode: Any, hinting: bool) -> None:
        if to_unicode and not subset(font, to_unicode, hinting):
            original(font, to_unicode, hinting)

    subset_font.deckpress = True  # type: ignore[attr-defined]
    subset_font.original = original  # type: ignore[attr-defined]
    font_class.subset = subset_font
    return True


def uninstall(font_class: Any) -> None:
    """Undo :func:`install` (the tests compare both paths)."""
    original = getattr(font_class.subset, "original", None)
    if original is not None:
        font_class.subset = original


def subset(font: Any, glyphs: Any, hinting: bool) -> bool:
    """Keep only ``glyphs`` (glyph ids) of ``font`` (a WeasyPrint ``Font``): the same
    two passes as WeasyPrint's HarfBuzz path. False when HarfBuzz cannot subset it."""
    import uharfbuzz as hb

    flags = hb.SubsetFlags
    keep = sorted(glyphs)
    try:
        face = hb.Face(font.file_content, font.index)
        # first pass: only the glyphs used, at their ids
        plan = hb.SubsetInput()
        plan.glyph_set.update(keep)
        plan.drop_table_tag_set.update(int.from_bytes(tag, "big") for tag in _DROP_TABLES)
        extra = flags.NOTDEF_OUTLINE if font.missing else flags.DEFAULT
        plan.flags = (
            flags.RETAIN_GIDS | flags.PASSTHROUGH_UNRECOGNIZED | flags.DESUBROUTINIZE | extra
        )
        face = hb.subset(face, plan)
        # second pass: drop the empty glyphs after the last one used
        plan.glyph_set.update(range(keep[-1] + 1))
        hints = flags.DEFAULT if hinting else flags.NO_HINTING
        plan.flags = flags.PASSTHROUGH_UNRECOGNIZED | flags.DESUBROUTINIZE | extra | hints
        data = hb.subset(face, plan).blob.data
    except (RuntimeError, ValueError, TypeError) as exc:
        log.debug("HarfBuzz cannot subset %s (%s): WeasyPrint does it", font.family, exc)
        return False
    if not data:
        return False
    font.file_content = bytes(data)
    return True
