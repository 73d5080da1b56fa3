"""Notes markdown -> :class:`~deckpress.model.Notes`, from markdown-it-py's token stream.

The parser reads notes as people write them: video headings at any level
(``## Video 12 — Title``, ``–``/``-``/``:`` also accepted), "What to remember"
and "Interview Questions" as bold lines or headings, questions as bold
``Q1.`` lines whose answer follows on the next line (a hard or soft break) or
in following paragraphs, lists and code blocks.

Classification uses tokens; field text is sliced from the source lines the
tokens point at (``token.map``), so every field is the user's markdown verbatim.
This module knows nothing of Anki or PDF.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

from .errors import Diagnostic
from .media import resolve_image
from .model import FrontMatter, KeyPoint, Location, Notes, Question, Video

_VIDEO = re.compile(r"^\s*video\s+(\d+)\s*(?:[—–:.]|-{1,2})?\s*(.*?)\s*$", re.IGNORECASE)
_POINTS = re.compile(
    r"^(what to remember|key points|key takeaways|takeaways|remember)\b", re.IGNORECASE
)
_QUESTIONS = re.compile(
    r"^(interview questions|questions|interview q\s*&\s*a|q\s*&\s*a)\b", re.IGNORECASE
)
_QLABEL = re.compile(r"^\s*Q\s*(\d+)\s*[.):—–-]?\s+(?=\S)|^\s*Q\s*(\d+)\s*[.):—–-]\s*$")
# The same label in source form, possibly wrapped in bold markers: ``**Q1.**`` or ``**Q1. …``.
_QLABEL_SRC = re.compile(
    r"^(?P<open>\*\*|__)?\s*Q\s*(?P<num>\d+)\s*[.):—–-]?\s*(?P<close>\*\*|__)?\s*"
)
_MARKER_SRC = re.compile(r"^\s*(?:[-+*]|\d{1,9}[.)])(?:[ \t]+|$)")

_md = MarkdownIt("commonmark")


@dataclass
class ParseResult:
    """What :func:`parse_source` found: the notes plus every diagnostic."""

    notes: Notes
    errors: list[Diagnostic] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)


def notes_files(source: Path) -> list[Path]:
    """The ``*.md`` files under ``source`` in a stable, natural order (part2 before part10)."""

    def key(path: Path) -> list[object]:
        rel = path.relative_to(source).as_posix().lower()
        return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", rel)]

    return sorted((p for p in source.rglob("*.md") if p.is_file()), key=key)


def parse_source(source: Path, display: str | None = None) -> ParseResult:
    """Parse every notes file in ``source``; never raises for bad content.

    ``display`` is how the folder is named in diagnostics (defaults to ``source``).
    """
    shown = display if display is not None else str(source)
    files = notes_files(source) if source.is_dir() else []
    errors: list[Diagnostic] = []
    warnings: list[Diagnostic] = []
    videos: list[Video] = []
    front: list[FrontMatter] = []
    names: list[str] = []
    if not source.is_dir():
        errors.append(Diagnostic(shown, 0, "source folder not found"))
    elif not files:
        errors.append(Diagnostic(shown, 0, "no notes found: add markdown files (*.md) here"))
    for path in files:
        name = path.relative_to(source).as_posix()
        names.append(name)
        where = f"{shown}/{name}" if shown else name
        try:
            text = decode(path.read_bytes())
        except UnicodeDecodeError as exc:
            line = exc.object[: exc.start].count(b"\n") + 1
            errors.append(Diagnostic(where, line, "not valid UTF-8; save the file as UTF-8"))
            continue
        parsed = parse_text(text, name)
        for line, src in parsed.images:
            problem = resolve_image(source, name, src)[1]
            if problem:
                errors.append(Diagnostic(where, line, problem))
        if not parsed.videos and not parsed.errors:
            warnings.append(
                Diagnostic(
                    where,
                    0,
                    "no videos in this file (a video starts with "
                    "a heading like '## Video 1 — Title')",
                )
            )
        videos.extend(parsed.videos)
        front.extend(parsed.front_matter)
        errors.extend(_relocate(d, where) for d in parsed.errors)
        warnings.extend(_relocate(d, where) for d in parsed.warnings)
    if files and not videos and not errors:
        errors.append(
            Diagnostic(
                shown,
                0,
                "no videos found in the notes; a video starts with a "
                "heading like '## Video 1 — Title'",
            )
        )
    errors.extend(_check_numbers(videos, shown, warnings))
    notes = Notes(files=tuple(names), front_matter=tuple(front), videos=tuple(videos))
    return ParseResult(notes, errors, warnings)


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM) with CRLF/CR line ends normalised to LF."""
    text = data.decode("utf-8-sig")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _relocate(diag: Diagnostic, where: str) -> Diagnostic:
    return Diagnostic(where, diag.line, diag.message)


def _check_numbers(videos: list[Video], shown: str, warnings: list[Diagnostic]) -> list[Diagnostic]:
    errors = []
    seen: dict[int, Video] = {}
    for video in videos:
        first = seen.get(video.number)
        if first is not None:
            errors.append(
                Diagnostic(
                    f"{shown}/{video.loc.file}",
                    video.loc.line,
                    f"duplicate video number {video.number} (also at {first.loc}); "
                    "renumber one of them",
                )
            )
        else:
            seen[video.number] = video
    numbers = sorted(seen)
    for before, after in itertools.pairwise(numbers):
        if after > before + 1:
            missing = f"{before + 1}" if after == before + 2 else f"{before + 1}–{after - 1}"
            video = seen[after]
            warnings.append(
                Diagnostic(
                    f"{shown}/{video.loc.file}",
                    video.loc.line,
                    f"video numbering jumps from {before} to {after} (missing {missing})",
                )
            )
    return errors


# --------------------------------------------------------------------------
# One file


@dataclass
class _Question:
    label: str
    prompt: str
    line: int  # 0-based
    answer: list[tuple[int, int]] = field(default_factory=list)  # 0-based [start, end)


@dataclass
class _Video:
    number: int
    title: str
    line: int
    level: int
    section: str = "intro"  # intro | points | questions
    intro: list[tuple[int, int]] = field(default_factory=list)
    points: list[tuple[int, str]] = field(default_factory=list)  # (line, text)
    questions: list[_Question] = field(default_factory=list)


@dataclass
class FileResult:
    """The parse of one file (locations relative to that file)."""

    videos: list[Video]
    front_matter: list[FrontMatter]
    errors: list[Diagnostic]
    warnings: list[Diagnostic]
    images: list[tuple[int, str]] = field(default_factory=list)
    """``(line, src)`` of every image reference, as written."""


class _FileParser:
    def __init__(self, text: str, name: str):
        self.name = name
        self.lines = text.split("\n")
        self.videos: list[Video] = []
        self.front: list[list[tuple[int, int]]] = [[]]
        self.errors: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []
        self.video: _Video | None = None

    # -- helpers ---------------------------------------------------------

    def error(self, line0: int, message: str) -> None:
        self.errors.append(Diagnostic(self.name, line0 + 1, message))

    def source(self, ranges: list[tuple[int, int]]) -> str:
        """The source from the first range's start to the last range's end, verbatim."""
        if not ranges:
            return ""
        start = min(r[0] for r in ranges)
        end = max(r[1] for r in ranges)
        return "\n".join(self.lines[start:end]).strip("\n").rstrip()

    def loc(self, line0: int) -> Location:
        return Location(self.name, line0 + 1)

    def content(self, span: tuple[int, int]) -> None:
        """Attach a range of content lines to whatever is open now."""
        video = self.video
        if video is None:
            self.front[-1].append(span)
        elif video.section == "questions":
            if video.questions:
                video.questions[-1].answer.append(span)
            else:
                self.error(
                    span[0],
                    "text under 'Interview Questions' before the first "
                    "question; start each question with a bold line like '**Q1. …?**'",
                )
        elif video.section == "points":
            video.points.append((span[0], self.source([span])))
        else:
            video.intro.append(span)

    # -- main loop -------------------------------------------------------

    def run(self, tokens: list[Token]) -> FileResult:
        i = 0
        while i < len(tokens):
            token = tokens[i]
            j = _block_end(tokens, i)
            if token.type == "heading_open":
                self.heading(token, tokens[i + 1])
            elif token.type == "paragraph_open":
                self.paragraph(tokens[i + 1])
            elif token.type in ("bullet_list_open", "ordered_list_open"):
                self.listing(tokens[i : j + 1])
            elif token.type == "hr":
                pass  # a separator, not content
            elif token.map:
                self.content((token.map[0], token.map[1]))
            i = j + 1
        self.finish_video()
        front = [
            FrontMatter(self.source(ranges), self.loc(ranges[0][0]))
            for ranges in self.front
            if ranges
        ]
        return FileResult(self.videos, front, self.errors, self.warnings)

    def heading(self, token: Token, inline: Token) -> None:
        text = inline.content.strip()
        setext = token.markup in ("=", "-")
        level = int(token.tag[1])
        video = _VIDEO.match(_plain(inline.children or []))
        if video:
            self.start_video(int(video.group(1)), _strip_video_label(text), token, level)
            return
        if setext:  # "text\n---": the user meant a paragraph and a separator
            self.paragraph(inline)
            return
        section = _section(_plain(inline.children or []))
        if section and self.video is not None:
            self.video.section = section
            return
        assert inline.map is not None
        if self.video is not None and _QLABEL.match(_plain(inline.children or [])):
            self.video.section = "questions"
            self.start_question(text, inline.map[0])
            return
        if self.video is not None and level <= self.video.level:
            # A heading as big as a video heading ends the video (e.g. "# Part 2").
            self.finish_video()
            self.front.append([])
        self.content((inline.map[0], inline.map[1]))

    def start_video(self, number: int, title: str, token: Token, level: int) -> None:
        self.finish_video()
        assert token.map is not None
        if not title:
            self.error(
                token.map[0],
                f"video {number} has no title; write '{'#' * level} Video {number} — Title'",
            )
        self.video = _Video(number, title, token.map[0], level)

    def start_question(self, source_line: str, line0: int) -> None:
        assert self.video is not None
        label, prompt = _split_question(source_line)
        if not prompt:
            self.error(line0, f"{label or 'question'} has no question text")
        self.video.questions.append(_Question(label, prompt, line0))

    def paragraph(self, inline: Token) -> None:
        assert inline.map is not None
        for start, end, children in _line_groups(inline, self.lines):
            plain = _plain(children)
            whole_bold = _is_whole_bold(children)
            section = _section(plain) if whole_bold or plain.rstrip().endswith(":") else None
            if section and self.video is not None and (whole_bold or len(plain) < 40):
                self.video.section = section
                continue
            video = self.video
            if video is not None and (
                _QLABEL.match(plain)
                or (video.section == "questions" and whole_bold and plain.rstrip().endswith("?"))
            ):
                video.section = "questions"
                self.start_question("\n".join(self.lines[start:end]), start)
                continue
            self.content((start, end))

    def listing(self, tokens: list[Token]) -> None:
        video = self.video
        if video is None or video.section != "points":
            assert tokens[0].map is not None
            self.content((tokens[0].map[0], tokens[0].map[1]))
            return
        base = tokens[0].level + 1
        for token in tokens:
            if token.type == "list_item_open" and token.level == base and token.map:
                video.points.append((token.map[0], self.item_text(token.map)))

    def item_text(self, span: list[int]) -> str:
        """A list item's source without its marker, continuation lines de-indented."""
        lines = self.lines[span[0] : span[1]]
        marker = _MARKER_SRC.match(lines[0])
        indent = marker.end() if marker else 0
        out = [lines[0][indent:]]
        for line in lines[1:]:
            stripped = len(line) - len(line.lstrip(" "))
            out.append(line[min(indent, stripped) :])
        return "\n".join(out).strip("\n").rstrip()

    def finish_video(self) -> None:
        video, self.video = self.video, None
        if video is None:
            return
        questions = []
        for q in video.questions:
            answer = self.source(q.answer)
            if not answer:
                self.error(
                    q.line,
                    f"{q.label or 'question'} has no answer; write the answer "
                    "on the line after the question (or in the next paragraph)",
                )
            start = q.answer[0][0] if q.answer else q.line
            questions.append(Question(q.label, q.prompt, answer, self.loc(q.line), self.loc(start)))
        points = tuple(KeyPoint(text, self.loc(line)) for line, text in video.points if text)
        if not points and not questions:
            self.error(
                video.line,
                f"video {video.number} has no key points and no questions; "
                "add a 'What to remember' list or an 'Interview Questions' section",
            )
        self.videos.append(
            Video(
                number=video.number,
                title=video.title,
                key_points=points,
                questions=tuple(questions),
                loc=self.loc(video.line),
                intro=self.source(video.intro),
            )
        )


def parse_text(text: str, name: str) -> FileResult:
    """Parse one file's (decoded, LF) text; ``name`` is used in locations."""
    tokens = _md.parse(text)
    result = _FileParser(text, name).run(tokens)
    result.images = list(_images(tokens))
    return result


def _images(tokens: list[Token]) -> Iterator[tuple[int, str]]:
    """``(line, src)`` of every image, from the inline tokens."""
    for token in tokens:
        if token.type != "inline" or not token.map or not token.children:
            continue
        line = token.map[0] + 1
        for child in token.children:
            if child.type in ("softbreak", "hardbreak"):
                line += 1
            elif child.type == "image":
                yield line, str(child.attrs.get("src", ""))


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


def _plain(children: list[Token]) -> str:
    """The visible text of inline tokens (markup dropped), breaks as spaces."""
    parts = []
    for child in children:
        if child.type in ("text", "code_inline", "html_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.children:
            parts.append(_plain(child.children))
    return "".join(parts).strip()


def _is_whole_bold(children: list[Token]) -> bool:
    """True when the only visible content is one ``**strong**`` run (plus ``:``/spaces)."""
    meaningful = [c for c in children if not (c.type == "text" and c.content.strip(" \t:") == "")]
    return (
        len(meaningful) >= 2
        and meaningful[0].type == "strong_open"
        and meaningful[-1].type == "strong_close"
        and sum(1 for c in meaningful if c.type == "strong_open") == 1
    )


def _section(plain: str) -> str | None:
    text = plain.strip().strip("*_:").strip()
    if _POINTS.match(text):
        return "points"
    if _QUESTIONS.match(text):
        return "questions"
    return None


def _line_groups(inline: Token, lines: list[str]) -> list[tuple[int, int, list[Token]]]:
    """Split a paragraph's inline children into source lines: ``(start, end, children)``.

    Breaks inside an open ``**strong**`` run do not split, so a bold question
    may wrap over several lines.
    """
    assert inline.map is not None
    start, end = inline.map
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
        # Line breaks hidden inside code spans, links or HTML: keep the paragraph whole.
        return [(start, end, children)]
    out = []
    line = start
    for group, count in zip(groups, breaks, strict=True):
        out.append((line, line + count, group))
        line += count
    return out


def _strip_video_label(heading: str) -> str:
    """``Video 12 — Title`` (markdown source) -> ``Title``."""
    m = re.match(r"^\s*(?:\*\*|__)?\s*video\s+\d+\s*(?:[—–:.]|-{1,2})?\s*", heading, re.IGNORECASE)
    title = heading[m.end() :] if m else heading
    if m and m.group(0).lstrip().startswith(("**", "__")):
        title = re.sub(r"(\*\*|__)\s*$", "", title)
    return title.strip()


def _split_question(line: str) -> tuple[str, str]:
    """``**Q1. Why …?**`` (source, possibly several lines) -> ``("Q1", "Why …?")``."""
    text = line.strip()
    label = ""
    m = _QLABEL_SRC.match(text)
    if m and re.match(r"^(\*\*|__)?\s*Q\s*\d+", text):
        label = f"Q{int(m.group('num'))}"
        opener, closer = m.group("open"), m.group("close")
        text = text[m.end() :]
        if opener and not closer:
            text = _unwrap_end(text, opener)  # "**Q1. Why …?**": close at the end
        elif opener and closer:
            text = text.strip()  # "**Q1.** Why …?"
    elif text[:2] in ("**", "__") and text.endswith(text[:2]) and len(text) > 4:
        text = text[2:-2]
    return label, text.strip()


def _unwrap_end(text: str, marker: str) -> str:
    text = text.rstrip()
    return text[: -len(marker)].rstrip() if text.endswith(marker) else text
