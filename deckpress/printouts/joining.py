"""PDFs joined into one, page after page: a cheat sheet from its pages (see
:mod:`.pages`), ``handouts.pdf`` from the handouts.

With pikepdf (qpdf, pinned: the bytes depend on its version): joining the 15
handouts of the real notes takes about 12 ms, where pypdf took 50-70 ms, and every
edit joins ``handouts.pdf`` and each changed cheat sheet at the end of its build.

A joined PDF keeps every page as it was (contents, fonts, annotations), the
named destinations of every part (the first part's, for a name two parts use),
the first part's language and document information (``title`` replaces the
title), and an outline: ``outline`` when given (subtrees as
:func:`deckpress.printouts.pdf.bookmark_tree` makes them), else every part's own,
one after another. Same inputs, same bytes (the file identifier is a hash of the
content).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any


def join(parts: Sequence[bytes], *, outline: list[Any] | None = None, title: str = "") -> bytes:
    """``parts`` (PDF files' bytes) as one PDF (see the module docstring)."""
    import pikepdf

    pdf = pikepdf.Pdf.new()
    sources = [pikepdf.Pdf.open(io.BytesIO(data)) for data in parts]
    try:
        moved = []  # per part: its pages (by object number) -> the joined PDF's
        for source in sources:
            first = len(pdf.pages)
            pdf.pages.extend(source.pages)
            moved.append(
                {page.obj.objgen: pdf.pages[first + i].obj for i, page in enumerate(source.pages)}
            )
        _destinations(pdf, sources, moved)
        with pdf.open_outline() as tree:
            if outline is not None:
                tree.root.extend(_built(pdf, outline))
            else:
                for source, pages in zip(sources, moved, strict=True):
                    with source.open_outline() as theirs:
                        tree.root.extend(_copied(theirs.root, pages))
        if sources:
            _document_information(pdf, sources[0], title)
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True)
        return out.getvalue()
    finally:
        for source in sources:
            source.close()
        pdf.close()


def _destinations(pdf: Any, sources: list[Any], moved: list[dict[Any, Any]]) -> None:
    """Every part's named destinations, pointing at the joined PDF's pages."""
    import pikepdf

    found: dict[str, Any] = {}
    for source, pages in zip(sources, moved, strict=True):
        names = source.Root.get("/Names")
        if names is None or "/Dests" not in names:
            continue
        for name, destination in pikepdf.NameTree(names.Dests).items():
            found.setdefault(name, _moved(destination, pages))
    if found:
        tree = pikepdf.NameTree.new(pdf)
        for name, destination in found.items():
            tree[name] = destination
        pdf.Root.Names = pikepdf.Dictionary(Dests=tree.obj)


def _moved(destination: Any, moved: dict[tuple[int, int], Any]) -> Any:
    """An explicit destination (``[page /XYZ left top zoom]``) on the joined PDF's page;
    anything else (a name) as it is."""
    import pikepdf

    if isinstance(destination, pikepdf.Array) and len(destination) and destination[0].is_indirect:
        page = moved.get(destination[0].objgen)
        if page is not None:
            return pikepdf.Array([page, *(_scalar(v) for v in list(destination)[1:])])
    return _scalar(destination)


def _scalar(value: Any) -> Any:
    """A name, number or string of another PDF, as an object of any PDF."""
    import pikepdf

    if isinstance(value, pikepdf.Name):
        return pikepdf.Name(str(value))
    if isinstance(value, pikepdf.String):
        return pikepdf.String(bytes(value))
    return value


def _built(pdf: Any, subtrees: list[Any]) -> list[Any]:
    """Outline items from ``(label, (page index, x, y), children, state)`` subtrees."""
    import pikepdf

    items = []
    for label, (number, x, y), children, state in subtrees:
        target = pikepdf.Array([pdf.pages[number].obj, pikepdf.Name.XYZ, x, y, 0])
        item = pikepdf.OutlineItem(label, destination=target)
        item.is_closed = state == "closed"
        item.children.extend(_built(pdf, children))
        items.append(item)
    return items


def _copied(items: list[Any], moved: dict[tuple[int, int], Any]) -> list[Any]:
    """A part's outline items, pointing at the joined PDF's pages."""
    import pikepdf

    copies = []
    for item in items:
        destination = _moved(item.destination, moved) if item.destination is not None else None
        copy = pikepdf.OutlineItem(item.title, destination=destination)
        copy.is_closed = item.is_closed
        copy.children.extend(_copied(item.children, moved))
        copies.append(copy)
    return copies


def _document_information(pdf: Any, first: Any, title: str) -> None:
    """The first part's title, producer... and language (``title`` replaces its title)."""
    for key, value in first.docinfo.items():
        pdf.docinfo[key] = _scalar(value)
    if title:
        pdf.docinfo["/Title"] = title
    if "/Lang" in first.Root:
        pdf.Root.Lang = _scalar(first.Root.Lang)
