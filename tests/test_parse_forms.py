"""Each form the README's "Writing notes" table promises, one small input each."""

from __future__ import annotations

import pytest

from deckpress.notes.config import NotesSyntax
from deckpress.notes.parse import parse_text


def units(text: str, syntax: NotesSyntax | None = None):
    result = parse_text(text, "n.md", syntax)
    assert result.errors == [], result.errors
    return result.notes.units, result


@pytest.mark.parametrize(
    ("heading", "word", "number", "title"),
    [
        ("## Video 12 — Title", "Video", 12, "Title"),
        ("## Lecture 3: Joins", "Lecture", 3, "Joins"),
        ("# 📘 Day 5 - Mean", "Day", 5, "Mean"),
        ("### Lesson #4 – Trees", "Lesson", 4, "Trees"),
        ("## Chapter 03. Graphs", "Chapter", 3, "Graphs"),
        ("## Week 2) Arrays", "Week", 2, "Arrays"),
        ("## Lecture:11 Hashing", "Lecture", 11, "Hashing"),
        ("## Lecture 09: Heaps", "Lecture", 9, "Heaps"),
        ("## Module 4 | Sampling", "Module", 4, "Sampling"),
        ("## IV. Part 4 — Roman prefix", "Part", 4, "Roman prefix"),
        ("## **Episode 7 — Bold heading**", "Episode", 7, "Bold heading"),
        ("## session 1 -- lower case", "session", 1, "lower case"),
        ("## 12. Numbered only", None, 12, "Numbered only"),
    ],
)
def test_unit_headings(heading, word, number, title):
    text = f"{heading}\n\n**What to remember**\n- A point.\n"
    found, _ = units(text)
    assert [(u.unit_word, u.number, u.title) for u in found] == [(word, number, title)]


def test_configured_unit_word():
    found, _ = units(
        "## Vidéo 3 — Régularisation\n\nÀ retenir\n- Un point.\n",
        NotesSyntax(unit_word="Vidéo", key_point_labels=("À retenir",)),
    )
    assert [(u.unit_word, u.number, u.key_points[0].text) for u in found] == [
        ("Vidéo", 3, "Un point.")
    ]


def test_units_by_heading_level_are_numbered_in_order():
    text = "# Title\n\n## Alpha\n\n- Key points:\n\n## Beta\n\n**Key points**\n- B.\n"
    found, _ = units(text, NotesSyntax(unit_heading=2))
    assert [(u.number, u.numbered, u.title, u.label) for u in found] == [
        (1, False, "Alpha", ""),
        (2, False, "Beta", ""),
    ]


@pytest.mark.parametrize(
    ("block", "prompt", "answer"),
    [
        ("**Q1. Why?**\nBecause.", "Why?", "Because."),
        ("**Q1.** Why?\nBecause.", "Why?", "Because."),
        ("**Q:** Why?\n**A:** Because.", "Why?", "Because."),
        ("Q: Why?\nA: Because.", "Why?", "Because."),
        ("**Question:** Why?\n**Answer:** Because.", "Why?", "Because."),
        ("**Question**: Why?\n**Answer**: Because.", "Why?", "Because."),
        ("**Q1. Why?** Because.", "Why?", "Because."),
        ("**Q1. Why?** 🔥 #hard\nBecause.", "Why? 🔥 #hard", "Because."),
        ("**Q1. Why?**  \nBecause.\n\nMore.", "Why?", "Because.\n\nMore."),
        ("#### Q1) Why?\nBecause.", "Why?", "Because."),
        ("**Q1. Why does it\nwrap?**\nBecause.", "Why does it\nwrap?", "Because."),
    ],
)
def test_question_forms(block, prompt, answer):
    found, _ = units(f"## Lecture 1: T\n\n{block}\n")
    assert [(q.prompt, q.answer) for q in found[0].questions] == [(prompt, answer)]


@pytest.mark.parametrize(
    ("section", "block", "prompt", "answer"),
    [
        ("### Questions", "#### 12) Why?\n\nBecause.", "Why?", "Because."),
        ("### Questions", "#### What is X?\n\n- a\n- b", "What is X?", "- a\n- b"),
        (
            "**Quiz**",
            "**1. What?**\n\n```py\nx\n```\n\n<details><summary>A</summary>\n\nB.\n\n</details>",
            "What?\n\n```py\nx\n```",
            "B.",
        ),
        ("### Check yourself", "1. **Why?**\n\n   Because.\n2. **How?**\n   So.", None, None),
        (
            "**Interview Questions**",
            "**Why is the sky blue?**\nScattering.",
            "Why is the sky blue?",
            "Scattering.",
        ),
    ],
)
def test_question_sections(section, block, prompt, answer):
    found, _ = units(f"## Lecture 1: T\n\n{section}\n\n{block}\n")
    got = [(q.prompt, q.answer) for q in found[0].questions]
    if prompt is None:
        assert got == [("Why?", "Because."), ("How?", "So.")]
    else:
        assert got == [(prompt, answer)]


def test_bold_question_line_inside_labelled_answers_stays_in_the_answer():
    text = "## Lecture 1: T\n\n**Q1. Why?**\nOne.\n\n**But why really?**\nTwo.\n"
    found, result = units(text)
    assert [(q.prompt, q.answer) for q in found[0].questions] == [
        ("Why?", "One.\n\n**But why really?**\nTwo.")
    ]
    assert any("n.md:6" == f"{w.file}:{w.line}" for w in result.warnings)


@pytest.mark.parametrize(
    "label",
    [
        "What to remember",
        "**What to remember**",
        "### What to remember",
        "Key takeaways:",
        "TL;DR:",
        "tl;dr",
        "## ✅ Summary",
        "**Key points**:",
        "Remember",
        "Takeaways",
    ],
)
def test_key_point_labels(label):
    found, _ = units(f"## Lecture 1: T\n\n{label}\n- One.\n- Two\n  wrapped.\n1. Three.\n")
    # a numbered list right after a bullet list is a second list: its items count too
    assert [k.text for k in found[0].key_points] == ["One.", "Two\nwrapped.", "Three."]


def test_only_list_items_are_key_points():
    text = (
        "## Lecture 1: T\n\n**What to remember**\n\n<div></div>\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n![x](y.png)\n\n$$\nx\n$$\n\nA wrapped\nparagraph.\n\n"
        "- The point.\n"
    )
    found, result = units(text)
    assert [k.text for k in found[0].key_points] == ["The point."]
    assert [c.text for c in found[0].context] == [
        "| a | b |\n|---|---|\n| 1 | 2 |",
        "![x](y.png)",
        "$$\nx\n$$",
        "A wrapped\nparagraph.",
    ]
    assert result.coverage.ignored == 0


def test_heading_above_units_ends_a_unit_with_a_warning():
    text = "### Video 1 — A\n\n- x\n\n**What to remember**\n- P.\n\n## Part 2 notes\n\nIntro.\n\n### Video 2 — B\n\n**What to remember**\n- Q.\n"
    found, result = units(text)
    assert [u.number for u in found] == [1, 2]
    assert [b.text for b in result.notes.front_matter] == ["## Part 2 notes", "Intro."]
    assert any(w.line == 8 and "ends video 1" in w.message for w in result.warnings)
    assert found[0].context[0].text == "- x"


def test_sub_heading_ends_the_key_points_section():
    text = "## Lecture 1: A\n\n**What to remember**\n- P.\n\n### Aside\n\n- not a key point\n"
    found, _ = units(text)
    assert [k.text for k in found[0].key_points] == ["P."]
    assert [c.text for c in found[0].context] == ["### Aside", "- not a key point"]


def test_heading_at_unit_level_stays_in_the_unit():
    text = "## Lecture 1: A\n\n**What to remember**\n- P.\n\n## Advanced:\n\nMore text.\n"
    found, result = units(text)
    assert [c.text for c in found[0].context] == ["## Advanced:", "More text."]
    assert any(w.line == 6 for w in result.warnings)


def test_html_block_does_not_swallow_the_next_unit():
    text = (
        "## Lecture 1: A\n\n- Key points:\n\n<div class='x'>\n## Lecture 2: B\n**Q1. Why?**\nSo.\n"
    )
    found, result = units(text)
    assert [u.number for u in found] == [1, 2]
    assert [(q.prompt, q.answer) for q in found[1].questions] == [("Why?", "So.")]
    assert any("HTML block" in w.message for w in result.warnings)


def test_link_reference_and_footnote_definitions_are_kept_with_a_warning():
    text = (
        "## Lecture 1: A\n\n**Q1. Why?**\nSee [the docs][d] and this[^1].\n\n"
        "[d]: https://example.org/docs\n\n[^1]: https://example.org/footnote\n"
    )
    found, result = units(text)
    # the reference stays with the answer that uses it, so the link works on the card
    assert found[0].questions[0].answer == (
        "See [the docs][d] and this[^1].\n\n[d]: https://example.org/docs"
    )
    assert [c.text for c in found[0].context] == ["[^1]: https://example.org/footnote"]
    assert {w.line for w in result.warnings} >= {6, 8}
    assert result.coverage.ignored == 0


def test_setext_trap_is_a_separator():
    text = "## Lecture 1: A\n\n**Q:** Why?\n**A:** Because.\n---\n\n## Lecture 2: B\n\n- x\n\nKey points\n- y\n"
    found, _ = units(text)
    assert [(q.prompt, q.answer) for q in found[0].questions] == [("Why?", "Because.")]
    assert [k.text for k in found[1].key_points] == ["y"]


def test_unit_with_only_context_is_a_warning_not_an_error():
    result = parse_text("## Lecture 1: A\n\nJust prose.\n", "n.md")
    assert result.errors == []
    assert any("no key points and no questions" in w.message for w in result.warnings)
    assert result.notes.units[0].context[0].text == "Just prose."


@pytest.mark.parametrize(
    ("block", "questions", "context"),
    [
        # a question in the summary: the answer is inside
        (
            "**Interview Questions**\n\n<details>\n<summary>What does cleanup do?</summary>\n\n"
            "It runs on unmount.\n\n</details>",
            [("What does cleanup do?", "It runs on unmount.")],
            [],
        ),
        # a fold of extra material after an answer is context, not the answer
        (
            "**Q1. What is a commit?**\nA snapshot.\n\n<details>\n<summary>Extra: objects"
            "</summary>\n\nObjects are content-addressed.\n\n</details>",
            [("What is a commit?", "A snapshot.")],
            ["<details>\n<summary>Extra: objects</summary>", "Objects are content-addressed."],
        ),
        # all on one line
        (
            "**Quiz**\n\n**1. What is len([])?**\n\n<details><summary>Answer</summary>0</details>",
            [("What is len([])?", "0")],
            [],
        ),
        # a labelled question in bold inside the summary
        (
            "<details><summary><b>Q1. What does rebase do?</b></summary>\n\nReplays commits."
            "\n\n</details>",
            [("What does rebase do?", "Replays commits.")],
            [],
        ),
    ],
)
def test_details_blocks(block, questions, context):
    found, result = units(f"## Lecture 1: A\n\n{block}\n")
    assert [(q.prompt, q.answer) for q in found[0].questions] == questions
    assert [c.text for c in found[0].context] == context
    assert result.coverage.ignored == 0


def test_html_comments_are_left_out_with_a_warning():
    found, result = units("## Lecture 1: A\n\n**Q1. X?**\nY.\n\n<!-- TODO: diagrams -->\n")
    assert found[0].context == () and found[0].questions[0].answer == "Y."
    assert any("HTML comment" in w.message and w.line == 6 for w in result.warnings)


def test_a_label_and_a_question_over_a_display_formula():
    text = "## Video 1 — M\n\n**Interview Questions**\n**Q1. Write it?**\n$$\nx^2\n$$\nSo.\n"
    found, _ = units(text)
    assert [(q.prompt, q.answer) for q in found[0].questions] == [("Write it?", "$$\nx^2\n$$\nSo.")]


def test_the_unit_word_is_the_one_whose_numbers_do_not_repeat():
    text = "".join(
        f"## Lecture {n}: L{n}\n\n### Part 1 — a\n\n- x\n\n### Part 2 — b\n\n**Q1. Why?**\nSo.\n\n"
        for n in (1, 2, 3)
    )
    found, _ = units(text)
    assert [(u.unit_word, u.number) for u in found] == [
        ("Lecture", 1),
        ("Lecture", 2),
        ("Lecture", 3),
    ]


def test_repeated_sub_section_titles_are_not_units():
    text = "".join(
        f"## Topic {t}\n\n### Intuition\n\nText.\n\n### Example\n\nMore.\n\n**Q1. Why?**\nSo.\n\n"
        for t in ("alpha", "beta")
    )
    found, _ = units(text)
    assert [u.title for u in found] == ["Topic alpha", "Topic beta"]


def test_yaml_front_matter_is_front_matter_whole():
    text = "---\ncreated: 2024-03-01\nlecture: 3\n---\n## Lecture 1: Arrays\n\n**Q1. X?**\nY.\n"
    found, result = units(text)
    assert [(u.number, u.title) for u in found] == [(1, "Arrays")]
    assert [b.text for b in result.notes.front_matter] == [
        "---\ncreated: 2024-03-01\nlecture: 3\n---"
    ]


@pytest.mark.parametrize(
    ("block", "questions", "points"),
    [
        (  # plain numbered questions with the answer under each, after a label
            "### Interview Questions\n1. What is an image?\n   A template.\n2. Why containers?\n"
            "   Isolation.",
            [("What is an image?", "A template."), ("Why containers?", "Isolation.")],
            [],
        ),
        (  # a labelled question among key points is a question
            "Key points\n- A point.\n\n- **Q:** Which one uses a queue?\n  BFS.",
            [("Which one uses a queue?", "BFS.")],
            ["A point."],
        ),
        (  # a quoted question and an Obsidian question callout
            "> **Q:** What is X?\n> It is Y.\n\n> [!question]- What is an orphan?\n> A lost child.",
            [("What is X?", "It is Y."), ("What is an orphan?", "A lost child.")],
            [],
        ),
        (  # a heading that asks is a question, label or not
            "Key points\n- P.\n\n### What is a margin of error?\n\nHalf the width.",
            [("What is a margin of error?", "Half the width.")],
            ["P."],
        ),
        (  # question and answer on one line
            "Q: What port does HTTP use? A: 80.",
            [("What port does HTTP use?", "80.")],
            [],
        ),
        (  # a bullet about the letter Q is not a question
            "Key takeaways 🔑\n- Q.\n- P.",
            [],
            ["Q.", "P."],
        ),
    ],
)
def test_more_question_shapes(block, questions, points):
    found, result = units(f"## Lecture 1: A\n\n{block}\n")
    assert [(q.prompt, q.answer) for q in found[0].questions] == questions
    assert [k.text for k in found[0].key_points] == points
    assert result.coverage.ignored == 0


def test_plain_q_in_a_list_of_symbols_is_not_a_question():
    found, _ = units(
        "## Lecture 1: A\n\nKey points\n- F.\n\nWhere\nQ: the source charge\nr: distance\n"
    )
    assert found[0].questions == ()
    assert found[0].context[0].text.startswith("Where")


def test_unclosed_code_fence_and_fractional_units_are_named():
    result = parse_text("## Lecture 1: A\n\n**Q1. Open?**\n```py\nx\n\n## Lecture 2: B\n", "n.md")
    assert any(w.line == 4 and "never closes" in w.message for w in result.warnings)
    result = parse_text("## Lecture 3: A\n\n- Key\n\n## Lecture 3.5: B\n\n- x\n", "n.md")
    assert [str(e) for e in result.errors] == [
        "n.md:5: 'Lecture 3.5' is not a whole number: units are numbered 1, 2, 3 …; renumber "
        "it (topics in course.yaml refer to these numbers)"
    ]


def test_question_before_the_first_unit_of_a_file_is_named():
    from deckpress.notes.parse import parse_texts

    result = parse_texts(
        [
            ("a.md", "## Lecture 1: A\n\n**Q1. X?**\nY.\n"),
            ("b.md", "**Q2. Z?**\nW.\n\n## Lecture 2: B\n\n**Q1. V?**\nU.\n"),
        ]
    )
    assert any(str(w).startswith("b.md:1: question before the first unit") for w in result.warnings)


def test_a_key_points_label_with_text_after_it_is_named():
    found, result = units(
        "## Lecture 1: A\n\n**TL;DR:** Descent follows the slope.\n\n**Q1. X?**\nY.\n"
    )
    assert found[0].context[0].text == "**TL;DR:** Descent follows the slope."
    assert any(w.line == 3 and "same line" in w.message for w in result.warnings)


def test_an_obsidian_embed_is_named():
    _, result = units("## Lecture 1: A\n\n**Q1. X?**\nSee ![[diagram.png]].\n")
    assert any(w.line == 4 and "Obsidian embed" in w.message for w in result.warnings)


def test_the_parser_leaves_markdown_its_tokens_as_they_were(monkeypatch):
    """Inside watch (parse.keep_tokens) each file's tokens are kept for the next build:
    the parser must only read them, whatever the notes' style."""
    from pathlib import Path

    from deckpress.notes import parse

    from .conftest import FIXTURES, SOURCE

    folders = [SOURCE, *sorted((FIXTURES / "styles").iterdir())]
    texts = [
        (p.name, p.read_text(encoding="utf-8-sig").replace("\r\n", "\n"))
        for folder in folders
        for p in sorted(Path(folder).rglob("*.md"))
    ]
    assert len(texts) > 12
    monkeypatch.setattr(parse, "_kept", None)
    first = parse.parse_texts(texts)
    assert parse._kept is None  # a one-shot build keeps nothing
    parse.keep_tokens()
    parse.parse_texts(texts)
    kept = dict(parse._kept)
    before = {text: repr(parse.md.parse(text)) for text in kept}  # as markdown-it makes them
    assert len(before) == len({text for _, text in texts})
    again = parse.parse_texts(texts)  # reads the kept tokens
    assert all(parse._kept[text] is kept[text] for text in kept)
    assert {text: repr(tokens) for text, tokens in parse._kept.items()} == before
    assert repr(again.notes) == repr(first.notes)
    parse.parse_texts(texts[:1])  # only the last parse's files are kept
    assert list(parse._kept) == [texts[0][1]]
