"""The markdown reader of the notes: markdown-it with the syntax notes use, and helpers
over its token stream (blocks, list items, visible text, a paragraph's lines)."""

from __future__ import annotations

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.front_matter import front_matter_plugin

# Markdown-it with the syntax people use in notes: math (so `$a*b*c$` is not
# emphasis), footnotes (kept in place: their definition is unit context) and tables.
md = (
    MarkdownIt("commonmark")
    .use(dollarmath_plugin)
    .use(footnote_plugin)
    .use(front_matter_plugin)
    .enable("table")
    .disable("footnote_tail")
)


# --------------------------------------------------------------------------
# Token helpers


def block_end(tokens: list[Token], i: int) -> int:
    """Index of the token closing the block opened at ``i`` (or ``i`` itself)."""
    if tokens[i].nesting != 1:
        return i
    depth = 0
    for j in range(i, len(tokens)):
        depth += tokens[j].nesting
        if depth == 0:
            return j
    return len(tokens) - 1


def list_items(tokens: list[Token]) -> list[tuple[int, int]]:
    """``[start, end)`` source lines of each top-level item of a list."""
    base = tokens[0].level + 1
    spans = []
    for token in tokens:
        if token.type == "list_item_open" and token.level == base and token.map:
            spans.append((token.map[0], token.map[1]))
    return spans


def plain_text(children: list[Token]) -> str:
    """The visible text of inline tokens (markup dropped), breaks as spaces."""
    parts = []
    for child in children:
        if child.type in ("text", "code_inline", "html_inline"):
            parts.append(child.content)
        elif child.type == "math_inline":
            parts.append(f"${child.content}$")
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.children:
            parts.append(plain_text(child.children))
    return "".join(parts).strip()


def line_groups(
    inline: Token, lines: list[str], start: int, end: int
) -> list[tuple[int, int, list[Token]]]:
    """Split a paragraph's inline children into source lines: ``(start, end, children)``.

    Breaks inside an open ``**strong**`` run do not split, so a bold question
    may wrap over several lines.
    """
    children = inline.children or []
    groups: list[list[Token]] = [[]]
    depth = 0
    for child in children:
        if child.type in ("softbreak", "hardbreak") and depth == 0:
            groups.append([])
            continue
        if child.type == "strong_open":
            depth += 1
        elif child.type == "strong_close":
            depth = max(0, depth - 1)
        groups[-1].append(child)
    breaks = [sum(1 for c in g if c.type in ("softbreak", "hardbreak")) + 1 for g in groups]
    if sum(breaks) != end - start:
        # Line breaks hidden inside code spans, math or links: split by source lines
        return source_groups(lines, start, end)
    out = []
    line = start
    for group, count in zip(groups, breaks, strict=True):
        out.append((line, line + count, group))
        line += count
    return out


def source_groups(lines: list[str], start: int, end: int) -> list[tuple[int, int, list[Token]]]:
    """A paragraph's lines one by one (a ``**bold**`` run may wrap), with their own inline
    tokens: for paragraphs whose line breaks the inline tokens do not show (a ``$$``
    formula or a code span over several lines)."""
    out = []
    line = start
    while line < end:
        last = line + 1
        text = lines[line]
        while last < end and text.count("**") % 2 == 1:
            text += "\n" + lines[last]
            last += 1
        tokens = md.parseInline(text)
        out.append((line, last, tokens[0].children or [] if tokens else []))
        line = last
    return out
