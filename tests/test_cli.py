"""The command line: help, version, exit codes, and the two entry points."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from deckpress import __version__
from deckpress.cli import main

from .conftest import ROOT


@pytest.mark.parametrize("args", [["--help"], ["build", "--help"], ["check", "--help"]])
def test_help_everywhere(args):
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0
    assert "Usage:" in result.output
    assert "--source" in result.output or args == ["--help"]


def test_version():
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["build", "--only", "poster"],
        ["frobnicate"],
        ["build", "--paper", "a5"],
        ["check", "--nope"],
    ],
)
def test_usage_errors_exit_2(args):
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_build_py_and_console_script_are_the_same_group():
    for cmd in (
        [sys.executable, "build.py", "--version"],
        [sys.executable, "-m", "deckpress", "--version"],
    ):
        out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True)
        assert out.stdout.strip() == f"deckpress, version {__version__}"


def test_build_py_defaults_to_build(make_source, tmp_path):
    from .conftest import video

    src = make_source({"a.md": video(1) + video(1)})
    out = subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "--source", str(src)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    # --source belongs to `build`, so the bare group rejects it as a usage error...
    assert out.returncode == 2
    out = subprocess.run(
        [sys.executable, str(ROOT / "build.py")], cwd=tmp_path, capture_output=True, text=True
    )
    # ...and with no arguments it builds ./source, which does not exist here: a
    # command-line mistake (wrong folder), one line with a hint.
    assert out.returncode == 2
    assert out.stderr.startswith("error: no source/ folder in ")
    assert "run deckpress in your course folder" in out.stderr
    assert len(out.stderr.splitlines()) == 1
