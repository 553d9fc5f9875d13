"""Schema validation of rendered Kubernetes objects, offline.

Core kinds are checked against the strict JSON schemas bundled with ``kubernetes-validate`` for the
cluster's Kubernetes minor version; custom kinds against the ``openAPIV3Schema`` of CustomResourceDefinition
files (as kubeconform does). Unknown fields are errors in both cases: depending on the client's field
validation the API server either rejects them or silently drops them, and in a GitOps repository a
dropped field is a setting that looks applied but is not.

CEL rules (``x-kubernetes-validations``) and admission webhooks are not evaluated.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match, relevance
from referencing import Registry, Resource

from tenantgen.fast.schema_compile import Predicate, compile_schema, shared_keywords_only
from tenantgen.yamlio.reader import YamlProblem, load_all_trusted

__all__ = ["ManifestValidator", "ObjectProblem"]

# Where the core schemas' "$ref": "/api/_definitions.json#/$defs/..." resolve to (the file's own "$id").
_DEFINITIONS_URI = "https://kubernetes.io/api/_definitions.json"
_OBJECT_META_REF = _DEFINITIONS_URI + "#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
_SCHEMA_DIR = re.compile(r"^v(\d+)\.(\d+)\.0-local-strict$")
_KUBE_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+].*)?$")
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


@dataclass(frozen=True)
class _CrdVersion:
    schema: Mapping[str, Any]
    served: bool
    source: Path


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
        crds: Mapping[tuple[str, str], Mapping[str, _CrdVersion]],
        crd_dirs: Sequence[Path],
    ) -> None:
        self._schema_dir = _schema_root().joinpath(schema_dir_name)
        self._schema_version = schema_version
        self._crds = crds
        self._crd_dirs = tuple(crd_dirs)
        self._schema_dir_name = schema_dir_name
        self._registry = _definitions_registry(schema_dir_name)
        # None caches "no schema" so unknown kinds are not looked up again.
        self._validators: dict[tuple[str, str], Draft202012Validator | None] = {}
        self._quick: dict[tuple[str, str], Predicate | None] = {}

    @classmethod
    def create(cls, crd_dirs: Sequence[Path], kube_version: str) -> ManifestValidator:
        """Load the core schemas for ``kube_version`` (e.g. ``"1.31.0"``) and the CRDs under ``crd_dirs``.

        The newest bundled schema minor not newer than the cluster's is used. Raises ``ValueError`` when
        ``kube_version`` is malformed or older than every bundled schema set or a CRD file is not YAML,
        and ``OSError`` (``FileNotFoundError`` for a missing directory) when CRDs cannot be read.
        """
        dir_name, schema_version = _pick_schema_dir(kube_version)
        return cls(
            schema_dir_name=dir_name,
            schema_version=schema_version,
            crds=_load_crds(tuple(Path(d).resolve() for d in crd_dirs)),
            crd_dirs=crd_dirs,
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
            return []  # a valid object, the common case: no need for jsonschema's bookkeeping
        errors = sorted(validator.iter_errors(instance), key=_document_order)
        if not errors:
            return []
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

    def _validator(self, api_version: str, kind: str) -> Draft202012Validator | None:
        key = (api_version, kind)
        if key not in self._validators:
            schema = self._crd_schema(api_version, kind) or self._core_schema(api_version, kind)
            self._validators[key] = (
                None if schema is None else Draft202012Validator(schema, registry=self._registry)
            )
        return self._validators[key]

    def _quick_check(self, api_version: str, kind: str, validator: Draft202012Validator) -> Predicate | None:
        """A compiled yes/no check of the kind's schema (see ``schema_compile``): ten times faster than
        jsonschema for a valid object. Only where both read every keyword alike; its "no" is
        always rechecked by jsonschema, which words the problems."""
        key = (api_version, kind)
        if key not in self._quick:
            definitions = _definitions_document(self._schema_dir_name)
            self._quick[key] = (
                compile_schema(validator.schema, {_DEFINITIONS_URI: definitions})
                if shared_keywords_only(validator.schema) and _definitions_shared(self._schema_dir_name) else None
            )
        return self._quick[key]

    def _crd_schema(self, api_version: str, kind: str) -> dict[str, Any] | None:
        group, _, version = api_version.rpartition("/")
        crd = self._crds.get((group, kind)) if group else None
        if crd is None or version not in crd or not crd[version].served:
            return None
        return _crd_root(crd[version].schema)

    def _core_schema(self, api_version: str, kind: str) -> dict[str, Any] | None:
        group, _, version = api_version.rpartition("/")
        # File names drop the group's domain: rbac.authorization.k8s.io/v1 -> rolebinding-rbac-v1.json.
        stem = f"{kind.lower()}-{group.split('.')[0]}-{version}" if group else f"{kind.lower()}-{version}"
        path = self._schema_dir.joinpath(f"{stem}.json")
        if not path.is_file():
            return None
        schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        # The shortened file name is ambiguous (apps.example.com/v1 would hit apps/v1): check the real GVK.
        gvks = schema.get("x-kubernetes-group-version-kind", [])
        if {"group": group, "version": version, "kind": kind} not in gvks:
            return None
        return schema

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


def _schema_root() -> Traversable:
    return resources.files("kubernetes_validate").joinpath("kubernetes-json-schema")


def _pick_schema_dir(kube_version: str) -> tuple[str, str]:
    """Name of the strict schema directory to use for ``kube_version``, and its "major.minor"."""
    match = _KUBE_VERSION.match(kube_version.strip())
    if match is None:
        raise ValueError(f"kube version {kube_version!r} is not like 1.31 or 1.31.0")
    wanted = (int(match[1]), int(match[2]))
    bundled: dict[tuple[int, int], str] = {}
    for entry in _schema_root().iterdir():
        found = _SCHEMA_DIR.match(entry.name)
        if found is not None:
            bundled[(int(found[1]), int(found[2]))] = entry.name
    usable = [v for v in bundled if v <= wanted]
    if not usable:
        oldest = min(bundled, default=None)
        raise ValueError(
            f"kubernetes-validate has no schemas for Kubernetes {wanted[0]}.{wanted[1]} or any older minor"
            + (f" (oldest bundled: {oldest[0]}.{oldest[1]})" if oldest else "")
        )
    best = max(usable)
    return bundled[best], f"{best[0]}.{best[1]}"


@functools.cache
def _definitions_document(schema_dir_name: str) -> dict[str, Any]:
    """The shared definitions every core schema refers to (~1.3 MB of JSON), once per schema version."""
    text = _schema_root().joinpath(schema_dir_name, "_definitions.json").read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


@functools.cache
def _definitions_registry(schema_dir_name: str) -> Registry[Any]:
    registry: Registry[Any] = Registry().with_resource(
        _DEFINITIONS_URI, Resource.from_contents(_definitions_document(schema_dir_name))
    )
    return registry


@functools.cache
def _definitions_shared(schema_dir_name: str) -> bool:
    return shared_keywords_only(_definitions_document(schema_dir_name))


# Cached: parsing the CRD files takes about a second and a run may validate several clusters.
@functools.cache
def _load_crds(crd_dirs: tuple[Path, ...]) -> Mapping[tuple[str, str], Mapping[str, _CrdVersion]]:
    """Index CRD versions by (group, kind); the first definition found wins (files are read sorted)."""
    crds: dict[tuple[str, str], dict[str, _CrdVersion]] = {}
    for directory in crd_dirs:
        if not directory.is_dir():
            # A mistyped directory would otherwise turn every custom object into "unknown kind".
            raise FileNotFoundError(f"CRD directory {directory} does not exist")
        files = sorted(p for p in directory.rglob("*") if p.suffix in {".yaml", ".yml"} and p.is_file())
        for file in files:
            try:
                docs = load_all_trusted(file.read_text(encoding="utf-8"))  # large: kyverno's has 20k lines
            except YamlProblem as problem:
                raise ValueError(f"{file}: not valid YAML: {problem}") from problem
            for doc in docs:
                if not isinstance(doc, dict) or doc.get("kind") != "CustomResourceDefinition":
                    continue
                spec = doc.get("spec") or {}
                key = (str(spec.get("group", "")), str((spec.get("names") or {}).get("kind", "")))
                if key in crds:
                    continue
                crds[key] = {
                    str(v["name"]): _CrdVersion(
                        schema=(v.get("schema") or {}).get("openAPIV3Schema") or {"type": "object"},
                        served=bool(v.get("served", True)),
                        source=file,
                    )
                    for v in spec.get("versions") or []
                }
    return crds


def _crd_root(schema: Mapping[str, Any]) -> dict[str, Any]:
    """Turn a CRD's openAPIV3Schema into a strict JSON schema for a whole object.

    CRD schemas often leave apiVersion/kind/metadata loose or out; like kubeconform we accept any
    strings for apiVersion/kind, but metadata gets the core ObjectMeta schema (it is what the API
    server applies to every object's metadata).
    """
    root: dict[str, Any] = _convert(schema)
    properties = dict(root.get("properties", {}))
    properties["apiVersion"] = {"type": "string"}
    properties["kind"] = {"type": "string"}
    properties["metadata"] = {"$ref": _OBJECT_META_REF}
    root["properties"] = properties
    root.setdefault("type", "object")
    root.setdefault("additionalProperties", False)
    return root


def _convert(node: Any) -> Any:
    """OpenAPI v3 (Kubernetes flavour) -> JSON schema 2020-12, recursively."""
    if isinstance(node, list):
        return [_convert(item) for item in node]
    if not isinstance(node, Mapping):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("description", "example") or key.startswith("x-kubernetes-"):
            continue
        if key in ("properties", "patternProperties", "$defs", "definitions"):
            out[key] = {name: _convert(sub) for name, sub in value.items()}
        else:
            out[key] = _convert(value)
    if node.get("x-kubernetes-int-or-string") is True and "anyOf" not in out:
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if node.get("nullable") is True:
        out.pop("nullable")
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    # OpenAPI 3.0's boolean exclusiveMinimum/Maximum are numbers in JSON schema 2020-12.
    for bound, limit in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(out.get(bound), bool) and out.pop(bound) and limit in out:
            out[bound] = out.pop(limit)
    if node.get("x-kubernetes-embedded-resource") is True:
        props = out.setdefault("properties", {})
        props.setdefault("apiVersion", {"type": "string"})
        props.setdefault("kind", {"type": "string"})
        props.setdefault("metadata", {"type": "object"})
    # The API server prunes fields a structural schema does not declare; treat them as errors.
    if (
        "properties" in out
        and "additionalProperties" not in out
        and node.get("x-kubernetes-preserve-unknown-fields") is not True
    ):
        out["additionalProperties"] = False
    return out


def _plain(value: Any) -> Any:
    """Deep copy into dict/list so jsonschema's type checks see JSON types (not e.g. MappingProxyType)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


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
