"""Print benchmark: the full print build (cheat sheet, focus sheet, handouts) against
pandoc typesetting the same notes with the same engine.

    .venv/bin/python bench/print_bench.py [--source source] [--repeat 3]

Needs pandoc for the baseline; this script installs nothing:

    apt-get install -y pandoc

Each timing is the median of ``--repeat`` cold runs, each a fresh process
writing to an empty folder. Rows: the print build with its worker processes,
the same build in one process (``DECKPRESS_WORKERS=1``), and
``pandoc --pdf-engine=weasyprint`` on the raw notes. The issue's target is the
print build within 1× the pandoc time (issue #12; `bench/run.py` measures the whole build).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TARGET = 1.0


def timed(cmd: list[str], env: dict[str, str], repeat: int) -> float:
    """Median wall time of ``repeat`` runs of ``cmd``, each in a fresh empty folder."""
    times = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as work:
            run = [part.replace("{out}", work) for part in cmd]
            start = time.perf_counter()
            done = subprocess.run(run, env=env, cwd=ROOT, capture_output=True, text=True)
            times.append(time.perf_counter() - start)
            if done.returncode != 0:
                raise SystemExit(f"failed: {' '.join(run)}\n{done.stderr}")
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=ROOT / "source")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("pandoc") is None:
        raise SystemExit("pandoc not found; install it first: apt-get install -y pandoc")
    sys.path.insert(0, str(ROOT))
    from deckpress.notes.parse import notes_files

    notes = [str(p) for p in notes_files(args.source)]
    # pandoc runs the `weasyprint` command: the one installed beside this Python
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("DECKPRESS_WORKERS", None)
    build = [
        str(BIN / "python"),
        "build.py",
        "build",
        "--source",
        str(args.source),
        "--out",
        "{out}",
        "--only",
        "cheatsheet",
        "--only",
        "handouts",
        "--force",
        "-q",
    ]
    pandoc = [
        "pandoc",
        *notes,
        "--pdf-engine=weasyprint",
        "--metadata",
        "title=notes",
        "-o",
        "{out}/notes.pdf",
    ]

    baseline = timed(pandoc, env, args.repeat)
    parallel = timed(build, env, args.repeat)
    serial = timed(build, {**env, "DECKPRESS_WORKERS": "1"}, args.repeat)
    rows = [
        ("pandoc --pdf-engine=weasyprint (baseline)", baseline),
        (f"print build, {os.cpu_count()} worker processes", parallel),
        ("print build, one process", serial),
    ]
    width = max(len(name) for name, _ in rows)
    print(
        f"{'':{width}}  {'median':>8}  {'× pandoc':>8}   ({args.repeat} runs, {len(notes)} notes)"
    )
    for name, seconds in rows:
        print(f"{name:<{width}}  {seconds:7.2f}s  {seconds / baseline:7.2f}×")
    verdict = "meets" if parallel <= TARGET * baseline else "misses"
    print(
        f"\nprint build {verdict} the target of {TARGET:g}× pandoc "
        f"(parallel vs one process: {serial / parallel:.2f}× faster)"
    )


if __name__ == "__main__":
    main()
