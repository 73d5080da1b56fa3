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
from .markdown import md as _md
from .model import Unit
from .parse import decode, notes_files, parse_source
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
        from ..errors import UsageProblem

        raise UsageProblem(
            f"{display}: notes folder not found; give the folder that holds your *.md files"
        )
    texts = []
    unreadable = []
    for path in notes_files(source):
        name = path.relative_to(source).as_posix()
        try:
            texts.append((name, decode(path.read_bytes())))
        except UnicodeDecodeError as exc:
            line = exc.object[: exc.start].count(b"\n") + 1
            unreadable.append(
                Diagnostic(f"{display}/{name}", line, "not valid UTF-8; save the file as UTF-8")
            )
    if unreadable:
        raise ContentError(unreadable)
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
    for topic in topics:
        if topic["title"] == data["title"] and len(topics) > 1:
            # the first file's title is the course's: name the topic by its units instead
            first, _, last = str(topic["units"]).partition("-")
            members = [u for u in units if int(first) <= u.number <= int(last or first)]
            topic["title"] = _span(members) if members else topic["title"]
    data["topics"] = topics
    said.append(f"topics: {len(topics)} ({how}) — rename them and set focus: true where it helps")
    header = (
        "# deckpress course config, written by `deckpress init` — see README.md,\n"
        '# "course.yaml reference". Check the title and the topics, then run `deckpress check`.\n'
    )
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    return Inferred(header + body, said)


def _headings(text: str) -> list[tuple[int, str]]:
    return [(level, heading) for level, heading, _ in _located_headings(text)]


def _located_headings(text: str) -> list[tuple[int, str, int]]:
    """``(level, text, 1-based line)`` of the top-level headings (never a ``#`` in code)."""
    tokens = _md.parse(text)
    return [
        (int(t.tag[1]), tokens[i + 1].content, t.map[0] + 1 if t.map else 0)
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
    """``title:`` of a YAML front matter, else the first level-1 heading before any unit
    (``# Title`` or ``Title`` over ``===``), else the folder's name."""
    for block in front:
        yaml_block = re.fullmatch(r"---\n(.*)\n---", block, re.DOTALL)
        if yaml_block:
            try:
                data = yaml.safe_load(yaml_block.group(1))
            except yaml.YAMLError:
                continue
            if isinstance(data, dict) and isinstance(data.get("title"), str) and data["title"]:
                return data["title"].strip()
    for block in front:
        m = re.match(r"^#\s+(.+?)\s*#*\s*$", block) or re.match(r"^(.+)\n=+\s*$", block)
        if m:
            title = _clean_title(m.group(1))
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
        for chunk in chunks:
            first, last = chunk[0].number, chunk[-1].number
            span = _span(chunk)
            name = title if len(chunks) == 1 and title else (f"{title}: {span}" if title else span)
            topics.append({"title": name, "units": f"{first}-{last}" if last != first else first})
    return topics, how


def _span(chunk: list[Unit]) -> str:
    """``Lectures 6–10`` (or ``Lecture 6``; ``Units …`` when the notes have no word)."""
    word = chunk[0].unit_word or "Unit"
    first, last = chunk[0].number, chunk[-1].number
    if first == last:
        return f"{word} {first}"
    plural = f"{word}s" if word.isascii() and word[-1:] not in "sS" else word
    return f"{plural} {first}–{last}"


def _clean_title(heading: str) -> str:
    """A heading as a topic or course title: emoji and wrapping bold removed."""
    text = strip_decoration(heading.strip())
    bold = re.fullmatch(r"(\*\*|__)(.+?)\1", text)
    return (bold.group(2) if bold else text).strip()


def _sections(texts: list[tuple[str, str]], units: tuple[Unit, ...]):
    """Headings above the unit headings, else files, else one group."""
    by_line = {(u.loc.file, u.loc.line): u for u in units}
    located = {name: _located_headings(text) for name, text in texts}
    unit_level = min(
        [lv for name, hs in located.items() for lv, _, ln in hs if (name, ln) in by_line] or [2]
    )
    groups: list[tuple[str, list[Unit]]] = []
    sections = 0
    for name, text in texts:
        current = _file_title(name, text)
        started = False
        for level, heading, line in located[name]:
            unit = by_line.get((name, line))
            if unit is not None:
                if not started:
                    groups.append((current, []))
                    started = True
                groups[-1][1].append(unit)
            elif level < unit_level:
                current = _clean_title(heading) or current
                if started:
                    sections += 1
                    groups.append((current, []))
    groups = [(title, members) for title, members in groups if members]
    if sections:
        return groups, "from the headings above the units"
    if len(groups) > 1:
        return groups, "one per notes file"
    return [("", list(units))], "consecutive units"


def _file_title(name: str, text: str) -> str:
    for level, heading in _headings(text):
        if level == 1:
            title = _clean_title(heading)
            if title:
                return title
        break
    # "02-transactions.md" -> "Transactions": the topic's number comes from its place
    stem = re.sub(r"^[\d\s._-]+", "", Path(name).stem) or Path(name).stem
    return stem.replace("-", " ").replace("_", " ").strip().capitalize() or name


def _split(members: list[Unit]) -> list[list[Unit]]:
    if len(members) <= MAX_TOPIC_UNITS:
        return [members]
    count = -(-len(members) // 6)  # about six units a topic
    size = len(members) / count
    return [members[round(i * size) : round((i + 1) * size)] for i in range(count)]
