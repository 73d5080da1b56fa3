"""The printed artifacts, end to end: build the notes, read the PDFs back with pypdf."""

from __future__ import annotations

import html
import io
import re
import shutil
from functools import lru_cache
from pathlib import Path

import pdfplumber
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from deckpress.build.pipeline import BuildOptions, run
from deckpress.cli import main
from deckpress.notes.load import load_course
from deckpress.printouts import cheatsheet, handouts, printing
from deckpress.render import html_inline
from deckpress.templating import BUILTIN_TEMPLATES

from .conftest import FIXTURES, SOURCE
from .conftest import cli_build as build
from .conftest import video as video_notes

ESCAPING = FIXTURES / "print" / "escaping"
A4_LANDSCAPE = (842, 595)
LETTER_LANDSCAPE = (792, 612)
# print.css page margins in pt (top, right, bottom, left): where the text area is
MARGINS = (11 * 72 / 25.4, 9 * 72 / 25.4, 10 * 72 / 25.4, 9 * 72 / 25.4)


def squash(text: str) -> str:
    """Text without whitespace or hyphens: line breaks and hyphenation do not matter."""
    return re.sub(r"[\s\-\u00ad\u2010]+", "", text)


def visible(markdown: str) -> str:
    """What a markdown field looks like once printed (markup gone)."""
    return html.unescape(re.sub(r"<[^>]+>", "", html_inline(markdown)))


@lru_cache(maxsize=64)
def pages_text(path: Path) -> list[str]:
    return [squash(page.extract_text()) for page in PdfReader(path).pages]


def page_size(path: Path) -> set[tuple[int, int]]:
    return {
        (round(float(p.mediabox.width)), round(float(p.mediabox.height)))
        for p in PdfReader(path).pages
    }


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    """The real notes, printed once (A4, as course.yaml says): ``(course, options, outcome)``."""
    base = tmp_path_factory.mktemp("print")
    src = base / "source"
    shutil.copytree(SOURCE, src, ignore=shutil.ignore_patterns("deckpress.lock"))
    options = BuildOptions(src, base / "dist", ("cheatsheet", "handouts"), None, force=True)
    outcome = run(options)
    return load_course(src).course, options, outcome


# --------------------------------------------------------------------------
# The real notes


def test_one_handout_per_topic_each_exactly_one_page(real):
    course, options, _ = real
    files = sorted((options.out / "handouts").glob("*.pdf"))
    assert [f.name for f in files] == [f"{t.slug}.pdf" for t in course.topics]
    assert len(files) == 15
    for path in files:
        assert len(PdfReader(path).pages) == 1, path.name


def test_each_handout_has_every_question_of_its_topic(real):
    course, options, _ = real
    for topic in course.topics:
        text = pages_text(options.out / "handouts" / f"{topic.slug}.pdf")[0]
        assert squash(topic.title) in text
        for video in topic.videos:
            for point in video.key_points:
                assert squash(visible(point.text))[:30] in text, (topic.slug, point.loc)
            for question in video.questions:
                assert squash(visible(question.prompt))[:40] in text, (topic.slug, question.loc)
                # answers are full on handouts: the end of each answer is there too
                assert squash(visible(question.answer))[-30:] in text, (topic.slug, question.loc)


def test_combined_handouts_are_the_handouts_in_order(real):
    course, options, _ = real
    combined = pages_text(options.out / "handouts.pdf")
    assert len(combined) == 15
    assert PdfReader(options.out / "handouts.pdf").metadata.title == f"{course.title} — handouts"
    singles = [pages_text(options.out / "handouts" / f"{t.slug}.pdf")[0] for t in course.topics]
    assert combined == singles


def test_cheat_sheet_has_every_video_title_and_focus_sheet_only_focus_ones(real):
    course, options, _ = real
    whole = "".join(pages_text(options.out / "cheatsheet.pdf"))
    focus = "".join(pages_text(options.out / "cheatsheet-focus.pdf"))
    for topic in course.topics:
        assert squash(topic.label) in whole
        for video in topic.videos:
            title = squash(visible(video.title))
            assert title in whole, video.loc
            # a focus sheet has its topics' videos and nothing else (titles are unique)
            assert (title in focus) == topic.focus, video.loc


def test_cheat_sheet_short_answers_are_first_sentences(real):
    course, options, _ = real
    whole = "".join(pages_text(options.out / "cheatsheet.pdf"))
    video = course.topics[0].videos[0]
    answer = video.questions[0].answer
    first, rest = answer.split(". ", 1)
    assert squash(visible(first)) in whole
    assert squash(visible(rest))[:30] not in whole


def test_pages_are_a4_landscape(real):
    _, options, _ = real
    for path in options.out.rglob("*.pdf"):
        assert page_size(path) == {A4_LANDSCAPE}, path


def test_fonts_are_embedded(real):
    _, options, _ = real
    for name in ("cheatsheet.pdf", "handouts.pdf", "handouts/08-batch-norm-optimizers.pdf"):
        fonts = embedded_fonts(options.out / name)
        assert fonts, name
        assert all(embedded for embedded in fonts.values()), (name, fonts)
        assert any("DejaVu" in font for font in fonts), fonts


def test_streams_are_compressed_at_the_chosen_level(real):
    """Every Flate stream (font files, page contents) is zlib at pdf.COMPRESSION_LEVEL,
    not pydyf's own 9 (which costs four times the CPU for 1.6 % fewer bytes)."""
    import zlib

    _, options, _ = real
    from deckpress.printouts import pdf

    data = (options.out / "handouts/08-batch-norm-optimizers.pdf").read_bytes()
    reader = PdfReader(io.BytesIO(data))
    streams = [
        obj
        for number in range(1, int(reader.trailer["/Size"]))
        if (obj := _stream(reader, number)) is not None and obj.get("/Filter") == "/FlateDecode"
    ]
    assert len(streams) >= 5
    level = pdf.COMPRESSION_LEVEL
    differ = 0
    for stream in streams:
        raw = stream.get_data()
        assert stream._data == zlib.compress(raw, level)
        differ += zlib.compress(raw, level) != zlib.compress(raw, 9)
    assert differ, "no stream tells the levels apart: the test would not notice"


def _stream(reader, number):
    from pypdf.generic import IndirectObject, StreamObject

    obj = IndirectObject(number, 0, reader).get_object()
    return obj if isinstance(obj, StreamObject) else None


def embedded_fonts(path: Path) -> dict[str, bool]:
    """``{font name: has a font file}`` over every page of ``path``."""
    found = {}
    for page in PdfReader(path).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            described = (
                font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            )
            descriptor = described["/FontDescriptor"].get_object()
            found[str(font["/BaseFont"])] = any(
                key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")
            )
    return found


def test_no_cheat_sheet_page_is_under_the_fill_threshold(real):
    course, options, outcome = real
    for sheet in cheatsheet.sheets(course, options):
        measured = printing.print_sheet(sheet)
        # what the module measures: every page, the last included, is filled enough
        assert min(measured.fills) >= cheatsheet.MIN_FILL, (sheet.path.name, measured.fills)
        # it is what the build wrote (and reported)
        assert measured.pdf == sheet.path.read_bytes()
        assert cheatsheet.describe(sheet, measured) in outcome.results["cheatsheet"].report
        # and the PDF agrees: text reaches that far down the columns of each page
        from_pdf = pdf_fills(sheet.path, columns=course.config.print.cheatsheet.columns)
        assert len(from_pdf) == len(measured.fills)
        for page, (ours, theirs) in enumerate(zip(measured.fills, from_pdf, strict=True), 1):
            assert theirs >= cheatsheet.MIN_FILL - 0.05, (sheet.path.name, page, from_pdf)
            assert abs(ours - theirs) < 0.08, (sheet.path.name, page, measured.fills, from_pdf)


def pdf_fills(path: Path, columns: int) -> list[float]:
    """Per page: how far down the text area the lowest text of each column strip reaches."""
    return [page_fill_from_text(page, columns) for page in PdfReader(path).pages]


def page_fill_from_text(page, columns: int) -> float:
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    top, right, bottom, left = MARGINS
    area_top, area_bottom = height - top, bottom
    strip = (width - left - right) / columns
    lowest = [area_top] * columns

    def visit(text, cm, tm, font, size):
        x, y = cm[4] + tm[4] * cm[0], cm[5] + tm[5] * cm[3]
        # text in the page margins (running header, page numbers) is not content
        if text.strip() and area_bottom < y < area_top:
            column = min(columns - 1, max(0, int((x - left) // strip)))
            lowest[column] = min(lowest[column], y - 2)  # a descender below the baseline

    page.extract_text(visitor_text=visit)
    return sum(area_top - y for y in lowest) / columns / (area_top - area_bottom)


def test_second_build_gives_the_same_bytes(real, tmp_path):
    _, options, _ = real
    again = tmp_path / "again"
    build(options.source, again, "--only", "cheatsheet", "--only", "handouts", "--force")
    first = sorted(p.relative_to(options.out) for p in options.out.rglob("*.pdf"))
    second = sorted(p.relative_to(again) for p in again.rglob("*.pdf"))
    assert first == second
    for name in first:
        assert (options.out / name).read_bytes() == (again / name).read_bytes(), name


def test_letter_paper_from_the_command_line(real, tmp_path):
    _, options, _ = real
    out = tmp_path / "letter"
    build(options.source, out, "--only", "cheatsheet", "--paper", "letter")
    assert page_size(out / "cheatsheet.pdf") == {LETTER_LANDSCAPE}
    assert page_size(out / "cheatsheet-focus.pdf") == {LETTER_LANDSCAPE}
    assert not (out / "handouts").exists()


# --------------------------------------------------------------------------
# Small fixtures


@pytest.fixture
def escaping(tmp_path) -> Path:
    src = tmp_path / "escaping"
    shutil.copytree(ESCAPING, src)
    return src


def test_markup_in_notes_prints_as_text(escaping, tmp_path):
    out = tmp_path / "dist"
    build(escaping, out, "--only", "handouts", "--only", "cheatsheet")
    # (not the whole cheat sheet: it has the character no font has, and WeasyPrint then
    # writes a font encoding pypdf cannot read back)
    for name in ("handouts/01-markup-code.pdf", "cheatsheet-focus.pdf"):
        text = "\n".join(page.extract_text() for page in PdfReader(out / name).pages)
        flat = squash(text)
        assert squash('<script>alert("boom")</script>') in flat
        assert squash("Does <b>this</b> render bold?") in flat
        assert squash("a < b && c > d") in flat
        assert squash("inline <code>") in flat
        assert squash('print("a & b")') in flat
        assert "&amp;" not in text and "&lt;" not in text
    # the course title, with its markup characters, in the running header
    header = PdfReader(out / "cheatsheet-focus.pdf").pages[0].extract_text()
    assert "Escaping <b>&</b> friends" in header


def test_uncovered_character_is_reported_with_its_line(escaping, tmp_path):
    printing._warn_once.cache_clear()
    line = next(
        i
        for i, text in enumerate((escaping / "notes.md").read_text().splitlines(), 1)
        if "漢" in text
    )
    result = CliRunner().invoke(
        main,
        ["build", "--source", str(escaping), "--out", str(tmp_path / "dist"), "--only", "handouts"],
    )
    assert result.exit_code == 0, result.output
    expected = (
        f"warning: {escaping}/notes.md:{line}: character '漢' (U+6F22) cannot be shown "
        "by any configured or installed font"
    )
    assert expected in result.stderr
    # characters DejaVu has (√, ᵀ, ∂, β₁ ...) are not reported
    assert result.stderr.count("cannot be shown") == 1, result.stderr


def test_only_cheatsheet_or_only_handouts(escaping, tmp_path):
    out = tmp_path / "a"
    build(escaping, out, "--only", "cheatsheet")
    assert sorted(p.name for p in out.rglob("*.pdf")) == ["cheatsheet-focus.pdf", "cheatsheet.pdf"]
    out = tmp_path / "b"
    build(escaping, out, "--only", "handouts")
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.pdf")) == [
        "handouts.pdf",
        "handouts/01-markup-code.pdf",
        "handouts/02-symbols.pdf",
    ]


def test_letter_handouts(escaping, tmp_path):
    out = tmp_path / "dist"
    build(escaping, out, "--only", "handouts", "--paper", "letter")
    assert page_size(out / "handouts.pdf") == {LETTER_LANDSCAPE}


def test_user_templates_override_the_stylesheet(escaping, tmp_path):
    overrides = escaping / "my-templates"
    overrides.mkdir()
    css = (BUILTIN_TEMPLATES / "print.css").read_text(encoding="utf-8")
    (overrides / "print.css").write_text(
        css.replace(
            'font-family: "DejaVu Sans";\n  font-stretch',
            'font-family: "DejaVu Serif";\n  font-stretch',
        ),
        encoding="utf-8",
    )
    config = escaping / "course.yaml"
    config.write_text("templates: my-templates\n" + config.read_text(encoding="utf-8"))
    out = tmp_path / "dist"
    build(escaping, out, "--only", "handouts")
    assert any("Serif" in name for name in embedded_fonts(out / "handouts.pdf"))


def test_handouts_of_topics_that_are_gone_are_removed(escaping, tmp_path):
    out = tmp_path / "dist"
    (out / "handouts").mkdir(parents=True)
    (out / "handouts" / "07-old-topic.pdf").write_bytes(b"%PDF-1.7 stale")
    (out / "handouts" / "my notes.pdf").write_bytes(b"%PDF-1.7 mine")
    build(escaping, out, "--only", "handouts")
    names = sorted(p.name for p in (out / "handouts").iterdir())
    assert names == ["01-markup-code.pdf", "02-symbols.pdf", "my notes.pdf"]


def overflowing_source(root: Path, answers: str | None = None) -> Path:
    """A course whose second topic holds 40 long videos: far more than one page."""
    src = root / "overflow"
    src.mkdir()
    long = " ".join(["This answer goes on at length so the topic cannot fit one page."] * 6)
    videos = []
    for n in range(1, 42):
        videos.append(
            f"### Video {n} — Topic video {n}\n**What to remember**\n"
            f"- Point one of video {n}.\n- Point two of video {n}.\n\n"
            f"**Interview Questions (with answers)**\n"
            f"**Q1. What is the first question of video {n}?**  \n{long}\n\n"
            f"**Q2. And the second one of video {n}?**  \n{long}\n\n---\n"
        )
    (src / "notes.md").write_text("\n".join(videos), encoding="utf-8")
    extra = f"\n    handout_answers: {answers}" if answers else ""
    (src / "course.yaml").write_text(
        "title: Too much\ntopics:\n  - title: Small\n    videos: 1\n"
        f"  - title: Everything at once\n    videos: 2-41{extra}\n",
        encoding="utf-8",
    )
    return src


def test_a_topic_too_big_for_one_page_is_a_warning_and_every_handout_is_written(tmp_path, caplog):
    src = overflowing_source(tmp_path)
    options = BuildOptions(src, tmp_path / "dist", ("handouts",), None, force=True)
    run(options)
    message = caplog.text
    assert f"{src}/course.yaml:5: topic '02 Everything at once' does not fit on one page" in message
    assert "split it into two topics" in message
    assert "handout_answers: short" in message
    assert "'01 Small'" not in message
    small = tmp_path / "dist" / "handouts" / "01-small.pdf"
    big = tmp_path / "dist" / "handouts" / "02-everything-at-once.pdf"
    assert len(PdfReader(small).pages) == 1
    assert len(PdfReader(big).pages) > 1
    assert len(PdfReader(tmp_path / "dist" / "handouts.pdf").pages) == 1 + len(PdfReader(big).pages)


def test_overflow_from_the_command_line_exits_0_with_the_fix(tmp_path):
    src = overflowing_source(tmp_path, answers="none")
    result = CliRunner().invoke(
        main, ["build", "--source", str(src), "--out", str(tmp_path / "dist"), "--only", "handouts"]
    )
    assert result.exit_code == 0, result.output
    assert "course.yaml:5: topic '02 Everything at once' does not fit" in result.output
    assert "split it into two topics" in result.output
    assert "handout_answers" not in result.output  # answers are already off: splitting is left
    assert (tmp_path / "dist" / "handouts.pdf").exists()


def test_first_guess_is_a_size_the_search_can_start_from():
    page = "<html><body>" + ("<p>" + "word " * 12 + "</p>") * 100 + "</body></html>"
    guess = handouts.first_guess(page, "a4")
    assert 7 < guess < 12
    assert handouts.first_guess(page, "letter") < guess
    assert handouts.first_guess(page.replace("word", "word word"), "a4") < guess
    # as many characters in more blocks (more half-empty last lines): smaller again
    assert handouts.first_guess(page.replace("word word ", "word</p><p>word "), "a4") < guess


def test_most_handouts_of_the_real_notes_fit_at_the_first_guess(real, monkeypatch):
    """The first guess (handouts.first_guess) saves renders: of the 15 handouts, 11 take
    less than the ceiling, and at most 2 of those need a second render."""
    from deckpress.printouts import pdf

    course, options, _ = real
    renders = []
    original = pdf.Typesetter.__call__
    monkeypatch.setattr(
        pdf.Typesetter, "__call__", lambda self, size: renders.append(size) or original(self, size)
    )
    sheets = handouts.sheets(course, options)
    for sheet in sheets:
        printing.print_sheet(sheet)
    assert len(renders) <= len(sheets) + 2, renders


def test_blocks_never_split_and_topic_headings_never_end_a_column(real):
    course, options, _ = real
    from deckpress.printouts import pdf

    sheet = cheatsheet.sheets(course, options)[0]
    measured = printing.print_sheet(sheet)
    layout = pdf.Typesetter(sheet.html)(measured.font_pt)
    seen: dict[int, int] = {}
    columns = 0
    for page in layout.document.pages:
        flow = pdf._first_multicol(page._page_box)
        for column in flow.children:
            columns += 1
            classes = [child.element.get("class", "") for child in column.children]
            assert classes, "an empty column before the end"
            assert "topic-title" not in classes[-1], (page, classes[-3:])
            for child in column.children:
                if "video" in child.element.get("class", ""):
                    seen[id(child.element)] = seen.get(id(child.element), 0) + 1
    assert columns > 3 * (len(layout.document.pages) - 1)
    assert len(seen) == sum(len(t.videos) for t in course.topics)
    assert set(seen.values()) == {1}, "a video block was split across columns"


def test_focus_sheet_goes_when_no_topic_is_focus_any_more(escaping, tmp_path):
    out = tmp_path / "dist"
    build(escaping, out, "--only", "cheatsheet")
    assert (out / "cheatsheet-focus.pdf").exists()
    config = escaping / "course.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("focus: true", "focus: false"))
    build(escaping, out, "--only", "cheatsheet")
    assert (out / "cheatsheet.pdf").exists()
    assert not (out / "cheatsheet-focus.pdf").exists()


def test_running_header_names_the_topic_the_page_opens_in(real):
    course, options, _ = real
    topic_of = {v.number: t.label for t in course.topics for v in t.videos}
    with pdfplumber.open(options.out / "cheatsheet.pdf") as doc:
        for page in doc.pages[1:]:
            words = page.extract_words()
            header_bottom = min(w["bottom"] for w in words) + 2
            header = " ".join(w["text"] for w in words if w["bottom"] <= header_bottom)
            # the first video block of the page: the top-left number in the columns
            body = [w for w in words if w["top"] > header_bottom]
            first = min(body, key=lambda w: (round(w["x0"] / 200), w["top"]))
            assert first["text"].isdigit(), first
            assert header.endswith(topic_of[int(first["text"])]), (header, first["text"])


def test_cheat_sheet_opens_with_the_front_matter_unless_told_not_to(make_source, tmp_path):
    from click.testing import CliRunner
    from pypdf import PdfReader

    from deckpress.cli import main

    notes = "# Tiny course\n\nRevise two videos a day.\n\n" + video_notes(1) + video_notes(2)
    src = make_source({"a.md": notes})
    out = tmp_path / "dist"

    def first_page() -> str:
        args = ["build", "--source", str(src), "--out", str(out), "--only", "cheatsheet", "-q"]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        return PdfReader(out / "cheatsheet.pdf").pages[0].extract_text()

    assert "Revise two videos a day." in first_page()
    config = src / "course.yaml"
    config.write_text(
        config.read_text("utf-8") + "print:\n  cheatsheet:\n    front_matter: false\n", "utf-8"
    )
    assert "Revise two videos a day." not in first_page()


def test_glyph_check_covers_context_and_front_matter_and_names_unknown_fonts(make_source, tmp_path):
    from deckpress.printouts.pdf import installed

    notes = (
        "# Tiny\n\nIntro \U00010900.\n\n"
        + video_notes(1).replace(
            "**What to remember**", "Prose \U00010900 here.\n\n**What to remember**"
        )
        + video_notes(2)
    )
    config = (
        "title: Tiny course\ntopics:\n  - title: Everything\n    videos: 1-2\n"
        "print:\n  fonts: [No Such Font Family, DejaVu Sans]\n"
    )
    src = make_source({"a.md": notes}, config)
    args = ["build", "--source", str(src), "--out", str(tmp_path / "d"), "--only", "handouts"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "a.md:3: character '\U00010900' (U+10900)" in result.output
    assert "(2 times; this is the first)" in result.output
    assert "no installed font is called 'No Such Font Family'" in result.output
    assert "'DejaVu Sans' (fc-list" not in result.output
    assert installed("DejaVu Sans") is True


def test_workers_one_per_cpu_at_most_eight(monkeypatch):
    from deckpress.printouts import workers

    monkeypatch.delenv(workers.WORKERS_ENV, raising=False)
    monkeypatch.setattr(workers.os, "sched_getaffinity", lambda pid: set(range(64)), raising=False)
    assert workers.count() == workers.MAX_WORKERS == 8
    monkeypatch.setattr(workers.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    assert workers.count() == 2
    monkeypatch.setenv(workers.WORKERS_ENV, "12")
    assert workers.count() == 12  # asked for: as many as asked


def test_joining_the_handouts_imports_nothing_new_in_a_worker():
    """The handouts.pdf job is a function the workers imported before their first sheet:
    unpickling it there imports no deckpress module (importing the handouts module took
    ~25 ms at the end of every build that rewrote handouts.pdf)."""
    import pickle
    import subprocess
    import sys

    from deckpress.printouts import handouts

    worker = """
import pickle, sys
from deckpress.printouts import printing
printing.ready_to_typeset()
before = set(sys.modules)
pickle.loads(sys.stdin.buffer.read())
print(sorted(name for name in set(sys.modules) - before if name.startswith("deckpress")))
"""
    job = pickle.dumps(handouts.joining_job("Course — handouts"))
    result = subprocess.run(
        [sys.executable, "-c", worker], input=job, capture_output=True, check=True, timeout=120
    )
    assert result.stdout.decode().strip() == "[]"


KEY_POINTS = """\
## Video 1 — Bullets
**What to remember**
- A key point long enough to wrap: {words}
- A key point of two paragraphs, first one.

  Its second paragraph.
- **Bold** first word, then plain text that wraps as well: {words}

---
"""


@pytest.mark.parametrize("stretch", ["semi-condensed", "normal"])
def test_key_point_bullets_are_text_hung_where_the_list_marker_was(make_source, tmp_path, stretch):
    """A one-paragraph key point's bullet is its first character, not a list marker
    (WeasyPrint lays out and paints each marker as a positioned box of its own: a
    sixth of all typesetting). It hangs exactly where the marker hung, and the first
    line's text starts where the next lines do. Both DejaVu Sans widths (the built-in
    stylesheet asks for semi-condensed: Condensed where fonts-dejavu-extra is
    installed, else Book)."""
    from deckpress.printouts import pdf

    words = " ".join(["alpha beta gamma delta"] * 12)
    src = make_source({"a.md": KEY_POINTS.format(words=words) + video_notes(2)})
    course = load_course(src).course
    options = BuildOptions(src, tmp_path / "dist", ("handouts",))
    html_text = handouts.sheets(course, options)[0].html
    css = f"html {{ font-stretch: {stretch}; }}"
    marker_css = (
        css + " ul.points > li { list-style: disc outside !important; text-indent: 0 !important; }"
    )
    as_text = pdf.Typesetter(html_text, css)(10)
    as_marker = pdf.Typesetter(html_text.replace(handouts.BULLET, ""), marker_css)(10)

    def markers(typeset) -> list[str]:
        found = []

        def walk(box, inside):
            element = getattr(box, "element", None)
            if element is not None and element.tag == "li":
                inside = element.get("class", "")
            if getattr(box, "is_outside_marker", False):
                found.append(inside)
            for child in getattr(box, "children", ()):
                walk(child, inside)

        for page in typeset.document.pages:
            walk(page._page_box, None)
        return found

    assert markers(as_text) == ["blocks"]  # only the point of several blocks has one
    assert markers(as_marker) == ["", "blocks", "", "", ""]  # video 2 has two points

    def points(typeset) -> list[tuple[float, float, float]]:
        """Per wrapping one-paragraph key point: its bullet's x, its first word's x and
        the x of its next line (chars grouped into lines by their baseline)."""
        with pdfplumber.open(io.BytesIO(pdf.write_pdf([typeset]))) as document:
            chars = [c for c in document.pages[0].chars if c["text"].strip()]
        rows: dict[float, list[dict]] = {}
        for char in chars:
            rows.setdefault(round(char["bottom"], 1), []).append(char)
        lines = [sorted(row, key=lambda c: c["x0"]) for _, row in sorted(rows.items())]
        found = []
        for line, below in zip(lines, lines[1:], strict=False):
            text = "".join(c["text"] for c in line)
            if text.startswith(("•Akeypointlong", "•Boldfirst")):
                found.append((line[0]["x0"], line[1]["x0"], below[0]["x0"]))
        return found

    hung, listed = points(as_text), points(as_marker)
    assert len(hung) == len(listed) == 2
    for (bullet, first, next_line), (marker, first_listed, next_listed) in zip(
        hung, listed, strict=True
    ):
        assert first == pytest.approx(next_line, abs=0.01)  # the text hangs straight
        assert bullet == pytest.approx(marker, abs=0.01)  # the bullet where the marker was
        assert first == pytest.approx(first_listed, abs=0.01)
        assert next_line == pytest.approx(next_listed, abs=0.01)


def test_continued_video_labels_also_before_key_points_of_several_blocks(make_source, tmp_path):
    """A video longer than a column continues with a "(cont.)" label, also when the
    key point that opens the next column has class "blocks" (the label is found by
    its data-k whatever else the tag has)."""
    points = "".join(
        f"- Point {i} has a first paragraph long enough to take a line.\n\n"
        f"  And a second paragraph for point {i}, to make it a block point.\n"
        for i in range(1, 61)
    )
    notes = f"## Video 1 — Long video\n**What to remember**\n{points}\n---\n" + video_notes(2)
    src = make_source({"a.md": notes})
    out = tmp_path / "dist"
    build(src, out, "--only", "cheatsheet", "--only", "handouts", "-q")
    for name in ("cheatsheet.pdf", "handouts.pdf"):
        text = "".join(pages_text(out / name))
        assert text.count("1Longvideo(cont.)") >= 1, name


@pytest.mark.parametrize(
    "point",
    [
        "A footnote here[^1] in a key point.\n\n[^1]: The footnote text.\n",
        "$$\\sum_{i=1}^n x_i$$ display formula then text.\n",
        "![pic](pic.png)\n",
        "Two paragraphs, first.\n\n  Second paragraph.\n",
    ],
)
def test_key_points_that_are_not_one_run_of_text_keep_the_list_marker(make_source, tmp_path, point):
    """Footnotes, display formulas, pictures and paragraphs are blocks: such a point
    gets the list's marker (at its top), not a text bullet alone on a line."""
    from deckpress.printouts import pdf

    picture = (FIXTURES / "fidelity" / "pictures-in-print" / "small.png").read_bytes()
    notes = f"## Video 1 — V\n**What to remember**\n- {point}\n---\n" + video_notes(2)
    src = make_source({"a.md": notes, "pic.png": picture})
    course = load_course(src).course
    html_text = handouts.sheets(course, BuildOptions(src, tmp_path / "d", ("handouts",)))[0].html
    first = re.search(r'<li data-k="1"[^>]*>(.{0,40})', html_text)
    assert 'class="blocks"' in first.group(0) and handouts.BULLET not in first.group(1)
    document = pdf.Typesetter(html_text)(10).document
    markers = [
        box
        for page in document.pages
        for box in page._page_box.descendants()
        if getattr(box, "is_outside_marker", False)
    ]
    assert len(markers) == 1


def test_text_run_tells_inline_text_from_blocks_and_pictures():
    from deckpress.templating import text_run

    assert text_run('<strong>Bold</strong> and <img class="math" alt="x" src="d"> and a<br>b')
    for html_text in (
        "<p>a</p>",
        'A<img class="math display" src="d">',
        '<img src="pic.png" alt="p">',
        'x<div class="footnotes"></div>',
        "<ul><li>a</li></ul>",
        "<pre>code</pre>",
    ):
        assert not text_run(html_text), html_text


def _old_style_templates(folder: Path, which: str) -> None:
    """The built-in print-macros.html or print.css as they were before key points'
    bullets became text, in ``folder`` (a course's own templates)."""
    folder.mkdir(exist_ok=True)
    if which == "print-macros.html":
        text = (BUILTIN_TEMPLATES / which).read_text("utf-8")
        start = text.index('<ul class="points')
        end = text.index("</ul>", start) + len("</ul>")
        old = (
            '<ul class="points">\n{% for point in video.key_points %}\n'
            '<li data-k="{{ loop.index }}">{{ point.text | md(video) if "\\n" in point.text '
            "else point.text | md_inline(video) }}</li>\n{% endfor %}\n</ul>"
        )
        text = text[:start] + old + text[end:]
    else:
        text = (BUILTIN_TEMPLATES / which).read_text("utf-8")
        text = re.sub(r"ul\.hung[^{]*\{[^}]*\}", "", text)
    (folder / which).write_text(text, "utf-8")


@pytest.mark.parametrize("which", ["print-macros.html", "print.css"])
def test_a_course_with_its_own_old_style_template_shows_each_bullet_once(
    make_source, tmp_path, which
):
    """A course's own print-macros.html or print.css written before bullets were
    text (the other one built in): every key point still shows exactly one bullet,
    and no line of it starts left of its bullet (with an old print.css the bullet
    does not hang: the lines after the first start under it)."""
    words = " ".join(["alpha beta gamma delta"] * 8)
    notes = f"## Video 1 — V\n**What to remember**\n- One {words}\n- Two {words}\n\n---\n"
    src = make_source(
        {"a.md": notes + video_notes(2)},
        config="title: Tiny course\ntemplates: mine\ntopics:\n  - title: All\n    videos: 1-2\n",
    )
    _old_style_templates(src / "mine", which)
    out = tmp_path / "dist"
    build(src, out, "--only", "handouts", "-q")
    (handout,) = (out / "handouts").glob("*.pdf")
    with pdfplumber.open(handout) as document:
        chars = document.pages[0].chars
    bullets = [c for c in chars if c["text"] == "•"]
    assert len(bullets) == 4  # two points in each video, one bullet each
    lines: dict[float, list[dict]] = {}
    for char in chars:
        lines.setdefault(round(char["bottom"], 1), []).append(char)
    points = [line for line in lines.values() if "gamma" in "".join(c["text"] for c in line)]
    assert len(points) >= 4  # the two long points wrap
    starts = {round(min(c["x0"] for c in line if c["text"] not in "• "), 1) for line in points}
    assert min(starts) >= round(bullets[0]["x0"], 1)
    if which == "print-macros.html":  # the built-in print.css: a marker, lines aligned
        assert len(starts) == 1 and starts.pop() > bullets[0]["x0"]
