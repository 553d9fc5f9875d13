"""Schema stage: check each document against the JSON Schema of its kind.

Errors become findings that say where (file, line, column, JSON path), what is wrong and what is
allowed. For ``anyOf``/``oneOf`` the best-matching branch is reported, not every branch.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError
from jsonschema.exceptions import best_match
from referencing import Registry, Resource

from tenantgen.assets import schemas_dir
from tenantgen.credentials import REDACTED, redact, redact_value, secret_name
from tenantgen.findings import Finding
from tenantgen.json_path import JsonPath
from tenantgen.load import Document, contains_null

SCHEMA_FILE_OF_KIND = {
    "Tier": "tier.schema.json",
    "Account": "account.schema.json",
    "Cluster": "cluster.schema.json",
    "Tenant": "tenant.schema.json",
    "ArgoProject": "argoproject.schema.json",
    "NodePool": "nodepool.schema.json",
}
MAX_VALUE_REPR = 80


@cache
def _schemas() -> dict[str, dict[str, Any]]:
    return {path.name: json.loads(path.read_text(encoding="utf-8")) for path in sorted(schemas_dir().glob("*.json"))}


def schema_of(kind: str) -> dict[str, Any]:
    return _schemas()[SCHEMA_FILE_OF_KIND[kind]]


def schema_documents() -> dict[str, dict[str, Any]]:
    """Every tenantgen schema by its ``$id`` (what a ``$ref`` names)."""
    return {str(schema["$id"]): schema for schema in _schemas().values() if "$id" in schema}


@cache
def _registry() -> Registry[Any]:
    resources = [(schema["$id"], Resource.from_contents(schema)) for schema in _schemas().values()]
    return Registry().with_resources(resources)


@cache
def validator_for(kind: str) -> Draft202012Validator:
    return Draft202012Validator(
        schema_of(kind), registry=_registry(), format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def strip_nulls(value: Any) -> Any:
    """Drop null-valued keys: in tenantgen files ``null`` is a merge directive, not a value.
    (``value`` itself when it holds none: the result is only read.)"""
    return _without_nulls(value) if contains_null(value) else value


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value]
    return value


def check_document(doc: Document) -> list[Finding]:
    data = strip_nulls(doc.data)
    findings: list[Finding] = []
    seen: set[JsonPath] = set()
    for path, message in schema_problems(doc.kind, data):
        # One finding per field: an e-mail failing both its format and its pattern is one mistake.
        if path not in seen:
            seen.add(path)
            findings.append(doc.finding(path, message, "schema"))
    return findings


def schema_problems(kind: str, data: Mapping[str, Any]) -> Iterator[tuple[JsonPath, str]]:
    """(path, message) for every schema error of ``data`` as a ``kind`` document."""
    for error in validator_for(kind).iter_errors(data):
        choice = _required_choice(error)
        if choice:
            yield tuple(error.absolute_path), choice
            continue
        if error.context:
            error = best_match(error.context) or error
        yield _path_of(error), explain(error, _property_schema(kind, error))


def _property_schema(kind: str, error: ValidationError) -> Mapping[str, Any] | None:
    """The schema of the property that failed, before its ``$ref`` was followed.

    ``error.schema`` is the referenced definition (``quantity``); the property (``memory``) has
    the examples that fit it ("8Gi", not "500m").
    """
    node: Any = schema_of(kind)
    resolver = _registry().resolver(base_uri=node["$id"])
    try:
        for key in list(error.absolute_schema_path)[:-1]:
            while isinstance(node, dict) and key not in node and "$ref" in node:
                resolved = resolver.lookup(node["$ref"])
                node, resolver = resolved.contents, resolved.resolver
            node = node[key]
    except (KeyError, IndexError, TypeError, LookupError):
        return None
    return node if isinstance(node, dict) else None


def _required_choice(error: ValidationError) -> str | None:
    """A readable message for ``oneOf``/``anyOf`` whose branches each only require a field."""
    branches = error.validator_value
    if error.validator not in ("oneOf", "anyOf") or not isinstance(error.instance, dict):
        return None
    if not all(isinstance(branch, dict) and set(branch) == {"required"} for branch in branches):
        return None
    names = [str(name) for branch in branches for name in branch["required"]]
    listed = " or ".join(repr(name) for name in names)
    present = [name for name in names if name in error.instance]
    if error.validator == "oneOf" and len(present) > 1:
        return f"set exactly one of {listed}, not {' and '.join(repr(name) for name in present)} together"
    return f"missing required field: set {'exactly ' if error.validator == 'oneOf' else ''}one of {listed}"


def _path_of(error: ValidationError) -> JsonPath:
    path: JsonPath = tuple(error.absolute_path)
    if error.validator == "required":
        missing = _missing_property(error)
        if missing:
            path = (*path, missing)
    if error.validator == "additionalProperties":
        extra = _unexpected(error)
        if len(extra) == 1:
            path = (*path, extra[0])
    return path


def _missing_property(error: ValidationError) -> str | None:
    if not isinstance(error.instance, dict):
        return None
    missing = [str(name) for name in error.validator_value if name not in error.instance]
    # jsonschema raises one error per missing property, named at the start of its message.
    for name in missing:
        if error.message.startswith(repr(name)):
            return name
    return missing[0] if missing else None


def _unexpected(error: ValidationError) -> list[str]:
    allowed = set(error.schema.get("properties") or {})
    patterns = error.schema.get("patternProperties") or {}
    if not isinstance(error.instance, dict):
        return []
    return sorted(key for key in error.instance if key not in allowed and not patterns)


def _short(value: Any) -> str:
    # Quoted values are masked first: a credential in the tree must not reach a CI log.
    text = json.dumps(redact_value(value), ensure_ascii=False, default=str)
    return text if len(text) <= MAX_VALUE_REPR else text[: MAX_VALUE_REPR - 3] + "..."


def explain(error: ValidationError, property_schema: Mapping[str, Any] | None = None) -> str:
    """A one-line message that says what is wrong and what is allowed.

    ``property_schema`` (the failing property as written, before ``$ref``) supplies the examples.
    """
    schema = error.schema if isinstance(error.schema, dict) else {}
    value = _short(error.instance)
    field = list(error.absolute_path)[-1] if error.absolute_path else ""
    if isinstance(field, str) and secret_name(field):
        value = json.dumps(REDACTED)  # a password is not quoted back, whatever it looks like
    # jsonschema's own messages start with repr(instance); only ``value`` may stand for it.
    tail = str(error.message).replace(repr(error.instance), "", 1).strip().removeprefix("is ")
    if "propertyNames" in error.absolute_schema_path:
        value = f"key {value}"  # the error is about a map key, not about its value
    kind = error.validator
    if kind == "required":
        return f"missing required field {_missing_property(error)!r}"
    if kind == "additionalProperties":
        allowed = ", ".join(sorted(schema.get("properties") or {})) or "none"
        extra = ", ".join(repr(redact(key if len(key) <= MAX_VALUE_REPR else key[:MAX_VALUE_REPR - 3] + "..."))
                          for key in _unexpected(error))
        return f"unknown field {extra}; allowed: {allowed}"
    if kind == "enum":
        return f"{value} is not allowed; allowed: {', '.join(_short(v) for v in error.validator_value)}"
    if kind == "const":
        return f"{value} is not allowed; expected {_short(error.validator_value)}"
    if kind == "type":
        expected = error.validator_value
        expected_text = " or ".join(expected) if isinstance(expected, list) else str(expected)
        found = "null" if error.instance is None else f"{_json_type(error.instance)} {value}"
        return f"expected {expected_text}, found {found}"
    if kind in ("pattern", "format"):
        hint = _examples_hint(property_schema or {}) or _examples_hint(schema)
        rule = f"match pattern {error.validator_value}" if kind == "pattern" else (
            f"be a valid {error.validator_value}")
        return f"{value} is not allowed: must {rule}{hint}"
    if kind == "maxLength":
        return f"{value}: too long (at most {error.validator_value} characters)"
    if kind in ("minLength", "maximum", "minimum", "maxItems", "minItems",
                "exclusiveMaximum", "exclusiveMinimum", "uniqueItems"):
        return f"{value}: {tail}"
    if kind == "oneOf" and isinstance(error.instance, dict):
        return tail
    message = f"{value} {tail}" if str(error.message).startswith(repr(error.instance)) else redact(str(error.message))
    return message if len(message) < 300 else message[:297] + "..."


def _examples_hint(schema: Mapping[str, Any]) -> str:
    examples = schema.get("examples")
    if isinstance(examples, list) and examples:
        return f" (e.g. {', '.join(_short(example) for example in examples[:2])})"
    return ""


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def schema_files() -> dict[str, Path]:
    """kind -> the schema file shipped with tenantgen (for ``tenantgen schema``)."""
    return {kind: schemas_dir() / name for kind, name in SCHEMA_FILE_OF_KIND.items()}
