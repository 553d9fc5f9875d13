"""The CEL rules of a CRD (``x-kubernetes-validations``), evaluated on rendered objects as the API
server would evaluate them on create.

A rule runs at its place in the schema with ``self`` bound to the value there; a rule under
``items`` or ``additionalProperties`` runs once per element. Before the rules run, the object gets
the schema's defaults (the API server defaults an object before it validates it); of its metadata a
rule at the root sees only what the API server lets it see (name and generateName).
Transition rules (``oldSelf``) compare with the stored object: offline there is none, so they are
skipped and counted. Rules the engine cannot run are counted with the reason and never passed.
"""

from __future__ import annotations

import base64
import copy
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from tenantgen.render.checks.cel_library import compile_rule, is_engine_gap, new_context

if TYPE_CHECKING:
    import cel

_ROOT_METADATA = ("name", "generateName")
_TYPED_FORMATS = frozenset({"duration", "date-time", "date", "byte"})
_GO_DURATION = re.compile(r"([0-9]*(?:\.[0-9]*)?)(ns|us|µs|ms|s|m|h)")
_GO_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
# The API server's words for a rule's ``reason`` (field.ErrorType), before the message.
_REASONS = {"FieldValueInvalid": "Invalid value", "FieldValueForbidden": "Forbidden",
            "FieldValueRequired": "Required value", "FieldValueDuplicate": "Duplicate value"}


@dataclass(frozen=True)
class Rule:
    """One entry of ``x-kubernetes-validations``."""

    rule: str
    message: str = ""
    message_expression: str = ""
    reason: str = ""
    field_path: str = ""


@dataclass(frozen=True)
class CelFailure:
    """A rule an object breaks: where (path parts from the object's root) and the message."""

    path: tuple[str | int, ...]
    message: str
    rule: Rule
    location: str  # the rule's place in the schema, e.g. ``spec.requirements[*].key`` (``{*}``: any key)


@dataclass
class _Node:
    """The part of a schema that holds rules, or leads to some."""

    schema: Mapping[str, Any]
    location: str
    prepare: bool = False  # whether its values need defaults or typed strings before rules see them
    rules: list[Rule] = field(default_factory=list)
    properties: dict[str, _Node] = field(default_factory=dict)
    items: _Node | None = None
    additional: _Node | None = None


@dataclass(frozen=True)
class RuleCounts:
    """How the rules of one CRD version fare offline."""

    evaluated: int
    transition: int
    not_evaluable: tuple[tuple[str, str], ...]  # (rule, why)


class CrdRules:
    """The rules of one CRD version, compiled once, evaluated on each object of that kind."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        self._root = _collect(schema)
        self._all = [rule for node in _nodes(self._root) for rule in node.rules] if self._root else []
        # Rules whose gap in the engine shows only when they run (``compile_rule`` finds the others).
        self._late_gaps: dict[str, str] = {}
        self._context: cel.Context | None = None

    @property
    def counts(self) -> RuleCounts:
        """How many rules are evaluated, skipped as transition rules, and not evaluable (with why)."""
        compiled = {rule.rule: compile_rule(rule.rule) for rule in self._all}
        unusable = {text: c.unusable for text, c in compiled.items() if c.unusable} | self._late_gaps
        return RuleCounts(
            evaluated=sum(1 for r in self._all if r.rule not in unusable and not compiled[r.rule].transition),
            transition=sum(1 for r in self._all if compiled[r.rule].transition),
            not_evaluable=tuple((r.rule, unusable[r.rule]) for r in self._all if r.rule in unusable),
        )

    def located(self) -> list[tuple[str, Rule]]:
        """Every rule with its place in the schema (``""``: the object's root), in schema order."""
        return [(node.location, rule) for node in _nodes(self._root) for rule in node.rules] if self._root else []

    @property
    def has_rules(self) -> bool:
        """Whether the schema holds any rule."""
        return self._root is not None

    def check(self, obj: Mapping[str, Any]) -> list[CelFailure]:
        """The rules ``obj`` breaks, in document order; ``[]`` when it keeps them all."""
        if self._root is None:
            return []
        if self._context is None:
            self._context = new_context()
        return list(self._walk(self._root, obj, ()))

    def _walk(self, node: _Node, value: Any, path: tuple[str | int, ...]) -> Iterator[CelFailure]:
        """The failures of the rules at ``node`` and below; only the parts of the object that lead to
        a rule are walked, and only the values rules see are prepared (see ``_prepared``)."""
        if value is None:
            return  # an absent or null field: its rules do not run
        if node.rules:
            bound = _prepared(value, node.schema) if node.prepare else value
            if not path and isinstance(bound, Mapping) and isinstance(bound.get("metadata"), Mapping):
                metadata = bound["metadata"]
                bound = {**bound, "metadata": {key: metadata[key] for key in _ROOT_METADATA if key in metadata}}
            assert self._context is not None
            self._context.add_variable("self", bound)  # once for all the node's rules: converting costs most
            for rule in node.rules:
                failure = self._run(rule, node.location, path)
                if failure is not None:
                    yield failure
        if isinstance(value, Mapping):
            for name, child in node.properties.items():
                # A field the object leaves out may still be there for the API server: its default.
                yield from self._walk(child, value[name] if name in value else child.schema.get("default"),
                                      (*path, name))
            if node.additional is not None:
                for key in sorted(k for k in value if k not in node.properties):
                    yield from self._walk(node.additional, value[key], (*path, key))
        elif isinstance(value, list) and node.items is not None:
            for index, item in enumerate(value):
                yield from self._walk(node.items, item, (*path, index))

    def _run(self, rule: Rule, location: str, path: tuple[str | int, ...]) -> CelFailure | None:
        """Run one rule on the value bound as ``self``."""
        compiled = compile_rule(rule.rule)
        if compiled.program is None or compiled.transition:
            return None  # counted in ``counts`` and reported once per run, not per object
        assert self._context is not None
        try:
            verdict = compiled.program.execute(self._context)
        except Exception as exc:  # noqa: BLE001 - the engine raises ValueError, TypeError, RuntimeError, KeyError
            if is_engine_gap(exc):
                # Not passed: counted with the rules compile_rule turned down, and said once per run.
                self._late_gaps[rule.rule] = f"the CEL engine lacks what it calls ({_short(exc)})"
                return None
            # The API server rejects an object whose rule errs (e.g. no such key, int("x")).
            return CelFailure(_place(path, rule), f"rule {rule.rule!r} cannot be evaluated here: {_short(exc)}",
                              rule, location)
        if verdict is True:
            return None
        if verdict is not False:
            return CelFailure(_place(path, rule), f"rule {rule.rule!r} gave {verdict!r}, not a boolean", rule, location)
        return CelFailure(_place(path, rule), self._message(rule), rule, location)

    def _message(self, rule: Rule) -> str:
        message = rule.message or f"failed rule: {rule.rule.strip()}"
        if rule.message_expression:
            # The API server falls back to ``message`` when the expression fails or gives no usable text.
            compiled = compile_rule(rule.message_expression)
            if compiled.program is not None and not compiled.transition:
                try:
                    assert self._context is not None
                    text = compiled.program.execute(self._context)
                except Exception:  # noqa: BLE001 - as in _run
                    text = None
                if isinstance(text, str) and text.strip() and "\n" not in text:
                    message = text
        reason = _REASONS.get(rule.reason, "")
        return f"{reason}: {message}" if reason and rule.reason != "FieldValueInvalid" else message


def _collect(schema: Any, location: str = "") -> _Node | None:
    """The rule-bearing part of ``schema``; None when it has no rule anywhere."""
    if not isinstance(schema, Mapping):
        return None
    node = _Node(schema, location)
    for entry in schema.get("x-kubernetes-validations") or []:
        if isinstance(entry, Mapping) and isinstance(entry.get("rule"), str):
            node.rules.append(Rule(entry["rule"], str(entry.get("message") or ""),
                                   str(entry.get("messageExpression") or ""), str(entry.get("reason") or ""),
                                   str(entry.get("fieldPath") or "")))
    for name, sub in (schema.get("properties") or {}).items():
        child = _collect(sub, f"{location}.{name}" if location else str(name))
        if child is not None:
            node.properties[str(name)] = child
    node.items = _collect(schema.get("items"), f"{location}[*]")
    node.additional = _collect(schema.get("additionalProperties"), f"{location}{{*}}")
    for keyword in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(keyword) or []:
            # (A structural schema keeps properties out of these: only their own rules count.)
            branch = _collect(sub, location)
            if branch is not None:
                node.rules.extend(branch.rules)
    if node.rules or node.properties or node.items or node.additional:
        node.prepare = _needs_preparing(schema)
        return node
    return None


def _needs_preparing(schema: Any) -> bool:
    """Whether ``_prepared`` would change a value of ``schema``: a default or a typed format below."""
    if isinstance(schema, Mapping):
        fmt = schema.get("format")
        if "default" in schema or isinstance(fmt, str) and fmt in _TYPED_FORMATS:
            return True
        return any(_needs_preparing(value) for key, value in schema.items()
                   if key not in ("x-kubernetes-validations", "description", "enum", "example"))
    if isinstance(schema, list):
        return any(_needs_preparing(value) for value in schema)
    return False


def _nodes(node: _Node) -> Iterator[_Node]:
    yield node
    yield from (n for child in node.properties.values() for n in _nodes(child))
    for child in (node.items, node.additional):
        if child is not None:
            yield from _nodes(child)


def _prepared(value: Any, schema: Any) -> Any:
    """``value`` (a copy) as a rule sees it: the schema's defaults filled in and strings of the
    formats CEL types natively (duration, date-time, date, byte) converted to those types."""
    if not isinstance(schema, Mapping):
        return value
    if isinstance(value, Mapping):
        properties = schema.get("properties") or {}
        out = {str(k): v for k, v in value.items()}
        for name, sub in properties.items():
            if name not in out and isinstance(sub, Mapping) and "default" in sub:
                out[name] = copy.deepcopy(sub["default"])
        additional = schema.get("additionalProperties")
        return {key: _prepared(item, properties.get(key, additional)) for key, item in out.items()}
    if isinstance(value, list):
        return [_prepared(item, schema.get("items")) for item in value]
    if isinstance(value, str) and schema.get("type") == "string":
        return _typed_string(value, str(schema.get("format") or ""))
    return value


def _typed_string(value: str, fmt: str) -> Any:
    # A value that does not parse stays a string: the schema check speaks about its format.
    try:
        if fmt == "duration":
            return _go_duration(value)
        if fmt in ("date-time", "date"):
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        if fmt == "byte":
            return base64.b64decode(value, validate=True)
    except ValueError:
        return value
    return value


def _go_duration(text: str) -> timedelta:
    """A Go duration string (``1h30m``, ``-1.5s``) as a timedelta; ValueError when it is not one."""
    sign, body = (-1, text[1:]) if text.startswith("-") else (1, text.removeprefix("+"))
    if body == "0":
        return timedelta(0)
    parts = _GO_DURATION.findall(body)
    if not body or "".join(number + unit for number, unit in parts) != body or any(n in ("", ".") for n, _ in parts):
        raise ValueError(f"not a duration: {text!r}")
    return timedelta(seconds=sign * sum(float(number) * _GO_UNITS[unit] for number, unit in parts))


def _place(path: tuple[str | int, ...], rule: Rule) -> tuple[str | int, ...]:
    """Where a failure is reported: the rule's place, or its ``fieldPath`` below it."""
    if not rule.field_path:
        return path
    return (*path, *_relative_path(rule.field_path))


def _relative_path(text: str) -> Sequence[str]:
    # ".a.b['c.d']" -> ["a", "b", "c.d"]; numeric indexes are not allowed by the API server.
    return [dotted or quoted for dotted, quoted in re.findall(r"\.([^.\[]+)|\['([^']*)'\]", text)]


def _short(error: Exception) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return text if len(text) <= 200 else text[:197] + "..."
