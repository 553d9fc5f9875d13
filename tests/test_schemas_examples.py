"""Checks of the JSON Schemas in schemas/ and of the example tree in tiers/.

* every schema is a valid Draft 2020-12 schema, has the expected $id and all its $refs resolve;
* every property of every schema has a description and examples (editor users rely on them),
  and every example and default validates against the property's own subschema;
* every tenantgen document under tiers/ validates against the schema of its kind, carries the
  right yaml-language-server modeline and is named after its file or folder;
* the pass-through manifests in config/ folders are valid Kubernetes objects;
* the example tree is consistent (references exist, guardrails hold after merging defaults);
* a set of bad documents is rejected.

This module deliberately does not import the tenantgen package: it only needs the schemas and
the example tree. Where it has to mimic tenantgen (stripping nulls, merging defaults) it uses the
documented semantics: maps merge deeply, lists replace, null removes an inherited key.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_DIR = ROOT / "schemas"
TIERS_DIR = ROOT / "tiers"
ID_BASE = "https://tenantgen.io/schemas/v1alpha1/"
API_VERSION = "tenantgen.io/v1alpha1"

KIND_SCHEMAS = {
    "Tier": "tier.schema.json",
    "Account": "account.schema.json",
    "Cluster": "cluster.schema.json",
    "Tenant": "tenant.schema.json",
    "ArgoProject": "argoproject.schema.json",
    "NodePool": "nodepool.schema.json",
}
SCHEMA_FILES = sorted([*KIND_SCHEMAS.values(), "common.schema.json"])
FOLDER_KINDS = {"tenants": "Tenant", "argo-projects": "ArgoProject", "node-pools": "NodePool"}
MODELINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)$")

FORMAT_CHECKER = Draft202012Validator.FORMAT_CHECKER


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def _load_schemas() -> dict[str, dict[str, Any]]:
    return {name: json.loads((SCHEMA_DIR / name).read_text()) for name in SCHEMA_FILES}


SCHEMAS = _load_schemas()
REGISTRY: Registry = Registry().with_resources(
    (schema["$id"], Resource.from_contents(schema, default_specification=DRAFT202012))
    for schema in SCHEMAS.values()
)


def validator_for(schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(schema, registry=REGISTRY, format_checker=FORMAT_CHECKER)


def kind_validator(kind: str) -> Draft202012Validator:
    return validator_for(SCHEMAS[KIND_SCHEMAS[kind]])


def errors_of(validator: Draft202012Validator, instance: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
        for e in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.path)))
    ]


def load_yaml(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text())


def load_yaml_all(path: Path) -> list[Any]:
    return [d for d in YAML(typ="safe").load_all(path.read_text()) if d is not None]


def strip_nulls(value: Any) -> Any:
    """What the tenantgen loader does before validation: null values are merge directives."""
    if isinstance(value, dict):
        return {k: strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [strip_nulls(v) for v in value]
    return value


def merge(base: Any, overlay: Any) -> Any:
    """Maps merge deeply, lists (and scalars) replace, null removes an inherited key."""
    if not (isinstance(base, dict) and isinstance(overlay, dict)):
        return copy.deepcopy(overlay)
    out = copy.deepcopy(base)
    for key, value in overlay.items():
        if value is None:
            out.pop(key, None)
        elif key in out:
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


# --------------------------------------------------------------------------------------------
# Walking schemas
# --------------------------------------------------------------------------------------------

# Keywords whose value is a schema, a list of schemas, or a map of name -> schema.
_SCHEMA_KEYWORDS = {
    "items",
    "additionalProperties",
    "propertyNames",
    "contains",
    "not",
    "if",
    "then",
    "else",
    "unevaluatedProperties",
    "unevaluatedItems",
}
_SCHEMA_LIST_KEYWORDS = {"allOf", "anyOf", "oneOf", "prefixItems"}
_SCHEMA_MAP_KEYWORDS = {"properties", "patternProperties", "$defs", "dependentSchemas"}
# Sub-schemas under these keywords only refine properties documented elsewhere (e.g. the
# Account `id` pattern per provider); they are not walked for documentation checks.
_CONDITIONAL = {"if", "then", "else", "not"}


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


@dataclass(frozen=True)
class Node:
    file: str
    pointer: str  # JSON pointer of the sub-schema inside its file
    schema: dict[str, Any]
    property_name: str | None  # set when the node is an entry of a `properties` map
    is_def: bool  # set when the node is an entry of `$defs`

    @property
    def ref(self) -> str:
        return f"{SCHEMAS[self.file]['$id']}#{self.pointer}"

    @property
    def id(self) -> str:
        return f"{self.file}#{self.pointer or '/'}"


def iter_nodes(file: str) -> Iterator[Node]:
    """Every documentable sub-schema of a schema file (conditional branches left out)."""

    def walk(schema: Any, pointer: str, prop: str | None, is_def: bool) -> Iterator[Node]:
        if not isinstance(schema, dict):
            return
        yield Node(file, pointer, schema, prop, is_def)
        for key, value in schema.items():
            if key in _CONDITIONAL:
                continue
            here = f"{pointer}/{_escape(key)}"
            if key in _SCHEMA_KEYWORDS:
                yield from walk(value, here, None, False)
            elif key in _SCHEMA_LIST_KEYWORDS:
                for i, sub in enumerate(value):
                    yield from walk(sub, f"{here}/{i}", None, False)
            elif key in _SCHEMA_MAP_KEYWORDS:
                for name, sub in value.items():
                    yield from walk(
                        sub,
                        f"{here}/{_escape(name)}",
                        name if key == "properties" else None,
                        key == "$defs",
                    )

    yield from walk(SCHEMAS[file], "", None, False)


ALL_NODES = [node for file in SCHEMA_FILES for node in iter_nodes(file)]
PROPERTY_NODES = [n for n in ALL_NODES if n.property_name is not None]
EXAMPLE_NODES = [n for n in ALL_NODES if "examples" in n.schema]
DEFAULT_NODES = [n for n in ALL_NODES if "default" in n.schema]


def iter_refs(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, sub in value.items():
            if key == "$ref" and isinstance(sub, str):
                yield sub
            elif key not in ("examples", "default", "const", "enum"):
                yield from iter_refs(sub)
    elif isinstance(value, list):
        for sub in value:
            yield from iter_refs(sub)


# --------------------------------------------------------------------------------------------
# Schema tests
# --------------------------------------------------------------------------------------------


def test_schema_folder_holds_exactly_the_expected_files() -> None:
    assert sorted(p.name for p in SCHEMA_DIR.glob("*.json")) == SCHEMA_FILES


@pytest.mark.parametrize("file", SCHEMA_FILES)
def test_schema_is_valid_draft_2020_12(file: str) -> None:
    schema = SCHEMAS[file]
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == ID_BASE + file
    assert schema.get("description"), "top-level description missing"
    Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("file", SCHEMA_FILES)
def test_all_refs_resolve(file: str) -> None:
    resolver = REGISTRY.resolver(base_uri=SCHEMAS[file]["$id"])
    for ref in iter_refs(SCHEMAS[file]):
        resolver.lookup(ref)  # raises on an unknown file or a bad pointer


@pytest.mark.parametrize("kind", sorted(KIND_SCHEMAS))
def test_kind_schema_envelope(kind: str) -> None:
    schema = SCHEMAS[KIND_SCHEMAS[kind]]
    assert schema["title"] == kind
    assert set(schema["required"]) == {"apiVersion", "kind", "metadata", "spec"}
    assert schema["additionalProperties"] is False
    assert schema["properties"]["kind"]["const"] == kind


@pytest.mark.parametrize("node", PROPERTY_NODES, ids=lambda n: n.id)
def test_every_property_has_description_and_examples(node: Node) -> None:
    description = node.schema.get("description")
    examples = node.schema.get("examples")
    assert isinstance(description, str) and description.strip(), "description missing"
    assert isinstance(examples, list) and examples, "examples missing"


@pytest.mark.parametrize("node", [n for n in ALL_NODES if n.is_def], ids=lambda n: n.id)
def test_every_definition_has_a_description(node: Node) -> None:
    assert node.schema.get("description"), "description missing"


def test_fixed_key_objects_reject_unknown_keys() -> None:
    """Objects with `properties` must close themselves so typos are caught."""
    offenders = [
        n.id
        for n in ALL_NODES
        if "properties" in n.schema and n.schema.get("additionalProperties") is not False
    ]
    assert offenders == []


@pytest.mark.parametrize("node", EXAMPLE_NODES, ids=lambda n: n.id)
def test_examples_validate_against_their_subschema(node: Node) -> None:
    validator = validator_for({"$ref": node.ref})
    for example in node.schema["examples"]:
        assert errors_of(validator, example) == [], f"example {example!r} is invalid"


@pytest.mark.parametrize("node", DEFAULT_NODES, ids=lambda n: n.id)
def test_defaults_validate_and_are_documented(node: Node) -> None:
    validator = validator_for({"$ref": node.ref})
    assert errors_of(validator, node.schema["default"]) == []
    assert "Default" in node.schema.get("description", ""), "describe the default too"


def test_release_names_are_limited_to_40_characters() -> None:
    for kind in ("Tenant", "ArgoProject", "NodePool"):
        v = kind_validator(kind)
        base = strip_nulls(load_yaml(BASE_DOCS[kind]))
        ok = set_path(base, "metadata.name", "a" * 40)
        assert errors_of(v, ok) == []
        assert errors_of(v, set_path(base, "metadata.name", "a" * 41)) != []
    for kind in ("Tier", "Account", "Cluster"):
        v = kind_validator(kind)
        base = strip_nulls(load_yaml(BASE_DOCS[kind]))
        assert errors_of(v, set_path(base, "metadata.name", "a" * 63)) == []
        assert errors_of(v, set_path(base, "metadata.name", "a" * 64)) != []


# --------------------------------------------------------------------------------------------
# The example tree
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TreeFile:
    path: Path
    kind: str | None  # None for pass-through manifests under config/
    expected_name: str | None
    tier: str
    cluster: str | None  # (account, cluster) folder path for cluster-level files

    @property
    def rel(self) -> str:
        return self.path.relative_to(TIERS_DIR).as_posix()


def classify(path: Path) -> TreeFile | None:
    parts = path.relative_to(TIERS_DIR).parts
    stem = path.stem
    match parts:
        case (tier, "tier.yaml"):
            return TreeFile(path, "Tier", tier, tier, None)
        case (tier, "config", _):
            return TreeFile(path, None, None, tier, None)
        case (tier, account, "account.yaml"):
            return TreeFile(path, "Account", account, tier, None)
        case (tier, account, cluster, "cluster.yaml"):
            return TreeFile(path, "Cluster", cluster, tier, f"{account}/{cluster}")
        case (tier, account, cluster, "config", _):
            return TreeFile(path, None, None, tier, f"{account}/{cluster}")
        case (tier, account, cluster, folder, _) if folder in FOLDER_KINDS:
            return TreeFile(path, FOLDER_KINDS[folder], stem, tier, f"{account}/{cluster}")
    return None


ALL_TREE_PATHS = sorted(p for p in TIERS_DIR.rglob("*") if p.is_file())
TREE = [tf for p in ALL_TREE_PATHS if (tf := classify(p)) is not None]
DOCS = [tf for tf in TREE if tf.kind is not None]
PASSTHROUGH = [tf for tf in TREE if tf.kind is None]


def test_tree_has_only_files_of_the_documented_layout() -> None:
    unexpected = [p.relative_to(TIERS_DIR).as_posix() for p in ALL_TREE_PATHS if classify(p) is None]
    assert unexpected == []
    assert all(p.suffix == ".yaml" for p in ALL_TREE_PATHS), "use the .yaml extension"
    kinds = {tf.kind for tf in DOCS}
    assert kinds == set(KIND_SCHEMAS), "the example tree should show every kind"
    assert PASSTHROUGH, "the example tree should show pass-through manifests"


@pytest.mark.parametrize("tf", DOCS, ids=lambda tf: tf.rel)
def test_document_validates_against_its_schema(tf: TreeFile) -> None:
    assert tf.kind is not None
    doc = load_yaml(tf.path)
    assert doc["kind"] == tf.kind, f"a {doc['kind']} does not belong at {tf.rel}"
    assert errors_of(kind_validator(tf.kind), strip_nulls(doc)) == []


@pytest.mark.parametrize("tf", DOCS, ids=lambda tf: tf.rel)
def test_document_is_named_after_its_file_or_folder(tf: TreeFile) -> None:
    assert load_yaml(tf.path)["metadata"]["name"] == tf.expected_name


@pytest.mark.parametrize("tf", DOCS, ids=lambda tf: tf.rel)
def test_document_starts_with_a_modeline_for_its_schema(tf: TreeFile) -> None:
    assert tf.kind is not None
    first_line = tf.path.read_text().splitlines()[0]
    m = MODELINE.match(first_line)
    assert m, f"first line must be the yaml-language-server modeline, got {first_line!r}"
    target = (tf.path.parent / m.group(1)).resolve()
    assert target == SCHEMA_DIR / KIND_SCHEMAS[tf.kind]
    assert not Path(m.group(1)).is_absolute()


def _cluster_docs() -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (tf.tier, tf.cluster): load_yaml(tf.path)
        for tf in DOCS
        if tf.kind == "Cluster" and tf.cluster is not None
    }


@pytest.mark.parametrize("tf", PASSTHROUGH, ids=lambda tf: tf.rel)
def test_passthrough_manifests_are_valid_kubernetes_objects(tf: TreeFile) -> None:
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    clusters = _cluster_docs()
    # A tier-wide manifest goes to every cluster of the tier: check it against each version.
    versions = sorted(
        {
            doc["spec"]["kubeVersion"].lstrip("v")
            for (tier, cluster), doc in clusters.items()
            if tier == tf.tier and (tf.cluster is None or cluster == tf.cluster)
        }
    )
    assert versions, f"no cluster receives {tf.rel}"
    objects = load_yaml_all(tf.path)
    assert objects, "empty manifest"
    for obj in objects:
        assert obj.get("apiVersion") and obj.get("kind") and obj.get("metadata", {}).get("name")
        for version in versions:
            kubernetes_validate.validate(obj, version, strict=True)


# ---- consistency of the example tree (what `tenantgen render` will check after merging) ----

_SUFFIXES = {
    "m": Decimal("0.001"),
    "": Decimal(1),
    "k": Decimal(10) ** 3,
    "M": Decimal(10) ** 6,
    "G": Decimal(10) ** 9,
    "T": Decimal(10) ** 12,
    "P": Decimal(10) ** 15,
    "E": Decimal(10) ** 18,
    "Ki": Decimal(2) ** 10,
    "Mi": Decimal(2) ** 20,
    "Gi": Decimal(2) ** 30,
    "Ti": Decimal(2) ** 40,
    "Pi": Decimal(2) ** 50,
    "Ei": Decimal(2) ** 60,
}


def quantity(q: str) -> Decimal:
    m = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)([a-zA-Z]*)", q)
    assert m, q
    return Decimal(m.group(1)) * _SUFFIXES[m.group(2)]


def hostnames_overlap(a: str, b: str) -> bool:
    """Ingress semantics: `*.x.com` matches exactly one extra label (`a.x.com`)."""
    if a == b:
        return True
    for wild, other in ((a, b), (b, a)):
        if wild.startswith("*."):
            if other.startswith("*."):
                continue  # different wildcard domains never match the same name
            if other.split(".", 1)[-1] == wild[2:]:
                return True
    return False


def under_suffix(hostname: str, suffix: str) -> bool:
    """`example.com` covers itself and names below it; `.example.com` only names below it."""
    wildcard = hostname.startswith("*.")
    name = hostname.removeprefix("*.")
    domain = suffix.removeprefix(".")
    if name.endswith("." + domain):
        return True
    # `*.example.com` only matches names below example.com, so it fits either form.
    return name == domain and (wildcard or not suffix.startswith("."))


def get_path(doc: dict[str, Any], dotted: str) -> Any:
    cur: Any = doc
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


@dataclass
class ClusterView:
    tier: dict[str, Any]
    cluster: dict[str, Any]
    tenants: dict[str, dict[str, Any]]  # name -> merged spec
    projects: dict[str, dict[str, Any]]
    pools: dict[str, dict[str, Any]]


def cluster_views() -> dict[str, ClusterView]:
    tiers = {tf.tier: load_yaml(tf.path) for tf in DOCS if tf.kind == "Tier"}
    views: dict[str, ClusterView] = {}
    for tf in DOCS:
        if tf.kind == "Cluster":
            tier = tiers[tf.tier]
            views[f"{tf.tier}/{tf.cluster}"] = ClusterView(tier, load_yaml(tf.path), {}, {}, {})
    for tf in DOCS:
        if tf.kind in FOLDER_KINDS.values():
            view = views[f"{tf.tier}/{tf.cluster}"]
            doc = load_yaml(tf.path)
            name = doc["metadata"]["name"]
            if tf.kind == "Tenant":
                spec = merge(view.tier["spec"].get("defaults", {}), view.cluster["spec"].get("defaults", {}))
                view.tenants[name] = merge(spec, doc["spec"])
            elif tf.kind == "ArgoProject":
                view.projects[name] = doc["spec"]
            else:
                view.pools[name] = doc["spec"]
    return views


VIEWS = cluster_views()


def test_example_tree_shape() -> None:
    assert sum(len(v.tenants) for v in VIEWS.values()) == 10
    assert {k.split("/")[0] for k in VIEWS} == {"playground", "prod"}


@pytest.mark.parametrize("key", sorted(VIEWS))
def test_cluster_references_resolve(key: str) -> None:
    view = VIEWS[key]
    for name, spec in view.tenants.items():
        assert spec.get("nodePool") in view.pools, f"tenant {name}: unknown nodePool"
        default_ns = get_path(spec, "namespaces.default")
        if default_ns is not None:
            assert default_ns.startswith(f"{name}-"), f"tenant {name}: default namespace"
    for name, spec in view.projects.items():
        assert spec["tenant"] in view.tenants, f"project {name}: unknown tenant"
        repo_url = spec["rootApp"]["repoURL"]
        assert any(
            re.fullmatch(re.escape(glob).replace(r"\*", ".*"), repo_url) for glob in spec["sourceRepos"]
        ), f"project {name}: rootApp.repoURL not covered by sourceRepos"
        for role in spec.get("roles", []):
            for policy in role.get("policies", []):
                assert f"proj:{name}:{role['name']}," in policy, f"project {name}: {policy}"
    # The example tree gives every tenant its own ArgoProject.
    assert set(view.projects) == set(view.tenants)


@pytest.mark.parametrize("key", sorted(VIEWS))
def test_merged_tenants_respect_the_tier(key: str) -> None:
    view = VIEWS[key]
    tier_spec = view.tier["spec"]
    guard = tier_spec.get("guardrails", {})
    tenant_validator = validator_for({"$ref": ID_BASE + "tenant.schema.json#/properties/spec"})
    hostnames: dict[str, list[str]] = {}
    for name, spec in view.tenants.items():
        assert errors_of(tenant_validator, spec) == [], f"merged tenant {name}"
        for field in guard.get("requiredFields", []):
            assert get_path(spec, field) is not None, f"tenant {name}: {field} required"
        if "maxNamespaces" in guard and "namespaces" in spec:
            assert spec["namespaces"].get("quota", 0) <= guard["maxNamespaces"], name
        for section in ("requests", "limits"):
            for res, cap in (get_path(guard, f"maxResources.{section}") or {}).items():
                value = get_path(spec, f"resources.{section}.{res}")
                assert value is not None and quantity(value) <= quantity(cap), f"{name}: {section}.{res}"
        classes = get_path(spec, "ingress.classes") or []
        if "allowedIngressClasses" in guard:
            assert set(classes) <= set(guard["allowedIngressClasses"]), f"tenant {name}: classes"
        allowed_services = guard.get("allowedServices", {})
        for svc, enabled in spec.get("services", {}).items():
            assert not enabled or allowed_services.get(svc, False), f"tenant {name}: services.{svc}"
        names = list(get_path(spec, "ingress.hostnames") or [])
        if "tenantHostname" in tier_spec:
            names.append(
                tier_spec["tenantHostname"]
                .replace("{tenant}", name)
                .replace("{tier}", view.tier["metadata"]["name"])
                .replace("{cluster.name}", view.cluster["metadata"]["name"])
                .replace("{cluster.hostname}", view.cluster["spec"]["hostname"])
            )
        for hostname in names:
            if "hostnameSuffixes" in guard:
                assert any(under_suffix(hostname, s) for s in guard["hostnameSuffixes"]), hostname
        hostnames[name] = names
    for a, names_a in hostnames.items():
        for b, names_b in hostnames.items():
            if a < b:
                clashes = [(x, y) for x in names_a for y in names_b if hostnames_overlap(x, y)]
                assert clashes == [], f"tenants {a} and {b} share host names"


def test_defaults_are_really_merged_in_the_example_tree() -> None:
    """The example tree shows inheritance, overriding and removal by null."""
    search = VIEWS["prod/prod-aws/prod-euw1"].tenants["search"]
    assert "max" not in search["limitRange"] and "default" in search["limitRange"]
    payments = VIEWS["prod/prod-aws/prod-euw1"].tenants["payments"]
    assert payments["ingress"]["classes"] == ["nginx-internal", "nginx-public"]
    checkout = VIEWS["prod/prod-aws/prod-euw1"].tenants["checkout"]
    assert checkout["nodePool"] == "apps" and checkout["namespaces"]["quota"] == 5
    assert VIEWS["prod/prod-aws/prod-euw1"].tenants["platform-tools"]["nodePool"] == "ci-runners"


def test_merge_semantics_helper() -> None:
    base = {"a": {"b": 1, "c": [1, 2]}, "d": 1}
    assert merge(base, {"a": {"c": [3], "b": None}, "e": 2}) == {"a": {"c": [3]}, "d": 1, "e": 2}


# --------------------------------------------------------------------------------------------
# Bad (and borderline good) documents
# --------------------------------------------------------------------------------------------

_CLUSTER = TIERS_DIR / "prod/prod-aws/prod-euw1"
BASE_DOCS = {
    "Tier": TIERS_DIR / "prod/tier.yaml",
    "Account": TIERS_DIR / "prod/prod-aws/account.yaml",
    "Cluster": _CLUSTER / "cluster.yaml",
    "Tenant": _CLUSTER / "tenants/payments.yaml",
    "ArgoProject": _CLUSTER / "argo-projects/payments.yaml",
    "NodePool": _CLUSTER / "node-pools/ci-runners.yaml",
}
_DELETE = object()


def set_path(doc: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    """A copy of doc with dotted (numeric parts index lists) set to value or deleted."""
    out = copy.deepcopy(doc)
    *parents, last = dotted.split(".")
    cur: Any = out
    for part in parents:
        cur = cur[int(part)] if isinstance(cur, list) else cur.setdefault(part, {})
    if value is _DELETE:
        del cur[last]
    elif isinstance(cur, list):
        cur[int(last)] = value
    else:
        cur[last] = value
    return out


BAD = [
    # (id, kind, dotted path, value)
    ("argo-inline-password", "ArgoProject", "spec.repository.password", "hunter2"),
    ("argo-inline-username", "ArgoProject", "spec.repository.username", "bot"),
    ("argo-inline-ssh-key", "ArgoProject", "spec.repository.sshPrivateKey", "-----BEGIN"),
    ("argo-no-source-repos", "ArgoProject", "spec.sourceRepos", []),
    ("argo-no-root-app", "ArgoProject", "spec.rootApp", _DELETE),
    ("argo-root-app-no-path", "ArgoProject", "spec.rootApp.path", _DELETE),
    ("argo-bad-repo-type", "ArgoProject", "spec.repository.type", "svn"),
    ("argo-bad-policy", "ArgoProject", "spec.roles.0.policies.0", "g, payments-admins, role:admin"),
    ("argo-role-uppercase", "ArgoProject", "spec.roles.0.name", "Deployer"),
    ("tenant-bad-quantity", "Tenant", "spec.resources.requests.memory", "2 GB"),
    ("tenant-lowercase-gb", "Tenant", "spec.resources.requests.memory", "2gb"),
    ("tenant-unquoted-cpu", "Tenant", "spec.resources.requests.cpu", 2),
    ("tenant-name-uppercase", "Tenant", "metadata.name", "Payments"),
    ("tenant-name-41-chars", "Tenant", "metadata.name", "a" * 41),
    ("tenant-name-trailing-dash", "Tenant", "metadata.name", "payments-"),
    ("tenant-no-owners", "Tenant", "spec.owners", _DELETE),
    ("tenant-empty-owners", "Tenant", "spec.owners", []),
    ("tenant-owner-bad-kind", "Tenant", "spec.owners.0.kind", "Team"),
    ("tenant-typo-key", "Tenant", "spec.costCentre", "CC-1"),
    ("tenant-unknown-metadata", "Tenant", "metadata.namespace", "default"),
    ("tenant-wildcard-in-middle", "Tenant", "spec.ingress.hostnames.0", "api.*.example.com"),
    ("tenant-partial-wildcard", "Tenant", "spec.ingress.hostnames.0", "*api.example.com"),
    ("tenant-hostname-uppercase", "Tenant", "spec.ingress.hostnames.0", "API.example.com"),
    ("tenant-quota-zero", "Tenant", "spec.namespaces.quota", 0),
    ("tenant-quota-too-big", "Tenant", "spec.namespaces.quota", 1001),
    ("tenant-slack-no-hash", "Tenant", "spec.contact.slack", "team-payments"),
    ("tenant-bad-email", "Tenant", "spec.contact.email", "payments-team"),
    ("tenant-bad-label-value", "Tenant", "spec.additionalMetadata.labels.tier", "not ok!"),
    ("tenant-bad-label-key", "Tenant", "spec.additionalMetadata.labels", {"-bad": "x"}),
    ("tenant-wrong-api-version", "Tenant", "apiVersion", "tenantgen.io/v1"),
    ("tenant-wrong-kind", "Tenant", "kind", "Namespace"),
    ("tenant-service-not-bool", "Tenant", "spec.services.nodePort", "yes"),
    ("account-provider-gcp", "Account", "spec.provider", "gcp"),
    ("account-aws-guid-id", "Account", "spec.id", "00000000-1111-2222-3333-444444444444"),
    ("account-aws-short-id", "Account", "spec.id", "12345"),
    ("account-id-unquoted", "Account", "spec.id", 222222222222),
    ("account-no-region", "Account", "spec.region", _DELETE),
    ("cluster-bad-ami-alias", "Cluster", "spec.karpenter.amiAlias", "al2023"),
    ("cluster-kube-version-float", "Cluster", "spec.kubeVersion", 1.31),
    ("cluster-kube-version-2", "Cluster", "spec.kubeVersion", "2.0.0"),
    ("cluster-bad-dns-ip", "Cluster", "spec.clusterDNS", "172.20.0.256"),
    ("cluster-bad-hostname", "Cluster", "spec.hostname", "Prod_EUW1.example.com"),
    ("cluster-defaults-typo", "Cluster", "spec.defaults.nodepool", "apps"),
    ("cluster-name-uppercase", "Cluster", "metadata.name", "Prod-euw1"),
    ("tier-no-label-prefix", "Tier", "spec.labelPrefix", _DELETE),
    ("tier-bad-policy-engine", "Tier", "spec.policyEngine", "opa"),
    ("tier-unknown-chart", "Tier", "spec.charts", {"capsule": "1.0.0"}),
    ("tier-chart-version-v", "Tier", "spec.charts", {"tenant": "v1.0.0"}),
    ("tier-unknown-required-field", "Tier", "spec.guardrails.requiredFields", ["owner"]),
    ("tier-bad-tenant-hostname", "Tier", "spec.tenantHostname", "{Tenant}.apps.example.com"),
    ("tier-zero-max-namespaces", "Tier", "spec.guardrails.maxNamespaces", 0),
    ("nodepool-no-capacity-types", "NodePool", "spec.instances.capacityTypes", []),
    ("nodepool-bad-capacity-type", "NodePool", "spec.instances.capacityTypes", ["preemptible"]),
    ("nodepool-bad-arch", "NodePool", "spec.instances.architectures", ["x86_64"]),
    ("nodepool-bad-duration", "NodePool", "spec.consolidateAfter", "10 minutes"),
    ("nodepool-days-duration", "NodePool", "spec.expireAfter", "30d"),
    ("nodepool-weight-101", "NodePool", "spec.weight", 101),
    ("nodepool-no-cost-code", "NodePool", "spec.costCode", _DELETE),
    ("nodepool-bad-policy", "NodePool", "spec.consolidationPolicy", "WhenUnderutilized"),
    ("nodepool-aws-tag-prefix", "NodePool", "spec.tags", {"aws:createdBy": "me"}),
    ("nodepool-limits-number", "NodePool", "spec.limits.cpu", 128),
]

GOOD = [
    ("tenant-name-40-chars", "Tenant", "metadata.name", "a" * 40),
    ("tenant-apex-hostname", "Tenant", "spec.ingress.hostnames.0", "payments.example.com"),
    ("tenant-millicores", "Tenant", "spec.resources.requests.cpu", "1500m"),
    ("tenant-decimal-quantity", "Tenant", "spec.resources.requests.memory", "1.5Gi"),
    (
        "tenant-service-account-owner",
        "Tenant",
        "spec.owners.0",
        {"kind": "ServiceAccount", "name": "system:serviceaccount:payments-ci:deployer"},
    ),
    (
        "account-azure",
        "Account",
        "spec",
        {"provider": "azure", "id": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", "region": "westeurope"},
    ),
    (
        "cluster-instance-profile",
        "Cluster",
        "spec.karpenter",
        {
            "instanceProfile": "KarpenterNodeInstanceProfile",
            "subnetSelector": {"a": "b"},
            "securityGroupSelector": {"a": "*"},
            "amiAlias": "bottlerocket@v1.30.0",
        },
    ),
    ("cluster-kube-version-v", "Cluster", "spec.kubeVersion", "v1.31"),
    ("nodepool-never", "NodePool", "spec.expireAfter", "Never"),
    ("nodepool-compound-duration", "NodePool", "spec.consolidateAfter", "1h30m"),
    (
        "argo-helm-repo",
        "ArgoProject",
        "spec.repository",
        {"url": "https://charts.example.com", "type": "helm", "name": "charts"},
    ),
    ("tier-charts", "Tier", "spec.charts", {"tenant": "0.3.1", "karpenter-nodepool": "1.0.0-rc.1"}),
]


def _case(kind: str, dotted: str, value: Any) -> tuple[Draft202012Validator, dict[str, Any]]:
    base = strip_nulls(load_yaml(BASE_DOCS[kind]))
    return kind_validator(kind), set_path(base, dotted, value)


@pytest.mark.parametrize("kind", sorted(BASE_DOCS))
def test_base_documents_are_valid(kind: str) -> None:
    assert errors_of(kind_validator(kind), strip_nulls(load_yaml(BASE_DOCS[kind]))) == []


@pytest.mark.parametrize(("kind", "dotted", "value"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_document_is_rejected(kind: str, dotted: str, value: Any) -> None:
    validator, doc = _case(kind, dotted, value)
    assert errors_of(validator, doc) != [], f"{kind} with {dotted}={value!r} was accepted"


@pytest.mark.parametrize(("kind", "dotted", "value"), [c[1:] for c in GOOD], ids=[c[0] for c in GOOD])
def test_borderline_document_is_accepted(kind: str, dotted: str, value: Any) -> None:
    validator, doc = _case(kind, dotted, value)
    assert errors_of(validator, doc) == []


def test_helm_repository_needs_a_name() -> None:
    validator, doc = _case(
        "ArgoProject", "spec.repository", {"url": "https://charts.example.com", "type": "helm"}
    )
    assert errors_of(validator, doc) != []


def test_azure_account_needs_a_guid() -> None:
    validator, doc = _case(
        "Account", "spec", {"provider": "azure", "id": "222222222222", "region": "westeurope"}
    )
    assert errors_of(validator, doc) != []
