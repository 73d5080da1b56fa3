"""Page-level reuse for the cheat sheets: after an edit, only the pages whose parts
changed are laid out again (usually the one page the edit is on).

A cheat sheet in the built-in templates is a title, then a flow of *parts* — topic
headings (``h2.topic-title``) and video blocks (``section.video``) that never split
— set in columns page after page. Each page of a laid-out sheet is therefore a
range of parts, and it can be laid out on its own: a *page document* is the sheet's
HTML with only that range in the flow, followed by what opened the next page (it
must again not fit: see :meth:`Flow.following`), with the running header's topic
and the page number ("page k / P") the whole sheet gives that page. Laid out
alone, a page gives the same boxes, and its PDF the same bytes, as the same page of
the whole sheet (tests/test_pages.py checks every page of the real notes and of a
course with tables, code, formulas, pictures and unusual topic titles).

A cheat sheet in the built-in templates whose units all stay whole is therefore
written page by page (one whose units continue across columns, or made with the
user's own print templates, is written in one piece): each page's PDF (written from
the whole layout in a cold build) is kept in ``dist/.deckpress/pages/`` under the hash
of its page document, and the sheet is their join (:func:`join`; the bookmarks are
rebuilt as WeasyPrint builds them). The next build lays out only the pages whose
page document changed, checks that each still holds the same range of parts, and
reuses the others. It lays the whole sheet out at once when what surrounds the
parts on every page changed (:meth:`Flow.frame`: styles, paper, course title), when
the number of parts changed, and when the last build's type was above the floor (a
whole layout might choose another size); and after checking the pages when one
breaks elsewhere now, the page count would change, or the fills would make a whole
layout choose otherwise (a page but the last under 35 % full, the last under the
sheet's ``enough``); an edit that changes every page's parts (the
answers' setting, say) costs up to about twice a whole layout. A cold build, an
incremental build and ``watch`` give the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..build.incremental import STATE_DIR, fingerprint
from ..build.output import write_bytes, write_text

log = logging.getLogger(__name__)
_warned: set[Path] = set()

FOLDER = "pages"
"""Below ``dist/.deckpress/``: one PDF per page, one plan (JSON) per sheet."""
PAGE_SUFFIX = ".pdfpage"
"""A kept page is a one-page PDF, named so that ``find dist -name '*.pdf'`` (say, to
print everything) does not pick it up."""
_FLOW = '<div class="flow">\n'
_PART = re.compile(r'(?=^<h2 class="topic-title">|^<section class="video" )', re.M)
_RUNNING = re.compile(r'<div class="running" [^>]*></div>\n')
_TOPIC = re.compile(r'<h2 class="topic-title">(.*?)</h2>', re.S)
_SHOWN = (
    '<div class="topic-title" style="height: 0; margin: 0; padding: 0; '
    'visibility: hidden">{heading}</div>\n'
)
"""Sets the running header's topic as the heading would (same class, same markup), and
shows nothing: no height, nothing drawn."""
PAGE_NUMBER_CSS = '@page {{ @bottom-right {{ content: "page {k} / {total}" !important; }} }}'
"""The page number the whole sheet gives page ``k`` (print.css: "page N / M")."""


@dataclass(frozen=True)
class Flow:
    """A sheet's HTML cut into what is around the flow and the flow's parts."""

    head: str
    """Up to the body's opening tag (included)."""
    running: str
    """The running-header element (it sets the named strings ``course`` and ``topic``)."""
    first_page: str
    """Between it and the flow: what only the first page shows (title, front matter)."""
    parts: tuple[str, ...]
    """The flow's children, each a topic heading or a video block, in order."""
    tail: str
    """From the flow's end."""

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
            head=html[: running.start()],
            running=html[running.start() : running.end()],
            first_page=html[running.end() : start],
            parts=tuple(pieces[1:]),
            tail=html[end:],
        )

    def page(self, k: int, a: int, b: int, total: int) -> tuple[str, str]:
        """The page document of page ``k`` of ``total`` holding parts ``a:b`` (HTML, CSS).

        After the parts come those that opened the next page (:meth:`following`): they
        must again not fit. On a page after the first, the running header's topic is set
        first by a hidden copy of the topic heading the whole sheet's header shows there
        (``string(topic, start)``: the heading at the page's top, else the last one
        before it), so that WeasyPrint takes the string from the same markup."""
        shown = ""
        if k > 1:
            heading = self._heading_shown(a)
            if heading is not None:
                shown = _SHOWN.format(heading=heading)
        body = "".join(self.parts[a : b + self.following(b)])
        first = self.first_page if k == 1 else ""
        html = self.head + shown + self.running + first + _FLOW + body + self.tail
        return html, PAGE_NUMBER_CSS.format(k=k, total=total)

    def following(self, b: int) -> int:
        """How many parts from ``b`` on a page document carries after its own: the part
        that opened the next page, with the block after it when it is a topic heading
        (a heading travels with the block after it)."""
        if b >= len(self.parts):
            return 0
        if _TOPIC.match(self.parts[b]) and b + 1 < len(self.parts):
            return 2
        return 1

    def document(
        self, k: int, span: tuple[int, int], total: int, settings: str, font_pt: float
    ) -> tuple[str, str, str]:
        """:meth:`page`'s HTML and CSS, and the key a page laid out from them is kept
        under (with the sheet's ``settings`` and type size)."""
        html, css = self.page(k, *span, total)
        return fingerprint(settings, font_pt, html, css), html, css

    def frame(self, settings: str) -> str:
        """Hash of what every page document has around its parts (page size, styles,
        running header, course title) and of the sheet's ``settings``."""
        return fingerprint(settings, self.head, self.tail)

    def _heading_shown(self, a: int) -> str | None:
        """The content of the topic heading whose title the running header shows on a
        page starting with part ``a``; None when no heading comes before it."""
        for part in reversed(self.parts[: a + 1]):
            heading = _TOPIC.match(part)
            if heading:
                return heading.group(1)
        return None


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


def holds(flow: Flow, span: tuple[int, int], document: Any) -> bool:
    """A page document (see :meth:`Flow.page`) laid out as expected: its first page
    holds exactly its parts, and what opened the next page again did not fit (it starts
    the second page)."""
    from .pdf import flow_parts

    a, b = span
    pages = document.pages
    if not pages:
        return False
    count, first = flow_parts(pages[0]._page_box)
    if count != b - a + flow.following(b) or first != list(range(b - a)):
        return False
    if b == len(flow.parts):
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
        """The plan kept at ``path``; None when there is none, or it does not make sense
        (the sheet is then laid out whole)."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            plan = cls(
                str(data["frame"]),
                float(data["font_pt"]),
                int(data["parts"]),
                tuple((int(a), int(b)) for a, b in data["ranges"]),
                tuple(Page.from_json(p) for p in data["pages"]),
            )
        except (OSError, ValueError, TypeError, KeyError, IndexError):
            return None
        return plan if plan.consistent() else None

    def consistent(self) -> bool:
        """Ranges that cover the parts in order, one page each, bookmarks of level 1+."""
        ends = [0, *(b for _, b in self.ranges)]
        return (
            len(self.ranges) == len(self.pages) > 0
            and all(a == ends[i] and a < b for i, (a, b) in enumerate(self.ranges))
            and ends[-1] == self.parts
            and all(mark[0] >= 1 for page in self.pages for mark in page.bookmarks)
        )


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
        """Record ``plan`` (after the sheet is written) and delete pages it does not use.

        The store is a cache: when it cannot be written (a read-only folder), the next
        edit lays the sheet out whole, and the build goes on."""
        keep = {self.page_path(p.key).name for p in plan.pages} if plan else set()
        try:
            if plan is None:
                self.plan_path.unlink(missing_ok=True)
            else:
                write_text(self.plan_path, plan.as_json())
            for path in self.folder.glob(f"{self.name}.*{PAGE_SUFFIX}"):
                if path.name not in keep:
                    path.unlink(missing_ok=True)
        except OSError as error:
            _cannot_keep(self.folder, error)

    def keep(self, key: str, pdf: bytes, fill: float, bookmarks: tuple[float, Any]) -> Page:
        """Keep a page's PDF (``bookmarks``: its height and marks, as
        :func:`deckpress.printouts.pdf.bookmarks` gives them); the page's record."""
        try:
            write_bytes(self.page_path(key), pdf)
        except OSError as error:
            _cannot_keep(self.folder, error)
        height, marks = bookmarks
        return Page(key, fill, height, _marks(marks), _sha(pdf))

    def kept_page(self, page: Page) -> bytes | None:
        """The PDF of ``page`` as kept, or None if it is missing or not what was kept."""
        try:
            data = self.page_path(page.key).read_bytes()
        except OSError:
            return None
        return data if _sha(data) == page.sha else None


def _cannot_keep(folder: Path, error: OSError) -> None:
    if folder in _warned:
        return
    _warned.add(folder)
    log.warning(
        "%s: cannot keep the cheat sheets' pages (%s); the build goes on, and the next "
        "edit lays each cheat sheet out whole",
        folder,
        error.strerror or error,
    )


def _marks(marks: Any) -> tuple[tuple[int, str, tuple[float, float], str], ...]:
    return tuple((int(m[0]), str(m[1]), (float(m[2][0]), float(m[2][1])), str(m[3])) for m in marks)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


def join(pdfs: list[bytes], pages: list[Page]) -> bytes:
    """The sheet: its page PDFs in order, with the bookmarks of every page in one
    outline, nested as WeasyPrint nests them (same inputs, same bytes)."""
    from .joining import join as join_pdfs
    from .pdf import bookmark_tree

    return join_pdfs(pdfs, outline=bookmark_tree((page.height, page.bookmarks) for page in pages))
