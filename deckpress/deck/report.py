"""The deck's build report: cards per subdeck and what changed since the last build."""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..notes.config import CourseConfig, slugify
from ..notes.model import Location, plural, unit_word
from ..render import html_inline
from .cards import SourceNote, removed_tag
from .identity import Changes, NoteRecord

MAX_LISTED = 20
"""Per kind of change, list at most this many notes, then count the rest."""
PROMPT_CHARS = 60


@dataclass(frozen=True)
class Paths:
    """The files the report talks about."""

    deck: Path
    cleanup: Path | None
    """This build's clean-up package, if it removed notes."""
    state: Path
    """The lock file."""
    earlier: Path | None = None
    """A file of an earlier build found in the output folder when there was no lock."""
    copy: Path | None = None
    """The copy of the lock the last build kept in the output folder's bookkeeping."""
    unknown: int | None = None
    """How many notes got a GUID ``copy`` does not know (``None``: no copy to tell)."""


def lines(
    config: CourseConfig,
    notes: Sequence[SourceNote],
    changes: Changes,
    locations: dict[str, Location],
    paths: Paths,
    renamed_from: str | None = None,
) -> list[str]:
    """The report, one line per entry (``renamed_from``: the lock's deck, if not this one)."""
    name = _Namer(locations, (unit_word(n.origin for n in notes) or "unit").lower())
    return [
        *_contents(config, notes, paths.deck),
        *_changes(config, changes, name, paths),
        *_renamed(config, renamed_from, paths),
    ]


def _renamed(config: CourseConfig, renamed_from: str | None, paths: Paths) -> list[str]:
    """A lock built for another deck name: a copied course, or a renamed deck."""
    if renamed_from is None:
        return []
    return [
        f"warning: {paths.state} was last built for the deck {renamed_from!r}, and "
        f"course.yaml now names it {config.deck!r}. If this folder is a copy of that "
        "course, delete the lock and build again before importing: with it, this deck "
        f"shares that course's note identities, and importing it overwrites {renamed_from!r}'s "
        "cards. If you renamed the deck, all is well (cards you have stay in the old "
        "subdecks: Anki never moves cards); this is said once"
    ]


def _contents(config: CourseConfig, notes: Sequence[SourceNote], deck_path: Path) -> list[str]:
    per_deck: Counter[str] = Counter()
    for note in notes:
        per_deck[note.topic] += len(note.parts) if note.kind == "keypoints" else 1
    questions = sum(1 for n in notes if n.kind == "qa")
    videos = sum(1 for n in notes if n.kind == "keypoints")
    points = sum(len(n.parts) for n in notes if n.kind == "keypoints")
    units = plural(unit_word(n.origin for n in notes))
    out = [
        f"deck {config.deck!r}: {sum(per_deck.values())} cards in {len(per_deck)} subdeck{'s' if len(per_deck) != 1 else ''} "
        f"({questions} Q&A, {points} key points from {videos} {units}) -> {deck_path}"
    ]
    width = max((len(label) for label in per_deck), default=0)
    out += [f"  {label:<{width}}  {count:>4} cards" for label, count in per_deck.items()]
    return out


def _first_build(changes: Changes, paths: Paths) -> list[str]:
    """What importing a deck without a lock does, said before anyone imports it."""
    count = len(changes.new)
    lost = "notes" if paths.unknown is None else f"{paths.unknown} of the {count} notes"
    if paths.earlier is None:
        return [
            f"first build of this course: importing {paths.deck} adds {'all ' if count > 1 else ''}{count} note{'s' if count != 1 else ''} as new "
            f"cards. Their identities are saved in {paths.state}: commit it, so that rebuilt "
            "decks update these cards instead of duplicating them"
        ]
    return [
        f"warning: {paths.state} is missing, but {paths.earlier} is from an earlier build. "
        "Without the lock, note identities are derived afresh: importing "
        f"{paths.deck} into a collection that has the earlier deck adds {lost} a second "
        "time, as new cards without review history, and overwrites edits you made in Anki "
        "to the others. Restore the lock "
        f"(git checkout -- {paths.state}{_or_copy(paths)}) and build again; go ahead only if "
        "nobody imported an earlier deck of this course"
    ]


def _or_copy(paths: Paths) -> str:
    if paths.copy is None:
        return ""
    return f", or copy the last build's copy of it, {paths.copy}, to {paths.state}"


def _changes(
    config: CourseConfig,
    changes: Changes,
    name: _Namer,
    paths: Paths,
) -> list[str]:
    if changes.first_build:
        return _first_build(changes, paths)
    moved = {after.guid for _, after in changes.moved}
    counts = [
        (len(changes.new), "new"),
        (len(changes.updated), "updated"),
        (len(changes.moved), "moved to another topic"),
        (len(changes.restored), "restored"),
        (len(changes.removed), "removed"),
    ]
    summary = ", ".join(f"{n} {what}" for n, what in counts if n)
    if not summary and not changes.emptied and not changes.restyled:
        return [f"no note changed since the last build recorded in {paths.state}"]
    out = [f"changes since the last build: {summary or 'notes unchanged'}"]
    out += _listed("new", changes.new, name)
    out += _listed("updated", [r for r in changes.updated if r.guid not in moved], name)
    out += _listed("restored", changes.restored, name)
    for before, after in changes.moved[:MAX_LISTED]:
        out.append(f"  moved    {name(after)}: {before.topic} -> {after.topic}")
    out += _more(len(changes.moved))
    if changes.moved:
        searches = dict.fromkeys(
            f"tag:{config.tag}::topic::{slugify(a.topic)}" for _, a in changes.moved
        )
        out.append(
            "  Anki keeps cards you already have in their old subdeck; to move them, search "
            f"{' or '.join(searches)} in Browse and use Change Deck"
        )
    out += _listed("removed", changes.removed, name)
    if paths.cleanup is not None:
        out.append(
            f"  Anki never deletes notes on import: import {paths.cleanup} once (after the "
            f"deck) to tag these notes, then search tag:{removed_tag(config.tag)} and delete "
            "them"
        )
    for text, before, after in changes.moved_points[:MAX_LISTED]:
        out.append(
            f"  moved    {name(after)}: bullet {_plain(text)!r} came from "
            f"{name.word} {before.video}; Anki cannot move a card to "
            "another note, so it is a new "
            "card here, and its old card (with the history) is empty now"
        )
    out += _more(len(changes.moved_points))
    for record, ords in changes.emptied[:MAX_LISTED]:
        numbers = ", ".join(f"c{o}" for o in ords)
        out.append(
            f"  emptied  {name(record)}: bullet {numbers} removed; its card "
            "is empty now (Anki: Tools > Empty Cards deletes it)"
        )
    out += _more(len(changes.emptied))
    if changes.restyled:
        out.append("  card templates or CSS changed: Anki restyles every card on import")
    return out


def _listed(what: str, records: Sequence[NoteRecord], name: _Namer) -> list[str]:
    out = [f"  {what:<8} {name(r)}" for r in records[:MAX_LISTED]]
    return out + _more(len(records))


def _more(count: int) -> list[str]:
    return [f"  … and {count - MAX_LISTED} more"] if count > MAX_LISTED else []


class _Namer:
    """Names a note in the report: ``part1.md:62 lecture 14 'Why …?'``."""

    def __init__(self, locations: dict[str, Location], word: str):
        self.locations = locations
        """``{guid: Location}`` of this build's notes."""
        self.word = word
        """The notes' word for a unit, lower case."""

    def __call__(self, record: NoteRecord) -> str:
        where = f"{self.locations[record.guid]} " if record.guid in self.locations else ""
        if record.kind == "keypoints":
            return f"{where}{self.word} {record.video} key points"
        return f"{where}{self.word} {record.video} {_plain(record.parts[0])!r}"


def _plain(markdown: str) -> str:
    text = html.unescape(re.sub(r"<[^>]+>", "", str(html_inline(markdown)))).strip()
    return text if len(text) <= PROMPT_CHARS else text[: PROMPT_CHARS - 1].rstrip() + "…"
