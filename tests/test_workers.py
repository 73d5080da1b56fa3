"""The typesetting worker pool (deckpress.printouts.workers): the first worker prepares
once and forks the others, jobs come back as futures, and no worker outlives the pool
or the build's process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from deckpress.printouts import workers
from deckpress.printouts.workers import BrokenProcessPool

from .conftest import running

pytestmark = pytest.mark.skipif(
    not hasattr(os, "fork") or not Path("/proc/self/stat").exists(), reason="forks, reads /proc"
)

PREPARED: list[int] = []


def prepare(log: str) -> None:
    PREPARED.append(os.getpid())
    with open(log, "a") as f:
        f.write(f"{os.getpid()}\n")


def who() -> tuple[int, int, list[int]]:
    time.sleep(0.2)  # so that each worker gets one of the jobs
    return os.getpid(), os.getppid(), PREPARED


def fails() -> None:
    raise ValueError("from the job")


def dies() -> None:
    os._exit(3)


def sleeps(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def touches(path: str) -> None:
    Path(path).touch()


def unpicklable_result():
    return threading.Lock()


def makes_cyclic_garbage(count: int) -> tuple[bool, int, int]:
    """Whether the collector may run during the job; new objects before and after."""
    import gc

    before = gc.get_count()[0]
    for _ in range(count):
        cycle: list = []
        cycle.append(cycle)
    return gc.isenabled(), before, gc.get_count()[0]


def gc_count() -> int:
    import gc

    return gc.get_count()[0]


def gone(pids: list[int], seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(running(pid) for pid in pids):
        time.sleep(0.05)
    return not any(running(pid) for pid in pids)


@pytest.fixture
def pools():
    made: list[workers.Pool] = []
    yield made
    for pool in made:
        pool.shutdown()


def test_one_prepares_and_forks_the_others(pools, tmp_path):
    log = tmp_path / "prepared"
    pool = workers.Pool(3, prepare=lambda: prepare(str(log)))
    pools.append(pool)
    answers = [f.result(timeout=30) for f in [pool.submit(who) for _ in range(3)]]
    first = int(log.read_text())  # prepare ran once, in the first worker
    assert {pid for pid, _, _ in answers} == set(pool.pids) and len(pool.pids) == 3
    parents = {pid: parent for pid, parent, _ in answers}
    assert parents.pop(first) == os.getpid()
    assert set(parents.values()) == {first}, "the others are forked from the first"
    assert all(prepared == [first] for _, _, prepared in answers), "...after it prepared"
    assert PREPARED == []  # and nothing of it ran here


def test_results_and_exceptions_come_back(pools):
    pool = workers.Pool(2)
    pools.append(pool)
    assert pool.submit(sleeps, 0.01).result(timeout=30) == 0.01
    with pytest.raises(ValueError, match="from the job") as raised:
        pool.submit(fails).result(timeout=30)
    assert "raise ValueError" in str(raised.value.__cause__)  # the worker's traceback
    with pytest.raises(RuntimeError, match="cannot pickle"):
        pool.submit(unpicklable_result).result(timeout=30)
    with pytest.raises(TypeError, match="pickle"):  # the job itself: fails here
        pool.submit(sleeps, threading.Lock()).result(timeout=30)
    assert pool.submit(sleeps, 0.02).result(timeout=30) == 0.02  # the pool goes on


def test_jobs_run_in_order_and_cancelled_ones_never(pools, tmp_path):
    pool = workers.Pool(2)
    pools.append(pool)
    busy = [pool.submit(sleeps, 0.5) for _ in range(2)]
    cancelled = pool.submit(touches, str(tmp_path / "cancelled"))
    later = pool.submit(touches, str(tmp_path / "later"))
    assert cancelled.cancel()
    later.result(timeout=30)
    assert [f.result() for f in busy] == [0.5, 0.5]
    assert (tmp_path / "later").exists() and not (tmp_path / "cancelled").exists()


def test_a_worker_that_dies_breaks_the_pool(pools):
    pool = workers.Pool(2)
    pools.append(pool)
    pool.submit(sleeps, 0).result(timeout=30)
    with pytest.raises(BrokenProcessPool, match="ended unexpectedly"):
        pool.submit(dies).result(timeout=30)
    with pytest.raises(BrokenProcessPool):
        pool.submit(sleeps, 0)


def test_shutdown_ends_every_worker_running_jobs_included(tmp_path):
    pool = workers.Pool(3)
    futures = [pool.submit(sleeps, 60) for _ in range(4)]
    deadline = time.monotonic() + 30
    while len(pool.pids) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    pids = pool.pids
    assert len(pids) == 3
    started = time.monotonic()
    pool.shutdown()
    assert time.monotonic() - started < 10
    assert gone(pids), "workers left behind"
    assert futures[3].cancelled()
    for future in futures[:3]:
        with pytest.raises(BrokenProcessPool):
            future.result(timeout=1)


def test_workers_end_when_the_build_process_is_killed(tmp_path):
    script = textwrap.dedent(
        f"""
        import sys, time
        sys.path.insert(0, {str(Path(__file__).parent.parent)!r})
        from deckpress.printouts import workers
        from tests.test_workers import sleeps
        pool = workers.Pool(2)
        pool.submit(sleeps, 0).result(); pool.submit(sleeps, 0).result()
        while len(pool.pids) < 2:
            time.sleep(0.01)
        pool.submit(sleeps, 1.5)  # one busy, one idle
        print(*pool.pids, flush=True)
        time.sleep(60)
        """
    )
    build = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        pids = [int(pid) for pid in build.stdout.readline().split()]
        assert len(pids) == 2
        build.send_signal(signal.SIGKILL)
        build.wait(timeout=10)
        # the idle worker sees its pipe close at once, the busy one after its job
        assert gone(pids, seconds=10), "a worker outlived the build's process"
    finally:
        build.kill()
        for pid in pids if "pids" in locals() else ():
            if running(pid):
                os.kill(pid, signal.SIGKILL)


def test_workers_collect_garbage_between_jobs_once_there_is_enough(pools, monkeypatch):
    """No collection during a job (a layout is a growing tree the collector would walk
    over and over); after a job that leaves more than COLLECT_AFTER new objects, one."""
    monkeypatch.setattr(workers, "COLLECT_AFTER", 100_000)
    monkeypatch.setattr(workers, "IDLE_SECONDS", 60.0)  # never idle for that long here
    pool = workers.Pool(1)
    pools.append(pool)
    enabled, before, after = pool.submit(makes_cyclic_garbage, 50_000).result(timeout=30)
    assert not enabled and after - before > 49_000  # nothing collected meanwhile
    assert pool.submit(gc_count).result(timeout=30) > 49_000  # not enough: kept
    pool.submit(makes_cyclic_garbage, 60_000).result(timeout=30)
    assert pool.submit(gc_count).result(timeout=30) < 1_000  # collected after that job


def test_an_idle_worker_collects_its_garbage(pools, monkeypatch):
    """Between a watch's saves: a worker idle for IDLE_SECONDS collects what its jobs
    left, however little (the real notes' edits never reach COLLECT_AFTER)."""
    monkeypatch.setattr(workers, "IDLE_SECONDS", 0.2)
    pool = workers.Pool(1)
    pools.append(pool)
    pool.submit(makes_cyclic_garbage, 20_000).result(timeout=30)
    time.sleep(1.0)
    assert pool.submit(gc_count).result(timeout=30) < 1_000
