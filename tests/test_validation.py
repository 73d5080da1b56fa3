"""Every content error is reported as file:line, all at once, with exit code 1."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from deckpress.cli import main

from .conftest import MINIMAL_CONFIG, video


def run_check(src):
    return CliRunner().invoke(main, ["check", "--source", str(src)])


def assert_fails_with(result, *expected: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    for text in expected:
        assert text in result.output, result.output


def test_check_real_notes_ok():
    result = CliRunner().invoke(main, ["check"])
    assert result.exit_code == 0, result.output
    assert "84" in result.output and "168" in result.output and "251" in result.output
    assert "05 Loss functions & backpropagation *" in result.output
    assert len(result.stdout.splitlines()) <= 25  # one screen (weak-card warnings are on stderr)


def test_duplicate_video_numbers(make_source):
    src = make_source({"a.md": video(1) + video(2), "b.md": video(2)})
    assert_fails_with(run_check(src), f"{src}/b.md:1: duplicate video number 2 (also at a.md:11)")


def test_video_in_no_topic(make_source):
    src = make_source({"a.md": video(1) + video(2) + video(3)})
    assert_fails_with(run_check(src), f"{src}/a.md:21: video 3 is in no topic")


def test_video_in_two_topics(make_source):
    config = "title: T\ntopics:\n  - title: A\n    videos: 1-2\n  - title: B\n    videos: 2-2\n"
    src = make_source({"a.md": video(1) + video(2)}, config)
    assert_fails_with(run_check(src), f"{src}/course.yaml:5: video 2 is in two topics: 'A' and 'B'")


def test_topic_range_names_missing_videos(make_source):
    config = "title: T\ntopics:\n  - title: A\n    videos: 1-5\n"
    src = make_source({"a.md": video(1) + video(2)}, config)
    assert_fails_with(
        run_check(src),
        f"{src}/course.yaml:3: topic 'A' ends at video 5, but the notes have no video 5",
    )


def test_question_without_answer(make_source):
    text = (
        video(1)
        + "## Video 2 — T\n- p\n\n**Interview Questions**\n**Q1. Lonely?**\n\n**Q2. Ok?**\nYes.\n"
    )
    src = make_source({"a.md": text})
    assert_fails_with(run_check(src), f"{src}/a.md:15: Q1 has no answer")


def test_video_without_points_or_questions(make_source):
    src = make_source({"a.md": video(1) + "## Video 2 — Empty\n\n---\n"})
    assert_fails_with(run_check(src), f"{src}/a.md:11: video 2 has no key points and no questions")


def test_non_utf8(make_source):
    src = make_source({"a.md": video(1).encode() + b"## Video 2 \x97 Latin-1 dash\n- p\n"})
    assert_fails_with(run_check(src), f"{src}/a.md:11: not valid UTF-8")


def test_empty_source(make_source):
    src = make_source({})
    assert_fails_with(run_check(src), f"{src}: no notes found")


def test_missing_source_folder(tmp_path):
    result = run_check(tmp_path / "nope")
    assert result.exit_code == 2, result.output  # a command-line mistake, see test_newcomer
    assert f"--source {tmp_path}/nope: no such folder" in result.output


def test_all_problems_reported_together(make_source):
    config = MINIMAL_CONFIG + "  - title: Extra\n    videos: 7-9\ncolour: red\n"
    src = make_source(
        {"a.md": video(1) + video(1) + "## Video 2 — E\n", "b.md": b"\xff\xfe"}, config
    )
    result = run_check(src)
    assert_fails_with(
        result,
        "course.yaml:7: unknown key 'colour'",
        "course.yaml:5: topic 'Extra' starts at video 7",
        "a.md:11: duplicate video number 1",
        "a.md:21: video 2 has no key points and no questions",
        "b.md:1: not valid UTF-8",
    )
    assert "problems found; nothing was written" in result.output


def test_gap_is_a_warning_not_an_error(make_source):
    config = "title: T\ntopics:\n  - title: A\n    videos: 1-4\n"
    src = make_source({"a.md": video(1) + video(4)}, config)
    result = run_check(src)
    assert result.exit_code == 0, result.output
    assert (
        f"warning: {src}/a.md:11: video numbering jumps from 1 to 4 (missing 2–3)" in result.output
    )


def test_build_writes_nothing_on_error(make_source, tmp_path):
    src = make_source({"a.md": video(1) + video(1)})
    out = tmp_path / "dist"
    result = CliRunner().invoke(main, ["build", "--source", str(src), "--out", str(out)])
    assert result.exit_code == 1
    assert not out.exists()


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (
            "title: T\ntopics:\n  - title: A\n    videos: 1-2\n    focsu: true\n",
            "course.yaml:5: unknown key 'focsu' in topics[1]; did you mean 'focus'?",
        ),
        (
            "titel: T\ntopics:\n  - title: A\n    videos: 1-2\n",
            "course.yaml:1: unknown key 'titel' in the course config; did you mean 'title'?",
        ),
        (
            "title: T\ntopics:\n  - title: A\n    videos: two\n",
            "course.yaml:4: topics[1].videos must be a range like 4-7",
        ),
        (
            "title: T\ntopics:\n  - title: A\n    videos: 1-2\n    focus: maybe\n",
            "course.yaml:5: topics[1].focus must be true or false",
        ),
        (
            "title: T\ntopics:\n  - title: A\n    videos: 1-2\nprint:\n  paper: a5\n",
            "course.yaml:6: print.paper must be one of a4, letter",
        ),
        (
            "title: T\ntopics: [\n",
            "course.yaml:2: invalid YAML: the file ends before a '[' or '{' opened on this line is closed",
        ),
        ("topics:\n  - title: A\n    videos: 1-2\n", "course.yaml:1: course needs a 'title' key"),
        ("title: T\ntitle: U\ntopics: []\n", "course.yaml:2: invalid YAML: duplicate key 'title'"),
    ],
)
def test_config_errors(make_source, config, expected):
    src = make_source({"a.md": video(1) + video(2)}, config)
    assert_fails_with(run_check(src), f"{src}/{expected}")


def test_missing_config(make_source):
    src = make_source({"a.md": video(1)}, config=None)
    assert_fails_with(run_check(src), f"{src}/course.yaml: course config not found")


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{% if %}\n", "print-handout.html:1: template error: Expected an expression"),
        ("<p>\n{{ nope.x }}\n", "print-handout.html:2: template error: 'nope' is undefined"),
    ],
)
def test_broken_override_template_is_a_located_error(make_source, tmp_path, template, message):
    config = MINIMAL_CONFIG + "templates: mine\n"
    src = make_source({"a.md": video(1) + video(2), "mine/print-handout.html": template}, config)
    out = tmp_path / "dist"
    result = CliRunner().invoke(
        main, ["build", "--only", "handouts", "--source", str(src), "--out", str(out)]
    )
    assert_fails_with(result, f"{src}/mine/{message}")
    assert not (out / "handouts").exists()


def test_huge_range_typo_is_quick_and_located(make_source):
    config = "title: T\ntopics:\n  - title: A\n    videos: 1-2000000000\n"
    src = make_source({"a.md": video(1) + video(2)}, config)
    assert_fails_with(run_check(src), "ends at video 2000000000")


def test_unwritable_out_is_an_error_not_a_traceback(make_source, tmp_path):
    src = make_source({"a.md": video(1) + video(2)})
    blocker = tmp_path / "afile"
    blocker.write_text("not a folder")
    result = CliRunner().invoke(
        main, ["build", "--only", "deck", "--source", str(src), "--out", str(blocker / "sub")]
    )
    assert_fails_with(result, f"{blocker}/sub", "Not a directory")


def test_card_template_naming_an_unknown_field(make_source, tmp_path):
    config = MINIMAL_CONFIG + "templates: mine\n"
    src = make_source(
        {"a.md": video(1) + video(2), "mine/card_qa_front.html": "<b>{{Question}}</b>\n{{Nope}}\n"},
        config,
    )
    result = CliRunner().invoke(
        main, ["build", "--only", "deck", "--source", str(src), "--out", str(tmp_path / "o")]
    )
    assert_fails_with(result, f"{src}/mine/card_qa_front.html:2: card template uses {{{{Nope}}}}")


def test_deck_name_with_empty_subdeck_part(make_source):
    config = "title: T\ndeck: 'A::'\ntopics:\n  - title: A\n    videos: 1-2\n"
    src = make_source({"a.md": video(1) + video(2)}, config)
    assert_fails_with(
        run_check(src), "course.yaml:2: course.deck must not be empty or have an empty part"
    )
