"""The build orchestrator: load -> validate -> write each artifact.

Each artifact is a module exposing ``build(course, options) -> ArtifactResult``;
they are imported lazily so a deck-only build never imports WeasyPrint.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

from .load import Loaded

log = logging.getLogger(__name__)

# artifact name -> module implementing it (in build order)
ARTIFACTS: dict[str, str] = {
    "deck": "deckpress.deck",
    "cheatsheet": "deckpress.cheatsheet",
    "handouts": "deckpress.handouts",
}


@dataclass(frozen=True)
class BuildOptions:
    """What the user asked for on the command line."""

    source: Path
    """The notes folder (the deck's state file lives here)."""
    out: Path
    """Output folder (``dist/``)."""
    only: tuple[str, ...] = tuple(ARTIFACTS)
    """Artifacts to build."""
    paper: str | None = None
    """Paper size override (``a4``/``letter``); ``None`` = from course.yaml."""


@dataclass
class ArtifactResult:
    """What one artifact builder wrote and wants to tell the user."""

    paths: list[Path] = field(default_factory=list)
    report: list[str] = field(default_factory=list)


def build(loaded: Loaded, options: BuildOptions) -> dict[str, ArtifactResult]:
    """Write every requested artifact of an already loaded, validated course."""
    results: dict[str, ArtifactResult] = {}
    for name, module_name in ARTIFACTS.items():
        if name not in options.only:
            continue
        module = importlib.import_module(module_name)
        log.info("building %s", name)
        results[name] = module.build(loaded.course, options)
    return results
