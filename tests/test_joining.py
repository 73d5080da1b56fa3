"""PDFs joined into one (deckpress.printouts.joining): pages in order, and every outline
entry and named destination still on the page it was on."""

from __future__ import annotations

import io

from pypdf import PdfReader

from deckpress.printouts import joining, pdf

pdf.load()


def part(n: int, pages: int = 2, anchor: str = "") -> bytes:
    """A small PDF: ``pages`` pages, each with a heading (outline entry) and an id."""
    body = "".join(
        f"<h1 id='{anchor or 'p'}{n}-{k}'>Part {n} page {k}</h1>"
        f"<h2>Section {n}.{k}</h2><p>text {n}.{k}</p>"
        + ("<p style='break-after: page'></p>" if k < pages else "")
        for k in range(1, pages + 1)
    )
    html = (
        f"<html lang='en'><head><title>Part {n}</title><style>@page {{ size: A6 }}</style>"
        f"</head><body>{body}</body></html>"
    )
    return pdf.write_pdf([pdf.Typesetter(html)(10)])


def outline(reader: PdfReader) -> list[tuple[int, str, int]]:
    found: list[tuple[int, str, int]] = []

    def walk(items, level):
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
            else:
                found.append((reader.get_destination_page_number(item), item.title, level))

    walk(reader.outline, 0)
    return found


def test_pages_outlines_and_destinations_follow_their_part():
    parts = [part(1), part(2, pages=1), part(3)]
    joined = joining.join(parts, title="All parts")
    reader = PdfReader(io.BytesIO(joined))
    assert [page.extract_text().split("\n")[0] for page in reader.pages] == [
        "Part 1 page 1", "Part 1 page 2", "Part 2 page 1", "Part 3 page 1", "Part 3 page 2"
    ]  # fmt: skip
    assert outline(reader) == [
        (0, "Part 1 page 1", 0), (0, "Section 1.1", 1),
        (1, "Part 1 page 2", 0), (1, "Section 1.2", 1),
        (2, "Part 2 page 1", 0), (2, "Section 2.1", 1),
        (3, "Part 3 page 1", 0), (3, "Section 3.1", 1),
        (4, "Part 3 page 2", 0), (4, "Section 3.2", 1),
    ]  # fmt: skip
    destinations = {
        name: reader.get_destination_page_number(d) for name, d in reader.named_destinations.items()
    }
    assert destinations == {"p1-1": 0, "p1-2": 1, "p2-1": 2, "p3-1": 3, "p3-2": 4}
    assert reader.metadata["/Title"] == "All parts"
    assert reader.metadata["/Producer"].startswith("WeasyPrint")
    assert reader.trailer["/Root"]["/Lang"] == "en"
    assert joining.join(parts, title="All parts") == joined  # same inputs, same bytes


def test_a_name_two_parts_use_is_the_first_parts():
    joined = joining.join([part(1, pages=1, anchor="same"), part(1, pages=1, anchor="same")])
    reader = PdfReader(io.BytesIO(joined))
    (name, destination), *others = reader.named_destinations.items()
    assert not others and name == "same1-1"
    assert reader.get_destination_page_number(destination) == 0
    assert reader.metadata["/Title"] == "Part 1"  # the first part's, when none is given


def test_a_given_outline_replaces_the_parts_own():
    tree = [
        ("Top", (0, 10.0, 200.0), [("Inner", (1, 12.5, 100.0), [], "open")], "closed"),
        ("Last", (1, 10.0, 50.0), [], "open"),
    ]
    joined = joining.join([part(1), part(2, pages=1)], outline=tree)
    reader = PdfReader(io.BytesIO(joined))
    assert outline(reader) == [(0, "Top", 0), (1, "Inner", 1), (1, "Last", 0)]
    top = reader.outline[0]
    assert (float(top.left), float(top.top)) == (10.0, 200.0)
    assert top["/Count"] < 0  # closed: its entry is folded
