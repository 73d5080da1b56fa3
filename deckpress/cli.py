"""Command line: parse options, call one library function, report.

``deckpress`` and ``python build.py`` run this same click group; with no
command they run ``build``.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from . import __version__
from .errors import Diagnostic
from .load import Loaded, load_course
from .pipeline import ARTIFACTS, BuildOptions

SOURCE_HELP = "Folder with the notes (*.md) and course.yaml."


def _source_option(f):
    return click.option(
        "--source",
        "source",
        default="source",
        show_default=True,
        help=SOURCE_HELP,
        type=click.Path(file_okay=False, path_type=Path),
    )(f)


def _setup_logging(verbose: int, quiet: bool) -> None:
    level = (
        logging.WARNING
        if quiet
        else (logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING)
    )
    logging.basicConfig(level=level, format="%(message)s", stream=sys.stderr, force=True)


def _load(source: Path, quiet: bool) -> Loaded:
    loaded = load_course(source, display=str(source).rstrip("/") or ".")
    if not quiet:
        _print_warnings(loaded.warnings)
    return loaded


def _print_warnings(warnings: tuple[Diagnostic, ...]) -> None:
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)


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
@_source_option
@click.option(
    "--out",
    default="dist",
    show_default=True,
    help="Output folder.",
    type=click.Path(file_okay=False, path_type=Path),
)
@click.option(
    "--only",
    "only",
    multiple=True,
    type=click.Choice(list(ARTIFACTS)),
    help="Build just this artifact (repeatable).",
)
@click.option(
    "--paper",
    type=click.Choice(["a4", "letter"]),
    default=None,
    help="Paper size for the PDFs (default: print.paper in course.yaml).",
)
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
@click.option("-v", "--verbose", count=True, help="Say more (repeat for debug output).")
def build(
    source: Path = Path("source"),
    out: Path = Path("dist"),
    only: tuple[str, ...] = (),
    paper: str | None = None,
    quiet: bool = False,
    verbose: int = 0,
) -> None:
    """Build dist/ from the notes: deck, cheat sheets and handouts."""
    from .pipeline import build as run_build

    _setup_logging(verbose, quiet)
    loaded = _load(source, quiet)
    options = BuildOptions(source=source, out=out, only=only or tuple(ARTIFACTS), paper=paper)
    results = run_build(loaded, options)
    if not quiet:
        for result in results.values():
            for line in result.report:
                click.echo(line)
            for path in result.paths:
                click.echo(f"wrote {path}")


@main.command()
@_source_option
def check(source: Path) -> None:
    """Parse and validate the notes; print a summary (exit 1 on problems)."""
    loaded = _load(source, quiet=False)
    click.echo(summary(loaded))


def summary(loaded: Loaded) -> str:
    """A one-screen table: videos, questions and key points per topic."""
    course = loaded.course
    rows = [
        (
            t.label + (" *" if t.focus else ""),
            f"{t.videos[0].number}–{t.videos[-1].number}" if t.videos else "-",
            len(t.videos),
            sum(len(v.questions) for v in t.videos),
            sum(len(v.key_points) for v in t.videos),
        )
        for t in course.topics
    ]
    width = max([len("topic")] + [len(r[0]) for r in rows])
    lines = [
        f"{course.title} — {len(loaded.notes.files)} notes file(s)",
        "",
        f"{'topic':<{width}}  {'videos':>7}  {'#':>3}  {'questions':>9}  {'key points':>10}",
    ]
    for label, span, videos, questions, points in rows:
        lines.append(f"{label:<{width}}  {span:>7}  {videos:>3}  {questions:>9}  {points:>10}")
    total = [sum(r[i] for r in rows) for i in (2, 3, 4)]
    lines.append(f"{'total':<{width}}  {'':>7}  {total[0]:>3}  {total[1]:>9}  {total[2]:>10}")
    lines.append("")
    lines.append(f"* focus topic. {len(loaded.warnings)} warning(s). OK.")
    return "\n".join(lines)
