"""What WeasyPrint's cascade reads, made once per process: a document's stylesheet
parsed once, not once per render, and a lean user-agent stylesheet.

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

:func:`lean_user_agent` and :func:`needs_full_user_agent`: WeasyPrint's user-agent
stylesheet styles every element for pseudo-elements only list items, footnotes
and notes have; a document that cannot have those elsewhere is rendered with a
stylesheet whose rules name only what they apply to (the same PDF, tested).
"""

from __future__ import annotations

import html as html_lib
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


# --------------------------------------------------------------------------
# The user-agent stylesheet, lean where a document cannot tell

UNIVERSAL_PSEUDO_RULES = {
    "marker": "li",
    "footnote-call": None,
    "footnote-marker": None,
    "note-call": None,
    "note-marker": None,
    "note-callback": None,
}
"""Pseudo-elements whose rule in WeasyPrint's ``html5_ua.css`` (version 70) matches
every element (``::marker { … }``), each with the one element the lean stylesheet
keeps it for (None: none). The cascade gives every element of a document a style
for each (4-5 % of all typesetting), though WeasyPrint reads a ``::marker`` style
only for list items (only ``li`` is one in that stylesheet) and the footnote and
note ones only for an element that is a footnote (``float: footnote``) or a note
(``position: note()``)."""
_NEEDS_ALL = re.compile(
    r"list-item|float\s*:\s*footnote|note\s*\(|@import|\\"
    r"|\b(?:display|float|position|all)\s*:\s*(?:inherit|var\s*\()",
    re.IGNORECASE,
)
_CSS_IN_HTML = re.compile(
    r"<style\b[^>]*>(.*?)(?:</style\s*>|$)"
    r"|\bstyle\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+)",
    re.IGNORECASE | re.DOTALL,
)
CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
"""A CSS comment (to read CSS text without them)."""


def lean_user_agent(full: Any, text: str) -> Any | None:
    """A copy of WeasyPrint's parsed user-agent stylesheet ``full``
    (``weasyprint.html.UA_STYLESHEET``, parsed from ``text``) in which each rule of
    :data:`UNIVERSAL_PSEUDO_RULES` is tried only on the element named there, with
    its place in the cascade unchanged (cssselect2 orders matches by specificity,
    then by the order the rules were added), or on no element; None when ``text``
    does not have each such rule once, at a line's start, nor the parsed sheet one
    such selector for each. Made without parsing anything again."""
    import copy

    lines = text.splitlines()
    matcher = full.matcher
    found = {
        name: [e for e in matcher.other_selectors if e[3] == name]
        for name in UNIVERSAL_PSEUDO_RULES
    }
    for name, entries in found.items():
        rules = [line for line in lines if line.startswith(f"::{name} {{")]
        if len(rules) != 1 or len(entries) != 1:
            return None
    lean = copy.copy(matcher)
    lean.other_selectors = [
        e for e in matcher.other_selectors if e[3] not in UNIVERSAL_PSEUDO_RULES
    ]
    lean.lower_local_name_selectors = {
        name: list(entries) for name, entries in matcher.lower_local_name_selectors.items()
    }
    for name, element in UNIVERSAL_PSEUDO_RULES.items():
        if element is not None:
            lean.lower_local_name_selectors.setdefault(element, []).extend(found[name])
    sheet = copy.copy(full)
    sheet.matcher = lean
    return sheet


def needs_full_user_agent(html: str, css: str = "") -> bool:
    """Whether the CSS of ``html`` (its ``<style>`` elements, closed or not, and its
    ``style`` attributes, quoted or not) or ``css`` could make an element other than
    ``li`` a list item, or an element a footnote or a note: then the full user-agent
    stylesheet is used. Character references decoded and comments aside, it looks
    for ``list-item``, ``float: footnote``, ``note(``, and ``display``, ``float``,
    ``position`` or ``all`` set to ``inherit`` or a ``var()`` (a child of a list
    item would be one too); an ``@import``, a backslash (a CSS escape could spell
    any of them) or a ``<link>`` (a stylesheet not read here) count too. When in
    doubt it says yes: that only costs time."""
    if re.search(r"<link\b", html, re.IGNORECASE):
        return True
    found = [css, *(block or attribute for block, attribute in _CSS_IN_HTML.findall(html))]
    return any(_NEEDS_ALL.search(CSS_COMMENT.sub(" ", html_lib.unescape(text))) for text in found)
