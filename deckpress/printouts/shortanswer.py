"""The short form of an answer (``answers: short``), as markdown source.

Read from markdown-it's block tokens, never from raw lines, so a short answer is
never a fence, a list marker or HTML source:

* the first paragraph: its first sentence;
* a list first: its first item (that item's first sentence);
* a code block first: the code's first non-blank line, as inline code;
* display math first: the formula;
* lines that are only HTML tags (``<details>``, ``<summary>…``) are skipped.

A sentence ends at ``.``, ``!`` or ``?`` followed by a space and a capital,
digit or opening mark, never inside inline code or math.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin

_blocks = MarkdownIt("commonmark", {"html": True}).enable("table")
_blocks.use(dollarmath_plugin, allow_space=False, allow_digits=False, double_inline=True)

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9“\"(`*_$\\])")
_PROTECTED = re.compile(
    r"(`+).+?\1|\$\$.+?\$\$|\$[^$\s][^$]*?\$|\\\(.+?\\\)|\\\[.+?\\\]", re.DOTALL
)
_ONLY_TAGS = re.compile(r"\s*(?:<[^>]*>\s*)+")
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?>")


def short_form(text: str) -> str:
    """See the module docstring."""
    for token in _blocks.parse(text):
        if token.type in ("fence", "code_block"):
            first = next((line for line in token.content.splitlines() if line.strip()), "")
            return _as_code(first.strip())
        if token.type in ("math_block", "math_block_label"):
            return f"$${token.content.strip()}$$"
        if token.type == "inline":
            content = token.content.strip()
            if not content or _ONLY_TAGS.fullmatch(content):
                continue
            return first_sentence(_TAG.sub("", content) if content.startswith("<") else content)
    return ""


def first_sentence(paragraph: str) -> str:
    """The first sentence of one paragraph's markdown source."""
    flat = paragraph.replace("\n", " ").strip()
    masked = _PROTECTED.sub(lambda m: "x" * len(m.group(0)), flat)
    end = _SENTENCE_END.search(masked)
    return (flat[: end.start()] if end else flat).strip()


def _as_code(line: str) -> str:
    """``line`` as one inline code span (fenced with more backticks than it holds)."""
    longest = max((len(run) for run in re.findall(r"`+", line)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if line.startswith("`") or line.endswith("`") else ""
    return f"{fence}{pad}{line}{pad}{fence}" if line else ""
