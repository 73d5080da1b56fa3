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
