"""The notes model: frozen dataclasses, each carrying where it came from.

Every artifact (deck, cheat sheet, handouts, reports) is a view of a
:class:`Course`. Text fields hold the user's markdown source verbatim;
renderers turn it into HTML. Nothing here knows about Anki or PDF.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .config import CourseConfig


@dataclass(frozen=True, order=True)
class Location:
    """A place in a source file."""

    file: str
    """File name relative to the source folder, e.g. ``part1.md``."""
    line: int
    """1-based line number."""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class KeyPoint:
    """One list item under a key-points label ("What to remember")."""

    text: str
    """Markdown source of the bullet, without its list marker."""
    loc: Location
    """Where the bullet starts."""


@dataclass(frozen=True)
class Question:
    """One question with its answer."""

    label: str
    """The label as written (``Q1``, ``Q``, ``Question``, ``1``), or ``""`` when none."""
    prompt: str
    """Markdown source of the question, without its label and bold markers."""
    answer: str
    """Markdown source of the answer; may span paragraphs, lists and code blocks."""
    loc: Location
    """Where the question starts."""
    answer_loc: Location
    """Where the answer starts."""


@dataclass(frozen=True)
class Block:
    """One top-level markdown block kept as it was written (context or front matter)."""

    text: str
    """Markdown source, container indentation and surrounding blank lines removed."""
    loc: Location
    """Where the block starts."""


@dataclass(frozen=True)
class Unit:
    """One unit of the course: a video, lecture, lesson, chapter, day, week …"""

    number: int
    """The number from the heading (``Lecture 12 — …``); position in the course when the
    headings carry none (see :attr:`numbered`)."""
    title: str
    """Heading text after the unit word, number and separator, markdown source."""
    key_points: tuple[KeyPoint, ...]
    """List items under a key-points label ("What to remember", "TL;DR" …), in order."""
    questions: tuple[Question, ...]
    """Questions with their answers, in order."""
    loc: Location
    """Where the unit heading is."""
    context: tuple[Block, ...] = ()
    """Every other block of the unit (prose, tables, pictures, code, sub-sections), in order."""
    unit_word: str | None = "Video"
    """The word before the number as written (``Lecture``, ``Vidéo``), or ``None``."""
    numbered: bool = True
    """``False`` when the heading has no number and :attr:`number` is the position."""

    @property
    def texts(self) -> tuple[str, ...]:
        """Every markdown text of the unit: key points, prompts, answers, context (where a
        footnote used anywhere in the unit may be defined)."""
        return (
            *(p.text for p in self.key_points),
            *(t for q in self.questions for t in (q.prompt, q.answer)),
            *(b.text for b in self.context),
        )

    @property
    def label(self) -> str:
        """``Lecture 12``, ``12`` or ``""`` (unnumbered): how cards and printouts name it."""
        if not self.numbered:
            return ""
        return f"{self.unit_word} {self.number}" if self.unit_word else str(self.number)

    @property
    def heading(self) -> str:
        """``Lecture 12 — Title`` (markdown source), or just the title when unnumbered."""
        if self.label and self.title:
            return f"{self.label} — {self.title}"
        return self.label or self.title


Video = Unit
"""The first user's word for a unit; kept as an alias."""


def unit_word(units: Iterable[Unit]) -> str | None:
    """The notes' word for a unit (``Lecture``, ``Vidéo``), as its first unit writes it;
    ``None`` when no unit has a word."""
    return next((u.unit_word for u in units if u.unit_word), None)


def plural(word: str | None) -> str:
    """``lectures`` for messages; ``units`` where English plural rules may not apply."""
    if word and word.isascii() and not word.lower().endswith("s"):
        return f"{word.lower()}s"
    return "units"


@dataclass(frozen=True)
class Notes:
    """Everything the parser read from ``source/``, before the course config is applied."""

    files: tuple[str, ...]
    """The notes files read, in reading order (relative to the source folder)."""
    front_matter: tuple[Block, ...]
    """Blocks before the first unit of each file (and after a heading that ends a unit),
    in reading order."""
    units: tuple[Unit, ...]
    """Every unit, in reading order."""

    @property
    def videos(self) -> tuple[Unit, ...]:
        return self.units


@dataclass(frozen=True)
class Topic:
    """A section of the course: a run of consecutive units (from ``course.yaml``)."""

    index: int
    """1-based position in the course; shown zero-padded (``01``)."""
    title: str
    """Topic title as written in ``course.yaml``."""
    slug: str
    """File-name-safe id, e.g. ``05-loss-functions-backpropagation``."""
    focus: bool
    """Interview priority: included in the focus cheat sheet and tagged."""
    units: tuple[Unit, ...]
    """The topic's units in number order."""
    handout_answers: str
    """``full`` / ``short`` / ``none``: how answers appear on this topic's handout."""
    loc: Location
    """Where the topic is declared in ``course.yaml``."""

    @property
    def videos(self) -> tuple[Unit, ...]:
        return self.units

    @property
    def label(self) -> str:
        """``05 Loss functions & backpropagation``: sorts in course order."""
        return f"{self.index:02d} {self.title}"


@dataclass(frozen=True)
class Course:
    """The whole course: the one model every artifact is rendered from."""

    config: CourseConfig
    """The validated ``course.yaml``."""
    front_matter: tuple[Block, ...]
    """Blocks before the first unit of each file."""
    topics: tuple[Topic, ...]
    """Topics in course order."""

    @property
    def title(self) -> str:
        return self.config.title

    @property
    def units(self) -> Iterator[Unit]:
        """Every unit in course order."""
        for topic in self.topics:
            yield from topic.units

    @property
    def videos(self) -> Iterator[Unit]:
        return self.units

    @property
    def focus_topics(self) -> tuple[Topic, ...]:
        return tuple(t for t in self.topics if t.focus)

    def topic_of(self, unit_number: int) -> Topic:
        for topic in self.topics:
            if any(u.number == unit_number for u in topic.units):
                return topic
        raise KeyError(unit_number)
