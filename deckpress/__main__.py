"""``python -m deckpress``: the same click group as ``deckpress`` and ``build.py``."""

import sys


def run() -> None:
    """Run the CLI; without its dependencies (a Python outside .venv), say how to set up."""
    try:
        from deckpress.cli import main
    except ModuleNotFoundError as exc:
        if (exc.name or "deckpress").partition(".")[0] == "deckpress":
            raise
        sys.exit(
            f"error: deckpress's dependencies are not installed for {sys.executable} "
            f"(no module {exc.name!r}).\n"
            "Set up once with `make build` (a virtualenv in .venv), then run "
            "`.venv/bin/python build.py` or `.venv/bin/deckpress`;\n"
            "or install into your own virtualenv: `pip install -e .`"
        )
    main()


if __name__ == "__main__":
    run()
