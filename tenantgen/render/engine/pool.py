"""Worker processes that render releases, isolated from the CLI's process.

Why this shape (see the engine's measured hazards):
- workers are *spawn*-started: a forked child of a process that loaded the Helm library can hang;
- jobs travel in batches and results come back a few at a time, in order (fewer messages: each one
  wakes the other side, which costs as much as the message). Before each release a worker writes its
  index into a shared-memory slot, so a worker that dies or hangs is attributed to exactly the
  release it was rendering, reported by name, and replaced; the rest of its batch (including
  results that died with it) is handed out again;
- a render cannot be interrupted from inside, so a wall-clock timeout kills the worker instead;
- workers ignore SIGINT: Ctrl-C is the parent's to handle, and it stops every worker;
- a worker's stderr goes to a log file in the pool's private temporary folder: a Go crash dumps
  hundreds of lines of goroutine stacks there, and the parent reports only its first line. Workers
  also keep their temporary files in that folder, so closing the pool removes whatever a killed
  worker left behind.
"""

from __future__ import annotations

import ctypes
import math
import multiprocessing
import os
import re
import select
import shutil
import signal
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing import resource_tracker
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

from tenantgen.errors import TenantgenError
from tenantgen.render.engine import RenderJob
from tenantgen.render.engine.worker import ReleaseOutput, ReleaseRenderer, WorkerConfig
from tenantgen.signals import child_started, signals_held

DEFAULT_TIMEOUT = 120.0
BATCH = 16  # releases per message to a worker
# Results per message back. Each message wakes the parent (see ``GATHER_SECONDS``); which release a
# worker that dies or hangs was rendering, the parent reads from shared memory instead.
RESULTS_PER_MESSAGE = 4
GATHER_SECONDS = 0.003
GO_GC_PERCENT = "1000"
START_TIMEOUT = 120.0
LOG_READ_BYTES = 64 * 1024
# The line of a crash log that says what happened (Go runtime, Go panic, a fatal signal).
_CRASH_LINE = re.compile(r"^(fatal error: .*|panic: .*|SIG[A-Z]+: .*|unexpected signal.*|.*Error: .*)$", re.MULTILINE)
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    # A worker whose parent was killed outright (SIGKILL) must not render on as an orphan.
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):
            pass


@contextmanager
def _go_environment() -> Iterator[None]:
    """Start a worker with the Go runtime tuned for rendering (unless the user tuned it).

    Go reads GOGC when the engine's library loads, from the environment the process started with. A
    render allocates a few MB that are garbage right after; with Go's default (GOGC=100) the heap
    goal stays at ~4 MB and the collector runs every few renders, taking ~40 % of the render time.
    GOGC=1000 lets the heap reach ~50 MB first: the same renders, a third less CPU.
    """
    added = "GOGC" not in os.environ
    if added:
        os.environ["GOGC"] = GO_GC_PERCENT
    try:
        yield
    finally:
        if added:
            os.environ.pop("GOGC", None)


def _worker_main(conn: Connection, config: WorkerConfig, log_path: str, rendering: Any) -> None:
    child_started()
    _die_with_parent()
    # Before the engine loads: the Go runtime writes its crash dumps straight to file descriptor 2.
    log = os.open(log_path, os.O_WRONLY | os.O_APPEND)
    os.dup2(log, 2)
    os.close(log)
    tempfile.tempdir = os.path.dirname(log_path)
    renderer = ReleaseRenderer(config)
    conn.send("ready")
    while True:
        batch = conn.recv()
        if batch is None:
            return
        done: list[tuple[int, ReleaseOutput]] = []
        for index, job in batch:
            rendering.value = index  # a store into shared memory: the parent reads it if we die or hang
            try:
                output = renderer(job)
            except Exception as exc:  # noqa: BLE001 - reported against the release, not lost
                output = ReleaseOutput((), 0, (), f"internal error while rendering: {exc!r}")
            done.append((index, output))
            if len(done) >= RESULTS_PER_MESSAGE:
                conn.send(done)
                done = []
        if done:
            conn.send(done)


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    log_path: str
    rendering: Any  # shared memory: the index of the job the worker is rendering now
    # Sent and not answered yet, in the order the worker renders them.
    inflight: deque[int] = field(default_factory=deque)
    ready: bool = True  # False while a prestarted worker has not said so yet
    started: float = 0.0  # when the batch was sent or the last results came

    @property
    def job(self) -> int | None:
        return self.inflight[0] if self.inflight else None

    def running(self) -> int:
        """The job the worker is rendering (results come a few at a time: not always the first
        unanswered one)."""
        index = int(self.rendering.value)
        return index if index in self.inflight else self.inflight[0]

    def readable(self) -> bool:
        """Whether a result (or the end of the pipe) is there to read, without waiting."""
        return bool(_ready([self.conn.fileno()], 0)) if _FAST_WAIT else self.conn.poll()

    def exited(self) -> bool:
        """Whether the process may have ended (its sentinel is ready), without waiting."""
        return bool(_ready([self.process.sentinel], 0)) if _FAST_WAIT else not self.process.is_alive()


def _ready(fds: Sequence[int], timeout: float) -> set[int]:
    """The file descriptors among ``fds`` with something to read (or closed), waiting up to ``timeout`` s.

    ``multiprocessing``'s ``wait()`` and ``Connection.poll()`` build and tear down a Python selector
    on every call (~50 us); the parent asks a few times per release, which came to seconds of a large
    render. ``select.poll`` does the same in C. Where it does not exist (not POSIX), the pool uses
    ``wait()``.
    """
    poller = select.poll()
    for fd in fds:
        poller.register(fd, select.POLLIN)
    return {fd for fd, _ in poller.poll(max(0, math.ceil(timeout * 1000)))}


_FAST_WAIT = hasattr(select, "poll")


def _describe_death(exitcode: int | None, log_path: str = "") -> str:
    if exitcode is not None and exitcode < 0:
        try:
            death = f"killed by signal {signal.Signals(-exitcode).name}"
        except ValueError:
            death = f"killed by signal {-exitcode}"
    else:
        death = f"exit code {exitcode}"
    words = _last_words(log_path)
    return f"{death}: {words}" if words else death


def _last_words(log_path: str) -> str:
    """The one line of a worker's log that says why it died ("fatal error: runtime: out of memory")."""
    try:
        with open(log_path, "rb") as log:
            text = log.read(LOG_READ_BYTES).decode("utf-8", "replace")
    except OSError:
        return ""
    match = _CRASH_LINE.search(text)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    line = match.group(1).strip() if match else (lines[-1] if lines else "")
    line = "".join(char if char.isprintable() else " " for char in line)
    return line if len(line) <= 200 else line[:200] + "..."


class WorkerPool:
    def __init__(self, config: WorkerConfig, workers: int, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.config = config
        self.size = max(1, workers)
        self.timeout = timeout
        self._context = multiprocessing.get_context("spawn")
        self._workers: list[_Worker] = []
        self._leaving: list[_Worker] = []  # told to stop by ``let_go``, not reaped yet
        self._tmp: str | None = None  # the workers' logs and temporary files; removed by close()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def prestart(self, count: int = 1) -> None:
        """Start ``count`` workers now without waiting for them: the engine loads while the caller does
        other work (reading and checking the tree), instead of when the first release is due."""
        while len(self._workers) < min(count, self.size):
            self._workers.append(self._launch())

    def _start(self) -> _Worker:
        return self._await_ready(self._launch())

    def _launch(self) -> _Worker:
        if self._tmp is None:
            self._tmp = tempfile.mkdtemp(prefix="tenantgen-engine-")
        log, log_path = tempfile.mkstemp(prefix="worker-", suffix=".log", dir=self._tmp)
        os.close(log)
        parent, child = self._context.Pipe()
        rendering = self._context.RawValue("q", -1)
        process = self._context.Process(target=_worker_main, args=(child, self.config, log_path, rendering),
                                        daemon=True, name="tenantgen-render")
        # Ctrl-C and SIGTERM wait while the worker is started (see ``signals_held``): an interrupted
        # start would leave a half-started child that nobody stops, and it prints a traceback. The
        # worker inherits the blocked signals: a Ctrl-C sent to the whole process group cannot
        # interrupt its start-up either, before it ignores SIGINT for good.
        if hasattr(signal, "pthread_sigmask"):
            # Started beforehand: starting it unblocks SIGINT again (multiprocessing's own dance).
            resource_tracker.ensure_running()
        try:
            with signals_held(), _go_environment():
                process.start()
        except BaseException:
            # A signal held back during the start is delivered as it ends, before the caller has the
            # worker to stop: it would run on until the interpreter's exit stopped it.
            if process.pid is not None:
                process.kill()
                process.join(5)
            raise
        child.close()
        return _Worker(process, parent, log_path, rendering, ready=False)

    def _await_ready(self, worker: _Worker) -> _Worker:
        if worker.ready:
            return worker
        process, parent, log_path = worker.process, worker.conn, worker.log_path
        try:
            ready = parent.poll(START_TIMEOUT)
            if ready:
                parent.recv()
        except EOFError:
            process.join(5)
            raise TenantgenError("the Helm engine failed to start "
                                 f"({_describe_death(process.exitcode, log_path)})") from None
        except BaseException:  # interrupted while it starts: it is not ours to keep
            process.kill()
            process.join(5)
            raise
        if not ready:
            process.kill()
            process.join(5)
            raise TenantgenError("the Helm engine did not start within "
                                 f"{START_TIMEOUT:.0f} s ({_describe_death(process.exitcode, log_path)})")
        worker.ready = True
        return worker

    def _replace(self, worker: _Worker) -> None:
        self._stop(worker, kill=True)
        self._workers[self._workers.index(worker)] = self._start()

    def let_go(self) -> None:
        """Tell the idle workers to stop, without waiting for them: a worker takes a few tenths of a
        second to exit, and it does so while the caller goes on (``close`` then only reaps it; a
        later ``run`` starts new workers)."""
        for worker in self._workers:
            if worker.job is None and worker.ready:
                try:
                    worker.conn.send(None)
                except (OSError, ValueError):
                    worker.process.kill()
                self._leaving.append(worker)
        self._workers = [worker for worker in self._workers if worker not in self._leaving]

    @staticmethod
    def _stop(worker: _Worker, kill: bool, told: bool = False) -> None:
        if kill:
            worker.process.kill()
        elif not told:
            try:
                worker.conn.send(None)
            except (OSError, ValueError):
                worker.process.kill()
        worker.process.join(5)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join(5)
        worker.conn.close()
        try:
            os.unlink(worker.log_path)
        except OSError:
            pass

    def close(self) -> None:
        workers, self._workers = self._workers, []
        leaving, self._leaving = self._leaving, []
        try:
            for worker in leaving:
                self._stop(worker, kill=False, told=True)
            for worker in workers:
                self._stop(worker, kill=worker.job is not None or not worker.ready)
        finally:
            if self._tmp is not None:
                shutil.rmtree(self._tmp, ignore_errors=True)
                self._tmp = None

    def run(self, jobs: Sequence[RenderJob],
            on_done: Callable[[int, ReleaseOutput], None] = lambda index, output: None,
            idle: Iterator[object] | None = None, keep: bool = True) -> list[ReleaseOutput]:
        """Render ``jobs``; the result list is in job order. Failures are outputs, not exceptions.

        ``idle``: the caller's own work, one step per ``next()``, done while the workers render
        instead of after them (the parent would otherwise only wait). ``keep=False``: ``on_done`` is
        where the outputs go; none is kept (the list returned is empty).
        """
        results: list[ReleaseOutput | None] = [None] * len(jobs)
        pending = deque(range(len(jobs)))
        while len(self._workers) < min(self.size, len(jobs)):
            self._workers.append(self._launch())  # all at once: they load the engine side by side
        for worker in self._workers:
            self._await_ready(worker)  # on failure, close() stops them all

        def finish(index: int, output: ReleaseOutput) -> None:
            if keep:
                results[index] = output
            on_done(index, output)

        while pending or any(worker.inflight for worker in self._workers):
            for worker in self._workers:
                # Top up before the worker runs dry: it renders the next batch while we read results.
                if pending and len(worker.inflight) <= BATCH // 2:
                    self._send(worker, pending, jobs)
            busy = [worker for worker in self._workers if worker.inflight]
            deadline = min(worker.started for worker in busy) + self.timeout
            if idle is not None and not self._wait(busy, 0):
                if next(idle, None) is not None:
                    continue
                idle = None
            ready = self._wait(busy, max(0.0, deadline - time.monotonic()))
            for worker in busy:
                if worker in ready or time.monotonic() - worker.started > self.timeout:
                    self._collect(worker, jobs, finish, pending)
            if ready and pending:
                # Let results gather before looking again. A worker writing into the pipe of a parent
                # that waits on it must wake the parent, once per result: on a virtual machine each
                # such wake-up costs the worker ~0.1 ms, as much as reading the result back. The
                # pipe holds several results and every worker has a batch queued: nobody waits.
                time.sleep(GATHER_SECONDS)
        return [output for output in results if output is not None]

    @staticmethod
    def _wait(workers: Sequence[_Worker], timeout: float) -> list[_Worker]:
        """The workers with a result to read or that died, waiting up to ``timeout`` s for one."""
        if _FAST_WAIT:
            fds = _ready([fd for worker in workers for fd in (worker.conn.fileno(), worker.process.sentinel)], timeout)
            return [worker for worker in workers if worker.conn.fileno() in fds or worker.process.sentinel in fds]
        waitables: list[Any] = [worker.conn for worker in workers] + [worker.process.sentinel for worker in workers]
        ready = set(wait(waitables, timeout=timeout))
        return [worker for worker in workers if worker.conn in ready or worker.process.sentinel in ready]

    def _send(self, worker: _Worker, pending: deque[int], jobs: Sequence[RenderJob]) -> None:
        # Smaller batches towards the end, so no worker is left with a long tail while others idle.
        size = max(1, min(BATCH, len(pending) // (2 * len(self._workers))))
        batch = [pending.popleft() for _ in range(min(size, len(pending)))]
        if not worker.inflight:
            worker.started = time.monotonic()
        worker.inflight.extend(batch)
        try:
            worker.conn.send([(index, jobs[index]) for index in batch])
        except (OSError, ValueError):
            pass  # the worker died; _collect reports it against its first job

    def _collect(self, worker: _Worker, jobs: Sequence[RenderJob], finish: Callable[[int, ReleaseOutput], None],
                 pending: deque[int]) -> None:
        ended = False
        while worker.inflight and worker.readable():
            try:
                results = worker.conn.recv()
            except (EOFError, OSError):
                ended = True
                break
            worker.started = time.monotonic()
            for done, output in results:
                if worker.inflight and done == worker.inflight[0]:
                    worker.inflight.popleft()
                    finish(done, output)
        if not worker.inflight:
            return
        index = worker.running()
        # Asked only when there is a sign of death: waitpid for every result was a cost of its own.
        if (ended or worker.exited()) and not worker.process.is_alive():
            death = _describe_death(worker.process.exitcode, worker.log_path)
            failure = ReleaseOutput((), 0, (), f"the Helm engine crashed ({death}) while rendering "
                                               f"release {jobs[index].release!r}")
        elif time.monotonic() - worker.started > self.timeout:
            failure = ReleaseOutput((), 0, (), f"rendering release {jobs[index].release!r} did not finish "
                                               f"within {self.timeout:g} s; the engine was stopped")
        else:
            return
        worker.inflight.remove(index)
        finish(index, failure)
        # The rest of the batch goes back to the front of the queue: those after it never started,
        # those before it rendered but their results died with the worker.
        pending.extendleft(reversed(worker.inflight))
        worker.inflight.clear()
        self._replace(worker)


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
