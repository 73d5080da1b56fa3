"""``course.yaml``: the declared schema, its defaults, and validation.

All problems are collected and reported together as ``file:line: message``.
Unknown keys are rejected with a "did you mean" suggestion.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from slugify import slugify as _slugify

from ..errors import Diagnostic

CONFIG_NAME = "course.yaml"
ANSWER_MODES = ("none", "short", "full")
PAPER_SIZES = ("a4", "letter")


@dataclass(frozen=True)
class TopicConfig:
    """One entry of ``topics:``."""

    title: str
    """Topic title, shown on cards, subdeck names and printouts."""
    first: int
    """First video number (inclusive)."""
    last: int
    """Last video number (inclusive)."""
    focus: bool
    """Interview priority."""
    handout_answers: str | None
    """Overrides ``print.handouts.answers`` for this topic."""
    line: int
    """Line of the entry in ``course.yaml``."""


@dataclass(frozen=True)
class SheetConfig:
    """Settings of one printed artifact (``print.cheatsheet`` / ``print.handouts``)."""

    answers: str
    """``none`` / ``short`` (first sentence) / ``full``."""
    columns: int
    """Number of text columns on a page."""
    landscape: bool
    """Page orientation."""
    context: bool = False
    """Print each unit's context (its prose, tables, pictures) under its title."""
    front_matter: bool = False
    """Cheat sheets: print the notes' front matter under the course title."""


@dataclass(frozen=True)
class PrintConfig:
    """``print:`` — everything about the PDFs."""

    paper: str = "a4"
    """``a4`` or ``letter``."""
    min_font_pt: float = 7.0
    """Legibility floor: fitted type never goes below this size."""
    max_font_pt: float = 12.0
    """Fitted type never goes above this size."""
    fonts: tuple[str, ...] = ()
    """Font families tried, in order, for characters the stylesheet's fonts lack."""
    cheatsheet: SheetConfig = field(
        default_factory=lambda: SheetConfig(
            answers="short", columns=3, landscape=True, front_matter=True
        )
    )
    handouts: SheetConfig = field(
        default_factory=lambda: SheetConfig(answers="full", columns=3, landscape=True, context=True)
    )


CARD_RULES = (
    "whole-bullet",
    "enumeration",
    "not-a-fact",
    "dangling-reference",
    "two-part",
    "near-duplicate",
)
"""The weak-card rules of :mod:`deckpress.deck.quality`, as ``cards.ignore`` names them."""


@dataclass(frozen=True)
class CardsCheck:
    """``cards:`` — which weak-card warnings ``check`` gives (see :mod:`deckpress.deck.quality`)."""

    ignore: tuple[str, ...] = ()
    """Rules (from :data:`CARD_RULES`) not to warn about."""
    enumeration_items: int = 4
    """One blank hiding this many items or more is an enumeration."""
    duplicate_similarity: float = 67.0
    """Similarity (0–100) from which two cards are near-duplicates."""


@dataclass(frozen=True)
class NotesSyntax:
    """How the notes are written, beyond what the parser recognises by itself.

    From ``unit:``, ``units:`` and ``labels:`` in ``course.yaml``; every value adds to
    or narrows the built-in rules of :mod:`deckpress.notes.parse`.
    """

    unit_word: str | None = None
    """``unit:``: the word that starts a unit heading (``Vidéo``), added to the built-in
    words and preferred over them."""
    unit_heading: int | None = None
    """``units.heading``: headings of this level (1–6) are the units, numbered in order."""
    key_point_labels: tuple[str, ...] = ()
    """``labels.key_points``: extra labels of key-point lists (``À retenir``)."""
    question_labels: tuple[str, ...] = ()
    """``labels.questions``: extra labels of question sections (``Questions d’entretien``)."""


@dataclass(frozen=True)
class CourseConfig:
    """The validated ``course.yaml``."""

    title: str
    """Course title (printouts, card context)."""
    deck: str
    """Anki deck name; topics become subdecks ``<deck>::01 Topic``."""
    tag: str
    """Tag namespace, space-free (``deep-learning``)."""
    topics: tuple[TopicConfig, ...]
    """Topics in course order."""
    print: PrintConfig
    """Print settings."""
    templates: Path | None
    """Folder whose files override the built-in templates/CSS (resolved path)."""
    path: Path
    """Where the config was read from."""
    notes: NotesSyntax = field(default_factory=NotesSyntax)
    """How the notes are written (``unit:``, ``units:``, ``labels:``)."""
    cards: CardsCheck = field(default_factory=CardsCheck)
    """Which weak-card warnings ``check`` gives (``cards:``)."""

    @property
    def deck_slug(self) -> str:
        return slugify(self.deck)


def slugify(text: str) -> str:
    """Lower-case words joined by ``-``, for file names and tags.

    ``Loss & backprop`` -> ``loss-backprop``; letters of every script stay as they
    are (``Régression linéaire`` -> ``régression-linéaire``, ``注意力机制`` stays), in
    NFC whatever form they were typed in. Transliterating instead
    (``regression-lineaire``) would guess wrong for CJK (Japanese kanji read as
    Chinese pinyin), and file systems, zip files and Anki tags all take Unicode.
    ASCII text gives exactly the slugs of earlier versions (so tags and file names
    of existing decks never change): hence the ``,`` rule, which keeps ``1,000`` as
    ``1-000``, and no HTML-entity decoding.
    """
    slug = _slugify(
        text,
        allow_unicode=True,
        entities=False,
        decimal=False,
        hexadecimal=False,
        replacements=[(",", "-")],
    )
    return slug or "untitled"


def deck_component(label: str) -> str:
    """``label`` as one level of an Anki deck name: any run of ``:`` that would nest
    decks (``::``, ``:::``…) becomes one ``:``, so a title can never create a subdeck."""
    return re.sub(r":{2,}", ":", label)


# --------------------------------------------------------------------------
# YAML with line numbers


class _LineDict(dict):
    """A mapping that remembers the line of itself and of each key."""

    line: int = 0
    lines: dict[Any, int]
    broken: bool = False
    """Stands in for a value that was not a mapping (already reported)."""


class _Loader(yaml.SafeLoader):
    pass


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> _LineDict:
    loader.flatten_mapping(node)
    data = _LineDict()
    data.line = node.start_mark.line + 1
    data.lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, list | dict):
            raise yaml.MarkedYAMLError(
                problem="a key must be a plain word, not a list or mapping",
                problem_mark=key_node.start_mark,
            )
        if key in data:
            raise yaml.MarkedYAMLError(
                problem=f"duplicate key {key!r}", problem_mark=key_node.start_mark
            )
        data[key] = loader.construct_object(value_node, deep=True)
        data.lines[key] = key_node.start_mark.line + 1
    return data


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)


def yaml_problem(exc: yaml.MarkedYAMLError, text: str) -> tuple[int, str]:
    """``(line, what is wrong in plain words)`` for a YAML syntax error."""
    problem = str(exc.problem or exc)
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else 0
    start = exc.context_mark.line + 1 if exc.context_mark else line
    lines = text.split("\n")
    row = lines[line - 1] if 0 < line <= len(lines) else ""
    before = row[: mark.column] if mark else ""
    if problem.startswith(("duplicate key", "a key must be")):
        return line, problem
    if "could not determine a constructor" in problem:
        return line, "YAML tags such as '!!python/object' are not allowed; write a plain value"
    if "'\\t'" in problem:
        return line, "a tab character; indent with spaces only"
    if problem == "mapping values are not allowed here":
        if ": " in before or before.rstrip().endswith(":"):
            key, _, value = row.partition(":")
            return line, (
                f"a value with ': ' in it needs quotes, e.g. {key.strip()}: \"{value.strip()}\""
            )
        return line, (
            "this line is indented more than the keys above it; line it up with them "
            "(YAML nests by indentation)"
        )
    if problem.startswith("expected <block end>"):
        if "'<scalar>'" in problem:
            return line, "unexpected text after a quoted value; put the whole value in quotes"
        return line, (
            "this line is not indented like the lines above it; keys of one entry "
            "(such as title: and units:) must start in the same column"
        )
    if "could not find expected ':'" in problem:
        return start, "expected 'key: value' (or a list item '- value') on this line"
    if "end of stream" in problem and "quoted" in str(exc.context):
        return start, "a quote opened on this line is never closed"
    if "<stream end>" in problem:
        opened = [i for i, row in enumerate(lines, 1) if any(c in row for c in "[{")]
        return (opened or [line])[-1], (
            "the file ends before a '[' or '{' opened on this line is closed"
        )
    if "flow sequence" in str(exc.context) or "flow mapping" in str(exc.context):
        bracket = "]" if "sequence" in str(exc.context) else "}"
        return start, f"a list or mapping opened on this line is never closed with '{bracket}'"
    if "alias" in problem:
        return line, "'*' starts a YAML alias; put the value in quotes"
    return line, problem


# --------------------------------------------------------------------------
# Schema


class _Checker:
    """Collects diagnostics while walking the YAML tree."""

    def __init__(self, file: str):
        self.file = file
        self.diagnostics: list[Diagnostic] = []

    def error(self, line: int, message: str) -> None:
        self.diagnostics.append(Diagnostic(self.file, line, message))

    def mapping(self, value: Any, where: str, line: int, keys: tuple[str, ...]) -> _LineDict:
        if value is None:
            empty = _LineDict()
            empty.line, empty.lines = line, {}
            return empty
        if not isinstance(value, _LineDict):
            self.error(line, f"{where} must be a mapping of keys to values")
            empty = _LineDict()
            empty.line, empty.lines, empty.broken = line, {}, True
            return empty
        for key in list(value):
            if key in keys:
                continue
            hint = difflib.get_close_matches(str(key), keys, n=1)
            if not hint:
                allowed = ", ".join(keys)
                self.error(value.lines[key], f"unknown key {key!r} in {where} (allowed: {allowed})")
                continue
            self.error(
                value.lines[key], f"unknown key {key!r} in {where}; did you mean {hint[0]!r}?"
            )
            if hint[0] not in value:
                # read it as the key it resembles, so the typo is the only error: no
                # "needs a 'topics' key", no "video 3 is in no topic" cascade after it
                value[hint[0]] = value[key]
                value.lines[hint[0]] = value.lines[key]
        return value

    def choice(
        self, data: _LineDict, key: str, where: str, options: tuple[str, ...], default: Any
    ) -> Any:
        """One of ``options``, in any case (``A4``, ``Short``); returned in lower case."""
        value = self.get(data, key, where, str, default, check=_one_of(options))
        return value.lower() if isinstance(value, str) else value

    def get(
        self,
        data: _LineDict,
        key: str,
        where: str,
        kind: type | tuple[type, ...],
        default: Any = None,
        required: bool = False,
        check: Callable[[Any], str | None] | None = None,
    ) -> Any:
        line = data.lines.get(key, data.line)
        if key not in data or data[key] is None:
            if required and not data.broken:  # a non-mapping is one error, not one per key
                self.error(data.line, f"{where} needs a {key!r} key")
            return default
        value = data[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if isinstance(value, bool) and bool not in kinds:
            ok = False
        else:
            ok = isinstance(value, kinds)
        if not ok:
            names = "a number" if float in kinds else " or ".join(_type_name(k) for k in kinds)
            self.error(line, f"{where}.{key} must be {names}, not {value!r}")
            return default
        if check:
            problem = check(value)
            if problem:
                self.error(line, f"{where}.{key} {problem}")
                return default
        return value


def _type_name(kind: type) -> str:
    return {
        str: "text",
        int: "a whole number",
        float: "a number",
        bool: "true or false",
        list: "a list",
    }.get(kind, kind.__name__)


def _one_of(options: tuple[str, ...]) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if str(value).lower() in options:
            return None
        return f"must be one of {', '.join(options)}, not {value!r}"

    return check


def _nonempty(value: Any) -> str | None:
    return None if str(value).strip() else "must not be empty"


def _deck_name(value: Any) -> str | None:
    parts = str(value).split("::")
    if not all(p.strip() for p in parts):
        return "must not be empty or have an empty part between '::' (Anki subdeck separator)"
    return None


_RANGE = re.compile(r"^\s*(\d+)\s*(?:(?:-|–|—|\.\.)\s*(\d+))?\s*$")


def _parse_range(value: Any) -> tuple[int, int] | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value, value
    if (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        return value[0], value[1]
    if isinstance(value, str):
        m = _RANGE.match(value)
        if m:
            first = int(m.group(1))
            return first, int(m.group(2) or first)
    return None


TOP_KEYS = (
    "title",
    "deck",
    "tag",
    "templates",
    "unit",
    "units",
    "labels",
    "topics",
    "print",
    "cards",
)
TOPIC_KEYS = ("title", "units", "videos", "focus", "handout_answers")
UNITS_KEYS = ("heading",)
LABEL_KEYS = ("key_points", "questions")
PRINT_KEYS = ("paper", "min_font_pt", "max_font_pt", "fonts", "cheatsheet", "handouts")
SHEET_KEYS = ("answers", "columns", "landscape", "context", "front_matter")
CARDS_KEYS = ("ignore", "enumeration_items", "duplicate_similarity")


def read_config(
    path: Path, display: str | None = None
) -> tuple[CourseConfig | None, list[Diagnostic]]:
    """Read ``course.yaml`` and collect every problem without raising.

    The config is returned even when some keys are wrong (bad values fall back to
    their defaults), so the notes can still be checked against it; it is ``None``
    when the file cannot be read as YAML at all or its topics are wrong.
    """
    file = display or str(path)
    if not path.is_file():
        return None, [
            Diagnostic(
                file, 0, "course config not found; create it (see README: course.yaml reference)"
            )
        ]
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        return None, [Diagnostic(file, line, "not valid UTF-8; save the file as UTF-8")]
    try:
        raw = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        line, message = yaml_problem(exc, text)
        return None, [Diagnostic(file, line, f"invalid YAML: {message}")]
    except yaml.YAMLError as exc:
        return None, [Diagnostic(file, 0, f"invalid YAML: {exc}")]

    c = _Checker(file)
    top = c.mapping(raw, "the course config", 1, TOP_KEYS)
    title = c.get(top, "title", "course", str, "", required=True, check=_nonempty)
    deck = c.get(top, "deck", "course", str, title, check=_deck_name)
    tag = c.get(
        top,
        "tag",
        "course",
        str,
        slugify(deck or title or "course"),
        check=lambda v: (
            None
            if re.fullmatch(r"[\w-]+", v)
            else "must be one word without spaces or '::' (letters, digits, '-', '_')"
        ),
    )
    templates_value = c.get(top, "templates", "course", str, None)
    templates = (path.parent / templates_value).resolve() if templates_value else None
    if templates is not None and not templates.is_dir():
        c.error(top.lines["templates"], f"templates folder {templates_value!r} does not exist")
    before = len(c.diagnostics)
    topics = _load_topics(c, top)
    # without every topic, each of its videos would be "in no topic": noise after the
    # real error, so the notes are not checked against a config whose topics are broken
    topics_broken = len(c.diagnostics) > before or not topics
    print_cfg = _load_print(c, top)
    notes = _load_notes_syntax(c, top)
    cards = _load_cards_check(c, top)
    config = CourseConfig(
        title=(title or "").strip() or "Untitled course",
        deck=(deck or title or "").strip() or "Untitled course",
        tag=tag,
        topics=topics,
        print=print_cfg,
        templates=templates,
        path=path,
        notes=notes,
        cards=cards,
    )
    return (None if topics_broken else config), c.diagnostics


def _load_notes_syntax(c: _Checker, top: _LineDict) -> NotesSyntax:
    word = c.get(
        top,
        "unit",
        "course",
        str,
        None,
        check=lambda v: (
            None
            if re.fullmatch(r"[^\W\d_]+", v.strip())
            else "must be one word of letters, e.g. Lecture"
        ),
    )
    units = c.mapping(top.get("units"), "units", top.lines.get("units", 1), UNITS_KEYS)
    heading = c.get(
        units,
        "heading",
        "units",
        int,
        None,
        check=lambda v: None if 1 <= v <= 6 else "must be a heading level from 1 to 6",
    )
    labels = c.mapping(top.get("labels"), "labels", top.lines.get("labels", 1), LABEL_KEYS)
    found: dict[str, tuple[str, ...]] = {}
    for key in LABEL_KEYS:
        value = c.get(labels, key, "labels", (list, str), [])
        items = [value] if isinstance(value, str) else value
        if not all(isinstance(v, str) and v.strip() for v in items):
            c.error(labels.lines.get(key, labels.line), f"labels.{key} must be a list of words")
            items = []
        found[key] = tuple(v.strip() for v in items)
    return NotesSyntax(
        unit_word=word.strip() if word else None,
        unit_heading=heading,
        key_point_labels=found["key_points"],
        question_labels=found["questions"],
    )


def _load_topics(c: _Checker, top: _LineDict) -> tuple[TopicConfig, ...]:
    entries = c.get(top, "topics", "course", list, [], required=True)
    if "topics" in top and isinstance(top["topics"], list) and not entries:
        c.error(top.lines["topics"], "topics must list at least one topic")
    topics = []
    for i, entry in enumerate(entries, 1):
        where = f"topics[{i}]"
        line = entry.line if isinstance(entry, _LineDict) else top.lines.get("topics", 0)
        if not isinstance(entry, _LineDict):
            title = entry if isinstance(entry, str) else "Foundations"
            c.error(
                line,
                f"{where} must be a title and a range of units, like '- title: {title}' "
                "with 'units: 1-3' under it",
            )
            continue
        data = c.mapping(entry, where, line, TOPIC_KEYS)
        title = c.get(data, "title", where, str, "", required=True, check=_nonempty)
        # ``units:`` and ``videos:`` are the same key (the first user's word is ``videos``)
        key = "units" if "units" in data else "videos"
        videos = data.get(key)
        span = _parse_range(videos)
        if "units" in data and "videos" in data:
            c.error(data.lines["videos"], f"{where} has both 'units' and 'videos'; keep one")
        if key not in data:
            c.error(data.line, f"{where} needs a 'units' key, e.g. units: 1-3")
        elif span is None or span[0] > span[1] or span[0] < 0:
            c.error(
                data.lines[key],
                f"{where}.{key} must be a range like 4-7 (first-last, inclusive), not {videos!r}",
            )
        focus = c.get(data, "focus", where, bool, False)
        answers = c.choice(data, "handout_answers", where, ANSWER_MODES, None)
        if title and span and span[0] <= span[1]:
            topics.append(TopicConfig(title.strip(), span[0], span[1], focus, answers, data.line))
    return tuple(topics)


def _load_cards_check(c: _Checker, top: _LineDict) -> CardsCheck:
    data = c.mapping(top.get("cards"), "cards", top.lines.get("cards", 1), CARDS_KEYS)
    defaults = CardsCheck()
    ignore = c.get(data, "ignore", "cards", (list, str), [])
    rules = []
    for rule in [ignore] if isinstance(ignore, str) else ignore:
        if rule in CARD_RULES:
            rules.append(rule)
            continue
        hint = difflib.get_close_matches(str(rule), CARD_RULES, n=1)
        c.error(
            data.lines.get("ignore", data.line),
            f"cards.ignore: unknown rule {rule!r}; "
            + (f"did you mean {hint[0]!r}?" if hint else f"rules: {', '.join(CARD_RULES)}"),
        )
    items = c.get(
        data,
        "enumeration_items",
        "cards",
        int,
        defaults.enumeration_items,
        check=lambda v: None if v >= 2 else "must be 2 or more",
    )
    similarity = c.get(
        data,
        "duplicate_similarity",
        "cards",
        (int, float),
        defaults.duplicate_similarity,
        check=lambda v: None if 0 < v <= 100 else "must be between 0 and 100",
    )
    return CardsCheck(tuple(rules), items, float(similarity))


def _load_print(c: _Checker, top: _LineDict) -> PrintConfig:
    data = c.mapping(top.get("print"), "print", top.lines.get("print", 1), PRINT_KEYS)
    defaults = PrintConfig()
    paper = c.choice(data, "paper", "print", PAPER_SIZES, defaults.paper)
    positive = lambda v: None if 3 <= v <= 30 else "must be between 3 and 30 (points)"  # noqa: E731
    floor = float(
        c.get(data, "min_font_pt", "print", (int, float), defaults.min_font_pt, check=positive)
    )
    ceiling = float(
        c.get(data, "max_font_pt", "print", (int, float), defaults.max_font_pt, check=positive)
    )
    if ceiling < floor:
        c.error(data.lines.get("max_font_pt", data.line), "print.max_font_pt is below min_font_pt")
    sheets = {}
    for name in ("cheatsheet", "handouts"):
        base: SheetConfig = getattr(defaults, name)
        where = f"print.{name}"
        sheet = c.mapping(data.get(name), where, data.lines.get(name, data.line), SHEET_KEYS)
        sheets[name] = SheetConfig(
            answers=c.choice(sheet, "answers", where, ANSWER_MODES, base.answers),
            columns=c.get(
                sheet,
                "columns",
                where,
                int,
                base.columns,
                check=lambda v: None if 1 <= v <= 6 else "must be between 1 and 6",
            ),
            landscape=c.get(sheet, "landscape", where, bool, base.landscape),
            context=c.get(sheet, "context", where, bool, base.context),
            front_matter=c.get(sheet, "front_matter", where, bool, base.front_matter),
        )
    fonts = c.get(data, "fonts", "print", (list, str), [], check=_font_families)
    fonts = tuple([fonts] if isinstance(fonts, str) else fonts)
    return PrintConfig(paper=paper, min_font_pt=floor, max_font_pt=ceiling, fonts=fonts, **sheets)


def _font_families(value: Any) -> str | None:
    """``print.fonts``: family names (they go into CSS, so no quotes or semicolons)."""
    names = [value] if isinstance(value, str) else value
    for name in names:
        if not isinstance(name, str) or not name.strip() or re.search(r"[\"';{}\\<>&]", name):
            return f"must be font family names, such as 'Noto Sans CJK SC', not {name!r}"
    return None
