"""Markdown field text -> safe HTML, shared by every renderer.

Raw HTML in the notes is escaped (shown verbatim, never executed); inline
code, emphasis, lists, tables and code blocks are kept. Two targets:

* **cards** (:func:`html_block`, :func:`html_inline`): math stays LaTeX between
  ``\\(…\\)`` / ``\\[…\\]`` for the MathJax every Anki client bundles;
* **print** (:func:`print_block`, :func:`print_inline`): math is typeset to SVG
  (:mod:`deckpress.printouts.formulas`), bare URLs become links (so they break without hyphens).

Math written as ``$…$``, ``$$…$$``, ``\\(…\\)`` or ``\\[…\\]`` is recognised by
the parser (mdit-py-plugins' dollarmath, and texmath's rule machinery for the
bracket forms), so emphasis and backslash escapes never touch it. Code blocks
with a language are highlighted by Pygments (CSS classes; the styles live in
``card.css`` and ``print.css``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from html import escape as escape_html
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.texmath.index import make_block_func, make_inline_func

# texmath's "brackets" rules, under names of their own (its rule is called
# "math_inline" like dollarmath's, and it has no inline \[…\]).
_BRACKET_INLINE = [
    {
        "name": "math_paren",
        "rex": re.compile(r"^\\\((.+?)\\\)", re.DOTALL),
        "tmpl": "",
        "tag": "\\(",
    },
    {
        "name": "math_bracket",
        "rex": re.compile(r"^\\\[(.+?)\\\]", re.DOTALL),
        "tmpl": "",
        "tag": "\\[",
    },
]
_BRACKET_BLOCK = [
    {
        "name": "math_bracket_block",
        "rex": re.compile(r"^\\\[([\s\S]+?)\\\]", re.MULTILINE),
        "tmpl": "",
        "tag": "\\[",
    },
]
INLINE_MATH = ("math_inline", "math_paren")
"""Token types of inline (text-style) math."""
DISPLAY_MATH = (
    "math_inline_double",
    "math_bracket",
    "math_block",
    "math_block_label",
    "math_bracket_block",
)
"""Token types of display math."""


def _highlight(code: str, lang: str, _attrs: Any) -> str:
    """Pygments token spans (classes only) for a fenced block with a known language."""
    if not lang:
        return ""
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        lexer = get_lexer_by_name(lang)
    except ClassNotFound:
        return ""
    return highlight(code, lexer, HtmlFormatter(nowrap=True))


def _literal_star(state: Any, silent: bool) -> bool:
    """A lone ``*`` between letters or digits is multiplication (``a*b*c``, ``mu*v``),
    not emphasis; ``**bold**`` and ``*word*`` are unaffected."""
    src, pos = state.src, state.pos
    if (
        src[pos] != "*"
        or pos == 0
        or pos + 1 >= len(src)
        or not (src[pos - 1].isalnum() and src[pos + 1].isalnum())
    ):
        return False
    if not silent:
        state.push("text", "", 0).content = "*"
    state.pos += 1
    return True


def _parser(math: Any, linkify: bool = False) -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "highlight": _highlight}).enable("table")
    # pandoc's rule: "$5 and $6" stay dollars (no space inside the dollars, no digit after)
    md.use(dollarmath_plugin, allow_space=False, allow_digits=False, double_inline=True)
    md.inline.ruler.before("emphasis", "literal_star", _literal_star)
    for rule in _BRACKET_INLINE:
        md.inline.ruler.before("escape", rule["name"], make_inline_func(rule))
    for rule in _BRACKET_BLOCK:
        md.block.ruler.before("fence", rule["name"], make_block_func(rule))
    if linkify:
        md.enable("linkify")
        md.options["linkify"] = True
    for kind in INLINE_MATH + DISPLAY_MATH:
        md.add_render_rule(kind, math)
    md.use(footnote_plugin, inline=False)
    for kind, render in _FOOTNOTE_RULES.items():
        md.add_render_rule(kind, render)
    # ==marked== text: the author's own blanks on key-point cards, a highlight in print
    md.inline.ruler.before("emphasis", "mark", _mark)
    md.core.ruler.after("normalize", "image_spaces", _image_spaces)
    return md


_MARK = re.compile(r"==(?=\S)(.+?)(?<=\S)==")


def _mark(state: Any, silent: bool) -> bool:
    """``==text==`` -> ``<mark>text</mark>`` (markdown-it-mark's syntax; mdit-py-plugins has
    no port of it). The marked text is parsed as inline markdown."""
    if not state.src.startswith("==", state.pos):
        return False
    m = _MARK.match(state.src, state.pos)
    if not m or m.end() > state.posMax:
        return False
    if not silent:
        state.push("mark_open", "mark", 1)
        old_max, state.pos, state.posMax = state.posMax, state.pos + 2, m.end() - 2
        state.md.inline.tokenize(state)
        state.posMax = old_max
        state.push("mark_close", "mark", -1)
    state.pos = m.end()
    return True


# ![alt](images/loss curve.png): not an image for CommonMark, but one in every editor
# people write notes with (Typora, Obsidian, VS Code); read it as ![alt](<…>).
_SPACED_IMAGE = re.compile(r'(!\[[^\]\n]*\]\()(?!<)([^()<>\n"]*?\s[^()<>\n"]*?)(\))')


def _image_spaces(state: Any) -> None:
    if "![" in state.src:
        state.src = _SPACED_IMAGE.sub(
            lambda m: f"{m.group(1)}<{m.group(2).strip()}>{m.group(3)}", state.src
        )


# Footnotes are shown by their label as written ([^1] -> ¹, [^paper] -> "paper"), so a
# note whose fields are rendered one by one numbers them the same everywhere.
_FOOTNOTE_RULES = {
    "footnote_ref": lambda self, tokens, idx, options, env: (
        f'<sup class="footnote-ref">{escape_html(tokens[idx].meta["label"])}</sup>'
    ),
    "footnote_block_open": lambda *_: '<div class="footnotes">\n',
    "footnote_block_close": lambda *_: "</div>\n",
    "footnote_open": lambda self, tokens, idx, options, env: (
        f'<div class="footnote"><sup>{escape_html(tokens[idx].meta["label"] or "")}</sup> '
    ),
    "footnote_close": lambda *_: "</div>\n",
    "footnote_anchor": lambda *_: "",
}
_FOOTNOTE_DEF = re.compile(r"^\[\^([^\]\s]+)\]:[ \t]*\S.*$", re.MULTILINE)
_FOOTNOTE_REF = re.compile(r"\[\^([^\]\s]+)\](?!:)")
FOOTNOTES = re.compile(r'\n?<div class="footnotes">.*</div>\s*$', re.DOTALL)
"""The footnotes a rendered field ends with."""


def footnote_definitions(texts: Iterable[str]) -> dict[str, str]:
    """``label -> definition line`` of every footnote defined in ``texts`` (a video's)."""
    found: dict[str, str] = {}
    for text in texts:
        for m in _FOOTNOTE_DEF.finditer(text):
            found.setdefault(m.group(1), m.group(0))
    return found


def with_footnotes(text: str, definitions: dict[str, str]) -> str:
    """``text`` plus the definitions of the footnotes it refers to but does not define
    (a key point refers to a footnote defined under the video's last answer)."""
    own = set(footnote_definitions([text]))
    wanted = [
        definitions[label]
        for label in dict.fromkeys(_FOOTNOTE_REF.findall(text))
        if label in definitions and label not in own
    ]
    return f"{text}\n\n" + "\n".join(wanted) if wanted else text


def _mathjax(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    """Cards: the LaTeX as written, inside MathJax delimiters (Anki typesets it)."""
    token = tokens[idx]
    tex = escape_html(token.content.strip(), quote=False)
    if token.type in DISPLAY_MATH:
        if token.block:
            return f'<div class="math display">\\[{tex}\\]</div>\n'
        return f'<span class="math display">\\[{tex}\\]</span>'
    return f'<span class="math">\\({tex}\\)</span>'


def _svg(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    """Print: the formula typeset to SVG (no TeX installation, nothing fetched)."""
    from .printouts.formulas import svg

    token = tokens[idx]
    display = token.type in DISPLAY_MATH
    html = str(svg(token.content.strip(), display))
    return f'<p class="math-block">{html}</p>\n' if token.block else html


_md = _parser(_mathjax)
_print_md = _parser(_svg, linkify=True)


@lru_cache(maxsize=8192)
def html_block(text: str) -> Markup:
    """Cards: render block markdown (paragraphs, lists, code) to HTML."""
    return Markup(_md.render(text).strip())


@lru_cache(maxsize=8192)
def html_inline(text: str) -> Markup:
    """Cards: markdown as one inline run (titles, prompts, key points): no ``<p>``."""
    return Markup(_md.renderInline(text.replace("\n", " ")).strip())


@lru_cache(maxsize=8192)
def print_block(text: str) -> Markup:
    """Print: render block markdown to HTML, math as SVG."""
    return Markup(_print_md.render(text).strip())


@lru_cache(maxsize=8192)
def print_inline(text: str) -> Markup:
    """Print: markdown as one inline run, math as SVG."""
    return Markup(_print_md.renderInline(text.replace("\n", " ")).strip())


def first_sentence(text: str) -> str:
    """The short form of an answer (markdown source), for ``answers: short``.

    The first block decides: a paragraph gives its first sentence; a list, its
    first item (its first sentence); a code block, its first line as inline code;
    HTML-only lines are skipped. Sentences never end inside code or math.
    """
    from .printouts.shortanswer import short_form

    return short_form(text)
