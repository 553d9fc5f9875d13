"""``explain``: one tenant's effective spec with the origin of every value, and what it renders to.

Pure: ``pipeline.explain`` gathers the validation, the plan and (optionally) the rendered files; this
module turns them into an ``Explanation`` (``report.explain`` shows it as text or JSON).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tenantgen.author.scaffold_values import order_like_schema, spec_field
from tenantgen.errors import TenantgenError
from tenantgen.findings import Finding
from tenantgen.json_path import JsonPath
from tenantgen.load.documents import ClusterDocs
from tenantgen.merge import ClusterModel, TenantModel, leaves
from tenantgen.plan import ClusterPlan, Selection
from tenantgen.render.output_set import OutputFile
from tenantgen.validate import Validation, platform_pod_security, tenant_pod_security
from tenantgen.yamlio import YamlProblem, load_all

_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class ValueLine:
    """One scalar of the effective spec and where it was set (``file`` "" when tenantgen computed it)."""

    path: str
    value: Any
    layer: str
    file: str
    line: int
    col: int

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.file else "-"


@dataclass(frozen=True)
class ObjectLine:
    kind: str
    name: str
    namespace: str
    path: str  # relative to OUT


@dataclass(frozen=True)
class ReleaseLine:
    name: str
    chart: str
    version: str
    namespace: str
    source: str  # the input file the release comes from
    objects: list[ObjectLine] | None = None  # None: not rendered
    error: str = ""


@dataclass
class ClusterSection:
    cluster: str  # <tier>/<account>/<cluster>
    file: str
    spec: dict[str, Any] | None  # None: the tenant file could not be merged (schema findings)
    values: list[ValueLine] = field(default_factory=list)
    computed: list[ValueLine] = field(default_factory=list)
    releases: list[ReleaseLine] = field(default_factory=list)
    rendered: bool = False
    notes: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


@dataclass
class Explanation:
    tenant: str
    sections: list[ClusterSection]

    @property
    def ok(self) -> bool:
        return all(not section.findings and section.spec is not None for section in self.sections)


def format_path(path: JsonPath) -> str:
    """``("owners", 0, "kind")`` -> ``owners[0].kind``; keys with dots or slashes are quoted."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.match(part):
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(part)}]"
    return out


def unknown_tenant_message(name: str, known: Iterable[str]) -> str:
    names = sorted(set(known))
    close = difflib.get_close_matches(name, names, n=len(names), cutoff=0.4)
    ordered = close + [other for other in names if other not in close]
    return f"unknown tenant {name!r}; known tenants: {', '.join(ordered) or 'none'}"


def effective_spec(tenant: TenantModel) -> dict[str, Any]:
    """The merged spec in the order the Tenant schema documents its fields (not the order layers set them)."""
    ordered: dict[str, Any] = order_like_schema(tenant.spec, spec_field("Tenant"))
    return ordered


def provenance(tenant: TenantModel) -> list[ValueLine]:
    lines = []
    for path, value in leaves(effective_spec(tenant)):
        origin = tenant.merged.origin(path)
        if origin is None:  # cannot happen for merged values; kept total for safety
            lines.append(ValueLine(format_path(path), value, "?", "", 0, 0))
            continue
        line, col = origin.doc.locate(origin.path)
        lines.append(ValueLine(format_path(path), value, origin.layer, origin.doc.display_path, line, col))
    return lines


def computed_values(cluster: ClusterModel, tenant: TenantModel) -> list[ValueLine]:
    """Values tenantgen fills in that no file spells out, with the setting they come from."""
    computed = []
    if not (tenant.spec.get("namespaces") or {}).get("default"):
        computed.append(ValueLine("namespaces.default", tenant.default_namespace, "tenantgen default", "", 0, 0))
    try:
        hostname = cluster.tenant_hostname(tenant.name)
    except (KeyError, AttributeError, ValueError, IndexError):
        hostname = ""  # a bad placeholder is a validation finding, shown with the findings
    if hostname:
        line, col = cluster.tier_doc.locate(("spec", "tenantHostname"))
        computed.append(ValueLine("ingress.hostnames (authorized by the tier)", hostname, "tier tenantHostname",
                                  cluster.tier_doc.display_path, line, col))
    platform = platform_pod_security(cluster)
    if platform is not None and tenant_pod_security(cluster, tenant) == platform.level:
        line, col = platform.doc.locate(platform.path)
        computed.append(ValueLine("podSecurity (enforced)", platform.level, f"{platform.doc.kind.lower()} podSecurity",
                                  platform.doc.display_path, line, col))
    rails = cluster.tier_spec.get("guardrails") or {}
    for field_name, guardrail in (("priorityClasses", "allowedPriorityClasses"), ("storageClasses", "allowedStorageClasses")):
        if rails.get(guardrail) is not None and (tenant.spec.get(field_name) or {}).get("allowed") is None:
            line, col = cluster.tier_doc.locate(("spec", "guardrails", guardrail))
            computed.append(ValueLine(f"{field_name}.allowed (the tier's guardrail)", list(rails[guardrail]),
                                      f"tier guardrails.{guardrail}", cluster.tier_doc.display_path, line, col))
    return computed


def release_lines(plan: ClusterPlan, tenant: str, tree_name: str,
                  files: Mapping[str, OutputFile] | None, errors: Mapping[str, str]) -> list[ReleaseLine]:
    """The tenant's releases in ``plan``; objects from ``files`` (the render's output set) when given."""
    lines = []
    for release in plan.releases:
        if release.tenant != tenant:
            continue
        objects = None
        if files is not None and release.name not in errors:
            objects = _objects(files, f"{plan.rel}/manifests/{release.name}/")
            # Then what applies the release in the cluster: its HelmRelease or Kustomization, its Application.
            objects += [line for folder in ("flux", "argocd")
                        for line in _objects(files, f"{plan.rel}/{folder}/{release.name}.yaml")]
        lines.append(ReleaseLine(release.name, release.chart.name, release.chart.version, release.namespace,
                                 f"{tree_name}/{release.source.rel}", objects, errors.get(release.name, "")))
    return lines


def _objects(files: Mapping[str, OutputFile], prefix: str) -> list[ObjectLine]:
    objects = []
    for path, file in files.items():
        if not path.startswith(prefix):
            continue
        try:
            documents = load_all(file.data)
        except YamlProblem:
            documents = []
        body: dict[str, Any] = documents[0] if documents and isinstance(documents[0], dict) else {}
        meta: dict[str, Any] = body["metadata"] if isinstance(body.get("metadata"), dict) else {}
        objects.append(ObjectLine(str(body.get("kind", "?")), str(meta.get("name", "?")),
                                  str(meta.get("namespace", "")), path))
    return objects


def clusters_holding(validation: Validation, tenant: str, cluster: str | None) -> list[ClusterDocs]:
    """The clusters that hold ``tenant`` (those matching ``cluster``, a glob, when given)."""
    tree = validation.tree
    holding = [docs for docs in tree.clusters if tenant in _tenant_names(docs)]
    if not holding:
        raise TenantgenError(unknown_tenant_message(tenant, (
            name for docs in tree.clusters for name in _tenant_names(docs))))
    if cluster is None:
        return holding
    selection = Selection(cluster=cluster)
    chosen = [docs for docs in holding if selection.cluster_selected(docs.rel)]
    if not chosen:
        raise TenantgenError(f"tenant {tenant!r} is not in a cluster matching --cluster "
                             f"{cluster!r}; it is in: {', '.join(docs.rel for docs in holding)}")
    return chosen


def _tenant_names(docs: ClusterDocs) -> list[str]:
    """The cluster's tenants, those whose file could not be read included: that tenant exists, and its
    file's findings are what the user needs to see."""
    return [*docs.tenants, *(name for kind, name in docs.unreadable if kind == "Tenant")]


def tenant_section(tenant: str, docs: ClusterDocs, validation: Validation) -> ClusterSection:
    """What ``explain`` says of ``tenant`` in one cluster, before its releases: spec, origins, findings."""
    doc = docs.tenants.get(tenant)
    tenant_file = doc.display_path if doc is not None else docs.unreadable[("Tenant", tenant)]
    model: ClusterModel | None = next((c for c in validation.fleet.clusters if c.rel == docs.rel), None)
    tenant_model = model.tenants.get(tenant) if model else None
    files = {tenant_file, *(p.display_path for p in docs.argo_projects.values()
                            if p.spec.get("tenant") == tenant)}
    section = ClusterSection(docs.rel, tenant_file, None,
                             findings=[f for f in validation.findings if _concerns(f, tenant, files)])
    if doc is None:
        section.notes.append("the tenant file cannot be read (see the findings below); its effective spec "
                             "cannot be computed until they are fixed")
        return section
    if model is None or tenant_model is None:
        section.notes.append("the effective spec cannot be computed until the schema findings of this tenant, "
                             "its cluster or its tier are fixed")
        return section
    section.spec = effective_spec(tenant_model)
    section.values = provenance(tenant_model)
    section.computed = computed_values(model, tenant_model)
    return section


def _concerns(finding: Finding, tenant: str, files: set[str]) -> bool:
    return finding.file in files or f"tenant {tenant!r}" in finding.message
