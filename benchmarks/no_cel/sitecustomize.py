"""Benchmark only (``cel_budget.py``): tenantgen without its CEL rules, for the processes of one run.

Python imports this module at start-up when its folder is on ``PYTHONPATH``, in the process the
benchmark starts and in the render workers that process spawns (they inherit the environment). When
tenantgen's output check is imported, it is told that no CRD schema holds a rule, so no rule is
compiled or evaluated and everything else stays as it is. tenantgen itself has no such switch.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

TARGET = "tenantgen.render.checks.manifest"


class _WithoutRules(importlib.abc.MetaPathFinder):
    def find_spec(self, name: str, path: Sequence[str] | None, target: ModuleType | None = None) -> ModuleSpec | None:
        if name != TARGET:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return None
        loader: Any = spec.loader
        load = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            load(module)
            module._has_rules = lambda schema: False  # type: ignore[attr-defined]

        loader.exec_module = exec_module
        return spec


sys.meta_path.insert(0, _WithoutRules())
