"""A pool of worker processes that render releases, isolated from the CLI's process (see ``process``).

How it schedules:
- jobs travel in batches and results come back a few at a time, in order (fewer messages: each one
  wakes the other side, which costs as much as the message). A worker is topped up before it runs
  dry, and batches shrink towards the end so that no worker is left with a long tail;
- a worker that dies or hangs is blamed for exactly the release it was rendering, which is reported
  by name; the worker is replaced and the rest of its batch (including results that died with it)
  is handed out again;
- a render cannot be interrupted from inside, so a wall-clock timeout kills the worker instead;
- while the workers render, the parent does its own work (``idle``) instead of only waiting.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence

from tenantgen.render.engine import RenderJob
from tenantgen.render.workers.process import (
    Worker,
    await_ready,
    describe_death,
    launch_worker,
    stop_worker,
    with_news,
)
from tenantgen.render.workers.release import ReleaseOutput, WorkerConfig

DEFAULT_TIMEOUT = 120.0
BATCH = 16  # releases per message to a worker
GATHER_SECONDS = 0.003


class WorkerPool:
    def __init__(self, config: WorkerConfig, workers: int, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.config = config
        self.size = max(1, workers)
        self.timeout = timeout
        self._context = multiprocessing.get_context("spawn")
        self._workers: list[Worker] = []
        self._leaving: list[Worker] = []  # told to stop by ``let_go``, not reaped yet
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

    def _start(self) -> Worker:
        return await_ready(self._launch())

    def _launch(self) -> Worker:
        if self._tmp is None:
            self._tmp = tempfile.mkdtemp(prefix="tenantgen-engine-")
        return launch_worker(self._context, self.config, self._tmp)

    def _replace(self, worker: Worker) -> None:
        stop_worker(worker, kill=True)
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

    def close(self) -> None:
        workers, self._workers = self._workers, []
        leaving, self._leaving = self._leaving, []
        try:
            for worker in leaving:
                stop_worker(worker, kill=False, told=True)
            for worker in workers:
                stop_worker(worker, kill=worker.job is not None or not worker.ready)
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
            await_ready(worker)  # on failure, close() stops them all

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
            if idle is not None and not with_news(busy, 0):
                if next(idle, None) is not None:
                    continue
                idle = None
            ready = with_news(busy, max(0.0, deadline - time.monotonic()))
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

    def _send(self, worker: Worker, pending: deque[int], jobs: Sequence[RenderJob]) -> None:
        # Smaller batches towards the end, so no worker is left with a long tail while others idle.
        # A lone worker has no one to leave a tail to: it gets all there is (the two releases of a
        # changed tenant, one at a time, waited between them for the parent's work in ``idle``).
        share = len(pending) // (2 * len(self._workers)) if len(self._workers) > 1 else len(pending)
        size = max(1, min(BATCH, share))
        batch = [pending.popleft() for _ in range(min(size, len(pending)))]
        if not worker.inflight:
            worker.started = time.monotonic()
        worker.inflight.extend(batch)
        try:
            worker.conn.send([(index, jobs[index]) for index in batch])
        except (OSError, ValueError):
            pass  # the worker died; _collect reports it against its first job

    def _collect(self, worker: Worker, jobs: Sequence[RenderJob], finish: Callable[[int, ReleaseOutput], None],
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
            death = describe_death(worker.process.exitcode, worker.log_path)
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
