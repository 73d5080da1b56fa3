"""The notes model: frozen dataclasses, each carrying where it came from.

Every artifact (deck, cheat sheet, handouts, reports) is a view of a
:class:`Course`. Text fields hold the user's markdown source verbatim;
renderers turn it into HTML. Nothing here knows about Anki or PDF.
"""

from __future__ import annotations

from collections.abc import Iterator
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
    """One bullet under "What to remember"."""

    text: str
    """Markdown source of the bullet, without its list marker."""
    loc: Location
    """Where the bullet starts."""


@dataclass(frozen=True)
class Question:
    """One interview question with its answer."""

    label: str
    """The label as written (``Q1``), or ``""`` when the user wrote none."""
    prompt: str
    """Markdown source of the question, without its label and bold markers."""
    answer: str
    """Markdown source of the answer; may span paragraphs, lists and code blocks."""
    loc: Location
    """Where the question starts."""
    answer_loc: Location
    """Where the answer starts."""


@dataclass(frozen=True)
class Video:
    """One video's notes."""

    number: int
    """The video number from the heading (``Video 12 — …``)."""
    title: str
    """Heading text after the number, markdown source."""
    key_points: tuple[KeyPoint, ...]
    """Bullets under "What to remember", in order."""
    questions: tuple[Question, ...]
    """Interview questions, in order."""
    loc: Location
    """Where the video heading is."""
    intro: str = ""
    """Markdown between the heading and the first section, if any."""


@dataclass(frozen=True)
class FrontMatter:
    """Text that stands before the first video of a file (title, how-to-use)."""

    text: str
    """Markdown source, stripped of surrounding blank lines."""
    loc: Location
    """Where the text starts."""


@dataclass(frozen=True)
class Notes:
    """Everything the parser read from ``source/``, before the course config is applied."""

    files: tuple[str, ...]
    """The notes files read, in reading order (relative to the source folder)."""
    front_matter: tuple[FrontMatter, ...]
    """Per-file text before the first video, in reading order."""
    videos: tuple[Video, ...]
    """Every video, in reading order."""


@dataclass(frozen=True)
class Topic:
    """A section of the course: a run of consecutive videos (from ``course.yaml``)."""

    index: int
    """1-based position in the course; shown zero-padded (``01``)."""
    title: str
    """Topic title as written in ``course.yaml``."""
    slug: str
    """File-name-safe id, e.g. ``05-loss-functions-backpropagation``."""
    focus: bool
    """Interview priority: included in the focus cheat sheet and tagged."""
    videos: tuple[Video, ...]
    """The topic's videos in number order."""
    handout_answers: str
    """``full`` / ``short`` / ``none``: how answers appear on this topic's handout."""
    loc: Location
    """Where the topic is declared in ``course.yaml``."""

    @property
    def label(self) -> str:
        """``05 Loss functions & backpropagation``: sorts in course order."""
        return f"{self.index:02d} {self.title}"


@dataclass(frozen=True)
class Course:
    """The whole course: the one model every artifact is rendered from."""

    config: CourseConfig
    """The validated ``course.yaml``."""
    front_matter: tuple[FrontMatter, ...]
    """Text before the first video of each file."""
    topics: tuple[Topic, ...]
    """Topics in course order."""

    @property
    def title(self) -> str:
        return self.config.title

    @property
    def videos(self) -> Iterator[Video]:
        """Every video in course order."""
        for topic in self.topics:
            yield from topic.videos

    @property
    def focus_topics(self) -> tuple[Topic, ...]:
        return tuple(t for t in self.topics if t.focus)

    def topic_of(self, video_number: int) -> Topic:
        for topic in self.topics:
            if any(v.number == video_number for v in topic.videos):
                return topic
        raise KeyError(video_number)
