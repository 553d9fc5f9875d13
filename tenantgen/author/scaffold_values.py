"""Values for ``tenantgen new``: dotted ``--set`` keys resolved against the kind's JSON Schema, and
command-line text turned into the type the schema asks for.

Typed by the schema rather than guessed by YAML: a string field takes the text as typed
(``--set contact.slack=#team-a`` stays ``"#team-a"``, ``--set kubeVersion=1.30`` stays ``"1.30"``),
other fields are read as a YAML scalar or flow collection (``--set namespaces.quota=5``,
``--set ingress.hostnames=[a.example.com]``), and a single value for a list field becomes a
one-item list.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from tenantgen.assets import schemas_dir
from tenantgen.errors import UsageError
from tenantgen.json_path import JsonPath
from tenantgen.validate import SCHEMA_FILE_OF_KIND
from tenantgen.yamlio import YamlProblem, load_all

Node = Mapping[str, Any]


class ValueProblem(ValueError):
    """Text that cannot become the value a field needs; the message says what is expected."""


@cache
def _schema_file(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((schemas_dir() / name).read_text(encoding="utf-8"))
    return loaded


def _deref(node: Node, base: str) -> tuple[dict[str, Any], str]:
    """Follow ``$ref`` and fold ``allOf`` into one node; returns the node and the file it lives in."""
    merged = dict(node)
    base = str(merged.pop("x-base", base))
    for _ in range(32):  # a $ref chain longer than this would be a schema bug
        ref = merged.pop("$ref", None)
        if ref is None:
            break
        file, _, pointer = str(ref).partition("#")
        base = file or base
        target: Any = _schema_file(base)
        for part in [p for p in pointer.split("/") if p]:
            target = target[part]
        merged = {**target, **merged}  # keywords next to $ref (descriptions) win
    for part in merged.pop("allOf", []):
        resolved, part_base = _deref(part, base)
        # Properties keep the file they were written in, so their own $refs resolve there.
        merged.setdefault("properties", {}).update(
            {name: {**sub, "x-base": part_base} for name, sub in (resolved.get("properties") or {}).items()})
        merged["required"] = [*merged.get("required", []), *resolved.get("required", [])]
        for key in ("type", "additionalProperties", "description"):
            if key in resolved:
                merged.setdefault(key, resolved[key])
    return merged, base


@dataclass(frozen=True)
class Field:
    """A place in a document's spec and the (resolved) schema of the value that goes there."""

    path: JsonPath
    schema: dict[str, Any]
    base: str

    @property
    def dotted(self) -> str:
        return ".".join(str(part) for part in self.path)

    @property
    def type(self) -> str:
        kind = self.schema.get("type")
        return kind if isinstance(kind, str) else ""

    @property
    def description(self) -> str:
        text = str(self.schema.get("description", ""))
        return text.split(". ", 1)[0].rstrip(".")

    def child(self, name: str) -> Field | None:
        properties = self.schema.get("properties") or {}
        if name in properties:
            node, base = _deref(properties[name], self.base)
            return Field((*self.path, name), node, base)
        return None

    def free_form(self) -> Field | None:
        """The schema of any key of a map (labels, tags), or None when the object takes no other keys."""
        extra = self.schema.get("additionalProperties")
        patterns = self.schema.get("patternProperties") or {}
        if isinstance(extra, Mapping):
            node, base = _deref(extra, self.base)
        elif patterns:
            node, base = _deref(next(iter(patterns.values())), self.base)
        elif extra is True or (self.type == "object" and "properties" not in self.schema and extra is None):
            node, base = {}, self.base
        else:
            return None
        return Field(self.path, node, base)

    def example(self) -> Any:
        examples = self.schema.get("examples")
        return examples[0] if isinstance(examples, list) and examples else None


def spec_field(kind: str) -> Field:
    file = SCHEMA_FILE_OF_KIND[kind]
    node, base = _deref(_schema_file(file)["properties"]["spec"], file)
    return Field((), node, base)


def resolve_key(kind: str, dotted: str) -> Field:
    """``contact.slack`` -> the field; keys below a free-form map (labels) may contain dots."""
    parts = dotted.split(".")
    if not dotted or any(not part for part in parts):
        raise UsageError(f"--set key {dotted!r} is not a dotted path like contact.slack")
    current = spec_field(kind)
    for index, part in enumerate(parts):
        found = current.child(part)
        if found is not None:
            current = found
            continue
        form = current.free_form()
        if form is not None:
            return Field((*current.path, ".".join(parts[index:])), form.schema, form.base)
        allowed = ", ".join(sorted(current.schema.get("properties") or {})) or "none"
        where = f"under {current.dotted}" if current.path else "in a " + kind + " spec"
        raise UsageError(f"--set {dotted}: unknown key {part!r} {where}; allowed: {allowed}")
    return current


def _parse_yaml(text: str) -> Any:
    try:
        documents = load_all(text.encode("utf-8"))
    except YamlProblem as problem:
        raise ValueProblem(f"{text!r} is not a YAML value: {problem.message}") from None
    if len(documents) > 1:
        raise ValueProblem(f"{text!r} holds several YAML documents; give one value")
    return documents[0] if documents else None


def coerce(field: Field, text: str) -> Any:
    """Command-line text -> the value ``field`` takes (see the module docstring)."""
    if field.type == "string":
        return text
    if field.type == "array":
        if text.strip().startswith("["):
            value = _parse_yaml(text)
            if not isinstance(value, list):
                raise ValueProblem(f"{text!r} is not a list; write [a, b]")
            return value
        items, base = _deref(field.schema.get("items") or {}, field.base)
        return [coerce(Field(field.path, items, base), text)]
    value = _parse_yaml(text)
    if value is None and text.strip() not in ("", "null", "~"):
        return text  # "#x" is a YAML comment, not a null: keep what was typed
    return value


def set_value(spec: dict[str, Any], path: JsonPath, value: Any) -> None:
    target = spec
    for part in path[:-1]:
        child = target.setdefault(str(part), {})
        if not isinstance(child, dict):
            raise UsageError(f"--set {'.'.join(map(str, path))}: {part!r} is already set to a value, not a map")
        target = child
    target[str(path[-1])] = value


def apply_sets(kind: str, spec: dict[str, Any], assignments: list[str]) -> None:
    """Apply ``key=value`` assignments (dotted keys under spec) in order; later ones win."""
    for assignment in assignments:
        key, sep, text = assignment.partition("=")
        if not sep:
            raise UsageError(f"--set {assignment!r}: expected key=value, e.g. --set contact.slack=#team-a")
        field = resolve_key(kind, key.strip())
        try:
            set_value(spec, field.path, coerce(field, text))
        except ValueProblem as problem:
            raise UsageError(f"--set {key.strip()}: {problem}") from None


def order_like_schema(value: Any, field: Field) -> Any:
    """Sort keys in the order the schema documents them: scaffolds read the same whatever --set order."""
    if isinstance(value, dict):
        known = list(field.schema.get("properties") or {})
        keys = sorted(value, key=lambda key: known.index(key) if key in known else len(known))
        out = {}
        for key in keys:
            child = field.child(key) or field.free_form() or Field(field.path, {}, field.base)
            out[key] = order_like_schema(value[key], child)
        return out
    if isinstance(value, list):
        items, base = _deref(field.schema.get("items") or {}, field.base)
        return [order_like_schema(item, Field(field.path, items, base)) for item in value]
    return value


def set_hint(field: Field) -> str:
    """How to pass ``field`` on the command line, with the schema's example as the value."""
    example = field.example()
    if isinstance(example, list):
        text = "[" + ", ".join(str(item) for item in example) + "]"
    elif isinstance(example, (dict, bool)) or example is None:
        text = json.dumps(example) if example is not None else "..."
    else:
        text = str(example)
    return "--set " + shlex.quote(f"{field.dotted}={text}")
