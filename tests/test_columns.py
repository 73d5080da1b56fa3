"""The one-pass column layout (deckpress.printouts.columns) lays out exactly what
WeasyPrint's own two-pass layout does: same pages, same bytes."""

from __future__ import annotations

import pytest

from deckpress.build.pipeline import BuildOptions
from deckpress.notes.load import load_course
from deckpress.printouts import cheatsheet, columns, handouts, pdf, printing

from .conftest import SOURCE

pdf.load()
pytestmark = pytest.mark.skipif(
    not columns.install(), reason="the installed WeasyPrint's column layout is not patchable"
)

STYLE = """
@page { size: A5 landscape; margin: 10mm; }
.flow { columns: 3; column-gap: 4mm; column-rule: 0.4pt solid #bbb; column-fill: auto; }
.b { break-inside: avoid; margin: 0 0 2mm; }
"""


def doc(body: str, css: str = "") -> str:
    return f"<html><head><style>{STYLE}{css}</style></head><body>{body}</body></html>"


def paragraphs(n: int, words: int = 30) -> str:
    return "".join(
        f"<div class='b'><h3>Block {i}</h3><p>{' '.join(['word'] * (words + i % 7))}</p></div>"
        for i in range(n)
    )


def both(html: str, css: str = "", size: float = 8) -> tuple[bytes, bytes]:
    """The PDF laid out with the patched layout, and with WeasyPrint's own."""
    patched = pdf.Typesetter(html, css)(size)
    with columns.original():
        own = pdf.Typesetter(html, css)(size)
    assert patched.fills == own.fills
    return pdf.write_pdf([patched]), pdf.write_pdf([own])


CASES = {
    "several pages of unbreakable blocks under a title": doc(
        "<h1>Title</h1><div class='flow'>" + paragraphs(60) + "</div>"
    ),
    "a block taller than a column": doc(
        "<div class='flow'>" + paragraphs(3) + paragraphs(1, words=900) + paragraphs(5) + "</div>"
    ),
    "a block spanning every column between two flows (balanced before it)": doc(
        "<div class='flow'>"
        + paragraphs(10)
        + "<h2 style='column-span: all'>Spanning</h2>"
        + paragraphs(40)
        + "</div>"
    ),
    "CSS footnotes (their area is measured by the first pass)": doc(
        "<div class='flow'>"
        + "".join(
            f"<div class='b'><p>{'text ' * 40}<span style='float: footnote'>note {i}</span></p></div>"
            for i in range(30)
        )
        + "</div>"
    ),
    "balanced columns": doc(
        "<div class='flow' style='column-fill: balance'>" + paragraphs(8) + "</div>"
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_same_bytes_as_weasyprints_own_layout(name):
    patched, own = both(CASES[name])
    assert patched == own


def test_same_bytes_for_every_sheet_of_the_real_notes(tmp_path):
    course = load_course(SOURCE).course
    options = BuildOptions(SOURCE, tmp_path)
    whole, focus = cheatsheet.sheets(course, options)
    jobs = [(whole, ""), (focus, printing.RELAXED_CSS)]
    jobs += [(sheet, printing.RELAXED_CSS) for sheet in handouts.sheets(course, options)[7:9]]
    for sheet, css in jobs:
        patched, own = both(sheet.html, css, size=sheet.floor + 0.5)
        assert patched == own, (sheet.path.name, css)


def test_install_is_idempotent_and_the_original_is_kept():
    from weasyprint.layout import block, column

    assert columns.install() and columns.install()
    assert block.columns_layout is column.columns_layout
    with columns.original():
        assert not getattr(block.columns_layout, "_deckpress_single_pass", False)
    assert getattr(block.columns_layout, "_deckpress_single_pass", False)


def test_an_unexpected_weasyprint_is_left_alone(monkeypatch):
    from weasyprint.layout import block, column

    with columns.original():
        own = column.columns_layout
        monkeypatch.setattr(columns, "ANCHOR", "not in the source\n")
        assert columns.install() is False
        assert column.columns_layout is own and block.columns_layout is own


def test_same_bytes_with_tables_code_formulas_and_pictures(tmp_path):
    from .test_pages import rich_source

    src = rich_source(tmp_path)
    course = load_course(src).course
    options = BuildOptions(src, tmp_path / "out")
    jobs = [(sheet, "") for sheet in cheatsheet.sheets(course, options)]
    jobs += [(sheet, printing.RELAXED_CSS) for sheet in handouts.sheets(course, options)]
    for sheet, css in jobs:
        patched, own = both(sheet.html, css, size=sheet.floor + 1)
        assert patched == own, (sheet.path.name, css)


def test_source_lines_are_inspects(tmp_path, monkeypatch):
    """The patch reads the function's source as inspect.getsourcelines does, without
    tokenizing the whole module; a body with a line at column 0 (inside a string) is
    left to inspect."""
    import importlib
    import inspect
    import sys

    from weasyprint.layout import block, column

    for function in (column.columns_layout, column._create_column_box, block.block_level_layout):
        assert columns._source_lines(function) == inspect.getsourcelines(function)
    (tmp_path / "odd_module.py").write_text(
        'def odd():\n    text = """\nat column 0\n"""\n    return text\n\n\ndef after():\n    pass\n',
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    odd = importlib.import_module("odd_module")
    try:
        assert columns._source_lines(odd.odd) == inspect.getsourcelines(odd.odd)
    finally:
        sys.modules.pop("odd_module", None)
