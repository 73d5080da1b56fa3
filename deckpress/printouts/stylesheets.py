"""One parse of a document's stylesheet per process, not one per render.

WeasyPrint (``weasyprint.css.find_stylesheets``, as of version 70) parses a
document's ``<style>`` element every time the document is rendered. deckpress
renders the same stylesheet 20-odd times a build (every size tried for every
sheet and handout: the template's CSS is the same), about 11 ms each on the
built-in ``print.css``: a quarter of a second of a cold build's CPU.

:func:`install` wraps that function so that a document whose only stylesheet
is one plain ``<style>`` element gets the ``CSS`` object parsed for the same
text before. That object is exactly what WeasyPrint would build again: the
cascade reads its selectors, declarations, page rules and layers and changes
none of them, and with a single author stylesheet its own lists of page rules
and layers are the document's. A stylesheet with at-rules that write into
per-document state while they are parsed (``@font-face``, ``@counter-style``,
``@color-profile``) or are fetched (``@import``) is left to WeasyPrint, as are
documents with several stylesheets, a ``<link>``, or a ``<style>`` with attributes.
``tests/test_stylesheets.py`` checks that the PDFs are the same bytes.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

SHARED_AT_RULES = re.compile(
    r"page|media|supports|layer|footnote|(top|bottom|left|right)(-(left|center|right|top|middle|bottom|corner))*",
    re.IGNORECASE,
)
"""At-rules a shared stylesheet may have. Others (``@font-face``, ``@counter-style`` and
``@color-profile`` are parsed into per-document state, ``@import`` is fetched) and
anything unusual (an escaped name, an ``@`` in a string) leave the document to WeasyPrint."""
_AT_RULE = re.compile(r"@([^\s{;(\"']*)")
KEEP = 8
"""Parsed stylesheets kept (``watch`` sees a new one each time the user edits the CSS)."""

_parsed: OrderedDict[tuple[str, str | None, str], Any] = OrderedDict()
_MARK = "_deckpress_shared"


def install(css_module: Any, css_class: Any) -> None:
    """Wrap ``css_module.find_stylesheets`` (WeasyPrint's ``weasyprint.css``; ``css_class``
    is ``weasyprint.CSS``). Idempotent."""
    original = css_module.find_stylesheets
    if getattr(original, _MARK, False):
        return

    def find_stylesheets(
        wrapper_element: Any,
        device_media_type: str,
        url_fetcher: Any,
        base_url: str | None,
        *rest: Any,
    ) -> Iterator[Any]:
        text = _only_style(css_module, wrapper_element)
        if text is None:
            yield from original(wrapper_element, device_media_type, url_fetcher, base_url, *rest)
            return
        key = (text, base_url, device_media_type)
        sheet = _parsed.get(key)
        if sheet is None:
            sheet = css_class(
                string=text, base_url=base_url, url_fetcher=url_fetcher,
                media_type=device_media_type,
            )  # fmt: skip
            _parsed[key] = sheet
            while len(_parsed) > KEEP:
                _parsed.popitem(last=False)
        else:
            _parsed.move_to_end(key)
        yield sheet

    setattr(find_stylesheets, _MARK, True)
    find_stylesheets.original = original  # type: ignore[attr-defined]
    css_module.find_stylesheets = find_stylesheets


def uninstall(css_module: Any) -> None:
    """Put WeasyPrint's own function back (tests compare both)."""
    original = getattr(css_module.find_stylesheets, "original", None)
    if original is not None:
        css_module.find_stylesheets = original
    _parsed.clear()


def _only_style(css_module: Any, wrapper_element: Any) -> str | None:
    """The text of the document's stylesheet when it is one plain ``<style>`` whose
    parse can be shared, else None."""
    found = list(wrapper_element.query_all("style", "link"))
    if len(found) != 1:
        return None
    element = found[0].etree_element
    if element.tag != "style" or element.attrib:
        return None
    text = css_module.get_child_text(element)
    if not all(SHARED_AT_RULES.fullmatch(name) for name in _AT_RULE.findall(text)):
        return None
    return text
