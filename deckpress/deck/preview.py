"""``dist/cards.html``: every card, front and back, as Anki will show it, before importing.

One static, offline page: the deck's notes rendered exactly as for the ``.apkg``
(:mod:`deckpress.deck.cards`, the same GUIDs and cloze numbers from the lock file), each
card filled into the note types' own templates and CSS (``card_*.html``,
``card.css``) with clozes resolved the way Anki resolves them
(:mod:`deckpress.deck.cardview`). Grouped by topic and unit; each card links to its
``file:line`` and shows its weak-card warnings (:mod:`deckpress.deck.quality`). The
page itself is ``templates/preview.html`` (overridable like the others).
"""

from __future__ import annotations

import functools
import os
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup

from .. import __version__
from ..build.incremental import fingerprint, tree_hashes
from ..build.output import write_text
from ..build.pipeline import ArtifactResult, BuildOptions
from ..notes.model import Course, Location, Topic, Unit
from ..render import html_inline
from ..templating import read_asset, shared_env
from . import cards, quality
from .cardview import Card, Face, cards_of
from .notetypes import KEYPOINTS, NOTE_TYPES, QA, Look, load_look

OUTPUT = "cards.html"
TEMPLATE = "preview.html"
PHONE_WIDTH_PX = 360
"""The phone view's card width (a common small-phone viewport)."""


@dataclass(frozen=True)
class Shown:
    """One card on the page."""

    kind: str
    """``qa`` or ``keypoints``."""
    guid: str
    """The note's GUID (as in the deck)."""
    card: Card
    """The card's ordinal and both faces."""
    loc: Location
    """The key point or question it asks."""
    href: str
    """Link to the notes file, relative to the page."""
    weak: tuple[quality.Weak, ...]
    """Its weak-card warnings."""


@dataclass(frozen=True)
class UnitCards:
    unit: Unit
    heading: Markup
    cards: tuple[Shown, ...]


@dataclass(frozen=True)
class TopicCards:
    topic: Topic
    units: tuple[UnitCards, ...]


def build(course: Course, options: BuildOptions) -> ArtifactResult:
    """Write ``cards.html`` unless it already shows exactly this course."""
    config = course.config
    path = options.out / OUTPUT
    looks = {t.kind: load_look(t, config.templates) for t in NOTE_TYPES.values()}
    page = read_asset(TEMPLATE, config.templates)
    key = fingerprint(
        __version__,
        course,
        sorted((kind, look.hash) for kind, look in looks.items()),
        page,
        tree_hashes([options.source]),
        options.out.resolve(),
    )
    if options.context.fresh(path, key):
        return ArtifactResult(report=[f"{OUTPUT}: up to date"])
    topics, weak = cards_by_topic(course, options, looks)
    count = sum(len(u.cards) for t in topics for u in t.units)
    html = (
        shared_env(config.templates)
        .get_template(TEMPLATE)
        .render(
            course=course,
            topics=topics,
            count=count,
            summary=quality.summary(weak),
            css=Markup(card_css(looks[QA.kind].css)),
            phone_px=PHONE_WIDTH_PX,
        )
    )
    weak_cards = len({w.loc for w in weak})
    report = f"{OUTPUT}: {count} cards, {weak_cards} weak (open it in a browser)"
    if not options.force and path.is_file() and path.read_bytes() == html.encode("utf-8"):
        options.context.kept(path, key)  # e.g. only print settings changed: keep its mtime
        return ArtifactResult(paths=[path], report=[report])
    write_text(path, html)
    options.context.wrote(path, key)
    return ArtifactResult(paths=[path], report=[report])


def cards_by_topic(
    course: Course, options: BuildOptions, looks: dict[str, Look]
) -> tuple[list[TopicCards], tuple[quality.Weak, ...]]:
    """Every card of the deck, grouped by topic and unit, with its warnings."""
    built = cards.build_notes(course, options)
    notes, assignments, rendered = built.notes, built.assignments, built.rendered
    weak = quality.weak_cards(course)
    by_loc: dict[Location, list[quality.Weak]] = defaultdict(list)
    for w in weak:
        by_loc[w.loc].append(w)
    per_unit: dict[tuple[int, int], list[Shown]] = defaultdict(list)
    for note, assignment, fields in zip(notes, assignments, rendered, strict=True):
        look = looks[note.kind]
        media = {m.name: _relative(m.path, options.out) for m in fields.media}
        for card in note_cards(fields, look, course.config.deck, note.topic):
            loc = _card_location(note.locs, assignment.ords, card.ord)
            per_unit[(note.section.index, note.video)].append(
                Shown(
                    note.kind,
                    assignment.guid,
                    _with_media(card, media),
                    loc,
                    _relative(options.source / loc.file, options.out),
                    tuple(by_loc.get(loc, ())),
                )
            )
    topics = [
        TopicCards(
            topic,
            tuple(
                UnitCards(
                    unit, html_inline(unit.heading), tuple(per_unit[(topic.index, unit.number)])
                )
                for unit in topic.units
            ),
        )
        for topic in course.topics
    ]
    return topics, weak


def note_cards(fields: cards.Rendered, look: Look, deck: str, topic: str) -> list[Card]:
    """The cards Anki makes of one rendered note."""
    note_type = fields.note_type
    values = dict(zip(note_type.fields, fields.fields, strict=True))
    extra = {
        "Tags": " ".join(fields.tags),
        "Deck": f"{deck}::{topic}",
        "Subdeck": topic,
        "Type": look.name,
        "Card": note_type.template.name,
    }
    cloze_field = note_type.fields[0] if note_type is KEYPOINTS else None
    return cards_of(look.front, look.back, values, cloze_field, extra)


def _card_location(locs: Sequence[Location], ords: Sequence[int], ord_: int) -> Location:
    """The bullet a cloze card asks (its cloze number's position), else the note's start."""
    for loc, number in zip(locs, ords, strict=False):
        if number == ord_:
            return loc
    return locs[0]


def _with_media(card: Card, media: dict[str, str]) -> Card:
    """Point ``<img src>`` at the image files themselves (Anki uses its media folder)."""
    if not media:
        return card

    def fix(html: str) -> str:
        return re.sub(
            r'(<img\s[^>]*?src=")([^"]*)(")',
            lambda m: m.group(1) + media.get(m.group(2), m.group(2)) + m.group(3),
            html,
        )

    return Card(card.ord, Face(fix(card.front.html)), Face(fix(card.back.html)))


@functools.lru_cache(maxsize=4096)
def _relative(path: Path, out: Path) -> str:
    """``path`` as a link from a page in ``out`` (cached: every card of a file asks)."""
    return Path(os.path.relpath(path.resolve(), out.resolve())).as_posix()


_WIDTH_MEDIA = re.compile(
    r"@media\s*((?:\(\s*(?:max|min)-width\s*:[^)]*\)\s*(?:and\s*)?)+)\{", re.IGNORECASE
)


def card_css(css: str) -> str:
    """The cards' CSS, plus its width rules as container queries so that the phone view
    (a narrow card on a wide screen) looks as it will on a phone."""
    queries = _WIDTH_MEDIA.sub(lambda m: f"@container {m.group(1).strip()} {{", css)
    if queries == css:
        return css
    blocks = re.findall(r"@container[^{]*\{(?:[^{}]*\{[^{}]*\})*[^{}]*\}", queries)
    return (
        css
        + "\n/* deckpress preview: the width rules above, for the phone view */\n"
        + ("\n".join(blocks))
    )
