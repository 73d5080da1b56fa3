"""Who is who between two builds: pairing notes, and bullets within a key-points note.

Pure functions over texts and places; :mod:`deckpress.deck.identity` turns the pairs
into GUIDs and cloze numbers. Like git's rename detection, identical text is
paired first, then similar text, best pairs first. Whenever two candidates are
equally good, the one in the same *place* wins: the same unit (video) and the
same slot (position among the unit's notes of that kind, or among its bullets),
then the nearest one.

* **Questions** are one text each (prompt + answer); a question whose prompt or
  answer is unchanged while the other half changed counts as :data:`SAME_HALF`.
* **Key-points notes** are paired by their bullets, whatever their order and
  however many were added or removed: first by how many bullets they share
  word for word, then by how similar their bullets are.
* **Bullets** within a paired note keep their cloze number: the same text, then
  a bullet deleted earlier and written again (a *retired* bullet), then the same
  term (``term: …`` / ``term = …`` with another definition, as a question keeps
  its card when only its answer changes), then similar text.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from .clozes import TERM_MAX_CHARS  # a longer "term" is a sentence, not a term

THRESHOLD = 0.6
"""Minimum difflib ratio for two texts to count as the same note (git's rename default is
0.5; unrelated notes of the real course score at most ~0.55)."""
SAME_HALF = 0.9
"""Score of a question whose prompt or answer is unchanged while the other half changed
(and of a bullet whose term is unchanged while its definition changed)."""
SAME_VIDEO_BONUS = 0.02
SAME_SLOT_BONUS = 0.02


@dataclass(frozen=True)
class Item:
    """A note (or a bullet) to pair: its kind, its text parts and its place."""

    kind: str
    parts: tuple[str, ...]
    """``(question, answer)``, the bullets of a key-points note, or ``(bullet,)``."""
    slot: tuple[int, int]
    """``(video, position among the video's notes of this kind)``."""

    @property
    def text(self) -> str:
        return "\n".join(self.parts)


def _place(old: Item, new: Item) -> tuple:
    """Sort key: same unit, then same slot, then the nearest unit and slot."""
    return (
        old.slot[0] != new.slot[0],
        old.slot != new.slot,
        abs(old.slot[0] - new.slot[0]),
        abs(old.slot[1] - new.slot[1]),
    )


def _greedy(ranked: Sequence[tuple[object, int, int]], pairs: dict[int, int]) -> None:
    """Take ``(rank, new, old)`` candidates best first, each side at most once."""
    taken = set(pairs.values())
    for _, j, i in sorted(ranked, key=lambda c: c[0]):
        if j not in pairs and i not in taken:
            pairs[j] = i
            taken.add(i)


# --------------------------------------------------------------------------
# Notes


def pair_notes(old: Sequence[Item], new: Sequence[Item], fuzzy: bool = True) -> dict[int, int]:
    """``{new index: old index}`` for notes of one kind (all ``qa`` or all ``keypoints``)."""
    pairs: dict[int, int] = {}
    if not old or not new:
        return pairs
    points = new[0].kind == "keypoints"
    # the common case first, cheaply: unchanged in the same place (always the best pair)
    here = {(o.slot, frozenset(o.parts) if points else o.text): i for i, o in enumerate(old)}
    for j, n in enumerate(new):
        i = here.get((n.slot, frozenset(n.parts) if points else n.text))
        if i is not None:
            pairs[j] = i
    taken = set(pairs.values())
    rest_old = [i for i in range(len(old)) if i not in taken]
    rest_new = [j for j in range(len(new)) if j not in pairs]
    exact = _shared_bullets if points else _same_text
    found = exact([old[i] for i in rest_old], [new[j] for j in rest_new])
    _greedy([(rank, rest_new[j], rest_old[i]) for rank, j, i in found], pairs)
    score = _points_score if points else _question_score
    if fuzzy:
        _pair_similar(old, new, pairs, score, same_video=True)
        _pair_similar(old, new, pairs, score, same_video=False)
    return pairs


def _same_text(old: Sequence[Item], new: Sequence[Item]) -> list[tuple[object, int, int]]:
    """Identical texts; among several copies the one in the same place wins."""
    by_text: dict[str, list[int]] = defaultdict(list)
    for i, item in enumerate(old):
        by_text[item.text].append(i)
    return [
        ((_place(old[i], n), i, j), j, i)
        for j, n in enumerate(new)
        for i in by_text.get(n.text, ())
    ]


def _shared_bullets(old: Sequence[Item], new: Sequence[Item]) -> list[tuple[object, int, int]]:
    """Key-points notes sharing at least one bullet word for word: most shared first."""
    having: dict[str, list[int]] = defaultdict(list)
    for i, item in enumerate(old):
        for bullet in set(item.parts):
            having[bullet].append(i)
    shared: Counter[tuple[int, int]] = Counter()
    for j, item in enumerate(new):
        for bullet in set(item.parts):
            for i in having.get(bullet, ()):
                shared[i, j] += 1
    return [((-count, _place(old[i], new[j]), i, j), j, i) for (i, j), count in shared.items()]


def _question_score(old: Item, new: Item, matcher: SequenceMatcher) -> float:
    if any(a == b and a for a, b in zip(old.parts, new.parts, strict=True)):
        return SAME_HALF
    return _ratio(old.text, matcher)


def _points_score(old: Item, new: Item, matcher: SequenceMatcher) -> float:
    """How many bullets two key-points notes share, counting similar ones by similarity."""
    used: set[int] = set()
    total = 0.0
    for bullet in new.parts:
        bullet_matcher = SequenceMatcher(None, "", bullet, autojunk=False)
        scores = [
            (bullet_similarity(b, bullet, bullet_matcher), k)
            for k, b in enumerate(old.parts)
            if k not in used
        ]
        best = max(scores, default=(0.0, -1))
        if best[0]:
            used.add(best[1])
            total += best[0]
    return total


def _ratio(old_text: str, matcher: SequenceMatcher) -> float:
    """difflib ratio of ``old_text`` against the matcher's text, 0 below :data:`THRESHOLD`."""
    matcher.set_seq1(old_text)
    if matcher.real_quick_ratio() < THRESHOLD or matcher.quick_ratio() < THRESHOLD:
        return 0.0
    ratio = matcher.ratio()
    return ratio if ratio >= THRESHOLD else 0.0


def _pair_similar(
    old: Sequence[Item],
    new: Sequence[Item],
    pairs: dict[int, int],
    score: Callable[[Item, Item, SequenceMatcher], float],
    same_video: bool,
) -> None:
    """Add the best similar pairs among the unpaired notes, within a video or course-wide.

    The place bonus only ranks eligible pairs; it never makes an unrelated pair eligible.
    """
    taken = set(pairs.values())
    free_old: dict[int | None, list[int]] = defaultdict(list)
    for i, o in enumerate(old):
        if i not in taken:
            free_old[o.slot[0] if same_video else None].append(i)
    ranked: list[tuple[object, int, int]] = []
    for j, n in enumerate(new):
        if j in pairs:
            continue
        matcher = SequenceMatcher(None, "", n.text, autojunk=False)
        for i in free_old.get(n.slot[0] if same_video else None, ()):
            similarity = score(old[i], n, matcher)
            if similarity >= THRESHOLD:
                bonus = 0.0
                if old[i].slot[0] == n.slot[0]:
                    bonus = SAME_VIDEO_BONUS + SAME_SLOT_BONUS * (old[i].slot == n.slot)
                ranked.append(((-(similarity + bonus), n.slot, old[i].slot), j, i))
    _greedy(ranked, pairs)


# --------------------------------------------------------------------------
# Bullets


_SEPARATOR = re.compile(r":\s+|\s=\s")


def term_of(bullet: str) -> str:
    """The term of a ``term: definition`` / ``term = definition`` bullet, else ``""``.

    Mirrors :func:`deckpress.deck.clozes.split_term` on the markdown source: the first
    separator outside inline code and emphasis counts, the term is short and the
    definition not empty.
    """
    for m in _SEPARATOR.finditer(bullet):
        term = bullet[: m.start()]
        if term.count("`") % 2 or term.count("*") % 2 or term.count("_") % 2:
            continue  # inside code or emphasis
        plain = re.sub(r"[`*_]", "", term).strip()
        if "\n" in term or not plain or len(plain) > TERM_MAX_CHARS:
            return ""
        return plain if bullet[m.end() :].strip() else ""
    return ""


def bullet_similarity(old: str, new: str, matcher: SequenceMatcher | None = None) -> float:
    """1 for the same text, :data:`SAME_HALF` for the same term, else the difflib ratio
    (0 below :data:`THRESHOLD`)."""
    if old == new:
        return 1.0
    term = term_of(old)
    if term and term == term_of(new):
        return SAME_HALF
    return _ratio(old, matcher or SequenceMatcher(None, "", new, autojunk=False))


@dataclass(frozen=True)
class Clozes:
    """The cloze numbers of a key-points note after this build."""

    ords: tuple[int, ...]
    """The cloze number of each bullet, in the note's order."""
    last_ord: int
    """The highest number ever used (numbers are never reused for another bullet)."""
    emptied: tuple[int, ...]
    """Numbers whose bullet is gone in this build (their cards are now empty)."""
    retired: tuple[tuple[int, str], ...]
    """Every gone bullet with its number, remembered so it gets its card back if restored."""


def pair_bullets(
    ords: Sequence[int],
    bullets: Sequence[str],
    retired: Sequence[tuple[int, str]],
    last_ord: int,
    new: Sequence[str],
) -> Clozes:
    """Cloze numbers for ``new`` bullets, given the note's previous bullets and numbers."""
    live = list(zip(ords, bullets, strict=True))
    position = {o: k for k, o in enumerate(ords)}
    found: dict[int, int] = {}  # new bullet index -> cloze number
    # the same text: nearest position first; then a retired bullet written again
    _greedy(
        [
            ((abs(position[o] - j), j), j, o)
            for j, text in enumerate(new)
            for o, old in live
            if old == text
        ],
        found,
    )
    _greedy(
        [((o, j), j, o) for j, text in enumerate(new) for o, old in retired if old == text], found
    )
    # the same term, or similar text: best first, live bullets before retired ones
    ranked = []
    for j, text in enumerate(new):
        if j in found:
            continue
        matcher = SequenceMatcher(None, "", text, autojunk=False)
        for rank, pool in ((0, live), (1, retired)):
            for o, old in pool:
                similarity = bullet_similarity(old, text, matcher)
                if similarity:
                    ranked.append(((rank, -similarity, abs(position.get(o, j) - j), j), j, o))
    _greedy(ranked, found)
    last = max(last_ord, *ords, *(o for o, _ in retired), 0)
    out = []
    for j in range(len(new)):
        if j not in found:
            last += 1
            found[j] = last
        out.append(found[j])
    used = set(out)
    emptied = tuple(sorted(o for o in ords if o not in used))
    gone = [(o, t) for o, t in (*retired, *live) if o not in used]
    return Clozes(tuple(out), last, emptied, tuple(sorted(gone)))
