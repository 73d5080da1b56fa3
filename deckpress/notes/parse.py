"""Notes markdown -> :class:`~deckpress.notes.model.Notes`, from markdown-it-py's token stream.

The parser reads notes as people write them (the rules are listed in
``README.md``, "Writing notes"):

* **units** are headings with a unit word and a number at any level
  (``## Lecture 3: …``, ``# 📘 Day 5 - …``), else numbered headings
  (``## 12. …``), else every heading of one level (``units: {heading: 2}``);
* **sections** are labels on a line of their own, plain, bold or as a heading
  ("What to remember", "TL;DR:", "Interview Questions", or ``labels:``);
* **key points** are the top-level list items of a key-points section;
* **questions** start at a labelled line (``**Q1. …**``, ``**Q:**``,
  ``Question:``), a question heading, a bold numbered list item, or — where the
  notes label no question — a bold line ending in ``?``; the answer is what
  follows, up to the next question, label, separator or unit;
* everything else in a unit is its **context**, and before the first unit of a
  file its **front matter**. Every non-blank line lands in one of these, or in
  a warning with its ``file:line``.

Classification uses tokens; field text is sliced from the source lines the
tokens point at (``token.map``), so every field is the user's markdown verbatim.
This module knows nothing of Anki or PDF.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.front_matter import front_matter_plugin

from ..errors import Diagnostic
from .config import NotesSyntax
from .media import resolve_image
from .model import Block, KeyPoint, Location, Notes, Question, Unit
from .syntax import (
    QuestionLine,
    Recogniser,
    bold_question,
    heading_question,
    question_line,
    strip_answer_label,
)

_MARKER_SRC = re.compile(r"^\s*(?:[-+*]|\d{1,9}[.)])(?:[ \t]+|$)")
# Raw HTML that only wraps or spaces content: labels and separators, never content.
_DETAILS_CLOSE = re.compile(r"^\s*</details>\s*$", re.IGNORECASE)
_EMPTY_HTML = re.compile(
    r"^\s*(?:<(?:div|span|p|br|hr)\b[^>]*/?>\s*(?:</(?:div|span|p)>)?\s*)+$", re.IGNORECASE
)
_WIKI_EMBED = re.compile(r"!\[\[([^\]\n]+)\]\]")
_INLINE_LABEL = re.compile(r"^\s*(\*\*|__)(?P<label>[^*_\n]+?)\1\s*:?\s*\S")
_CALLOUT = re.compile(r"^\s*\[!(?:question|faq|help|quiz)\][-+]?\s*(?P<title>.*)$", re.IGNORECASE)


def _closes(token: Token, body: list[str]) -> bool:
    """Whether a fence's lines after its opening end with a closing fence."""
    last = next((line for line in reversed(body) if line.strip()), "").strip()
    return len(last) >= len(token.markup) and set(last) == {token.markup[0]}


_COMMENT = re.compile(r"\s*<!--.*?-->\s*", re.DOTALL)
_ANSWER_SUMMARY = re.compile(
    r"^\W*(?:click\s+(?:here\s+)?to\s+)?(?:show|reveal|see|view|open|toggle|expand)?\s*(?:the\s+)?"
    r"(?:answers?|ans|a|solutions?|réponses?|antwort|lösung|respuesta|solución|resposta|ответ|答案)?"
    r"\W*$",
    re.IGNORECASE,
)
_DETAILS_PARTS = re.compile(
    r"^\s*<details\b[^>]*>\s*(?:<summary\b[^>]*>(?P<summary>.*?)</summary>)?"
    r"(?P<inner>.*?)(?P<close></details>\s*)?$",
    re.IGNORECASE | re.DOTALL,
)
_SUMMARY_ONLY = re.compile(
    r"^\s*<summary\b[^>]*>(?P<summary>.*?)</summary>(?P<inner>.*?)(?P<close></details>\s*)?$",
    re.IGNORECASE | re.DOTALL,
)


@dataclass(frozen=True)
class _Details:
    summary: str
    """The summary's HTML, ``""`` when there is none."""
    inner: str | None
    """What the block holds after the summary when it also closes, else ``None``."""


def _details(text: str) -> _Details | None:
    """``<details>``/``<summary>`` opening an HTML block, split into its parts."""
    m = _DETAILS_PARTS.match(text) or _SUMMARY_ONLY.match(text)
    if m is None:
        return None
    inner = m.group("inner")
    if m.group("close") is None:
        if inner.strip():
            return None  # HTML that only starts with <details>: not ours to read
        return _Details((m.group("summary") or "").strip(), None)
    return _Details((m.group("summary") or "").strip(), inner)


def _plain_html(fragment: str) -> str:
    return re.sub(r"<[^>]+>", "", fragment).strip()


_IMAGE_SRC = re.compile(r"!\[[^\]\n]*\]\(\s*(<[^>\n]*>|[^)\n]*?)(?:\s+\"[^\"\n]*\")?\s*\)")

# Markdown-it with the syntax people use in notes: math (so `$a*b*c$` is not
# emphasis), footnotes (kept in place: their definition is unit context) and tables.
_md = (
    MarkdownIt("commonmark")
    .use(dollarmath_plugin)
    .use(footnote_plugin)
    .use(front_matter_plugin)
    .enable("table")
    .disable("footnote_tail")
)


@dataclass
class Coverage:
    """What became of every non-blank line of the notes (``deckpress check``)."""

    cards: int = 0
    """Lines read into unit titles, key points, questions and answers."""
    context: int = 0
    """Lines kept as unit context or front matter (shown, but asked on no card)."""
    markup: int = 0
    """Section labels and separators: structure, not content."""
    ignored: int = 0
    """Lines in none of these; each one is also a warning."""


@dataclass
class ParseResult:
    """What :func:`parse_source` found: the notes plus every diagnostic."""

    notes: Notes
    """The units and front matter read."""
    errors: list[Diagnostic] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    coverage: Coverage = field(default_factory=Coverage)
    images: list[tuple[Location, str]] = field(default_factory=list)
    """``(where, src)`` of every local image reference, as written."""

    @property
    def units(self) -> tuple[Unit, ...]:
        return self.notes.units

    videos = units


def notes_files(source: Path) -> list[Path]:
    """The ``*.md`` files under ``source`` in a stable, natural order (part2 before part10);
    a sub-folder with a ``course.yaml`` of its own is another course and is left out."""

    def key(path: Path) -> list[object]:
        rel = path.relative_to(source).as_posix().lower()
        return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", rel)]

    def own_course(path: Path) -> bool:
        """Inside a sub-folder that has its own ``course.yaml``: another course."""
        return any(
            (folder / "course.yaml").is_file()
            for folder in path.parents
            if folder != source and source in folder.parents
        )

    return sorted(
        (p for p in source.rglob("*.md") if p.is_file() and not own_course(p)), key=key
    )


def parse_source(
    source: Path, display: str | None = None, syntax: NotesSyntax | None = None
) -> ParseResult:
    """Parse every notes file in ``source``; never raises for bad content.

    ``display`` is how the folder is named in diagnostics (defaults to ``source``);
    ``syntax`` is what ``course.yaml`` says about how the notes are written.
    """
    shown = display if display is not None else str(source)
    files = notes_files(source) if source.is_dir() else []
    errors: list[Diagnostic] = []
    if not source.is_dir():
        errors.append(Diagnostic(shown, 0, "source folder not found"))
    elif not files:
        errors.append(Diagnostic(shown, 0, "no notes found: add markdown files (*.md) here"))
    texts: list[tuple[str, str]] = []
    for path in files:
        name = path.relative_to(source).as_posix()
        try:
            texts.append((name, decode(path.read_bytes())))
        except UnicodeDecodeError as exc:
            line = exc.object[: exc.start].count(b"\n") + 1
            where = f"{shown}/{name}" if shown else name
            errors.append(Diagnostic(where, line, "not valid UTF-8; save the file as UTF-8"))
    result = parse_texts(texts, syntax)
    result.errors = errors + [_relocate(d, shown) for d in result.errors]
    result.warnings = [_relocate(d, shown) for d in result.warnings]
    for loc, src in result.images:
        problem = resolve_image(source, loc.file, src)[1]
        if problem:
            result.errors.append(Diagnostic(f"{shown}/{loc.file}", loc.line, problem))
    if files and not result.notes.units and not result.errors:
        result.errors.append(
            Diagnostic(
                shown,
                0,
                "no units found in the notes; a unit starts with a heading like "
                "'## Lecture 1 — Title' (or set 'unit:' or 'units: {heading: 2}' in course.yaml)",
            )
        )
    return result


def parse_texts(texts: list[tuple[str, str]], syntax: NotesSyntax | None = None) -> ParseResult:
    """Parse decoded (LF) notes ``[(name, text)]`` in reading order; locations use ``name``."""
    rec = Recogniser(syntax)
    texts = [(name, text.replace("\r\n", "\n").replace("\r", "\n")) for name, text in texts]
    parsed = [(name, text, _md.parse(text)) for name, text in texts]
    mode = _unit_mode(rec, [(tokens, text) for _, text, tokens in parsed])
    units: list[Unit] = []
    front: list[Block] = []
    result = ParseResult(Notes(files=(), front_matter=(), units=()))
    for name, text, tokens in parsed:
        fp = _FileParser(text, name, rec, mode, start=len(units))
        fp.run(tokens)
        units.extend(fp.units)
        front.extend(fp.front)
        fp.count_coverage(result.coverage)
        result.errors.extend(fp.errors)
        result.warnings.extend(fp.warnings)
        result.images.extend((Location(name, line), src) for line, src in fp.images)
        if not fp.units and not any(d.file == name for d in fp.errors):
            result.warnings.append(
                Diagnostic(name, 0, f"no {mode.describe()} in this file: it is all front matter")
            )
    result.errors.extend(_check_numbers(units, mode))
    result.warnings.extend(_check_gaps(units, mode))
    result.notes = Notes(
        files=tuple(name for name, _ in texts), front_matter=tuple(front), units=tuple(units)
    )
    return result


def parse_text(text: str, name: str, syntax: NotesSyntax | None = None) -> ParseResult:
    """Parse one file's decoded (LF) text; ``name`` is used in locations."""
    return parse_texts([(name, text)], syntax)


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM) with CRLF/CR line ends normalised to LF."""
    text = data.decode("utf-8-sig")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _relocate(diag: Diagnostic, shown: str) -> Diagnostic:
    if not shown:
        return diag
    if diag.file == shown or diag.file.startswith(f"{shown}/"):
        return diag
    return Diagnostic(f"{shown}/{diag.file}", diag.line, diag.message)


# --------------------------------------------------------------------------
# Which headings are units (decided once for the whole course)


@dataclass(frozen=True)
class UnitMode:
    """How units are recognised in this course."""

    kind: str
    """``word`` (``Lecture 3``), ``numbered`` (``12. Title``), ``level`` or ``none``."""
    word: str | None = None
    """The unit word (``word`` mode), compared case-insensitively."""
    level: int | None = None
    """The heading level (``numbered`` and ``level`` modes)."""

    def describe(self) -> str:
        if self.kind == "word":
            return f"units ('{self.word} N — Title' headings)"
        if self.kind == "numbered":
            return f"units (level-{self.level} headings like '12. Title')"
        if self.kind == "level":
            return f"units (level-{self.level} headings)"
        return "units"


def _headings(tokens: list[Token]) -> Iterator[tuple[int, str]]:
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.level == 0:
            yield int(token.tag[1]), tokens[i + 1].content


def _unit_mode(rec: Recogniser, files: list[tuple[list[Token], str]]) -> UnitMode:
    headings = [h for tokens, _ in files for h in _headings(tokens)]
    if rec.unit_heading:
        return UnitMode("level", level=rec.unit_heading)
    words: Counter[str] = Counter()
    numbers: dict[str, list[int]] = {}
    for _, text in headings:
        unit = rec.word_unit(text)
        if unit and unit.word:
            words[unit.word.casefold()] += 1
            numbers.setdefault(unit.word.casefold(), []).append(unit.number or 0)
    if words:
        configured = rec.unit_words[0].casefold() if rec.unit_word_configured else None
        if configured and configured in words:
            word = configured
        else:
            # the most frequent word whose numbers do not repeat: "### Part 1" under every
            # "## Lecture N" numbers parts of a lecture, not units
            order = [w.casefold() for w in rec.unit_words]
            word = max(
                words,
                key=lambda w: (
                    len(set(numbers[w])) == len(numbers[w]),
                    words[w],
                    -order.index(w) if w in order else -99,
                ),
            )
        return UnitMode("word", word=word)
    numbered = Counter(level for level, text in headings if rec.numbered_unit(text))
    if numbered:
        level = max(numbered, key=lambda lv: (numbered[lv], -lv))
        return UnitMode("numbered", level=level)
    titles: dict[int, list[str]] = {}
    for level, text in headings:
        if not rec.section(text) and heading_question(text) is None:
            titles.setdefault(level, []).append(text.strip().casefold())
    # the most frequent level whose titles do not repeat ("### Intuition" under every unit
    # names a sub-section, not a unit); else the most frequent level
    distinct = {lv: len(t) for lv, t in titles.items() if len(t) >= 2 and len(set(t)) == len(t)}
    if distinct:
        return UnitMode("level", level=max(distinct, key=lambda lv: (distinct[lv], -lv)))
    several = {lv: len(t) for lv, t in titles.items() if len(t) >= 2} or {
        lv: len(t) for lv, t in titles.items()
    }
    if several:
        level = max(several, key=lambda lv: (several[lv], -lv))
        return UnitMode("level", level=level)
    return UnitMode("none")


def _check_numbers(units: list[Unit], mode: UnitMode) -> list[Diagnostic]:
    errors = []
    seen: dict[int, Unit] = {}
    for unit in units:
        first = seen.get(unit.number)
        if first is not None and unit.numbered:
            errors.append(
                Diagnostic(
                    unit.loc.file,
                    unit.loc.line,
                    f"duplicate {_word(unit)} number {unit.number} (also at {first.loc}); "
                    "renumber one of them",
                )
            )
        else:
            seen[unit.number] = unit
    return errors


def _check_gaps(units: list[Unit], mode: UnitMode) -> list[Diagnostic]:
    warnings = []
    numbers = sorted({u.number: u for u in units}.items())
    for (before, _), (after, unit) in itertools.pairwise(numbers):
        if after > before + 1:
            missing = f"{before + 1}" if after == before + 2 else f"{before + 1}–{after - 1}"
            warnings.append(
                Diagnostic(
                    unit.loc.file,
                    unit.loc.line,
                    f"{_word(unit)} numbering jumps from {before} to {after} (missing {missing})",
                )
            )
    return warnings


def _word(unit: Unit) -> str:
    return (unit.unit_word or "unit").lower()


# --------------------------------------------------------------------------
# One file


@dataclass
class _Text:
    """A growing slice of the source: ``head`` on line ``line``, then lines up to ``end``."""

    line: int  # 0-based line of head
    head: str
    end: int  # exclusive
    indent: int = 0  # container indentation removed from continuation lines

    def text(self, lines: list[str]) -> str:
        out = [self.head]
        for raw in lines[self.line + 1 : self.end]:
            spaces = len(raw) - len(raw.lstrip(" "))
            out.append(raw[min(self.indent, spaces) :])
        return _clean("\n".join(out))


def _clean(text: str) -> str:
    """Trailing whitespace off every line, blank lines off both ends."""
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


@dataclass
class _Question:
    label: str
    line: int  # 0-based line where the question starts
    prompt: _Text
    answer: _Text | None = None
    decoration: str = ""
    heading_level: int = 0  # a heading question: deeper headings belong to its answer
    details: str = ""  # "" | "open" (inside <details>) | "closed"
    closed: bool = False


@dataclass
class _Unit:
    number: int
    numbered: bool
    word: str | None
    title: str
    line: int
    level: int
    section: str = "context"  # context | points | questions
    points: list[KeyPoint] = field(default_factory=list)
    questions: list[_Question] = field(default_factory=list)
    context: list[_Text] = field(default_factory=list)


class _FileParser:
    def __init__(self, text: str, name: str, rec: Recogniser, mode: UnitMode, start: int):
        self.name = name
        self.lines = text.split("\n")
        self.rec = rec
        self.mode = mode
        self.ordinal = start  # units before this file
        self.units: list[Unit] = []
        self.front: list[Block] = []
        self.errors: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []
        self.images: list[tuple[int, str]] = []
        self.unit: _Unit | None = None
        self.front_texts: list[_Text] = []
        # line -> "cards" | "context" | "markup": what became of every line
        self.used: dict[int, str] = {}
        # Where questions carry labels, an unlabelled bold "…?" line is answer text.
        self.labelled = any(
            question_line(line) is not None for line in self.lines if line.lstrip()[:1] in "*_Q"
        )

    # -- diagnostics and bookkeeping -------------------------------------

    def error(self, line0: int, message: str) -> None:
        self.errors.append(Diagnostic(self.name, line0 + 1, message))

    def warn(self, line0: int, message: str) -> None:
        self.warnings.append(Diagnostic(self.name, line0 + 1, message))

    def mark(self, start: int, end: int, what: str) -> None:
        for line in range(start, end):
            self.used.setdefault(line, what)

    def count_coverage(self, coverage: Coverage) -> None:
        for number, line in enumerate(self.lines):
            if not line.strip():
                continue
            what = self.used.get(number)
            if what == "cards":
                coverage.cards += 1
            elif what == "context":
                coverage.context += 1
            elif what == "markup":
                coverage.markup += 1
            else:
                coverage.ignored += 1
                self.warn(number, f"line not used by any card or page: {line.strip()[:60]!r}")

    def loc(self, line0: int) -> Location:
        return Location(self.name, line0 + 1)

    # -- the main loop ---------------------------------------------------

    def run(self, tokens: list[Token], offset: int = 0, stop: int | None = None) -> None:
        """Read top-level ``tokens`` of lines ``[offset, stop)`` (the whole file by default)."""
        stop = len(self.lines) if stop is None else stop
        done = offset
        i = 0
        while i < len(tokens):
            token = tokens[i]
            j = _block_end(tokens, i)
            if token.map:
                start, end = token.map[0] + offset, token.map[1] + offset
                if start > done:
                    self.gap(done, start)
                done = max(done, end)
                self.block(tokens[i : j + 1], start, end, offset)
            i = j + 1
        if done < stop:
            self.gap(done, stop)
        if offset == 0:
            self.finish_unit()
            self.front.extend(Block(t.text(self.lines), self.loc(t.line)) for t in self.front_texts)
            self.images.extend(self.find_images())

    def gap(self, start: int, end: int) -> None:
        """Lines no block token covers: link reference definitions."""
        for line in range(start, end):
            if self.lines[line].strip():
                self.warn(
                    line,
                    "link reference definition kept with the text above it (a link "
                    "elsewhere in the notes cannot use it on cards)",
                )
                self.content(line, line + 1)

    def block(self, tokens: list[Token], start: int, end: int, offset: int) -> None:
        token = tokens[0]
        kind = token.type
        if kind == "heading_open":
            self.heading(token, tokens[1], start, end)
        elif kind == "paragraph_open":
            self.paragraph(tokens[1], start, end, offset)
        elif kind in ("bullet_list_open", "ordered_list_open"):
            self.listing(tokens, start, end, offset)
        elif kind == "hr":
            self.separator(start, end)
        elif kind == "html_block":
            self.html(token, start, end)
        elif kind == "footnote_reference_open":
            self.close_question()
            self.warn(start, "footnote definition kept as the unit's context")
            self.content(start, end, to="context")
        elif kind == "front_matter":  # YAML between --- lines at the top of a file
            self.content(start, end)
        elif kind == "blockquote_open" and self.quoted_question(start, end):
            return
        else:
            at_end = not any(line.strip() for line in self.lines[end:])
            if kind == "fence" and at_end and not _closes(token, self.lines[start + 1 : end]):
                self.warn(
                    start,
                    f"code block opened here never closes: everything after it, to the end "
                    f"of the file, is code; close it with {token.markup}",
                )
            self.content(start, end)

    # -- blocks ----------------------------------------------------------

    def heading(self, token: Token, inline: Token, start: int, end: int) -> None:
        level = int(token.tag[1])
        source = inline.content
        setext = token.markup in ("=", "-")
        fraction = self.rec.fractional_unit(source) if self.mode.kind == "word" else None
        if fraction and fraction.split()[0].casefold() == self.mode.word:
            self.error(
                start,
                f"'{fraction}' is not a whole number: units are numbered 1, 2, 3 …; renumber "
                "it (topics in course.yaml refer to these numbers)",
            )
        unit = self.unit_heading(level, source)
        if unit is not None:
            self.start_unit(unit, level, start)
            self.mark(start, end, "cards")
            return
        if setext:
            # "text\n---": the user meant a paragraph and a separator.
            self.paragraph(inline, start, end - 1, 0)
            self.separator(end - 1, end)
            return
        section = self.rec.section(source)
        if section and self.unit is not None:
            self.set_section(section)
            self.mark(start, end, "markup")
            return
        q = self.open_question
        if self.unit is not None:
            asked = heading_question(source)
            if asked is not None and (asked.label or level > self.unit.level):
                self.start_question(asked, start, end, heading_level=level)
                return
            if q is not None and q.heading_level and level > q.heading_level:
                self.content(start, end)  # a sub-heading inside a heading question's answer
                return
            if level < self.unit.level:
                self.warn(
                    start,
                    f"this heading ends {self.describe(self.unit)}: it and the text after it, "
                    "up to the next unit, are front matter",
                )
                self.finish_unit()
                self.content(start, end)
                return
            if level == self.unit.level and self.mode.kind != "level":
                self.warn(
                    start,
                    f"heading at the level of a unit heading without a unit number: kept in "
                    f"the context of {self.describe(self.unit)}",
                )
        self.close_question()
        if self.unit is not None:
            self.unit.section = "context"
        self.content(start, end)

    def unit_heading(self, level: int, source: str) -> _Unit | None:
        mode = self.mode
        if mode.kind == "word":
            found = self.rec.word_unit(source)
            if found and found.word and found.word.casefold() == mode.word:
                return _Unit(found.number or 0, True, found.word, found.title, 0, level)
        elif mode.kind == "numbered" and level == mode.level:
            found = self.rec.numbered_unit(source)
            if found:
                return _Unit(found.number or 0, True, None, found.title, 0, level)
        elif mode.kind == "level" and level == mode.level:
            if self.rec.section(source) is None and heading_question(source) is None:
                number = self.ordinal + len(self.units) + 1 + (self.unit is not None)
                return _Unit(number, False, None, source.strip(), 0, level)
        return None

    def paragraph(self, inline: Token, start: int, end: int, offset: int) -> None:
        run: list[int] = []  # consecutive content lines of this paragraph

        def flush() -> None:
            if run:
                self.content(run[0], run[-1] + 1)
                run.clear()

        for first, last, children in _line_groups(inline, self.lines, start, end):
            source = "\n".join(self.lines[first:last])
            section = self.rec.section(_plain(children))
            if section and self.unit is not None and last - first == 1:
                flush()
                self.set_section(section)
                self.mark(first, last, "markup")
                continue
            inline_label = _INLINE_LABEL.match(source)
            if (
                inline_label
                and self.unit is not None
                and self.rec.section(inline_label.group("label")) == "points"
            ):
                self.warn(
                    first,
                    "key-points label with text on the same line: the text is kept as "
                    "context; put it in a list ('- …') under the label to make it a key point",
                )
            following = self.lines[last] if last < end else ""
            asked = self.question_at(source, children, following, first)
            if asked is not None:
                flush()
                self.start_question(asked, first, last)
                continue
            q = self.open_question
            if q is not None and q.answer is not None and (bold_question(source) is not None):
                self.warn(
                    first,
                    f"bold line ending in '?' without a question label is kept as part of "
                    f"the answer to {q.label or 'the question'} above; write "
                    f"'**Q{len(self.unit.questions) + 1}. …?**' to make it a question",
                )
            run.extend(range(first, last))
        flush()

    def question_at(
        self, source: str, children: list[Token], following: str = "", line0: int = 0
    ) -> QuestionLine | None:
        """The question this paragraph line starts, or ``None`` (``following``: the next
        line of the paragraph, where a plain ``Q:`` needs its ``A:``)."""
        if self.unit is None:
            if question_line(source) is not None:
                self.warn(
                    line0,
                    "question before the first unit of this file: kept as front matter "
                    "(start the file with its unit heading to make it a card)",
                )
            return None
        in_questions = self.unit.section == "questions"
        asked = question_line(source, numbered_bold=in_questions, next_line=following)
        if asked is not None:
            return asked
        if in_questions and not self.labelled:
            return bold_question(source)
        return None

    def listing(self, tokens: list[Token], start: int, end: int, offset: int) -> None:
        """A list: key points, questions, an answer's list, or context — item by item where
        a labelled question (``- **Q:** …``) stands among other items."""
        unit = self.unit
        items = [(a + offset, b + offset) for a, b in _items(tokens)]
        if unit is None:
            self.content(start, end)
            return
        if unit.section == "questions" and self.is_question_list(items):
            for item in items:
                self.question_item(*item)
            return
        run: list[tuple[int, int]] = []  # items that are not questions, kept together
        for item in items:
            if self.is_question_list([item], anywhere=True):
                self.flush_items(run)
                self.question_item(*item)
            else:
                run.append(item)
        self.flush_items(run)

    def flush_items(self, run: list[tuple[int, int]]) -> None:
        unit = self.unit
        if not run or unit is None:
            return
        if unit.section == "points":
            for item_start, item_end in run:
                text = self.item_text(item_start, item_end)
                if text:
                    unit.points.append(KeyPoint(text, self.loc(item_start)))
                self.mark(item_start, item_end, "cards")
        else:
            self.content(run[0][0], run[-1][1])
        run.clear()

    def is_question_list(self, items: list[tuple[int, int]], anywhere: bool = False) -> bool:
        """Items that are questions with their answers inside: ``1. **Why …?**``,
        ``- **Q:** …``, or (in a questions section) ``1. Why …?`` with the answer below.

        ``anywhere``: outside a questions section only labelled items count.
        """
        first = self.lines[items[0][0]]
        marker = _MARKER_SRC.match(first)
        rest = (first[marker.end() :] if marker else first).strip()
        if question_line(rest) is not None:
            return True
        if anywhere:
            return False
        if rest.startswith(("**", "__")) and bold_question(rest) is not None:
            return True
        # "1. What is X?" then the answer indented under it, for every item
        return all(
            self.lines[a][_MARKER_SRC.match(self.lines[a]).end() :].rstrip().endswith("?")
            and b - a > 1
            for a, b in items
            if _MARKER_SRC.match(self.lines[a])
        )

    def question_item(self, start: int, end: int) -> None:
        first = self.lines[start]
        marker = _MARKER_SRC.match(first)
        indent = marker.end() if marker else 0
        # A bold prompt may wrap: it ends at the line holding its closing marker.
        last = start + 1
        source = first[indent:]
        while last < end and source.count("**") % 2 == 1 and self.lines[last].strip():
            source += "\n" + self.lines[last][indent:]
            last += 1
        asked = question_line(source) or bold_question(source)
        if asked is None and source.rstrip().endswith("?"):
            asked = QuestionLine("", source.strip(), "")
        if asked is None:
            self.content(start, end)
            return
        self.start_question(asked, start, last, indent=indent)
        q = self.open_question
        if q is not None and end > last:
            if q.answer is None:
                line = next((n for n in range(last, end) if self.lines[n].strip()), None)
                if line is None:
                    return
                head = self.lines[line]
                head = head[min(indent, len(head) - len(head.lstrip(" "))) :]
                label_free = strip_answer_label(head.strip())
                self.start_answer(q, line, label_free if label_free is not None else head)
                self.extend(q.answer, line + 1, end)
            else:
                self.extend(q.answer, last, end)
            self.mark(last, end, "cards")

    def quoted_question(self, start: int, end: int) -> bool:
        """``> **Q:** …`` or an Obsidian callout ``> [!question] …``: a question whose
        answer is the rest of the quote. ``False`` (nothing done) for other quotes."""
        if self.unit is None:
            return False
        lines = [re.sub(r"^ {0,3}> ?", "", line) for line in self.lines[start:end]]
        while lines and not lines[-1].strip():
            lines.pop()
        callout = _CALLOUT.match(lines[0]) if lines else None
        if callout:
            asked = QuestionLine("", callout.group("title").strip(), "")
        else:
            asked = question_line(lines[0]) if lines else None
        if asked is None or not asked.prompt:
            return False
        self.start_question(asked, start, start + 1)
        q = self.open_question
        assert q is not None
        rest = "\n".join(lines[1:]).strip("\n")
        label_free = strip_answer_label(rest.strip())
        answer = "\n".join(
            x for x in [asked.tail, label_free if label_free is not None else rest] if x
        )
        if answer.strip():
            q.answer = _Text(end - 1, _clean(answer), end)
        self.mark(start, end, "cards")
        q.closed = True
        return True

    def html(self, token: Token, start: int, end: int) -> None:
        body = self.lines[start:end]
        text = "\n".join(body).strip()
        # A heading inside an HTML block (no blank line after the HTML): read it as markdown.
        for k in range(start + 1, end):
            if re.match(r"^ {0,3}#{1,6}\s", self.lines[k]):
                self.warn(
                    k,
                    "heading inside an HTML block: read as markdown (leave a blank line "
                    "after the HTML to make this explicit)",
                )
                self.html(token, start, k)
                self.run(_md.parse("\n".join(self.lines[k:end])), offset=k, stop=end)
                return
        if _DETAILS_CLOSE.match(text):
            self.mark(start, end, "markup")
            q = self.open_question
            if q is not None and q.details == "open":
                q.details = "closed"
                q.closed = True
            return
        details = _details(text)
        if details is not None:
            self.details(details, start, end)
            return
        if _COMMENT.fullmatch(text):
            self.mark(start, end, "markup")
            self.warn(start, "HTML comment: not shown on cards or printouts")
            return
        if _EMPTY_HTML.match(text):
            self.separator(start, end)
            return
        self.content(start, end)

    def details(self, found: _Details, start: int, end: int) -> None:
        """``<details><summary>S</summary> … </details>``, opened here (and maybe closed).

        The summary decides: an answer label (``Answer``, ``Show answer``, ``Solution``)
        hides the answer of the question above, and what stood between that question and
        ``<details>`` (code, options) belongs to the question; a question (``…?``, ``Q1.``)
        is a question whose answer is inside; anything else is context.
        """
        q = self.open_question
        summary = found.summary
        asked = None
        if summary and not _ANSWER_SUMMARY.match(_plain_html(summary)) and self.unit:
            plain = _plain_html(summary)
            asked = question_line(plain) or (
                QuestionLine("", plain, "") if plain.rstrip().endswith("?") else None
            )
        if asked is not None:
            self.start_question(asked, start, start + 1)
            q = self.open_question
            assert q is not None
            q.details = "open"
        elif summary and not _ANSWER_SUMMARY.match(_plain_html(summary)):
            # a fold of extra material: context, never the answer of the question above
            self.close_question()
            if self.unit is not None:
                self.unit.section = "context"
            self.content(start, end)
            return
        else:
            self.mark(start, start + 1, "markup")
            if q is not None and q.details == "":
                self.open_details(q)
        if found.inner is None:  # the answer follows in markdown blocks
            self.mark(start, end, "markup")
            return
        # <details><summary>…</summary> answer </details> in one HTML block
        q = self.open_question
        if q is not None and q.details == "open" and found.inner.strip():
            q.answer = _Text(end - 1, found.inner.strip(), end)
            q.details, q.closed = "closed", True
            self.mark(start, end, "cards")
        elif found.inner.strip():
            self.content(start, end)
        else:
            self.mark(start, end, "markup")

    def open_details(self, q: _Question) -> None:
        """Everything between the question and ``<details>`` is part of the question."""
        if q.answer is not None:
            q.prompt.end = max(q.prompt.end, q.answer.end)
            q.answer = None
        q.details = "open"

    def separator(self, start: int, end: int) -> None:
        """``---`` or an empty ``<div>``: ends an answer; a key-points list may go on."""
        self.mark(start, end, "markup")
        self.close_question()
        if self.unit is not None and self.unit.section == "questions":
            self.unit.section = "context"

    # -- where content goes ----------------------------------------------

    @property
    def open_question(self) -> _Question | None:
        unit = self.unit
        if unit is None or not unit.questions or unit.section != "questions":
            return None
        q = unit.questions[-1]
        return None if q.closed else q

    def content(self, start: int, end: int, to: str = "") -> None:
        """Lines ``[start, end)`` of content: answer, context or front matter."""
        while end > start and not self.lines[end - 1].strip():
            end -= 1
        if end <= start:
            return
        unit = self.unit
        if unit is None:
            self.front_texts.append(_Text(start, self.lines[start], end))
            self.mark(start, end, "context")
            return
        q = self.open_question
        if q is not None and to != "context":
            if q.answer is None:
                head = self.lines[start]
                label_free = None if q.details == "open" else strip_answer_label(head.strip())
                self.start_answer(q, start, head if label_free is None else label_free)
                self.extend(q.answer, start + 1, end)
            else:
                self.extend(q.answer, start, end)
            self.mark(start, end, "cards")
            return
        unit.context.append(_Text(start, self.lines[start], end))
        self.mark(start, end, "context")

    def extend(self, text: _Text | None, start: int, end: int) -> None:
        if text is not None and end > text.end:
            text.end = end

    def set_section(self, section: str) -> None:
        assert self.unit is not None
        self.close_question()
        self.unit.section = section

    def close_question(self) -> None:
        q = self.open_question
        if q is not None:
            q.closed = True

    def start_question(
        self, asked: QuestionLine, start: int, end: int, heading_level: int = 0, indent: int = 0
    ) -> None:
        """A question on lines ``[start, end)``; text after its closing bold is the answer."""
        assert self.unit is not None
        self.close_question()
        self.unit.section = "questions"
        prompt = f"{asked.prompt} {asked.decoration}" if asked.decoration else asked.prompt
        if not prompt.strip():
            self.error(start, f"{asked.label or 'question'} has no question text")
        q = _Question(asked.label, start, _Text(end - 1, prompt, end, indent))
        q.heading_level = heading_level
        self.unit.questions.append(q)
        self.mark(start, end, "cards")
        if asked.tail:
            q.answer = _Text(end - 1, asked.tail, end, indent)

    def start_answer(self, q: _Question, line: int, head: str) -> None:
        q.answer = _Text(line, head, line + 1, q.prompt.indent)
        self.mark(line, line + 1, "cards")

    # -- units -----------------------------------------------------------

    def start_unit(self, unit: _Unit, level: int, line: int) -> None:
        self.finish_unit()
        unit.line = line
        unit.level = level
        self.unit = unit

    def describe(self, unit: _Unit) -> str:
        if unit.numbered:
            return f"{(unit.word or 'unit').lower()} {unit.number}"
        return f"unit '{unit.title}'"

    def finish_unit(self) -> None:
        unit, self.unit = self.unit, None
        if unit is None:
            return
        questions = []
        for q in unit.questions:
            prompt = q.prompt.text(self.lines)
            answer = q.answer.text(self.lines) if q.answer else ""
            if not answer:
                self.error(
                    q.line,
                    f"{q.label or 'question'} has no answer; write the answer "
                    "on the line after the question (or in the next paragraph)",
                )
            start = q.answer.line if q.answer else q.line
            questions.append(Question(q.label, prompt, answer, self.loc(q.line), self.loc(start)))
        context = tuple(Block(t.text(self.lines), self.loc(t.line)) for t in unit.context)
        if not unit.points and not questions:
            if context:
                self.warn(
                    unit.line,
                    f"{self.describe(unit)} has no key points and no questions: it makes no "
                    "cards (its text is kept as context)",
                )
            else:
                self.error(
                    unit.line,
                    f"{self.describe(unit)} has no key points and no questions; "
                    "add a 'What to remember' list or an 'Interview Questions' section",
                )
        self.units.append(
            Unit(
                number=unit.number,
                title=unit.title,
                key_points=tuple(unit.points),
                questions=tuple(questions),
                loc=self.loc(unit.line),
                context=context,
                unit_word=unit.word,
                numbered=unit.numbered,
            )
        )

    # -- helpers ---------------------------------------------------------

    def item_text(self, start: int, end: int) -> str:
        """A list item's source without its marker, continuation lines de-indented."""
        lines = self.lines[start:end]
        marker = _MARKER_SRC.match(lines[0])
        indent = marker.end() if marker else 0
        return _Text(0, lines[0][indent:], len(lines), indent).text(lines)

    def find_images(self) -> Iterator[tuple[int, str]]:
        """``(line, src)`` of every image written ``![alt](src)``, also with spaces in src."""
        fence = False
        for number, line in enumerate(self.lines):
            if re.match(r"^\s*(```|~~~)", line):
                fence = not fence
            if fence:
                continue
            for m in _IMAGE_SRC.finditer(line):
                src = m.group(1).strip()
                if src.startswith("<") and src.endswith(">"):
                    src = src[1:-1]
                yield number + 1, src
            for m in _WIKI_EMBED.finditer(line):
                self.warn(
                    number,
                    f"'![[{m.group(1)}]]' is an Obsidian embed, not markdown: it shows as text; "
                    f"write ![]({m.group(1).split('|')[0]}) to show the picture",
                )


# --------------------------------------------------------------------------
# Token helpers


def _block_end(tokens: list[Token], i: int) -> int:
    """Index of the token closing the block opened at ``i`` (or ``i`` itself)."""
    if tokens[i].nesting != 1:
        return i
    depth = 0
    for j in range(i, len(tokens)):
        depth += tokens[j].nesting
        if depth == 0:
            return j
    return len(tokens) - 1


def _items(tokens: list[Token]) -> list[tuple[int, int]]:
    """``[start, end)`` source lines of each top-level item of a list."""
    base = tokens[0].level + 1
    spans = []
    for token in tokens:
        if token.type == "list_item_open" and token.level == base and token.map:
            spans.append((token.map[0], token.map[1]))
    return spans


def _plain(children: list[Token]) -> str:
    """The visible text of inline tokens (markup dropped), breaks as spaces."""
    parts = []
    for child in children:
        if child.type in ("text", "code_inline", "html_inline"):
            parts.append(child.content)
        elif child.type == "math_inline":
            parts.append(f"${child.content}$")
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.children:
            parts.append(_plain(child.children))
    return "".join(parts).strip()


def _line_groups(
    inline: Token, lines: list[str], start: int, end: int
) -> list[tuple[int, int, list[Token]]]:
    """Split a paragraph's inline children into source lines: ``(start, end, children)``.

    Breaks inside an open ``**strong**`` run do not split, so a bold question
    may wrap over several lines.
    """
    children = inline.children or []
    groups: list[list[Token]] = [[]]
    depth = 0
    for child in children:
        if child.type in ("softbreak", "hardbreak") and depth == 0:
            groups.append([])
            continue
        if child.type == "strong_open":
            depth += 1
        elif child.type == "strong_close":
            depth = max(0, depth - 1)
        groups[-1].append(child)
    breaks = [sum(1 for c in g if c.type in ("softbreak", "hardbreak")) + 1 for g in groups]
    if sum(breaks) != end - start:
        # Line breaks hidden inside code spans, math or links: split by source lines
        return _source_groups(lines, start, end)
    out = []
    line = start
    for group, count in zip(groups, breaks, strict=True):
        out.append((line, line + count, group))
        line += count
    return out


def _source_groups(lines: list[str], start: int, end: int) -> list[tuple[int, int, list[Token]]]:
    """A paragraph's lines one by one (a ``**bold**`` run may wrap), with their own inline
    tokens: for paragraphs whose line breaks the inline tokens do not show (a ``$$``
    formula or a code span over several lines)."""
    out = []
    line = start
    while line < end:
        last = line + 1
        text = lines[line]
        while last < end and text.count("**") % 2 == 1:
            text += "\n" + lines[last]
            last += 1
        tokens = _md.parseInline(text)
        out.append((line, last, tokens[0].children or [] if tokens else []))
        line = last
    return out
