"""Incremental builds: fingerprints of inputs, and a manifest of what was built from what.

``dist/.deckpress/manifest.json`` records, after each successful build, the
hash of every input file (notes, ``course.yaml``, the deck state file,
templates) and, for every artifact written, the fingerprint of the part of the
model it shows plus the bytes written. The next build

- stops at once when no input file changed and every artifact is as written
  (the *no-op* fast path: no YAML, no markdown, no WeasyPrint imported);
- otherwise rebuilds only the artifacts whose fingerprint changed.

This module must stay cheap to import: it is on the no-op path.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .. import __version__

STATE_DIR = ".deckpress"
MANIFEST = "manifest.json"
LOCK = "build.lock"
# Files in the source folder that are never inputs (editor droppings).
_IGNORED_SUFFIXES = (".swp", ".tmp", "~")


def fingerprint(*parts: Any) -> str:
    """A short stable hash of ``parts`` (their ``repr``; frozen dataclasses repr stably)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(repr(part).encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()[:32]


def recorded(path: Path | str) -> str:
    """How the manifest names a file: its resolved path, so that ``--out out`` and
    ``--out "$PWD/out"`` (or a symlink to it) name the same outputs."""
    return os.path.realpath(path)


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:32]


def derived_path(folder: Path, source: Path, suffix: str, *identity: object) -> Path | None:
    """Where a cache in ``folder`` keeps what was worked out from the file ``source``:
    ``<stem>-<hash><suffix>``, the hash of ``identity`` (the cache's format, versions
    of what reads the file) and of the file's resolved path, size and modification
    time, so a changed file has another name. ``None`` when ``source`` cannot be read."""
    try:
        stat = source.stat()
    except OSError:
        return None
    parts = (*identity, source.resolve(), stat.st_size, stat.st_mtime_ns)
    digest = hashlib.sha256("\0".join(map(str, parts)).encode()).hexdigest()[:16]
    return folder / f"{source.stem}-{digest}{suffix}"


def tree_hashes(folders: Iterable[Path]) -> dict[str, str]:
    """``{path: hash}`` of every file below each folder (sorted, hidden files skipped)."""
    hashes: dict[str, str] = {}
    for folder in folders:
        if not folder.is_dir():
            continue
        for root, dirs, files in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
            for name in sorted(files):
                if name.startswith(".") or name.endswith(_IGNORED_SUFFIXES):
                    continue
                path = Path(root) / name
                hashes[str(path)] = file_hash(path)
    return hashes


class Manifest:
    """What the last successful build read and wrote.

    (A plain class, not a dataclass: importing dataclasses costs the no-op path.)
    """

    def __init__(
        self,
        version: str = "",
        options: str = "",
        folders: list[str] | None = None,
        inputs: dict[str, str] | None = None,
        outputs: dict[str, dict[str, Any]] | None = None,
    ):
        self.version = version
        """deckpress version that built it."""
        self.options = options
        """:func:`options_key` of the build."""
        self.folders = folders or []
        """Folders whose files are inputs (notes, templates)."""
        self.inputs = inputs or {}
        """``{path: hash}`` of every input file."""
        self.outputs = outputs or {}
        """``{path: {key, sha, size, mtime_ns}}`` of every output."""

    @classmethod
    def read(cls, out: Path) -> Manifest:
        try:
            data = json.loads((out / STATE_DIR / MANIFEST).read_text(encoding="utf-8"))
            return cls(**data)
        except (OSError, ValueError, TypeError):
            return cls()

    def write(self, out: Path) -> None:
        from .output import write_text

        text = json.dumps(self.__dict__, indent=1, sort_keys=True)
        write_text(out / STATE_DIR / MANIFEST, text + "\n")

    def output_intact(self, path: Path) -> bool:
        """True when ``path`` still holds exactly what this manifest says was written."""
        entry = self.outputs.get(recorded(path))
        if entry is None:
            return False
        try:
            stat = path.stat()
        except OSError:
            return False
        if stat.st_size != entry["size"]:
            return False
        if stat.st_mtime_ns == entry["mtime_ns"]:
            return True
        return file_hash(path) == entry["sha"]

    def record_output(self, path: Path, key: str) -> None:
        stat = path.stat()
        self.outputs[recorded(path)] = {
            "key": key,
            "sha": file_hash(path),
            "size": stat.st_size,
            "mtime_ns": stat.st_mtime_ns,
        }


def options_key(only: Iterable[str], paper: str | None, source: Path) -> str:
    """The build options that change outputs (and which notes), as one comparable string."""
    return fingerprint(__version__, sorted(only), paper, str(source.resolve()))


def nothing_changed(out: Path, options: str) -> bool:
    """The no-op fast path: same version/options, same input files, every output intact."""
    manifest = Manifest.read(out)
    if not manifest.outputs or manifest.version != __version__ or manifest.options != options:
        return False
    if tree_hashes(Path(f) for f in manifest.folders) != manifest.inputs:
        return False
    return all(manifest.output_intact(Path(p)) for p in manifest.outputs)


@contextmanager
def build_lock(out: Path, source: Path) -> Iterator[None]:
    """Hold exclusive locks on ``out`` and on ``source`` (whose state file the deck
    rewrites), so two builds never write the same files at once.

    A second build waits for the first to finish (it then usually finds nothing
    left to do). The source's lock lives in the temp folder, not among the notes.
    """
    import fcntl
    import tempfile

    folder = out / STATE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    source_id = hashlib.sha256(str(source.resolve()).encode()).hexdigest()[:16]
    paths = sorted([folder / LOCK, Path(tempfile.gettempdir()) / f"deckpress-{source_id}.lock"])
    handles = [open(path, "w") for path in paths]  # noqa: SIM115 - closed below
    try:
        for handle in handles:  # always in the same order: no deadlock
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        for handle in handles:
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()
