"""Where the schema of a rendered object's kind comes from, offline.

Core kinds: the strict JSON schemas bundled with ``kubernetes-validate``, for the newest Kubernetes
minor version not newer than the cluster's. Custom kinds: the ``openAPIV3Schema`` of the
CustomResourceDefinition files the user gives (as kubeconform does), made a strict JSON schema for a
whole object: fields a schema does not declare are errors, since depending on the client's field
validation the API server either rejects them or silently drops them, and in a GitOps repository a
dropped field is a setting that looks applied but is not.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from referencing import Registry, Resource

from tenantgen.yamlio.reader import YamlProblem, load_all_trusted

# Where the core schemas' "$ref": "/api/_definitions.json#/$defs/..." resolve to (the file's own "$id").
DEFINITIONS_URI = "https://kubernetes.io/api/_definitions.json"
_OBJECT_META_REF = DEFINITIONS_URI + "#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
_SCHEMA_DIR = re.compile(r"^v(\d+)\.(\d+)\.0-local-strict$")
_KUBE_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+].*)?$")


@dataclass(frozen=True)
class CrdVersion:
    schema: Mapping[str, Any]
    served: bool
    source: Path


CrdIndex = Mapping[tuple[str, str], Mapping[str, CrdVersion]]  # (group, kind) -> version name -> version


def schema_root() -> Traversable:
    return resources.files("kubernetes_validate").joinpath("kubernetes-json-schema")


def pick_schema_dir(kube_version: str) -> tuple[str, str]:
    """Name of the strict schema directory to use for ``kube_version``, and its "major.minor"."""
    match = _KUBE_VERSION.match(kube_version.strip())
    if match is None:
        raise ValueError(f"kube version {kube_version!r} is not like 1.31 or 1.31.0")
    wanted = (int(match[1]), int(match[2]))
    bundled: dict[tuple[int, int], str] = {}
    for entry in schema_root().iterdir():
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
def definitions_document(schema_dir_name: str) -> dict[str, Any]:
    """The shared definitions every core schema refers to (~1.3 MB of JSON), once per schema version."""
    text = schema_root().joinpath(schema_dir_name, "_definitions.json").read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


@functools.cache
def definitions_registry(schema_dir_name: str) -> Registry[Any]:
    registry: Registry[Any] = Registry().with_resource(
        DEFINITIONS_URI, Resource.from_contents(definitions_document(schema_dir_name))
    )
    return registry


def core_schema(schema_dir: Traversable, api_version: str, kind: str) -> dict[str, Any] | None:
    group, _, version = api_version.rpartition("/")
    # File names drop the group's domain: rbac.authorization.k8s.io/v1 -> rolebinding-rbac-v1.json.
    stem = f"{kind.lower()}-{group.split('.')[0]}-{version}" if group else f"{kind.lower()}-{version}"
    path = schema_dir.joinpath(f"{stem}.json")
    if not path.is_file():
        return None
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    # The shortened file name is ambiguous (apps.example.com/v1 would hit apps/v1): check the real GVK.
    gvks = schema.get("x-kubernetes-group-version-kind", [])
    if {"group": group, "version": version, "kind": kind} not in gvks:
        return None
    return schema


def crd_schema(crds: CrdIndex, api_version: str, kind: str) -> dict[str, Any] | None:
    group, _, version = api_version.rpartition("/")
    crd = crds.get((group, kind)) if group else None
    if crd is None or version not in crd or not crd[version].served:
        return None
    return _crd_root(crd[version].schema)


class CrdConflict(ValueError):
    """Two CRD files of one set of folders define the same group/kind/version differently."""


# Cached: parsing the CRD files takes about a second and a run may validate several clusters.
@functools.cache
def load_crds(crd_dirs: tuple[Path, ...]) -> CrdIndex:
    """Index CRD versions by (group, kind), files read sorted. The same version defined again the
    same way is fine; defined differently it raises ``CrdConflict``: keeping either one would check
    some objects against the wrong rules without a word (e.g. the AWS and Azure Karpenter NodePool)."""
    crds: dict[tuple[str, str], dict[str, CrdVersion]] = {}
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
                group, kind = str(spec.get("group", "")), str((spec.get("names") or {}).get("kind", ""))
                known = crds.setdefault((group, kind), {})
                for v in spec.get("versions") or []:
                    version = CrdVersion(
                        schema=(v.get("schema") or {}).get("openAPIV3Schema") or {"type": "object"},
                        served=bool(v.get("served", True)),
                        source=file,
                    )
                    _add_version(known, group, kind, str(v["name"]), version)
    return crds


def _add_version(known: dict[str, CrdVersion], group: str, kind: str, name: str, version: CrdVersion) -> None:
    first = known.get(name)
    if first is None:
        known[name] = version
    elif (first.schema, first.served) != (version.schema, version.served):
        raise CrdConflict(
            f"{kind} ({group}/{name}) is defined differently in {first.source} and in {version.source}; "
            "give only one of them, or give each cloud's CRDs its own scope, e.g. "
            "--crds aws=<aws CRDs> --crds azure=<azure CRDs>"
        )


def overlay_crds(preferred: CrdIndex, fallback: CrdIndex) -> CrdIndex:
    """``fallback``'s kinds with ``preferred``'s in their place where both define a (group, kind): a
    provider's own CRDs before the ones given for every cluster."""
    return {**fallback, **preferred}


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
