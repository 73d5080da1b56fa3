"""One exception family for everything a user can get wrong.

Every message names *where* (``file:line``) and *what to do*. The base class
is a :class:`click.ClickException`, so the CLI prints it cleanly (no
traceback) and exits with :attr:`exit_code`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import click


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem found in the user's input."""

    file: str
    """Path as shown to the user (relative to the working directory when possible)."""
    line: int
    """1-based line number; 0 when the problem concerns the whole file."""
    message: str
    """What is wrong and, where it helps, how to fix it."""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


class DeckpressError(click.ClickException):
    """Base of every error deckpress reports to a user (exit code 1)."""

    exit_code = 1

    def format_message(self) -> str:
        return self.message

    def show(self, file=None) -> None:  # type: ignore[override]
        click.echo(f"error: {self.format_message()}", err=True, file=file)


class ContentError(DeckpressError):
    """The notes or the config contain one or more mistakes.

    Carries every :class:`Diagnostic` found, so a user fixes them all in one go.
    """

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics: tuple[Diagnostic, ...] = tuple(sorted(set(diagnostics)))
        n = len(self.diagnostics)
        lines = [str(d) for d in self.diagnostics]
        summary = f"{n} problem{'s' if n != 1 else ''} found; nothing was written."
        super().__init__("\n".join([*lines, summary]))

    def show(self, file=None) -> None:  # type: ignore[override]
        click.echo(self.format_message(), err=True, file=file)


class BuildError(DeckpressError):
    """A build step failed for a reason the user can act on (e.g. a handout does not fit)."""


class SyncError(DeckpressError):
    """Anki cannot be reached, refuses the API key, or is not the profile the course was
    synced to: one line saying what to do (exit code 1)."""


class UsageProblem(DeckpressError):
    """A command-line mistake found after parsing, e.g. ``--source`` naming a file or a
    folder that does not exist: one line with a hint, exit code 2 like click's own."""

    exit_code = 2
