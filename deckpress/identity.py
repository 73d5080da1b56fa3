"""Stable note identity across builds: the state file and how notes are matched to it.

Anki knows a note only by its GUID, so every note must keep its GUID through
edits, reordering, and moves to another video or topic — without ids written
into the notes. The state file ``deckpress.lock`` (JSON, next to the notes,
meant to be committed) remembers, for every note of the last build: its GUID,
its text (markdown source, to recognise it again), a fingerprint of what was
written to Anki, and when that content last changed. Notes removed from the
source stay as *tombstones*, so their GUIDs are never reused and a clean-up
package can find them in Anki.

Matching a build's notes against the state, in this order (like git's rename
detection):

1. **exact text**, anywhere in the course (reordered, moved, siblings
   inserted or deleted) — also against tombstones, so a note deleted and later
   restored gets its old card back;
2. **similarity**: the remaining pairs of the same kind whose difflib ratio
   is at least :data:`THRESHOLD` (a question whose prompt or answer is
   unchanged counts as :data:`SAME_HALF`), best pairs first — within the
   same video first, then across the course; among equally similar pairs,
   the same position wins;
3. anything left is **new** (a GUID derived from course tag, kind, video and
   position, so a first build without a state file is deterministic) or
   **removed** (becomes a tombstone).

Cloze numbers of key-point bullets are matched the same way within their
note, and never reused, so a bullet keeps its card's review history.

Times are whole seconds. A note's time moves to the build's ``now`` when its
fingerprint changes — and always strictly forward (``previous + 1`` if the
clock has not moved on), because Anki updates a note only when the incoming
one is strictly newer.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from difflib import SequenceMatcher
from pathlib import Path
from typing import Protocol

from .errors import ContentError, Diagnostic

STATE_NAME = "deckpress.lock"
FORMAT = 1
THRESHOLD = 0.6
"""Minimum difflib ratio for two texts to count as the same note (git's rename default is
0.5; unrelated notes of the real course score at most ~0.55)."""
SAME_HALF = 0.9
"""Score of a question whose prompt or answer is unchanged while the other half changed."""
SAME_VIDEO_BONUS = 0.02
SAME_SLOT_BONUS = 0.02
ABOUT = (
    "deckpress state: which Anki note each of your notes is, so re-imports update "
    "cards instead of duplicating them. Commit this file; do not edit it."
)


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
class NoteRecord:
    """One note as the state file remembers it."""

    guid: str
    """Anki GUID."""
    kind: str
    """``qa`` or ``keypoints``."""
    video: int
    """Video number."""
    topic: str
    """Topic label (``05 Loss functions & backpropagation``)."""
    parts: tuple[str, ...]
    """Markdown source: ``(question, answer)``, or the bullets of a key-points note."""
    ords: tuple[int, ...] = ()
    """Key points: the cloze number of each bullet in ``parts``."""
    last_ord: int = 0
    """Key points: the highest cloze number ever used (numbers are never reused)."""
    fingerprint: str = ""
    """Hash of the fields and tags written to Anki (line numbers left out)."""
    changed: int = 0
    """When the content last changed (Unix seconds): the note's Anki modification time."""
    removed: int = 0
    """Tombstones: when the note disappeared from the notes (0 = still there)."""

    @property
    def text(self) -> str:
        return "\n".join(self.parts)


@dataclass(frozen=True)
class NoteTypeRecord:
    """A note type's look (templates + CSS) and when it last changed."""

    id: int
    look: str
    changed: int


@dataclass(frozen=True)
class State:
    """The whole state file."""

    notes: tuple[NoteRecord, ...] = ()
    """Notes of the last build, in course order."""
    removed: tuple[NoteRecord, ...] = ()
    """Tombstones, oldest removal first."""
    notetypes: tuple[NoteTypeRecord, ...] = ()
    """Note types by id."""

    @property
    def empty(self) -> bool:
        return not (self.notes or self.removed or self.notetypes)


@dataclass(frozen=True)
class Assignment:
    """Who a note of this build is: its GUID and, for key points, its cloze numbers."""

    guid: str
    ords: tuple[int, ...]
    """Cloze number per bullet (key points), ``()`` for Q&A."""
    last_ord: int
    previous: NoteRecord | None
    """The matched record (live or tombstone), ``None`` for a new note."""
    retired: tuple[int, ...] = ()
    """Cloze numbers of the previous version whose bullet is gone (their cards are now empty)."""


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
    restyled: tuple[int, ...] = ()
    """Note type ids whose templates or CSS changed."""


# --------------------------------------------------------------------------
# The state file


def load_state(path: Path, shown: str | None = None) -> State:
    """Read the state file; a missing file is an empty state (first build)."""
    shown = shown or str(path)
    if not path.is_file():
        return State()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise _corrupt(shown, 0, "not UTF-8") from None
    except json.JSONDecodeError as exc:
        raise _corrupt(shown, exc.lineno, exc.msg) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        found = data.get("format") if isinstance(data, dict) else None
        raise _corrupt(shown, 0, f"unknown format {found!r} (this deckpress reads {FORMAT})")
    try:
        return State(
            notes=tuple(_record(d) for d in data["notes"]),
            removed=tuple(_record(d) for d in data["removed"]),
            notetypes=tuple(
                NoteTypeRecord(int(d["id"]), str(d["look"]), int(d["changed"]))
                for d in data["notetypes"]
            ),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise _corrupt(shown, 0, f"missing or malformed entry ({exc})") from None


def _corrupt(shown: str, line: int, why: str) -> ContentError:
    return ContentError(
        [
            Diagnostic(
                shown,
                line,
                f"deck state file is unreadable: {why}; restore "
                "it from version control (deleting it makes notes that moved "
                "new cards and marks every note as changed)",
            )
        ]
    )


def _record(d: dict) -> NoteRecord:
    kind = str(d["kind"])
    if kind == "keypoints":
        pairs = [(int(o), str(t)) for o, t in d["points"]]
        parts, ords = tuple(t for _, t in pairs), tuple(o for o, _ in pairs)
    else:
        parts, ords = (str(d["question"]), str(d["answer"])), ()
    return NoteRecord(
        guid=str(d["guid"]),
        kind=kind,
        video=int(d["video"]),
        topic=str(d["topic"]),
        parts=parts,
        ords=ords,
        last_ord=int(d.get("last_ord", 0)),
        fingerprint=str(d["fingerprint"]),
        changed=int(d["changed"]),
        removed=int(d.get("removed", 0)),
    )


def _record_json(r: NoteRecord) -> dict:
    d: dict = {"guid": r.guid, "kind": r.kind, "video": r.video, "topic": r.topic}
    if r.kind == "keypoints":
        d["points"] = [[o, t] for o, t in zip(r.ords, r.parts, strict=True)]
        d["last_ord"] = r.last_ord
    else:
        d["question"], d["answer"] = r.parts
    d["fingerprint"] = r.fingerprint
    d["changed"] = r.changed
    if r.removed:
        d["removed"] = r.removed
    return d


def dump_state(state: State) -> bytes:
    """The state file's bytes: fixed key order, a line per field and per bullet, for diffs."""

    def value(v: object) -> str:
        return json.dumps(v, ensure_ascii=False)

    def block(records: Sequence[NoteRecord]) -> str:
        entries = []
        for r in records:
            lines = []
            for key, v in _record_json(r).items():
                if key == "points":
                    inner = ",\n".join(f"    {value(p)}" for p in v)
                    lines.append(f'   "points": [\n{inner}\n   ]')
                else:
                    lines.append(f"   {value(key)}: {value(v)}")
            entries.append("  {\n" + ",\n".join(lines) + "\n  }")
        return "[\n" + ",\n".join(entries) + "\n ]" if entries else "[]"

    types = "".join(
        f"\n  {value({'id': t.id, 'look': t.look, 'changed': t.changed})}"
        + ("," if i + 1 < len(state.notetypes) else "\n ")
        for i, t in enumerate(sorted(state.notetypes, key=lambda t: t.id))
    )
    text = (
        f'{{\n "about": {value(ABOUT)},\n "format": {FORMAT},\n "notetypes": [{types}],\n'
        f' "notes": {block(state.notes)},\n "removed": {block(state.removed)}\n}}\n'
    )
    return text.encode("utf-8")


# --------------------------------------------------------------------------
# Matching


@dataclass(frozen=True)
class _Item:
    kind: str
    parts: tuple[str, ...]
    slot: tuple[int, int]
    """(video, position among the video's notes of this kind) — or (0, position) for bullets."""

    @property
    def text(self) -> str:
        return "\n".join(self.parts)


def _record_items(records: Sequence[NoteRecord]) -> list[_Item]:
    """Records with their slots; the state lists notes in course order, so positions are implied."""
    seen: dict[tuple[str, int], int] = defaultdict(int)
    items = []
    for r in records:
        key = (r.kind, r.video)
        items.append(_Item(r.kind, r.parts, (r.video, seen[key])))
        seen[key] += 1
    return items


def _score(old: _Item, new: _Item, matcher: SequenceMatcher) -> float:
    """0 if the texts are too different, else their similarity plus a position bonus.

    ``matcher`` already holds ``new.text`` as its second sequence (difflib caches it).
    The bonus only ranks eligible pairs; it never makes an unrelated pair eligible.
    """
    if old.kind == "qa" and any(a == b and a for a, b in zip(old.parts, new.parts, strict=True)):
        similarity = SAME_HALF
    else:
        matcher.set_seq1(old.text)
        if matcher.real_quick_ratio() < THRESHOLD or matcher.quick_ratio() < THRESHOLD:
            return 0.0
        similarity = matcher.ratio()
        if similarity < THRESHOLD:
            return 0.0
    bonus = 0.0
    if old.slot[0] == new.slot[0]:
        bonus += SAME_VIDEO_BONUS + (SAME_SLOT_BONUS if old.slot[1] == new.slot[1] else 0.0)
    return similarity + bonus


def _pair(old: Sequence[_Item], new: Sequence[_Item], fuzzy: bool = True) -> dict[int, int]:
    """``{new index: old index}``: exact text first (nearest slots), then best similarity.

    Similar pairs are looked for within each video first, then across the course,
    so the common case (notes edited in place) costs no all-pairs comparison.
    """
    pairs: dict[int, int] = {}
    by_text: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, item in enumerate(old):
        by_text[(item.kind, item.text)].append(i)
    wanted: dict[tuple[str, str], list[int]] = defaultdict(list)
    for j, item in enumerate(new):
        wanted[(item.kind, item.text)].append(j)
    for key, news in wanted.items():
        olds = sorted(by_text.get(key, ()), key=lambda i: old[i].slot)
        for j, i in zip(sorted(news, key=lambda j: new[j].slot), olds, strict=False):
            pairs[j] = i
    if fuzzy:
        _pair_similar(old, new, pairs, same_video=True)
        _pair_similar(old, new, pairs, same_video=False)
    return pairs


def _pair_similar(
    old: Sequence[_Item], new: Sequence[_Item], pairs: dict[int, int], same_video: bool
) -> None:
    """Add the best similar pairs among the unpaired items to ``pairs``, greedily."""
    taken = set(pairs.values())
    free_old: dict[int | None, list[int]] = defaultdict(list)
    for i, o in enumerate(old):
        if i not in taken:
            free_old[o.slot[0] if same_video else None].append(i)
    candidates = []
    for j, n in enumerate(new):
        if j in pairs:
            continue
        matcher = SequenceMatcher(None, "", n.text, autojunk=False)
        for i in free_old.get(n.slot[0] if same_video else None, ()):
            if old[i].kind == n.kind:
                score = _score(old[i], n, matcher)
                if score >= THRESHOLD:
                    candidates.append((-score, n.slot, old[i].slot, j, i))
    for _, _, _, j, i in sorted(candidates):
        if j not in pairs and i not in taken:
            pairs[j] = i
            taken.add(i)


def match(state: State, notes: Sequence[Identifiable]) -> list[NoteRecord | None]:
    """The previous record of each note (live or tombstone), or ``None`` if it is new."""
    new_items = []
    seen: dict[tuple[str, int], int] = defaultdict(int)
    for n in notes:
        key = (n.kind, n.video)
        new_items.append(_Item(n.kind, tuple(n.parts), (n.video, seen[key])))
        seen[key] += 1
    result: list[NoteRecord | None] = [None] * len(notes)
    for j, i in _pair(_record_items(state.notes), new_items).items():
        result[j] = state.notes[i]
    # A deleted note written again word for word gets its old card back.
    rest = [j for j in range(len(notes)) if result[j] is None]
    revived = _pair(_record_items(state.removed), [new_items[j] for j in rest], fuzzy=False)
    for k, i in revived.items():
        result[rest[k]] = state.removed[i]
    return result


def match_points(
    previous: NoteRecord, parts: Sequence[str]
) -> tuple[tuple[int, ...], int, tuple[int, ...]]:
    """Cloze numbers for a key-points note's bullets: ``(ords, last_ord, retired ords)``."""
    old = [_Item("point", (t,), (0, k)) for k, t in enumerate(previous.parts)]
    new = [_Item("point", (t,), (0, k)) for k, t in enumerate(parts)]
    pairs = _pair(old, new)
    last = max(previous.last_ord, *previous.ords, 0)
    ords = []
    for j in range(len(parts)):
        if j in pairs:
            ords.append(previous.ords[pairs[j]])
        else:
            last += 1
            ords.append(last)
    retired = tuple(sorted(set(previous.ords) - set(ords)))
    return tuple(ords), last, retired


def new_guid(tag: str, note: Identifiable, index: int, taken: set[str]) -> str:
    """A GUID from course tag, kind, video and position: the same on every first build."""
    for salt in itertools.count():
        key = f"{tag}\x1f{note.kind}\x1f{note.video}\x1f{index}" + (f"\x1f{salt}" if salt else "")
        guid = _base62(hashlib.sha256(key.encode("utf-8")).digest()[:8])
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


def assign(state: State, notes: Sequence[Identifiable], tag: str) -> tuple[Assignment, ...]:
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
            guid = new_guid(tag, note, index, taken)
            taken.add(guid)
            count = len(note.parts) if note.kind == "keypoints" else 0
            out.append(Assignment(guid, tuple(range(1, count + 1)), count, None))
        elif note.kind == "keypoints":
            ords, last, retired = match_points(prev, note.parts)
            out.append(Assignment(prev.guid, ords, last, prev, retired if not prev.removed else ()))
        else:
            out.append(Assignment(prev.guid, (), 0, prev))
    return tuple(out)


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
        if a.retired:
            emptied.append((record, a.retired))
    kept = {a.previous.guid for a in assignments if a.previous is not None}
    gone = tuple(
        replace(r, removed=later(r.changed, now)) for r in state.notes if r.guid not in kept
    )
    tombstones = tuple(r for r in state.removed if r.guid not in kept) + gone
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
    after = State(tuple(records), tombstones, tuple(notetypes))
    changes = Changes(
        first_build=state.empty,
        new=tuple(new),
        updated=tuple(updated),
        restored=tuple(restored),
        removed=gone,
        moved=tuple(moved),
        emptied=tuple(emptied),
        restyled=tuple(restyled),
    )
    return after, changes
