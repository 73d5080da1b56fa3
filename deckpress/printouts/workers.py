"""Worker processes for typesetting, all forked from one that is ready to typeset.

A PDF worker needs WeasyPrint (about 0.2 s of CPU to import) and, on its first
render, the hyphenation dictionary and font setup (about 0.05 s more). Forked
from the build's own process, as ``ProcessPoolExecutor`` does, every worker pays
both, on a machine whose cores the build already keeps busy. Here only the first
worker does: it runs ``prepare`` and then forks the others, which start with
everything it loaded (a fork copies the process; the pages are shared until
written).

Each worker serves a pipe of its own, one job at a time: a job is a picklable
function and its arguments, its result or exception comes back. A thread in the
build's process hands queued jobs to idle workers, in the order they were
submitted, and completes their ``Future`` objects. A worker that dies breaks the
pool (its job and the queued ones fail with ``BrokenProcessPool``); workers end
when the pool is shut down or when the build's process is gone (their pipe
closes), whatever the reason.
"""

from __future__ import annotations

import atexit
import gc
import logging
import os
import signal
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from concurrent.futures import BrokenExecutor, Future
from multiprocessing import Pipe, connection
from typing import Any

log = logging.getLogger(__name__)

STOP_SECONDS = 5.0
"""How long :meth:`Pool.shutdown` waits for a worker to end after SIGTERM (then SIGKILL)."""
MAX_WORKERS = 8
"""Workers at most: a build has about 20 sheets and its longest job bounds it well before
this, while each worker holds WeasyPrint and a document (about 100-120 MB)."""
WORKERS_ENV = "DECKPRESS_WORKERS"
"""Environment variable capping the worker processes (``1``: typeset in this process)."""
PREPARE = "deckpress.printouts.printing:ready_to_typeset"
"""What the first worker runs before forking the others (``module:function``: imported
there, not in the build's process)."""

_shared: Pool | None = None


def warm_up() -> None:
    """The pipeline's hook, called before anything else of a build that prints: start
    the process's pool (:func:`shared`) now, so that its first worker imports WeasyPrint
    while this process imports and loads everything else."""
    shared()


def shared() -> Pool | None:
    """The pool every typesetting job of this process goes to, started on first use;
    None when :func:`count` is 1 (typeset in this process)."""
    global _shared
    if _shared is None and count() > 1:
        _shared = Pool(count(), prepare=_imported(PREPARE))
    return _shared


def running() -> Pool | None:
    """The shared pool if it has been started (never starts it)."""
    return _shared


def stop() -> None:
    """End the shared pool's workers now (the next :func:`shared` starts new ones)."""
    global _shared
    if _shared is not None:
        _shared.shutdown()
        _shared = None


def count() -> int:
    """One worker per CPU this process may use, at most :data:`MAX_WORKERS`, unless
    :data:`WORKERS_ENV` says otherwise."""
    wanted = os.environ.get(WORKERS_ENV, "")
    if wanted.isdigit():
        return max(1, int(wanted))
    if not hasattr(os, "fork"):
        return 1
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cpus or 1, MAX_WORKERS))


def _imported(path: str) -> Callable[[], None]:
    """``module:function``, imported when called."""

    def call() -> None:
        import importlib

        module, name = path.split(":")
        getattr(importlib.import_module(module), name)()

    return call


class BrokenProcessPool(BrokenExecutor):
    """A worker ended unexpectedly, or the pool was shut down: its jobs cannot be done
    (as ``concurrent.futures.process.BrokenProcessPool``, without importing that module)."""


class RemoteTraceback(Exception):
    """The traceback of an exception raised in a worker (the ``__cause__`` of the
    exception re-raised here, as ``concurrent.futures`` does)."""

    def __str__(self) -> str:
        return f'\n"""\n{self.args[0]}"""'


class Pool:
    """``count`` worker processes (at least 1); the first runs ``prepare()`` (if given)
    before forking the others. Jobs: :meth:`submit`; end: :meth:`shutdown`."""

    def __init__(self, count: int, prepare: Callable[[], None] | None = None):
        ends = [Pipe(duplex=True) for _ in range(max(1, count))]
        ours = [end for end, _ in ends]
        theirs = [end for _, end in ends]
        gc.freeze()  # what the workers inherit: the collector leaves it alone meanwhile
        try:
            pid = os.fork()
            if pid == 0:  # the first worker
                _first_worker(ours, theirs, prepare)
        finally:
            gc.unfreeze()
        for end in theirs:
            end.close()
        self._first = pid
        self._lock = threading.Lock()
        self._queue: deque[tuple[Future[Any], Callable[..., Any], tuple[Any, ...]]] = deque()
        self._idle: list[connection.Connection] = []
        self._running: dict[connection.Connection, Future[Any]] = {}
        self._live = list(ours)
        self._pids: dict[connection.Connection, int] = {}
        self._broken = ""
        self._closing = False
        self._wake_read, self._wake_write = Pipe(duplex=False)
        self._thread = threading.Thread(target=self._serve, name="deckpress-workers", daemon=True)
        self._thread.start()
        atexit.register(self.shutdown)

    @property
    def pids(self) -> list[int]:
        """The worker processes' ids known so far (each says it when ready)."""
        with self._lock:
            return sorted({self._first, *self._pids.values()})

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Future[Any]:
        """Run ``fn(*args)`` in the next idle worker (queued until one is)."""
        future: Future[Any] = Future()
        with self._lock:
            if self._broken or self._closing:
                raise BrokenProcessPool(self._broken or "the worker pool was shut down")
            self._queue.append((future, fn, args))
            self._dispatch()
        return future

    def shutdown(self) -> None:
        """Cancel the queued jobs and end every worker now, running jobs included."""
        with self._lock:
            if self._closing:
                return
            self._closing = True
            queued = [future for future, _, _ in self._queue]
            self._queue.clear()
            pids = {self._first, *self._pids.values()}
        atexit.unregister(self.shutdown)
        for future in queued:
            future.cancel()
        self._wake_write.send(None)
        self._thread.join(timeout=STOP_SECONDS)
        for pid in pids:
            _signal(pid, signal.SIGTERM)
        for end in self._live:
            end.close()
        # the first worker is this process's child: wait for it (no zombie left); the
        # others are its children, and end with their pipe or the signal
        deadline = time.monotonic() + STOP_SECONDS
        while time.monotonic() < deadline:
            try:
                if os.waitpid(self._first, os.WNOHANG)[0]:
                    break
            except ChildProcessError:
                break
            time.sleep(0.001)
        else:
            for pid in pids:
                _signal(pid, signal.SIGKILL)
            _reap(self._first)
        with self._lock:
            running = list(self._running.values())
            self._running.clear()
        for future in running:
            _fail(future, BrokenProcessPool("the worker pool was shut down"))

    # -- in the pool's thread ---------------------------------------------------

    def _serve(self) -> None:
        while True:
            ready = connection.wait([*self._live, self._wake_read])
            if self._wake_read in ready:
                return
            for end in ready:
                try:
                    message = end.recv()
                except (EOFError, OSError):
                    self._lost(end)
                    continue
                self._received(end, message)
            if not self._live:
                return

    def _received(self, end: connection.Connection, message: tuple[Any, ...]) -> None:
        with self._lock:
            if message[0] == "ready":
                self._pids[end] = message[1]
                future = None
            else:
                future = self._running.pop(end, None)
            self._idle.append(end)
            self._dispatch()
        if future is None:
            return
        if message[0] == "done":
            future.set_result(message[1])
        else:
            _, exception, text = message
            exception.__cause__ = RemoteTraceback(text)
            future.set_exception(exception)

    def _lost(self, end: connection.Connection) -> None:
        """A worker ended (killed, crashed): its job, the queued ones and later ones fail."""
        with self._lock:
            self._live.remove(end)
            if end in self._idle:
                self._idle.remove(end)
            pid = self._pids.get(end, "?")
            if not self._closing and not self._broken:
                self._broken = f"a typesetting worker (process {pid}) ended unexpectedly"
            failed = [self._running.pop(end)] if end in self._running else []
            failed += [future for future, _, _ in self._queue]
            self._queue.clear()
        for future in failed:
            _fail(future, BrokenProcessPool(self._broken or "the worker pool was shut down"))

    def _dispatch(self) -> None:
        """Hand queued jobs to idle workers (with the lock held)."""
        while self._idle and self._queue:
            future, fn, args = self._queue.popleft()
            if not future.set_running_or_notify_cancel():
                continue  # cancelled while queued
            end = self._idle.pop(0)
            try:
                end.send((fn, args))
            except Exception as exc:  # the job cannot be pickled: it fails, the worker waits
                self._idle.insert(0, end)
                future.set_exception(exc)
                continue
            self._running[end] = future


# -- in the workers ---------------------------------------------------------------


def _first_worker(
    ours: list[connection.Connection],
    theirs: list[connection.Connection],
    prepare: Callable[[], None] | None,
) -> None:
    """Prepare, fork the other workers, then serve the first pipe. Never returns."""
    code = 0
    try:
        for end in ours:  # the build's ends: only the build holds them (EOF when it ends)
            end.close()
        _as_a_worker()
        if prepare is not None:
            # imports make objects that live as long as the process: collecting while
            # they are made only costs time (~20 ms of WeasyPrint's start-up)
            gc.disable()
            prepare()
        # the others are this process's children: reaped by the kernel as they end
        signal.signal(signal.SIGCHLD, signal.SIG_IGN)
        gc.freeze()  # what they inherit from here, as above
        gc.enable()
        for i in range(1, len(theirs)):
            if os.fork() == 0:
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                for j, end in enumerate(theirs):
                    if j != i:
                        end.close()
                _serve(theirs[i])
        for end in theirs[1:]:
            end.close()
        _serve(theirs[0])
    except BaseException:  # noqa: BLE001 — a worker never returns into the build's code
        traceback.print_exc()
        code = 1
    finally:
        os._exit(code)


def _as_a_worker() -> None:
    """Signals as a worker needs them, whatever the build's process had (``watch``'s
    handlers): SIGTERM and SIGHUP end it; Ctrl-C is the build's to handle (it ends the
    workers), not each worker's."""
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


COLLECT_AFTER = 200_000
"""A worker collects garbage right after a job that leaves it with more objects than this
made since its last collection (see :func:`_serve`): a few tens of MB."""
IDLE_SECONDS = 0.5
"""A worker with anything to collect collects it once it has had no job for this long
(``watch`` between saves; a build keeps its workers busy until it ends)."""


def _serve(end: connection.Connection) -> None:
    """Say ready, then run jobs until told to stop or the pipe closes. Never returns.

    The garbage collector does not run during jobs: a layout is one growing tree of
    live objects that every collection would walk (~80 ms of a cold build's CPU), and
    a laid-out document is cyclic garbage only once its job is done. The collector
    runs after a job that leaves more than :data:`COLLECT_AFTER` new objects (the
    real notes' cold build leaves ~70,000 in each worker and never gets there: its
    workers end at ~90 MB resident), and when a worker has been idle for
    :data:`IDLE_SECONDS` with anything to collect (``watch``'s long-lived workers,
    between saves: without it they grew from ~95 to ~230 MB over 45 edits)."""
    gc.disable()
    try:
        end.send(("ready", os.getpid()))
        while True:
            if gc.get_count()[0] and not end.poll(IDLE_SECONDS):
                gc.collect()
            job = end.recv()
            if job is None:
                break
            fn, args = job
            try:
                reply: tuple[Any, ...] = ("done", fn(*args))
            except BaseException as exc:  # noqa: BLE001 — it is the job's result
                reply = ("failed", exc, traceback.format_exc())
            try:
                end.send(reply)
            except Exception as exc:  # the result cannot be pickled
                end.send(("failed", RuntimeError(f"{exc} (from {fn!r})"), traceback.format_exc()))
            del job, fn, args, reply
            if gc.get_count()[0] > COLLECT_AFTER:
                gc.collect()
    except (EOFError, OSError):
        pass  # the build's process is gone
    os._exit(0)


def _signal(pid: int, number: int) -> None:
    try:
        os.kill(pid, number)
    except (ProcessLookupError, PermissionError):
        pass


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def _fail(future: Future[Any], exception: BaseException) -> None:
    if not future.done():
        future.set_exception(exception)
