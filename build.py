#!/usr/bin/env python3
"""Build dist/ from source/: `python build.py [COMMAND] [OPTIONS]` (default: build)."""

import sys

try:
    from deckpress.cli import main
except ModuleNotFoundError as exc:
    if (exc.name or "deckpress").partition(".")[0] == "deckpress":
        raise
    # run with a Python that lacks deckpress's dependencies (outside .venv)
    sys.exit(
        f"error: deckpress's dependencies are not installed for {sys.executable} "
        f"(no module {exc.name!r}).\n"
        "Set up once with `make build` (a virtualenv in .venv), then run "
        "`.venv/bin/python build.py` or `.venv/bin/deckpress`;\n"
        "or install into your own virtualenv: `pip install -e .`"
    )

if __name__ == "__main__":
    main()
