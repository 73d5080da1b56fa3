"""A newcomer's first hour: each rough edge found by trying deckpress as one would."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from deckpress.cli import main
from deckpress.notes.config import read_config

from .conftest import MINIMAL_CONFIG, ROOT, cli_build, video


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


# --------------------------------------------------------------------------
# First build, renamed deck


def test_first_build_says_so(make_source, tmp_path):
    src = make_source({"a.md": video(1) + video(2)})
    out = tmp_path / "dist"
    first = cli_build(src, out, "--only", "deck")
    assert first.startswith(f"first build into {out}/: every file is new")
    (src / "a.md").write_text(video(1) + video(2).replace("Answer 2.", "Answer two."))
    again = cli_build(src, out, "--only", "deck")
    assert "first build into" not in again
    assert "changes since the last build: 1 updated" in again


def test_first_build_with_a_lock_from_elsewhere_does_not_claim_no_changes(make_source, tmp_path):
    src = make_source({"a.md": video(1) + video(2)})
    cli_build(src, tmp_path / "elsewhere", "--only", "deck")  # writes source/deckpress.lock
    output = cli_build(src, tmp_path / "dist", "--only", "deck")
    assert output.startswith("first build into")
    assert "no changes since the last build" not in output
    assert "no note changed since the last build recorded in" in output


def rename_deck(src, name: str) -> None:
    (src / "course.yaml").write_text(f"deck: {name}\n" + MINIMAL_CONFIG)


def test_renamed_deck_removes_the_old_apkg(make_source, tmp_path):
    src = make_source({"a.md": video(1) + video(2)})
    out = tmp_path / "dist"
    rename_deck(src, "Old name")
    cli_build(src, out, "--only", "deck")
    (out / "mine.apkg").write_bytes(b"not written by deckpress")
    rename_deck(src, "New name")
    output = cli_build(src, out, "--only", "deck")
    assert f"removed {out}/old-name.apkg" in output
    assert sorted(p.name for p in out.glob("*.apkg")) == ["mine.apkg", "new-name.apkg"]
    # and again: the manifest now knows new-name.apkg as written by deckpress
    rename_deck(src, "Third")
    cli_build(src, out, "--only", "deck")
    assert (out / "third.apkg").exists() and not (out / "new-name.apkg").exists()


def test_renamed_deck_keeps_an_old_apkg_the_user_changed(make_source, tmp_path):
    src = make_source({"a.md": video(1) + video(2)})
    out = tmp_path / "dist"
    rename_deck(src, "Old name")
    cli_build(src, out, "--only", "deck")
    with open(out / "old-name.apkg", "ab") as f:
        f.write(b"edited")
    rename_deck(src, "New name")
    output = cli_build(src, out, "--only", "deck")
    assert "removed" not in output
    assert (out / "old-name.apkg").exists()


# --------------------------------------------------------------------------
# --source mistakes: one line with a hint, exit code 2


@pytest.mark.parametrize("command", ["build", "check", "watch"])
def test_source_that_is_a_file(make_source, command):
    src = make_source({"a.md": video(1) + video(2)})
    result = invoke(command, "--source", str(src / "course.yaml"))
    assert result.exit_code == 2, result.output
    assert result.output == (
        f"error: --source {src}/course.yaml is a file; pass the folder that holds "
        f"course.yaml and the notes (--source {src})\n"
    )


@pytest.mark.parametrize("command", ["build", "check", "watch"])
def test_source_that_does_not_exist(tmp_path, command):
    result = invoke(command, "--source", str(tmp_path / "nope"))
    assert result.exit_code == 2, result.output
    assert result.output.count("\n") == 1
    assert "no such folder; pass the folder that holds course.yaml" in result.output


@pytest.mark.parametrize("args", [[], ["build"], ["check"]])
def test_run_outside_the_course_folder(tmp_path, monkeypatch, args):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert result.output == (
        f"error: no source/ folder in {tmp_path}; run deckpress in your course folder "
        "(the one that holds source/), or pass --source DIR\n"
    )


@pytest.mark.parametrize("entry", [["build.py"], ["-m", "deckpress"]])
def test_outside_the_virtualenv_says_how_to_set_up(entry):
    # -S: no site-packages, as with a system Python that never ran `make build`
    out = subprocess.run(
        [sys.executable, "-S", *entry, "--version"], cwd=ROOT, capture_output=True, text=True
    )
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    assert "error: deckpress's dependencies are not installed" in out.stderr
    assert "make build" in out.stderr and "pip install -e ." in out.stderr


# --------------------------------------------------------------------------
# course.yaml as people type it


def test_enum_values_in_any_case(make_source, tmp_path):
    config = (
        MINIMAL_CONFIG
        + "    handout_answers: Short\nprint:\n  paper: A4\n"
        + "  cheatsheet:\n    answers: FULL\n  handouts:\n    answers: None\n"
    )
    src = make_source({"a.md": video(1) + video(2)}, config)
    loaded, problems = read_config(src / "course.yaml")
    assert problems == []
    assert loaded.print.paper == "a4"
    assert loaded.topics[0].handout_answers == "short"
    assert loaded.print.cheatsheet.answers == "full"
    assert loaded.print.handouts.answers == "none"
    cli_build(src, tmp_path / "dist", "--only", "Deck", "--paper", "A4")


def test_enum_value_that_is_wrong_in_any_case_is_still_an_error(make_source):
    src = make_source({"a.md": video(1) + video(2)}, MINIMAL_CONFIG + "print:\n  paper: A5\n")
    result = invoke("check", "--source", str(src))
    assert result.exit_code == 1
    assert "course.yaml:6: print.paper must be one of a4, letter, not 'A5'" in result.output


@pytest.mark.parametrize(
    ("config", "line", "words"),
    [
        (
            "title: T\ntopics:\n  - title: A\n   videos: 1-2\n",
            4,
            "this line is not indented like the lines above it; keys of one entry "
            "(such as title: and units:) must start in the same column",
        ),
        (
            "title: T\ntopics:\n  - title: A\n      videos: 1-2\n",
            4,
            "this line is indented more than the keys above it; line it up with them",
        ),
        ("title: T\n\tdeck: D\n", 2, "a tab character; indent with spaces only"),
        (
            "title: Intro: basics\ntopics: []\n",
            1,
            "a value with ': ' in it needs quotes, e.g. title: \"Intro: basics\"",
        ),
        ('title: "T\ntopics: []\n', 1, "a quote opened on this line is never closed"),
        ("title: T\nfoo\ntopics: []\n", 2, "expected 'key: value'"),
    ],
)
def test_yaml_mistakes_in_plain_words(make_source, config, line, words):
    src = make_source({"a.md": video(1) + video(2)}, config)
    result = invoke("check", "--source", str(src))
    assert result.exit_code == 1
    assert f"{src}/course.yaml:{line}: invalid YAML: {words}" in result.output
    for jargon in ("<block", "mapping values", "token", "scanning", "Traceback"):
        assert jargon not in result.output


@pytest.mark.parametrize(
    ("config", "error"),
    [
        (
            "title: T\ntopcis:\n  - title: A\n    videos: 1-2\n",
            "course.yaml:2: unknown key 'topcis' in the course config; did you mean 'topics'?",
        ),
        (
            "titel: T\ntopics:\n  - title: A\n    videos: 1-2\n",
            "course.yaml:1: unknown key 'titel' in the course config; did you mean 'title'?",
        ),
        (
            "title: T\ntopics:\n  - title: A\n    vidoes: 1-2\n",
            "course.yaml:4: unknown key 'vidoes' in topics[1]; did you mean 'videos'?",
        ),
    ],
)
def test_a_typo_in_a_key_is_one_error_not_a_cascade(make_source, config, error):
    src = make_source({"a.md": video(1) + video(2)}, config)
    result = invoke("check", "--source", str(src))
    assert result.exit_code == 1
    assert result.output == f"{src}/{error}\n1 problem found; nothing was written.\n"


@pytest.mark.parametrize(
    ("config", "errors"),
    [
        (
            "",
            [
                "course.yaml:1: course needs a 'title' key",
                "course.yaml:1: course needs a 'topics' key",
            ],
        ),
        ("- a\n- b\n", ["course.yaml:1: the course config must be a mapping of keys to values"]),
        ("title: T\ntopics: 1-3\n", ["course.yaml:2: course.topics must be a list, not '1-3'"]),
        (
            "title: T\ntopics:\n  - Foundations\n",
            [
                "course.yaml:2: topics[1] must be a title and a range of units, like "
                "'- title: Foundations' with 'units: 1-3' under it"
            ],
        ),
        (
            "title: T\ntopics:\n  - title: A\n    videos: 1\n  - title: B\n    videos: x\n",
            ["course.yaml:6: topics[2].videos must be a range like 4-7"],
        ),
    ],
)
def test_broken_topics_are_not_followed_by_every_video_in_no_topic(make_source, config, errors):
    src = make_source({"a.md": video(1) + video(2)}, config)
    result = invoke("check", "--source", str(src))
    assert result.exit_code == 1
    for error in errors:
        assert f"{src}/{error}" in result.output
    assert "in no topic" not in result.output
    n = len(errors)
    assert f"{n} problem{'s' if n > 1 else ''} found" in result.output


@pytest.mark.parametrize(
    ("config", "error"),
    [
        ("? [a]\n: b\ntitle: T\n", "course.yaml:1: invalid YAML: a key must be a plain word"),
        ("title: !!python/object:os.system x\n", "course.yaml:1: invalid YAML: YAML tags such as"),
        (
            MINIMAL_CONFIG + "print:\n  min_font_pt: big\n",
            "course.yaml:6: print.min_font_pt must be a number",
        ),
    ],
)
def test_odd_yaml_is_an_error_not_a_traceback(make_source, config, error):
    src = make_source({"a.md": video(1) + video(2)}, config)
    result = invoke("check", "--source", str(src))
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert f"{src}/{error}" in result.output
