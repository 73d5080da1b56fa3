"""Page-level reuse of the cheat sheets (deckpress.printouts.pages): an edit lays out
only the pages it touches, and every build gives the bytes a cold build gives."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader

from deckpress.build.pipeline import BuildOptions
from deckpress.notes.load import load_course
from deckpress.printouts import cheatsheet, pages, pdf

from .conftest import FIXTURES, MINIMAL_CONFIG, SOURCE, cli_build, video

EDIT_FILE = "part1.md"
ANCHOR = "It limits effective model complexity"  # video 22, Q1: a focus topic


def pdfs(out: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(out)): p.read_bytes()
        for p in sorted(out.rglob("*.pdf"))
        if ".deckpress" not in p.parts
    }


def page_files(out: Path, name: str) -> dict[str, int]:
    folder = out / ".deckpress" / pages.FOLDER
    return {p.name: p.stat().st_mtime_ns for p in folder.glob(f"{name}.*{pages.PAGE_SUFFIX}")}


def edit(src: Path, old: str, new: str) -> None:
    notes = src / EDIT_FILE
    text = notes.read_text(encoding="utf-8")
    assert old in text
    notes.write_text(text.replace(old, new, 1), encoding="utf-8")


def cold(src: Path, out: Path, *args: str) -> dict[str, bytes]:
    shutil.rmtree(out, ignore_errors=True)
    cli_build(src, out, *args)
    return pdfs(out)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The real notes built cold into ``dist`` (the source is a private copy)."""
    root = tmp_path_factory.mktemp("pages")
    src = root / "source"
    shutil.copytree(SOURCE, src, ignore=shutil.ignore_patterns("deckpress.lock"))
    cli_build(src, root / "dist")
    return src, root / "dist", root


def test_a_one_word_edit_lays_out_one_page_per_sheet_and_gives_cold_bytes(built):
    src, dist, root = built
    whole, focus = page_files(dist, "cheatsheet"), page_files(dist, "cheatsheet-focus")
    assert len(whole) == 6 and len(focus) == 2  # the real notes: 6 and 2 pages

    edit(src, ANCHOR, ANCHOR.replace("limits", "bounds"))
    cli_build(src, dist)
    # one page of each sheet was laid out again (a new file); the rest were reused
    assert len(set(page_files(dist, "cheatsheet")) - set(whole)) == 1
    assert len(set(page_files(dist, "cheatsheet-focus")) - set(focus)) == 1
    assert len(page_files(dist, "cheatsheet")) == 6  # the replaced page is not kept
    assert pdfs(dist) == cold(src, root / "cold")


def test_an_edit_that_moves_a_page_break_lays_out_the_whole_sheet(built):
    src, dist, root = built
    before = pages.Store.of(dist, dist / "cheatsheet.pdf").plan()
    longer = ANCHOR.replace("limits", "bounds") + " " + "and keeps the weights small " * 40
    edit(src, ANCHOR.replace("limits", "bounds"), longer)
    cli_build(src, dist)
    after = pages.Store.of(dist, dist / "cheatsheet.pdf").plan()
    assert before is not None and after is not None
    assert after.ranges != before.ranges  # the parts moved: a whole layout placed them
    assert pdfs(dist) == cold(src, root / "cold")


def test_force_lays_out_every_page_again(built):
    src, dist, _ = built
    cli_build(src, dist)  # up to date
    before = page_files(dist, "cheatsheet")
    cli_build(src, dist, "--force")
    after = page_files(dist, "cheatsheet")
    assert before.keys() == after.keys()
    assert all(after[name] > before[name] for name in before)


def test_the_joined_sheet_has_weasyprints_own_outline(built, tmp_path):
    src, dist, _ = built
    course = load_course(src).course
    sheet = cheatsheet.sheets(course, BuildOptions(src, tmp_path))[0]
    whole = pdf.write_pdf([pdf.Typesetter(sheet.html)(sheet.floor)])

    def outline(data: bytes) -> list[tuple[int, str, int, float, float]]:
        reader = PdfReader(io.BytesIO(data))
        found = []

        def walk(items, depth):
            for item in items:
                if isinstance(item, list):
                    walk(item, depth + 1)
                else:
                    found.append(
                        (
                            depth,
                            item.title,
                            reader.get_destination_page_number(item),
                            round(float(item.left), 3),
                            round(float(item.top), 3),
                        )
                    )

        walk(reader.outline, 0)
        return found

    joined = (dist / "cheatsheet.pdf").read_bytes()
    assert outline(joined) == outline(whole)
    assert len(outline(joined)) > 90  # title, topics and videos
    assert dict(PdfReader(io.BytesIO(joined)).metadata) == dict(
        PdfReader(io.BytesIO(whole)).metadata
    )


def test_own_print_templates_are_laid_out_whole(make_source, tmp_path):
    css = (SOURCE.parent / "templates" / "print.css").read_text(encoding="utf-8")
    src = make_source(
        {"notes.md": video(1) + video(2), "templates/print.css": css},
        config=MINIMAL_CONFIG + "templates: templates\n",
    )
    out = tmp_path / "out"
    cli_build(src, out)
    assert (out / "cheatsheet.pdf").exists()
    assert not (out / ".deckpress" / pages.FOLDER / "cheatsheet.json").exists()
    # the same notes in the built-in templates are kept page by page
    (src / "templates" / "print.css").unlink()
    cli_build(src, tmp_path / "again")
    assert (tmp_path / "again" / ".deckpress" / pages.FOLDER / "cheatsheet.json").exists()


def test_every_page_laid_out_alone_is_the_page_of_the_whole_sheet(tmp_path):
    """The claim page reuse stands on, for every page of both real sheets: a page
    document laid out alone gives the bytes of that page of the whole layout."""
    course = load_course(SOURCE).course
    for sheet in cheatsheet.sheets(course, BuildOptions(SOURCE, tmp_path)):
        whole = pdf.Typesetter(sheet.html)(sheet.floor)
        flow = pages.Flow.parse(sheet.html)
        spans = pages.ranges(flow, whole.document)
        assert spans is not None and len(spans) == whole.pages
        for k, (span, expected) in enumerate(zip(spans, pdf.write_pages(whole), strict=True), 1):
            html, css = flow.page(k, *span, len(spans))
            alone = pdf.Typesetter(html, css)(sheet.floor)
            assert pages.holds(flow, span, alone.document), (sheet.path.name, k)
            assert pdf.write_pages(alone, first=1)[0] == expected, (sheet.path.name, k)


@pytest.mark.parametrize(
    "change",
    [
        # a topic renamed: the running header of the pages it is shown on changes too
        ("course.yaml", "title: Improving training & regularization", "title: Training better"),
        # a key point gone: its page gets shorter (the next unit may or may not fit now)
        (
            "part2.md",
            "- Goal: keep activation variance and gradient variance stable across layers.\n",
            "",
        ),
    ],
)
def test_other_edits_give_cold_bytes_too(change, tmp_path):
    src = tmp_path / "source"
    shutil.copytree(SOURCE, src, ignore=shutil.ignore_patterns("deckpress.lock"))
    dist = tmp_path / "dist"
    cli_build(src, dist)
    name, old, new = change
    text = (src / name).read_text(encoding="utf-8")
    assert old in text
    (src / name).write_text(text.replace(old, new, 1), encoding="utf-8")
    cli_build(src, dist)
    assert pdfs(dist) == cold(src, tmp_path / "cold")


def test_a_change_around_every_page_lays_the_sheet_out_once(tmp_path, monkeypatch):
    """A new course title is on every page (running header): the sheet is laid out
    whole at once, not page by page first."""
    from deckpress.build.pipeline import run

    monkeypatch.setenv("DECKPRESS_WORKERS", "1")
    src = tmp_path / "source"
    shutil.copytree(SOURCE, src, ignore=shutil.ignore_patterns("deckpress.lock"))
    options = BuildOptions(src, tmp_path / "dist", only=("cheatsheet",))
    run(options)
    renders: list[str] = []
    real = pdf.Typesetter.__init__

    def counting(self, html, css=""):
        renders.append(html)
        real(self, html, css)

    monkeypatch.setattr(pdf.Typesetter, "__init__", counting)
    yaml = (src / "course.yaml").read_text(encoding="utf-8")
    title = next(line for line in yaml.splitlines() if line.startswith("title:"))
    (src / "course.yaml").write_text(yaml.replace(title, title + " (2nd ed.)", 1), "utf-8")
    run(options)
    assert len(renders) == 2  # the whole course and the focus topics, each laid out once
    assert pdfs(tmp_path / "dist") == cold(src, tmp_path / "cold", "--only", "cheatsheet")


RICH_TOPICS = [
    "Maths\u00a0& models",  # a no-break space and an ampersand
    "第1章\u3000序論",  # an ideographic space
    'Quotes "and" <angles>',
    "Last",
]


def rich_source(root: Path) -> Path:
    """A course on several pages with what takes other layout paths: tables, code,
    formulas, a picture, footnotes, and topic titles WeasyPrint handles with care."""
    src = root / "rich"
    src.mkdir()
    shutil.copy(FIXTURES / "fidelity" / "pictures-in-print" / "small.png", src / "small.png")
    units = []
    for n in range(1, 41):
        extra = [
            "| Optimizer | Update rule | Memory |\n| --- | --- | --- |\n"
            "| SGD | v = mu*v - lr*grad | one buffer |\n| Adam | moments | two buffers |\n",
            "```python\nfor step in range(10):\n    loss = model(x)  # a comment\n```\n",
            f"The loss is $L = \\sum_i (y_i - \\hat y_i)^{n % 3 + 2}$ and $$E = mc^2$$\n",
            "A picture: ![small](small.png)\n",
            "With a footnote.[^n]\n\n[^n]: The note.\n",
        ][n % 5]
        units.append(
            f"## Video {n} — Unit {n}\n**What to remember**\n- Point {n}a, long enough "
            f"to wrap over a line or two of a narrow column.\n- Point {n}b.\n\n"
            f"**Interview Questions**\n**Q1. Question {n}?**\n{extra}\n---\n"
        )
    (src / "notes.md").write_text("".join(units), encoding="utf-8")
    topics = "".join(
        f'  - title: "{t}"\n    videos: {i * 10 + 1}-{i * 10 + 10}\n'
        + ("    focus: true\n" if i in (1, 2) else "")
        for i, t in enumerate(t.replace('"', '\\"') for t in RICH_TOPICS)
    )
    # the course title holds the first topic's label: the running header must not mix them
    title = f"Rich course: 01 {RICH_TOPICS[0]} and more"
    (src / "course.yaml").write_text(f'title: "{title}"\ntopics:\n{topics}', encoding="utf-8")
    return src


def test_pages_alone_with_tables_code_formulas_pictures_and_odd_titles(tmp_path):
    src = rich_source(tmp_path)
    course = load_course(src).course
    for sheet in cheatsheet.sheets(course, BuildOptions(src, tmp_path / "out")):
        whole = pdf.Typesetter(sheet.html)(sheet.floor)
        flow = pages.Flow.parse(sheet.html)
        spans = pages.ranges(flow, whole.document)
        assert spans is not None and len(spans) >= 2, sheet.path.name
        for k, (span, expected) in enumerate(zip(spans, pdf.write_pages(whole), strict=True), 1):
            html, css = flow.page(k, *span, len(spans))
            alone = pdf.Typesetter(html, css)(sheet.floor)
            assert pages.holds(flow, span, alone.document), (sheet.path.name, k)
            assert pdf.write_pages(alone, first=1)[0] == expected, (sheet.path.name, k)


def test_a_store_that_cannot_be_written_is_a_warning(tmp_path):
    src = tmp_path / "source"
    shutil.copytree(SOURCE, src, ignore=shutil.ignore_patterns("deckpress.lock"))
    dist = tmp_path / "dist"
    cli_build(src, dist, "--only", "cheatsheet")
    store = dist / ".deckpress" / pages.FOLDER
    shutil.rmtree(store)
    store.write_text("not a folder", encoding="utf-8")  # writes into it fail (even as root)
    edit(src, ANCHOR, ANCHOR.replace("limits", "caps"))
    output = cli_build(src, dist, "--only", "cheatsheet")
    assert "cannot keep the cheat sheets' pages" in output
    assert pdfs(dist) == cold(src, tmp_path / "cold", "--only", "cheatsheet")
