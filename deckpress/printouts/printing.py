"""What the cheat sheets and the handouts share.

Page setup from ``course.yaml`` and ``--paper``, HTML from the ``print-*``
templates, the check that every character can be shown, and the typesetting
jobs: each PDF is a :class:`Sheet` whose type size is fitted and whose PDF is
written in a worker process (all print artifacts of a build share one pool; with one
CPU or ``DECKPRESS_WORKERS=1``, in this process), or, for a cheat sheet whose pages
the last build kept, put together from them (:mod:`.pages`).
"""

from __future__ import annotations

import base64
import functools
import gc
import html as html_lib
import importlib
import logging
import re
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote

from .. import __version__, usercache
from ..build.artifacts import ARTIFACTS
from ..build.incremental import fingerprint, recorded
from ..build.output import write_bytes
from . import fit, pages, subset, workers

# Worker processes import this module for the jobs (print_sheet): what only the build's
# own process needs (templates, notes, the glyph check) is imported where it is used.
if TYPE_CHECKING:
    from ..build.pipeline import ArtifactResult, BuildOptions
    from ..errors import Diagnostic
    from ..notes.config import SheetConfig
    from ..notes.model import Course, Location
    from . import pdf as pdf_module

log = logging.getLogger(__name__)
T = TypeVar("T")

PAPER_CSS = {"a4": "A4", "letter": "letter"}
"""``print.paper`` / ``--paper`` -> CSS ``@page { size }`` keyword."""
STYLESHEET = "print.css"
RELAXED_CSS = """
.video, .points, .q { break-inside: auto !important; }
.points > li { break-inside: avoid !important; }
.video h3, .qa dt { break-after: avoid; }
"""
"""Layout for content taller than a column: a video, a key-point list or an answer may
continue in the next column (between bullets, lines or paragraphs)."""
STRANDED = 0.35
"""A page (not the last) less full than this means a block taller than a column was
pushed past it: the sheet is laid out again with :data:`RELAXED_CSS`."""
MAX_LABELS = 12
"""At most this many "(cont.)" labels (renders) per sheet."""
SPARSE = 0.5
"""A one-page sheet less full than this at the largest type tries fewer, wider columns."""


@dataclass(frozen=True)
class Sheet:
    """One PDF to typeset: its HTML and the page budget its type size is fitted to."""

    path: Path
    """Where the PDF goes."""
    html: str
    """The document, fully rendered from the templates."""
    floor: float
    """Smallest allowed root font size (pt)."""
    ceiling: float
    """Largest allowed root font size (pt)."""
    budget: int | None
    """Most pages allowed; ``None``: the fewest the floor allows."""
    enough: float | None = None
    """Stop growing the type once the last page is this full (``None``: grow to the limit)."""
    start: float | None = None
    """First size to try (``None``: the floor)."""
    columns: int = 0
    """The page's columns, when a sparse page may use fewer, wider ones (handouts)."""
    store: pages.Store | None = None
    """Where its pages are kept for page-level reuse (cheat sheets in the built-in
    templates; see :mod:`deckpress.printouts.pages`), if anywhere."""
    reuse: bool = True
    """Lay out again only the pages that changed (False: ``--force``, all of them)."""

    @functools.cached_property
    def key(self) -> str:
        """Fingerprint of everything the PDF depends on (for incremental builds)."""
        return fingerprint(self.settings, self.html)

    @functools.cached_property
    def settings(self) -> str:
        """Fingerprint of everything the PDF depends on but the HTML."""
        from . import pdf

        return fingerprint(
            __version__,
            _version("weasyprint"),
            _version("pikepdf"),  # it joins the cheat sheets' pages and handouts.pdf
            subset.version(),
            pdf.COMPRESSION_LEVEL,
            zlib.ZLIB_RUNTIME_VERSION,
            fit.TUNING,
            RELAXED_CSS,
            STRANDED,
            MAX_LABELS,
            self.floor,
            self.ceiling,
            self.budget,
            self.enough,
            self.start,
            self.columns,
            SPARSE,
            pages.PAGE_NUMBER_CSS,
            self.store is not None,  # written page by page, or in one piece
        )


@dataclass(frozen=True)
class Printed:
    """What typesetting one :class:`Sheet` gave."""

    font_pt: float
    """The fitted root font size (the floor when it did not fit)."""
    fills: tuple[float, ...]
    """Fill of each page, 0..1 (see :func:`deckpress.printouts.pdf.page_fill`)."""
    pdf: bytes
    """The PDF."""
    overflow: bool = False
    """Even the floor needed more pages than the budget: the PDF has the fewest pages
    the floor allows."""
    columns: int = 0
    """Columns used, when fewer than the sheet's (see :func:`_widened`); else 0."""
    plan: pages.Plan | None = None
    """How the PDF was cut into pages, for the next build to reuse (see
    :mod:`deckpress.printouts.pages`); None when it cannot be."""

    @property
    def pages(self) -> int:
        return len(self.fills)


def page_context(course: Course, sheet: SheetConfig, paper: str | None) -> dict[str, object]:
    """Template variables describing the page: CSS ``size``, ``columns``, ``paper``."""
    name = paper or course.config.print.paper
    orientation = "landscape" if sheet.landscape else "portrait"
    return {"size": f"{PAPER_CSS[name]} {orientation}", "columns": sheet.columns, "paper": name}


def render_html(course: Course, template: str, **context: object) -> str:
    """Render a ``print-*`` template (user overrides first) to an HTML string, with the
    notes' pictures embedded (the typesetter fetches nothing)."""
    from ..templating import shared_env

    html = (
        shared_env(course.config.templates).get_template(template).render(course=course, **context)
    )
    source = course.config.path.parent
    html = _IMG_SRC.sub(lambda m: m.group(1) + _data_url(source, m.group(2)) + m.group(3), html)
    return _each_svg_its_own(html)


_IMG_SRC = re.compile(r'(<img\s[^>]*?src=")(?!data:)([^"]*)(")')
_SVG_SRC = re.compile(r'src="data:image/svg\+xml;base64,([^"]*)"')


def _each_svg_its_own(html: str) -> str:
    """Give every repeat of the same SVG picture (a formula used twice) a URL of its own
    (``data:image/svg+xml;n=2;base64,…``: the same picture).

    WeasyPrint keeps one image per URL in a document, and an SVG it draws a second time
    comes out with extra, invisible drawing (WeasyPrint 70): a page's bytes would then
    depend on whether an earlier page showed the same formula, and page reuse (see
    :mod:`deckpress.printouts.pages`) relies on them not doing so."""
    seen: dict[str, int] = {}

    def own(match: re.Match[str]) -> str:
        data = match.group(1)
        n = seen[data] = seen.get(data, 0) + 1
        return match.group(0) if n == 1 else f'src="data:image/svg+xml;n={n};base64,{data}"'

    return _SVG_SRC.sub(own, html)


_MIME = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
}


@lru_cache(maxsize=256)
def _data_url(source: Path, src: str) -> str:
    """A local picture (``src``: relative to the source folder) as a ``data:`` URL; a
    missing or remote one stays as written (the load stage reported it)."""
    from ..notes.media import resolve_image

    path, problem = resolve_image(source, "course.yaml", unquote(html_lib.unescape(src)))
    if path is None or problem:
        return src
    mime = _MIME.get(path.suffix.lower(), "application/octet-stream")
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


# --------------------------------------------------------------------------
# Typesetting jobs


def per_build(sheets: Callable[[Course, BuildOptions], list[Sheet]]):
    """Make an artifact's ``sheets(course, options)`` render its HTML once per build: the
    pool's start, each artifact's build and the scheduling of the others all ask."""

    @functools.wraps(sheets)
    def once(course: Course, options: BuildOptions) -> list[Sheet]:
        key = (sheets.__module__, sheets.__qualname__)
        memo = options.context.memo
        known = memo.get(key)
        if known is None or known[0] is not course:  # type: ignore[index]
            known = memo[key] = (course, sheets(course, options))
        return known[1]  # type: ignore[index,return-value]

    return once


def save(path: Path, pdf: bytes, key: str, options: BuildOptions, result: ArtifactResult) -> None:
    """Write a PDF atomically and record it for the next incremental build and the report."""
    write_bytes(path, pdf)
    options.context.wrote(path, key)
    result.paths.append(path)


def stale(sheets: list[Sheet], options: BuildOptions) -> list[Sheet]:
    """The sheets whose PDF is missing or out of date (the others are kept as they are)."""
    return [s for s in sheets if not options.context.fresh(s.path, s.key)]


def typeset(sheets: list[Sheet], course: Course, options: BuildOptions) -> list[Printed]:
    """Fit and write ``sheets``, warning about characters no font can show.

    The print artifacts of a build share one pool of worker processes: the first
    call also starts the sheets of every other requested print artifact (any
    artifact module with a ``sheets(course, options)`` function), so the pool
    never waits for the pipeline to move on.
    """
    if not sheets:
        return []
    fonts = usercache.part("fonts")  # the fonts' character maps, kept
    if workers.count() <= 1:
        check_glyphs(course, options.source, fonts)
        return [print_sheet(sheet) for sheet in sheets]
    _schedule(course, options, sheets)
    try:
        check_glyphs(course, options.source, fonts)  # while the workers typeset
        done = []
        for sheet in sheets:
            options.context.progress(f"typesetting {sheet.path.name}", len(done), len(sheets))
            done.append(_pending.pop(sheet.key).result())
        return done
    except BaseException:
        # a failed or interrupted build does not wait for sheets nobody will write
        for future in _pending.values():
            future.cancel()
        _pending.clear()
        raise


def print_sheet(sheet: Sheet) -> Printed:
    """Fit ``sheet``'s type size to its page budget and write the PDF (in a worker).

    Blocks stay whole first; if that strands a page (see :data:`STRANDED`) or misses
    the budget, blocks may continue in the next column (:data:`RELAXED_CSS`). If even
    that needs more pages than the budget at the floor, the PDF has the fewest pages
    the floor allows and ``overflow`` is set: the caller warns, nothing stops.
    """
    from . import pdf

    with _fewer_collections():
        if sheet.store is not None and sheet.reuse:
            reused = _reuse_pages(sheet, sheet.store)
            if reused is not None:
                return reused
        args = (sheet.floor, sheet.ceiling, sheet.budget, sheet.enough, sheet.start)
        try:
            best = fit.fit(pdf.Typesetter(sheet.html), *args)
            if not _stranded(best.fills):
                widened, columns = _widened(sheet, best, "")
                if sheet.store is not None and not columns:
                    return _paged(sheet, sheet.store, widened)
                return _done(sheet, widened, columns)
        except fit.NoFit:
            pass
        try:
            best = fit.fit(pdf.Typesetter(sheet.html, RELAXED_CSS), *args)
        except fit.NoFit as failed:
            best = _labelled(sheet, failed.at_floor, budget=None)
            log.info("%s: needs %d pages at %g pt", sheet.path, best.pages, best.font_pt)
            return Printed(best.font_pt, best.fills, pdf.write_pdf([best]), overflow=True)
        best, columns = _widened(sheet, best, RELAXED_CSS)
        if columns:
            return _done(sheet, best, columns)
        return _done(sheet, _labelled(sheet, best, sheet.budget))


_SECTION = '<section class="video" id="{ident}" data-title="'


def _labelled(sheet: Sheet, best: pdf_module.Typeset, budget: int | None) -> pdf_module.Typeset:
    """The relaxed layout with "12 Title (cont.)" where a video continues at the top of
    a column. A label moves what follows it, so they are placed one at a time, column
    after column, each costing one render at the same size; a label that would change
    the page count is left out (with the ones after it)."""
    from . import pdf

    html, layout = sheet.html, best
    for _ in range(MAX_LABELS):
        marks = pdf.continuations(layout.document)
        if not marks:
            break
        labelled_html = _insert_label(html, *marks[0])
        if labelled_html == html:
            break
        labelled = pdf.Typesetter(labelled_html, RELAXED_CSS)(best.font_pt)
        if labelled.pages != best.pages or (budget is not None and labelled.pages > budget):
            break
        html, layout = labelled_html, labelled
    return layout


def _insert_label(html: str, ident: str, kind: str, index: str) -> str:
    """``html`` with a "(cont.)" label before key point / question ``index`` of a video."""
    start = html.find(_SECTION.format(ident=ident))
    if start < 0:
        return html
    title_at = start + len(_SECTION.format(ident=ident))
    title = html[title_at : html.find('"', title_at)]
    label = f'<p class="cont">{title} (cont.)</p>'
    end = html.find("</section>", start)
    if kind == "k":
        first, tag, close = '<ul class="points', f'<li data-k="{index}"', "</ul>"
    else:
        first, tag, close = '<dl class="qa', f'<div class="q" data-q="{index}"', "</dl>"
    at = html.find(tag, start, end)
    opened = html.rfind(first, start, at) if at >= 0 else -1
    if opened < 0:
        return html
    if index == "1":  # the list itself opens the column: the label goes before it
        return html[:opened] + label + html[opened:]
    opening = html[opened : html.index(">", opened) + 1]  # the list again, as it was
    return html[:at] + close + label + opening + html[at:]


def _widened(sheet: Sheet, best: pdf_module.Typeset, css: str) -> tuple[pdf_module.Typeset, int]:
    """A one-page sheet left mostly empty at the largest type: fewer, wider columns,
    as long as the page still holds everything (the fuller layout wins)."""
    from . import pdf

    if sheet.budget != 1 or best.pages != 1:
        return best, 0
    columns, used = sheet.columns, 0
    while columns > 1 and best.font_pt >= sheet.ceiling - fit.GRID_PT and best.fills[0] < SPARSE:
        columns -= 1
        wider = pdf.Typesetter(sheet.html, f"{css}\n.flow {{ columns: {columns} !important; }}")
        try:
            tried = fit.fit(wider, sheet.floor, sheet.ceiling, 1, sheet.enough, sheet.ceiling)
        except fit.NoFit:
            break
        if tried.fills[0] <= best.fills[0]:
            break
        best, used = tried, columns
    return best, used


def _done(sheet: Sheet, best: pdf_module.Typeset, columns: int = 0) -> Printed:
    from . import pdf

    log.info("%s: %g pt, %d page(s)", sheet.path, best.font_pt, best.pages)
    return Printed(best.font_pt, best.fills, pdf.write_pdf([best]), columns=columns)


def _stranded(fills: tuple[float, ...]) -> bool:
    """A page, not the last, less full than :data:`STRANDED`."""
    return any(fill < STRANDED for fill in fills[:-1])


def _paged(sheet: Sheet, store: pages.Store, best: pdf_module.Typeset) -> Printed:
    """Write ``best`` page by page, keeping each page for the next build's reuse (the
    whole PDF in one piece when the layout cannot be cut into pages)."""
    from . import pdf

    flow = pages.Flow.parse(sheet.html)
    spans = pages.ranges(flow, best.document) if flow is not None else None
    if flow is None or spans is None:
        return _done(sheet, best)
    pdfs = pdf.write_pages(best)
    marks = pdf.bookmarks(best)
    kept = []
    for k, span in enumerate(spans, 1):
        key = flow.document(k, span, len(spans), sheet.settings, best.font_pt)[0]
        kept.append(store.keep(key, pdfs[k - 1], best.fills[k - 1], marks[k - 1]))
    log.info("%s: %g pt, %d page(s)", sheet.path, best.font_pt, best.pages)
    frame = flow.frame(sheet.settings)
    plan = pages.Plan(frame, best.font_pt, len(flow.parts), tuple(spans), tuple(kept))
    return Printed(best.font_pt, best.fills, pages.join(pdfs, kept), plan=plan)


def _reuse_pages(sheet: Sheet, store: pages.Store) -> Printed | None:
    """The sheet from the last build's pages, laying out again only those whose page
    document changed; None when that would not give what a whole layout gives."""
    from . import pdf

    plan, flow = store.plan(), pages.Flow.parse(sheet.html)
    if (
        plan is None
        or flow is None
        or sheet.budget is not None
        or plan.frame != flow.frame(sheet.settings)
        or plan.font_pt != sheet.floor
        or plan.parts != len(flow.parts)
    ):
        return None
    total = len(plan.ranges)
    pdfs, kept, again = [], [], 0
    for k, (span, old) in enumerate(zip(plan.ranges, plan.pages, strict=True), 1):
        key, html, css = flow.document(k, span, total, sheet.settings, plan.font_pt)
        data = store.kept_page(old) if key == old.key else None
        if data is not None:
            pdfs.append(data)
            kept.append(old)
            continue
        laid = pdf.Typesetter(html, css)(plan.font_pt)
        if not pages.holds(flow, span, laid.document):
            log.info("%s: page %d breaks elsewhere now: laid out whole", sheet.path, k)
            return None
        data = pdf.write_pages(laid, first=1)[0]
        pdfs.append(data)
        kept.append(store.keep(key, data, laid.fills[0], pdf.bookmarks(laid)[0]))
        again += 1
    fills = tuple(page.fill for page in kept)
    # what a whole layout would decide: relax the blocks, or grow the type
    whole = pdf.Typeset(plan.font_pt, fills, document=None)
    if _stranded(fills) or not fit.settled(whole, sheet.ceiling, sheet.enough):
        return None
    log.info("%s: %d of %d page(s) laid out again", sheet.path, again, total)
    new_plan = pages.Plan(plan.frame, plan.font_pt, plan.parts, plan.ranges, tuple(kept))
    return Printed(plan.font_pt, fills, pages.join(pdfs, kept), plan=new_plan)


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Layout makes millions of short-lived objects: collecting less often saves ~10%."""
    before = gc.get_threshold()
    gc.set_threshold(50_000, 20, 20)
    try:
        yield
    finally:
        gc.set_threshold(*before)


_pending: dict[str, Future[Printed]] = {}


def start(course: Course, options: BuildOptions) -> None:
    """Start typesetting every stale sheet in the worker pool, before any artifact is
    built, so the pool works while the pipeline builds the others (the deck)."""
    if workers.count() > 1:
        _schedule(course, options, [])


def _schedule(course: Course, options: BuildOptions, sheets: list[Sheet]) -> None:
    """Submit ``sheets`` and the stale sheets of the other requested print artifacts."""
    sheets = list(sheets)
    for name in options.only:
        module = importlib.import_module(ARTIFACTS[name])
        if hasattr(module, "sheets"):
            sheets += stale(module.sheets(course, options), options)
    done = options.context.outputs  # written (or kept) earlier in this build
    new = list(
        {
            s.key: s
            for s in sheets
            if s.key not in _pending and done.get(recorded(s.path)) != s.key
        }.values()
    )
    if not new:
        return
    pool = workers.shared()  # started by the pipeline's warm-up, or now
    assert pool is not None
    # biggest first, so the last to finish is a small one
    for sheet in sorted(new, key=lambda s: -_work(s)):
        _pending[sheet.key] = pool.submit(print_sheet, sheet)


def in_worker(job: Callable[..., T], *args: Any) -> T:
    """``job(*args)`` in a worker process if one is free (workers have imported pikepdf
    before their first sheet: this process need not), else here at once rather than
    behind the sheets still typesetting."""
    busy = sum(not future.done() for future in _pending.values())
    pool = workers.running()
    if pool is None or busy >= workers.count():
        return job(*args)
    return pool.submit(job, *args).result()


def _work(sheet: Sheet) -> float:
    """About how much typesetting ``sheet`` takes, for the order of the jobs: the HTML's
    length is a good enough measure, except for a sheet whose pages the last build
    kept, which is counted as two of its pages (an edit usually lays out one page, with
    what opened the next; a guess: the plan may yet turn out unusable)."""
    plan = sheet.store.plan() if sheet.store is not None and sheet.reuse else None
    if plan is None or not plan.pages:
        return len(sheet.html)
    return 2 * len(sheet.html) / len(plan.pages)


def ready_to_typeset() -> None:
    """What every worker needs before its first sheet, done once in the first worker
    (the others are forked from it): WeasyPrint and pikepdf imported, the fonts
    configured, and one small render (hyphenation dictionary, font files, cffi types)."""
    from . import pdf

    pdf.load()
    import pikepdf  # noqa: F401 — the sheets are joined with it

    from . import joining  # noqa: F401 — also a job of its own (handouts.pdf)

    pdf.warm_up()


def new_build() -> None:
    """Forget what one build learnt (called when the next starts, as in ``watch``): a
    picture may have changed on disk, and a warning is said again in every build."""
    _data_url.cache_clear()
    _warn_once.cache_clear()


def stop_workers() -> None:
    """End the worker processes now, running sheets included (``watch`` stopping)."""
    for future in _pending.values():
        future.cancel()
    _pending.clear()
    workers.stop()


@cache
def _version(package: str) -> str:
    from ..installed import version

    return version(package) or ""


# --------------------------------------------------------------------------
# Characters no font can show


def check_glyphs(course: Course, source: Path, kept: Path | None = None) -> list[Diagnostic]:
    """Warn (once per character per process) about characters no font can show.

    The fonts are those named in ``font-family`` declarations of ``print.css`` and in
    ``print.fonts``, then every installed font (WeasyPrint falls back to them).
    ``kept``: where the named fonts' character maps are kept between builds.
    """
    from ..errors import Diagnostic
    from ..templating import read_asset
    from . import pdf

    css = read_asset(STYLESHEET, course.config.templates)
    families = tuple(dict.fromkeys((*pdf.css_font_families(css), *course.config.print.fonts)))
    texts = list(_printed_texts(course))
    missing = pdf.missing_chars("".join(text for _, text in texts), families, kept)
    found: list[Diagnostic] = []
    for family in course.config.print.fonts:
        if pdf.installed(family) is False:
            found.append(
                Diagnostic(
                    str(course.config.path),
                    0,
                    f"print.fonts: no installed font is called {family!r} (fc-list does not "
                    "know it); install it or fix the name — the printouts use the next font",
                )
            )
    for char in sorted(missing):
        places = [_line_of(loc, text, char) for loc, text in texts if char in text]
        count = sum(text.count(char) for _, text in texts)
        more = f" ({count} times; this is the first)" if count > 1 else ""
        found.append(
            Diagnostic(
                str(source / places[0].file),
                places[0].line,
                f"character {char!r} (U+{ord(char):04X}) cannot be shown by any configured "
                f"or installed font{more}; replace it, or install a font that has it "
                "(and name it in print.fonts in course.yaml)",
            )
        )
    for diagnostic in found:
        _warn_once(str(diagnostic))
    return found


@cache
def _warn_once(message: str) -> None:
    # Cached: the cheat sheets and the handouts show the same notes; say it once.
    log.warning("%s", message)


def _printed_texts(course: Course) -> Iterator[tuple[Location, str]]:
    """Every piece of user text a printout may show, with where it starts."""
    from ..notes.model import Location

    yield Location(course.config.path.name, 0), course.title
    for block in course.front_matter:  # the cheat sheet opens with it
        yield block.loc, block.text
    for topic in course.topics:
        yield topic.loc, topic.title
        for video in topic.videos:
            yield video.loc, video.title
            for block in video.context:  # handouts print it
                yield block.loc, block.text
            for point in video.key_points:
                yield point.loc, point.text
            for question in video.questions:
                yield question.loc, question.prompt
                yield question.answer_loc, question.answer


def _line_of(start: Location, text: str, char: str) -> Location:
    """The location of the first ``char`` in ``text``, which starts at ``start``."""
    from ..notes.model import Location

    return Location(start.file, start.line + text[: text.index(char)].count("\n"))
