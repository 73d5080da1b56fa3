"""Model -> Anki: cards and clozes, note types, identity and the lock file, the .apkg,
the card preview and checks, and sync through AnkiConnect."""
