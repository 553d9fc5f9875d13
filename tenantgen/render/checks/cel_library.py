"""The CEL engine the object checks evaluate ``x-kubernetes-validations`` rules with, offline.

The engine is ``common-expression-language`` (cel-rust). It implements the CEL core; of the
libraries the Kubernetes API server adds, the rules of the CRDs we validate against use the
strings extension (``split``) and the regex library (``find``). Both are registered here as Python
functions, written to the Kubernetes CEL library's documented behaviour, together with the rest of
the strings extension and the ``lists`` functions whose meaning is plain. Functions of the other
Kubernetes libraries (quantity, url, ip/cidr, format, authorizer, ...) are not provided: a rule that
calls one is found before it runs (``compile_rule``) and reported as not evaluated, never passed.
"""

from __future__ import annotations

import functools
import re
import sys
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

# The package's __init__ also imports its command-line REPL (typer, prompt_toolkit, pygments): about a
# second in every worker process that checks objects, for nothing the checks use. A placeholder for
# that one submodule keeps it out; the engine and ``cel.stdlib`` load as they are.
if "cel" not in sys.modules:
    sys.modules.setdefault("cel.cli", types.ModuleType("cel.cli"))
import cel  # noqa: E402 - after the placeholder above
from cel import stdlib  # noqa: E402

# What cel-rust itself implements (the macros has/all/exists/exists_one/map/filter are expanded by
# its parser and never appear as functions): the CEL core's functions and conversions.
NATIVE_FUNCTIONS = frozenset({
    "size", "contains", "startsWith", "endsWith", "matches", "int", "uint", "double", "string", "bytes",
    "timestamp", "duration", "dyn", "type",
    "getFullYear", "getMonth", "getDate", "getDayOfMonth", "getDayOfWeek", "getDayOfYear", "getHours",
    "getMinutes", "getSeconds", "getMilliseconds",
})
# Escaped property names (``self.foo__dash__bar`` for ``foo-bar``) are a Kubernetes convention the
# engine knows nothing of: a rule using one is not evaluated rather than evaluated wrongly.
_ESCAPED_NAME = re.compile(r"__[a-z]+__")
_MAX_REGEX_CACHE = 256


@functools.lru_cache(maxsize=_MAX_REGEX_CACHE)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def find(text: str, pattern: str) -> str:
    """Kubernetes regex library: the first match of ``pattern`` in ``text``, or ``""``."""
    found = _regex(pattern).search(text)
    return "" if found is None else found.group(0)


def find_all(text: str, pattern: str, limit: int = -1) -> list[str]:
    """Kubernetes regex library: every match (at most ``limit`` when it is not negative)."""
    matches = [m.group(0) for m in _regex(pattern).finditer(text)]
    return matches if limit < 0 else matches[:limit]


def index_of(container: Any, item: Any, offset: int = 0) -> int:
    """``indexOf`` of the strings extension (a code point offset) and of the Kubernetes lists library."""
    if isinstance(container, str):
        return stdlib.index_of(container, item, offset)
    if isinstance(container, list):
        return next((i for i, x in enumerate(container) if _same(x, item)), -1)
    raise TypeError("no such overload: indexOf")


def last_index_of(container: Any, item: Any, offset: int | None = None) -> int:
    if isinstance(container, str):
        return stdlib.last_index_of(container, item, offset)
    if isinstance(container, list):
        return next((i for i in range(len(container) - 1, -1, -1) if _same(container[i], item)), -1)
    raise TypeError("no such overload: lastIndexOf")


def is_sorted(items: list[Any]) -> bool:
    """Kubernetes lists library: whether ``items`` is in ascending order."""
    return all(not items[i + 1] < items[i] for i in range(len(items) - 1))


def list_sum(items: list[Any]) -> Any:
    """Kubernetes lists library: the sum (0 for an empty list)."""
    return sum(items, 0)


def list_min(items: list[Any]) -> Any:
    """Kubernetes lists library: the smallest element; an error for an empty list."""
    if not items:
        raise ValueError("min called on an empty list")
    return min(items)


def list_max(items: list[Any]) -> Any:
    """Kubernetes lists library: the largest element; an error for an empty list."""
    if not items:
        raise ValueError("max called on an empty list")
    return max(items)


def _same(a: Any, b: Any) -> bool:
    # CEL keeps bool and int apart, Python's == does not.
    return type(a) is type(b) and a == b or (isinstance(a, (int, float)) and isinstance(b, (int, float))
                                             and not isinstance(a, bool) and not isinstance(b, bool) and a == b)


KUBERNETES_FUNCTIONS: Mapping[str, Callable[..., Any]] = {
    # regex library
    "find": find,
    "findAll": find_all,
    # strings extension (cel-go ext.Strings, as Kubernetes enables it)
    "charAt": stdlib.char_at,
    "indexOf": index_of,
    "lastIndexOf": last_index_of,
    "lowerAscii": stdlib.lower_ascii,
    "upperAscii": stdlib.upper_ascii,
    "replace": stdlib.replace,
    "split": stdlib.split,
    "substring": stdlib.substring,
    "trim": stdlib.trim,
    "join": stdlib.join,
    # lists library
    "isSorted": is_sorted,
    "sum": list_sum,
    "min": list_min,
    "max": list_max,
}


@dataclass(frozen=True)
class Compiled:
    """A rule ready to run, or why it cannot: ``program`` is None exactly when ``unusable`` says why."""

    program: cel.Program | None
    transition: bool  # uses oldSelf: it compares with the stored object, which an offline check lacks
    unusable: str = ""


@functools.cache
def compile_rule(text: str) -> Compiled:
    """Compile a rule once per process; say why when the engine cannot run it."""
    try:
        program = cel.compile(text)
        variables, functions = program.variables(), program.functions()
    except (ValueError, RuntimeError, TypeError) as exc:
        return Compiled(None, False, f"does not compile ({_first_line(str(exc))})")
    if "oldSelf" in variables:
        return Compiled(program, True)
    if _ESCAPED_NAME.search(text):
        return Compiled(None, False, "uses escaped property names")
    missing = sorted(name for name in functions if _is_function(name) and name not in NATIVE_FUNCTIONS
                     and name not in KUBERNETES_FUNCTIONS)
    if missing:
        return Compiled(None, False, f"uses {', '.join(missing)}, which the CEL engine lacks")
    return Compiled(program, False)


def new_context() -> cel.Context:
    """An evaluation context with the Kubernetes functions; callers bind ``self`` per evaluation."""
    return cel.Context(functions=dict(KUBERNETES_FUNCTIONS))


def is_engine_gap(error: Exception) -> bool:
    """Whether an evaluation error is the engine's lack, not the value's fault (see ``compile_rule``)."""
    return "Undefined variable or function" in str(error)


def _is_function(name: str) -> bool:
    # Operators come back as "_+_", "!_", "@in", "@not_strictly_false".
    return bool(name) and name[0] not in "_!@" and not name.endswith("_")


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "no reason given"
