"""How Anki shows a note's cards: card templates filled in, clozes resolved.

A small re-implementation of what Anki does when it renders a card (its
``rslib`` template and cloze code), enough for deckpress's note types and for
templates users write: ``{{Field}}``, ``{{filter:Field}}`` (``cloze``, ``text``;
other filters show the field as is), ``{{#Field}}…{{/Field}}``,
``{{^Field}}…{{/Field}}``, ``{{FrontSide}}``, ``{{Tags}}``, ``{{Deck}}``,
``{{Subdeck}}``, ``{{Card}}``, ``{{Type}}``. Clozes render as Anki renders them:
the card's own cloze as ``[...]`` (or ``[hint]``) on the front and revealed on
the back, every other cloze as its text. ``tests/test_preview.py`` checks the
result against the official ``anki`` library.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass

from markupsafe import escape

CLOZE = re.compile(r"\{\{c(\d+)::(.*?)(?:::(.*?))?\}\}", re.DOTALL)
"""A cloze as Anki reads it: number, hidden text, optional hint."""
_SECTION = re.compile(r"\{\{([#^])\s*([^}]+?)\s*\}\}(.*?)\{\{/\s*\2\s*\}\}", re.DOTALL)
_VARIABLE = re.compile(r"\{\{\s*([^}#^/][^}]*?)\s*\}\}")


@dataclass(frozen=True)
class Face:
    """One side of one card, as HTML (without the CSS)."""

    html: str


@dataclass(frozen=True)
class Card:
    """One card of a note: which cloze it asks (``0`` for a standard note) and both sides."""

    ord: int
    """Cloze number (1-based) of a cloze card; ``0`` for the one card of a standard note."""
    front: Face
    back: Face


def cloze_numbers(text: str) -> list[int]:
    """The cloze numbers of a field, in order of first appearance (one card each)."""
    seen: list[int] = []
    for m in CLOZE.finditer(text):
        number = int(m.group(1))
        if number not in seen:
            seen.append(number)
    return seen


def resolve_clozes(text: str, ord_: int, question: bool) -> str:
    """``{{cN::…}}`` as Anki shows it on card ``ord_`` (1-based), front or back."""

    def one(m: re.Match[str]) -> str:
        number, content, hint = int(m.group(1)), m.group(2), m.group(3)
        if number != ord_:
            return f'<span class="cloze-inactive" data-ordinal="{number}">{content}</span>'
        if question:
            shown = f"[{hint}]" if hint else "[...]"
            return (
                f'<span class="cloze" data-cloze="{escape(content)}" '
                f'data-ordinal="{number}">{shown}</span>'
            )
        return f'<span class="cloze" data-ordinal="{number}">{content}</span>'

    return CLOZE.sub(one, text)


def _is_empty(value: str) -> bool:
    """Anki treats a field holding only whitespace and empty markup as empty."""
    return not re.sub(r"<[^>]*>|&nbsp;|\s", "", value)


def render(template: str, fields: Mapping[str, str], ord_: int, question: bool) -> str:
    """Fill a card template with a note's fields (``fields`` also holds the special ones,
    e.g. ``FrontSide`` on the back)."""

    def section(m: re.Match[str]) -> str:
        kind, name, body = m.group(1), m.group(2), m.group(3)
        empty = _is_empty(fields.get(name.split(":")[-1].strip(), ""))
        show = not empty if kind == "#" else empty
        return _SECTION.sub(section, body) if show else ""

    def variable(m: re.Match[str]) -> str:
        *filters, name = [part.strip() for part in m.group(1).split(":")]
        value = fields.get(name, "")
        for name_ in reversed(filters):
            if name_ == "cloze":
                value = resolve_clozes(value, ord_, question)
            elif name_ == "text":
                value = html.escape(html.unescape(re.sub(r"<[^>]*>", "", value)), quote=False)
        return value

    return _VARIABLE.sub(variable, _SECTION.sub(section, template))


def cards_of(
    front: str,
    back: str,
    fields: Mapping[str, str],
    cloze_field: str | None,
    extra: Mapping[str, str] | None = None,
) -> list[Card]:
    """Every card of a note: one per cloze number of ``cloze_field`` (a cloze note type),
    else one. ``extra`` holds special fields (``Tags``, ``Deck`` …)."""
    values = {**(extra or {}), **fields}
    ords = cloze_numbers(fields[cloze_field]) if cloze_field else [0]
    cards = []
    for ord_ in ords:
        question = render(front, values, ord_, question=True)
        answer = render(back, {**values, "FrontSide": question}, ord_, question=False)
        cards.append(Card(ord_, Face(question), Face(answer)))
    return cards
