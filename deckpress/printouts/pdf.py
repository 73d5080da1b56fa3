"""HTML -> PDF with WeasyPrint: the only module that uses it (:mod:`.columns` patches
its column layout at import).

Three jobs: lay out an HTML document at a given root font size and measure how
full each page is (:class:`Typesetter`, :func:`page_fill`), write laid-out pages
as reproducible PDF bytes (:func:`write_pdf`), and tell which characters no
configured font can show (:func:`missing_chars`). WeasyPrint is imported on
first use (:func:`load`), so importing this module is cheap.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# fontTools, WeasyPrint's subsetter when HarfBuzz-subset is missing, stamps the
# current time into every embedded font unless SOURCE_DATE_EPOCH is set.
_EPOCH = "0"


@lru_cache(maxsize=1)
def load() -> Any:
    """Import WeasyPrint (about 0.3 s): done once, before worker processes are forked.

    Fonts are then subset with the ``uharfbuzz`` wheel's HarfBuzz (see
    :mod:`deckpress.printouts.subset`), else as WeasyPrint does it, unbalanced
    columns are laid out in one pass (:mod:`deckpress.printouts.columns`), a
    document's stylesheet is parsed once per process (:mod:`.stylesheets`),
    hyphenation patterns are parsed once per dictionary file (:mod:`.hyphenation`),
    the HTML parser's expressions are compiled once (:mod:`.htmlparsing`), PDF
    streams are compressed at :data:`COMPRESSION_LEVEL`, and the fontTools modules of
    :data:`DEFERRED_FONT_TOOLS` are imported when first used.
    """
    with _font_tools_on_first_use():
        try:
            with _direct_library_names():
                import weasyprint
        except OSError:  # a system where some library is found only by searching
            import weasyprint
    import weasyprint.css
    import weasyprint.urls
    from weasyprint.pdf import fonts

    from . import columns, htmlparsing, hyphenation, stylesheets, subset

    columns.install()
    hyphenation.install()
    htmlparsing.install()
    stylesheets.install(weasyprint.css, weasyprint.CSS)
    global _LEAN_USER_AGENT
    _LEAN_USER_AGENT = stylesheets.lean_user_agent(
        weasyprint.html.UA_STYLESHEET, weasyprint.html.UA
    )
    _compress_at(COMPRESSION_LEVEL)
    if not subset.install(fonts.Font) and not fonts.harfbuzz_subset:
        log.info(
            "PDF fonts are subset with fontTools (slow); for speed: pip install uharfbuzz "
            "(or apt-get install -y libharfbuzz-subset0)"
        )
    return weasyprint


_LEAN_USER_AGENT: Any = None
"""WeasyPrint's user-agent stylesheet without the rules that style every element for
pseudo-elements it cannot have (see :mod:`.stylesheets`); None: not available."""

COMPRESSION_LEVEL = 6
"""zlib level of the PDFs' streams (fonts, page contents). pydyf, WeasyPrint's PDF
writer, uses 9: measured on a cold build's 351 streams (5.9 MB), 0.27 s of CPU at 9,
0.06 s at 6 (zlib's default), for 1.6 % more bytes."""


def _compress_at(level: int) -> None:
    """Make pydyf compress its streams at ``level`` (it has no option for it: its module's
    ``zlib`` is replaced by one whose ``compressobj`` ignores the level asked for)."""
    import types
    import zlib

    import pydyf

    def compressobj(*args: Any, **kwargs: Any) -> Any:
        kwargs.pop("level", None)
        return zlib.compressobj(level, *args[1:], **kwargs)

    pydyf.zlib = types.SimpleNamespace(compress=zlib.compress, compressobj=compressobj)


@contextmanager
def _direct_library_names() -> Iterator[None]:
    """WeasyPrint loads Pango & co. by trying the library names of every platform in
    turn; each name that fails makes cffi ask ``ctypes.util.find_library``, which runs
    ``ldconfig``, ``gcc``, ``ld``... (half of the import's time). The names that work
    load directly, so the search is skipped while WeasyPrint is imported; if that
    fails, the caller imports again with it (the module is not kept half-imported)."""
    import ctypes.util

    search = ctypes.util.find_library
    ctypes.util.find_library = lambda name: None
    try:
        yield
    finally:
        ctypes.util.find_library = search


DEFERRED_FONT_TOOLS = ("fontTools.subset", "fontTools.varLib.instancer")
"""fontTools modules WeasyPrint's PDF writer imports (``weasyprint.pdf.fonts``) but only
uses to subset fonts without HarfBuzz and to flatten variable fonts: 45 ms of every
first worker's start-up (with what they import), on a build's critical path."""


@contextmanager
def _font_tools_on_first_use() -> Iterator[None]:
    """While WeasyPrint is imported, each module of :data:`DEFERRED_FONT_TOOLS` is a
    stand-in that imports the real one when one of its attributes is first used (a
    call, ``subset.Options``); afterwards the modules are imported as usual."""
    import importlib
    import sys
    import types

    def stand_in(name: str) -> types.ModuleType:
        module = types.ModuleType(name, f"{name}, imported on first use (deckpress)")

        def __getattr__(attribute: str) -> Any:
            if attribute.startswith("__"):
                raise AttributeError(attribute)
            if sys.modules.get(name) is module:  # used while WeasyPrint is imported
                del sys.modules[name]
            return getattr(importlib.import_module(name), attribute)

        def instantiateVariableFont(*args: Any, **kwargs: Any) -> Any:  # noqa: N802
            return __getattr__("instantiateVariableFont")(*args, **kwargs)

        module.__getattr__ = __getattr__  # type: ignore[method-assign]
        if name.endswith(".instancer"):  # imported by name: `from … import` it
            module.instantiateVariableFont = instantiateVariableFont  # type: ignore[attr-defined]
        return module

    placed = {name: stand_in(name) for name in DEFERRED_FONT_TOOLS if name not in sys.modules}
    sys.modules.update(placed)
    try:
        yield
    finally:
        for name, module in placed.items():
            if sys.modules.get(name) is module:  # not the real one, imported meanwhile
                del sys.modules[name]


@lru_cache(maxsize=1)
def font_config() -> Any:
    """One ``FontConfiguration`` for every document of this process (WeasyPrint makes
    one per render otherwise: the same fonts, looked up again)."""
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


_WARM_UP = (
    '<html lang="en"><head><style>p { hyphens: auto; width: 4em; }</style></head>'
    "<body><p>Hyphenation <b>bold</b> <i>italic</i> <code>code()</code> x² — ✓</p></body></html>"
)


def warm_up() -> None:
    """Lay out and write a small document, so that what every process loads on its
    first render (hyphenation dictionary, font files, cffi's C types: ~50 ms) is
    loaded before worker processes are forked from this one (see :mod:`.workers`)."""
    write_pdf([Typesetter(_WARM_UP)(10)])


@dataclass
class Typeset:
    """One document laid out at one type size, with each page's fill."""

    font_pt: float
    """Root font size the document was laid out with."""
    fills: tuple[float, ...]
    """Per page, the fraction of the text area in use (see :func:`page_fill`)."""
    document: Any
    """The WeasyPrint ``Document`` (stays in this process: it cannot be pickled)."""

    @property
    def pages(self) -> int:
        return len(self.fills)

    @property
    def demand(self) -> float:
        """How much the content fills, in pages (the sum of the fills): unlike the page
        count it grows smoothly with the type size."""
        return sum(self.fills)


class Typesetter:
    """One HTML document, parsed once, laid out at any root font size."""

    def __init__(self, html: str, css: str = ""):
        self._weasyprint = load()
        self._extra = [self._weasyprint.CSS(string=css)] if css else []
        # Printed documents are self-contained: nothing is fetched from the network or
        # disk (``data:`` URLs are inline, so a user template may embed an image).
        fetcher = self._weasyprint.urls.URLFetcher(allowed_protocols={"data"})
        self._html = self._weasyprint.HTML(string=html, url_fetcher=fetcher)
        self._own_fonts = "@font-face" in html or "@font-face" in css
        from .stylesheets import needs_full_user_agent

        self._lean = _LEAN_USER_AGENT is not None and not needs_full_user_agent(html, css)
        if self._lean:
            full = self._html._ua_stylesheets
            self._html._ua_stylesheets = lambda forms=False: [_LEAN_USER_AGENT, *full(forms)[1:]]

    def __call__(self, font_pt: float) -> Typeset:
        """Lay out with ``:root { font-size: <font_pt>pt }`` and measure the pages."""
        size = self._weasyprint.CSS(string=f":root {{ font-size: {font_pt:.3f}pt; }}")
        # a document with its own @font-face gets its own configuration: fonts one
        # document declares must not be found by the next
        shared = font_config() if not self._own_fonts else None
        try:
            document = self._html.render(stylesheets=[size, *self._extra], font_config=shared)
        except Exception:
            if not self._lean:
                raise
            # something the check did not foresee needed a rule the lean user-agent
            # stylesheet leaves out (WeasyPrint fails without a footnote's styles):
            # this document gets WeasyPrint's own from now on
            log.debug("rendering again with WeasyPrint's full user-agent stylesheet")
            del self._html._ua_stylesheets
            self._lean = False
            document = self._html.render(stylesheets=[size, *self._extra], font_config=shared)
        fills = tuple(page_fill(page._page_box) for page in document.pages)
        return Typeset(font_pt, fills or (0.0,), document)


def write_pdf(parts: Iterable[Typeset]) -> bytes:
    """The pages of ``parts``, in order, as one PDF (metadata from the first).

    Same input, same bytes: WeasyPrint writes no dates unless the HTML asks, the
    file identifier is a hash of the content, and font subsets carry no timestamp.
    """
    parts = list(parts)
    pages = [page for part in parts for page in part.document.pages]
    document = parts[0].document.copy(pages)
    with _reproducible():
        return document.write_pdf(pdf_identifier=True)


@contextmanager
def _reproducible() -> Iterator[None]:
    """Pin the timestamp fontTools writes into embedded fonts (HarfBuzz writes none)."""
    if "SOURCE_DATE_EPOCH" in os.environ:
        yield
        return
    os.environ["SOURCE_DATE_EPOCH"] = _EPOCH
    try:
        yield
    finally:
        os.environ.pop("SOURCE_DATE_EPOCH", None)


# --------------------------------------------------------------------------
# Fill measurement


def page_fill(page_box: Any) -> float:
    """Fraction of a page's text area that content reaches down to, column by column.

    Everything above a multi-column flow counts as used, full width; each of its
    columns (empty ones included) then counts down to its lowest content (see
    :func:`_content_bottom`). Without columns the page is one column. Gaps between
    columns are ignored. Summed over pages, this is the content's *demand*.
    """
    top = page_box.content_box_y()
    bottom = top + page_box.height
    width = page_box.width
    if bottom <= top or width <= 0:
        return 0.0
    flow = _first_multicol(page_box)
    if flow is None or not flow.children:
        return _clamp((_content_bottom(page_box, top) - top) / (bottom - top))
    above = max(0.0, flow.position_y - top)
    column_top = flow.content_box_y()
    capacity = max(0.0, bottom - column_top)
    used = sum(
        max(0.0, min(bottom, _content_bottom(column, column_top)) - column_top)
        for column in flow.children
    )
    count = _column_count(flow)
    return _clamp((above + used / count) / (above + capacity)) if above + capacity else 0.0


def continuations(document: Any) -> list[tuple[str, str, str]]:
    """Where a video continues at the top of a column: ``(video id, "k" or "q", index)``
    of the key point or question the column opens with (built-in templates' markers)."""
    found: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    for page in document.pages:
        flow = _first_multicol(page._page_box)
        for column in flow.children if flow is not None else ():
            for i, child in enumerate(column.children):
                element = getattr(child, "element", None)
                ident = element.get("id", "") if element is not None else ""
                if not ident.startswith("video-"):
                    continue
                if i == 0 and ident in seen:
                    part = _first_part(child)
                    if part is not None and part[0] != "cont":  # not labelled yet
                        found.append((ident, *part))
                seen.add(ident)
    return found


def flow_parts(page_box: Any) -> tuple[int, list[int]]:
    """The page's multi-column flow: how many children its element has, and which of
    them (by index) have a box on this page, in order (each once)."""
    flow = _first_multicol(page_box)
    if flow is None or flow.element is None:
        return 0, []
    children = list(flow.element)
    index = {id(child): i for i, child in enumerate(children)}
    found: list[int] = []
    for column in flow.children:
        for child in column.children:
            number = index.get(id(getattr(child, "element", None)))
            if number is not None and (not found or found[-1] != number):
                found.append(number)
    return len(children), found


def write_pages(typeset: Typeset, first: int | None = None) -> list[bytes]:
    """Each page of ``typeset`` (or of its ``first`` pages) as a PDF of its own (see
    :func:`write_pdf`)."""
    document = typeset.document
    with _reproducible():
        return [
            document.copy([page]).write_pdf(pdf_identifier=True) for page in document.pages[:first]
        ]


def bookmarks(typeset: Typeset) -> list[tuple[float, tuple[Any, ...]]]:
    """Per page: its height (CSS px) and WeasyPrint's bookmarks on it."""
    return [(page.height, tuple(page.bookmarks)) for page in typeset.document.pages]


def bookmark_tree(pages: Iterable[tuple[float, Iterable[Any]]]) -> list[Any]:
    """The outline of a document made of ``pages`` (each its height in CSS px and its
    bookmarks, as :func:`bookmarks` gives them), nested as WeasyPrint nests a whole
    document's: subtrees ``(label, (page index, x, y) in PDF points, children, state)``."""
    from types import SimpleNamespace

    from weasyprint.anchors import make_page_bookmark_tree
    from weasyprint.matrix import Matrix

    tree: list[Any] = []
    skipped: list[int] = []
    last_by_depth = [tree]
    previous = 0
    scale = 0.75  # CSS px -> PDF pt, as WeasyPrint writes
    for number, (height, marks) in enumerate(pages):
        page = SimpleNamespace(bookmarks=list(marks), height=height)
        matrix = Matrix(a=scale, d=-scale, f=height * scale)
        previous = make_page_bookmark_tree(page, skipped, last_by_depth, previous, number, matrix)
    return tree


def _first_part(box: Any) -> tuple[str, str] | None:
    """The first key point (``data-k``) or question (``data-q``) inside ``box``, or
    ``("cont", "")`` when a "(cont.)" label comes first."""
    for child in getattr(box, "children", ()):
        element = getattr(child, "element", None)
        if element is not None:
            if "cont" in element.get("class", "").split():
                return "cont", ""
            for key in ("k", "q"):
                if element.get(f"data-{key}"):
                    return key, element.get(f"data-{key}")
        if type(child).__name__ in ("LineBox", "TextBox", "InlineBox"):
            continue
        found = _first_part(child)
        if found is not None:
            return found
    return None


def _column_count(flow: Any) -> int:
    """Columns the flow has room for (WeasyPrint makes no boxes for empty ones)."""
    column_width = flow.children[0].width
    gap = (
        flow.children[1].position_x - flow.children[0].position_x - column_width
        if len(flow.children) > 1
        else 0.0
    )
    count = flow.style["column_count"]
    if isinstance(count, int):
        return max(count, len(flow.children))
    return max(len(flow.children), round((flow.width + gap) / (column_width + gap)))


def _first_multicol(box: Any) -> Any | None:
    for child in getattr(box, "children", ()):
        style = getattr(child, "style", None)
        if (
            style is not None
            and child.element_tag is not None
            and (style["column_count"] != "auto" or style["column_width"] != "auto")
        ):
            return child
        if type(child).__name__ in ("LineBox", "TextBox", "InlineBox"):
            continue
        found = _first_multicol(child)
        if found is not None:
            return found
    return None


def _content_bottom(box: Any, default: float) -> float:
    """Bottom of the lowest line, unsplittable block or leaf box inside ``box``.

    Blocks that may split are looked into: a block cut at the end of a column
    stretches down to it, so its own bottom would count the gap below as used.
    """
    lowest = default
    for child in getattr(box, "children", ()):
        kind = type(child).__name__
        if kind == "MarginBox":
            continue
        style = getattr(child, "style", None)
        whole = style is not None and style["break_inside"] in (
            "avoid",
            "avoid-column",
            "avoid-page",
        )
        if whole or kind == "LineBox" or not getattr(child, "children", None):
            lowest = max(lowest, child.position_y + child.margin_height())
        else:
            lowest = max(lowest, _content_bottom(child, default))
    return lowest


def _clamp(value: float) -> float:
    return min(1.0, max(0.0, value))


# --------------------------------------------------------------------------
# Font coverage

_FONT_FAMILY = re.compile(r"font-family\s*:\s*([^;}]+)", re.IGNORECASE)
_GENERIC = {
    "serif",
    "sans-serif",
    "monospace",
    "cursive",
    "fantasy",
    "system-ui",
    "inherit",
    "initial",
    "unset",
}


def css_font_families(css: str) -> tuple[str, ...]:
    """Font families named in ``font-family`` declarations of ``css``, in order of appearance."""
    from .stylesheets import CSS_COMMENT

    css = CSS_COMMENT.sub("", css)
    names: list[str] = []
    for declaration in _FONT_FAMILY.findall(css):
        for name in declaration.split(","):
            name = name.strip().strip("\"'").strip()
            if name and name.lower() not in _GENERIC and name not in names:
                names.append(name)
    return tuple(names)


def missing_chars(text: str, families: tuple[str, ...], kept: Path | None = None) -> set[str]:
    """Characters of ``text`` that no font WeasyPrint may use has a glyph for.

    WeasyPrint (Pango) takes a glyph from the named ``families`` first, then from any
    installed font fontconfig offers as a fallback: a character is missing only when
    neither has it (the named families are read first, the fallbacks only if needed).
    ``kept``: a folder where the named fonts' character maps are kept between builds
    (see :func:`coverage`).
    """
    covered = coverage(families, kept)
    wanted = {ch for ch in set(text) if _needs_glyph(ch) and ord(ch) not in covered}
    if not wanted:
        return wanted
    fallback = installed_coverage()
    return {ch for ch in wanted if ord(ch) not in fallback}


@lru_cache(maxsize=1)
def installed_coverage() -> frozenset[int]:
    """Code points some installed font covers (fontconfig's character sets)."""
    try:
        listing = subprocess.run(
            ["fc-list", "--format", "%{charset}\n"],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("cannot ask fontconfig which fonts are installed (%s)", exc)
        return frozenset()
    points: set[int] = set()
    for span in listing.split():
        first, _, last = span.partition("-")
        try:
            points.update(range(int(first, 16), int(last or first, 16) + 1))
        except ValueError:
            continue
    return frozenset(points)


def _needs_glyph(ch: str) -> bool:
    return not ch.isspace() and unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp")


@lru_cache(maxsize=16)
def coverage(families: tuple[str, ...], kept: Path | None = None) -> frozenset[int]:
    """Code points covered by the font files fontconfig resolves for ``families``.

    Each file's character map is read with fontTools (~25 ms with its import, in
    every build's own process) or, when ``kept`` names a folder, from a list an
    earlier build kept there, named after the file's path, size and modification
    time (a font updated in place is read again).
    """
    points: set[int] = set()
    for path in font_files(families):
        points.update(_character_map(path, kept))
    return frozenset(points)


CMAP_FORMAT = 1
"""Version of the kept character maps' layout (part of their names)."""


def _character_map(path: str, kept: Path | None) -> Iterable[int]:
    """The code points of the font file at ``path`` (its first font)."""
    import json

    from ..build.incremental import derived_path
    from ..build.output import write_kept

    target = derived_path(kept, Path(path), ".json", CMAP_FORMAT) if kept is not None else None
    if target is not None:
        try:
            spans = json.loads(target.read_text(encoding="utf-8"))
            return [point for first, last in spans for point in range(first, last + 1)]
        except (OSError, ValueError, TypeError):
            pass
    from fontTools.ttLib import TTFont

    try:
        with TTFont(path, lazy=True, fontNumber=0) as font:
            points = sorted(font.getBestCmap() or {})
    except Exception as exc:  # an unreadable font just covers nothing
        log.debug("cannot read the character map of %s: %s", path, exc)
        return []
    if target is not None:
        write_kept(target, json.dumps(_spans(points)).encode())
    return points


def _spans(points: list[int]) -> list[tuple[int, int]]:
    """Sorted code points as ``(first, last)`` runs."""
    spans: list[tuple[int, int]] = []
    for point in points:
        if spans and spans[-1][1] == point - 1:
            spans[-1] = (spans[-1][0], point)
        else:
            spans.append((point, point))
    return spans


@lru_cache(maxsize=16)
def installed(family: str) -> bool | None:
    """Whether fontconfig knows a font family of this name (``None``: cannot ask)."""
    try:
        listing = subprocess.run(
            ["fc-list", "--format", "%{family}\n", f":family={family}"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return bool(listing.strip())


@lru_cache(maxsize=16)
def font_files(families: tuple[str, ...]) -> tuple[str, ...]:
    """The font file fontconfig picks for each family (what WeasyPrint will embed)."""
    files: list[str] = []
    for family in families:
        try:
            found = subprocess.run(
                ["fc-match", "-f", "%{file}", family],
                capture_output=True,
                text=True,
                check=True,
                timeout=10,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError) as exc:
            log.warning(
                "cannot ask fontconfig for font %r (%s); character check skipped", family, exc
            )
            continue
        if found and found not in files:
            files.append(found)
    return tuple(files)
