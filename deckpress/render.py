"""Markdown field text -> safe HTML, shared by every renderer.

Raw HTML in the notes is escaped (shown verbatim, never executed); inline
code, emphasis, lists and code blocks are kept.
"""

from __future__ import annotations

import re
from functools import lru_cache

from markdown_it import MarkdownIt
from markupsafe import Markup

_md = MarkdownIt("commonmark", {"html": False}).enable("table")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9“\"(`*_])")


@lru_cache(maxsize=8192)
def html_block(text: str) -> Markup:
    """Render block markdown (paragraphs, lists, code) to HTML."""
    return Markup(_md.render(text).strip())


@lru_cache(maxsize=8192)
def html_inline(text: str) -> Markup:
    """Render markdown as one inline run (titles, prompts, key points): no ``<p>``."""
    return Markup(_md.renderInline(text.replace("\n", " ")).strip())


def first_sentence(text: str) -> str:
    """The answer's first sentence (markdown source), for "short" answers."""
    first_para = text.strip().split("\n\n", 1)[0]
    parts = _SENTENCE_END.split(first_para.replace("\n", " "), maxsplit=1)
    return parts[0].strip()
