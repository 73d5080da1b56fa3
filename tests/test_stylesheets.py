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


# --------------------------------------------------------------------------
# The lean user-agent stylesheet


def with_both_user_agents(html: str, css: str, size: float, monkeypatch) -> tuple[bytes, bytes]:
    """The PDF with the lean user-agent stylesheet, and with WeasyPrint's own."""
    assert pdf._LEAN_USER_AGENT is not None
    assert not stylesheets.needs_full_user_agent(html, css)
    typesetter = pdf.Typesetter(html, css)
    assert typesetter._html._ua_stylesheets()[0] is pdf._LEAN_USER_AGENT
    lean = pdf.write_pdf([typesetter(size)])
    with monkeypatch.context() as patched:
        patched.setattr(pdf, "_LEAN_USER_AGENT", None)
        full = pdf.write_pdf([pdf.Typesetter(html, css)(size)])
    return lean, full


def test_lean_user_agent_gives_the_same_bytes_for_every_sheet_of_the_real_notes(
    tmp_path, monkeypatch
):
    course = load_course(SOURCE).course
    options = BuildOptions(SOURCE, tmp_path)
    whole, focus = cheatsheet.sheets(course, options)
    jobs = [(whole, ""), (focus, printing.RELAXED_CSS)]
    jobs += [(sheet, "") for sheet in handouts.sheets(course, options)]
    for sheet, css in jobs:
        lean, full = with_both_user_agents(sheet.html, css, sheet.floor + 0.5, monkeypatch)
        assert lean == full, sheet.path.name


def test_lean_user_agent_same_bytes_with_lists_tables_code_formulas_footnotes(
    tmp_path, monkeypatch
):
    """A key point of several blocks and an answer with numbered and nested lists (their
    own markers), footnotes (a list at the unit's end), tables, code, formulas, pictures."""
    from .test_pages import rich_source

    src = rich_source(tmp_path)
    notes = src / "notes.md"
    text = notes.read_text("utf-8")
    text = text.replace("- Point 1b.\n", "- Point 1b.\n\n  - nested\n", 1)
    text = text.replace(
        "**Q1. Question 1?**\n", "**Q1. Question 1?**\n1. first\n2. second\n   - inner\n\n", 1
    )
    notes.write_text(text, "utf-8")
    course = load_course(src).course
    options = BuildOptions(src, tmp_path / "out")
    sheets = cheatsheet.sheets(course, options) + handouts.sheets(course, options)
    assert any("footnote" in sheet.html for sheet in sheets)
    assert any("<ol>" in sheet.html and 'class="blocks"' in sheet.html for sheet in sheets)
    for sheet in sheets:
        lean, full = with_both_user_agents(sheet.html, "", sheet.floor + 0.5, monkeypatch)
        assert lean == full, sheet.path.name


@pytest.mark.parametrize(
    "html, css",
    [
        (doc("div { display: list-item }"), ""),
        (doc("p{display:inline list-item}"), ""),
        (doc("", body='<p style="display: list-item">x</p>'), ""),
        (doc("", body="<p style='float:footnote'>x</p>"), ""),
        (doc("aside { float /* a note */ : footnote }"), ""),
        (doc("aside { position: note(side) }"), ""),
        (doc(r"p { disp\61 y: list-item }"), ""),
        (doc("p {}", head='<link rel="stylesheet" href="data:text/css,">'), ""),
        (doc("p {}"), "li { display: block } p { display: list-item }"),
        (doc("", body="<p style=display:list-item>x</p>"), ""),  # unquoted
        (doc("", body="<p>a<span style=float:footnote>n</span></p>"), ""),
        (doc("", body='<p style="display:list&#45;item">x</p>'), ""),  # a reference
        (doc("", body='<span style="float:foot&#110;ote">n</span>'), ""),
        (doc('@import url("data:text/css,p{}");'), ""),
        (doc("li > p { display: inherit }"), ""),  # a list item's child: one too
        (doc(":root { --d: block } p { display: var(--d) }"), ""),
        ("<html><body><p>x</p><style>p { display: list-item }", ""),  # never closed
    ],
)
def test_a_document_that_could_use_the_rules_left_out_gets_them(html, css):
    import weasyprint.html

    assert stylesheets.needs_full_user_agent(html, css)
    used = pdf.Typesetter(html, css)._html._ua_stylesheets()
    assert used == [weasyprint.html.UA_STYLESHEET]


def test_built_in_sheets_get_the_lean_user_agent_and_it_leaves_out_only_those_rules():
    """The footnotes' class names and key points' lists of the built-in templates are
    no reason for the full stylesheet; the lean one is WeasyPrint's but for the
    pseudo-element rules, ::marker kept for li (this WeasyPrint has each rule once)."""
    html = doc(
        ".footnotes { font-size: 0.85em } .footnote p { display: inline }",
        body='<ul class="points"><li>x</li></ul><section class="footnotes"></section>',
    )
    assert not stylesheets.needs_full_user_agent(html)
    import weasyprint.html

    lean, full = pdf._LEAN_USER_AGENT.matcher, weasyprint.html.UA_STYLESHEET.matcher
    assert len(lean.other_selectors) == len(full.other_selectors) - 6
    assert {entry[3] for entry in lean.other_selectors}.isdisjoint(
        stylesheets.UNIVERSAL_PSEUDO_RULES
    )
    moved = [entry for entry in lean.lower_local_name_selectors["li"] if entry[3] == "marker"]
    assert len(moved) == 1 and moved[0] in full.other_selectors  # the same rule, same order
    assert len(lean.lower_local_name_selectors["li"]) == 1 + len(
        full.lower_local_name_selectors["li"]
    )
    assert weasyprint.html.UA_STYLESHEET.matcher is full  # the original is untouched
    assert stylesheets.lean_user_agent(weasyprint.html.UA_STYLESHEET, "p { }") is None


def test_a_document_the_check_misses_is_rendered_again_with_the_full_stylesheet(monkeypatch):
    """A footnote the lean stylesheet has no styles for makes WeasyPrint fail: the
    document is then rendered with WeasyPrint's own stylesheet (the same PDF)."""
    html = doc("@page { @footnote {} }", body="<p>Text<span class=f>note</span> more</p>")
    css = ".f { float: footnote }"
    full = pdf.write_pdf([pdf.Typesetter(html, css)(10)])
    monkeypatch.setattr(stylesheets, "needs_full_user_agent", lambda *args: False)
    typesetter = pdf.Typesetter(html, css)
    assert typesetter._html._ua_stylesheets()[0] is pdf._LEAN_USER_AGENT
    assert pdf.write_pdf([typesetter(10)]) == full
    assert not typesetter._lean  # later sizes: the full one straight away
    with pytest.raises(TypeError):  # what the lean stylesheet alone does with it
        _render_lean(html, css)


def _render_lean(html: str, css: str) -> None:
    page = weasyprint.HTML(string=html)
    page._ua_stylesheets = lambda forms=False: [pdf._LEAN_USER_AGENT]
    page.render(stylesheets=[weasyprint.CSS(string=css)])
