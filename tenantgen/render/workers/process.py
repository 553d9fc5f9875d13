"""One worker process's life: started, fed batches of releases, stopped; and why it died, if it did.

Why this shape (see the engine's measured hazards):
- workers are *spawn*-started: a forked child of a process that loaded the Helm library can hang;
- before each release a worker writes its index into a shared-memory slot, so a worker that dies or
  hangs is attributed to exactly the release it was rendering (``Worker.running``);
- results go back a few at a time (``RESULTS_PER_MESSAGE``): each message wakes the parent, which
  costs as much as the message;
- workers ignore SIGINT: Ctrl-C is the parent's to handle, and it stops every worker;
- a worker's stderr goes to a log file in the pool's private temporary folder: a Go crash dumps
  hundreds of lines of goroutine stacks there, and the parent reports only its first line. Workers
  also keep their temporary files in that folder, so closing the pool removes whatever a killed
  worker left behind.
"""

from __future__ import annotations

import ctypes
import math
import os
import re
import select
import signal
import sys
import tempfile
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing import resource_tracker
from multiprocessing.connection import Connection, wait
from multiprocessing.context import SpawnContext
from multiprocessing.process import BaseProcess
from typing import Any

from tenantgen.errors import TenantgenError
from tenantgen.render.workers.release import ReleaseOutput, ReleaseRenderer, WorkerConfig
from tenantgen.signals import child_started, signals_held

# Results per message back. Each message wakes the parent (see ``pool.GATHER_SECONDS``); which release
# a worker that dies or hangs was rendering, the parent reads from shared memory instead.
RESULTS_PER_MESSAGE = 4
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
class Worker:
    """One worker process, as the pool sees it."""

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


def describe_death(exitcode: int | None, log_path: str = "") -> str:
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


def launch_worker(context: SpawnContext, config: WorkerConfig, folder: str) -> Worker:
    """Start a worker process without waiting for it to be ready (see ``await_ready``); its log and
    temporary files go into ``folder``."""
    log, log_path = tempfile.mkstemp(prefix="worker-", suffix=".log", dir=folder)
    os.close(log)
    parent, child = context.Pipe()
    rendering = context.RawValue("q", -1)
    process = context.Process(target=_worker_main, args=(child, config, log_path, rendering),
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
    return Worker(process, parent, log_path, rendering, ready=False)


def await_ready(worker: Worker) -> Worker:
    """Wait until a launched worker has loaded the engine; raise if it cannot."""
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
                             f"({describe_death(process.exitcode, log_path)})") from None
    except BaseException:  # interrupted while it starts: it is not ours to keep
        process.kill()
        process.join(5)
        raise
    if not ready:
        process.kill()
        process.join(5)
        raise TenantgenError("the Helm engine did not start within "
                             f"{START_TIMEOUT:.0f} s ({describe_death(process.exitcode, log_path)})")
    worker.ready = True
    return worker


def stop_worker(worker: Worker, kill: bool, told: bool = False) -> None:
    """End a worker: killed, or told to stop (``told``: it was already) and waited for."""
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


def with_news(workers: Sequence[Worker], timeout: float) -> list[Worker]:
    """The workers with a result to read or that died, waiting up to ``timeout`` s for one."""
    if _FAST_WAIT:
        fds = _ready([fd for worker in workers for fd in (worker.conn.fileno(), worker.process.sentinel)], timeout)
        return [worker for worker in workers if worker.conn.fileno() in fds or worker.process.sentinel in fds]
    waitables: list[Any] = [worker.conn for worker in workers] + [worker.process.sentinel for worker in workers]
    ready = set(wait(waitables, timeout=timeout))
    return [worker for worker in workers if worker.conn in ready or worker.process.sentinel in ready]
