"""``deckpress init``: infer a ``course.yaml`` for a folder of existing notes.

What is inferred, in order (each step is printed, with what to check):

1. the unit word (``Lecture``, ``Vidéo``) when the headings repeat one that
   deckpress does not know, else the heading level of unnumbered units;
2. section labels the notes repeat in most units (a short bold or heading line
   right before a list, or right before the first question);
3. the title: the first level-1 heading, else the folder name;
4. topics: the notes' own sections (headings above the units), else one per
   notes file, else consecutive units; a group of more than
   :data:`MAX_TOPIC_UNITS` units is split so that each topic's handout can fit
   one page (the first user's course has 5–6 units per topic).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..errors import ContentError, Diagnostic
from .config import CONFIG_NAME, NotesSyntax
from .model import Unit
from .parse import _md, decode, notes_files, parse_source
from .syntax import UNIT_WORDS, Recogniser, strip_decoration

MAX_TOPIC_UNITS = 8
"""Largest topic ``init`` writes; bigger groups are split evenly."""

_WORD_NUMBER = re.compile(r"^(?P<word>[^\W\d_]{2,})\s*:?\s*#?\d+(?!\d)\s*(?:--|[—–\-:|.)]|$)")


@dataclass
class Inferred:
    """The ``course.yaml`` that ``init`` writes and what it says about it."""

    text: str
    """The YAML, with comments."""
    said: list[str] = field(default_factory=list)
    """One line per inference: what was found, and what to check."""


def init_course(source: Path, display: str, force: bool = False) -> Inferred:
    """Write ``source/course.yaml`` inferred from the notes; return what was inferred.

    Raises :class:`ContentError` when the folder has no notes, no units can be
    found, or ``course.yaml`` exists and ``force`` is false.
    """
    target = source / CONFIG_NAME
    shown = f"{display}/{CONFIG_NAME}"
    if target.exists() and not force:
        raise ContentError(
            [Diagnostic(shown, 0, "already exists; use 'deckpress init --force' to replace it")]
        )
    inferred = infer(source, display)
    tmp = target.with_name(f".{CONFIG_NAME}.tmp")
    tmp.write_text(inferred.text, encoding="utf-8")
    tmp.replace(target)
    return inferred


def infer(source: Path, display: str) -> Inferred:
    """Infer the config without writing anything."""
    if not source.is_dir():
        raise ContentError([Diagnostic(display, 0, "notes folder not found")])
    texts = []
    for path in notes_files(source):
        try:
            texts.append((path.relative_to(source).as_posix(), decode(path.read_bytes())))
        except UnicodeDecodeError:
            continue  # `check` names the file; init infers from the rest
    if not texts:
        raise ContentError([Diagnostic(display, 0, "no notes found: add markdown files (*.md)")])
    said: list[str] = []
    word = _unit_word(texts)
    syntax = NotesSyntax(unit_word=word)
    result = parse_source(source, display, syntax)
    labels = _labels(result.notes.units, Recogniser(syntax))
    if labels[0] or labels[1]:
        syntax = NotesSyntax(unit_word=word, key_point_labels=labels[0], question_labels=labels[1])
        result = parse_source(source, display, syntax)
    units = result.notes.units
    if not units:
        raise ContentError(
            [
                Diagnostic(
                    display,
                    0,
                    "no units found: write each unit as a heading like '## Lecture 1 — Title' "
                    "and run init again",
                )
            ]
        )
    data: dict = {"title": _title([b.text for b in result.notes.front_matter], source)}
    said.append(f"title: {data['title']!r} — check it; it is shown on every printout")
    first = units[0]
    if word:
        data["unit"] = word
        said.append(f"unit: {word!r} — headings like '{word} {first.number} — …' start units")
    elif first.unit_word or first.numbered:
        kind = f"'{first.unit_word} N — Title'" if first.unit_word else "'N. Title'"
        said.append(f"units: {len(units)} headings like {kind}")
    if not first.numbered:
        level = _unit_level(texts, units)
        data["units"] = {"heading": level}
        said.append(
            f"units: every level-{level} heading ({len(units)} found), numbered 1–{len(units)} "
            "in order; topics below use these numbers"
        )
    if labels[0] or labels[1]:
        data["labels"] = {}
        if labels[0]:
            data["labels"]["key_points"] = list(labels[0])
        if labels[1]:
            data["labels"]["questions"] = list(labels[1])
        said.append(f"labels: {data['labels']} — lines your notes use to open a section")
    topics, how = _topics(texts, units)
    data["topics"] = topics
    said.append(f"topics: {len(topics)} ({how}) — rename them and set focus: true where it helps")
    header = (
        "# deckpress course config, written by `deckpress init` — see README.md,\n"
        '# "course.yaml reference". Check the title and the topics, then run `deckpress check`.\n'
    )
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    return Inferred(header + body, said)


def _headings(text: str) -> list[tuple[int, str]]:
    tokens = _md.parse(text)
    return [
        (int(t.tag[1]), tokens[i + 1].content)
        for i, t in enumerate(tokens)
        if t.type == "heading_open" and t.level == 0
    ]


def _unit_word(texts: list[tuple[str, str]]) -> str | None:
    """A word that numbers two or more headings and that deckpress does not know."""
    known = {w.casefold() for w in UNIT_WORDS}
    counts: Counter[str] = Counter()
    for _, text in texts:
        for _, heading in _headings(text):
            m = _WORD_NUMBER.match(strip_decoration(heading.strip()).strip("*_ "))
            if m:
                counts[m.group("word")] += 1
    if any(w.casefold() in known for w in counts):
        return None
    best = [w for w, n in counts.most_common() if n >= 2]
    return best[0] if best else None


def _labels(units: tuple[Unit, ...], rec: Recogniser) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Short lines that open a list or the questions in most units: labels deckpress lacks."""
    points: Counter[str] = Counter()
    questions: Counter[str] = Counter()
    for unit in units:
        blocks = unit.context
        for block, after in zip(blocks, blocks[1:], strict=False):
            label = _label_line(block.text)
            if label and re.match(r"^\s*(?:[-+*]|\d+[.)])\s", after.text):
                points[label] += 1
        if unit.questions:
            before = [b for b in blocks if b.loc.line < unit.questions[0].loc.line]
            if before:
                label = _label_line(before[-1].text)
                if label:
                    questions[label] += 1
    need = max(2, (len(units) + 1) // 2)
    found_points = tuple(w for w, n in points.items() if n >= need and not rec.section(w))
    found_questions = tuple(w for w, n in questions.items() if n >= need and not rec.section(w))
    return found_points, found_questions


def _label_line(text: str) -> str | None:
    """``**À retenir**`` / ``### Résumé`` / ``Notes:`` -> the label words, else ``None``."""
    if "\n" in text or len(text) > 60:
        return None
    bare = re.sub(r"^#{1,6}\s+", "", text.strip())
    bold = re.fullmatch(r"(\*\*|__)(.+?)\1\s*:?", bare)
    if bold:
        bare = bold.group(2)
    elif not (text.lstrip().startswith("#") or bare.endswith(":")):
        return None
    words = strip_decoration(bare).strip(" :*_")
    return words if words and not words.endswith("?") else None


def _title(front: list[str], source: Path) -> str:
    """The first level-1 heading before any unit, else the folder's name."""
    for block in front:
        m = re.match(r"^#\s+(.+?)\s*#*\s*$", block)
        if m:
            title = strip_decoration(m.group(1)).strip("*_ ")
            if title:
                return title
    folder = source.resolve()
    return folder.name if folder.name not in ("source", "notes") else folder.parent.name


def _unit_level(texts: list[tuple[str, str]], units: tuple[Unit, ...]) -> int:
    lines = {(u.loc.file, u.loc.line) for u in units}
    for name, text in texts:
        for line, row in enumerate(text.split("\n"), 1):
            if (name, line) in lines:
                m = re.match(r"^ {0,3}(#{1,6})\s", row)
                if m:
                    return len(m.group(1))
    return 2


def _topics(texts: list[tuple[str, str]], units: tuple[Unit, ...]) -> tuple[list[dict], str]:
    """Groups of consecutive units with a title each, and how they were found."""
    groups, how = _sections(texts, units)
    topics = []
    for title, members in groups:
        chunks = _split(members)
        for n, chunk in enumerate(chunks, 1):
            first, last = chunk[0].number, chunk[-1].number
            name = title if len(chunks) == 1 else f"{title} ({n}/{len(chunks)})"
            topics.append({"title": name, "units": f"{first}-{last}" if last != first else first})
    return topics, how


def _sections(texts: list[tuple[str, str]], units: tuple[Unit, ...]):
    """Headings above the unit headings, else files, else one group."""
    unit_lines = {(u.loc.file, u.loc.line): u for u in units}
    unit_level = min(_levels(texts, unit_lines) or [2])
    groups: list[tuple[str, list[Unit]]] = []
    sections = 0
    for name, text in texts:
        current = _file_title(name, text)
        started = False
        for line, row in enumerate(text.split("\n"), 1):
            unit = unit_lines.get((name, line))
            if unit is not None:
                if not started or not groups:
                    groups.append((current, []))
                    started = True
                groups[-1][1].append(unit)
                continue
            m = re.match(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$", row)
            if m and len(m.group(1)) < unit_level:
                current = strip_decoration(m.group(2)).strip("*_ ") or current
                if started:
                    sections += 1
                    groups.append((current, []))
    groups = [(title, members) for title, members in groups if members]
    if sections:
        return groups, "from the headings above the units"
    if len(groups) > 1:
        return groups, "one per notes file"
    members = list(units)
    word = (members[0].unit_word or "Unit") + "s" if members else "Units"
    title = f"{word} {members[0].number}–{members[-1].number}" if members else word
    return [(title, members)], "consecutive units"


def _levels(texts, unit_lines) -> list[int]:
    levels = []
    for name, text in texts:
        for line, row in enumerate(text.split("\n"), 1):
            if (name, line) in unit_lines:
                m = re.match(r"^ {0,3}(#{1,6})\s", row)
                if m:
                    levels.append(len(m.group(1)))
    return levels


def _file_title(name: str, text: str) -> str:
    for level, heading in _headings(text):
        if level == 1:
            title = strip_decoration(heading.strip()).strip("*_ ")
            if title:
                return title
        break
    return Path(name).stem.replace("-", " ").replace("_", " ").strip().capitalize() or name


def _split(members: list[Unit]) -> list[list[Unit]]:
    if len(members) <= MAX_TOPIC_UNITS:
        return [members]
    count = -(-len(members) // 6)  # about six units a topic
    size = len(members) / count
    return [members[round(i * size) : round((i + 1) * size)] for i in range(count)]
