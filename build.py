#!/usr/bin/env python3
"""Build dist/ from source/: `python build.py [COMMAND] [OPTIONS]` (default: build)."""

from deckpress.__main__ import run

if __name__ == "__main__":
    run()
