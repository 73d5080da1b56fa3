"""``python -m deckpress``: the same click group as ``deckpress`` and ``build.py``."""

import sys


def run() -> None:
    """Run the CLI; without its dependencies (a Python outside .venv), say how to set up.

    Commands import their heavy modules lazily, so a missing dependency can surface
    while a command runs, not only when the CLI is imported: both are caught.
    """
    try:
        from deckpress.cli import main

        main(standalone_mode=True)
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


if __name__ == "__main__":
    run()
