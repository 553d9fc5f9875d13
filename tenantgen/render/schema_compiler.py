"""What the render stage asks of a schema compiler, the speed path the pipeline may hand in.

Worker processes check thousands of release values and rendered objects against the same few JSON
Schemas (draft 2020-12, ``format`` an annotation only). A compiler turns such a schema into a yes/no
predicate that answers as jsonschema would, only sooner; jsonschema still words the problems. For a
schema it cannot answer for exactly, it gives None. Without a compiler the stage asks jsonschema
(``is_valid``) for every verdict: the same verdicts, slower.

The compiler travels to spawn-started workers inside ``WorkerConfig``: it must pickle (a module-level
function does, by reference).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

Predicate = Callable[[Any], bool]


class SchemaCompiler(Protocol):
    def __call__(self, schema: Any, documents: Mapping[str, Any] | None = None) -> Predicate | None:
        """A predicate for ``schema``, or None; ``documents``: the schemas its ``$ref`` may point into,
        by ``$id``."""
        ...

    def valid_schema(self, schema: Any) -> bool:
        """Whether ``schema`` is a valid draft 2020-12 schema (jsonschema's ``check_schema``: ~20-50 ms
        for a chart's values schema, which a compiler may remember)."""
        ...
