"""Which headings are units: decided once for the whole course, then numbers checked."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from markdown_it.token import Token

from ..errors import Diagnostic
from .model import Unit
from .syntax import Recogniser, heading_question

# --------------------------------------------------------------------------
# Which headings are units (decided once for the whole course)


@dataclass(frozen=True)
class UnitMode:
    """How units are recognised in this course."""

    kind: str
    """``word`` (``Lecture 3``), ``numbered`` (``12. Title``), ``level`` or ``none``."""
    word: str | None = None
    """The unit word (``word`` mode), compared case-insensitively."""
    level: int | None = None
    """The heading level (``numbered`` and ``level`` modes)."""

    def describe(self) -> str:
        if self.kind == "word":
            return f"units ('{self.word} N — Title' headings)"
        if self.kind == "numbered":
            return f"units (level-{self.level} headings like '12. Title')"
        if self.kind == "level":
            return f"units (level-{self.level} headings)"
        return "units"


def _headings(tokens: list[Token]) -> Iterator[tuple[int, str]]:
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.level == 0:
            yield int(token.tag[1]), tokens[i + 1].content


def unit_mode(rec: Recogniser, files: list[tuple[list[Token], str]]) -> UnitMode:
    headings = [h for tokens, _ in files for h in _headings(tokens)]
    if rec.unit_heading:
        return UnitMode("level", level=rec.unit_heading)
    words: Counter[str] = Counter()
    numbers: dict[str, list[int]] = {}
    for _, text in headings:
        unit = rec.word_unit(text)
        if unit and unit.word:
            words[unit.word.casefold()] += 1
            numbers.setdefault(unit.word.casefold(), []).append(unit.number or 0)
    if words:
        configured = rec.unit_words[0].casefold() if rec.unit_word_configured else None
        if configured and configured in words:
            word = configured
        else:
            # the most frequent word whose numbers do not repeat: "### Part 1" under every
            # "## Lecture N" numbers parts of a lecture, not units
            order = [w.casefold() for w in rec.unit_words]
            word = max(
                words,
                key=lambda w: (
                    len(set(numbers[w])) == len(numbers[w]),
                    words[w],
                    -order.index(w) if w in order else -99,
                ),
            )
        return UnitMode("word", word=word)
    numbered = Counter(level for level, text in headings if rec.numbered_unit(text))
    if numbered:
        level = max(numbered, key=lambda lv: (numbered[lv], -lv))
        return UnitMode("numbered", level=level)
    titles: dict[int, list[str]] = {}
    for level, text in headings:
        if not rec.section(text) and heading_question(text) is None:
            titles.setdefault(level, []).append(text.strip().casefold())
    # the most frequent level whose titles do not repeat ("### Intuition" under every unit
    # names a sub-section, not a unit); else the most frequent level
    distinct = {lv: len(t) for lv, t in titles.items() if len(t) >= 2 and len(set(t)) == len(t)}
    if distinct:
        return UnitMode("level", level=max(distinct, key=lambda lv: (distinct[lv], -lv)))
    several = {lv: len(t) for lv, t in titles.items() if len(t) >= 2} or {
        lv: len(t) for lv, t in titles.items()
    }
    if several:
        level = max(several, key=lambda lv: (several[lv], -lv))
        return UnitMode("level", level=level)
    return UnitMode("none")


def check_numbers(units: list[Unit], mode: UnitMode) -> list[Diagnostic]:
    errors = []
    seen: dict[int, Unit] = {}
    for unit in units:
        first = seen.get(unit.number)
        if first is not None and unit.numbered:
            errors.append(
                Diagnostic(
                    unit.loc.file,
                    unit.loc.line,
                    f"duplicate {_word(unit)} number {unit.number} (also at {first.loc}); "
                    "renumber one of them",
                )
            )
        else:
            seen[unit.number] = unit
    return errors


def check_gaps(units: list[Unit], mode: UnitMode) -> list[Diagnostic]:
    warnings = []
    numbers = sorted({u.number: u for u in units}.items())
    for (before, _), (after, unit) in itertools.pairwise(numbers):
        if after > before + 1:
            missing = f"{before + 1}" if after == before + 2 else f"{before + 1}–{after - 1}"
            warnings.append(
                Diagnostic(
                    unit.loc.file,
                    unit.loc.line,
                    f"{_word(unit)} numbering jumps from {before} to {after} (missing {missing})",
                )
            )
    return warnings


def _word(unit: Unit) -> str:
    return (unit.unit_word or "unit").lower()
