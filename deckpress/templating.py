"""The one jinja2 Environment factory: user overrides first, then built-in templates."""

from __future__ import annotations

import hashlib
import os
import pickle
import posixpath
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

import jinja2
from markupsafe import Markup

from .errors import BuildError
from .render import (
    first_sentence,
    footnote_definitions,
    print_block,
    print_inline,
    with_footnotes,
)

_HERE = Path(__file__).resolve().parent
# A source checkout keeps templates/ beside the package; an installed wheel ships
# them as deckpress/templates.
BUILTIN_TEMPLATES = next(
    (p for p in (_HERE.parent / "templates", _HERE / "templates") if p.is_dir()),
    _HERE.parent / "templates",
)


def template_dirs(override: Path | None) -> list[Path]:
    """Folders searched for templates and CSS, highest priority first."""
    return [p for p in (override, BUILTIN_TEMPLATES) if p is not None]


SETTINGS = {"trim_blocks": True, "lstrip_blocks": True, "keep_trailing_newline": True}
"""How the templates are read (compiled templates are kept per these, see :func:`cache_in`)."""
AUTOESCAPED = ("html", "htm", "xml", "j2")
"""Template file extensions whose output is HTML-escaped."""

_compiled_in: Path | None = None


def get_env(override: Path | None = None) -> jinja2.Environment:
    """A strict, autoescaping environment with the markdown filters installed."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(p) for p in template_dirs(override)]),
        autoescape=jinja2.select_autoescape(AUTOESCAPED, default=True),
        undefined=jinja2.StrictUndefined,
        bytecode_cache=_bytecode_cache(),
        **SETTINGS,
    )
    env.filters["md"] = md
    env.filters["md_inline"] = md_inline
    env.filters["first_sentence"] = first_sentence
    env.tests["text_run"] = text_run
    return env


_NOT_TEXT = re.compile(
    r"<(?:p|div|ul|ol|li|dl|pre|table|blockquote|h[1-6]|hr|section|figure|details)\b"
    r"|<img\b(?![^>]*\bclass=\"math\")",
    re.IGNORECASE,
)


def text_run(html: str) -> bool:
    """Whether rendered ``html`` is one run of text (inline markup and inline formulas
    and line breaks only): no block (paragraph, list, table, code block, display
    formula, footnotes) and no picture (a jinja test, ``html is text_run``; the print
    macros start such a key point with its bullet as text)."""
    return _NOT_TEXT.search(html) is None


def cache_in(folder: Path | None) -> None:
    """Keep compiled templates in ``folder`` (``None``: compile them in every process).

    jinja2 compiles each template to Python on first use: ~15 ms for the print and
    preview templates in every build's process. Its ``FileSystemBytecodeCache`` keeps
    the result, checked against the template's source (an edited template is compiled
    again); kept in a subfolder named after jinja2's version and :data:`SETTINGS`, as
    compiled code depends on both. Applies to the environments already made too."""
    global _compiled_in
    _compiled_in = folder
    for _, env in _shared.values():
        env.bytecode_cache = _bytecode_cache()


class _KeptTemplates(jinja2.FileSystemBytecodeCache):
    """Made when first written to; a folder that cannot be read or written (read only,
    a file in its place) is no cache, not an error."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (OSError, EOFError, ValueError, TypeError, pickle.UnpicklingError):
            bucket.reset()  # unreadable or cut short: compiled again

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            Path(self.directory).mkdir(parents=True, exist_ok=True)
            super().dump_bytecode(bucket)
        except OSError:
            pass


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    if _compiled_in is None:
        return None
    identity = repr((jinja2.__version__, sorted(SETTINGS.items()), AUTOESCAPED))
    return _KeptTemplates(str(_compiled_in / hashlib.sha256(identity.encode()).hexdigest()[:16]))


def md(text: str, video: object = None) -> Markup:
    """Print: block markdown; with ``video``, its footnotes and pictures resolve."""
    return _located(print_block(_footnoted(text, video)), video)


def md_inline(text: str, video: object = None) -> Markup:
    """Print: one inline run (a block when it refers to a footnote defined elsewhere)."""
    full = _footnoted(text, video)
    return _located((print_block if full != text else print_inline)(full), video)


def _footnoted(text: str, video: object) -> str:
    if video is None or "[^" not in text:
        return text
    return with_footnotes(text, footnote_definitions(video.texts))


_IMG_SRC = re.compile(r'(<img\s[^>]*?src=")(?!data:)([^"]*)(")')


def _located(html: Markup, video: object) -> Markup:
    """Image paths relative to the source folder (they are written relative to the
    notes file); :func:`deckpress.printouts.printing.render_html` then embeds the files."""
    if video is None or "<img" not in html:
        return html
    folder = posixpath.dirname(video.loc.file)
    return Markup(
        _IMG_SRC.sub(
            lambda m: f"{m.group(1)}{posixpath.join(folder, m.group(2))}{m.group(3)}", html
        )
    )


_shared: dict[Path | None, tuple[tuple[str, ...], jinja2.Environment]] = {}


def shared_env(override: Path | None = None) -> jinja2.Environment:
    """One environment per template folder, kept across builds (``watch``): compiled
    templates are reused, and jinja reloads any template whose file changed. A file
    added to or removed from the override folder, which jinja would not notice (it may
    now shadow a built-in template), makes a new environment (see
    :func:`forget_environments`)."""
    known = _shared.get(override)
    if known is None:
        known = _shared[override] = (_listing(override), get_env(override))
    return known[1]


def forget_environments() -> None:
    """Called at the start of every build: drop the environment of any override folder
    whose list of files changed since it was made."""
    for override, (listing, _) in list(_shared.items()):
        if _listing(override) != listing:
            del _shared[override]


def _listing(folder: Path | None) -> tuple[str, ...]:
    try:
        return tuple(sorted(os.listdir(folder))) if folder is not None else ()
    except OSError:
        return ("<unreadable>",)


def asset_path(name: str, override: Path | None = None) -> Path:
    """Where a template-folder file is found, honouring overrides."""
    for folder in template_dirs(override):
        path = folder / name
        if path.is_file():
            return path
    raise BuildError(
        f"{name}: template file not found in {', '.join(map(str, template_dirs(override)))}"
    )


def read_asset(name: str, override: Path | None = None) -> str:
    """Text of a template-folder file (e.g. a CSS file), honouring overrides."""
    path = asset_path(name, override)
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        raise BuildError(f"{path}:{line}: not valid UTF-8; save the file as UTF-8") from None


@contextmanager
def template_errors() -> Iterator[None]:
    """Turn a mistake in a (user) template into a ``file:line`` :class:`BuildError`."""
    try:
        yield
    except jinja2.TemplateSyntaxError as exc:
        where = f"{exc.filename or exc.name}:{exc.lineno}"
        raise BuildError(f"{where}: template error: {exc.message}") from None
    except jinja2.TemplateError as exc:
        where = _template_frame(exc.__traceback__) or "templates"
        raise BuildError(f"{where}: template error: {exc}") from None


def _template_frame(tb: TracebackType | None) -> str | None:
    """``file:line`` of the innermost traceback frame that is a template."""
    where = None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith((".html", ".j2", ".css")):
            where = f"{filename}:{tb.tb_lineno}"
        tb = tb.tb_next
    return where
