"""The parser on the real notes and on the ways people really write notes."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from deckpress.notes.load import load_course
from deckpress.notes.parse import decode, notes_files, parse_source, parse_text

from .conftest import FIXTURES, ROOT, SOURCE, video

SHARED_NOTES = ROOT.parent / "shared" / "notes" / "deep-learning"


@pytest.fixture(scope="module")
def real():
    return load_course(SOURCE, "source")


def test_real_notes_shape(real):
    videos = list(real.course.videos)
    assert [v.number for v in videos] == list(range(1, 85))
    questions = [q for v in videos for q in v.questions]
    assert len(questions) == 168
    assert all(q.answer.strip() for q in questions)
    assert all(q.prompt.strip() for q in questions)
    assert [len(t.videos) for t in real.course.topics] == [
        3,
        4,
        3,
        3,
        7,
        6,
        4,
        9,
        9,
        6,
        6,
        6,
        4,
        7,
        7,
    ]
    assert real.warnings == ()


def _bullets_by_video(path: Path) -> dict[int, int]:
    """An independent oracle: count '- ' lines under each 'What to remember'."""
    counts: dict[int, int] = {}
    current = None
    in_points = False
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.match(r"#+ Video (\d+)", line)
        if m:
            current, in_points = int(m.group(1)), False
            counts[current] = 0
        elif line.startswith("**What to remember"):
            in_points = True
        elif line.startswith("**Interview"):
            in_points = False
        elif in_points and line.startswith("- ") and current is not None:
            counts[current] += 1
    return counts


def test_key_points_match_bullets(real):
    expected: dict[int, int] = {}
    for path in sorted(SOURCE.glob("*.md")):
        expected.update(_bullets_by_video(path))
    got = {v.number: len(v.key_points) for v in real.course.videos}
    assert got == expected
    assert set(got.values()) == {2, 3, 4}


def test_source_is_the_users_notes_byte_for_byte():
    for name in ("part1.md", "part2.md", "part3.md"):
        shared = SHARED_NOTES / name
        if not shared.exists():
            pytest.skip("shared notes not available here")
        assert (SOURCE / name).read_bytes() == shared.read_bytes()


def _question(real, number: int, label: str):
    video = next(v for v in real.course.videos if v.number == number)
    return next(q for q in video.questions if q.label == label)


@pytest.mark.parametrize(
    ("number", "label", "loc", "prompt", "answer"),
    [
        (
            1,
            "Q1",
            "part1.md:20",
            "How would you structure a deep learning learning-plan to avoid “tutorial hell”?",
            "Use a cycle: (1) concept video → (2) implement minimal version → (3) debug shape/metric "
            "issues → (4) small project → (5) write learnings. The key is *tight feedback loops*: "
            "every concept must translate to a runnable model and a measurable metric.",
        ),
        (
            16,
            "Q1",
            "part1.md:246",
            "In a dense layer, why is `dW = A_prev^T · dZ`?",
            "Because Z = A_prev W + b. Each weight connects an input activation to an output "
            "pre-activation. Matrix calculus yields the outer-product accumulation across the batch.",
        ),
        # last question of each file
        (
            28,
            "Q2",
            "part1.md:428",
            "What’s the key idea behind SELU being “self-normalizing”?",
            "Under specific conditions (activation + initialization + architecture constraints), "
            "activations tend to maintain mean ~0 and variance ~1 across layers, reducing the need "
            "for explicit normalization—though it’s not universally applicable.",
        ),
        # the last answers of part2/part3 sit directly above '---' (a setext heading in CommonMark)
        (
            56,
            "Q2",
            "part2.md:421",
            "What’s the difference between “many-to-one” and “many-to-many” RNN setups?",
            "Many-to-one outputs a single prediction for the full sequence (e.g., sentiment). "
            "Many-to-many outputs a prediction per timestep (e.g., tagging) or sequence-to-sequence "
            "with alignment (later extended with encoder-decoder).",
        ),
        (
            84,
            "Q2",
            "part3.md:421",
            "Greedy vs Beam Search: when does beam search help, and what’s a downside?",
            "Beam search helps when you need high-likelihood, structured outputs (e.g., translation) "
            "by exploring multiple hypotheses. Downside: slower inference and can reduce diversity, "
            "sometimes producing generic outputs.",
        ),
    ],
)
def test_answers_are_what_the_user_wrote(real, number, label, loc, prompt, answer):
    q = _question(real, number, label)
    assert str(q.loc) == loc
    assert q.prompt == prompt
    assert q.answer == answer


def test_every_answer_is_verbatim_in_its_file(real):
    texts = {p.name: decode(p.read_bytes()) for p in SOURCE.glob("*.md")}
    lines = {name: text.split("\n") for name, text in texts.items()}
    for v in real.course.videos:
        for q in v.questions:
            src = lines[q.answer_loc.file][q.answer_loc.line - 1]
            assert q.answer.startswith(src.rstrip()), (q.loc, q.answer[:40])
            assert q.prompt in lines[q.loc.file][q.loc.line - 1]


def test_locations_point_at_headings(real):
    texts = {p.name: p.read_text(encoding="utf-8").split("\n") for p in SOURCE.glob("*.md")}
    for v in real.course.videos:
        assert (
            texts[v.loc.file][v.loc.line - 1].lstrip("#").strip().startswith(f"Video {v.number} ")
        )
        for k in v.key_points:
            assert texts[k.loc.file][k.loc.line - 1] == f"- {k.text}"


def test_front_matter_kept_one_block_each(real):
    blocks = real.course.front_matter
    assert str(blocks[0].loc) == "part1.md:1"
    assert blocks[0].text == "# 100 Days of Deep Learning (CampusX)"
    assert any("Before interviews" in b.text for b in blocks)
    assert [str(b.loc) for b in blocks if b.text.startswith("# ")] == [
        "part1.md:1",
        "part2.md:1",
        "part3.md:1",
    ]


# ---------------------------------------------------------------- formats


@pytest.fixture(scope="module")
def variants():
    return load_course(FIXTURES / "formats", "formats")


def test_variant_headings_and_sections(variants):
    videos = {v.number: v for v in variants.course.videos}
    assert videos[1].title == "En dash, headings as sections"
    assert videos[2].title == "Hyphen separator"
    assert videos[3].title == "BOM and CRLF"
    assert [k.text for k in videos[1].key_points] == [
        "Point one with `code` and **bold**.",
        "Point two: spans\ntwo lines.",
    ]
    assert [k.text for k in videos[2].key_points] == ["Star bullets work."]


def test_any_number_of_questions(variants):
    video = next(v for v in variants.course.videos if v.number == 1)
    assert [q.label for q in video.questions] == ["Q1", "Q2", "Q3", "Q4", "Q5"]
    assert video.questions[0].answer == "First answer, on the next line without a hard break."
    assert video.questions[4].prompt == "Fifth, with <html> & ampersand?"


def test_multi_block_answer(variants):
    q = next(v for v in variants.course.videos if v.number == 1).questions[1]
    assert q.answer == (
        "Paragraph one of the answer.\n\nParagraph two, with a list:\n\n- item a\n- item b\n\n"
        '```python\nprint("a code block")\n```'
    )


def test_bold_label_only_and_setext_trap(variants):
    q = next(v for v in variants.course.videos if v.number == 2).questions[0]
    assert (q.label, q.prompt, q.answer) == (
        "Q1",
        "Bold label only, question plain?",
        "Answer two-one.",
    )


def test_crlf_and_bom(variants):
    v = next(v for v in variants.course.videos if v.number == 3)
    assert str(v.loc) == "crlf-bom.md:3"
    assert [k.text for k in v.key_points] == ["CRLF point one.", "CRLF point two."]
    assert v.questions[0].answer == "Yes, it does."
    assert "\r" not in v.questions[0].answer


def test_front_matter_of_fixture(variants):
    texts = [f.text for f in variants.course.front_matter]
    assert "Some how-to-use text before the first video." in texts


def test_files_read_in_natural_order(make_source):
    src = make_source({"part10.md": video(2), "part2.md": video(1), "sub/a.md": "# x\n"})
    assert [p.relative_to(src).as_posix() for p in notes_files(src)] == [
        "part2.md",
        "part10.md",
        "sub/a.md",
    ]


def test_heading_levels_and_dashes():
    text = "# Video 7: Colon\n- x\n\n#### Video 8 -- Double hyphen\n**Key points**\n- y\n"
    result = parse_text(text, "t.md")
    assert [(v.number, v.title) for v in result.videos] == [(7, "Colon"), (8, "Double hyphen")]
    assert [k.text for k in result.videos[1].key_points] == ["y"]


def test_wrapped_bold_question():
    text = (
        "## Video 1 — T\n**Interview Questions**\n\n**Q1. A question that\nwraps?**  \n"
        "The answer.\n"
    )
    q = parse_text(text, "t.md").videos[0].questions[0]
    assert (q.prompt, q.answer) == ("A question that\nwraps?", "The answer.")


def test_parser_imports_nothing_from_renderers():
    for path in sorted((ROOT / "deckpress" / "notes").glob("*.py")):
        name = path.name
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {
            (n.module or "") if isinstance(n, ast.ImportFrom) else a.name
            for n in ast.walk(tree)
            if isinstance(n, (ast.Import, ast.ImportFrom))
            for a in getattr(n, "names", [])
        }
        assert not any(m.split(".")[0] in {"genanki", "weasyprint"} for m in imported), name
        # the notes know nothing of the deck or the printouts (relative imports)
        assert not any(m.startswith(("deck", "printouts")) for m in imported), name


def test_parse_source_reports_not_raises(make_source):
    src = make_source({"a.md": "## Video 1 — T\n**Interview Questions**\n**Q1. No answer?**\n"})
    result = parse_source(src, "src")
    assert [str(e) for e in result.errors] == [
        "src/a.md:3: Q1 has no answer; write the answer on the line after the question "
        "(or in the next paragraph)"
    ]


def test_a_sub_folder_with_its_own_course_is_left_out(make_source):
    src = make_source(
        {"a.md": video(1) + video(2), "other/course.yaml": "title: Other\n", "other/b.md": video(1)}
    )
    assert [p.relative_to(src).as_posix() for p in notes_files(src)] == ["a.md"]
