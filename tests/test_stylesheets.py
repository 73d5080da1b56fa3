"""A document's stylesheet parsed once per process (deckpress.printouts.stylesheets):
the same PDFs as WeasyPrint's own parse on every render, and shared only where sharing
cannot change anything."""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from deckpress.build.pipeline import BuildOptions
from deckpress.notes.load import load_course
from deckpress.printouts import cheatsheet, handouts, pdf, printing, stylesheets

from .conftest import SOURCE

pdf.load()
import weasyprint  # noqa: E402 — after load(), which patches it as deckpress does
import weasyprint.css  # noqa: E402


@contextmanager
def own_parse():
    """WeasyPrint's own find_stylesheets meanwhile (a parse per render)."""
    stylesheets.uninstall(weasyprint.css)
    try:
        yield
    finally:
        stylesheets.install(weasyprint.css, weasyprint.CSS)


def both(html: str, css: str = "", size: float = 9) -> tuple[bytes, bytes]:
    shared = pdf.Typesetter(html, css)(size)
    with own_parse():
        own = pdf.Typesetter(html, css)(size)
    assert shared.fills == own.fills
    return pdf.write_pdf([shared]), pdf.write_pdf([own])


def doc(style: str, body: str = "<p>Text</p>", head: str = "") -> str:
    return f"<html><head>{head}<style>{style}</style></head><body>{body}</body></html>"


def test_same_bytes_for_every_kind_of_sheet_of_the_real_notes(tmp_path):
    course = load_course(SOURCE).course
    options = BuildOptions(SOURCE, tmp_path)
    whole, focus = cheatsheet.sheets(course, options)
    jobs = [(whole, ""), (focus, printing.RELAXED_CSS)]
    jobs += [(sheet, "") for sheet in handouts.sheets(course, options)[4:6]]
    for sheet, css in jobs:
        shared, own = both(sheet.html, css, size=sheet.floor + 0.5)
        assert shared == own, sheet.path.name


def test_same_bytes_with_tables_code_formulas_and_pictures(tmp_path):
    from .test_pages import rich_source

    src = rich_source(tmp_path)
    course = load_course(src).course
    options = BuildOptions(src, tmp_path / "out")
    for sheet in [*cheatsheet.sheets(course, options), *handouts.sheets(course, options)]:
        shared, own = both(sheet.html, size=sheet.floor + 1)
        assert shared == own, sheet.path.name


def test_one_parse_for_every_render_of_the_same_stylesheet(monkeypatch):
    parsed = []

    class Counting(weasyprint.CSS):
        def __init__(self, *args, **kwargs):
            parsed.append(kwargs.get("string"))
            super().__init__(*args, **kwargs)

    stylesheets.uninstall(weasyprint.css)
    stylesheets.install(weasyprint.css, Counting)
    try:
        style = "@page { size: A6; @top-left { content: 'x' } } p { color: #123456 }"
        for body in ("<p>one</p>", "<p>two</p>", "<p>three</p>"):
            typesetter = pdf.Typesetter(doc(style, body))
            typesetter(8)
            typesetter(9)
    finally:
        stylesheets.uninstall(weasyprint.css)
        stylesheets.install(weasyprint.css, weasyprint.CSS)
    assert parsed == [style]


SHARED_PAGE_RULES = doc(
    "@page { size: A6; margin: 20mm; @top-right { content: 'Head' } } "
    "@layer base { p { color: red } } p { color: blue } "
    "@media print { p { font-weight: bold } }"
)


def test_page_rules_layers_and_media_apply_as_before():
    shared, own = both(SHARED_PAGE_RULES)
    assert shared == own
    # and twice in a row from the shared parse: the cascade changes nothing in it
    assert pdf.write_pdf([pdf.Typesetter(SHARED_PAGE_RULES)(9)]) == own


@pytest.mark.parametrize(
    "html",
    [
        doc("@font-face { font-family: X; src: local('DejaVu Sans') } p { font-family: X }"),
        doc("@counter-style c { system: cyclic; symbols: '*'; } li { list-style: c }"),
        doc("@import url('data:text/css,p{color:red}'); p { margin: 0 }"),
        doc("@FONT-FACE { font-family: Y; src: local('DejaVu Sans') }"),
        doc("@f\\ont-face { font-family: Y; src: local('DejaVu Sans') }"),
        doc("p { color: red }", head="<style>p { margin: 0 }</style>"),
        doc("p { color: red }", head='<link rel="stylesheet" href="data:text/css,p{}">'),
        "<html><head><style media='print'>p { color: red }</style></head><body>x</body></html>",
    ],
    ids=[
        "font-face",
        "counter-style",
        "import",
        "upper-case at-rule",
        "escaped at-rule",
        "two styles",
        "a link",
        "media attribute",
    ],
)
def test_what_could_differ_is_parsed_by_weasyprint_per_render(html):
    stylesheets.uninstall(weasyprint.css)  # nothing parsed yet
    stylesheets.install(weasyprint.css, weasyprint.CSS)
    pdf.Typesetter(html)(9)
    assert not stylesheets._parsed
    shared, own = both(html)
    assert shared == own


def test_install_is_idempotent_and_keeps_a_few():
    wrapped = weasyprint.css.find_stylesheets
    stylesheets.install(weasyprint.css, weasyprint.CSS)
    assert weasyprint.css.find_stylesheets is wrapped
    for n in range(stylesheets.KEEP + 3):
        pdf.Typesetter(doc(f"p {{ margin: {n}px }}"))(9)
    assert len(stylesheets._parsed) == stylesheets.KEEP
