"""Small tools for large trees: helper processes for CPU-bound input work, a paused collector, and
signals held back while something must not be cut short.

Helper processes are *spawn*-started, like the render workers: the CLI's process never loads the
Helm engine, but a forked child would inherit whatever it has loaded, and spawn keeps that question
from ever arising. They are started on first use only, so small trees never pay for them.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from typing import NoReturn, TypeVar

from tenantgen.signals import child_started, signals_held

Item = TypeVar("Item")
Result = TypeVar("Result")


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


class HelperPool:
    """A process pool for parsing and schema checks, created when first asked for."""

    def __init__(self, workers: int = 0) -> None:
        self.workers = workers or cores()
        self._executor: ProcessPoolExecutor | None = None

    def executor(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                                 initializer=child_started)
        return self._executor

    def submit(self, function: Callable[[Item], Result], item: Item) -> Future[Result]:
        """``Executor.submit`` on the helpers, with signals held as ``map`` holds them."""
        executor = self.executor()
        with signals_held():
            return executor.submit(function, item)

    def map(self, function: Callable[[Item], Result], items: Iterable[Item]) -> Iterator[Result]:
        """``Executor.map`` on the helpers (started now if they are not yet).

        Helpers start while ``map`` hands out the work, so that is done with SIGINT/SIGTERM held: a
        start cut short leaves a child without its start-up data, and it prints a traceback. The
        wait for the results can be interrupted as usual.
        """
        executor = self.executor()
        with signals_held():
            return executor.map(function, items)

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

    What was built meanwhile is then frozen (``gc.freeze``): it would all be in the youngest
    generation, and the first allocation after re-enabling would walk it (~0.3 s for a large
    fleet), then again as it ages. ``cli.main`` unfreezes it at the end of the command.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


# What a command leaves for the process's end to drop (see ``run_then_exit``); None: drop as usual.
_kept: list[object] | None = None


def keep_until_exit(value: object) -> None:
    """Leave ``value`` (a large fleet's output set, say) to the end of the process, when it runs
    under ``run_then_exit``: freeing a million objects one by one took half a second."""
    if _kept is not None:
        _kept.append(value)


def run_then_exit(main: Callable[[], int]) -> NoReturn:
    """Run the command line's ``main`` and end the process without tearing the interpreter down.

    Every file is closed and every child process reaped by the commands themselves; what is left is
    memory, which the operating system takes back at once. (In-process callers, tests among them,
    call ``main`` and get its exit code instead.)
    """
    global _kept
    _kept = []
    code = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass  # a closed pipe: nothing more can be said
    os._exit(code)
