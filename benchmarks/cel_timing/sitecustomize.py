"""Benchmark only (``cel_budget.py --timed``): how much CPU time tenantgen's CEL rules take in a run.

Imported at start-up by every process of the run (its folder is on ``PYTHONPATH``). Once tenantgen's
output check is imported, the two places where CEL work happens are timed with the calling thread's
CPU clock: ``ManifestValidator.rules`` (on first use of a kind: reading its rules, loading the CEL
engine, compiling the rules) and ``CrdRules.check`` (evaluating them on an object). Each process
adds its total to a file of its own in ``$TENANTGEN_BENCH_CEL_TIMES`` as it exits.
"""

from __future__ import annotations

import atexit
import functools
import importlib.abc
import importlib.machinery
import os
import sys
import time
from collections.abc import Callable, Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any, NoReturn

TARGETS = {"tenantgen.render.checks.manifest": ("ManifestValidator", "rules"),
           "tenantgen.render.checks.cel_rules": ("CrdRules", "check")}
_spent = {"seconds": 0.0, "calls": 0}
_depth = [0]


def _timed(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def timed(*args: Any, **kwargs: Any) -> Any:
        if _depth[0]:
            return method(*args, **kwargs)  # (a check inside a timed call is timed once)
        _depth[0] += 1
        started = time.thread_time()
        try:
            return method(*args, **kwargs)
        finally:
            _spent["seconds"] += time.thread_time() - started
            _spent["calls"] += 1
            _depth[0] -= 1

    return timed


class _Timing(importlib.abc.MetaPathFinder):
    def find_spec(self, name: str, path: Sequence[str] | None, target: ModuleType | None = None) -> ModuleSpec | None:
        if name not in TARGETS:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return None
        loader: Any = spec.loader
        load = loader.exec_module
        class_name, method_name = TARGETS[name]

        def exec_module(module: ModuleType) -> None:
            load(module)
            owner = getattr(module, class_name)
            setattr(owner, method_name, _timed(getattr(owner, method_name)))

        loader.exec_module = exec_module
        return spec


def _write() -> None:
    folder = os.environ.get("TENANTGEN_BENCH_CEL_TIMES")
    if folder and _spent["calls"]:
        _spent["calls"], calls = 0, _spent["calls"]  # (once, whichever way the process ends)
        with open(os.path.join(folder, f"{os.getpid()}.txt"), "w", encoding="utf-8") as file:
            file.write(f"{_spent['seconds']} {calls}\n")


_exit = os._exit


def _write_then_exit(code: int) -> NoReturn:  # tenantgen's command ends with os._exit: no atexit then
    _write()
    _exit(code)


atexit.register(_write)
os._exit = _write_then_exit
sys.meta_path.insert(0, _Timing())
