"""The cheat sheets: the whole course (``cheatsheet.pdf``) and its focus topics
(``cheatsheet-focus.pdf``), in dense columns, every page filled.

The type starts at the legibility floor (``print.min_font_pt``), which gives the
fewest pages; if the last page is then less than :data:`MIN_FILL` full, the type
grows until it is filled (see :mod:`deckpress.printouts.fit`).
"""

from __future__ import annotations

import logging
import re

from ..build.pipeline import ArtifactResult, BuildOptions
from ..notes.model import Course, Topic
from . import pages, printing
from .printing import Printed, Sheet, page_context, render_html, save, stale, start, typeset

log = logging.getLogger(__name__)

TEMPLATE = "print-cheatsheet.html"
WHOLE, FOCUS = "cheatsheet.pdf", "cheatsheet-focus.pdf"
MIN_FILL = 0.6
"""No page, the last included, may be emptier than this (while the type may still grow)."""


__all__ = ["build", "sheets", "start"]
"""``start`` is the pipeline's hook that sets every stale PDF of the build typesetting
(the worker processes were started before the notes loaded: see
:data:`deckpress.build.artifacts.WARM_UP`)."""


def build(course: Course, options: BuildOptions) -> ArtifactResult:
    """Write ``cheatsheet.pdf`` and, when some topics are marked ``focus``, the focus sheet."""
    result = ArtifactResult()
    every = sheets(course, options)
    todo = stale(every, options)
    for sheet, printed in zip(todo, typeset(todo, course, options), strict=True):
        save(sheet.path, printed.pdf, sheet.key, options, result)
        pages.Store.of(options.out, sheet.path).save(printed.plan)
        result.report.append(describe(sheet, printed))
        _warn_if_sparse(sheet, printed)
    for sheet in every:
        if sheet not in todo:
            result.report.append(f"{sheet.path.name}: up to date")
    if not course.focus_topics and (options.out / FOCUS).exists():
        log.info("no focus topics any more: removing %s", options.out / FOCUS)
        (options.out / FOCUS).unlink()
        pages.Store.of(options.out, options.out / FOCUS).save(None)
    return result


@printing.per_build  # the HTML of a build's sheets is rendered once
def sheets(course: Course, options: BuildOptions) -> list[Sheet]:
    """The cheat sheet of every topic, and of the focus topics when there are any."""
    variants = [(WHOLE, course.topics, False)]
    if course.focus_topics:
        variants.append((FOCUS, course.focus_topics, True))
    return [sheet(course, options, name, topics, focus) for name, topics, focus in variants]


def introduction(course: Course) -> tuple[str, ...]:
    """The front matter worth printing under the course title: not YAML metadata, not a
    heading that only repeats the title or announces the units."""
    title = re.sub(r"\W+", " ", course.title).strip().casefold()
    keep = []
    for block in course.front_matter:
        text = block.text.strip()
        if text.startswith("---\n") or not text:
            continue
        if text.startswith("#") and "\n" not in text:
            words = re.sub(r"\W+", " ", text.lstrip("#")).strip().casefold()
            if not words or words in title or title in words:
                continue
        keep.append(text)
    return tuple(keep)


def sheet(
    course: Course, options: BuildOptions, name: str, topics: tuple[Topic, ...], focus: bool
) -> Sheet:
    """The cheat sheet of ``topics`` as a typesetting job."""
    config = course.config.print
    html = render_html(
        course,
        TEMPLATE,
        topics=topics,
        focus=focus,
        answers=config.cheatsheet.answers,
        context=config.cheatsheet.context,
        front=introduction(course) if config.cheatsheet.front_matter and not focus else (),
        page=page_context(course, config.cheatsheet, options.paper),
    )
    path = options.out / name
    return Sheet(
        path,
        html,
        config.min_font_pt,
        config.max_font_pt,
        budget=None,
        enough=MIN_FILL,
        store=pages.Store.of(options.out, path) if _builtin_print(course) else None,
        reuse=not options.force,
    )


PRINT_TEMPLATES = ("print-base.html", TEMPLATE, "print-macros.html", printing.STYLESHEET)
"""What a cheat sheet is made from: when the course overrides none of them, its pages
can be laid out one at a time (:mod:`deckpress.printouts.pages` knows their shape)."""


def _builtin_print(course: Course) -> bool:
    folder = course.config.templates
    return folder is None or not any((folder / name).exists() for name in PRINT_TEMPLATES)


def describe(sheet: Sheet, printed: Printed) -> str:
    fills = ", ".join(f"{fill:.0%}" for fill in printed.fills)
    return (
        f"{sheet.path.name}: {printed.pages} page(s), type {printed.font_pt:g} pt, "
        f"pages filled {fills}"
    )


def _warn_if_sparse(sheet: Sheet, printed: Printed) -> None:
    sparse = [str(i) for i, fill in enumerate(printed.fills, 1) if fill < MIN_FILL]
    if not sparse:
        return
    why = (
        "even at print.max_font_pt; raise it, or use fewer columns or portrait pages"
        if printed.font_pt >= sheet.ceiling
        else "a video block may be taller than a column"
    )
    log.warning(
        "%s: page(s) %s less than %.0f%% full (%s)",
        sheet.path,
        ", ".join(sparse),
        MIN_FILL * 100,
        why,
    )
