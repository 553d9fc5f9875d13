"""JSON Schemas compiled to fast yes/no predicates, with fastjsonschema.

Workers check thousands of documents and release values against the same few schemas; the
general validator's bookkeeping costs ~1 ms a check, a compiled check a tenth of that. A predicate
only answers "valid or not": callers fall back to ``jsonschema`` for messages, so the compiled check
may be stricter than ``jsonschema`` (e.g. its e-mail format), never looser.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import marshal
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import fastjsonschema

from tenantgen.fast.cache_file import cache_header, read_table, write_table
from tenantgen.render.engine.values_check import valid_schema

Predicate = Callable[[Any], bool]
SCHEMAS = "schemas"  # under the cache folder
_MAGIC = b"tenantgen-compiled-schema 1\n"

# The keywords that jsonschema (draft 2020-12) and fastjsonschema (which reads any schema as draft 7)
# apply the same way. Others, e.g. prefixItems or dependentRequired, fastjsonschema ignores: a
# predicate would pass what jsonschema refuses.
SHARED_KEYWORDS = frozenset({
    "$schema", "$id", "$defs", "$ref", "$comment", "title", "description", "examples", "default", "deprecated",
    "readOnly", "writeOnly", "format", "type", "properties", "required", "additionalProperties",
    "patternProperties", "propertyNames", "minProperties", "maxProperties", "items", "minItems", "maxItems",
    "uniqueItems", "enum", "const", "pattern", "minLength", "maxLength", "minimum", "maximum",
    "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "allOf", "anyOf", "oneOf", "not",
})
_SCHEMA_MAPS = frozenset({"$defs", "definitions", "properties", "patternProperties"})
_SCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf"})
_SUBSCHEMAS = frozenset({"not", "items", "additionalProperties", "propertyNames"})
# Beside a "$ref", keywords that only annotate change nothing, and those that place a schema ($id,
# $defs) must stay where they are; every other keyword constrains (see ``_as_draft7``).
_ANNOTATIONS = frozenset({"title", "description", "examples", "default", "deprecated", "readOnly", "writeOnly",
                          "$comment"})
_PLACEMENT = frozenset({"$id", "$schema", "$anchor", "$defs", "definitions"})


def shared_keywords_only(node: Any, depth: int = 0) -> bool:
    """Whether every keyword of ``node`` (an ``x-`` annotation aside) is in ``SHARED_KEYWORDS``."""
    if isinstance(node, bool):
        return True
    if not isinstance(node, dict) or depth > 200:
        return False
    for keyword, value in node.items():
        if keyword.startswith("x-"):
            continue  # an extension: both validators ignore it
        if keyword not in SHARED_KEYWORDS and keyword != "definitions":
            return False
        if keyword in _SCHEMA_MAPS:
            if not isinstance(value, dict) or not all(shared_keywords_only(item, depth + 1) for item in value.values()):
                return False
        elif keyword in _SCHEMA_LISTS:
            if not isinstance(value, list) or not all(shared_keywords_only(item, depth + 1) for item in value):
                return False
        elif keyword in _SUBSCHEMAS and not shared_keywords_only(value, depth + 1):
            return False
    return True


def compile_schema(schema: Any, documents: Mapping[str, Any] | None = None,
                   format_checker: Any = None) -> Predicate | None:
    """A predicate for ``schema``, or None when fastjsonschema cannot compile it.

    ``documents``: other schemas its ``$ref`` may point into, by ``$id``. ``format_checker``: as for
    ``jsonschema`` (None: ``format`` is an annotation only).
    """
    generated = _generate(schema, documents, format_checker is not None, with_source=False)
    return None if generated is None else _predicate(generated[0])


def _generate(schema: Any, documents: Mapping[str, Any] | None, use_formats: bool,
              with_source: bool) -> tuple[Callable[[Any], Any], str] | None:
    """fastjsonschema's validating function for ``schema`` and, ``with_source``, the source of a
    module that defines it under its own name (else ""); None when it cannot be compiled."""
    try:
        schema = _as_draft7(schema)
        store = {uri: _as_draft7(document) for uri, document in (documents or {}).items()}
    except RecursionError:
        return None
    if isinstance(schema, dict) and "$id" in schema:
        store[str(schema["$id"])] = schema

    def resolve(uri: str) -> Any:
        return store[uri.split("#", 1)[0]]

    options: dict[str, Any] = {"handlers": {"https": resolve, "http": resolve}, "use_formats": use_formats,
                               # fastjsonschema would otherwise write defaults into the checked data.
                               "use_default": False}
    try:
        validate = fastjsonschema.compile(schema, **options)
        source = fastjsonschema.compile_to_code(schema, **options) if with_source else ""
    except (fastjsonschema.JsonSchemaDefinitionException, KeyError, TypeError, ValueError, RecursionError):
        return None
    return validate, source


def _predicate(validate: Callable[[Any], Any]) -> Predicate:
    def predicate(value: Any) -> bool:
        try:
            validate(value)
        except fastjsonschema.JsonSchemaValueException:
            return False
        except (TypeError, ValueError, RecursionError):
            return False  # unsure: let the full validator decide
        return True

    return predicate


class ExactCompiler:
    """The compiler the pipeline hands the render stage without a cache (see ``render.schema_compiler``)."""

    def __call__(self, schema: Any, documents: Mapping[str, Any] | None = None) -> Predicate | None:
        """A predicate that gives jsonschema's verdict (draft 2020-12, ``format`` an annotation only), or
        None: only a schema whose keywords, and those of ``documents``, are all ``SHARED_KEYWORDS`` is
        compiled."""
        return compile_schema(schema, documents) if _exact(schema, documents) else None

    def valid_schema(self, schema: Any) -> bool:
        return valid_schema(schema)


def _exact(schema: Any, documents: Mapping[str, Any] | None) -> bool:
    """Whether the keywords of ``schema`` and ``documents`` are all ``SHARED_KEYWORDS``."""
    return shared_keywords_only(schema) and all(shared_keywords_only(doc) for doc in (documents or {}).values())


compile_exact = ExactCompiler()


@dataclass
class CachedCompiler(ExactCompiler):
    """``compile_exact``, its results kept in ``folder`` (the user cache): a worker's first check
    against each schema then loads compiled code instead of generating it (~40 ms a schema; in a
    one-tenant re-render of the benchmark's fleet, ~0.3 s before its two releases were checked).

    An entry is found by the digest of the schema and its documents and is only believed under
    this code's fingerprint (``cache_file``); one that cannot be read or loaded is made again.
    It travels to spawn-started workers inside ``WorkerConfig`` (it pickles as its folder).
    """

    folder: Path
    # Made where the compiler is (the pipeline's process): a worker then need not work out the code
    # fingerprint in it (~15 ms) before its first check.
    header: bytes = field(default_factory=lambda: cache_header(_MAGIC))
    # id -> (the document, its digest): the same definitions document comes with every core schema
    _digests: dict[int, tuple[Any, str]] = field(default_factory=dict, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        return {"folder": self.folder, "header": self.header}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.folder, self.header, self._digests = state["folder"], state["header"], {}

    def __call__(self, schema: Any, documents: Mapping[str, Any] | None = None) -> Predicate | None:
        try:
            key = self._key("compiled", importlib.util.MAGIC_NUMBER.hex(), self._digest(schema),
                            sorted((uri, self._digest(doc)) for uri, doc in (documents or {}).items()))
        except (TypeError, ValueError, RecursionError):
            return super().__call__(schema, documents)  # not JSON: nothing to key it by
        path = self._path(key)
        entry = read_table(path, self.header)
        if entry.get("key") == key:
            if entry.get("name") is None:
                return None  # known to be beyond ``compile_exact``
            with suppress(Exception):  # (any failure to load it: it is made again)
                namespace: dict[str, Any] = {}
                exec(marshal.loads(entry["code"]), namespace)  # noqa: S102 - code this cache wrote
                return _predicate(namespace[entry["name"]])
        generated = _generate(schema, documents, use_formats=False, with_source=True) if _exact(schema, documents) else None
        stored: dict[str, Any] = {"key": key, "name": None}
        if generated is not None:
            validate, source = generated
            stored.update(name=validate.__name__, code=marshal.dumps(compile(source, "<compiled schema>", "exec")))
        with suppress(OSError, ValueError):
            write_table(path, self.header, stored)
        return None if generated is None else _predicate(generated[0])

    def valid_schema(self, schema: Any) -> bool:
        try:
            key = self._key("valid", self._digest(schema))
        except (TypeError, ValueError, RecursionError):
            return super().valid_schema(schema)
        entry = read_table(self._path(key), self.header)
        if entry.get("key") == key and isinstance(entry.get("valid"), bool):
            return bool(entry["valid"])
        valid = super().valid_schema(schema)
        with suppress(OSError, ValueError):
            write_table(self._path(key), self.header, {"key": key, "valid": valid})
        return valid

    @staticmethod
    def _key(*parts: Any) -> str:
        return hashlib.sha256(json.dumps(parts).encode()).hexdigest()

    def _path(self, key: str) -> Path:
        return self.folder / SCHEMAS / f"{key[:40]}.bin"

    def _digest(self, document: Any) -> str:
        known = self._digests.get(id(document))
        if known is None or known[0] is not document:
            text = json.dumps(document, sort_keys=True, separators=(",", ":"), allow_nan=False)
            known = self._digests[id(document)] = (document, hashlib.sha256(text.encode()).hexdigest())
        return known[1]


def _as_draft7(node: Any) -> Any:
    """``node`` (a copy) as draft 7 reads what draft 2020-12 means.

    Under 2020-12 the keywords beside a ``$ref`` apply as well as the schema it points to; draft 7
    (and so fastjsonschema) ignores them: ``{"$ref": "#/$defs/dnsLabel", "maxLength": 40}`` would
    let a 50-character name through. Such a node becomes ``{"allOf": [{"$ref": ...}, {"maxLength": 40}]}``.
    """
    if not isinstance(node, dict):
        return node
    copy: dict[str, Any] = {}
    for keyword, value in node.items():
        if keyword in _SCHEMA_MAPS and isinstance(value, dict):
            copy[keyword] = {name: _as_draft7(item) for name, item in value.items()}
        elif keyword in _SCHEMA_LISTS and isinstance(value, list) or keyword == "items" and isinstance(value, list):
            copy[keyword] = [_as_draft7(item) for item in value]
        elif keyword in _SUBSCHEMAS:
            copy[keyword] = _as_draft7(value)
        else:
            copy[keyword] = value
    constraints = {keyword: value for keyword, value in copy.items()
                   if keyword not in _ANNOTATIONS and keyword not in _PLACEMENT and keyword != "$ref"}
    if "$ref" not in copy or not constraints:
        return copy
    kept = {keyword: value for keyword, value in copy.items() if keyword in _PLACEMENT}
    return {**kept, "allOf": [{"$ref": copy["$ref"]}, constraints]}
