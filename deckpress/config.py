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

from .errors import Diagnostic

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
        default_factory=lambda: SheetConfig(answers="short", columns=3, landscape=True)
    )
    handouts: SheetConfig = field(
        default_factory=lambda: SheetConfig(answers="full", columns=3, landscape=True)
    )


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

    @property
    def deck_slug(self) -> str:
        return slugify(self.deck)


def slugify(text: str) -> str:
    """Lower-case ASCII words joined by ``-`` (``Loss & backprop`` -> ``loss-backprop``)."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug or "untitled"


# --------------------------------------------------------------------------
# YAML with line numbers


class _LineDict(dict):
    """A mapping that remembers the line of itself and of each key."""

    line: int = 0
    lines: dict[Any, int]


class _Loader(yaml.SafeLoader):
    pass


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> _LineDict:
    loader.flatten_mapping(node)
    data = _LineDict()
    data.line = node.start_mark.line + 1
    data.lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in data:
            raise yaml.MarkedYAMLError(
                problem=f"duplicate key {key!r}", problem_mark=key_node.start_mark
            )
        data[key] = loader.construct_object(value_node, deep=True)
        data.lines[key] = key_node.start_mark.line + 1
    return data


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)


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
            empty.line, empty.lines = line, {}
            return empty
        for key in value:
            if key not in keys:
                hint = difflib.get_close_matches(str(key), keys, n=1)
                suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
                allowed = ", ".join(keys)
                self.error(
                    value.lines[key],
                    f"unknown key {key!r} in {where}{suggestion} (allowed: {allowed})",
                )
        return value

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
            if required:
                self.error(data.line, f"{where} needs a {key!r} key")
            return default
        value = data[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if isinstance(value, bool) and bool not in kinds:
            ok = False
        else:
            ok = isinstance(value, kinds)
        if not ok:
            names = " or ".join(_type_name(k) for k in kinds)
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
        return None if value in options else f"must be one of {', '.join(options)}, not {value!r}"

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


TOP_KEYS = ("title", "deck", "tag", "templates", "topics", "print")
TOPIC_KEYS = ("title", "videos", "focus", "handout_answers")
PRINT_KEYS = ("paper", "min_font_pt", "max_font_pt", "fonts", "cheatsheet", "handouts")
SHEET_KEYS = ("answers", "columns", "landscape")


def read_config(
    path: Path, display: str | None = None
) -> tuple[CourseConfig | None, list[Diagnostic]]:
    """Read ``course.yaml`` and collect every problem without raising.

    The config is returned even when some keys are wrong (bad values fall back to
    their defaults, bad topics are left out), so the notes can still be checked
    against it; it is ``None`` only when the file cannot be read as YAML at all.
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
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        return None, [Diagnostic(file, line, f"invalid YAML: {exc.problem}")]
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
    topics = _load_topics(c, top)
    print_cfg = _load_print(c, top)
    config = CourseConfig(
        title=(title or "").strip() or "Untitled course",
        deck=(deck or title or "").strip() or "Untitled course",
        tag=tag,
        topics=topics,
        print=print_cfg,
        templates=templates,
        path=path,
    )
    return config, c.diagnostics


def _load_topics(c: _Checker, top: _LineDict) -> tuple[TopicConfig, ...]:
    entries = c.get(top, "topics", "course", list, [], required=True)
    if "topics" in top and isinstance(top["topics"], list) and not entries:
        c.error(top.lines["topics"], "topics must list at least one topic")
    topics = []
    for i, entry in enumerate(entries, 1):
        where = f"topics[{i}]"
        line = entry.line if isinstance(entry, _LineDict) else top.lines.get("topics", 0)
        data = c.mapping(entry, where, line, TOPIC_KEYS)
        title = c.get(data, "title", where, str, "", required=True, check=_nonempty)
        videos = data.get("videos")
        span = _parse_range(videos)
        if "videos" not in data:
            c.error(data.line, f"{where} needs a 'videos' key, e.g. videos: 1-3")
        elif span is None or span[0] > span[1] or span[0] < 0:
            c.error(
                data.lines["videos"],
                f"{where}.videos must be a range like 4-7 (first-last, inclusive), not {videos!r}",
            )
        focus = c.get(data, "focus", where, bool, False)
        answers = c.get(data, "handout_answers", where, str, None, check=_one_of(ANSWER_MODES))
        if title and span and span[0] <= span[1]:
            topics.append(TopicConfig(title.strip(), span[0], span[1], focus, answers, data.line))
    return tuple(topics)


def _load_print(c: _Checker, top: _LineDict) -> PrintConfig:
    data = c.mapping(top.get("print"), "print", top.lines.get("print", 1), PRINT_KEYS)
    defaults = PrintConfig()
    paper = c.get(data, "paper", "print", str, defaults.paper, check=_one_of(PAPER_SIZES))
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
            answers=c.get(sheet, "answers", where, str, base.answers, check=_one_of(ANSWER_MODES)),
            columns=c.get(
                sheet,
                "columns",
                where,
                int,
                base.columns,
                check=lambda v: None if 1 <= v <= 6 else "must be between 1 and 6",
            ),
            landscape=c.get(sheet, "landscape", where, bool, base.landscape),
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
