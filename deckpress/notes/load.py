"""Load stage: ``course.yaml`` + notes -> one validated :class:`~deckpress.notes.model.Course`.

Every problem in the config, the notes and how they fit together is collected
and raised at once as a :class:`~deckpress.errors.ContentError`.
"""

from __future__ import annotations

import logging
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ContentError, Diagnostic
from .config import CONFIG_NAME, CourseConfig, read_config, slugify
from .model import Course, Location, Notes, Topic, unit_word
from .parse import Coverage, parse_source

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Loaded:
    """A validated course plus the warnings found on the way."""

    course: Course
    notes: Notes
    warnings: tuple[Diagnostic, ...]
    coverage: Coverage = field(default_factory=Coverage)
    """What became of every non-blank line of the notes."""


def load_course(source: Path, display: str | None = None) -> Loaded:
    """Read ``source/course.yaml`` and the notes; validate; return the course model.

    Raises :class:`ContentError` with every problem found (config, notes, topics).
    """
    shown = display if display is not None else str(source)
    config_shown = f"{shown}/{CONFIG_NAME}"
    config, errors = read_config(source / CONFIG_NAME, config_shown)
    parsed = parse_source(source, shown, config.notes if config is not None else None)
    errors.extend(parsed.errors)
    course = None
    if config is not None and parsed.notes.units:
        course = assemble(config, parsed.notes, shown, config_shown, errors)
    if errors or course is None:
        raise ContentError(errors)
    return Loaded(course, parsed.notes, tuple(parsed.warnings), parsed.coverage)


def assemble(
    config: CourseConfig, notes: Notes, shown: str, config_shown: str, errors: list[Diagnostic]
) -> Course | None:
    """Group units into the configured topics, appending any problem to ``errors``."""
    by_number = {unit.number: unit for unit in notes.units}
    word = _unit_word(notes)
    numbers = sorted(by_number)
    owner: dict[int, str] = {}
    topics = []
    config_name = Path(config_shown).name
    for index, tc in enumerate(config.topics, 1):
        for end, number in (("starts", tc.first), ("ends", tc.last)):
            if number not in by_number:
                errors.append(
                    Diagnostic(
                        config_shown,
                        tc.line,
                        f"topic {tc.title!r} {end} at {word} {number}, but the notes have no "
                        f"{word} {number}; fix its 'units' range",
                    )
                )
        for other in config.topics[: index - 1]:
            if tc.first <= other.last and other.first <= tc.last:
                low, high = max(tc.first, other.first), min(tc.last, other.last)
                span = f"{word} {low} is" if low == high else f"{word}s {low}–{high} are"
                errors.append(
                    Diagnostic(
                        config_shown,
                        tc.line,
                        f"{span} in two topics: {other.title!r} and {tc.title!r}; "
                        "make the ranges not overlap",
                    )
                )
        # only the videos the notes have: a range typo like 1-2000000000 costs nothing,
        # and each topic looks at its own range only (bisect), not at every unit
        inside = numbers[bisect_left(numbers, tc.first) : bisect_right(numbers, tc.last)]
        members = [by_number[n] for n in inside if n not in owner]
        owner.update((video.number, tc.title) for video in members)
        topics.append(
            Topic(
                index=index,
                title=tc.title,
                slug=f"{index:02d}-{slugify(tc.title)}",
                focus=tc.focus,
                units=tuple(members),
                handout_answers=tc.handout_answers or config.print.handouts.answers,
                loc=Location(config_name, tc.line),
            )
        )
    for unit in notes.units:
        if unit.number not in owner:
            name = (
                f"{word} {unit.number}"
                if unit.numbered
                else f"{word} {unit.title!r} (number {unit.number})"
            )
            errors.append(
                Diagnostic(
                    f"{shown}/{unit.loc.file}",
                    unit.loc.line,
                    f"{name} is in no topic; add it to a topic's 'units' range in {config_shown}",
                )
            )
    if errors:
        return None
    return Course(config=config, front_matter=notes.front_matter, topics=tuple(topics))


def _unit_word(notes: Notes) -> str:
    """How messages name a unit: the notes' own word, lower case (``video``, ``lecture``)."""
    return (unit_word(notes.units) or "unit").lower()
