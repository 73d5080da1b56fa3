"""deckpress.printouts.pdf: layout measurement, reproducible PDF bytes, font coverage."""

from __future__ import annotations

import io
import time

import pytest
from pypdf import PdfReader

from deckpress.printouts import pdf

PAGE = """<!DOCTYPE html><html><head><style>
@page {{ size: 200mm 100mm; margin: 10mm; }}
body {{ margin: 0; font-family: "DejaVu Sans"; }}
.flow {{ columns: {columns}; column-gap: 0; column-fill: auto; }}
.block {{ height: {height}mm; break-inside: avoid; margin: 0; }}
</style></head><body>{body}</body></html>"""


def page(body: str, columns: int = 3, height: float = 20) -> str:
    return PAGE.format(body=body, columns=columns, height=height)


def blocks(n: int) -> str:
    return "".join(f'<div class="block">block {i}</div>' for i in range(n))


def test_fill_counts_empty_columns():
    # 80 mm of text height per column; one 20 mm block in the first of three columns
    layout = pdf.Typesetter(page(f'<div class="flow">{blocks(1)}</div>'))(10)
    assert layout.pages == 1
    assert layout.fills[0] == pytest.approx(20 / 80 / 3, abs=0.01)


def test_fill_of_full_columns_and_a_half_empty_last_one():
    # 4 blocks fill a column; 10 blocks = two full columns and half of the third
    layout = pdf.Typesetter(page(f'<div class="flow">{blocks(10)}</div>'))(10)
    assert layout.pages == 1
    assert layout.fills[0] == pytest.approx((1 + 1 + 0.5) / 3, abs=0.01)


def test_fill_counts_what_stands_above_the_columns_as_used():
    body = f'<div class="block" style="height: 40mm">title</div><div class="flow">{blocks(1)}</div>'
    layout = pdf.Typesetter(page(body))(10)
    # top half used across the page, then one 20 mm block in one of three 40 mm columns
    assert layout.fills[0] == pytest.approx(0.5 + 0.5 * (20 / 40) / 3, abs=0.01)


def test_fill_without_columns_and_demand_over_pages():
    layout = pdf.Typesetter(page(blocks(6), columns=1))(10)  # 120 mm on 80 mm pages
    assert layout.pages == 2
    assert layout.fills[0] == pytest.approx(1.0, abs=0.01)
    assert layout.fills[1] == pytest.approx(0.5, abs=0.01)
    assert layout.demand == pytest.approx(1.5, abs=0.02)


def test_root_font_size_is_what_grows():
    html = page('<div class="flow"><p style="font-size: 1rem">' + "word " * 2000 + "</p></div>")
    small, large = pdf.Typesetter(html)(6), pdf.Typesetter(html)(9)
    # a long paragraph: lines get both longer and taller, so area goes with size²
    assert 0.9 * (9 / 6) ** 2 < large.demand / small.demand < 1.2 * (9 / 6) ** 2


SAMPLE = page('<div class="flow"><p>Gradient ∇ and <b>bold</b> <code>code</code></p></div>')


def embedded_fonts(data: bytes) -> dict[str, int]:
    """``{font name: bytes of its embedded file}`` of every font in a PDF."""
    found = {}
    for p in PdfReader(io.BytesIO(data)).pages:
        for font in p["/Resources"]["/Font"].values():
            descriptor = font.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            stream = descriptor.get("/FontFile2") or descriptor.get("/FontFile3")
            found[str(descriptor["/FontName"])] = len(stream.get_object().get_data())
    return found


def test_fonts_are_subset_by_the_bundled_harfbuzz():
    from deckpress.printouts import subset

    pdf.load()
    assert subset.version().startswith("uharfbuzz ")
    data = pdf.write_pdf([pdf.Typesetter(SAMPLE)(10)])
    sizes = embedded_fonts(data)
    assert len(sizes) == 3  # regular, bold, mono
    # a few glyphs of DejaVu Sans (700 kB whole) are a few kB
    assert all(size < 40_000 for size in sizes.values()), sizes
    text = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert "Gradient ∇ and bold code" in text


def test_without_the_wheel_weasyprint_subsets_as_before(monkeypatch):
    from weasyprint.pdf import fonts

    from deckpress.printouts import subset

    pdf.load()
    bundled = pdf.write_pdf([pdf.Typesetter(SAMPLE)(10)])
    monkeypatch.setattr(fonts.Font, "subset", fonts.Font.subset.original)
    fallback = pdf.write_pdf([pdf.Typesetter(SAMPLE)(10)])
    assert fallback != bundled  # another subsetter did it
    assert PdfReader(io.BytesIO(fallback)).pages[0].extract_text() == (
        PdfReader(io.BytesIO(bundled)).pages[0].extract_text()
    )
    assert all(size < 60_000 for size in embedded_fonts(fallback).values())
    # the wheel missing: nothing installed, and PDFs say so in their fingerprint
    monkeypatch.setitem(__import__("sys").modules, "uharfbuzz", None)
    subset.version.cache_clear()
    try:
        assert subset.version() == ""

        class Font:
            def subset(self, to_unicode, hinting): ...

        before = Font.subset
        assert not subset.install(Font) and Font.subset is before
    finally:
        subset.version.cache_clear()


def test_same_input_same_bytes_even_with_the_fonttools_subsetter(monkeypatch):
    from weasyprint.pdf import fonts

    html = SAMPLE
    first = pdf.write_pdf([pdf.Typesetter(html)(10)])
    assert first == pdf.write_pdf([pdf.Typesetter(html)(10)])
    assert b"CreationDate" not in first and b"ModDate" not in first
    # the slower subsetter stamps the time into fonts: the clock must not leak in
    monkeypatch.setattr(fonts.Font, "subset", fonts.Font.subset.original)
    monkeypatch.setattr(fonts, "harfbuzz_subset", None)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    slow = pdf.write_pdf([pdf.Typesetter(html)(10)])
    monkeypatch.setattr(time, "time", lambda: 2_000_000_000.0)
    later = pdf.write_pdf([pdf.Typesetter(html)(10)])
    assert slow == later


def test_pages_of_several_layouts_join_in_order():
    one = pdf.Typesetter(page("<p>first</p>", columns=1))(10)
    two = pdf.Typesetter(page("<p>second</p>", columns=1))(10)
    reader = PdfReader(io.BytesIO(pdf.write_pdf([one, two, one])))
    assert [p.extract_text().strip() for p in reader.pages] == ["first", "second", "first"]


def test_nothing_is_fetched(tmp_path):
    secret = tmp_path / "secret.css"
    secret.write_text("p { color: red }")
    html = page(
        f'<link rel="stylesheet" href="file://{secret}"><img src="http://example.invalid/x.png">'
        "<p>still typeset</p>",
        columns=1,
    )
    layout = pdf.Typesetter(html)(10)
    reader = PdfReader(io.BytesIO(pdf.write_pdf([layout])))
    assert "still typeset" in reader.pages[0].extract_text()
    assert not reader.pages[0].images


def test_font_families_named_in_css():
    css = """/* font-family: "Commented Out"; */
    body { font-family: "DejaVu Sans", Arial, sans-serif; }
    code { font-family: 'DejaVu Sans Mono' }
    h1 { font-family: "DejaVu Sans"; }"""
    assert pdf.css_font_families(css) == ("DejaVu Sans", "Arial", "DejaVu Sans Mono")


def test_missing_chars_are_those_no_family_has():
    families = ("DejaVu Sans", "DejaVu Sans Mono")
    text = "√ ᵀ ∂ ∇ β ⊙ → “quoted” 漢 \u200b\n"
    assert pdf.missing_chars(text, families) == {"漢"}
    assert pdf.font_files(families), "fontconfig found no DejaVu font"


def test_fonts_one_document_declares_are_not_found_by_the_next():
    import base64

    import uharfbuzz as hb

    # a small font of its own: DejaVu Serif cut down to a few letters
    face = hb.Face(hb.Blob.from_file_path(pdf.font_files(("DejaVu Serif",))[0]))
    plan = hb.SubsetInput()
    plan.unicode_set.update(ord(c) for c in "mine ")
    data = base64.b64encode(hb.subset(face, plan).blob.data).decode("ascii")
    declared = f'@font-face {{ font-family: "Mine"; src: url(data:font/ttf;base64,{data}); }}'
    uses = "<p style=\"font-family: Mine, 'DejaVu Sans'\">mine</p>"
    own = pdf.write_pdf([pdf.Typesetter(page(f"<style>{declared}</style>{uses}", columns=1))(10)])
    assert any(name.endswith("+Mine") for name in embedded_fonts(own))
    # the next document does not declare it: the shared configuration must not know it
    other = pdf.write_pdf([pdf.Typesetter(page(uses, columns=1))(10)])
    assert not any(name.endswith("+Mine") for name in embedded_fonts(other)), embedded_fonts(other)


def test_character_maps_kept_between_builds(tmp_path, monkeypatch):
    """A font's character map is read once, then from the kept list while the file is
    the same (path, size, modification time); a changed file is read again."""
    import os
    import shutil

    import fontTools.ttLib

    (source,) = pdf.font_files(("DejaVu Sans",))
    font = tmp_path / "fonts" / "DejaVuSans.ttf"
    font.parent.mkdir()
    shutil.copy(source, font)
    kept = tmp_path / "kept"
    read = sorted(pdf._character_map(str(font), None))
    assert 0x2207 in read and len(read) > 3000  # ∇, and DejaVu Sans covers thousands
    assert sorted(pdf._character_map(str(font), kept)) == read
    (listed,) = kept.iterdir()

    def unreadable(*args, **kwargs):
        raise AssertionError("read the font file again")

    monkeypatch.setattr(fontTools.ttLib, "TTFont", unreadable)
    assert sorted(pdf._character_map(str(font), kept)) == read  # from the kept list
    listed.write_text("not json", encoding="utf-8")
    assert pdf._character_map(str(font), kept) == []  # read again: the font "failed"
    monkeypatch.undo()
    stat = font.stat()
    os.utime(font, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert sorted(pdf._character_map(str(font), kept)) == read
    assert len(list(kept.iterdir())) == 2  # the changed file has a list of its own


def test_html_parser_with_its_expressions_cached_parses_the_same(monkeypatch):
    """Every sheet of the real notes (both cheat sheets, every handout) parses to the
    same tree with tinyhtml5's expressions compiled once as without; and the stream
    builds each expression once, not once per call."""
    import re
    import xml.etree.ElementTree as ElementTree

    import tinyhtml5

    from deckpress.build.pipeline import BuildOptions
    from deckpress.notes.load import load_course
    from deckpress.printouts import cheatsheet, handouts, htmlparsing

    from .conftest import SOURCE

    course = load_course(SOURCE).course
    options = BuildOptions(SOURCE, SOURCE.parent / "dist-unused")
    pages = [
        s.html for s in (*cheatsheet.sheets(course, options), *handouts.sheets(course, options))
    ]

    def trees() -> list[bytes]:
        return [
            ElementTree.tostring(tinyhtml5.parse(page, namespace_html_elements=False))
            for page in pages
        ]

    assert htmlparsing.install()
    cached = trees()
    compiled = []
    real_compile = re.compile
    monkeypatch.setattr(re, "compile", lambda *a, **k: compiled.append(a) or real_compile(*a, **k))
    assert trees() == cached and not compiled  # all compiled before
    monkeypatch.undo()
    htmlparsing.uninstall()
    try:
        assert trees() == cached
    finally:
        assert htmlparsing.install()


def fresh_python(code: str) -> str:
    """What ``code`` prints, run by a fresh interpreter in the project folder (this one
    has long imported WeasyPrint and fontTools)."""
    import subprocess
    import sys

    from .conftest import ROOT

    command = [sys.executable, "-c", code]
    return subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT).stdout


def test_fonttools_subsetting_and_variable_fonts_are_imported_when_used():
    """WeasyPrint's PDF writer imports fontTools' subsetter and variable-font instancer
    at import; a worker with the bundled HarfBuzz never uses them, so they are left
    for their first use (a fresh process: this one has imported them already)."""
    code = (
        "import sys; from deckpress.printouts import pdf; pdf.load(); pdf.warm_up();"
        "print(sorted(m for m in sys.modules if m in pdf.DEFERRED_FONT_TOOLS or "
        "m == 'fontTools.varLib'))"
    )
    assert fresh_python(code).strip() == "[]"


FONTTOOLS_PATH = """
import io, json, sys
from pypdf import PdfReader
from deckpress.printouts import pdf
from tests.test_pdf import SAMPLE, embedded_fonts
pdf.load()
from weasyprint.pdf import fonts
stand_ins = [fonts.subset.__doc__, fonts.instantiateVariableFont.__module__]
bundled = pdf.write_pdf([pdf.Typesetter(SAMPLE)(10)])
fonts.Font.subset = fonts.Font.subset.original
fonts.harfbuzz_subset = None  # WeasyPrint's fontTools path
data = pdf.write_pdf([pdf.Typesetter(SAMPLE)(10)])
from fontTools.varLib import instancer
calls = []
instancer.instantiateVariableFont = lambda *a, **k: calls.append([a, k])
fonts.instantiateVariableFont("font", {"wght": 700}, static=True)
text = [PdfReader(io.BytesIO(d)).pages[0].extract_text() for d in (bundled, data)]
print(json.dumps([stand_ins, data != bundled, text, embedded_fonts(data), calls]))
"""


def test_weasyprint_subsets_with_fonttools_and_flattens_variable_fonts_as_before():
    """The stand-ins for fontTools' modules (see above) do what the modules do."""
    import json

    found = fresh_python(FONTTOOLS_PATH)
    stand_ins, differs, (bundled, fonttools), sizes, calls = json.loads(found)
    assert "first use" in stand_ins[0] and stand_ins[1] == pdf.__name__
    assert differs and fonttools == bundled  # another subsetter, the same text
    assert sizes and all(size < 60_000 for size in sizes.values())
    assert calls == [[["font", {"wght": 700}], {"static": True}]]


def test_a_font_tools_module_used_while_weasyprint_is_imported_stays_imported():
    """A stand-in used during the import window imports the real module, which stays."""

    code = (
        "import sys; from deckpress.printouts import pdf\n"
        "with pdf._font_tools_on_first_use():\n"
        "    stand_in = sys.modules['fontTools.subset']\n"
        "    stand_in.Options\n"
        "real = sys.modules.get('fontTools.subset')\n"
        "print(real is not None and real is not stand_in and hasattr(real, '__file__'),"
        " 'fontTools.varLib.instancer' in sys.modules)"
    )
    assert fresh_python(code).split() == [
        "True",
        "False",
    ]  # the used one kept, the other stand-in gone
