"""Property: whatever text the parser is given, it returns a model or raises our error."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deckpress.errors import ContentError
from deckpress.notes.load import load_course
from deckpress.notes.parse import parse_text

from .conftest import SOURCE

REAL = (SOURCE / "part1.md").read_text(encoding="utf-8").split("\n")[:120]
CONFIG = "title: Fuzz\ntopics:\n  - title: All\n    videos: 1-200\n"

markdownish = st.text(
    alphabet=st.sampled_from(
        list("#*_-–—=`>|[]()!<&{}:.\\ \t\n\r1234567890Qqabc?\u00a0\ufeff\x00")
    ),
    max_size=400,
)


def _load(text: str | bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp)
        (src / "course.yaml").write_text(CONFIG, encoding="utf-8")
        data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
        (src / "notes.md").write_bytes(data)
        try:
            load_course(src, "src")
        except ContentError as exc:
            assert exc.diagnostics
            for d in exc.diagnostics:
                assert d.file.startswith("src"), d
                assert d.line >= 0 and d.message, d
                if d.file == "src/notes.md":
                    assert d.line >= 1, d


@settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", 300)),  # raise it for a deeper run
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.one_of(markdownish, st.text(max_size=300)))
def test_arbitrary_text(text):
    parse_text(text, "x.md")
    _load(text)


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes(data):
    _load(data)


@st.composite
def mutated_notes(draw):
    lines = list(REAL)
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["delete", "duplicate", "swap", "insert", "truncate", "garble"]))
        i = draw(st.integers(0, len(lines) - 1)) if lines else 0
        if not lines:
            break
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "insert":
            lines.insert(i, draw(markdownish))
        elif op == "truncate":
            lines[i] = lines[i][: draw(st.integers(0, max(0, len(lines[i]))))]
        else:
            pos = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:pos] + draw(markdownish) + lines[i][pos:]
    return "\n".join(lines)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_notes())
def test_mutated_real_notes(text):
    _load(text)


def test_fuzz_harness_sees_errors(tmp_path):
    """The loader the properties exercise does report located errors (so they can fail)."""
    (tmp_path / "course.yaml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "a.md").write_text("## Video 1 — T\n**Interview Questions**\n**Q1. x?**\n")
    with pytest.raises(ContentError) as failed:
        load_course(tmp_path, "src")
    assert str(failed.value.diagnostics[0]).startswith("src/a.md:3: Q1 has no answer")
