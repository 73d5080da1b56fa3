"""Notes as people write them: image paths, accents and CJK in names, ``::`` in titles."""

from __future__ import annotations

import re
import string
import unicodedata
from pathlib import Path

import pytest
from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from deckpress.cli import main
from deckpress.deck.cards import collect, deck_label, tags_for
from deckpress.notes.config import deck_component, slugify
from deckpress.notes.load import load_course
from deckpress.notes.media import media_name, resolve_image

from .conftest import SOURCE, cli_build, video

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de"
    "0000000c4944415408d763f8cfc000000301010018dd8db00000000049454e44ae426082"
)


def before_unicode_slugs(text: str) -> str:
    """The slug rule of earlier versions (ASCII only), kept here as the reference."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "untitled"


def image_video(n: int, *images: str) -> str:
    lines = "\n".join(f"- Figure {i}: ![fig]({src})" for i, src in enumerate(images))
    return (
        f"## Video {n} — Pictures\n**What to remember**\n{lines}\n\n"
        f"**Interview Questions**\n**Q1. Why?**\nBecause.\n\n---\n"
    )


# --------------------------------------------------------------------------
# Slugs, tags, deck names


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Régression linéaire", "régression-linéaire"),
        ("Re\u0301gression line\u0301aire", "régression-linéaire"),  # typed in NFD
        ("注意力机制", "注意力机制"),
        ("Straße & Übung", "straße-übung"),
        ("Loss functions & backpropagation", "loss-functions-backpropagation"),
        ("1,000 cats", "1-000-cats"),
        ("!!!", "untitled"),
    ],
)
def test_slugs_keep_letters_of_every_script(title, slug):
    assert slugify(title) == slug
    assert unicodedata.is_normalized("NFC", slugify(title))


@given(st.text(alphabet=string.printable))
def test_ascii_slugs_are_exactly_those_of_earlier_versions(text):
    assert slugify(text) == before_unicode_slugs(text)


def test_real_course_keeps_its_tags_subdecks_and_file_names():
    course = load_course(SOURCE).course
    assert course.config.deck_slug == "100-days-of-deep-learning"
    for topic in course.topics:
        assert topic.slug == f"{topic.index:02d}-{before_unicode_slugs(topic.title)}"
        assert deck_label(topic) == topic.label  # no title there has '::'
    assert course.topics[4].slug == "05-loss-functions-backpropagation"
    tags = {tag for note in collect(course) for tag in tags_for_note(course, note)}
    assert "deep-learning::topic::15-transformer-architecture-inference" in tags


def tags_for_note(course, note):
    return tags_for(course.config.tag, note.kind, note.video, note.section.slug, note.section.focus)


@pytest.mark.parametrize("label", ["01 C++ std::vector", "02 a:::b", "03 x::::y", "04 ::x::"])
def test_deck_component_never_nests(label):
    assert "::" not in deck_component(label)


def test_media_names_keep_ascii_names_and_read_well_otherwise(tmp_path):
    data = b"x"
    digest = "2d711642b7"
    assert media_name(Path("A_b c--d.PNG"), data) == f"A_b-c--d-{digest}.png"
    assert media_name(Path("re\u0301seau.png"), data) == f"réseau-{digest}.png"
    assert media_name(Path("图.png"), data) == f"图-{digest}.png"
    assert media_name(Path("???.png"), data) == f"image-{digest}.png"


# --------------------------------------------------------------------------
# Image paths


@pytest.fixture
def pictures(make_source):
    """Notes linking images as people write them; files on disk in mixed forms."""
    notes = image_video(
        1,
        "images/loss%20curve.png",
        "<images/loss curve.png>",
        "images/réseau.png",  # typed NFC, saved NFD (as macOS names files)
        "图.png",
        "ﾃｽﾄ/café.png",  # folder and file both NFD on disk
    ) + video(2)
    src = make_source({"a.md": notes})
    (src / "images").mkdir()
    (src / "images" / "loss curve.png").write_bytes(PNG)
    (src / "images" / unicodedata.normalize("NFD", "réseau.png")).write_bytes(PNG + b"1")
    (src / "图.png").write_bytes(PNG + b"2")
    folder = src / unicodedata.normalize("NFD", "ﾃｽﾄ")
    folder.mkdir()
    (folder / unicodedata.normalize("NFD", "café.png")).write_bytes(PNG + b"3")
    return src


def test_image_paths_are_found_as_written(pictures):
    result = CliRunner().invoke(main, ["check", "--source", str(pictures)])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    "src", ["images/loss%20curve.png", "images/loss curve.png", "images/r%C3%A9seau.png"]
)
def test_resolve_image_decodes_and_matches_any_normal_form(pictures, src):
    path, problem = resolve_image(pictures, "a.md", src)
    assert problem is None and path is not None and path.is_file()


def test_a_file_with_a_percent_in_its_name_is_still_found(make_source):
    src = make_source({"a.md": video(1)})
    (src / "100%25.png").write_bytes(PNG)
    assert resolve_image(src, "a.md", "100%25.png")[0] == src / "100%25.png"


def test_missing_image_is_shown_as_written(make_source):
    written = ["<images/no such.png>", "images/d%C3%A9j%C3%A0.png", "images/déjà vu.png"]
    notes = image_video(1, *written) + video(2)
    src = make_source({"a.md": notes})
    result = CliRunner().invoke(main, ["check", "--source", str(src)])
    assert result.exit_code == 1
    assert (
        f"{src}/a.md:3: image 'images/no such.png' not found "
        f"(looked for {src}/images/no such.png)" in result.output
    )
    assert (
        f"{src}/a.md:4: image 'images/d%C3%A9j%C3%A0.png' not found "
        f"(looked for {src}/images/déjà.png)" in result.output
    )
    # not an image for CommonMark (a space needs <…> or %20), but what editors show as
    # one: checked like any other image
    assert f"{src}/a.md:5: image 'images/déjà vu.png' not found" in result.output


def test_unicode_images_are_packed_into_the_deck(pictures, tmp_path):
    out = tmp_path / "dist"
    cli_build(pictures, out, "--only", "deck")
    (tmp_path / "anki").mkdir()
    col = Collection(str(tmp_path / "anki" / "collection.anki2"))
    try:
        options = ImportAnkiPackageOptions(merge_notetypes=False, with_scheduling=False)
        request = ImportAnkiPackageRequest(
            package_path=str(out / "tiny-course.apkg"), options=options
        )
        col.import_anki_package(request)
        (note_id,) = col.find_notes("Figure")
        field = col.get_note(note_id).fields[0]
        names = re.findall(r'<img src="([^"]+)"', field)
        assert len(names) == 5
        media = Path(col.media.dir())
        on_disk = {unicodedata.normalize("NFC", p.name): p.read_bytes() for p in media.iterdir()}
        for name in names:
            assert unicodedata.normalize("NFC", name) in on_disk, (name, sorted(on_disk))
        assert any(n.startswith("réseau-") for n in names)
        assert any(n.startswith("图-") for n in names)
        assert on_disk[next(n for n in names if n.startswith("café-"))] == PNG + b"3"
        assert not col.media.check().missing
    finally:
        col.close()


# --------------------------------------------------------------------------
# Unicode titles and '::' in Anki


def test_unicode_titles_make_readable_tags_subdecks_and_files(make_source, tmp_path):
    config = (
        "title: Apprentissage profond\ndeck: Réseaux\n"
        "topics:\n  - title: Régression linéaire\n    videos: 1\n"
        "  - title: 注意力机制\n    videos: 2\n  - title: 'C++ std:::vector'\n    videos: 3\n"
    )
    src = make_source({"a.md": video(1) + video(2) + video(3)}, config)
    out = tmp_path / "dist"
    cli_build(src, out, "--only", "deck", "--only", "handouts")
    handouts = sorted(p.name for p in (out / "handouts").iterdir())
    assert handouts == [
        "01-régression-linéaire.pdf",
        "02-注意力机制.pdf",
        "03-c-std-vector.pdf",
    ]
    (tmp_path / "anki").mkdir()
    col = Collection(str(tmp_path / "anki" / "collection.anki2"))
    try:
        request = ImportAnkiPackageRequest(
            package_path=str(out / "réseaux.apkg"),
            options=ImportAnkiPackageOptions(merge_notetypes=False),
        )
        col.import_anki_package(request)
        names = {d.name for d in col.decks.all_names_and_ids()}
        assert {
            "Réseaux::01 Régression linéaire",
            "Réseaux::02 注意力机制",
            "Réseaux::03 C++ std:vector",
        } <= names
        assert not any(n.count("::") > 1 for n in names), names
        tags = set(col.tags.all())
        assert "réseaux::topic::01-régression-linéaire" in tags
        assert "réseaux::topic::02-注意力机制" in tags
        assert col.find_cards('"tag:réseaux::topic::02-注意力机制"')
    finally:
        col.close()


@pytest.mark.parametrize(
    ("src", "problem"),
    [
        ("x" * 300 + ".png", "not found"),  # longer than the file system allows
        ("a%00b.png", "not found"),
        ("%2e%2e/%2e%2e/etc/passwd", "'%2e%2e/%2e%2e/etc/passwd' is outside the source folder"),
        ("%E5", "not found"),
    ],
)
def test_odd_image_paths_are_errors_not_tracebacks(make_source, src, problem):
    notes = image_video(1, src) + video(2)
    result = CliRunner().invoke(main, ["check", "--source", str(make_source({"a.md": notes}))])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)  # a reported error, not a crash
    assert "a.md:3: image" in result.output and problem in result.output
