"""Command line: parse options, call one library function, report.

``deckpress``, ``python build.py`` and ``python -m deckpress`` run this same
click group; with no command they run ``build``. Heavy modules are imported
inside the commands so a no-op build stays fast.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from . import __version__
from .build.artifacts import ARTIFACTS

if TYPE_CHECKING:
    from .build.pipeline import BuildOutcome
    from .errors import Diagnostic

SOURCE_HELP = "Folder with the notes (*.md) and course.yaml."


def _setup_logging(verbose: int, quiet: bool) -> None:
    import logging

    class Formatter(logging.Formatter):
        """Warnings and errors say so; everything else is the bare message."""

        def format(self, record: logging.LogRecord) -> str:
            message = super().format(record)
            if record.levelno >= logging.WARNING and not message.startswith(("warning:", "error:")):
                return f"{record.levelname.lower()}: {message}"
            return message

    level = (
        logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(Formatter("%(message)s"))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    # third-party chatter (fontTools, WeasyPrint) only with -vv
    for name in ("fontTools", "weasyprint"):
        logging.getLogger(name).setLevel(logging.DEBUG if verbose > 1 else logging.CRITICAL)


def _shown(source: Path) -> str:
    return str(source).rstrip("/") or "."


def _print_warnings(warnings: tuple[Diagnostic, ...]) -> None:
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)


def source_option(f):
    # checked by check_source, not by click: one message with a hint, also for the default
    return click.option(
        "--source",
        "source",
        default="source",
        show_default=True,
        help=SOURCE_HELP,
        type=click.Path(path_type=Path),
    )(f)


def check_source(source: Path) -> None:
    """A ``--source`` that is a file or missing is a command-line mistake (exit code 2)."""
    from .errors import UsageProblem

    if source.is_dir():
        return
    if source.exists():
        folder = _shown(source.parent) if source.parent != Path() else "."
        raise UsageProblem(
            f"--source {_shown(source)} is a file; pass the folder that holds course.yaml "
            f"and the notes (--source {folder})"
        )
    ctx = click.get_current_context(silent=True)
    given = ctx is not None and ctx.get_parameter_source("source") not in (
        click.core.ParameterSource.DEFAULT,
        None,
    )
    if given:
        raise UsageProblem(
            f"--source {_shown(source)}: no such folder; pass the folder that holds "
            "course.yaml and the notes"
        )
    raise UsageProblem(
        f"no {_shown(source)}/ folder in {Path.cwd()}; run deckpress in your course folder "
        "(the one that holds source/), or pass --source DIR"
    )


def build_options(f):
    """The options shared by ``build`` and ``watch``."""
    options = [
        source_option,
        click.option(
            "--out",
            default="dist",
            show_default=True,
            help="Output folder.",
            type=click.Path(file_okay=False, path_type=Path),
        ),
        click.option(
            "--only",
            "only",
            multiple=True,
            type=click.Choice(list(ARTIFACTS), case_sensitive=False),
            help="Build just this artifact (repeatable).",
        ),
        click.option(
            "--paper",
            type=click.Choice(["a4", "letter"], case_sensitive=False),
            default=None,
            help="Paper size for the PDFs (default: print.paper in course.yaml).",
        ),
        click.option("--force", is_flag=True, help="Rebuild everything, even what is up to date."),
        click.option("-q", "--quiet", is_flag=True, help="Print only errors."),
        click.option("-v", "--verbose", count=True, help="Say more (repeat for debug output)."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="deckpress")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Turn markdown study notes into an Anki deck, a cheat sheet and handouts.

    With no command, runs `build`.
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(build)


@main.command()
@build_options
def build(
    source: Path = Path("source"),
    out: Path = Path("dist"),
    only: tuple[str, ...] = (),
    paper: str | None = None,
    force: bool = False,
    quiet: bool = False,
    verbose: int = 0,
) -> None:
    """Build dist/ from the notes: deck, cheat sheets and handouts.

    Only what changed is rebuilt; --force rebuilds everything.
    """
    from .build.incremental import nothing_changed, options_key

    check_source(source)
    only = only or tuple(ARTIFACTS)
    # the no-op fast path: nothing but hashing, before any heavy import
    if not force and nothing_changed(out, options_key(only, paper, source)):
        if not quiet:
            click.echo(f"{out} is up to date (nothing changed since the last build)")
        return
    from .build.pipeline import BuildOptions, run

    _setup_logging(verbose, quiet)
    with Progress(enabled=not quiet) as progress, os_errors():
        outcome = run(BuildOptions(source, out, only, paper, force), _shown(source), progress)
    if not quiet:
        show(outcome, out)


@contextmanager
def os_errors() -> Iterator[None]:
    """A folder that cannot be written (a file in the way, no permission, disk full) is
    the user's to fix: say which path and why, without a traceback."""
    try:
        yield
    except OSError as exc:
        from .errors import BuildError

        where = exc.filename or "output"
        raise BuildError(f"{where}: {exc.strerror or exc}; nothing more was written") from None


class Progress:
    """One self-erasing status line on stderr, only when it is a terminal."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled and sys.stderr.isatty()
        self.width = 0

    def __call__(self, what: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        line = f"[{done}/{total}] {what}…"[:78]
        click.echo("\r" + line.ljust(self.width), nl=False, err=True)
        self.width = len(line)

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.enabled and self.width:
            click.echo("\r" + " " * self.width + "\r", nl=False, err=True)


def show(outcome: BuildOutcome, out: Path) -> None:
    """Print warnings, each artifact's report, and what was written."""
    _print_warnings(outcome.warnings)
    if outcome.first_build:
        click.echo(f"first build into {_shown(out)}/: every file is new")
    for result in outcome.results.values():
        for line in result.report:
            click.echo(line)
    for path in outcome.removed:
        click.echo(f"removed {path} (this build no longer writes it)")
    if outcome.rebuilt:
        for path in outcome.rebuilt:
            click.echo(f"wrote {path}")
    elif not outcome.removed:
        click.echo(f"{out} is up to date (no artifact changed)")


@main.command()
@build_options
@click.option(
    "--debounce",
    default=300,
    show_default=True,
    type=click.IntRange(10, 10_000),
    help="Wait this many milliseconds for more saves before rebuilding.",
)
def watch(
    source: Path,
    out: Path,
    only: tuple[str, ...],
    paper: str | None,
    force: bool,
    quiet: bool,
    verbose: int,
    debounce: int,
) -> None:
    """Rebuild whenever the notes, course.yaml or templates change (Ctrl-C stops)."""
    from .build.pipeline import BuildOptions
    from .build.watch import watch as run_watch

    check_source(source)
    _setup_logging(verbose, quiet)
    options = BuildOptions(source, out, only or tuple(ARTIFACTS), paper, force)
    run_watch(
        options,
        _shown(source),
        report=lambda line: click.echo(line, err=True),
        show=lambda outcome: None if quiet else show(outcome, out),
        debounce_ms=debounce,
    )


@main.command()
@source_option
@click.option(
    "--out",
    default="dist",
    show_default=True,
    help="Output folder (the deck is built there first if it is out of date).",
    type=click.Path(file_okay=False, path_type=Path),
)
@click.option(
    "--url",
    default="http://127.0.0.1:8765",
    show_default=True,
    help="AnkiConnect's address.",
)
@click.option(
    "--api-key",
    envvar="DECKPRESS_ANKICONNECT_KEY",
    default=None,
    help="AnkiConnect's apiKey, if it has one (or DECKPRESS_ANKICONNECT_KEY).",
)
@click.option("--dry-run", is_flag=True, help="Print what would change; change nothing.")
@click.option(
    "--delete-removed",
    is_flag=True,
    help="Delete notes removed from the notes (default: tag them <tag>::removed).",
)
@click.option("-q", "--quiet", is_flag=True, help="Only errors and the summary line.")
def sync(
    source: Path,
    out: Path,
    url: str,
    api_key: str | None,
    dry_run: bool,
    delete_removed: bool,
    quiet: bool,
) -> None:
    """Bring the running Anki up to date with the notes, through AnkiConnect.

    New notes are added, changed ones updated, cards of a moved note go to their
    new topic's subdeck, removed notes are tagged (or deleted). Review history is
    never touched.
    """
    from .build.pipeline import BuildOptions, run
    from .deck.sync import SyncOptions
    from .deck.sync import sync as run_sync

    check_source(source)
    _setup_logging(0, True)
    with os_errors():
        outcome = run(BuildOptions(source, out, ("deck",)), _shown(source))
    course = outcome.course
    apkg = out / f"{course.config.deck_slug}.apkg"
    options = SyncOptions(url, api_key, dry_run, delete_removed)
    lines = run_sync(course, source, apkg, options)
    for line in lines[:1] if quiet else lines:
        click.echo(line)


@main.command()
@click.argument(
    "folder", default="source", type=click.Path(file_okay=False, path_type=Path), required=False
)
@click.option("--force", is_flag=True, help="Replace an existing course.yaml.")
def init(folder: Path, force: bool) -> None:
    """Write FOLDER/course.yaml (default: source/) inferred from the notes in it."""
    from .notes.init import init_course
    from .notes.load import load_course

    shown = _shown(folder)
    inferred = init_course(folder, shown, force=force)
    click.echo(f"wrote {shown}/course.yaml:")
    for line in inferred.said:
        click.echo(f"  {line}")
    from .errors import ContentError

    try:
        loaded = load_course(folder, display=shown)
    except ContentError as exc:
        for diagnostic in exc.diagnostics:
            click.echo(str(diagnostic), err=True)
        click.echo(
            f"course.yaml is written, but the notes have {len(exc.diagnostics)} problem(s) to "
            "fix before a build (above); then run deckpress check",
            err=True,
        )
        sys.exit(1)
    click.echo(
        f"check: {sum(1 for _ in loaded.course.units)} units, "
        f"{len(loaded.warnings)} warning(s). Next: deckpress check --source {shown}, "
        f"then deckpress build --source {shown}"
    )


@main.command()
@source_option
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the parsed notes as JSON on stdout (units, key points, questions, context).",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Weak cards (whole-bullet blanks, enumerations, two-part questions …) are errors.",
)
def check(source: Path, as_json: bool, strict: bool = False) -> None:
    """Parse and validate the notes; print a summary (exit 1 on problems).

    Weak cards are warnings, or errors with --strict.
    """
    from .deck.quality import summary as weak_summary
    from .deck.quality import weak_cards
    from .errors import ContentError
    from .notes.load import load_course

    check_source(source)
    shown = _shown(source)
    loaded = load_course(source, display=shown)
    weak = weak_cards(loaded.course)
    found = tuple(w.diagnostic(shown) for w in weak)
    if as_json:
        import json

        from .notes.export import notes_json

        data = notes_json(loaded.notes, loaded.warnings)
        data["weak_cards"] = [w.json() for w in weak]
        click.echo(json.dumps(data, ensure_ascii=False, indent=1))
        if strict and found:
            raise SystemExit(1)
        return
    if strict and found:
        _print_warnings(loaded.warnings)
        click.echo(weak_summary(weak))
        raise ContentError(found)
    _print_warnings(loaded.warnings + found)
    click.echo(summary(loaded, weak_summary(weak), len(found)))


def summary(loaded, cards: str = "", weak: int = 0) -> str:
    """A one-screen table (units, questions and key points per topic), the coverage line
    and ``cards`` (the weak-cards line; ``weak`` of the warnings are weak cards)."""
    course = loaded.course
    from .notes.model import plural, unit_word

    word = (unit_word(course.units) or "unit").lower()
    rows = [
        (
            t.label + (" *" if t.focus else ""),
            f"{t.units[0].number}–{t.units[-1].number}" if t.units else "-",
            len(t.units),
            sum(len(u.questions) for u in t.units),
            sum(len(u.key_points) for u in t.units),
        )
        for t in course.topics
    ]
    width = max([len("topic")] + [len(r[0]) for r in rows])
    units = plural(word)
    lines = [
        f"{course.title} — {len(loaded.notes.files)} notes file(s)",
        "",
        f"{'topic':<{width}}  {units:>7}  {'#':>3}  {'questions':>9}  {'key points':>10}",
    ]
    for label, span, units, questions, points in rows:
        lines.append(f"{label:<{width}}  {span:>7}  {units:>3}  {questions:>9}  {points:>10}")
    total = [sum(r[i] for r in rows) for i in (2, 3, 4)]
    lines.append(f"{'total':<{width}}  {'':>7}  {total[0]:>3}  {total[1]:>9}  {total[2]:>10}")
    lines.append("")
    cov = loaded.coverage
    lines.append(
        f"lines: {cov.cards} on cards, {cov.context} shown as context or front matter, "
        f"{cov.markup} labels and separators, {cov.ignored} ignored"
    )
    if cards:
        lines.append(cards)
    focus = "* focus topic. " if any(t.focus for t in course.topics) else ""
    lines.append(f"{focus}{len(loaded.warnings) + weak} warning(s). OK.")
    return "\n".join(lines)
