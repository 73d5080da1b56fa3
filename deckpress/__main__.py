"""``python -m deckpress``: the same click group as ``deckpress`` and ``build.py``."""

import sys


def run() -> None:
    """Run the CLI; without its dependencies (a Python outside .venv), say how to set up.

    Commands import their heavy modules lazily, so a missing dependency can surface
    while a command runs, not only when the CLI is imported: both are caught. The
    process then ends with :func:`exit_now`.
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
    except SystemExit as done:  # click's standalone mode always ends with it
        exit_now(done.code)


def exit_now(code: object = 0) -> None:
    """End the process as ``sys.exit(code)`` does, less the interpreter's own teardown.

    After a build, tearing down every module and object (a last full garbage
    collection over the parsed course, the templates, the deck) takes about 30 ms
    of the build process, about 4 % of a one-word edit's rebuild; mypy ends the same
    way for the same reason (its ``--fast-exit``, on by default). What a normal exit
    does that matters still happens: the ``atexit`` handlers run (the PDF workers end,
    logging is flushed), then stdout and stderr are flushed; the system closes the
    files and releases the locks. With a thread of ours still running (not a daemon),
    the normal exit is kept: it waits for the thread; and under a profiler or a tracer
    (``python -m cProfile -o …``, a debugger), which write their results after the
    program returns.
    """
    import atexit
    import os
    import threading

    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # as sys.exit: a message goes to stderr, status 1
        if sys.stderr is not None:
            print(code, file=sys.stderr)
        status = 1
    others = [t for t in threading.enumerate() if t is not threading.main_thread()]
    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)
    watched = sys.getprofile() is not None or sys.gettrace() is not None
    if any(not t.daemon for t in others) or run_exit_handlers is None or watched:
        sys.exit(status)
    run_exit_handlers()
    for stream in (sys.stdout, sys.stderr):
        if stream is None:  # started with it closed (`deckpress … >&-`)
            continue
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`deckpress … | head`)
            pass
    os._exit(status)


if __name__ == "__main__":
    run()
