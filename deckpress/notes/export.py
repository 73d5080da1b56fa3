"""The parsed notes as plain JSON data (``deckpress check --json``).

The shape is the one of ``expected.json`` in the notes-styles corpus, so other
tools (and the tests) can compare models directly: every string is the
markdown source as written.
"""

from __future__ import annotations

from typing import Any

from ..errors import Diagnostic
from .model import Notes, Unit


def notes_json(notes: Notes, warnings: tuple[Diagnostic, ...] = ()) -> dict[str, Any]:
    """``{"unit_word", "units": [...], "front_matter": [...], "warnings": [...]}``.

    ``unit_word`` is the word of the first unit (``None`` for unnumbered or
    word-less units); ``file`` is relative to the source folder; ``line`` is 1-based.
    """
    return {
        "unit_word": next((u.unit_word for u in notes.units if u.unit_word), None),
        "units": [unit_json(unit) for unit in notes.units],
        "front_matter": [block.text for block in notes.front_matter],
        "warnings": [str(w) for w in warnings],
    }


def unit_json(unit: Unit) -> dict[str, Any]:
    return {
        "file": unit.loc.file,
        "line": unit.loc.line,
        "number": unit.number if unit.numbered else None,
        # what topic ranges in course.yaml and tags use: the number, or the unit's place
        "topic_number": unit.number,
        "unit_word": unit.unit_word,
        "title": unit.title,
        "key_points": [point.text for point in unit.key_points],
        "questions": [{"prompt": q.prompt, "answer": q.answer} for q in unit.questions],
        "context": [block.text for block in unit.context],
    }
