"""The course model -> the deck's notes: fields (HTML), tags, clozes and media.

Nothing here knows about genanki or the package format; ``deck.py`` packs what
this module renders. Field HTML comes from :mod:`deckpress.render` (markdown-it,
raw HTML escaped) and the ``card_fields.html`` macros, then is made *Anki-safe*:
``{``, ``}`` and ``[`` become character references everywhere, and ``:`` too
inside a cloze, so Anki's cloze and ``[sound:…]`` parsers never see the user's
text while the browser still shows it verbatim.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

from markupsafe import Markup, escape

from ..errors import ContentError, Diagnostic
from ..notes.config import CourseConfig, deck_component, slugify
from ..notes.media import media_name, resolve_image
from ..notes.model import Course, Location, Topic, Unit, Video, unit_word
from ..render import FOOTNOTES, footnote_definitions, html_block, html_inline, with_footnotes
from ..templating import shared_env
from . import identity
from .clozes import anki_safe
from .clozes import cloze_bullet as cloze_point
from .identity import NoteRecord

if TYPE_CHECKING:
    from ..build.pipeline import BuildOptions
from .notetypes import KEYPOINTS, QA, SOURCE_FIELD, NoteType

FIELDS_TEMPLATE = "card_fields.html"
VIDEO_TAG_DIGITS = 3


@dataclass(frozen=True)
class SourceNote:
    """One note of the deck as the notes define it (before identity and rendering)."""

    kind: str
    """``qa`` or ``keypoints``."""
    video: int
    """Video number."""
    index: int
    """Position among the video's notes of this kind (0-based)."""
    topic: str
    """Topic label, e.g. ``05 Loss functions & backpropagation`` (also the subdeck name)."""
    parts: tuple[str, ...]
    """Markdown source: ``(question, answer)``, or one entry per key-point bullet."""
    locs: tuple[Location, ...]
    """Where each part starts."""
    due: int
    """Position in course order (new cards are studied in this order)."""
    origin: Video
    """The video it comes from."""
    section: Topic
    """The topic it belongs to."""


@dataclass(frozen=True)
class MediaFile:
    """A local image packed into the deck."""

    name: str
    """File name in Anki's media folder (``stem-<content hash>.ext``)."""
    path: Path
    """The file on disk."""


@dataclass(frozen=True)
class Rendered:
    """A note's Anki content."""

    note_type: NoteType
    fields: tuple[str, ...]
    """Field HTML in the note type's field order."""
    tags: tuple[str, ...]
    """Sorted, space-free."""
    media: tuple[MediaFile, ...] = ()
    source_file: str = ""
    """Notes file the note comes from (its line number is left out of the fingerprint)."""

    @property
    def fingerprint(self) -> str:
        """Changes exactly when Anki would show something else (line numbers aside)."""
        source = self.note_type.fields.index(SOURCE_FIELD)
        stable = [f for i, f in enumerate(self.fields) if i != source]
        data = json.dumps(
            [self.note_type.id, stable, self.source_file, self.tags], ensure_ascii=False
        )
        return hashlib.sha256(data.encode("utf-8")).hexdigest()[:16]


def collect(course: Course) -> tuple[SourceNote, ...]:
    """Every note of the deck in course order: per unit its key points, then its questions.

    New cards are *due* questions first, then key points: a key-point card shows the
    unit's other bullets, which must not answer a question still to come.
    """
    notes: list[SourceNote] = []
    for topic in course.topics:
        for video in topic.videos:
            common = dict(video=video.number, topic=deck_label(topic), origin=video, section=topic)
            first = len(notes) + 1
            if video.key_points:
                notes.append(
                    SourceNote(
                        kind=KEYPOINTS.kind,
                        index=0,
                        due=first + len(video.questions),
                        parts=tuple(p.text for p in video.key_points),
                        locs=tuple(p.loc for p in video.key_points),
                        **common,
                    )
                )
            for index, q in enumerate(video.questions):
                notes.append(
                    SourceNote(
                        kind=QA.kind,
                        index=index,
                        due=first + index,
                        parts=(q.prompt, q.answer),
                        locs=(q.loc, q.answer_loc),
                        **common,
                    )
                )
    return tuple(notes)


def deck_label(topic: Topic) -> str:
    """The subdeck name of a topic (``::`` would nest decks, so it is flattened)."""
    return deck_component(topic.label)


def tags_for(
    tag: str, kind: str, video: int, topic_slug: str, focus: bool, word: str = "video"
) -> tuple[str, ...]:
    """Hierarchical, space-free tags namespaced by the course tag.

    ``word`` names the unit tag in the course's own word (``…::lecture::017``).
    """
    tags = [
        f"{tag}::kind::{kind}",
        f"{tag}::topic::{topic_slug}",
        f"{tag}::{word}::{video:0{VIDEO_TAG_DIGITS}d}",
    ]
    if focus:
        tags.append(f"{tag}::focus")
    return tuple(sorted(tags))


def tag_word(word: str | None) -> str:
    """The unit tag's word: ``video``, ``lecture``, ``vidéo``; ``unit`` without a word."""
    return re.sub(r"[\s:]+", "-", (word or "unit").lower())


def removed_tag(tag: str) -> str:
    """The tag the clean-up package puts on notes deleted from the notes."""
    return f"{tag}::removed"


# --------------------------------------------------------------------------
# Rendering


_IMG_SRC = re.compile(r'(<img\s[^>]*?src=")([^"]*)(")')


class FieldRenderer:
    """Renders notes to :class:`Rendered`, collecting every missing-image problem."""

    def __init__(
        self,
        config: CourseConfig,
        source: Path,
        shown: str | None = None,
        word: str | None = "Video",
    ):
        self.config = config
        self.word = word
        """The course's unit word, for notes that are gone (their lock records keep none)."""
        self.source = source
        self.shown = shown if shown is not None else source.as_posix()
        # a fresh module: the template's cached one would keep a macro file it imports
        # as it was when first loaded (jinja reloads only files it is asked for)
        self.macros = shared_env(config.templates).get_template(FIELDS_TEMPLATE).make_module()
        self.errors: list[Diagnostic] = []

    def note(self, note: SourceNote, ords: Sequence[int]) -> Rendered:
        """A note of this build (``ords``: the cloze number of each key-point bullet)."""
        media: list[MediaFile] = []
        footnotes = footnote_definitions(note.origin.texts)
        html_parts = [
            self._images(render(with_footnotes(text, footnotes)), text, loc, media)
            for render, text, loc in zip(
                _renderers(note.kind, note.parts), note.parts, note.locs, strict=True
            )
        ]
        context = (self._unit(note.origin), escape(note.topic), escape(str(note.locs[0])))
        extra = self._extra(note.origin, media)
        note_type, fields = self._fields(note.kind, html_parts, ords, context, extra)
        tags = tags_for(
            self.config.tag,
            note.kind,
            note.video,
            note.section.slug,
            note.section.focus,
            tag_word(note.origin.unit_word),
        )
        return Rendered(note_type, fields, tags, tuple(media), note.locs[0].file)

    def removed(self, record: NoteRecord) -> Rendered:
        """A tombstone's last content, tagged ``<tag>::removed``, for the clean-up package.

        Its images are not packed (the notes file may be gone), so a picture in a removed
        note can show as missing; the note is on its way out.
        """
        renderers = _renderers(record.kind, record.parts)
        html_parts = [render(text) for render, text in zip(renderers, record.parts, strict=True)]
        label = f"{self.word} {record.video}" if self.word else str(record.video)
        unit = self.macros.unit(label, "") if hasattr(self.macros, "unit") else label
        context = (unit, escape(record.topic), self.macros.removed_source(""))
        note_type, fields = self._fields(record.kind, html_parts, record.ords, context)
        tags = tags_for(
            self.config.tag,
            record.kind,
            record.video,
            slugify(record.topic),
            False,
            tag_word(self.word),
        )
        return Rendered(note_type, fields, tuple(sorted((*tags, removed_tag(self.config.tag)))))

    def _unit(self, unit: Unit) -> str:
        """``Lecture 5 — Title`` in the course's own word (the ``Video`` field)."""
        title = html_inline(unit.title) if unit.title else ""
        if hasattr(self.macros, "unit"):
            return self.macros.unit(unit.label, title)
        return self.macros.video(unit.number, title)  # an override from before units

    def _extra(self, unit: Unit, media: list[MediaFile]) -> str:
        """The unit's context (prose, tables, pictures) for the back of its cards, or ``""``."""
        if not unit.context or not hasattr(self.macros, "context"):
            return ""
        blocks = [
            Markup(self._images(html_block(b.text), b.text, b.loc, media)) for b in unit.context
        ]
        return str(anki_safe(self.macros.context(blocks)))

    def _fields(
        self,
        kind: str,
        html_parts: Sequence[str],
        ords: Sequence[int],
        context: Sequence[str],
        extra: str = "",
    ) -> tuple[NoteType, tuple[str, ...]]:
        """The note type and Anki-safe fields: content first, then Video, Topic, Source.

        ``extra`` (the unit's context) follows the answer, or the key points; the card
        templates show it on the back only.
        """
        tail = tuple(str(anki_safe(c)) for c in context)
        if kind == QA.kind:
            answer = str(anki_safe(html_parts[1])) + extra
            return QA, (str(anki_safe(html_parts[0])), answer, *tail)
        # a bullet's footnotes go to the end of the field, outside its cloze
        notes = [m.group(0).strip() for h in html_parts if (m := FOOTNOTES.search(h))]
        bodies = [FOOTNOTES.sub("", h) for h in html_parts]
        points = [cloze_point(h, o) for h, o in zip(bodies, ords, strict=True)]
        text = str(self.macros.points(points)) + "".join(
            str(anki_safe(n)) for n in dict.fromkeys(notes)
        )
        return KEYPOINTS, (text + extra, *tail)

    def _images(self, rendered: str, text: str, loc: Location, media: list[MediaFile]) -> str:
        """Point ``<img src>`` at packed media files; record an error for each missing image."""

        def pack(m: re.Match[str]) -> str:
            src = unquote(html.unescape(m.group(2)))
            line = _line_of(text, m.group(2), src, first=loc.line)
            where = f"{self.shown}/{loc.file}" if self.shown else loc.file
            path, problem = resolve_image(self.source, loc.file, src)
            if problem:
                self.errors.append(Diagnostic(where, line, problem))
            if path is None:
                return m.group(0)
            name = media_name(path, path.read_bytes())
            if all(f.name != name for f in media):
                media.append(MediaFile(name, path))
            return f"{m.group(1)}{escape(name)}{m.group(3)}"

        return _IMG_SRC.sub(pack, rendered)


@dataclass(frozen=True)
class DeckNotes:
    """The deck's notes, matched against the lock and rendered: what the deck and its
    preview both show."""

    state: identity.State
    """The lock as the last build left it."""
    notes: tuple[SourceNote, ...]
    """This build's notes, in course order."""
    course_id: str
    """The course identity new GUIDs derive from."""
    assignments: tuple[identity.Assignment, ...]
    """Each note's GUID and cloze numbers."""
    rendered: tuple[Rendered, ...]
    """Each note's fields, tags and media."""
    renderer: FieldRenderer
    """What rendered them (it also renders clean-up notes)."""


def build_notes(course: Course, options: BuildOptions) -> DeckNotes:
    """:func:`deck_notes` once per build: the deck and its preview both show them (the
    second asks after the first has written the lock, which then holds what the first
    matched: the same notes, GUIDs and fields either way)."""
    memo = options.context.memo
    known = memo.get(DeckNotes)
    if known is None or known[0] is not course:  # type: ignore[index]
        known = memo[DeckNotes] = (
            course,
            deck_notes(course, options.source, options.source.as_posix()),
        )
    return known[1]  # type: ignore[index,return-value]


def deck_notes(course: Course, source: Path, shown: str) -> DeckNotes:
    """Collect, match against ``source/deckpress.lock`` and render every note.

    Raises :class:`~deckpress.errors.ContentError` for a lock of another course or a
    missing image (every image at once).
    """
    config = course.config
    state_shown = f"{shown}/{identity.STATE_NAME}"
    state = identity.load_state(source / identity.STATE_NAME, state_shown)
    notes = collect(course)
    # who is who: GUIDs and cloze numbers, matched against the last build
    course_id = identity.course_identity(state, config.title, config.deck, config.tag, notes)
    assignments = identity.assign(state, notes, course_id)
    identity.check_belongs(state, assignments, state_shown)
    # Anki fields, tags and media; every missing image is reported at once
    renderer = FieldRenderer(config, source, shown, unit_word(course.units))
    rendered = tuple(renderer.note(n, a.ords) for n, a in zip(notes, assignments, strict=True))
    if renderer.errors:
        raise ContentError(renderer.errors)
    return DeckNotes(state, notes, course_id, tuple(assignments), rendered, renderer)


def _renderers(kind: str, parts: Sequence[str]) -> Sequence[Callable[[str], Markup]]:
    """Question prompts are one inline run; answers and bullets are blocks."""
    return (html_inline, html_block) if kind == QA.kind else (html_block,) * len(parts)


def _line_of(text: str, *needles: str, first: int) -> int:
    """The source line where an image is referenced (``first`` = line of the text's start)."""
    for offset, line in enumerate(text.split("\n")):
        if any(n and n in line for n in needles):
            return first + offset
    return first
