"""Package faces that load a name's module when the name is first used.

A stage's face names what the rest of the code may use. Importing every module behind it up front
would make each process that needs one name load them all: a render worker the planner and Jinja2,
the helper that checks OUT the validator and jsonschema (a tenth to a fifth of a second each).
The names stay visible to type checkers and import-linter through the face's ``TYPE_CHECKING`` imports.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from importlib import import_module


def lazy_names(package: str, homes: Mapping[str, tuple[str, str]]) -> Callable[[str], object]:
    """The ``__getattr__`` of ``package``'s face: ``homes`` maps each name to (module, attribute)."""
    namespace = vars(sys.modules[package])

    def __getattr__(name: str) -> object:
        if name not in homes:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, attribute = homes[name]
        value = getattr(import_module(module), attribute)
        namespace[name] = value  # once: later uses find it without this function
        return value

    return __getattr__
