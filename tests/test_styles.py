"""The ten notes styles of the shared corpus: `init` infers each config, `check --json`
gives exactly the model in that style's ``expected.json``, and each one builds.

The fixtures are copies of ``shared/notes-styles/<style>/{notes,expected.json}``.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from deckpress.cli import main

from .conftest import FIXTURES

STYLES = sorted(p.name for p in (FIXTURES / "styles").iterdir() if p.is_dir())


def test_there_are_ten_styles():
    assert len(STYLES) == 10


@pytest.fixture(scope="module")
def initialised(tmp_path_factory) -> dict[str, Path]:
    """Each style's notes in a fresh folder, with the course.yaml that `init` wrote."""
    out = {}
    root = tmp_path_factory.mktemp("styles")
    for style in STYLES:
        src = root / style
        shutil.copytree(FIXTURES / "styles" / style / "notes", src)
        result = CliRunner().invoke(main, ["init", str(src)])
        assert result.exit_code == 0, result.output
        out[style] = src
    return out


def _expected(style: str) -> dict:
    return json.loads((FIXTURES / "styles" / style / "expected.json").read_text("utf-8"))


@pytest.mark.parametrize("style", STYLES)
def test_check_json_equals_expected(initialised, style):
    result = CliRunner().invoke(main, ["check", "--source", str(initialised[style]), "--json"])
    assert result.exit_code == 0, result.output
    got = json.loads(result.stdout)
    want = _expected(style)
    assert got["unit_word"] == want["unit_word"]
    assert got["front_matter"] == want["front_matter"]
    keys = ("number", "title", "key_points", "questions", "context")
    assert [{k: u[k] for k in keys} for u in got["units"]] == [
        {k: u[k] for k in keys} for u in want["units"]
    ]
    assert [f"notes/{u['file']}" for u in got["units"]] == [u["file"] for u in want["units"]]
    assert all(u["unit_word"] == want["unit_word"] for u in got["units"])


@pytest.mark.parametrize("style", STYLES)
def test_no_line_ignored(initialised, style):
    result = CliRunner().invoke(main, ["check", "--source", str(initialised[style])])
    assert result.exit_code == 0, result.output
    assert ", 0 ignored" in result.output
    assert "not used by any card" not in result.output


def test_init_infers_what_the_notes_need(initialised):
    french = (initialised["10-unicode-bom"] / "course.yaml").read_text("utf-8")
    assert "unit: Vidéo" in french
    assert "À retenir" in french and "Questions d’entretien" in french
    headings = (initialised["04-headings-as-questions"] / "course.yaml").read_text("utf-8")
    assert "heading: 2" in headings
    two_files = (initialised["01-lecture-colon"] / "course.yaml").read_text("utf-8")
    assert "units: 17-19" in two_files and "units: 20-22" in two_files


def test_init_never_overwrites_without_force(initialised, tmp_path):
    src = tmp_path / "src"
    shutil.copytree(initialised["01-lecture-colon"], src)
    mine = "title: Mine\ntopics:\n  - title: All\n    units: 17-22\n"
    (src / "course.yaml").write_text(mine, encoding="utf-8")
    result = CliRunner().invoke(main, ["init", str(src)])
    assert result.exit_code == 1
    assert "course.yaml" in result.output and "--force" in result.output
    assert (src / "course.yaml").read_text("utf-8") == mine
    result = CliRunner().invoke(main, ["init", str(src), "--force"])
    assert result.exit_code == 0, result.output
    assert "Databases" in (src / "course.yaml").read_text("utf-8")


def test_init_without_units_says_how_to_write_them(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "notes.md").write_text("Just a paragraph.\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["init", str(src)])
    assert result.exit_code == 1
    assert "no units found" in result.output
    assert not (src / "course.yaml").exists()


@pytest.mark.parametrize("style", STYLES)
def test_each_style_builds(initialised, style, tmp_path):
    out = tmp_path / "dist"
    result = CliRunner().invoke(
        main, ["build", "--source", str(initialised[style]), "--out", str(out), "-q"]
    )
    assert result.exit_code == 0, result.output
    assert list(out.glob("*.apkg"))
    assert (out / "cheatsheet.pdf").is_file()
    assert list((out / "handouts").glob("*.pdf"))


def test_cards_use_the_course_word_and_show_context_on_the_back(initialised, tmp_path):
    from .test_deck_anki import import_apkg, open_collection, text_of

    out = tmp_path / "dist"
    src = initialised["07-prose-heavy-lecture"]
    result = CliRunner().invoke(
        main, ["build", "--source", str(src), "--out", str(out), "--only", "deck", "-q"]
    )
    assert result.exit_code == 0, result.output
    col = open_collection(tmp_path / "col")
    import_apkg(col, next(out.glob("*.apkg")))
    prose = "The validation set stands in for that unseen data"
    cards = [col.get_card(cid) for cid in col.find_cards("")]
    assert len(cards) == 6 + 6  # one cloze per key point, one card per question
    folded = re.compile(r'<details class="dp-extra">.*?</details>', re.DOTALL)
    css = col.models.by_name("deckpress Key points")["css"]
    assert ".dp-front .dp-extra { display: none; }" in css
    for card in cards:
        front, back = card.question(), card.answer()
        assert re.search(r"Lecture [789] — ", text_of(front))
        # on the front the context is only inside the element the CSS hides
        assert prose not in text_of(folded.sub("", front))
        if prose in text_of(front):
            assert 'class="dp-card dp-keypoints dp-front"' in front
        if "Lecture 7 — " in text_of(front):
            assert prose in text_of(back)
    tags = col.tags.all()
    assert any(t.endswith("::lecture::007") for t in tags)
    assert not any("::video::" in t for t in tags)


def test_init_reads_titles_and_code_as_written(tmp_path):
    src = tmp_path / "notes"
    src.mkdir()
    body = "".join(f"## Lecture {n}: T{n}\n\n**Q1. Why {n}?**\nSo.\n\n" for n in range(1, 21))
    (src / "a.md").write_text(
        "---\ntitle: Thermodynamics\n---\n# Obsidian properties\n\n```bash\n# not a heading\n```\n\n"
        + body,
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["init", str(src)])
    assert result.exit_code == 0, result.output
    config = (src / "course.yaml").read_text("utf-8")
    assert "title: Thermodynamics" in config  # the YAML front matter's title
    assert "not a heading" not in config  # a '#' inside code is no section
    assert "title: Lectures 6–10\n  units: 6-10" in config  # topics named by their range


def test_init_names_an_unreadable_file(tmp_path):
    src = tmp_path / "notes"
    src.mkdir()
    (src / "a.md").write_bytes("## Lecture 1: Caf\xe9\n".encode("latin-1"))
    result = CliRunner().invoke(main, ["init", str(src)])
    assert result.exit_code == 1
    assert "a.md:1: not valid UTF-8" in result.output


def test_handouts_print_each_units_context_unless_told_not_to(initialised, tmp_path):
    from pypdf import PdfReader

    src = tmp_path / "src"
    shutil.copytree(initialised["07-prose-heavy-lecture"], src)
    out = tmp_path / "dist"

    def handout_text() -> str:
        result = CliRunner().invoke(
            main, ["build", "--source", str(src), "--out", str(out), "--only", "handouts", "-q"]
        )
        assert result.exit_code == 0, result.output
        (pdf,) = (out / "handouts").glob("*.pdf")
        reader = PdfReader(pdf)
        text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
        return text, sum(len(p.images) for p in reader.pages)

    text, images = handout_text()
    assert "The validation set stands in for that unseen data" in text
    assert "typical use" in text  # the table
    assert images == 1  # the plot, whose path has a space
    config = src / "course.yaml"
    config.write_text(
        config.read_text("utf-8") + "print:\n  handouts:\n    context: false\n", "utf-8"
    )
    text, images = handout_text()
    assert "The validation set stands in" not in text and images == 0
    assert "Why not tune hyperparameters on the test set?" in text


def test_json_gives_the_number_topics_use_for_unnumbered_units(initialised):
    result = CliRunner().invoke(
        main, ["check", "--source", str(initialised["04-headings-as-questions"]), "--json"]
    )
    units = json.loads(result.stdout)["units"]
    assert [(u["number"], u["topic_number"]) for u in units] == [(None, n) for n in (1, 2, 3, 4)]


def test_init_of_a_missing_folder_is_a_command_line_mistake(tmp_path):
    result = CliRunner().invoke(main, ["init", str(tmp_path / "nope")])
    assert result.exit_code == 2 and "notes folder not found" in result.output


def test_a_removed_note_keeps_the_courses_word(initialised, tmp_path):
    from deckpress.deck.ankiconnect import read_package

    src = tmp_path / "src"
    shutil.copytree(initialised["01-lecture-colon"], src)
    out = tmp_path / "dist"
    args = ["build", "--source", str(src), "--out", str(out), "--only", "deck", "-q"]
    assert CliRunner().invoke(main, args).exit_code == 0
    notes = src / "unit-9.md"
    text = notes.read_text("utf-8")
    start = text.index("**Q:** What is an update anomaly?")
    end = text.index("**Q:** Why would anyone denormalize")
    notes.write_text(text[:start] + text[end:], "utf-8")
    assert CliRunner().invoke(main, args).exit_code == 0
    (cleanup,) = out.glob("*-removed-*.apkg")
    (gone,) = read_package(cleanup).values()
    assert gone.fields[2] == "Lecture 18"
    assert any(t.endswith("::lecture::018") for t in gone.tags)
    assert not any("::video::" in t for t in gone.tags)


@pytest.fixture
def hello(tmp_path, monkeypatch):
    """An override folder with one template, and compiled templates kept in
    ``tmp_path/kept`` (for a fresh set of environments); returns the folder."""
    from deckpress import templating

    override = tmp_path / "mine"
    override.mkdir()
    (override / "hello.html").write_text("Hello {{ name }}!\n", encoding="utf-8")
    monkeypatch.setattr(templating, "_shared", {})
    templating.cache_in(tmp_path / "kept")
    yield override
    templating.cache_in(None)


def test_compiled_templates_are_kept_between_builds(hello, tmp_path, monkeypatch):
    """jinja2's bytecode cache in dist/.deckpress/templates: a new environment (a new
    build process) renders without compiling, the same text; an edited template is
    compiled again; a folder that cannot be made is no cache, not an error."""
    import jinja2

    from deckpress import templating

    first = templating.get_env(hello).get_template("hello.html").render(name="you")
    assert list((tmp_path / "kept").rglob("*.cache"))
    compiled = []
    real = jinja2.Environment.compile
    monkeypatch.setattr(
        jinja2.Environment, "compile", lambda *a, **k: compiled.append(a) or real(*a, **k)
    )
    again = templating.get_env(hello).get_template("hello.html").render(name="you")
    assert again == first == "Hello you!\n" and not compiled
    (hello / "hello.html").write_text("Bye {{ name }}!\n", encoding="utf-8")
    edited = templating.get_env(hello).get_template("hello.html").render(name="you")
    assert edited == "Bye you!\n" and len(compiled) == 1
    blocked = tmp_path / "file"
    blocked.write_text("not a folder", encoding="utf-8")
    templating.cache_in(blocked / "kept")
    assert templating.get_env(hello).get_template("hello.html").render(name="x")


def test_a_cut_short_compiled_template_is_compiled_again(hello, tmp_path):
    from deckpress import templating

    templating.get_env(hello).get_template("hello.html")
    (kept,) = (tmp_path / "kept").rglob("*.cache")
    kept.write_bytes(kept.read_bytes()[:20])
    assert templating.get_env(hello).get_template("hello.html").render(name="a") == "Hello a!\n"
