"""The per-user cache (deckpress.usercache): where it is, what a build keeps there
instead of in dist/, and that a build without one (or with a broken one) just works."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from deckpress import usercache

from .conftest import video


@pytest.mark.parametrize(
    "environ, expected",
    [
        ({usercache.ENV: "/x/cache"}, Path("/x/cache")),
        ({usercache.ENV: "", "XDG_CACHE_HOME": "/xdg"}, None),  # empty: no cache
        ({"XDG_CACHE_HOME": "/xdg"}, Path("/xdg/deckpress")),
        ({"XDG_CACHE_HOME": "relative", "HOME": "/home/u"}, Path("/home/u/.cache/deckpress")),
        ({"HOME": "/home/u"}, Path("/home/u/.cache/deckpress")),
    ],
)
def test_where_the_cache_is(monkeypatch, environ, expected):
    for name in (usercache.ENV, "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert usercache.folder() == expected
    assert usercache.part("fonts") == (expected / "fonts" if expected else None)


def build(src: Path, out: Path, cache: str, **environ: str) -> None:
    env = {**os.environ, usercache.ENV: cache, **environ}
    args = ["build", "-q", "--source", str(src), "--out", str(out)]
    subprocess.run([sys.executable, "-m", "deckpress", *args], check=True, env=env)


def kept(folder: Path) -> dict[str, int]:
    return {
        str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()
    }


def test_a_cold_build_of_another_course_reads_what_the_first_kept(make_source, tmp_path):
    src = make_source({"notes.md": video(1) + video(2)})
    cache = tmp_path / "cache"
    build(src, tmp_path / "dist", str(cache))
    first = kept(cache)
    assert {name.split("/")[0] for name in first} == {"hyphenation", "fonts", "templates"}
    state = {p.name for p in (tmp_path / "dist" / ".deckpress").iterdir()}
    assert not state & {"hyphenation", "fonts", "templates"}  # not in the course's dist/
    build(src, tmp_path / "elsewhere", str(cache))  # no dist/ yet: a cold build
    assert kept(cache) == first, "read back, nothing made or written again"


def test_without_a_cache_or_with_a_broken_one_a_build_just_works(make_source, tmp_path):
    src = make_source({"notes.md": video(1) + video(2)})
    home = tmp_path / "home"
    build(src, tmp_path / "none", "", HOME=str(home), XDG_CACHE_HOME="")
    assert (tmp_path / "none" / "handouts.pdf").exists() and not home.exists()
    broken = tmp_path / "broken"
    broken.write_text("a file where the folder should be", encoding="utf-8")
    build(src, tmp_path / "broken-out", str(broken))
    assert (tmp_path / "broken-out" / "handouts.pdf").exists()
