"""One notes file, block by block: the state machine that puts every line of a file
into a unit's title, key points, questions, answers or context, or the file's front
matter (see :mod:`.parse` for the rules), and counts what became of each line."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from markdown_it.token import Token

from ..errors import Diagnostic
from .markdown import block_end, line_groups, list_items, md, plain_text
from .model import Block, KeyPoint, Location, Question, Unit
from .shapes import (
    ANSWER_SUMMARY,
    CALLOUT,
    COMMENT,
    DETAILS_CLOSE,
    EMPTY_HTML,
    INLINE_LABEL,
    MARKER_SRC,
    WIKI_EMBED,
    Details,
    details_parts,
    fence_closes,
    plain_html,
)
from .syntax import (
    QuestionLine,
    Recogniser,
    bold_question,
    heading_question,
    question_line,
    strip_answer_label,
)
from .units import UnitMode

_IMAGE_SRC = re.compile(r"!\[[^\]\n]*\]\(\s*(<[^>\n]*>|[^)\n]*?)(?:\s+\"[^\"\n]*\")?\s*\)")

# --------------------------------------------------------------------------
# One file


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


class FileParser:
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
            j = block_end(tokens, i)
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
            self.paragraph(tokens[1], start, end)
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
            if kind == "fence" and at_end and not fence_closes(token, self.lines[start + 1 : end]):
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
            self.paragraph(inline, start, end - 1)
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

    def paragraph(self, inline: Token, start: int, end: int) -> None:
        run: list[int] = []  # consecutive content lines of this paragraph

        def flush() -> None:
            if run:
                self.content(run[0], run[-1] + 1)
                run.clear()

        for first, last, children in line_groups(inline, self.lines, start, end):
            source = "\n".join(self.lines[first:last])
            section = self.rec.section(plain_text(children))
            if section and self.unit is not None and last - first == 1:
                flush()
                self.set_section(section)
                self.mark(first, last, "markup")
                continue
            inline_label = INLINE_LABEL.match(source)
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
            asked = self.question_at(source, following, first)
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

    def question_at(self, source: str, following: str, line0: int) -> QuestionLine | None:
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
        items = [(a + offset, b + offset) for a, b in list_items(tokens)]
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
        marker = MARKER_SRC.match(first)
        rest = (first[marker.end() :] if marker else first).strip()
        if question_line(rest) is not None:
            return True
        if anywhere:
            return False
        if rest.startswith(("**", "__")) and bold_question(rest) is not None:
            return True
        # "1. What is X?" then the answer indented under it, for every item
        return all(
            self.lines[a][MARKER_SRC.match(self.lines[a]).end() :].rstrip().endswith("?")
            and b - a > 1
            for a, b in items
            if MARKER_SRC.match(self.lines[a])
        )

    def question_item(self, start: int, end: int) -> None:
        first = self.lines[start]
        marker = MARKER_SRC.match(first)
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
        callout = CALLOUT.match(lines[0]) if lines else None
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
                self.run(md.parse("\n".join(self.lines[k:end])), offset=k, stop=end)
                return
        if DETAILS_CLOSE.match(text):
            self.mark(start, end, "markup")
            q = self.open_question
            if q is not None and q.details == "open":
                q.details = "closed"
                q.closed = True
            return
        details = details_parts(text)
        if details is not None:
            self.details(details, start, end)
            return
        if COMMENT.fullmatch(text):
            self.mark(start, end, "markup")
            self.warn(start, "HTML comment: not shown on cards or printouts")
            return
        if EMPTY_HTML.match(text):
            self.separator(start, end)
            return
        self.content(start, end)

    def details(self, found: Details, start: int, end: int) -> None:
        """``<details><summary>S</summary> … </details>``, opened here (and maybe closed).

        The summary decides: an answer label (``Answer``, ``Show answer``, ``Solution``)
        hides the answer of the question above, and what stood between that question and
        ``<details>`` (code, options) belongs to the question; a question (``…?``, ``Q1.``)
        is a question whose answer is inside; anything else is context.
        """
        q = self.open_question
        summary = found.summary
        asked = None
        if summary and not ANSWER_SUMMARY.match(plain_html(summary)) and self.unit:
            plain = plain_html(summary)
            asked = question_line(plain) or (
                QuestionLine("", plain, "") if plain.rstrip().endswith("?") else None
            )
        if asked is not None:
            self.start_question(asked, start, start + 1)
            q = self.open_question
            assert q is not None
            q.details = "open"
        elif summary and not ANSWER_SUMMARY.match(plain_html(summary)):
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
        marker = MARKER_SRC.match(lines[0])
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
            for m in WIKI_EMBED.finditer(line):
                self.warn(
                    number,
                    f"'![[{m.group(1)}]]' is an Obsidian embed, not markdown: it shows as text; "
                    f"write ![]({m.group(1).split('|')[0]}) to show the picture",
                )
