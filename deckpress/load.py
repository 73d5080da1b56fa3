"""Load stage: ``course.yaml`` + notes -> one validated :class:`~deckpress.model.Course`.

Every problem in the config, the notes and how they fit together is collected
and raised at once as a :class:`~deckpress.errors.ContentError`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from .config import CONFIG_NAME, CourseConfig, read_config, slugify
from .errors import ContentError, Diagnostic
from .model import Course, Location, Notes, Topic
from .parse import parse_source

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Loaded:
    """A validated course plus the warnings found on the way."""

    course: Course
    notes: Notes
    warnings: tuple[Diagnostic, ...]


def load_course(source: Path, display: str | None = None) -> Loaded:
    """Read ``source/course.yaml`` and the notes; validate; return the course model.

    Raises :class:`ContentError` with every problem found (config, notes, topics).
    """
    shown = display if display is not None else str(source)
    config_shown = f"{shown}/{CONFIG_NAME}"
    config, errors = read_config(source / CONFIG_NAME, config_shown)
    parsed = parse_source(source, shown)
    errors.extend(parsed.errors)
    course = None
    if config is not None and parsed.notes.videos:
        course = assemble(config, parsed.notes, shown, config_shown, errors)
    if errors or course is None:
        raise ContentError(errors)
    return Loaded(course, parsed.notes, tuple(parsed.warnings))


def assemble(
    config: CourseConfig, notes: Notes, shown: str, config_shown: str, errors: list[Diagnostic]
) -> Course | None:
    """Group videos into the configured topics, appending any problem to ``errors``."""
    by_number = {video.number: video for video in notes.videos}
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
                        f"topic {tc.title!r} {end} at video {number}, but the notes have no "
                        f"video {number}; fix its 'videos' range",
                    )
                )
        for other in config.topics[: index - 1]:
            if tc.first <= other.last and other.first <= tc.last:
                low, high = max(tc.first, other.first), min(tc.last, other.last)
                span = f"video {low} is" if low == high else f"videos {low}–{high} are"
                errors.append(
                    Diagnostic(
                        config_shown,
                        tc.line,
                        f"{span} in two topics: {other.title!r} and {tc.title!r}; "
                        "make the ranges not overlap",
                    )
                )
        # only the videos the notes have: a range typo like 1-2000000000 costs nothing
        members = [by_number[n] for n in numbers if tc.first <= n <= tc.last and n not in owner]
        owner.update((video.number, tc.title) for video in members)
        topics.append(
            Topic(
                index=index,
                title=tc.title,
                slug=f"{index:02d}-{slugify(tc.title)}",
                focus=tc.focus,
                videos=tuple(members),
                handout_answers=tc.handout_answers or config.print.handouts.answers,
                loc=Location(config_name, tc.line),
            )
        )
    for video in notes.videos:
        if video.number not in owner:
            errors.append(
                Diagnostic(
                    f"{shown}/{video.loc.file}",
                    video.loc.line,
                    f"video {video.number} is in no topic; add it to a topic's 'videos' range "
                    f"in {config_shown}",
                )
            )
    if errors:
        return None
    return Course(config=config, front_matter=notes.front_matter, topics=tuple(topics))
