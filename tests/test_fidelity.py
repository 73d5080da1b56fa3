"""Every card and every page shows exactly what the notes say (issue #9).

Each case in ``fixtures/fidelity/`` (copied from the shared cases) is built; the
deck is imported with the official ``anki`` library and the PDFs are read back
with pdfplumber: characters and images inside their column and the page, code
and URLs without added hyphens, formulas typeset (no LaTeX source text).
"""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import pdfplumber
import pytest
from anki.collection import Collection, ImportAnkiPackageRequest

from deckpress.printouts.shortanswer import short_form

from .conftest import FIXTURES
from .conftest import cli_build as build
from .test_deck_anki import DESKTOP_DEFAULTS

CASES = FIXTURES / "fidelity"
MM = 72 / 25.4
MARGINS = (11 * MM, 9 * MM, 10 * MM, 9 * MM)  # print.css: top, right, bottom, left
GAP = 4.5 * MM  # print.css: column-gap
TOLERANCE = (
    1.2  # pt: WeasyPrint may set a wrapped monospace line ~1 pt past its box (the gap is 12.8 pt)
)


def case(name: str, tmp_path: Path) -> Path:
    """A private copy of a fidelity case (builds write their lock file into it)."""
    src = tmp_path / name
    shutil.copytree(CASES / name, src, ignore=_nested_cases)
    return src


def _nested_cases(folder: str, names: list[str]) -> list[str]:
    """Sub-folders that are cases of their own (scripts-and-fonts/with-font-override):
    deckpress reads every notes file under the source folder, sub-folders included."""
    return [n for n in names if (Path(folder) / n / "course.yaml").exists()]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Build each case once, on demand: ``built(name) -> dist folder``."""
    root = tmp_path_factory.mktemp("fidelity")
    done: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in done:
            src = case(name, root / "src" / name.replace("/", "--"))
            done[name] = root / "dist" / name
            REPORTS[name] = build(src, done[name])
        return done[name]

    return get


REPORTS: dict[str, str] = {}
"""Each case's build report (it names the columns every handout uses)."""


def handout_columns(name: str, handout: str) -> int:
    """The columns a handout was set in, from the build report."""
    found = re.search(rf"{re.escape(handout)}: .*?(\d+) column\(s\)", REPORTS[name])
    assert found, REPORTS[name]
    return int(found.group(1))


def notes_of(apkg: Path, tmp_path: Path) -> list[dict[str, str]]:
    """Import ``apkg`` into a fresh collection; each note's fields, HTML decoded."""
    folder = tmp_path / "anki"
    folder.mkdir(exist_ok=True)
    col = Collection(str(folder / "collection.anki2"))
    try:
        col.import_anki_package(
            ImportAnkiPackageRequest(package_path=str(apkg), options=DESKTOP_DEFAULTS)
        )
        notes = []
        for nid in col.find_notes(""):
            note = col.get_note(nid)
            fields = {k: html.unescape(v) for k, v in note.items()}
            fields["_cards"] = "\n".join(html.unescape(card.answer()) for card in note.cards())
            notes.append(fields)
        return notes
    finally:
        col.close()


def pdf_text(path: Path) -> str:
    with pdfplumber.open(path) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def nospace(text: str) -> str:
    return re.sub(r"\s+", "", text)


# --------------------------------------------------------------------------
# Math


MATH_NOTES = r"""### Video 1 — Formulas
**What to remember**
- Update: \(w \leftarrow w - \eta \, \nabla L\) with step \(\eta\).
- $a = b$ holds when both are zero.
- Squares: $$\sum_{i} x_i^2$$

**Interview Questions**
**Q1. Which formulas?**
\(w \leftarrow w - \eta \, \nabla L\), $a*b*c$ and

$$\sum_{i} x_i^2$$

Costs $5 and $6 stay dollars; θ ← θ − η∇L stays unicode.
"""


def test_math_reaches_cards_character_for_character(make_source, tmp_path):
    src = make_source(
        {"notes.md": MATH_NOTES},
        "title: M\ntopics:\n  - title: M\n    videos: 1\n",
    )
    out = tmp_path / "dist"
    build(src, out, "--only", "deck")
    notes = notes_of(out / "m.apkg", tmp_path)
    qa = next(n for n in notes if "Question" in n)
    answer = qa["Answer"]
    assert r"\(w \leftarrow w - \eta \, \nabla L\)" in answer
    assert r"\(a*b*c\)" in answer
    assert r"\[\sum_{i} x_i^2\]" in answer
    assert "$5 and $6 stay dollars" in answer
    assert "θ ← θ − η∇L" in answer
    assert "<em>" not in answer
    # what the reviewer gets: the same delimiters, for the MathJax Anki bundles
    assert r"\(w \leftarrow w - \eta \, \nabla L\)" in qa["_cards"]

    points = next(n for n in notes if "Text" in n)["Text"]
    # the cloze hides a formula that is the definition whole, never splits inside one
    assert r'{{c1::<span class="math">\(w \leftarrow w - \eta \, \nabla L\)</span>' in points
    # the formula is the subject: it stays as the cue, never split (issue 10's stems)
    assert r'<span class="math">\(a = b\)</span> holds when {{c2::both are zero.}}' in points
    assert r"\[\sum_{i} x_i^2\]" in points


def test_math_cases_on_cards(built, tmp_path):
    notes = notes_of(built("math-backslashes") / "t.apkg", tmp_path)
    text = "\n".join(v for n in notes for v in n.values())
    for formula in (
        r"\(P(A)\,P(B)\)",
        r"\(\{x\}\)",
        r"\(x^2\)",
        r"\[\sum_i x_i\]",
        r"\(P(A|B) = \frac{P(B|A)\,P(A)}{P(B)}\)",
    ):
        assert formula in text


def test_a_small_topic_uses_fewer_wider_columns(built):
    built("math")
    assert handout_columns("math", "01-math.pdf") < 3
    assert "(fewer, wider: the topic is small)" in REPORTS["math"]


def test_math_prints_typeset_not_as_source(built):
    out = built("math")
    assert "keeps the logits in range" in pdf_text(out / "handouts" / "01-math.pdf")
    for pdf in (out / "cheatsheet.pdf", out / "handouts" / "01-math.pdf"):
        text = pdf_text(pdf)
        assert "Softmax" in text
        for source in ("\\frac", "\\sum", "\\sqrt", "$", "\\(", "mathrm", "leftarrow"):
            assert source not in text, (pdf.name, source)
        # the product written without dollars keeps its asterisks
        assert "a*b*c" in nospace(text)
        with pdfplumber.open(pdf) as doc:
            drawn = sum(len(page.curves) + len(page.images) for page in doc.pages)
        assert drawn > 0  # the formulas are drawn (SVG paths)


# --------------------------------------------------------------------------
# Code, URLs, tables: nothing hyphenated, nothing outside its column


def column_boxes(page, columns: int) -> list[tuple[float, float]]:
    left, right = MARGINS[3], page.width - MARGINS[1]
    width = (right - left - GAP * (columns - 1)) / columns
    return [(left + i * (width + GAP), left + i * (width + GAP) + width) for i in range(columns)]


def assert_inside_columns(path: Path, columns: int) -> None:
    """Every character (the big sheet title aside), line and image inside one column box."""
    with pdfplumber.open(path) as doc:
        for number, page in enumerate(doc.pages, 1):
            boxes = column_boxes(page, columns)
            top, bottom = MARGINS[0], page.height - MARGINS[2]
            sizes = sorted(c["size"] for c in page.chars)
            body = sizes[len(sizes) // 2] if sizes else 0
            # the sheet title (and its subtitle) spans the page, above the columns
            titles = [c["bottom"] for c in page.chars if c["size"] > 1.3 * body]
            for char in page.chars:
                if not (top <= char["top"] and char["bottom"] <= bottom):
                    continue  # running header and footer
                if not char["text"].strip() or any(
                    abs(char["bottom"] - t) < char["size"] for t in titles
                ):
                    continue
                assert any(
                    a - TOLERANCE <= char["x0"] and char["x1"] <= b + TOLERANCE for a, b in boxes
                ), (path.name, number, char["text"], char["x0"], char["x1"], boxes)
            for thing in [*page.images, *page.rects, *page.lines]:
                assert 0 <= thing["x0"] and thing["x1"] <= page.width
                assert (
                    any(
                        a - TOLERANCE <= thing["x0"] and thing["x1"] <= b + TOLERANCE
                        for a, b in boxes
                    )
                    or thing["x1"] - thing["x0"] < 1
                ), (path.name, number, thing["x0"], thing["x1"])


def test_code_is_never_hyphenated_and_extracts_as_written(built):
    out = built("code-hyphenation")
    full = nospace(pdf_text(out / "handouts" / "01-python.pdf"))
    assert "numbers.reverse()reversed_copy=list(reversed(numbers))" in full
    for pdf in (out / "cheatsheet.pdf", out / "handouts" / "01-python.pdf"):
        text = nospace(pdf_text(pdf))
        assert "numbers.reverse()" in text
        for name in ("collections.defaultdict", "itertools.groupby", "functools.lru_cache"):
            assert name in text
        assert "rever-" not in text and "-sed" not in text
    columns = handout_columns("code-hyphenation", "01-python.pdf")
    assert_inside_columns(out / "handouts" / "01-python.pdf", columns)


def test_long_urls_and_code_stay_in_their_column(built):
    out = built("long-urls-and-code")
    url = (
        "https://example.org/papers/2017/attention-is-all-you-need-transformer-architecture-"
        "multi-head-self-attention-positional-encoding.pdf"
    )
    code = (
        "result=torch.nn.functional.scaled_dot_product_attention(query_tensor,key_tensor,"
        "value_tensor,attn_mask=None,dropout_p=0.0,is_causal=True)"
    )
    handout = "01-links-and-identifiers.pdf"
    for pdf, columns in (
        (out / "cheatsheet.pdf", 3),
        (out / "handouts" / handout, handout_columns("long-urls-and-code", handout)),
    ):
        text = nospace(pdf_text(pdf))
        assert url in text  # a hyphen added at a break would be in the way
        assert code in text
        assert (
            "torch.nn.functional.binary_cross_entropy_with_logits_reduction_mean_pos_weight" in text
        )
        assert_inside_columns(pdf, columns)


def test_wide_table_fits_its_column_with_cells_verbatim(built):
    out = built("wide-table")
    text = nospace(pdf_text(out / "handouts" / "01-optimizers.pdf"))  # answers: full
    assert "mu*v" in text and "lr*grad" in text
    assert "Aneighbourblockthatshouldnotbe" in text
    assert_inside_columns(out / "cheatsheet.pdf", 3)
    columns = handout_columns("wide-table", "01-optimizers.pdf")
    assert_inside_columns(out / "handouts" / "01-optimizers.pdf", columns)


# --------------------------------------------------------------------------
# Layout that never fails


def test_long_key_point_list_leaves_no_blank_page_and_writes_the_handout(built):
    out = built("long-keypoint-list")
    with pdfplumber.open(out / "cheatsheet.pdf") as doc:
        for page in doc.pages:
            assert "Fact" in (page.extract_text() or ""), "a blank or title-only page"
    text = nospace(pdf_text(out / "cheatsheet.pdf"))
    assert all(f"Fact{n}:" in text for n in range(1, 71))
    # the column the list continues in says whose list it is
    assert "1Quickreference(cont.)•Fact35:" in text
    handout = out / "handouts" / "01-cheat-sheet.pdf"
    assert handout.exists() and (out / "handouts.pdf").exists()
    text = nospace(pdf_text(handout))
    assert all(f"Fact{n}:" in text for n in range(1, 71))
    assert text.count("1Quickreference(cont.)") == 2  # one label per continued column


# --------------------------------------------------------------------------
# Short answers


@pytest.mark.parametrize(
    ("answer", "short"),
    [
        ("```python\nfrom sklearn import X\nm = X()\n```", "`from sklearn import X`"),
        ("- Type I: false positive\n- Type II: false negative", "Type I: false positive"),
        ("1. Plot a histogram. It should look like a bell.\n2. Run a test.", "Plot a histogram."),
        (
            "<details><summary>Answer</summary>\n\n**B** — the closure captures `i`.\n</details>",
            "**B** — the closure captures `i`.",
        ),
        ("Use `a. B` here. Then more.", "Use `a. B` here."),
        ("The $p. Q$ is small. Next.", "The $p. Q$ is small."),
        ("```\n`tick` inside\n```", "`` `tick` inside ``"),
        ("Plain answer.\nSame paragraph. More.", "Plain answer."),
    ],
)
def test_short_form(answer, short):
    assert short_form(answer) == short


def test_short_answers_print_clean(built):
    text = nospace(pdf_text(built("code-short-answer") / "cheatsheet.pdf"))
    assert "fromsklearn.linear_modelimportLinearRegression" in text
    assert "```" not in text and "python" not in text and "LinearRegression().fit" not in text
    text = nospace(pdf_text(built("list-answer-short") / "cheatsheet.pdf"))
    assert "TypeI:falsepositive" in text and "TypeII" not in text and "-" not in text
    text = nospace(pdf_text(built("short-answer-markup") / "cheatsheet.pdf"))
    for shown in (
        "console.log([10,9,1].sort());",
        "Plotahistogram.",
        "ReLU;cheap",
        "B—theclosurecapturesi.",
    ):
        assert shown in text
    for hidden in ("```", "js", "1.Plot", "Itshouldlook", "tanh", "<details>", "summary"):
        assert hidden not in text


# --------------------------------------------------------------------------
# Pictures and footnotes


def test_pictures_print_scaled_to_their_column(built):
    out = built("pictures-in-print")
    handout = handout_columns("pictures-in-print", "01-diagrams.pdf")
    for pdf, columns in (
        (out / "cheatsheet.pdf", 3),
        (out / "handouts" / "01-diagrams.pdf", handout),
    ):
        with pdfplumber.open(pdf) as doc:
            images = [image for page in doc.pages for image in page.images]
        # handout: both bullets and the answer; the cheat sheet's short answer is the picture
        assert len(images) == 3, pdf.name
        assert "residual block diagram" not in pdf_text(pdf)  # the picture, not its alt text
        assert_inside_columns(pdf, columns)


def test_footnotes_on_cards_and_in_print(built, tmp_path):
    out = built("footnotes-nested-lists")
    notes = notes_of(out / "footnotes-and-nesting.apkg", tmp_path)
    points = next(n for n in notes if "Text" in n)["Text"]
    answer = next(n for n in notes if "Answer" in n)["Answer"]
    for field in (points, answer):
        assert "[^" not in field
        assert '<sup class="footnote-ref">1</sup>' in field
        assert "The variance of a dot product of d_k unit-variance terms is d_k." in field
        assert "https://arxiv.org/abs/1706.03762" in field
    # the footnotes close the key-point field, outside every cloze
    assert points.rindex("}}") < points.index('<div class="footnotes">')
    text = pdf_text(out / "handouts" / "01-transformers.pdf")
    assert "[^" not in text
    assert "Thevarianceofadotproductofd_kunit-variancetermsisd_k." in nospace(text)
    assert "https://arxiv.org/abs/1706.03762" in nospace(text)


# --------------------------------------------------------------------------
# Fonts


FONT_NOTES = """### Video 1 — Scripts
**What to remember**
- Calligraphic: 𝒩 (only DejaVu Math TeX Gyre has it: a fallback font WeasyPrint uses).
- Not in any installed font here: 漢 and 漢 again.
"""


def test_glyph_check_asks_the_installed_fonts_and_reports_each_character_once(make_source):
    from deckpress.notes.load import load_course
    from deckpress.printouts import pdf, printing

    src = make_source(
        {"notes.md": FONT_NOTES},
        "title: F\nprint:\n  fonts: [WenQuanYi Micro Hei]\ntopics:\n  - title: F\n    videos: 1\n",
    )
    course = load_course(src).course
    assert course.config.print.fonts == ("WenQuanYi Micro Hei",)
    found = [str(d) for d in printing.check_glyphs(course, src)]
    if pdf.installed("WenQuanYi Micro Hei") is False:  # said first, then the characters
        assert "no installed font is called 'WenQuanYi Micro Hei'" in found.pop(0)
    if ord("漢") in pdf.installed_coverage():
        assert found == []  # a CJK font is installed: nothing to report
    else:
        assert found == [
            f"{src}/notes.md:4: character '漢' (U+6F22) cannot be shown by any configured or "
            "installed font (2 times; this is the first); replace it, or install a font that "
            "has it (and name it in print.fonts in course.yaml)"
        ]
    html = printing.render_html(course, "print-handout.html", **_handout_context(course))
    assert 'html { font-family: "DejaVu Sans", "WenQuanYi Micro Hei"; }' in html


def _handout_context(course):
    from deckpress.printouts.printing import page_context

    topic = course.topics[0]
    page = page_context(course, course.config.print.handouts, None)
    return dict(topic=topic, answers="full", context=True, topic_count=1, page=page)


@pytest.mark.parametrize("fonts", ["[1]", "['Evil; } body { color: red']", "['']"])
def test_print_fonts_must_be_family_names(make_source, fonts):
    from deckpress.errors import ContentError
    from deckpress.notes.load import load_course

    src = make_source(
        {"notes.md": FONT_NOTES},
        f"title: F\nprint:\n  fonts: {fonts}\ntopics:\n  - title: F\n    videos: 1\n",
    )
    with pytest.raises(ContentError, match="print.fonts"):
        load_course(src)


def test_latex_that_cannot_be_typeset_prints_as_written(caplog):
    from deckpress.printouts.formulas import svg

    assert str(svg(r"\frac{a")) == r'<code class="math-source">\frac{a</code>'
    assert "cannot typeset the formula" in caplog.text
    assert str(svg(r"x^2")).startswith('<img class="math"')


# --------------------------------------------------------------------------
# Every case builds


CASE_NAMES = sorted(str(p.parent.relative_to(CASES)) for p in CASES.glob("**/course.yaml"))


@pytest.mark.parametrize("name", CASE_NAMES)
def test_every_case_builds_all_three_artifacts(built, name):
    out = built(name)  # exit status 0, or cli_build fails the test
    assert list(out.glob("*.apkg"))
    assert (out / "cheatsheet.pdf").exists() and (out / "handouts.pdf").exists()


def test_a_footnote_holding_only_a_url_is_shown(built, tmp_path):
    out = built("footnote-url")
    notes = notes_of(out / "footnote-url.apkg", tmp_path)
    answer = next(n for n in notes if "Answer" in n)["Answer"]
    assert "https://arxiv.org/abs/1706.03762" in answer


def test_wide_table_fits_a_narrow_column(tmp_path):
    """The table in one of three columns (the build widens this small handout)."""
    from deckpress.build.pipeline import BuildOptions
    from deckpress.notes.load import load_course
    from deckpress.printouts import handouts, pdf

    src = case("wide-table", tmp_path)
    course = load_course(src).course
    sheet = handouts.sheets(course, BuildOptions(src, tmp_path / "dist"))[0]
    path = tmp_path / "narrow.pdf"
    path.write_bytes(pdf.write_pdf([pdf.Typesetter(sheet.html)(9)]))
    assert "lr*grad" in pdf_text(path)
    assert_inside_columns(path, 3)


def test_typeset_formulas_are_kept_by_content_for_the_next_build(built, monkeypatch):
    from deckpress.printouts import formulas

    cached = list((built("math") / ".deckpress" / "math").glob("*/*.html"))
    assert len(cached) >= 8  # every distinct formula of the case
    formulas.cache_in(built("math") / ".deckpress" / "math")
    formulas.svg.cache_clear()
    monkeypatch.setitem(__import__("sys").modules, "ziamath", None)  # typesetting would fail
    try:
        html = str(formulas.svg(r"\sqrt{d_k}"))
    finally:
        formulas.cache_in(None)
        formulas.svg.cache_clear()
    assert html.startswith('<img class="math"')
