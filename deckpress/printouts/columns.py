"""One layout pass for unbalanced columns in WeasyPrint.

WeasyPrint (``weasyprint.layout.column.columns_layout``, as of version 70) lays
out every page of a multi-column box twice: a measuring loop renders
the columns to find their height, then a final pass renders them again at that
height. With ``column-fill: auto`` (every sheet deckpress prints) and nothing
after the columns in the same box, the measuring loop always settles on the full
height left on the page — the height the final pass starts from — so it is pure
cost: about a fifth of a cold build (measured on the real notes: 5.3 s → 4.3 s of
CPU, PDFs byte-identical).

:func:`install` skips that loop in exactly that case, by adding one condition to
the library's own function (its source, as installed, edited in one place and
compiled in its module): balanced columns, columns followed by a
``column-span: all`` block and documents with CSS footnotes (whose area the
loop measures) keep the original two passes. If the installed WeasyPrint's
source does not read as expected, nothing is changed (and the layout is slower,
never different). ``tests/test_columns.py`` checks that patched and original
layouts give the same bytes.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

log = logging.getLogger(__name__)

ANCHOR = "        page_is_empty = stop_rendering = balancing = False\n        while True:\n"
"""The line before the measuring loop, and its head, as in WeasyPrint 70."""
PATCHED = """        page_is_empty = stop_rendering = balancing = False
        # deckpress (deckpress/printouts/columns.py): unbalanced columns that end
        # the box, with no CSS footnote left anywhere, are measured at the full
        # height the final pass below uses anyway: skip the measuring loop.
        single_pass = (
            style['column_fill'] == 'auto' and
            index == columns_and_blocks[-1][0] and
            not (context.footnotes or context.current_page_footnotes or
                 context.reported_footnotes))
        while not single_pass:
"""
_PATCHED_MARK = "_deckpress_single_pass"


def install() -> bool:
    """Patch WeasyPrint's multi-column layout (see the module docstring); True when the
    patched layout is in use. Idempotent; the original stays as ``.original``."""
    from weasyprint.layout import block, column

    current = column.columns_layout
    if getattr(current, _PATCHED_MARK, False):
        return True
    try:
        lines, first = _source_lines(current)
    except (OSError, TypeError):
        log.info("WeasyPrint's column layout source is not readable: two passes kept")
        return False
    source = "".join(lines)
    if source.count(ANCHOR) != 1 or getattr(block, "columns_layout", None) is not current:
        log.info("WeasyPrint's column layout is not the expected one: two passes kept")
        return False
    # the same line numbers as the library's file, so tracebacks point into it
    code = compile("\n" * (first - 1) + source.replace(ANCHOR, PATCHED), column.__file__, "exec")
    namespace = dict(vars(column))
    exec(code, namespace)  # noqa: S102 — the library's own function, one condition added
    patched = namespace["columns_layout"]
    setattr(patched, _PATCHED_MARK, True)
    patched.original = current
    column.columns_layout = block.columns_layout = patched
    return True


def _source_lines(function: Any) -> tuple[list[str], int]:
    """A top-level function's source lines and first line number, as
    ``inspect.getsourcelines`` gives them: read up to the module's next top-level
    statement (~0.1 ms; inspect tokenizes the module to find the end: ~4.5 ms, on the
    way to every build's first sheet), or by inspect when that would not compile."""
    import linecache

    code = function.__code__
    lines = linecache.getlines(code.co_filename)
    first = code.co_firstlineno
    end = first
    while end < len(lines) and (not lines[end].strip() or lines[end][0] in " \t#"):
        end += 1
    while end > first and not lines[end - 1].strip():
        end -= 1
    found = lines[first - 1 : end]
    try:
        compile("".join(found), code.co_filename, "exec")
    except SyntaxError:
        return inspect.getsourcelines(function)
    return found, first


@contextmanager
def original() -> Iterator[None]:
    """Lay out with WeasyPrint's own two-pass function inside the block (for tests)."""
    from weasyprint.layout import block, column

    current: Any = column.columns_layout
    column.columns_layout = block.columns_layout = getattr(current, "original", current)
    try:
        yield
    finally:
        column.columns_layout = block.columns_layout = current
