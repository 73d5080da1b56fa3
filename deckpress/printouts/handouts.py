"""One-page handouts: ``handouts/NN-topic-slug.pdf`` per topic, and ``handouts.pdf``
with all of them in course order, for printing in one go.

Each handout is set in the largest type that fits exactly one page; a topic that
does not fit even at the legibility floor is written on as few pages as the floor
needs, with a warning naming the topic and what would make it fit (the other
handouts and the build go on).
"""

from __future__ import annotations

import functools
import html as html_lib
import logging
import math
import re
from collections.abc import Callable
from pathlib import Path

from ..build.incremental import fingerprint
from ..build.pipeline import ArtifactResult, BuildOptions
from ..notes.model import Course, Topic
from . import joining, printing
from .printing import Printed, Sheet, page_context, render_html, save, stale, start, typeset

log = logging.getLogger(__name__)

TEMPLATE = "print-handout.html"
FOLDER = "handouts"
COMBINED = "handouts.pdf"
_HANDOUT_NAME = re.compile(r"^\d{2,}-.+\.pdf$")
DEMAND_PER_CHAR = 1.58e-6
"""How much of an A4 handout page (built-in template) one character of text fills, per
pt² of type size. With :data:`DEMAND_PER_BLOCK`, the model the search for each
handout's type size starts from: ``fill ≈ DEMAND_PER_CHAR·chars·size² +
DEMAND_PER_BLOCK·blocks·size``. Least squares over 100 handouts of the real notes
(the course's 15 topics and six other groupings of its 84 videos), laid out at 8, 10
and 12 pt."""
DEMAND_PER_BLOCK = 3.24e-4
"""How much of the page each block (paragraph, list item, heading, table row) fills
beyond its text, per pt of type size: its last line's unused part and its margins."""
FIRST_FILL = 0.92
"""The fill the first guess aims at: a little above :data:`FULL_ENOUGH`, and far enough
below a full page that a block moved to a second page is rare, so that most handouts
fit in one render. On 99 handouts (the real notes' 15 topics and six other groupings of
its 84 videos) the search took 118 renders (aiming at 0.93 with 0.92 enough: 135, for
0.04 pt more type on average; a guess from the character count alone, aiming at the
middle of the page's last tenth: 163 on the 100 handouts of the first measurement)."""
FULL_ENOUGH = 0.90
"""The size search stops at a size that fits and fills the page at least this much (or
when it is within :data:`deckpress.printouts.fit.STEP_PT` of the largest that fits): the last
0.1–0.2 pt cost two or three more renders each, and nobody sees them."""
PAPER_AREA = {"a4": 210 * 297, "letter": 215.9 * 279.4}
"""Paper area in mm²."""


__all__ = ["build", "sheets", "start"]
"""``start`` is the pipeline's hook that sets every stale PDF of the build typesetting
(the worker processes were started before the notes loaded: see
:data:`deckpress.build.artifacts.WARM_UP`)."""


def build(course: Course, options: BuildOptions) -> ArtifactResult:
    """Write one PDF per topic plus the combined ``handouts.pdf``."""
    every = sheets(course, options)
    todo = stale(every, options)
    printed = dict(zip(todo, typeset(todo, course, options), strict=True))
    _warn_on_overflow(course, every, printed, options.source)
    result = ArtifactResult()
    for sheet, done in printed.items():
        save(sheet.path, done.pdf, sheet.key, options, result)
    _remove_stale(options.out / FOLDER, {sheet.path.name for sheet in every})
    # all handouts, one after another: from this build's PDFs or the ones kept on disk
    combined = options.out / COMBINED
    key = fingerprint([sheet.key for sheet in every])
    if not options.context.fresh(combined, key):
        pdfs = [printed[s].pdf if s in printed else s.path.read_bytes() for s in every]
        title = f"{course.title} — handouts"
        joined = printing.in_worker(joining_job(title), [pdf for pdf in pdfs if pdf])
        save(combined, joined, key, options, result)
    result.report.append(_summary(printed, len(every)))
    result.report.extend(_fills(every, printed))
    return result


@printing.per_build  # the HTML of a build's sheets is rendered once
def sheets(course: Course, options: BuildOptions) -> list[Sheet]:
    """Every topic's handout as a typesetting job."""
    config = course.config.print
    page = page_context(course, config.handouts, options.paper)
    jobs = []
    for topic in course.topics:
        html = _html(course, topic, page)
        jobs.append(
            Sheet(
                options.out / FOLDER / f"{topic.slug}.pdf",
                html,
                config.min_font_pt,
                config.max_font_pt,
                budget=1,
                enough=FULL_ENOUGH,
                start=first_guess(html, str(page["paper"])),
                columns=int(page["columns"]),
            )
        )
    return jobs


def first_guess(html: str, paper: str) -> float:
    """The type size (pt) at which ``html``'s text about fills :data:`FIRST_FILL` of a
    page (where the search starts): the positive root of the quadratic in
    :data:`DEMAND_PER_CHAR`'s model, for a page of ``paper``'s area."""
    body = html[html.find("<body") :].replace(BULLET, "")
    text = re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", body))).strip()
    chars = max(len(text), 1)
    blocks = len(_BLOCK.findall(body))
    fill = FIRST_FILL * PAPER_AREA[paper] / PAPER_AREA["a4"]
    a, b = DEMAND_PER_CHAR * chars, DEMAND_PER_BLOCK * blocks
    return round((-b + math.sqrt(b * b + 4 * a * fill)) / (2 * a), 2)


_BLOCK = re.compile(r"<(?:li|p|dt|dd|h[1-6]|pre|tr)\b")
BULLET = "&#x2022;&#xa0;"
"""How the built-in template starts a key point: its bullet, as text (not counted as
text by :func:`first_guess`: the model was measured with the list's own markers)."""


def _html(course: Course, topic: Topic, page: dict[str, object]) -> str:
    return render_html(
        course,
        TEMPLATE,
        topic=topic,
        answers=topic.handout_answers,
        context=course.config.print.handouts.context,
        topic_count=len(course.topics),
        page=page,
    )


def _warn_on_overflow(
    course: Course, sheets: list[Sheet], printed: dict[Sheet, Printed], source: Path
) -> None:
    """Warn about every topic that needs more than one page even at the floor."""
    floor = course.config.print.min_font_pt
    for topic, sheet in zip(course.topics, sheets, strict=True):
        done = printed.get(sheet)
        if done is None or not done.overflow:
            continue
        drop = {
            "full": "set `handout_answers: short` (or `none`) for it",
            "short": "set `handout_answers: none` for it",
        }.get(topic.handout_answers)
        fixes = ", ".join(f for f in ("split it into two topics", drop) if f)
        log.warning(
            "%s:%d: topic %r does not fit on one page even at %g pt: its handout has %d "
            "pages; to fit one page: %s in %s, or lower print.min_font_pt",
            source / topic.loc.file,
            topic.loc.line,
            topic.label,
            floor,
            done.pages,
            fixes,
            topic.loc.file,
        )


def _fills(sheets: list[Sheet], printed: dict[Sheet, Printed]) -> list[str]:
    """One line per handout typeset in this build: its pages, type size and fill."""
    lines = []
    for sheet in sheets:
        done = printed.get(sheet)
        if done is not None:
            fills = ", ".join(f"{fill:.0%}" for fill in done.fills)
            columns = done.columns or sheet.columns
            fewer = " (fewer, wider: the topic is small)" if done.columns else ""
            lines.append(
                f"  {sheet.path.name}: {done.pages} page(s), type {done.font_pt:g} pt, "
                f"{columns} column(s){fewer}, filled {fills}"
            )
    return lines


def joining_job(title: str) -> Callable[[list[bytes]], bytes]:
    """The job that joins the handouts' PDFs into ``handouts.pdf`` in a worker, page after
    page, each with its own outline (same inputs, same bytes): :func:`.joining.join`,
    which the workers import before their first sheet. (A function of this module would
    make the worker import it to unpickle the job, with the templates and the notes
    model: ~25 ms at the end of every build that rewrites ``handouts.pdf``.)"""
    return functools.partial(joining.join, title=title)


def _summary(printed: dict[Sheet, Printed], total: int) -> str:
    if not printed:
        return f"handouts: {total} up to date"
    sizes = sorted(done.font_pt for done in printed.values())
    over = sum(done.overflow for done in printed.values())
    pages = f"on one page each, {over} on more (see the warnings)" if over else "on one page each"
    return (
        f"handouts: {len(printed)} of {total} typeset {pages}, type {sizes[0]:g}–{sizes[-1]:g} pt"
    )


def _remove_stale(folder: Path, current: set[str]) -> None:
    """Delete handouts of topics that no longer exist (renamed, split or removed)."""
    for path in sorted(folder.glob("*.pdf")):
        if _HANDOUT_NAME.match(path.name) and path.name not in current:
            log.info("removing the handout of a topic that is gone: %s", path)
            path.unlink()
