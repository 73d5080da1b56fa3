"""``python -m deckpress``: the same click group as ``deckpress`` and ``build.py``."""

from .cli import main

main()
