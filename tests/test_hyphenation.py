"""Hyphenation patterns kept between builds (deckpress/printouts/hyphenation.py):
the same patterns, the same hyphenation, whether parsed or read back."""

from __future__ import annotations

import marshal
import subprocess
import sys
from pathlib import Path

import pyphen
import pytest

from deckpress.printouts import hyphenation

from .conftest import video

WORDS = (
    "hyphenation",
    "regularization",
    "backpropagation",
    "convolutional",
    "Transformer",
    "self-attention",
    "optimisation",
    "characteristically",
)


@pytest.fixture
def cached(tmp_path: Path):
    """pyphen with the cache installed in ``tmp_path``; restored afterwards."""
    hyphenation.cache_in(tmp_path)
    hyphenation.install()
    try:
        yield tmp_path
    finally:
        hyphenation.uninstall()
        hyphenation.cache_in(None)


def _parses(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Count the real parses (by pyphen's own ``HyphDict``) from now on."""
    calls: list[Path] = []

    def counting(cls, path):
        calls.append(path)
        return cls(path)

    monkeypatch.setattr(hyphenation, "_parse", counting)
    return calls


def test_patterns_read_back_are_the_parsed_ones(cached: Path, monkeypatch) -> None:
    calls = _parses(monkeypatch)
    first = pyphen.Pyphen(lang="en_US", cache=False)
    assert len(calls) == 1
    assert len(list(cached.glob("hyph_en_US-*.marshal"))) == 1
    second = pyphen.Pyphen(lang="en_US", cache=False)
    assert len(calls) == 1, "the second dictionary came from the cache, not a parse"
    assert second.hd.patterns == first.hd.patterns
    assert second.hd.maxlen == first.hd.maxlen
    for word in WORDS:
        assert second.inserted(word) == first.inserted(word)
        assert second.positions(word) == first.positions(word)


def test_same_hyphenation_as_pyphen_alone(cached: Path) -> None:
    pyphen.Pyphen(lang="en_GB", cache=False)  # parse and keep
    from_cache = pyphen.Pyphen(lang="en_GB", cache=False)
    hyphenation.uninstall()
    alone = pyphen.Pyphen(lang="en_GB", cache=False)
    for word in WORDS:
        assert from_cache.inserted(word) == alone.inserted(word)


@pytest.mark.parametrize(
    "content",
    [
        b"\x00 not marshal",
        marshal.dumps({"a": 1}),  # marshal, but not patterns
        marshal.dumps({"ab": (0, ("1",))}),
        marshal.dumps([("ab", (0, (1,)))]),
    ],
)
def test_unreadable_cache_is_parsed_again_and_rewritten(
    cached: Path, monkeypatch, content: bytes
) -> None:
    calls = _parses(monkeypatch)
    expected = pyphen.Pyphen(lang="en_US", cache=False).hd.patterns
    (kept,) = cached.glob("hyph_en_US-*.marshal")
    kept.write_bytes(content)
    again = pyphen.Pyphen(lang="en_US", cache=False)
    assert len(calls) == 2
    assert again.hd.patterns == expected
    assert pyphen.Pyphen(lang="en_US", cache=False).hd.patterns == expected
    assert len(calls) == 2, "the rewritten file is read back"


def test_changed_dictionary_file_is_parsed_again(cached: Path, tmp_path: Path) -> None:
    source = tmp_path / "dictionary" / "hyph_xx_XX.dic"
    source.parent.mkdir()
    source.write_text("UTF-8\n1ba\n", encoding="utf-8")
    assert pyphen.Pyphen(filename=source, cache=False).hd.patterns == {"ba": (0, (1,))}
    source.write_text("UTF-8\n1ba\n2ab1\n", encoding="utf-8")
    assert pyphen.Pyphen(filename=source, cache=False).hd.patterns == {
        "ba": (0, (1,)),
        "ab": (0, (2, 0, 1)),
    }
    assert len(list(cached.glob("hyph_xx_XX-*.marshal"))) == 2


def test_nonstandard_hyphenation_is_not_cached(cached: Path) -> None:
    hungarian = pyphen.Pyphen(lang="hu_HU", cache=False)
    assert not list(cached.glob("hyph_hu_HU-*"))
    assert any(
        getattr(value, "data", None) is not None
        for _, values in hungarian.hd.patterns.values()
        for value in values
    )


def test_without_a_folder_nothing_is_written(tmp_path: Path) -> None:
    hyphenation.cache_in(None)
    hyphenation.install()
    try:
        assert pyphen.Pyphen(lang="en_US", cache=False).inserted("hyphenation")
    finally:
        hyphenation.uninstall()
    assert not list(tmp_path.iterdir())


def test_a_build_keeps_the_patterns(make_source, tmp_path: Path) -> None:
    """A build (a fresh process, as a user runs it) leaves the patterns it parsed in
    the per-user cache for the next one, of any course, which reads them back."""
    import os

    from deckpress import usercache

    src = make_source({"notes.md": video(1) + video(2)})
    out = tmp_path / "dist"
    cache = tmp_path / "cache"
    env = {**os.environ, usercache.ENV: str(cache)}
    build = [
        sys.executable,
        "-m",
        "deckpress",
        "build",
        "-q",
        "--source",
        src,
        "--only",
        "handouts",
    ]
    subprocess.run([*build, "--out", out], check=True, env=env)
    (kept,) = (cache / "hyphenation").iterdir()
    assert kept.suffix == ".marshal"
    assert not (out / ".deckpress" / "hyphenation").exists()
    written = kept.stat().st_mtime_ns
    subprocess.run([*build, "--out", tmp_path / "other"], check=True, env=env)  # cold
    assert kept.stat().st_mtime_ns == written, "read back, not parsed and written again"
