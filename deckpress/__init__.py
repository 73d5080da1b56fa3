"""deckpress: study notes in markdown -> Anki deck, cheat sheet and revision handouts."""

__version__ = "0.1.0"
