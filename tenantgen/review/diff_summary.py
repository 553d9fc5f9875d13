"""What a change means, per tenant and per cluster, read from the rendered values files.

The values tenantgen hands each chart are a compact, chart-independent statement of a tenant
(hostnames, quota, owners, readers, Argo CD projects) and of a cluster's node pools, so comparing
them gives "+ hostname api2.example.com; quota limits.cpu 8 -> 12" instead of a wall of YAML.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tenantgen.render.output_set import OutputSet
from tenantgen.review.changes import ObjectChange, SubjectChange
from tenantgen.yamlio import YamlProblem, load_all

MAX_VALUE_CHARS = 80
# Labels for value paths (longest prefix wins); list labels are singular: one line per item.
LABELS: dict[tuple[str, ...], str] = {
    ("ingress", "hostnames"): "hostname",
    ("ingress", "classes"): "ingress class",
    ("readers",): "reader",
    ("owners",): "owner",
    ("resources",): "quota",
    ("namespaces", "quota"): "namespace quota",
    ("namespaces", "default"): "default namespace",
    ("nodePool",): "node pool",
    ("costCenter",): "cost center",
    ("additionalMetadata", "labels"): "label",
    ("additionalMetadata", "annotations"): "annotation",
    ("services",): "service",
    ("sourceRepos",): "source repo",
    ("roles",): "role",
    ("destinationNamespaces",): "destination",
    ("instances", "instanceTypes"): "instance type",
    ("instances", "capacityTypes"): "capacity type",
    ("instances", "architectures"): "architecture",
}
# Derived or constant values that would only repeat another line.
IGNORED_TENANT_KEYS = ("name", "hostnameRegex")
IGNORED_PROJECT_KEYS = ("name", "tenant", "defaultNamespace")
IGNORED_CONTEXT_KEYS = ("source", "tenantgenVersion")


@dataclass
class ClusterFacts:
    context: dict[str, Any] = field(default_factory=dict)
    tenants: dict[str, dict[str, Any]] = field(default_factory=dict)
    pools: dict[str, dict[str, Any]] = field(default_factory=dict)
    config: dict[str, bytes] = field(default_factory=dict)


def collect_facts(files: OutputSet) -> dict[str, ClusterFacts]:
    """Per cluster: its context, each tenant's values (with its readers and Argo CD projects), node pools."""
    facts: dict[str, ClusterFacts] = {}
    projects: list[tuple[str, dict[str, Any]]] = []
    for path in sorted(files):
        parts = path.split("/")
        if len(parts) == 4 and parts[3] == "helmfile.yaml":
            facts.setdefault("/".join(parts[:3]), ClusterFacts())
        if len(parts) != 5 or parts[3] not in ("values", "config"):
            continue
        cluster = facts.setdefault("/".join(parts[:3]), ClusterFacts())
        if parts[3] == "config":
            cluster.config[parts[4]] = files[path].data
            continue
        values = _values(files[path].data)
        if not values:
            continue
        cluster.context = {k: v for k, v in (values.get("context") or {}).items() if k not in IGNORED_CONTEXT_KEYS}
        if isinstance(values.get("nodePool"), dict):
            pool = values["nodePool"]
            cluster.pools[str(pool.get("name"))] = {k: v for k, v in pool.items() if k != "name"}
        elif isinstance(values.get("project"), dict):
            projects.append(("/".join(parts[:3]), values["project"]))
        elif isinstance(values.get("tenant"), dict):
            block = values["tenant"]
            tenant = cluster.tenants.setdefault(str(block.get("name")), {})
            if "policyEngine" in values:  # the post-install release: readers live there
                tenant["readers"] = block.get("readers") or []
            else:
                tenant.update({k: v for k, v in block.items() if k not in IGNORED_TENANT_KEYS})
                tenant.setdefault("readers", [])
                if isinstance(v := tenant.get("ingress"), dict):
                    tenant["ingress"] = {k: x for k, x in v.items() if k not in IGNORED_TENANT_KEYS}
    for cluster_rel, project in projects:
        owner = facts[cluster_rel].tenants.setdefault(str(project.get("tenant")), {})
        owner.setdefault("argoProjects", {})[str(project.get("name"))] = {
            k: v for k, v in project.items() if k not in IGNORED_PROJECT_KEYS}
    return facts


def _values(data: bytes) -> dict[str, Any] | None:
    try:
        documents = load_all(data)
    except YamlProblem:
        return None
    return documents[0] if len(documents) == 1 and isinstance(documents[0], dict) else None


def summarize(base: OutputSet, head: OutputSet, objects: Sequence[ObjectChange]) -> list[SubjectChange]:
    old, new = collect_facts(base), collect_facts(head)
    touched: dict[tuple[str, str | None], int] = {}
    for change in objects:
        touched[(change.cluster, change.tenant)] = touched.get((change.cluster, change.tenant), 0) + 1
    subjects: list[SubjectChange] = []
    for cluster in sorted(old.keys() | new.keys()):
        before, after = old.get(cluster), new.get(cluster)
        if before is None or after is None:
            subjects.append(SubjectChange("cluster", cluster, "", "added" if before is None else "removed"))
        a, b = before or ClusterFacts(), after or ClusterFacts()
        tenants = [change for tenant in sorted(a.tenants.keys() | b.tenants.keys())
                   for change in _tenant_change(cluster, tenant, a.tenants.get(tenant), b.tenants.get(tenant),
                                                touched.get((cluster, tenant), 0))]
        subjects.extend(tenants)
        if before is not None and after is not None:
            details = _cluster_details(a, b)
            # helmfile.yaml changes with every tenant added or removed: only worth a line on its own.
            if not details and not tenants and touched.get((cluster, None)):
                details = [f"{touched[(cluster, None)]} rendered file(s) changed"]
            if details:
                subjects.append(SubjectChange("cluster", cluster, "", "changed", tuple(details)))
    charts = [change for change in objects if not change.cluster]
    if charts:
        subjects.append(SubjectChange("fleet", "", "", "changed", tuple(
            f"{c.title} {c.status}" for c in charts)))
    return subjects


def _tenant_change(cluster: str, tenant: str, before: dict[str, Any] | None, after: dict[str, Any] | None,
                   objects: int) -> list[SubjectChange]:
    if before is None:
        return [SubjectChange("tenant", cluster, tenant, "added")]
    if after is None:
        return [SubjectChange("tenant", cluster, tenant, "removed")]
    old_projects, new_projects = before.get("argoProjects") or {}, after.get("argoProjects") or {}
    details = describe({k: v for k, v in before.items() if k != "argoProjects"},
                       {k: v for k, v in after.items() if k != "argoProjects"})
    for project in sorted(old_projects.keys() | new_projects.keys()):
        if project not in old_projects:
            details.append(f"argo project {project} added")
        elif project not in new_projects:
            details.append(f"argo project {project} removed")
        else:
            details.extend(f"argo project {project}: {line}"
                           for line in describe(old_projects[project], new_projects[project]))
    if not details and objects:
        details = [f"{objects} rendered object(s) changed"]
    return [SubjectChange("tenant", cluster, tenant, "changed", tuple(details))] if details else []


def _cluster_details(a: ClusterFacts, b: ClusterFacts) -> list[str]:
    details = [f"cluster {line}" for line in describe(a.context.get("cluster") or {}, b.context.get("cluster") or {})]
    details.extend(f"account {line}" for line in describe(a.context.get("account") or {},
                                                          b.context.get("account") or {}))
    for pool in sorted(a.pools.keys() | b.pools.keys()):
        if pool not in a.pools:
            details.append(f"node pool {pool} added")
        elif pool not in b.pools:
            details.append(f"node pool {pool} removed")
        else:
            details.extend(f"node pool {pool}: {line}" for line in describe(a.pools[pool], b.pools[pool]))
    for name in sorted(a.config.keys() | b.config.keys()):
        if a.config.get(name) != b.config.get(name):
            state = "added" if name not in a.config else "removed" if name not in b.config else "changed"
            details.append(f"config {name} {state}")
    return details


_MISSING: Any = object()


def describe(before: Any, after: Any, path: tuple[str, ...] = ()) -> list[str]:
    """One short line per meaningful difference between two values blocks."""
    for kind in (dict, list):
        if isinstance(before, kind) or isinstance(after, kind):
            # An absent block compares as an empty one, so its contents are listed one by one.
            old = kind() if before is _MISSING or before is None else before
            new = kind() if after is _MISSING or after is None else after
            if isinstance(old, dict) and isinstance(new, dict):
                lines: list[str] = []
                for key in _keys(old, new):
                    lines.extend(describe(old.get(key, _MISSING), new.get(key, _MISSING), (*path, str(key))))
                return lines
            if isinstance(old, list) and isinstance(new, list):
                return _list_lines(path, old, new)
            return [_scalar_line(path, before, after)]
    if before == after:
        return []
    return [_scalar_line(path, before, after)]


def _keys(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    return list(after) + [key for key in before if key not in after]


def _list_lines(path: tuple[str, ...], before: list[Any], after: list[Any]) -> list[str]:
    if before == after:
        return []
    label = label_of(path)
    if all(_item_key(item) is not None for item in [*before, *after]):
        old = {_item_key(item): item for item in before}
        new = {_item_key(item): item for item in after}
        lines = [f"+ {label} {key}" for key in new if key not in old]
        lines += [f"- {label} {key}" for key in old if key not in new]
        for key in (k for k in new if k in old):
            lines.extend(f"{label} {key}: {line}" for line in describe(
                _without_key(old[key]), _without_key(new[key])))
        return lines or [f"{label} reordered"]
    old_texts, new_texts = [_show(i) for i in before], [_show(i) for i in after]
    lines = [f"+ {label} {t}" for t in new_texts if t not in old_texts]
    lines += [f"- {label} {t}" for t in old_texts if t not in new_texts]
    return lines or [f"{label} reordered"]


def _item_key(item: Any) -> str | None:
    if isinstance(item, dict) and isinstance(item.get("name"), str):
        return f"{item['kind']} {item['name']}" if isinstance(item.get("kind"), str) else item["name"]
    return None


def _without_key(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in ("name", "kind")}


def _scalar_line(path: tuple[str, ...], before: Any, after: Any) -> str:
    label = label_of(path)
    if before is _MISSING or before is None or before == "":
        return f"+ {label} {_show(after)}"
    if after is _MISSING or after is None or after == "":
        return f"- {label} {_show(before)}"
    return f"{label} {_show(before)} -> {_show(after)}"


def label_of(path: Iterable[str]) -> str:
    parts = tuple(path)
    for end in range(len(parts), 0, -1):
        if parts[:end] in LABELS:
            rest = ".".join(parts[end:])
            return f"{LABELS[parts[:end]]} {rest}" if rest else LABELS[parts[:end]]
    return ".".join(parts) or "value"


def _show(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS - 1] + "…"
