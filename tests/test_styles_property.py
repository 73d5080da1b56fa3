"""Property: notes generated in every supported style parse to exactly the model they
were generated from, and every non-blank line is used (or warned about).

The generator writes each unit in one of the documented styles (unit headings,
key-point labels, question and answer forms, separators) from random words, and
keeps the model it meant; the parser must give that model back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

from deckpress.notes.parse import parse_text

WORDS = st.sampled_from(
    "alpha beta gamma delta loss gradient layer weight bias norm batch step model data "
    "tree heap stack queue index join key value cache token vector matrix".split()
)
UNIT_FORMS = [
    ("## Video {n} — {t}", "Video"),
    ("## Lecture {n}: {t}", "Lecture"),
    ("# 📘 Day {n} - {t}", "Day"),
    ("### Session {n} – {t}", "Session"),
    ("## Module {n} | {t}", "Module"),
    ("## Chapter {n} — {t}", "Chapter"),
    ("## {n}. {t}", None),
]
POINT_LABELS = [
    "**What to remember**",
    "Key takeaways",
    "Key takeaways:",
    "#### Key points",
    "TL;DR:",
    "**Key points**:",
    "#### ✅ Summary",
]
QUESTION_LABELS = ["", "**Interview Questions (with answers)**", "#### Questions", "**Quiz**"]


def sentence(words: list[str], end: str = ".") -> str:
    return " ".join(words).capitalize() + end


@dataclass
class Expected:
    number: int
    title: str
    word: str | None
    points: list[str] = field(default_factory=list)
    questions: list[tuple[str, str]] = field(default_factory=list)
    context: list[str] = field(default_factory=list)


@st.composite
def question(draw, i: int) -> tuple[list[str], str, str]:
    prompt = sentence(draw(st.lists(WORDS, min_size=2, max_size=6)), "?")
    paragraphs = draw(st.lists(st.lists(WORDS, min_size=1, max_size=8), min_size=1, max_size=2))
    answer_paras = [sentence(p) for p in paragraphs]
    if draw(st.booleans()):
        answer_paras.append("```python\nx = 1\n\ny = 2\n```")
    first, rest = answer_paras[0], answer_paras[1:]
    form = draw(st.integers(0, 5))
    if form == 0:
        lines = [f"**Q{i}. {prompt}**", first]
    elif form == 1:
        lines = [f"**Q:** {prompt}", f"**A:** {first}"]
    elif form == 2:
        lines = [f"**Question:** {prompt}", f"**Answer:** {first}"]
    elif form == 3:
        lines = [f"**Q{i}. {prompt}** {first}"]
    elif form == 4:
        lines = [f"##### Q{i}) {prompt}", "", first]
    else:
        lines = [f"**Q{i}.** {prompt}  ", first]
    for para in rest:
        lines += ["", para]
    return lines, prompt, "\n\n".join(answer_paras)


@st.composite
def notes(draw) -> tuple[str, list[Expected]]:
    form, word = draw(st.sampled_from(UNIT_FORMS))
    count = draw(st.integers(1, 4))
    start = draw(st.integers(1, 30))
    lines = ["# My course notes", "", "Read these before the exam.", ""]
    expected = []
    for n in range(start, start + count):
        title = sentence(draw(st.lists(WORDS, min_size=1, max_size=4)), "")
        unit = Expected(n, title, word)
        lines += [form.format(n=n, t=title), ""]
        if draw(st.booleans()):
            context = sentence(draw(st.lists(WORDS, min_size=3, max_size=9)))
            unit.context.append(context)
            lines += [context, ""]
        if draw(st.booleans()) or True:
            lines.append(draw(st.sampled_from(POINT_LABELS)))
            for _ in range(draw(st.integers(1, 4))):
                point = sentence(draw(st.lists(WORDS, min_size=2, max_size=8)))
                unit.points.append(point)
                lines.append(f"- {point}")
            lines.append("")
        label = draw(st.sampled_from(QUESTION_LABELS))
        if label:
            lines += [label, ""]
        for i in range(1, draw(st.integers(0, 3)) + 1):
            q_lines, prompt, answer = draw(question(i))
            unit.questions.append((prompt, answer))
            lines += q_lines + [""]
        if draw(st.booleans()):
            lines += ["---", ""]
        expected.append(unit)
    return "\n".join(lines), expected


@settings(max_examples=150, deadline=None)
@given(notes())
def test_generated_notes_parse_to_their_model(case):
    text, expected = case
    result = parse_text(text, "notes.md")
    assert result.errors == [], text
    assert result.coverage.ignored == 0, text
    got = [
        Expected(
            u.number,
            u.title,
            u.unit_word,
            [k.text for k in u.key_points],
            [(q.prompt, q.answer) for q in u.questions],
            [c.text for c in u.context],
        )
        for u in result.notes.units
    ]
    assert got == expected, text
    assert [b.text for b in result.notes.front_matter] == [
        "# My course notes",
        "Read these before the exam.",
    ]


MARKUP_LINES = {"---", "<div></div>", "<details><summary>Answer</summary>", "</details>"}
LABEL_LINES = {"Key takeaways"}


def _reduced(line: str) -> str:
    """A line without the markup the parser removes (markers, bold, Q/A labels)."""
    text = line.strip()
    for pattern in (r"^#{1,6}\s+", r"^(?:[-+*]|\d+[.)])\s+", r"^>\s*"):
        text = re.sub(pattern, "", text)
    text = text.replace("**", "")
    text = re.sub(r"^(?:Q\d*|A|Question|Answer)\s*[.:)]\s*", "", text)
    text = re.sub(r"^Lecture \d+:\s*", "", text)
    return text.strip()


PIECES = [
    "## Lecture 1: A",
    "**Q1. Why?**",
    "Because.",
    "- item",
    "Key takeaways",
    "---",
    "",
    "<div></div>",
    "<details><summary>Answer</summary>",
    "</details>",
    "| a | b |",
    "|---|---|",
    "![x](y.png)",
    "[^1]: note",
    "[ref]: http://x",
    "```",
    "$$",
    "> quote",
    "    indented",
    "### Sub",
    "**Q:** What?",
    "**A:** That.",
    "1. **Item?**",
    "   answer",
    "## Lecture 2: B",
    "Summary:",
    "* star",
    "Text with *emphasis*",
    "\\",
    "&amp;",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40))
def test_every_line_is_in_the_model_or_in_a_warning(lines):
    text = "\n".join(lines)
    result = parse_text(text, "notes.md")
    notes = result.notes
    strings = [b.text for b in notes.front_matter]
    for u in notes.units:
        strings += [u.title] + [k.text for k in u.key_points] + [c.text for c in u.context]
        strings += [q.prompt for q in u.questions] + [q.answer for q in u.questions]
    named = {d.line for d in result.warnings + result.errors}
    for number, line in enumerate(text.split("\n"), 1):
        reduced = _reduced(line)
        if not reduced or line.strip() in MARKUP_LINES | LABEL_LINES | {"Summary:"}:
            continue
        if number in named:
            continue
        assert any(reduced in s for s in strings), f"line {number} lost: {line!r}\n{text}"
    assert result.coverage.ignored == sum(
        "not used by any card" in d.message for d in result.warnings
    )
