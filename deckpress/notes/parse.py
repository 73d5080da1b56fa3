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

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import Diagnostic
from .config import NotesSyntax
from .markdown import md
from .media import resolve_image
from .model import Block, Location, Notes, Unit
from .reader import Coverage, FileParser
from .syntax import Recogniser
from .units import check_gaps, check_numbers, unit_mode

if TYPE_CHECKING:
    from markdown_it.token import Token


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

    return sorted((p for p in source.rglob("*.md") if p.is_file() and not own_course(p)), key=key)


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


_kept: dict[str, list[Token]] | None = None
"""Each notes file's tokens from the last parse, by text, once :func:`keep_tokens`."""


def keep_tokens() -> None:
    """Keep each file's markdown-it tokens from one parse to the next in this process
    (``watch``): a save then parses the saved file again, not every file. Only the
    files of the last parse are kept (a one-shot build keeps none: they would only
    raise its peak memory). The parser only reads tokens, which
    tests/test_parse_forms.py checks."""
    global _kept
    if _kept is None:
        _kept = {}


def _tokens(texts: list[str]) -> list[list[Token]]:
    global _kept
    if _kept is None:
        return [md.parse(text) for text in texts]
    known = _kept
    found = [known[text] if text in known else md.parse(text) for text in texts]
    _kept = dict(zip(texts, found, strict=True))
    return found


def parse_texts(texts: list[tuple[str, str]], syntax: NotesSyntax | None = None) -> ParseResult:
    """Parse decoded (LF) notes ``[(name, text)]`` in reading order; locations use ``name``."""
    rec = Recogniser(syntax)
    texts = [(name, text.replace("\r\n", "\n").replace("\r", "\n")) for name, text in texts]
    tokens = _tokens([text for _, text in texts])
    parsed = [(name, text, t) for (name, text), t in zip(texts, tokens, strict=True)]
    mode = unit_mode(rec, [(tokens, text) for _, text, tokens in parsed])
    units: list[Unit] = []
    front: list[Block] = []
    result = ParseResult(Notes(files=(), front_matter=(), units=()))
    for name, text, tokens in parsed:
        fp = FileParser(text, name, rec, mode, start=len(units))
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
    result.errors.extend(check_numbers(units, mode))
    result.warnings.extend(check_gaps(units, mode))
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
