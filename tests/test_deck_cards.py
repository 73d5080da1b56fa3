"""Card content: clozes, Anki-safe escaping, tags, images, course order."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from deckpress.deck.cards import (
    FieldRenderer,
    anki_safe,
    cloze_point,
    collect,
    tags_for,
)
from deckpress.deck.clozes import split_term
from deckpress.errors import ContentError
from deckpress.notes.load import load_course
from deckpress.render import html_block

FIXTURE = Path(__file__).parent / "fixtures" / "deck" / "tricky"


@pytest.mark.parametrize(
    "markdown, term, separator",
    [
        ("DL = representation learning", "DL", " = "),
        ("Course map: ANN → CNN", "Course map", ": "),
        ("Perceptron = linear classifier: sign(w·x + b).", "Perceptron", " = "),
        ("`relu`: max(0, x)", "<code>relu</code>", ": "),
        ("**Adam**: momentum + RMSProp", "<strong>Adam</strong>", ": "),
    ],
)
def test_term_and_definition_are_split(markdown, term, separator):
    inline = str(html_block(markdown))[3:-4]  # drop <p>…</p>
    found = split_term(inline)
    assert found is not None and found[0] == term and found[1] == separator
    assert found[2].strip()


@pytest.mark.parametrize(
    "markdown",
    [
        "No separator here",
        "**Bold term: inside bold** stays whole",
        "Code `a: b` only",
        "C++ std::vector has no spaced colon",
        "Ratio 10:30 is not a term",
        "A very long lead-in that goes on and on well past any reasonable term length limit: x",
        "Trailing colon:",
        "a == b is not a definition",
    ],
)
def test_no_split_without_a_short_top_level_term(markdown):
    assert split_term(str(html_block(markdown))[3:-4]) is None


def test_cloze_hides_the_definition_only():
    assert cloze_point(str(html_block("DL = representation learning")), 3) == (
        "DL = {{c3::representation learning}}"
    )
    # a sentence keeps its first words as the cue; never the whole bullet hidden
    assert cloze_point(str(html_block("No separator")), 1) == "No {{c1::separator}}"


def test_cloze_content_cannot_open_close_or_hint_a_cloze():
    point = str(cloze_point(str(html_block("Syntax: {{c2::x::hint}} and }} [sound:a.mp3]")), 1))
    inner = point[point.index("{{c1::") + 6 : point.rindex("}}")]
    assert "{" not in inner and "}" not in inner and "::" not in inner and "[" not in inner
    assert point.count("{{") == 1 and point.count("}}") == 1


def test_anki_safe_escapes_only_what_anki_parses():
    assert anki_safe("a {b} [c] d:e") == "a &#123;b&#125; &#91;c] d:e"
    assert anki_safe("d:e", cloze=True) == "d&#58;e"


def test_tags_are_hierarchical_space_free_and_sorted():
    tags = tags_for("deep-learning", "qa", 14, "05-loss-functions-backpropagation", True)
    assert tags == (
        "deep-learning::focus",
        "deep-learning::kind::qa",
        "deep-learning::topic::05-loss-functions-backpropagation",
        "deep-learning::video::014",
    )
    assert not any(" " in t for t in tags)
    assert "deep-learning::focus" not in tags_for("deep-learning", "qa", 1, "01-a", False)


def test_notes_come_in_course_order_key_points_first():
    course = load_course(FIXTURE).course
    notes = collect(course)
    assert [(n.kind, n.video, n.index) for n in notes] == [
        ("keypoints", 1, 0),
        ("qa", 1, 0),
        ("qa", 1, 1),
        ("keypoints", 2, 0),
        ("qa", 2, 0),
        ("qa", 3, 0),
    ]
    # new cards: a unit's questions come before its key points (no answer shown early)
    assert [n.due for n in notes] == [3, 1, 2, 5, 4, 6]
    assert notes[0].topic == "01 Syntax" and notes[-1].topic == "02 Images & focus"


def test_fields_tags_and_media_of_a_note():
    course = load_course(FIXTURE).course
    notes = collect(course)
    renderer = FieldRenderer(course.config, FIXTURE)
    question = renderer.note(notes[1], ())
    assert question.note_type.fields == ("Question", "Answer", "Video", "Topic", "Source")
    prompt, answer, video, topic, source = question.fields
    assert "&lt;script&gt;" in prompt and "<script" not in prompt
    assert "<code>a::b</code>" in prompt and "&#123;&#123;c2::x&#125;&#125;" in prompt
    assert video == "Video 1 — Braces &#123;x&#125; &amp; &lt;b&gt;tags&lt;/b&gt;"
    assert topic == "01 Syntax" and source == "notes.md:13"
    picture = renderer.note(notes[3], (1, 2))
    (media,) = picture.media
    assert media.name.startswith("dot-") and media.name.endswith(".png")
    assert f'src="{media.name}"' in picture.fields[0]
    assert "tricky::focus" in picture.tags
    assert renderer.errors == []


def test_fingerprint_ignores_line_numbers_but_not_content():
    course = load_course(FIXTURE).course
    renderer = FieldRenderer(course.config, FIXTURE)
    note = collect(course)[1]
    base = renderer.note(note, ())
    moved_down = renderer.note(
        note.__class__(
            **{
                **note.__dict__,
                "locs": tuple(loc.__class__(loc.file, loc.line + 5) for loc in note.locs),
            }
        ),
        (),
    )
    assert moved_down.fields != base.fields and moved_down.fingerprint == base.fingerprint
    edited = renderer.note(
        note.__class__(**{**note.__dict__, "parts": (note.parts[0], note.parts[1] + " More.")}), ()
    )
    assert edited.fingerprint != base.fingerprint


def _copy(tmp_path: Path) -> Path:
    source = tmp_path / "source"
    shutil.copytree(FIXTURE, source)
    return source


def test_missing_image_is_a_file_line_error(tmp_path):
    source = _copy(tmp_path)
    course = load_course(source).course
    (source / "img" / "dot.png").unlink()
    # the load stage (check, every build) reports it...
    with pytest.raises(ContentError) as failed:
        load_course(source, "src")
    lines = sorted((d.file, d.line) for d in failed.value.diagnostics)
    assert lines == [("src/notes.md", 22), ("src/notes.md", 27)]
    # ...and so does the deck's renderer, should the file vanish after loading
    renderer = FieldRenderer(course.config, source, "src")
    for note in collect(course):
        renderer.note(note, tuple(range(1, len(note.parts) + 1)))
    assert sorted((d.file, d.line) for d in renderer.errors) == lines
    assert "img/dot.png" in renderer.errors[0].message
    assert "relative to notes.md" in renderer.errors[0].message


@pytest.mark.parametrize(
    ("image", "message"),
    [("https://example.com/x.png", "offline"), ("../../outside.png", "outside the source folder")],
)
def test_remote_or_outside_image_is_refused(tmp_path, image, message):
    source = _copy(tmp_path)
    (tmp_path / "outside.png").write_bytes(b"png")
    notes = source / "notes.md"
    notes.write_text(notes.read_text().replace("img/dot.png)\n- Plain", f"{image})\n- Plain"))
    with pytest.raises(ContentError) as failed:
        load_course(source, "src")
    (error,) = failed.value.diagnostics
    assert error.line == 22 and message in error.message
