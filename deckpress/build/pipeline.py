"""The build orchestrator: load -> validate -> write each artifact that is out of date.

Each artifact is a module exposing ``build(course, options) -> ArtifactResult``
and optionally ``start(course, options)``, called for every artifact before any
``build`` to start background work; they are imported lazily so a deck-only build
never imports WeasyPrint. Work that can start before the notes are even loaded
(worker processes) is started first, from the light module
:data:`~deckpress.build.artifacts.WARM_UP` names. Before
writing a file, an artifact asks ``options.context.fresh(path, key)`` whether
the file already holds what ``key`` (a fingerprint of everything that file
shows) describes; it then skips the work. See :mod:`deckpress.build.incremental`.
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .. import __version__
from ..errors import Diagnostic
from .artifacts import ARTIFACTS, BUILD_ORDER, WARM_UP
from .incremental import STATE_DIR, Manifest, build_lock, options_key, recorded, tree_hashes

if TYPE_CHECKING:
    from ..notes.model import Course

log = logging.getLogger(__name__)


class BuildContext:
    """What the last build wrote, and what this build has written so far."""

    def __init__(
        self,
        previous: Manifest,
        force: bool = False,
        progress: Callable[[str, int, int], None] | None = None,
    ):
        self.previous = previous
        self.force = force
        self.progress = progress or (lambda what, done, total: None)
        """Called as ``progress(what, done, total)`` while long steps run (the CLI
        draws a progress line on a terminal)."""
        self.outputs: dict[str, str] = {}
        """Every output this build produced or kept: ``{path: key}``, by resolved path
        (:func:`~deckpress.build.incremental.recorded`)."""
        self.rebuilt: list[Path] = []
        """Outputs actually (re)written by this build."""
        self.artifact = ""
        """The artifact now building: outputs recorded meanwhile are its."""
        self.owners: dict[str, str] = {}
        """``{path: artifact}`` of every output of this build."""
        self.memo: dict[object, object] = {}
        """What artifacts compute once per build and ask for again (the print jobs,
        rendered from the templates: see :func:`deckpress.printouts.printing.per_build`)."""

    def fresh(self, path: Path, key: str) -> bool:
        """True (and ``path`` is kept) when ``path`` is intact and was built from ``key``."""
        entry = self.previous.outputs.get(recorded(path))
        if self.force or entry is None or entry["key"] != key:
            return False
        if not self.previous.output_intact(path):
            return False
        self.outputs[recorded(path)] = key
        self.owners[recorded(path)] = self.artifact
        return True

    def kept(self, path: Path, key: str) -> None:
        """Record that ``path`` already held exactly what ``key`` describes."""
        self.outputs[recorded(path)] = key
        self.owners[recorded(path)] = self.artifact

    def wrote(self, path: Path, key: str) -> None:
        """Record that ``path`` was just written from ``key``."""
        self.outputs[recorded(path)] = key
        self.owners[recorded(path)] = self.artifact
        self.rebuilt.append(path)


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
    force: bool = False
    """Rebuild everything, even what is up to date."""
    context: BuildContext = field(default_factory=lambda: BuildContext(Manifest()), compare=False)
    """Incremental-build bookkeeping (a fresh context rebuilds everything)."""

    @property
    def key(self) -> str:
        """The options that change outputs, for the no-op check."""
        return options_key(self.only, self.paper, self.source)


@dataclass
class ArtifactResult:
    """What one artifact builder wrote and wants to tell the user."""

    paths: list[Path] = field(default_factory=list)
    """Files this build produced (also when the bytes on disk were already the same);
    files skipped as up to date are not listed."""
    report: list[str] = field(default_factory=list)
    """Lines for the user: counts, sizes, what changed."""


@dataclass
class BuildOutcome:
    """The result of :func:`run`."""

    results: dict[str, ArtifactResult]
    rebuilt: list[Path]
    warnings: tuple[Diagnostic, ...] = ()
    first_build: bool = False
    """``out`` held no earlier build (no manifest): every file is new."""
    removed: list[Path] = field(default_factory=list)
    """Earlier outputs this build deleted (e.g. the deck under its old name)."""
    course: Course | None = None
    """The course that was built."""


def input_folders(options: BuildOptions, templates: Path | None) -> list[Path]:
    """Every folder whose files a build reads: notes, built-in and user templates."""
    from ..templating import template_dirs

    return [options.source, *template_dirs(templates)]


def run(
    options: BuildOptions,
    display: str | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> BuildOutcome:
    """The whole build: load, validate, then write what is out of date.

    (The CLI first tries :func:`~deckpress.build.incremental.nothing_changed`, which
    needs no parsing at all.) Raises :class:`~deckpress.errors.DeckpressError`
    for user mistakes; nothing is written then.
    """
    from .. import usercache
    from ..printouts import hyphenation

    hyphenation.cache_in(usercache.part("hyphenation"))  # the workers inherit it
    # background work starts first, while this process imports and loads the rest
    for module in dict.fromkeys(WARM_UP[name] for name in options.only if name in WARM_UP):
        importlib.import_module(module).warm_up()

    from .. import templating
    from ..notes.load import load_course
    from ..printouts import formulas

    templating.forget_environments()
    templating.cache_in(usercache.part("templates"))
    printing = sys.modules.get("deckpress.printouts.printing")  # loaded by an earlier build
    if printing is not None:
        printing.new_build()
    formulas.cache_in(options.out / STATE_DIR / "math")  # typeset formulas, by content

    # load + validate: every problem at once, before anything is written
    loaded = load_course(options.source, display)
    folders = [Path(recorded(f)) for f in input_folders(options, loaded.course.config.templates)]
    with build_lock(options.out, options.source):
        previous = Manifest.read(options.out)
        _check_same_course(previous, folders[0], options)
        context = BuildContext(previous, force=options.force, progress=progress)
        staged = dataclasses.replace(options, context=context)
        # write each requested artifact (each skips its own up-to-date files)
        try:
            results = build(loaded.course, staged)
        except BaseException:
            # a failed or interrupted build does not leave the workers typesetting sheets
            # nobody will write (Python would wait for them at exit)
            printing = sys.modules.get("deckpress.printouts.printing")
            if printing is not None:
                printing.stop_workers()
            raise
        # what an artifact built now wrote last time but not now (a renamed deck)
        removed = remove_stale(previous, context)
        # remember what was read and written, for the next build
        manifest = Manifest(
            version=__version__,
            options=options.key,
            folders=[str(f) for f in folders],
            inputs=tree_hashes(folders),
        )
        # outputs of artifacts not built this time stay known, so they are not redone later
        for path, entry in previous.outputs.items():
            if path not in context.outputs and previous.output_intact(Path(path)):
                manifest.outputs[path] = entry
        for path, key in context.outputs.items():
            manifest.record_output(Path(path), key)
            manifest.outputs[path]["artifact"] = context.owners.get(path, "")
        manifest.write(options.out)
    first = not previous.outputs
    return BuildOutcome(results, context.rebuilt, loaded.warnings, first, removed, loaded.course)


def _check_same_course(previous: Manifest, source: Path, options: BuildOptions) -> None:
    """An output folder holds one course: building another one into it would overwrite
    its cheat sheets and delete its deck and handouts. Refused, unless ``--force``."""
    from ..errors import UsageProblem

    # (manifests before resolved paths recorded the folder as typed: resolve it here too)
    before = Path(previous.folders[0]).resolve() if previous.folders else None
    if before is None or before == source.resolve() or options.force or not previous.outputs:
        return
    raise UsageProblem(
        f"{options.out}: holds the build of another notes folder ({before}); build this "
        f"course into a folder of its own (--out …), or pass --force to replace that build"
    )


def owner(path: Path, entry: dict) -> str:
    """The artifact that wrote ``path`` (older manifests do not say; a deck is ``.apkg``)."""
    return entry.get("artifact") or ("deck" if path.suffix == ".apkg" else "")


def remove_stale(previous: Manifest, context: BuildContext) -> list[Path]:
    """Delete what an artifact built this time wrote last time but not now, such as the
    ``.apkg`` under the deck's old name after ``deck:`` changed.

    Only files the manifest says deckpress wrote, and only while they still hold exactly
    those bytes: a file the user changed or put there is never touched.
    """
    built = set(context.owners.values()) - {""}
    removed = []
    for name, entry in sorted(previous.outputs.items()):
        path = Path(name)
        if name in context.outputs or owner(path, entry) not in built:
            continue
        if previous.output_intact(path):
            log.info("removing %s: this build no longer writes it", path)
            path.unlink()
            removed.append(path)
    return removed


def build(course, options: BuildOptions) -> dict[str, ArtifactResult]:
    """Write every requested artifact of an already loaded, validated course."""
    from ..templating import template_errors

    with template_errors():
        return _build(course, options)


def _build(course, options: BuildOptions) -> dict[str, ArtifactResult]:
    modules = {
        name: importlib.import_module(module)
        for name, module in ARTIFACTS.items()
        if name in options.only
    }
    # background work first (PDFs typeset in worker processes), so it overlaps the rest
    for name, module in modules.items():
        if hasattr(module, "start"):
            options.context.artifact = name
            module.start(course, options)
    results: dict[str, ArtifactResult] = {}
    # this process's own work where a CPU is free (see BUILD_ORDER)
    order = sorted(modules, key=BUILD_ORDER.index)
    for step, name in enumerate(order):
        log.info("building %s", name)
        options.context.artifact = name
        options.context.progress(f"building {name}", step, len(modules))
        results[name] = modules[name].build(course, options)
    return {name: results[name] for name in modules}  # reported in the usual order
