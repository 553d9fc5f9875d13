"""Small tools for large trees: helper processes for CPU-bound input work, and a paused collector.

Helper processes are *spawn*-started, like the render workers: the CLI's process never loads the
Helm engine, but a forked child would inherit whatever it has loaded, and spawn keeps that question
from ever arising. They are started on first use only, so small trees never pay for them.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


class HelperPool:
    """A process pool for parsing and schema checks, created when first asked for."""

    def __init__(self, workers: int = 0) -> None:
        self.workers = workers or cores()
        self._executor: ProcessPoolExecutor | None = None

    def executor(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
        return self._executor

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def __enter__(self) -> HelperPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextmanager
def collector_paused() -> Iterator[None]:
    """Hold Python's cycle collector while a run builds millions of objects that all stay alive.

    Each full collection walks every live object, so with a large fleet in memory the collector's
    cost grows with the square of the work (it tripled the time to build the fleet). tenantgen's
    data holds no reference cycles worth collecting within one run.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
