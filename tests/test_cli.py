"""The command line: help, version, exit codes, and the two entry points."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

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


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60
    )


def test_the_process_ends_as_sys_exit_would():
    """exit_now skips the interpreter's teardown, not what an exit must do: the atexit
    handlers run, buffered output is flushed, the status and message are sys.exit's."""
    ended = _python(
        """
        import atexit
        from deckpress.__main__ import exit_now
        atexit.register(print, "handler ran")
        print("buffered ", end="")
        exit_now(3)
        """
    )
    assert (ended.returncode, ended.stdout) == (3, "buffered handler ran\n")
    ended = _python("from deckpress.__main__ import exit_now; exit_now('error: a message')")
    assert (ended.returncode, ended.stderr) == (1, "error: a message\n")
    ended = _python("from deckpress.__main__ import exit_now; exit_now(None)")
    assert ended.returncode == 0


def test_a_running_thread_is_waited_for():
    ended = _python(
        """
        import threading, time
        from deckpress.__main__ import exit_now
        threading.Thread(target=lambda: (time.sleep(0.3), print("thread finished"))).start()
        exit_now(0)
        """
    )
    assert (ended.returncode, ended.stdout) == (0, "thread finished\n")


def test_console_script_builds_and_reports_errors(make_source, tmp_path):
    """The installed ``deckpress`` command (deckpress.__main__:run): output, statuses,
    and no worker process left once it has ended."""
    from .conftest import running, video

    script = Path(sys.executable).parent / "deckpress"
    src = make_source({"a.md": video(1) + video(2)})
    built = subprocess.run(
        [script, "build", "--source", src, "--out", tmp_path / "dist", "--only", "handouts", "-v"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert built.returncode == 0, built.stderr
    assert "handouts:" in built.stdout
    assert (tmp_path / "dist" / "handouts.pdf").is_file()
    # the workers were forked from it: the same command line; none is left running
    left = [
        proc
        for proc in Path("/proc").glob("[0-9]*")
        if str(src).encode() in _cmdline(proc) and running(int(proc.name))
    ]
    assert not left
    missing = subprocess.run(
        [script, "build", "--source", tmp_path / "nowhere"], capture_output=True, text=True
    )
    assert missing.returncode == 2
    assert "Traceback" not in missing.stderr


def _cmdline(proc: Path) -> bytes:
    try:
        return (proc / "cmdline").read_bytes()
    except OSError:
        return b""


def test_output_closed_or_cut_short_is_no_error(make_source):
    """`deckpress check >&-` (no stdout at all) and `deckpress check --json | head -c 1`
    on the real notes (more than a pipe holds) end as before the fast exit: status 0,
    no traceback."""
    import os

    from .conftest import SOURCE, video

    src = make_source({"a.md": video(1) + video(2)})
    check = [sys.executable, "-m", "deckpress", "check", "--source"]
    closed = subprocess.run(
        [*check, str(src)], stderr=subprocess.PIPE, text=True, preexec_fn=lambda: os.close(1)
    )
    assert closed.returncode == 0, closed.stderr
    assert "Traceback" not in closed.stderr
    piped = subprocess.Popen(
        [*check, str(SOURCE), "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert piped.stdout.read(1) == b"{"
    piped.stdout.close()
    _, err = piped.communicate(timeout=60)
    assert piped.returncode == 0, err
    assert b"Traceback" not in err


def test_a_profiler_still_gets_its_results(tmp_path):
    """Under `python -m cProfile -o FILE`, which writes FILE after the program returns,
    the process ends the normal way."""
    stats = tmp_path / "build.prof"
    ended = subprocess.run(
        [sys.executable, "-m", "cProfile", "-o", str(stats), "-m", "deckpress", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ended.returncode == 0, ended.stderr
    assert stats.stat().st_size > 0
