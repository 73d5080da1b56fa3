"""The benchmark suite: ``make bench`` (or ``.venv/bin/python bench/run.py``).

Measures, side by side in one run on this machine, and prints one table:

- cold full build of the real notes (no ``dist/``, no lock; the per-user cache of
  what is derived from installed software kept, as after any earlier build on the
  machine, and also emptied: a machine's first build) vs ``pandoc
  --pdf-engine=weasyprint`` on the same notes, and its peak memory summed over the
  build's processes (workers included);
- no-op rebuild vs ``python -c "import deckpress"``;
- a one-word edit that shows on both cheat sheets, a handout and ``handouts.pdf``, rebuilt
  by a fresh process and inside a long-lived one (as ``watch`` does), vs pandoc;
- deck-only builds of synthetic courses (100 / 1,000 / 5,000 videos): time and peak memory.

Everything runs in the configuration the README sets up, without the optional system
package ``libharfbuzz-subset0`` even where it is installed (``readme_only/`` hides it
from WeasyPrint, deckpress's and pandoc's alike); pandoc with it is reported too when
it is there. Each timing is the median of several runs of a fresh process, with the
spread (slowest / fastest) beside it: the machine may be shared. So pandoc runs
alternate with the runs compared with it, and each ratio is to the pandoc runs of its
own rounds (for ``watch``, just before and after its process). ``--write`` also
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

# The one-word edit: the first sentence of video 22's Q1 answer (topic 06, a focus topic:
# it shows on both cheat sheets, the topic's handout and handouts.pdf).
EDIT_FILE = "part1.md"
EDIT_OLD = "It limits effective model complexity"
EDIT_WORDS = ("bounds", "caps", "curbs", "restricts")
README_ONLY = ROOT / "bench" / "readme_only"
USER_CACHE: Path | None = None
"""The bench's own per-user cache folder (``DECKPRESS_CACHE``), set by :func:`main`: the
user's own cache neither helps nor is touched."""


def edited(source: Path) -> None:
    """Make a one-word edit: the edited word becomes the next of :data:`EDIT_WORDS`."""
    notes = source / EDIT_FILE
    text = notes.read_text(encoding="utf-8")
    words = ("limits", *EDIT_WORDS)
    for i, word in enumerate(words):
        anchor = EDIT_OLD.replace("limits", word)
        if anchor in text:
            new = EDIT_OLD.replace("limits", words[(i + 1) % len(words)])
            notes.write_text(text.replace(anchor, new), encoding="utf-8")
            return
    raise SystemExit(f"bench: edit anchor {EDIT_OLD!r} not found in {EDIT_FILE}")


def environment(readme_only: bool = True) -> dict[str, str]:
    """pandoc finds WeasyPrint on PATH (the virtualenv's); ``readme_only``: without the
    optional HarfBuzz subsetter (see ``readme_only/sitecustomize.py``)."""
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    env.pop("PYTHONPATH", None)
    if USER_CACHE is not None:
        env["DECKPRESS_CACHE"] = str(USER_CACHE)
    if readme_only:
        env["PYTHONPATH"] = str(README_ONLY)
    return env


def run(cmd: list[str], cwd: Path | None = None, readme_only: bool = True) -> tuple[float, int]:
    """Run ``cmd`` once; return (wall seconds, peak RSS in MiB of the largest of it and its
    children: wait4 counts them). Fails loudly."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        env=environment(readme_only),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        err = proc.stderr.read().decode() if proc.stderr else ""
        raise SystemExit(f"benchmark command failed: {' '.join(cmd)}\n{err}")
    return elapsed, usage.ru_maxrss // 1024


def median(
    cmd: list[str], repeat: int, setup=None, cwd: Path | None = None, readme_only: bool = True
) -> tuple[float, int, float]:
    """Median seconds, peak RSS (MiB) and spread (slowest / fastest) of ``repeat`` runs."""
    times, peaks = [], []
    for _ in range(repeat):
        if setup:
            setup()
        seconds, peak = run(cmd, cwd, readme_only)
        times.append(seconds)
        peaks.append(peak)
    return statistics.median(times), max(peaks), max(times) / min(times)


def tree_peak_mib(cmd: list[str], interval: float = 0.02) -> float:
    """Run ``cmd`` once, sampling the memory of it and the processes it started (the PDF
    workers): the peak of their summed PSS (shared pages split between the processes
    that share them, so forked workers are not counted twice), in MiB. A separate run
    from the timed ones: sampling costs a little CPU."""
    proc = subprocess.Popen(
        cmd, env=environment(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    peak = 0
    while proc.poll() is None:
        total = 0
        for pid in [proc.pid, *_descendants(proc.pid)]:
            total += _pss_kib(pid)
        peak = max(peak, total)
        time.sleep(interval)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark command failed: {' '.join(cmd)}")
    return peak / 1024


def _descendants(pid: int) -> list[int]:
    """Its children, their children, ... (the PDF workers after the first are forked by
    the first)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            children = [int(child) for child in task.read_text().split()]
        except OSError:
            continue
        for child in children:
            found += [child, *_descendants(child)]
    return found


def _pss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def spread(ratio: float) -> str:
    return f"spread {ratio:.2f}×"


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
    global USER_CACHE
    USER_CACHE = work / "usercache"
    rows: list[tuple[str, str, str]] = []
    try:
        src = fresh_source(work)
        out = work / "dist"
        build = [*DECKPRESS, "build", "--quiet", "--source", str(src), "--out", str(out)]

        def cold() -> None:
            shutil.rmtree(out, ignore_errors=True)
            (src / "deckpress.lock").unlink(missing_ok=True)

        notes = sorted(str(p) for p in src.glob("*.md"))
        pandoc_cmd = [
            "pandoc",
            *notes,
            "--metadata",
            "title=notes",
            "--pdf-engine=weasyprint",
            "-o",
            str(work / "pandoc.pdf"),
        ]
        # pandoc runs alternate with the runs compared with it, and each ratio is to the
        # pandoc runs of its own rounds: a machine that speeds up or slows down during
        # the bench (a shared one) moves both sides of a ratio alike
        baseline: dict[str, list[float]] = {"cold": [], "first": [], "edit": [], "watch": []}

        def pandoc_run(phase: str) -> None:
            baseline[phase].append(run(pandoc_cmd)[0])

        def before_cold() -> None:
            pandoc_run("cold")
            cold()

        def before_first() -> None:
            pandoc_run("first")
            cold()
            shutil.rmtree(USER_CACHE, ignore_errors=True)

        # a machine's first build ever: not even the per-user cache (see the README)
        first, _, first_spread = median(build, args.repeat, setup=before_first)
        # a new course, a clean checkout: no dist/, the per-user cache kept
        full, full_mem, full_spread = median(build, args.repeat, setup=before_cold)
        cold()
        tree_mem = tree_peak_mib(build)
        rows.append(("pandoc --pdf-engine=weasyprint (baseline, README setup)", "", ""))
        pandoc_row = len(rows) - 1
        if _system_subsetter():
            with_hb, _, with_hb_spread = median(pandoc_cmd, args.repeat, readme_only=False)
            rows.append(
                (
                    "pandoc, with the optional libharfbuzz-subset0 (not the baseline)",
                    f"{with_hb:.2f} s",
                    f"{spread(with_hb_spread)}; cold build = {full / with_hb:.2f}× this "
                    "(not interleaved)",
                )
            )
        rows.append(
            (
                "cold full build (deck + 2 sheets + 15 handouts; no dist/, per-user cache kept)",
                f"{full:.2f} s",
                f"**{full / _mid(baseline['cold']):.2f}× pandoc** (target ≤ 1.0×; pandoc "
                f"{_mid(baseline['cold']):.2f} s in the same rounds), {spread(full_spread)}",
            )
        )
        rows.append(
            (
                "the same, per-user cache empty too (a machine's first build)",
                f"{first:.2f} s",
                f"{first / _mid(baseline['first']):.2f}× pandoc (pandoc "
                f"{_mid(baseline['first']):.2f} s in the same rounds), {spread(first_spread)}",
            )
        )
        rows.append(
            (
                "cold full build, peak memory",
                f"{tree_mem:.0f} MiB",
                f"summed PSS of the build and its worker processes (largest single process: "
                f"{full_mem} MiB peak RSS)",
            )
        )

        imp, _, _ = median([sys.executable, "-c", "import deckpress"], args.repeat * 2)
        run(build)  # make sure dist/ is current
        noop, _, _ = median(build, args.repeat * 2)
        rows.append(('python -c "import deckpress"', f"{imp * 1000:.0f} ms", ""))
        rows.append(
            ("no-op rebuild", f"{noop * 1000:.0f} ms", f"{noop / imp:.2f}× import (target ≤ 3×)")
        )

        def before_edit() -> None:
            pandoc_run("edit")
            edited(src)

        one_edit, _, edit_spread = median(build, args.repeat, setup=before_edit)
        rows.append(
            (
                "one-word edit on both cheat sheets, a handout, handouts.pdf: fresh process",
                f"{one_edit:.2f} s",
                f"**{one_edit / _mid(baseline['edit']):.2f}× pandoc** (target ≤ 0.5×; pandoc "
                f"{_mid(baseline['edit']):.2f} s in the same rounds), "
                f"{one_edit / full:.0%} of cold, {spread(edit_spread)}",
            )
        )
        # one long-lived process makes all its edits: pandoc runs just before and after it
        for _ in range(2):
            pandoc_run("watch")
        watched = _watch_edits(src, out, args.repeat)
        for _ in range(2):
            pandoc_run("watch")
        rows.append(
            (
                "the same edit inside `watch` (one long-lived process)",
                f"{statistics.median(watched):.2f} s",
                f"**{statistics.median(watched) / _mid(baseline['watch']):.2f}× pandoc** (target "
                f"≤ 0.25×; pandoc {_mid(baseline['watch']):.2f} s just before and after), "
                f"{spread(max(watched) / min(watched))}",
            )
        )
        every = [t for times in baseline.values() for t in times]
        rows[pandoc_row] = (
            rows[pandoc_row][0],
            f"{_mid(every):.2f} s",
            f"{len(every)} runs between the others; {spread(max(every) / min(every))}",
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

            seconds, peak, _ = median(cmd, max(1, args.repeat // 2), setup=clean)
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


def _mid(times: list[float]) -> float:
    return statistics.median(times)


def _system_subsetter() -> bool:
    """Whether this machine has the optional system package ``libharfbuzz-subset0``."""
    try:
        listing = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout
    except OSError:
        return False
    return "libharfbuzz-subset" in listing


def _watch_edits(src: Path, out: Path, edits: int) -> list[float]:
    """Seconds of each rebuild after an edit inside one process (``watch_edit.py``)."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "watch_edit.py"), str(src), str(out), str(edits)],
        env=environment(),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"benchmark watch edits failed:\n{done.stderr}")
    return [float(line) for line in done.stdout.split()]


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
        "Reproduce with `make bench`. Medians of fresh processes; pandoc runs alternate "
        "with the runs compared with it, and each ratio is to the pandoc runs of its own "
        "rounds; the spread is the slowest run over the fastest.\n"
        "Configuration: as the README sets a machine up, without the optional "
        "`libharfbuzz-subset0` (hidden from WeasyPrint if installed, for deckpress and "
        "pandoc alike; see `bench/readme_only/`). A cold build has no `dist/` and no "
        'lock; the per-user cache (README, "The per-user cache") is the bench\'s own, '
        'kept from the runs before except in the "machine\'s first build" row.\n\n'
    )
    (ROOT / "bench" / "RESULTS.md").write_text(header + table + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
