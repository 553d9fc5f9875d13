"""A conservative stand-in for Helm's check of a release's values against the chart's schema.

Helm compiles ``values.schema.json`` again for every render, which costs more than rendering the
templates (~2 ms of a ~3.5 ms render here). A worker renders thousands of releases of the same four
charts, so it compiles the schema once, in Python, and checks each release's values itself:

- when the check *surely* passes, the release is rendered from a copy of the chart without its
  schema file (a schema never changes what templates produce, only whether Helm renders at all)
  and without its default values: the values it renders with are those the check merged;
- in every other case, including any doubt, the release is rendered from the chart as it is, and
  Helm decides and words the error as usual.

"Surely" is kept narrow, so that Python's JSON Schema implementation and Helm's (Go) cannot
disagree: only a schema built from a known set of keywords, with regular expressions free of
constructs the two engines read differently, a chart without subcharts or null defaults, and values
made of printable-ASCII strings, safe integers, booleans, lists and maps, without nulls. Helm's
coalescing of the chart's defaults with the values is reproduced for that case (maps merge, the
release's values win). The defaults are the chart's values as Helm read them, and Helm reads
every number the same way (as a float) whether it comes from the chart's values file or from the
JSON values it is handed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from tenantgen.render.schema_compiler import SchemaCompiler

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
# The keywords a schema checked here may use: well known ones that Helm's validator (Go), jsonschema
# and a compiled check (``schema_compiler``) all apply alike, so every chart checked here gets the
# fast check. Not "format": Helm's validator may assert formats that the Python checks leave alone.
KEYWORDS = frozenset({
    "$schema", "$id", "$defs", "$ref", "$comment", "title", "description", "examples", "default", "deprecated",
    "readOnly", "writeOnly", "type", "properties", "required", "additionalProperties", "patternProperties",
    "propertyNames", "minProperties", "maxProperties", "items", "minItems", "maxItems", "uniqueItems", "enum",
    "const", "pattern", "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    "multipleOf", "allOf", "anyOf", "oneOf", "not",
})
# Keywords whose value is a map of names to schemas (the names are not keywords).
_SCHEMA_MAPS = {"$defs", "properties", "patternProperties"}
_NOT_SCHEMAS = {"enum", "const", "examples", "default", "required"}
# Regular-expression syntax read the same by Python's re and Go's RE2 on printable ASCII text:
# no groups with flags or lookaround, no back-references, no Unicode or POSIX classes, no anchors but
# ^ and $, no stacked quantifiers (possessive in Python, an error in Go) and no "{,n}".
_UNSAFE_PATTERN = re.compile(r"\(\?|\\[0-9pPAzZbBGQE]|\[:|[*+?}][*+?]|\{,")
SAFE_INT = 2**53


def valid_schema(schema: Any) -> bool:
    """Whether ``schema`` is a valid draft 2020-12 schema."""
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError:
        return False
    return True


class ValuesCheck:
    def __init__(self, validator: Draft202012Validator, defaults: dict[str, Any],
                 compiler: SchemaCompiler | None = None) -> None:
        self._validator = validator
        self._defaults = defaults
        # The same verdicts, ten times faster, where the compiler can give them (else jsonschema's).
        self._valid = (compiler(validator.schema) if compiler is not None else None) or validator.is_valid

    @classmethod
    def build(cls, schema: Any, defaults: Any, has_subcharts: bool,
              compiler: SchemaCompiler | None = None) -> ValuesCheck | None:
        """A check for a chart, or None when only Helm can judge its values. ``compiler``: a speed
        path for the check of each release's values (see ``schema_compiler``)."""
        if has_subcharts or not isinstance(schema, dict) or not isinstance(defaults, dict):
            return None
        if schema.get("$schema", DRAFT_2020_12) != DRAFT_2020_12 or not _plain_schema(schema):
            return None
        if not _safe_value(defaults, allow_float=True):
            return None
        if not (compiler.valid_schema(schema) if compiler is not None else valid_schema(schema)):
            return None
        return cls(Draft202012Validator(schema), defaults, compiler)

    def merged_if_valid(self, values: Mapping[str, Any]) -> dict[str, Any] | None:
        """The values merged over the chart's defaults, as Helm would merge them, when Helm's check
        of them surely passes; otherwise None (Helm decides)."""
        if not _safe_value(values, allow_float=False):
            return None
        merged = _coalesce(self._defaults, values)
        return merged if self._valid(merged) else None

    def surely_passes(self, values: Mapping[str, Any]) -> bool:
        return self.merged_if_valid(values) is not None


def _plain_schema(node: Any, depth: int = 0) -> bool:
    if depth > 64:
        return False
    if isinstance(node, bool):
        return True
    if not isinstance(node, dict):
        return False
    for keyword, value in node.items():
        if keyword not in KEYWORDS:
            return False
        if keyword == "$ref" and not (isinstance(value, str) and value.startswith("#/")):
            return False  # only references inside the schema itself
        if keyword == "pattern" and (not isinstance(value, str) or _UNSAFE_PATTERN.search(value)):
            return False
        if keyword in _SCHEMA_MAPS:
            if not isinstance(value, dict) or not all(_plain_schema(item, depth + 1) for item in value.values()):
                return False
            if keyword == "patternProperties" and any(_UNSAFE_PATTERN.search(key) for key in value):
                return False
        elif keyword in ("allOf", "anyOf", "oneOf"):
            if not isinstance(value, list) or not all(_plain_schema(item, depth + 1) for item in value):
                return False
        elif keyword in ("not", "items", "additionalProperties", "propertyNames"):
            if not _plain_schema(value, depth + 1):
                return False
        elif keyword not in _NOT_SCHEMAS and isinstance(value, (dict, list)):
            return False
    return True


def _safe_value(value: Any, allow_float: bool) -> bool:
    """Whether ``value`` is made of printable-ASCII strings (keys too), safe integers, booleans,
    lists and maps (and, with ``allow_float``, finite floats), at most 64 levels deep.

    A loop rather than a recursion, and the strings checked at once, joined: it runs for every
    release, and this way it costs half as much."""
    strings: list[str] = []
    stack: list[tuple[Any, int]] = [(value, 0)]
    pop, push, add = stack.pop, stack.append, strings.append
    while stack:
        item, depth = pop()
        if depth > 64:
            return False
        kind = type(item)
        if kind is str:
            add(item)
        elif kind is dict:
            for key, sub in item.items():
                if type(key) is not str:
                    return False
                add(key)
                push((sub, depth + 1))
        elif kind is list:
            stack.extend((sub, depth + 1) for sub in item)
        elif kind is bool:
            continue
        elif kind is int:
            if not -SAFE_INT < item < SAFE_INT:
                return False
        elif kind is float:
            if not (allow_float and item == item and abs(item) < SAFE_INT):
                return False
        else:
            return False  # None (Helm's null semantics), other types
    text = "".join(strings)
    return text.isascii() and text.isprintable()


def _coalesce(defaults: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """Helm's merge of a chart's defaults with a release's values (which hold no nulls here)."""
    merged = dict(defaults)
    for key, value in values.items():
        current = merged.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            merged[key] = _coalesce(current, value)
        else:
            merged[key] = value
    return merged
