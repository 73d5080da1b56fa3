"""``deckpress watch``: rebuild on every save of the notes, config or templates.

A broken edit prints its ``file:line`` errors and the watcher keeps going; the
last good artifacts stay in place (a failed build writes nothing).
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import DeckpressError
from .pipeline import BuildOptions, BuildOutcome, input_folders, run

log = logging.getLogger(__name__)

# What a build reads: notes, config, images, templates. Anything else (editors' swap and
# temporary files, the state file the build itself writes) is not a change worth a build.
_INPUT_SUFFIXES = {
    ".md",
    ".yaml",
    ".yml",
    ".html",
    ".css",
    ".j2",
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".svg",
    ".webp",
}


def _interesting(change: object, path: str) -> bool:
    name = Path(path).name
    return Path(path).suffix.lower() in _INPUT_SUFFIXES and not name.startswith((".", "#"))


def watch(
    options: BuildOptions,
    display: str,
    report: Callable[[str], None],
    show: Callable[[BuildOutcome], None],
    stop: threading.Event | None = None,
    debounce_ms: int = 300,
) -> None:
    """Build once, then again after every batch of changes until ``stop`` is set."""
    from ..notes.parse import keep_tokens

    keep_tokens()  # a save parses the saved file again, not every file
    with _signals_stop(), _workers_end():
        try:
            _watch(options, display, report, show, stop, debounce_ms)
        except KeyboardInterrupt:  # Ctrl-C, SIGTERM or SIGHUP while a build runs
            pass
    report("stopped watching")


def _watch(options, display, report, show, stop, debounce_ms) -> None:
    from watchfiles import watch as watch_files

    # watchfiles says "warning: KeyboardInterrupt caught" when stopped: a stop is no warning
    logging.getLogger("watchfiles.main").setLevel(logging.ERROR)
    _build(options, display, report, show)
    while True:
        folders = _folders(options)
        report(f"watching {', '.join(str(f) for f in folders)} (Ctrl-C to stop)")
        for changes in watch_files(
            *folders,
            watch_filter=_interesting,
            debounce=debounce_ms,
            stop_event=stop,
            raise_interrupt=False,
        ):
            names = sorted({_shown(Path(p), folders) for _, p in changes})
            report(f"changed: {', '.join(names)}")
            _build(options, display, report, show)
            if _folders(options) != folders:
                break  # course.yaml now names another templates folder: watch that one
        else:
            return  # stopped: Ctrl-C, SIGTERM, SIGHUP or the stop event


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP (a closed terminal): stop as Ctrl-C does."""


def _stop(signum: int, frame: object) -> None:
    raise Stopped(signal.Signals(signum).name)


@contextmanager
def _signals_stop() -> Iterator[None]:
    """SIGTERM and SIGHUP stop ``watch`` as Ctrl-C does, so that it ends its workers
    (by default they would kill this process alone: its workers ran on, orphaned).
    Signal handlers belong to the main thread; elsewhere (tests) nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    names = [name for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)]
    previous = {name: signal.signal(getattr(signal, name), _stop) for name in names}
    try:
        yield
    finally:
        for name, handler in previous.items():
            signal.signal(getattr(signal, name), handler)


@contextmanager
def _workers_end() -> Iterator[None]:
    """However ``watch`` stops, the PDF worker processes end with it."""
    try:
        yield
    finally:
        printing = sys.modules.get("deckpress.printouts.printing")
        if printing is not None:
            printing.stop_workers()


def _build(options: BuildOptions, display: str, report, show) -> None:
    """One build; errors are reported, never raised."""
    try:
        outcome = run(options, display)
    except (DeckpressError, OSError) as exc:
        report(exc.format_message() if isinstance(exc, DeckpressError) else f"error: {exc}")
        report("build failed; the previous artifacts are unchanged. Watching for fixes…")
        return
    show(outcome)


def _folders(options: BuildOptions) -> list[Path]:
    """The folders a build reads: notes, built-in templates, the user's templates folder."""
    from ..notes.config import CONFIG_NAME, read_config

    config, _ = read_config(options.source / CONFIG_NAME)
    templates = config.templates if config else None
    return [f for f in input_folders(options, templates) if f.is_dir()]


def _shown(path: Path, folders: list[Path]) -> str:
    for folder in folders:
        try:
            return str(path.resolve().relative_to(folder.resolve()))
        except ValueError:
            continue
    return str(path)
