"""The benchmark suite: ``make bench`` (or ``.venv/bin/python bench/run.py``).

Measures, side by side in one run on this machine, and prints one table:

- cold full build of the real notes vs ``pandoc --pdf-engine=weasyprint`` on the same notes;
- no-op rebuild and rebuild after a one-answer edit vs ``python -c "import deckpress"``
  and vs the cold build;
- deck-only builds of synthetic courses (100 / 1,000 / 5,000 videos): time and peak memory.

Each timing is the median of several runs of a fresh process. ``--write`` also
records the table in ``bench/RESULTS.md`` with the machine and date.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DECKPRESS = [str(BIN / "deckpress")]
sys.path.insert(0, str(ROOT / "bench"))

from gen_course import generate  # noqa: E402

# The answer edited by the "one-answer edit" measurement (video 42, Q1; topic 09).
EDIT_FILE = "part2.md"
EDIT_OLD = "For RGB, a filter is (k×k×3)."


def run(cmd: list[str], cwd: Path | None = None) -> tuple[float, int]:
    """Run ``cmd`` once; return (wall seconds, peak RSS in MiB). Fails loudly."""
    start = time.perf_counter()
    # pandoc finds WeasyPrint on PATH: the virtualenv's
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        err = proc.stderr.read().decode() if proc.stderr else ""
        raise SystemExit(f"benchmark command failed: {' '.join(cmd)}\n{err}")
    return elapsed, usage.ru_maxrss // 1024


def median(cmd: list[str], repeat: int, setup=None, cwd: Path | None = None) -> tuple[float, int]:
    times, peaks = [], []
    for _ in range(repeat):
        if setup:
            setup()
        seconds, peak = run(cmd, cwd)
        times.append(seconds)
        peaks.append(peak)
    return statistics.median(times), max(peaks)


def fresh_source(work: Path) -> Path:
    src = work / "source"
    if src.exists():
        shutil.rmtree(src)
    shutil.copytree(ROOT / "source", src, ignore=shutil.ignore_patterns("deckpress.lock"))
    return src


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement")
    parser.add_argument("--sizes", default="100,1000,5000", help="synthetic course sizes")
    parser.add_argument("--write", action="store_true", help="write bench/RESULTS.md")
    args = parser.parse_args()
    if shutil.which("pandoc") is None:
        raise SystemExit(
            "pandoc not found: `apt-get install -y pandoc` (the `make bench` target does)"
        )

    work = Path(tempfile.mkdtemp(prefix="deckpress-bench-"))
    rows: list[tuple[str, str, str]] = []
    try:
        src = fresh_source(work)
        out = work / "dist"
        build = [*DECKPRESS, "build", "--quiet", "--source", str(src), "--out", str(out)]

        def cold() -> None:
            shutil.rmtree(out, ignore_errors=True)
            (src / "deckpress.lock").unlink(missing_ok=True)

        notes = sorted(str(p) for p in src.glob("*.md"))
        pandoc, _ = median(
            [
                "pandoc",
                *notes,
                "--metadata",
                "title=notes",
                "--pdf-engine=weasyprint",
                "-o",
                str(work / "pandoc.pdf"),
            ],
            args.repeat,
        )
        full, full_mem = median(build, args.repeat, setup=cold)
        rows.append(("pandoc --pdf-engine=weasyprint (baseline)", f"{pandoc:.2f} s", ""))
        rows.append(
            (
                "cold full build (deck + 2 sheets + 15 handouts)",
                f"{full:.2f} s",
                f"{full / pandoc:.2f}× pandoc (target ≤ 2×), {full_mem} MiB peak (main process)",
            )
        )

        imp, _ = median([sys.executable, "-c", "import deckpress"], args.repeat * 2)
        run(build)  # make sure dist/ is current
        noop, _ = median(build, args.repeat * 2)
        rows.append(('python -c "import deckpress"', f"{imp * 1000:.0f} ms", ""))
        rows.append(
            ("no-op rebuild", f"{noop * 1000:.0f} ms", f"{noop / imp:.2f}× import (target ≤ 3×)")
        )

        notes_file = src / EDIT_FILE
        original = notes_file.read_text(encoding="utf-8")
        if EDIT_OLD not in original:
            raise SystemExit(f"bench: edit anchor {EDIT_OLD!r} not found in {EDIT_FILE}")
        counter = iter(range(10**6))

        def edit() -> None:
            notes_file.write_text(
                original.replace(EDIT_OLD, f"{EDIT_OLD} (edit {next(counter)})"), encoding="utf-8"
            )

        one_edit, _ = median(build, args.repeat, setup=edit)
        rows.append(
            (
                "rebuild after a one-answer edit",
                f"{one_edit:.2f} s",
                f"{one_edit / full:.0%} of cold (target ≤ 40 %)",
            )
        )

        scale: dict[int, float] = {}
        for size in (int(s) for s in args.sizes.split(",")):
            syn = generate(size, work / f"syn{size}")
            syn_out = work / f"syn{size}-dist"
            cmd = [
                *DECKPRESS,
                "build",
                "--quiet",
                "--only",
                "deck",
                "--source",
                str(syn),
                "--out",
                str(syn_out),
            ]

            def clean(syn=syn, syn_out=syn_out) -> None:
                shutil.rmtree(syn_out, ignore_errors=True)
                (syn / "deckpress.lock").unlink(missing_ok=True)

            seconds, peak = median(cmd, max(1, args.repeat // 2), setup=clean)
            scale[size] = seconds
            note = f"{peak} MiB peak"
            if size == 5000 and 1000 in scale:
                linear = scale[1000] * 5
                note += (
                    f", {seconds / linear:.2f}× linear from 1,000 (target ≤ 1.3×, < 20 s, < 1 GiB)"
                )
            rows.append((f"deck-only build, {size:,} synthetic videos", f"{seconds:.2f} s", note))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    table = format_table(rows)
    print(table)
    if args.write:
        write_results(table)


def format_table(rows: list[tuple[str, str, str]]) -> str:
    lines = ["| measurement | time | ratio / notes |", "| --- | ---: | --- |"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


def write_results(table: str) -> None:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    header = (
        "# Benchmark results\n\n"
        f"Measured {dt.date.today().isoformat()} on {os.cpu_count()} cores ({cpu}), "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}.\n"
        "Reproduce with `make bench`. Medians of fresh processes; ratios compare "
        "measurements from the same run.\n\n"
    )
    (ROOT / "bench" / "RESULTS.md").write_text(header + table + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
