"""The deck's two note types: a frozen contract with every deck already imported.

Anki recognises a note type by its **id**. Under the same id, adding,
removing, renaming or reordering a **field** or a **card template** makes Anki
create a copy ("Name+") and refuse to update existing notes, so these stay
exactly as written here, forever:

``deckpress Interview Q&A`` — id ``1657141700``, a standard note type
    fields   ``Question``, ``Answer``, ``Video``, ``Topic``, ``Source``
    template ``Q&A`` (front ``card_qa_front.html``, back ``card_qa_back.html``)

``deckpress Key points`` — id ``1130867060``, a cloze note type
    fields   ``Text``, ``Video``, ``Topic``, ``Source``
    template ``Key point`` (front ``card_keypoints_front.html``,
    back ``card_keypoints_back.html``)

Field contents (HTML): ``Question``/``Answer``/``Text`` are the notes rendered by
markdown-it (raw HTML escaped; ``Text`` is a list with one cloze per bullet),
``Video`` is ``Video 14 — Title``, ``Topic`` is the subdeck label
(``05 Loss functions & backpropagation``), ``Source`` is ``part1.md:62``.

What may change freely: the template *files* and ``card.css`` (a user can
override them with ``templates:`` in course.yaml). Their hash is recorded in
the state file; when it changes, the note type's modification time moves
forward and Anki applies the new look in place on the next import.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from ..errors import BuildError
from ..templating import asset_path, read_asset

CSS_FILE = "card.css"
SOURCE_FIELD = "Source"
"""The field holding ``file:line``; its line number is not part of a note's content."""


@dataclass(frozen=True)
class CardTemplate:
    """One card template of a note type."""

    name: str
    """Template name (frozen: part of the note type's schema)."""
    front: str
    """File in ``templates/`` with the question side."""
    back: str
    """File in ``templates/`` with the answer side."""


@dataclass(frozen=True)
class NoteType:
    """One note type of the contract."""

    id: int
    """Anki note type id (frozen)."""
    name: str
    """Name shown in Anki (a user may rename it; an update renames it back)."""
    kind: str
    """``qa`` or ``keypoints``: which notes use it (also the ``kind::`` tag)."""
    fields: tuple[str, ...]
    """Field names in order (frozen)."""
    template: CardTemplate
    """The one card template (frozen name)."""
    cloze: bool
    """A cloze note type: one card per ``{{cN::…}}``."""


QA = NoteType(
    id=1657141700,
    name="deckpress Interview Q&A",
    kind="qa",
    fields=("Question", "Answer", "Video", "Topic", SOURCE_FIELD),
    template=CardTemplate("Q&A", "card_qa_front.html", "card_qa_back.html"),
    cloze=False,
)

KEYPOINTS = NoteType(
    id=1130867060,
    name="deckpress Key points",
    kind="keypoints",
    fields=("Text", "Video", "Topic", SOURCE_FIELD),
    template=CardTemplate("Key point", "card_keypoints_front.html", "card_keypoints_back.html"),
    cloze=True,
)

NOTE_TYPES: dict[str, NoteType] = {QA.kind: QA, KEYPOINTS.kind: KEYPOINTS}


@dataclass(frozen=True)
class Look:
    """A note type's current name, templates and CSS (built-in or user-overridden)."""

    name: str
    """Note type name (an update renames the note type in Anki)."""
    front: str
    """Question side (Anki template syntax)."""
    back: str
    """Answer side (Anki template syntax)."""
    css: str
    """Stylesheet shared by both note types."""

    @property
    def hash(self) -> str:
        """Changes exactly when the look changes: drives the note type's mod time."""
        data = json.dumps([self.name, self.front, self.back, self.css], ensure_ascii=False)
        return hashlib.sha256(data.encode("utf-8")).hexdigest()[:16]


def load_look(note_type: NoteType, override: Path | None = None) -> Look:
    """Read a note type's templates and the card CSS, honouring the user's override folder."""
    look = Look(
        name=note_type.name,
        front=read_asset(note_type.template.front, override),
        back=read_asset(note_type.template.back, override),
        css=read_asset(CSS_FILE, override),
    )
    for name, text in (
        (note_type.template.front, look.front),
        (note_type.template.back, look.back),
    ):
        _check_card_template(asset_path(name, override), text, note_type)
    return look


def _check_card_template(path: Path, text: str, note_type: NoteType) -> None:
    """A card template must parse (Anki's mustache-like syntax) and name only real fields."""
    import chevron.tokenizer

    try:
        tags = [(kind, key) for kind, key in chevron.tokenizer.tokenize(text)]
    except chevron.ChevronError as exc:
        raise BuildError(f"{path}: card template error: {exc}") from None
    known = {
        *note_type.fields,
        "FrontSide",
        "Tags",
        "Type",
        "Deck",
        "Subdeck",
        "Card",
        "CardFlag",
        "CardID",
    }
    for kind, key in tags:
        if kind in ("variable", "no escape", "section", "inverted section"):
            field = key.split(":")[-1].strip()
            if field and field not in known:
                line = text[: text.find(key)].count("\n") + 1 if key in text else 0
                raise BuildError(
                    f"{path}:{line}: card template uses {{{{{key}}}}}, but the note type "
                    f"has no field {field!r} (fields: {', '.join(note_type.fields)})"
                )
