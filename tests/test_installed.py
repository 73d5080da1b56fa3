"""Installed versions read from the dist-info folder's name (deckpress/installed.py):
the same as importlib.metadata says, which is asked whenever the folder is unclear."""

from __future__ import annotations

import importlib.metadata
import sys

import pytest

from deckpress import installed


@pytest.mark.parametrize("package", ["weasyprint", "pikepdf", "uharfbuzz", "jinja2", "click"])
def test_same_as_importlib_metadata(package):
    assert installed.version(package) == importlib.metadata.version(package)


def test_not_installed():
    assert installed.version("no_such_package_here") is None


def test_an_unclear_folder_is_left_to_importlib_metadata(tmp_path, monkeypatch):
    """A package whose folder holds two dist-info folders of its name (an upgrade left
    one behind) or an egg-info: importlib.metadata decides."""
    site = tmp_path / "site"
    (site / "twice").mkdir(parents=True)
    (site / "twice" / "__init__.py").write_text("", encoding="utf-8")
    for number in ("1.0", "2.0"):
        info = site / f"twice-{number}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: twice\nVersion: {number}\n", encoding="utf-8"
        )
    monkeypatch.syspath_prepend(str(site))
    asked = []
    real = importlib.metadata.version
    monkeypatch.setattr(
        importlib.metadata, "version", lambda name: asked.append(name) or real(name)
    )
    try:
        assert installed.version("twice") == real("twice")
        assert asked == ["twice"]
    finally:
        sys.modules.pop("twice", None)
