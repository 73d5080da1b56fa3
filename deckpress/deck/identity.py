"""Stable note identity across builds: GUIDs, cloze numbers, the course, what changed.

Anki knows a note only by its GUID, so every note must keep its GUID through
edits, reordering, and moves to another video or topic — without ids written
into the notes — and a key-point bullet must keep its cloze number, because a
cloze card's ordinal is ``cN - 1``: its review history follows the number.

The lock ``deckpress.lock`` (JSON, next to the notes, meant to be committed)
holds the course's identity, and for every note of the last build: its GUID,
its text (markdown source, to recognise it again), the cloze number of each
bullet and of every bullet ever deleted from it (*retired*, so a restored
bullet gets its card back), a fingerprint of what was written to Anki, and when
that content last changed. Notes removed from the source stay as *tombstones*,
with the time of the build that removed them, so their GUIDs are never reused
and that build's clean-up package can find them in Anki.

How notes and bullets are paired is :mod:`deckpress.deck.matching`. A note that
pairs with nothing is **new**: its GUID is derived from the course identity,
kind, video and position (deterministic, and never shared with another
course); a remembered note that pairs with nothing is **removed**.

Times are whole seconds. A note's time moves to the build's ``now`` when its
fingerprint changes — and always strictly forward (``previous + 1`` if the
clock has not moved on), because Anki updates a note only when the incoming
one is strictly newer.

Format 1 (before course identities and retired bullets) is read as is; the
next build writes format 2, every GUID unchanged.
"""

from __future__ import annotations

import hashlib
import itertools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from ..errors import ContentError, Diagnostic
from .lockfile import (  # noqa: F401 - the lock's names are identity's public API too
    STATE_NAME,
    NoteRecord,
    NoteTypeRecord,
    State,
    dump_state,
    load_state,
)
from .matching import Clozes, Item, pair_bullets, pair_notes


class Identifiable(Protocol):
    """What matching needs to know about a note of this build."""

    @property
    def kind(self) -> str: ...
    @property
    def video(self) -> int: ...
    @property
    def index(self) -> int: ...
    @property
    def topic(self) -> str: ...
    @property
    def parts(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class Assignment:
    """Who a note of this build is: its GUID and, for key points, its cloze numbers."""

    guid: str
    ords: tuple[int, ...]
    """Cloze number per bullet (key points), ``()`` for Q&A."""
    last_ord: int
    previous: NoteRecord | None
    """The matched record (live or tombstone), ``None`` for a new note."""
    emptied: tuple[int, ...] = ()
    """Cloze numbers of the previous version whose bullet is gone (their cards are now empty)."""
    retired: tuple[tuple[int, str], ...] = ()
    """Key points: every bullet gone from the note so far, with its cloze number."""


@dataclass(frozen=True)
class Changes:
    """What changed since the last build, for the report."""

    first_build: bool
    new: tuple[NoteRecord, ...] = ()
    updated: tuple[NoteRecord, ...] = ()
    restored: tuple[NoteRecord, ...] = ()
    removed: tuple[NoteRecord, ...] = ()
    moved: tuple[tuple[NoteRecord, NoteRecord], ...] = ()
    """``(before, after)`` of notes now in another topic."""
    emptied: tuple[tuple[NoteRecord, tuple[int, ...]], ...] = ()
    """Key-point notes that lost bullets, with the cloze numbers now empty."""
    moved_points: tuple[tuple[str, NoteRecord, NoteRecord], ...] = ()
    """``(bullet, from, to)``: bullets now in another video's key points (a new card there)."""
    restyled: tuple[int, ...] = ()
    """Note type ids whose templates or CSS changed."""


# --------------------------------------------------------------------------
# Matching


def _items(notes: Sequence[Identifiable] | Sequence[NoteRecord]) -> list[Item]:
    """Notes with their places; both the state and a build list notes in course order."""
    seen: dict[tuple[str, int], int] = defaultdict(int)
    items = []
    for n in notes:
        key = (n.kind, n.video)
        items.append(Item(n.kind, tuple(n.parts), (n.video, seen[key])))
        seen[key] += 1
    return items


def _pair_by_kind(old: Sequence[Item], new: Sequence[Item], fuzzy: bool) -> dict[int, int]:
    """``{new index: old index}``, questions with questions and key points with key points."""
    pairs: dict[int, int] = {}
    for kind in ("keypoints", "qa"):
        olds = [i for i, item in enumerate(old) if item.kind == kind]
        news = [j for j, item in enumerate(new) if item.kind == kind]
        found = pair_notes([old[i] for i in olds], [new[j] for j in news], fuzzy)
        pairs.update({news[j]: olds[i] for j, i in found.items()})
    return pairs


def match(state: State, notes: Sequence[Identifiable]) -> list[NoteRecord | None]:
    """The previous record of each note (live or tombstone), or ``None`` if it is new."""
    new_items = _items(notes)
    result: list[NoteRecord | None] = [None] * len(notes)
    for j, i in _pair_by_kind(_items(state.notes), new_items, fuzzy=True).items():
        result[j] = state.notes[i]
    # A deleted note written again word for word gets its old cards back.
    rest = [j for j in range(len(notes)) if result[j] is None]
    revived = _pair_by_kind(_items(state.removed), [new_items[j] for j in rest], fuzzy=False)
    for k, i in revived.items():
        result[rest[k]] = state.removed[i]
    return result


def match_points(previous: NoteRecord, parts: Sequence[str]) -> Clozes:
    """Cloze numbers for a key-points note's bullets, given its previous record."""
    return pair_bullets(previous.ords, previous.parts, previous.retired, previous.last_ord, parts)


# --------------------------------------------------------------------------
# Course identity and GUIDs


def course_identity(
    state: State, title: str, deck: str, tag: str, notes: Sequence[Identifiable]
) -> str:
    """The course's identity: kept in the lock once created, never derived again.

    A first build derives it from everything that tells courses apart (title, deck
    name, tag namespace, and every note's text), so two courses never share one and
    the same first build always gives the same bytes. A format-1 lock has none: its
    GUIDs were derived from the tag namespace, so its identity is ``tag:<tag>`` — new
    GUIDs are derived from it in the format-2 way, which no course created since can
    share (a new course's identity never contains ``:``).
    """
    if state.course:
        return state.course
    if state.notes or state.removed:
        return f"tag:{tag}"
    lines = [title, deck, tag, *("\x1e".join((n.kind, str(n.video), *n.parts)) for n in notes)]
    digest = hashlib.sha256("\x1f".join(["deckpress course", *lines]).encode("utf-8")).digest()
    return _base62(digest[:16])


def new_guid(course: str, note: Identifiable, index: int, taken: set[str]) -> str:
    """A GUID from the course identity, kind, video and position: the same on every first
    build of the same course, and never one of ``taken``."""
    for salt in itertools.count():
        key = ["deckpress", course, note.kind, str(note.video), str(index)]
        guid = _base62(
            hashlib.sha256("\x1f".join(key + [str(salt)] * bool(salt)).encode()).digest()[:8]
        )
        if guid not in taken:
            return guid
    raise AssertionError("unreachable")


_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _base62(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    out = ""
    while True:
        number, digit = divmod(number, 62)
        out = _ALPHABET[digit] + out
        if not number:
            return out


def assign(state: State, notes: Sequence[Identifiable], course: str) -> tuple[Assignment, ...]:
    """Give every note of this build its GUID (and cloze numbers), matching the state."""
    previous = match(state, notes)
    taken = {r.guid for r in (*state.notes, *state.removed)}
    position: dict[tuple[str, int], int] = defaultdict(int)
    out = []
    for note, prev in zip(notes, previous, strict=True):
        slot = (note.kind, note.video)
        index = position[slot]
        position[slot] += 1
        if prev is None:
            guid = new_guid(course, note, index, taken)
            taken.add(guid)
            count = len(note.parts) if note.kind == "keypoints" else 0
            out.append(Assignment(guid, tuple(range(1, count + 1)), count, None))
        elif note.kind == "keypoints":
            c = match_points(prev, note.parts)
            emptied = c.emptied if not prev.removed else ()
            out.append(Assignment(prev.guid, c.ords, c.last_ord, prev, emptied, c.retired))
        else:
            out.append(Assignment(prev.guid, (), 0, prev))
    return tuple(out)


def check_belongs(state: State, assignments: Sequence[Assignment], shown: str) -> None:
    """Refuse a lock none of whose notes is in this build: it is another course's.

    Building with it would mark every note it remembers removed (and write a clean-up
    package for notes of another deck) while every note here became new.
    """
    if not state.notes or any(a.previous is not None for a in assignments):
        return
    raise ContentError(
        [
            Diagnostic(
                shown,
                0,
                f"none of the {len(state.notes)} notes this lock remembers is in the notes: "
                "it belongs to another course (or every note was rewritten), so building "
                "with it would mark them all removed. To start fresh, delete it (importing "
                "the next deck then adds every note as a new card, and updates none); if "
                "it is the right lock, restore the notes from version control",
            )
        ]
    )


# --------------------------------------------------------------------------
# Times


def later(previous: int, now: int) -> int:
    """``now``, but strictly after ``previous``: Anki only takes strictly newer notes."""
    return max(now, previous + 1)


def advance(
    state: State,
    notes: Sequence[Identifiable],
    assignments: Sequence[Assignment],
    fingerprints: Sequence[str],
    looks: dict[int, str],
    now: int,
    course: str = "",
    deck: str = "",
) -> tuple[State, Changes]:
    """The state after this build, and what changed since the last one."""
    records: list[NoteRecord] = []
    new, updated, restored, moved, emptied = [], [], [], [], []
    for note, a, fingerprint in zip(notes, assignments, fingerprints, strict=True):
        prev = a.previous
        if prev is None:
            changed = now
        elif prev.removed:
            changed = later(max(prev.changed, prev.removed), now)
        elif prev.fingerprint == fingerprint:
            changed = prev.changed
        else:
            changed = later(prev.changed, now)
        record = NoteRecord(
            a.guid,
            note.kind,
            note.video,
            note.topic,
            tuple(note.parts),
            a.ords,
            a.last_ord,
            fingerprint,
            changed,
            retired=a.retired,
        )
        records.append(record)
        if prev is None:
            new.append(record)
        elif prev.removed:
            restored.append(record)
        elif changed != prev.changed:
            updated.append(record)
            if prev.topic != record.topic:
                moved.append((prev, record))
        if a.emptied:
            emptied.append((record, a.emptied))
    kept = {a.previous.guid for a in assignments if a.previous is not None}
    vanished = [r for r in state.notes if r.guid not in kept]
    # one time for everything this build removes, after every earlier removal: it names
    # this build's clean-up package, which must not replace an earlier build's
    stamp = max([now, *(r.changed + 1 for r in vanished), *(r.removed + 1 for r in state.removed)])
    gone = tuple(replace(r, removed=stamp) for r in vanished)
    tombstones = tuple(r for r in state.removed if r.guid not in kept) + gone
    notetypes, restyled = _notetypes(state, looks, now)
    after = State(
        tuple(records),
        tombstones,
        notetypes,
        course or state.course,
        deck or state.deck,
        state.synced,
    )
    changes = Changes(
        first_build=state.empty,
        new=tuple(new),
        updated=tuple(updated),
        restored=tuple(restored),
        removed=gone,
        moved=tuple(moved),
        emptied=tuple(emptied),
        moved_points=_moved_points(assignments, records, gone),
        restyled=restyled,
    )
    return after, changes


def _notetypes(
    state: State, looks: dict[int, str], now: int
) -> tuple[tuple[NoteTypeRecord, ...], tuple[int, ...]]:
    """Note types after this build (a new look moves the time on), and the restyled ids."""
    known = {t.id: t for t in state.notetypes}
    notetypes, restyled = [], []
    for type_id, look in sorted(looks.items()):
        old = known.get(type_id)
        if old is not None and old.look == look:
            notetypes.append(old)
            continue
        notetypes.append(NoteTypeRecord(type_id, look, later(old.changed, now) if old else now))
        if old is not None:
            restyled.append(type_id)
    return tuple(notetypes), tuple(restyled)


def _moved_points(
    assignments: Sequence[Assignment], records: Sequence[NoteRecord], gone: Sequence[NoteRecord]
) -> tuple[tuple[str, NoteRecord, NoteRecord], ...]:
    """Bullets that left one key-points note and got a new cloze number in another."""
    arrived: dict[str, NoteRecord] = {}
    for a, record in zip(assignments, records, strict=True):
        if record.kind != "keypoints":
            continue
        known = (
            set() if a.previous is None else {*a.previous.ords, *(o for o, _ in a.previous.retired)}
        )
        for o, text in zip(record.ords, record.parts, strict=True):
            if o not in known:
                arrived.setdefault(text, record)
    left: list[tuple[str, NoteRecord]] = []
    for a in assignments:
        if a.previous is not None and a.emptied:
            texts = dict(zip(a.previous.ords, a.previous.parts, strict=True))
            left += [(texts[o], a.previous) for o in a.emptied]
    left += [(text, r) for r in gone if r.kind == "keypoints" for text in r.parts]
    return tuple(
        (text, before, arrived[text])
        for text, before in left
        if text in arrived and arrived[text].guid != before.guid
    )
