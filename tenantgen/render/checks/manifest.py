"""The object check: each rendered Kubernetes object against its kind's schema (see ``schemas``).

The most relevant problem comes first, worded for a person: the path of the field and what is wrong
and, where the schema says so, what is allowed. An object of a CRD that passes its schema is then
held to the CRD's CEL rules (``x-kubernetes-validations``, see ``cel_rules``); admission webhooks
are not run.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match, relevance

from tenantgen.render.checks.schemas import (
    DEFINITIONS_URI,
    CrdIndex,
    core_schema,
    crd_schema,
    definitions_document,
    definitions_registry,
    load_crds,
    overlay_crds,
    pick_schema_dir,
    schema_root,
)
from tenantgen.render.schema_compiler import Predicate, SchemaCompiler

if TYPE_CHECKING:  # loaded when a CRD has rules (see ``rules``): the CEL engine takes a tenth of a second
    from tenantgen.render.checks.cel_rules import CelFailure, CrdRules

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_MAX_REPR = 200
_MAX_MESSAGE = 400
_MAX_LISTED_FIELDS = 12


@dataclass(frozen=True)
class ObjectProblem:
    """One schema violation of one object."""

    path: str
    """JSONPath-like location, e.g. ``$.spec.owners[0].kind`` or ``$.metadata.labels["a/b"]``."""
    message: str
    """What is wrong and, where the schema says so, what is allowed."""


class ManifestValidator:
    """Validates rendered objects against core Kubernetes schemas and CRD schemas.

    Build it once with :meth:`create` and reuse it: schemas are loaded once and one compiled validator
    is cached per (apiVersion, kind).
    """

    def __init__(
        self,
        *,
        schema_dir_name: str,
        schema_version: str,
        crds: CrdIndex,
        crd_dirs: Sequence[Path],
        compiler: SchemaCompiler | None = None,
    ) -> None:
        self._schema_dir = schema_root().joinpath(schema_dir_name)
        self._schema_version = schema_version
        self._crds = crds
        self._crd_dirs = tuple(crd_dirs)
        self._schema_dir_name = schema_dir_name
        self._registry = definitions_registry(schema_dir_name)
        # None caches "no schema" so unknown kinds are not looked up again.
        self._validators: dict[tuple[str, str], Draft202012Validator | None] = {}
        self._compiler = compiler
        self._quick: dict[tuple[str, str], Predicate | None] = {}
        self._rules: dict[tuple[str, str], CrdRules | None] = {}

    @classmethod
    def create(cls, crd_dirs: Sequence[Path], kube_version: str, compiler: SchemaCompiler | None = None,
               provider_crd_dirs: Sequence[Path] = ()) -> ManifestValidator:
        """Load the core schemas for ``kube_version`` (e.g. ``"1.31.0"``) and the CRDs under ``crd_dirs``.

        The newest bundled schema minor not newer than the cluster's is used. ``provider_crd_dirs``: the
        CRDs given for the cluster's cloud; a kind they define is checked against them, not against a
        definition of it under ``crd_dirs``. Raises ``ValueError`` when ``kube_version`` is malformed or
        older than every bundled schema set or a CRD file is not YAML (``CrdConflict`` when one set of
        folders defines a version twice, differently), and ``OSError`` (``FileNotFoundError`` for a
        missing directory) when CRDs cannot be read.
        ``compiler``: a speed path for objects that pass (see ``render.schema_compiler``).
        """
        dir_name, schema_version = pick_schema_dir(kube_version)
        crds = load_crds(tuple(Path(d).resolve() for d in crd_dirs))
        if provider_crd_dirs:
            crds = overlay_crds(load_crds(tuple(Path(d).resolve() for d in provider_crd_dirs)), crds)
        return cls(
            schema_dir_name=dir_name,
            schema_version=schema_version,
            crds=crds,
            crd_dirs=[*provider_crd_dirs, *crd_dirs],
            compiler=compiler,
        )

    def check(self, obj: Mapping[str, Any]) -> list[ObjectProblem]:
        """Return the problems of one object; ``[]`` when it is valid.

        The most relevant problem comes first. An object whose kind has neither a core schema nor a CRD
        gives exactly one problem saying where schemas were looked for.
        """
        api_version = obj.get("apiVersion")
        kind = obj.get("kind")
        if not isinstance(api_version, str) or not api_version or not isinstance(kind, str) or not kind:
            return [ObjectProblem("$", "apiVersion and kind must be non-empty strings")]
        validator = self._validator(api_version, kind)
        if validator is None:
            return [ObjectProblem("$", self._unknown_kind_message(api_version, kind))]
        instance = _plain(obj)
        quick = self._quick_check(api_version, kind, validator)
        if quick is not None and quick(instance):
            return self._rule_problems(api_version, kind, instance)  # the common case: no jsonschema bookkeeping
        errors = sorted(validator.iter_errors(instance), key=_document_order)
        if not errors:
            return self._rule_problems(api_version, kind, instance)
        # Lead with the error jsonschema rates most relevant, then the rest in document order.
        first = best_match(errors, key=relevance)
        ordered = [first] + [e for e in errors if e is not first]
        return [problem for error in ordered for problem in _problems(error)]

    def has_schema(self, obj: Mapping[str, Any]) -> bool:
        """Whether a core schema or a given CRD describes this object's kind."""
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        return (
            isinstance(api_version, str)
            and isinstance(kind, str)
            and self._validator(api_version, kind) is not None
        )

    def rules(self, api_version: str, kind: str) -> CrdRules | None:
        """The CEL rules of the CRD version that describes this kind; None for core kinds, unknown kinds
        and CRDs without rules."""
        key = (api_version, kind)
        if key not in self._rules:
            group, _, version = api_version.rpartition("/")
            crd = self._crds.get((group, kind)) if group else None
            found = None
            if crd is not None and version in crd and _has_rules(crd[version].schema):
                from tenantgen.render.checks.cel_rules import CrdRules

                found = CrdRules(crd[version].schema)
            self._rules[key] = found
        return self._rules[key]

    def rule_notes(self, objects: Iterable[Mapping[str, Any]]) -> list[str]:
        """One line per CRD version of ``objects`` whose rules could not all be evaluated, e.g.
        ``2 CEL rule(s) of NodePool (karpenter.sh/v1) not evaluated: uses quantity, which ...``."""
        notes = []
        kinds = {(str(o.get("apiVersion")), str(o.get("kind"))) for o in objects}
        for api_version, kind in sorted(kinds):
            rules = self._rules.get((api_version, kind))
            if rules is not None and rules.counts.not_evaluable:
                reasons = sorted({why for _, why in rules.counts.not_evaluable})
                notes.append(f"{len(rules.counts.not_evaluable)} CEL rule(s) of {kind} ({api_version}) "
                             f"not evaluated: {'; '.join(reasons)}")
        return notes

    def _rule_problems(self, api_version: str, kind: str, instance: Any) -> list[ObjectProblem]:
        # Only for an object that passed its schema: a rule would trip over a wrongly typed field
        # with a message less clear than the schema's.
        rules = self.rules(api_version, kind)
        if rules is None:
            return []
        return [_rule_problem(failure) for failure in rules.check(instance)]

    def _validator(self, api_version: str, kind: str) -> Draft202012Validator | None:
        key = (api_version, kind)
        if key not in self._validators:
            schema = crd_schema(self._crds, api_version, kind) or core_schema(self._schema_dir, api_version, kind)
            self._validators[key] = (
                None if schema is None else Draft202012Validator(schema, registry=self._registry)
            )
        return self._validators[key]

    def _quick_check(self, api_version: str, kind: str, validator: Draft202012Validator) -> Predicate | None:
        """The handed-in compiler's yes/no check of the kind's schema: ten times faster than jsonschema
        for a valid object. Its "no" is always rechecked by jsonschema, which words the problems."""
        key = (api_version, kind)
        if key not in self._quick:
            compiler, definitions = self._compiler, definitions_document(self._schema_dir_name)
            self._quick[key] = (
                compiler(validator.schema, {DEFINITIONS_URI: definitions}) if compiler is not None else None
            )
        return self._quick[key]

    def _unknown_kind_message(self, api_version: str, kind: str) -> str:
        group, _, version = api_version.rpartition("/")
        crd = self._crds.get((group, kind)) if group else None
        if crd is not None:
            sources = sorted({str(v.source) for v in crd.values()})
            served = sorted(name for name, v in crd.items() if v.served)
            return (
                f"{kind} has no served version {version!r} in its CRD ({', '.join(sources)}); "
                f"served versions: {', '.join(served) or 'none'}"
            )
        dirs = ", ".join(str(d) for d in self._crd_dirs) or "(no CRD directories given)"
        return (
            f"unknown kind {kind} ({api_version}): no core Kubernetes {self._schema_version} schema "
            f"(kubernetes-validate) and no CustomResourceDefinition in {dirs}"
        )


def _plain(value: Any) -> Any:
    """Deep copy into dict/list so jsonschema's type checks see JSON types (not e.g. MappingProxyType)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _has_rules(schema: Any) -> bool:
    """Whether ``x-kubernetes-validations`` occurs anywhere in ``schema``."""
    if isinstance(schema, Mapping):
        return "x-kubernetes-validations" in schema or any(_has_rules(value) for value in schema.values())
    if isinstance(schema, list):
        return any(_has_rules(value) for value in schema)
    return False


def _rule_problem(failure: CelFailure) -> ObjectProblem:
    return ObjectProblem(_json_path(failure.path), _truncate(failure.message, _MAX_MESSAGE))


def _problems(error: ValidationError) -> Iterator[ObjectProblem]:
    if error.context:
        # anyOf/oneOf of plain types (int-or-string, nullable): say which types would do.
        types = [sub.validator_value for sub in error.context if sub.validator == "type"]
        if len(types) == len(error.context):
            expected = sorted({t for value in types for t in _as_list(value)})
            message = f"expected {' or '.join(expected)}, got {_short(error.instance)}"
            yield ObjectProblem(_json_path(list(error.absolute_path)), message)
            return
        # oneOf of "required" branches (e.g. exactly one source must be set): list the choices.
        if all(sub.validator == "required" for sub in error.context):
            choices = sorted({f for sub in error.context for f in _as_list(sub.validator_value)})
            how_many = "exactly one" if error.validator == "oneOf" else "at least one"
            message = f"{how_many} of these fields must be set: {_listing(choices)}"
            yield ObjectProblem(_json_path(list(error.absolute_path)), message)
            return
        # Otherwise the top error only says "not valid under any"; the best sub-error says why.
        error = best_match(error.context, key=relevance)
    path = list(error.absolute_path)
    instance = error.instance
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        allowed = sorted(error.schema.get("properties", {}))
        patterns = list(error.schema.get("patternProperties", {}))
        extras = [k for k in instance if k not in allowed and not any(re.search(p, k) for p in patterns)]
        if extras:
            for field in extras:
                message = f"unknown field; allowed: {_listing(allowed)}"
                yield ObjectProblem(_json_path([*path, field]), message)
            return
    if error.validator == "required" and isinstance(instance, dict):
        missing = [k for k in error.validator_value if k not in instance]
        if missing:
            for field in missing:
                yield ObjectProblem(_json_path([*path, field]), "required field is missing")
            return
    if error.validator == "type":
        message = f"expected {' or '.join(_as_list(error.validator_value))}, got {_short(instance)}"
    elif error.validator == "pattern":
        message = f"{_short(instance)} does not match the pattern {error.validator_value}"
    else:
        message = error.message.replace(repr(instance), _short(instance), 1)
    yield ObjectProblem(_json_path(path), _truncate(message, _MAX_MESSAGE))


def _document_order(error: ValidationError) -> list[tuple[int, int, str]]:
    return [(0, p, "") if isinstance(p, int) else (1, 0, str(p)) for p in error.absolute_path]


def _json_path(parts: Sequence[Any]) -> str:
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENTIFIER.match(str(part)):
            out += f".{part}"
        else:
            out += f"[{json.dumps(str(part))}]"
    return out


def _as_list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _listing(items: Sequence[str]) -> str:
    if not items:
        return "none"
    shown = ", ".join(items[:_MAX_LISTED_FIELDS])
    return shown + (f", ... ({len(items)} in all)" if len(items) > _MAX_LISTED_FIELDS else "")


def _short(instance: Any) -> str:
    return _truncate(repr(instance), _MAX_REPR)


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
