"""Golden files: the parsed model of the format fixtures, compared as JSON.

Regenerate after an intended change with ``UPDATE_GOLDEN=1 pytest tests/test_golden.py``
and review the diff.
"""

from __future__ import annotations

import dataclasses
import json
import os

from deckpress.notes.parse import parse_source

from .conftest import FIXTURES

GOLDEN = FIXTURES / "formats" / "expected-model.json"


def test_format_fixtures_parse_to_golden_model():
    result = parse_source(FIXTURES / "formats", "formats")
    assert result.errors == [] and result.warnings == []
    got = json.dumps(dataclasses.asdict(result.notes), ensure_ascii=False, indent=1) + "\n"
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(got, encoding="utf-8")
    assert got == GOLDEN.read_text(encoding="utf-8")
