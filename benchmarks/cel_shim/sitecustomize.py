"""Benchmark only (``cel_budget.py``): tenantgen's CEL rules switched off, or timed, in one run.

Python imports this module at start-up when its folder is on ``PYTHONPATH``: in the process the
benchmark starts and in the render workers that process spawns (they inherit the environment).
``TENANTGEN_BENCH_CEL`` says what to do once tenantgen's output check is imported:

- ``off``: it is told that no CRD schema holds a rule, so no rule is compiled or evaluated and
  everything else stays as it is (tenantgen itself has no such switch);
- ``timed``: the two places where CEL work happens are timed with the calling thread's CPU clock,
  ``ManifestValidator.rules`` (on first use of a kind: reading its rules, loading the CEL engine,
  compiling the rules) and ``CrdRules.check`` (evaluating them on an object); each process writes
  its total to a file of its own in ``TENANTGEN_BENCH_CEL_TIMES`` as it ends.
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

MODE = os.environ.get("TENANTGEN_BENCH_CEL", "")
_spent = {"seconds": 0.0, "calls": 0}
_depth = [0]


def _without_rules(module: ModuleType) -> None:
    module._has_rules = lambda schema: False  # type: ignore[attr-defined]


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


def _timing(class_name: str, method_name: str) -> Callable[[ModuleType], None]:
    def patch(module: ModuleType) -> None:
        owner = getattr(module, class_name)
        setattr(owner, method_name, _timed(getattr(owner, method_name)))

    return patch


PATCHES: dict[str, dict[str, Callable[[ModuleType], None]]] = {
    "off": {"tenantgen.render.checks.manifest": _without_rules},
    "timed": {"tenantgen.render.checks.manifest": _timing("ManifestValidator", "rules"),
              "tenantgen.render.checks.cel_rules": _timing("CrdRules", "check")},
}


class _Patching(importlib.abc.MetaPathFinder):
    """Patches a module of ``PATCHES[MODE]`` right after it is loaded."""

    def find_spec(self, name: str, path: Sequence[str] | None, target: ModuleType | None = None) -> ModuleSpec | None:
        patch = PATCHES.get(MODE, {}).get(name)
        if patch is None:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return None
        loader: Any = spec.loader
        load = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            load(module)
            patch(module)

        loader.exec_module = exec_module
        return spec


def _write() -> None:
    folder = os.environ.get("TENANTGEN_BENCH_CEL_TIMES")
    if MODE == "timed" and folder and _spent["calls"]:
        _spent["calls"], calls = 0, _spent["calls"]  # (once, whichever way the process ends)
        with open(os.path.join(folder, f"{os.getpid()}.txt"), "w", encoding="utf-8") as file:
            file.write(f"{_spent['seconds']} {calls}\n")


_exit = os._exit


def _write_then_exit(status: int) -> NoReturn:  # tenantgen's command ends with os._exit: no atexit then
    _write()
    _exit(status)


if MODE in PATCHES:
    sys.meta_path.insert(0, _Patching())
    if MODE == "timed":
        atexit.register(_write)
        os._exit = _write_then_exit
