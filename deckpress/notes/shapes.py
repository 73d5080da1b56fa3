"""Shapes the reader recognises besides the unit and question rules of :mod:`.syntax`:
raw HTML that is structure, not content (``<details>``/``<summary>`` folds, empty
spacers and page breaks, comments), list markers, inline labels, Obsidian callouts
and embeds, unclosed code fences."""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown_it.token import Token

MARKER_SRC = re.compile(r"^\s*(?:[-+*]|\d{1,9}[.)])(?:[ \t]+|$)")
# Raw HTML that only wraps or spaces content: labels and separators, never content.
DETAILS_CLOSE = re.compile(r"^\s*</details>\s*$", re.IGNORECASE)
EMPTY_HTML = re.compile(
    r"^\s*(?:<(?:div|span|p|br|hr)\b[^>]*/?>\s*(?:</(?:div|span|p)>)?\s*)+$", re.IGNORECASE
)
WIKI_EMBED = re.compile(r"!\[\[([^\]\n]+)\]\]")
INLINE_LABEL = re.compile(r"^\s*(\*\*|__)(?P<label>[^*_\n]+?)\1\s*:?\s*\S")
CALLOUT = re.compile(r"^\s*\[!(?:question|faq|help|quiz)\][-+]?\s*(?P<title>.*)$", re.IGNORECASE)


def fence_closes(token: Token, body: list[str]) -> bool:
    """Whether a fence's lines after its opening end with a closing fence."""
    last = next((line for line in reversed(body) if line.strip()), "").strip()
    return len(last) >= len(token.markup) and set(last) == {token.markup[0]}


COMMENT = re.compile(r"\s*<!--.*?-->\s*", re.DOTALL)
ANSWER_SUMMARY = re.compile(
    r"^\W*(?:click\s+(?:here\s+)?to\s+)?(?:show|reveal|see|view|open|toggle|expand)?\s*(?:the\s+)?"
    r"(?:answers?|ans|a|solutions?|réponses?|antwort|lösung|respuesta|solución|resposta|ответ|答案)?"
    r"\W*$",
    re.IGNORECASE,
)
DETAILS_PARTS = re.compile(
    r"^\s*<details\b[^>]*>\s*(?:<summary\b[^>]*>(?P<summary>.*?)</summary>)?"
    r"(?P<inner>.*?)(?P<close></details>\s*)?$",
    re.IGNORECASE | re.DOTALL,
)
SUMMARY_ONLY = re.compile(
    r"^\s*<summary\b[^>]*>(?P<summary>.*?)</summary>(?P<inner>.*?)(?P<close></details>\s*)?$",
    re.IGNORECASE | re.DOTALL,
)


@dataclass(frozen=True)
class Details:
    summary: str
    """The summary's HTML, ``""`` when there is none."""
    inner: str | None
    """What the block holds after the summary when it also closes, else ``None``."""


def details_parts(text: str) -> Details | None:
    """``<details>``/``<summary>`` opening an HTML block, split into its parts."""
    m = DETAILS_PARTS.match(text) or SUMMARY_ONLY.match(text)
    if m is None:
        return None
    inner = m.group("inner")
    if m.group("close") is None:
        if inner.strip():
            return None  # HTML that only starts with <details>: not ours to read
        return Details((m.group("summary") or "").strip(), None)
    return Details((m.group("summary") or "").strip(), inner)


def plain_html(fragment: str) -> str:
    return re.sub(r"<[^>]+>", "", fragment).strip()
