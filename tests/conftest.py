"""Shared fixtures: the real notes, and a factory for small source folders."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture(autouse=True, scope="session")
def _own_user_cache(tmp_path_factory):
    """The tests' builds keep the per-user cache (deckpress.usercache) in a folder of
    their own, not in the user's: set for the session, subprocesses inherit it."""
    import os

    from deckpress import usercache

    before = os.environ.get(usercache.ENV)
    os.environ[usercache.ENV] = str(tmp_path_factory.mktemp("usercache"))
    yield
    if before is None:
        os.environ.pop(usercache.ENV, None)
    else:
        os.environ[usercache.ENV] = before


ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "source"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

MINIMAL_CONFIG = """\
title: Tiny course
topics:
  - title: Everything
    videos: 1-2
"""

VIDEO = """\
## Video {n} — Title {n}
**What to remember**
- Point {n}a.
- Point {n}b.

**Interview Questions (with answers)**
**Q1. Question {n}?**{hard_break}
Answer {n}.

---
"""


@pytest.fixture
def make_source(tmp_path: Path):
    """Write ``{name: text}`` (str or bytes) into a fresh source folder and return it."""

    def make(files: dict[str, str | bytes], config: str | None = MINIMAL_CONFIG) -> Path:
        src = tmp_path / "src"
        src.mkdir(exist_ok=True)
        if config is not None:
            (src / "course.yaml").write_text(config, encoding="utf-8")
        for name, text in files.items():
            path = src / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(text, bytes):
                path.write_bytes(text)
            else:
                path.write_text(text, encoding="utf-8")
        return src

    return make


@pytest.fixture
def real_source(tmp_path: Path) -> Path:
    """A private copy of the real notes and course.yaml, safe to edit."""
    dst = tmp_path / "source"
    shutil.copytree(SOURCE, dst, ignore=shutil.ignore_patterns("deckpress.lock"))
    return dst


def video(n: int) -> str:
    """One well-formed video section."""
    return VIDEO.format(n=n, hard_break="  ")  # trailing double space = <br>


def cli_build(src: Path, out: Path, *args: str) -> str:
    """``deckpress build --source src --out out *args`` through click; must succeed."""
    from click.testing import CliRunner

    from deckpress.cli import main

    result = CliRunner().invoke(main, ["build", "--source", str(src), "--out", str(out), *args])
    assert result.exit_code == 0, result.output
    return result.output


def running(pid: int) -> bool:
    """``pid`` exists and is not a zombie (reparented zombies may never be reaped here;
    reads /proc)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"
