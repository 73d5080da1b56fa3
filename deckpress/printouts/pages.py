"""Page-level reuse for the cheat sheets: after an edit, only the pages it touches
are laid out again.

A cheat sheet in the built-in templates is a title, then a flow of *parts* — topic
headings (``h2.topic-title``) and video blocks (``section.video``) that never split
— set in columns page after page. Each page of a laid-out sheet is therefore a
range of parts, and it can be laid out on its own: a *page document* is the sheet's
HTML with only that range in the flow, followed by the part that opened the next
page (it must again not fit), with the running header's topic and the page number
("page k / P") the whole sheet gives that page. Laid out alone, a page gives the
same boxes, and its PDF the same bytes, as the same page of the whole sheet.

Every sheet is therefore written page by page: each page's PDF (written from the
whole layout in a cold build) is kept in ``dist/.deckpress/pages/`` under the hash
of its page document, and the sheet is their join (:func:`join`; the bookmarks are
rebuilt as WeasyPrint builds them). The next build lays out only the pages whose
page document changed, checks that each still holds the same range of parts, and
reuses the others; anything else (another page count, a changed type size, a
page that no longer breaks where it did, user templates) lays the whole sheet out
again. A cold build, an incremental build and ``watch`` give the same bytes.
"""

from __future__ import annotations

import hashlib
import html as html_lib
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..build.incremental import STATE_DIR, fingerprint
from ..build.output import write_bytes, write_text

FOLDER = "pages"
"""Below ``dist/.deckpress/``: one PDF per page, one plan (JSON) per sheet."""
PAGE_SUFFIX = ".pdfpage"
"""A kept page is a one-page PDF, named so that ``find dist -name '*.pdf'`` (say, to
print everything) does not pick it up."""
_FLOW = '<div class="flow">\n'
_PART = re.compile(r'(?=^<h2 class="topic-title">|^<section class="video" )', re.M)
_RUNNING = re.compile(r'<div class="running" [^>]*?data-topic="([^"]*)"[^>]*></div>\n')
_TOPIC = re.compile(r'<h2 class="topic-title">(.*?)</h2>', re.S)
PAGE_NUMBER_CSS = '@page {{ @bottom-right {{ content: "page {k} / {total}" !important; }} }}'
"""The page number the whole sheet gives page ``k`` (print.css: "page N / M")."""


@dataclass(frozen=True)
class Flow:
    """A sheet's HTML cut into what is around the flow and the flow's parts."""

    head: str
    """Up to the running-header element (included)."""
    first_page: str
    """Between it and the flow: what only the first page shows (title, front matter)."""
    parts: tuple[str, ...]
    """The flow's children, each a topic heading or a video block, in order."""
    tail: str
    """From the flow's end."""
    topic: str
    """The running header's first topic, as the template wrote it (escaped)."""

    @classmethod
    def parse(cls, html: str) -> Flow | None:
        """Cut ``html`` (a built-in cheat-sheet template's); None if it is not shaped so."""
        running = _RUNNING.search(html)
        start = html.find(_FLOW)
        body_end = html.rfind("</body>")
        end = html.rfind("</div>", 0, body_end)
        if running is None or start < running.end() or end < start:
            return None
        inner = html[start + len(_FLOW) : end]
        pieces = _PART.split(inner)
        if pieces[0].strip() or len(pieces) < 2:
            return None
        return cls(
            head=html[: running.end()],
            first_page=html[running.end() : start],
            parts=tuple(pieces[1:]),
            tail=html[end:],
            topic=running.group(1),
        )

    def page(self, k: int, a: int, b: int, total: int) -> tuple[str, str]:
        """The page document of page ``k`` of ``total`` holding parts ``a:b`` (HTML, CSS)."""
        head = self.head
        if k > 1:
            shown = self._topic_shown(a)
            head = _RUNNING.sub(lambda m: m.group(0).replace(m.group(1), shown, 1), head, 1)
        body = "".join(self.parts[a : b + 1])  # the part that opened the next page too
        html = head + (self.first_page if k == 1 else "") + _FLOW + body + self.tail
        return html, PAGE_NUMBER_CSS.format(k=k, total=total)

    def frame(self, settings: str) -> str:
        """Hash of what every page document has around its parts (page size, styles,
        running header, course title) and of the sheet's ``settings``."""
        return fingerprint(settings, self.head, self.tail)

    def _topic_shown(self, a: int) -> str:
        """The topic the running header names on a page starting with part ``a``: a
        heading at the page's top, else the last one before it (``string(topic, start)``)."""
        for part in reversed(self.parts[: a + 1]):
            heading = _TOPIC.match(part)
            if heading:
                text = html_lib.unescape(re.sub(r"<[^>]+>", "", heading.group(1)))
                return html_lib.escape(" ".join(text.split()), quote=True)
        return self.topic


def ranges(flow: Flow, document: Any) -> list[tuple[int, int]] | None:
    """The parts each page of a laid-out sheet holds, as ``(first, end)`` ranges;
    None when a part is split across pages (or the layout does not match ``flow``)."""
    from .pdf import flow_parts

    found: list[tuple[int, int]] = []
    for page in document.pages:
        count, numbers = flow_parts(page._page_box)
        if count != len(flow.parts) or not numbers:
            return None
        first, last = numbers[0], numbers[-1]
        if numbers != list(range(first, last + 1)):
            return None
        if first != (found[-1][1] if found else 0):  # a part on two pages, or one lost
            return None
        found.append((first, last + 1))
    if not found or found[-1][1] != len(flow.parts):
        return None
    return found


def holds(span: tuple[int, int], n_parts: int, document: Any) -> bool:
    """A page document laid out as expected: its first page holds exactly its parts and
    the next page's opening part did not fit (it starts the second page)."""
    from .pdf import flow_parts

    a, b = span
    pages = document.pages
    expected = b - a + (1 if b < n_parts else 0)
    if not pages:
        return False
    count, first = flow_parts(pages[0]._page_box)
    if count != expected or first != list(range(b - a)):
        return False
    if b == n_parts:
        return len(pages) == 1
    if len(pages) < 2:
        return False
    _, second = flow_parts(pages[1]._page_box)
    return bool(second) and second[0] == b - a


@dataclass(frozen=True)
class Page:
    """One page of a sheet, as kept between builds."""

    key: str
    """Hash of its page document and everything else its bytes depend on."""
    fill: float
    height: float
    """Page height in CSS px (for the bookmarks' coordinates)."""
    bookmarks: tuple[tuple[int, str, tuple[float, float], str], ...]
    """WeasyPrint's ``Page.bookmarks``: (level, label, (x, y) in px, state)."""
    sha: str
    """Hash of the page's PDF (a kept file that changed since is not used)."""

    @classmethod
    def of(cls, key: str, fill: float, height: float, marks: Any, pdf: bytes) -> Page:
        return cls(key, fill, height, _marks(marks), _sha(pdf))

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "fill": self.fill,
            "height": self.height,
            "bookmarks": [
                [lvl, label, list(xy), state] for lvl, label, xy, state in self.bookmarks
            ],
            "sha": self.sha,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Page:
        return cls(
            str(data["key"]),
            float(data["fill"]),
            float(data["height"]),
            _marks(data["bookmarks"]),
            str(data["sha"]),
        )


@dataclass(frozen=True)
class Plan:
    """How a sheet was cut into pages in its last build."""

    frame: str
    """Hash of what surrounds the parts on every page (see :meth:`Flow.frame`): when it
    changes, every page changes and the sheet is laid out whole at once."""
    font_pt: float
    parts: int
    """How many parts the flow had."""
    ranges: tuple[tuple[int, int], ...]
    pages: tuple[Page, ...]

    def as_json(self) -> str:
        data = {
            "frame": self.frame,
            "font_pt": self.font_pt,
            "parts": self.parts,
            "ranges": [list(r) for r in self.ranges],
            "pages": [page.as_json() for page in self.pages],
        }
        return json.dumps(data, indent=1, sort_keys=True) + "\n"

    @classmethod
    def read(cls, path: Path) -> Plan | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(
                str(data["frame"]),
                float(data["font_pt"]),
                int(data["parts"]),
                tuple((int(a), int(b)) for a, b in data["ranges"]),
                tuple(Page.from_json(p) for p in data["pages"]),
            )
        except (OSError, ValueError, TypeError, KeyError, IndexError):
            return None


@dataclass(frozen=True)
class Store:
    """Where a sheet's pages are kept between builds."""

    folder: Path
    name: str
    """The sheet's file stem (``cheatsheet``)."""

    @classmethod
    def of(cls, out: Path, sheet_path: Path) -> Store:
        """The store of the sheet ``sheet_path`` built into ``out`` (an absolute path: the
        worker processes that write pages may have another working directory)."""
        return cls(out.absolute() / STATE_DIR / FOLDER, sheet_path.stem)

    @property
    def plan_path(self) -> Path:
        return self.folder / f"{self.name}.json"

    def page_path(self, key: str) -> Path:
        return self.folder / f"{self.name}.{key}{PAGE_SUFFIX}"

    def plan(self) -> Plan | None:
        return Plan.read(self.plan_path)

    def save(self, plan: Plan | None) -> None:
        """Record ``plan`` (after the sheet is written) and delete pages it does not use."""
        if plan is None:
            self.plan_path.unlink(missing_ok=True)
        else:
            write_text(self.plan_path, plan.as_json())
        keep = {self.page_path(p.key).name for p in plan.pages} if plan else set()
        for path in self.folder.glob(f"{self.name}.*{PAGE_SUFFIX}"):
            if path.name not in keep:
                path.unlink(missing_ok=True)

    def keep_page(self, key: str, pdf: bytes) -> None:
        write_bytes(self.page_path(key), pdf)

    def kept_page(self, page: Page) -> bytes | None:
        """The PDF of ``page`` as kept, or None if it is missing or not what was kept."""
        try:
            data = self.page_path(page.key).read_bytes()
        except OSError:
            return None
        return data if _sha(data) == page.sha else None


def _marks(marks: Any) -> tuple[tuple[int, str, tuple[float, float], str], ...]:
    return tuple((int(m[0]), str(m[1]), (float(m[2][0]), float(m[2][1])), str(m[3])) for m in marks)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


def page_key(sheet_key: str, font_pt: float, html: str, css: str) -> str:
    return fingerprint(sheet_key, font_pt, html, css)


def join(pdfs: list[bytes], pages: list[Page]) -> bytes:
    """The sheet: its page PDFs in order, with the bookmarks of every page in one
    outline, nested as WeasyPrint nests them (same inputs, same bytes)."""
    from types import SimpleNamespace

    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import Fit
    from weasyprint.anchors import make_page_bookmark_tree
    from weasyprint.matrix import Matrix

    writer = PdfWriter()
    for data in pdfs:
        writer.append(io.BytesIO(data), import_outline=False)
    tree: list[Any] = []
    skipped: list[int] = []
    last_by_depth = [tree]
    previous = 0
    scale = 0.75  # CSS px -> PDF pt, as WeasyPrint writes
    for number, page in enumerate(pages):
        fake = SimpleNamespace(bookmarks=page.bookmarks, height=page.height)
        matrix = Matrix(a=scale, d=-scale, f=page.height * scale)
        previous = make_page_bookmark_tree(fake, skipped, last_by_depth, previous, number, matrix)

    def add(subtrees: list[Any], parent: Any) -> None:
        for label, (number, x, y), children, state in subtrees:
            item = writer.add_outline_item(
                title=label,
                page_number=number,
                parent=parent,
                fit=Fit.xyz(x, y, 0),
                is_open=state != "closed",
            )
            add(children, item)

    add(tree, None)
    title = PdfReader(io.BytesIO(pdfs[0])).metadata.title if pdfs else None
    if title:
        writer.add_metadata({"/Title": title})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
