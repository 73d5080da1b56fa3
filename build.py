#!/usr/bin/env python3
"""Build dist/ from source/: `python build.py [COMMAND] [OPTIONS]` (default: build)."""

from deckpress.cli import main

if __name__ == "__main__":
    main()
