"""JSON Schemas compiled to fast yes/no predicates, with fastjsonschema.

Workers check thousands of documents and release values against the same few schemas; the
general validator's bookkeeping costs ~1 ms a check, a compiled check a tenth of that. A predicate
only answers "valid or not": callers fall back to ``jsonschema`` for messages, so the compiled check
may be stricter than ``jsonschema`` (e.g. its e-mail format), never looser.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import fastjsonschema

Predicate = Callable[[Any], bool]

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
    try:
        schema = _as_draft7(schema)
        store = {uri: _as_draft7(document) for uri, document in (documents or {}).items()}
    except RecursionError:
        return None
    if isinstance(schema, dict) and "$id" in schema:
        store[str(schema["$id"])] = schema

    def resolve(uri: str) -> Any:
        return store[uri.split("#", 1)[0]]

    try:
        # use_default=False: fastjsonschema would otherwise write defaults into the checked data.
        validate = fastjsonschema.compile(schema, handlers={"https": resolve, "http": resolve},
                                          use_formats=format_checker is not None, use_default=False)
    except (fastjsonschema.JsonSchemaDefinitionException, KeyError, TypeError, ValueError, RecursionError):
        return None

    def predicate(value: Any) -> bool:
        try:
            validate(value)
        except fastjsonschema.JsonSchemaValueException:
            return False
        except (TypeError, ValueError, RecursionError):
            return False  # unsure: let the full validator decide
        return True

    return predicate


def compile_exact(schema: Any, documents: Mapping[str, Any] | None = None) -> Predicate | None:
    """A predicate that gives jsonschema's verdict (draft 2020-12, ``format`` an annotation only), or
    None: only a schema whose keywords, and those of ``documents``, are all ``SHARED_KEYWORDS`` is
    compiled. The compiler the pipeline hands the render stage (see ``render.schema_compiler``)."""
    if not shared_keywords_only(schema) or not all(shared_keywords_only(doc) for doc in (documents or {}).values()):
        return None
    return compile_schema(schema, documents)


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
