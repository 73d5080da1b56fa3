"""The artifacts a build can produce: name -> the module that renders it.

Kept free of imports: the CLI reads it on the fast (no-op) path.
"""

ARTIFACTS: dict[str, str] = {
    "deck": "deckpress.deck.package",
    # after the deck: the preview reads the cloze numbers the deck just saved in the lock file
    "cards": "deckpress.deck.preview",
    "cheatsheet": "deckpress.printouts.cheatsheet",
    "handouts": "deckpress.printouts.handouts",
}
"""In build order. A new artifact is one module with ``build(course, options)`` plus an entry here."""

WARM_UP: dict[str, str] = {
    "cheatsheet": "deckpress.printouts.workers",
    "handouts": "deckpress.printouts.workers",
}
"""Artifacts with background work to start before anything else of a build: the module
whose ``warm_up()`` starts it, kept light (the PDF worker processes, whose first imports
WeasyPrint while the build imports and loads the rest)."""
