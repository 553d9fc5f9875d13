"""``tenantgen explain``: gather validation, plan and the tenant's render; ``explain`` formats them."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from tenantgen.author import (
    ClusterSection,
    Explanation,
    computed_values,
    effective_spec,
    provenance,
    release_lines,
    unknown_tenant_message,
)
from tenantgen.errors import TenantgenError
from tenantgen.fast.render_cache import default_cache_dir
from tenantgen.findings import Finding
from tenantgen.load.documents import ClusterDocs
from tenantgen.merge.fleet import ClusterModel
from tenantgen.pipeline.render import RenderOptions, RenderResult, render_tree
from tenantgen.pipeline.validate import validate_tree
from tenantgen.plan.charts import ChartCatalog
from tenantgen.plan.planner import plan_cluster
from tenantgen.plan.selection import Selection
from tenantgen.report import EXPLAIN_REPORTERS
from tenantgen.validate.tree_check import Validation


@dataclass(frozen=True)
class ExplainOptions:
    tenant: str
    tree: Path
    cluster: str | None = None  # a cluster name or <tier>/<account>/<cluster> (glob)
    output_format: str = "text"
    render: bool = True
    chart_dirs: tuple[Path, ...] = ()


def run_explain(options: ExplainOptions, stdout: TextIO | None = None) -> int:
    stdout = stdout or sys.stdout  # looked up per call: tests redirect it
    validation = validate_tree(options.tree)
    chosen = _clusters_of(validation, options)
    tree_name = validation.tree.display_root.rstrip("/").rsplit("/", 1)[-1] or "tree"
    result = _render(options, validation) if options.render else None
    errors = {(f.cluster, f.release): f.message for f in result.failures} if result else {}
    catalog = ChartCatalog.discover(options.chart_dirs)
    sections = []
    for docs in chosen:
        section = _section(options.tenant, docs, validation)
        sections.append(section)
        model = next((c for c in validation.fleet.clusters if c.rel == docs.rel), None)
        if model is None or section.spec is None:
            continue
        charts, problems = catalog.resolve(model.tier_doc)
        if problems:
            section.notes.append(f"releases not planned: tier {model.tier!r} pins charts that are not available "
                                 "(see tenantgen validate / render --charts)")
            continue
        # Releases that failed carry their error; the others still list their objects.
        files = result.files if result is not None and not result.findings else None
        section.releases = release_lines(plan_cluster(model, charts, tree_name), options.tenant,
                                         tree_name, files,
                                         {rel: msg for (cluster, rel), msg in errors.items() if cluster == docs.rel})
        section.rendered = files is not None
        if result is not None and not section.rendered:
            section.notes.append(_not_rendered(result, options.tree))
    explanation = Explanation(options.tenant, sections)
    EXPLAIN_REPORTERS.pick(options.output_format)(explanation, stdout)
    rendered_ok = result is None or result.ok
    return 0 if explanation.ok and rendered_ok else 1


def _clusters_of(validation: Validation, options: ExplainOptions) -> list[ClusterDocs]:
    tree = validation.tree
    holding = [docs for docs in tree.clusters if options.tenant in _tenant_names(docs)]
    if not holding:
        raise TenantgenError(unknown_tenant_message(options.tenant, (
            name for docs in tree.clusters for name in _tenant_names(docs))))
    if options.cluster is None:
        return holding
    selection = Selection(cluster=options.cluster)
    chosen = [docs for docs in holding if selection.cluster_selected(docs.rel)]
    if not chosen:
        raise TenantgenError(f"tenant {options.tenant!r} is not in a cluster matching --cluster "
                             f"{options.cluster!r}; it is in: {', '.join(docs.rel for docs in holding)}")
    return chosen


def _tenant_names(docs: ClusterDocs) -> list[str]:
    """The cluster's tenants, those whose file could not be read included: that tenant exists, and its
    file's findings are what the user needs to see."""
    return [*docs.tenants, *(name for kind, name in docs.unreadable if kind == "Tenant")]


def _section(tenant: str, docs: ClusterDocs, validation: Validation) -> ClusterSection:
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


def _render(options: ExplainOptions, validation: Validation) -> RenderResult:
    if not validation.ok:
        return RenderResult(validation=validation, findings=list(validation.findings))
    render_options = RenderOptions(
        tree=options.tree, chart_dirs=options.chart_dirs, cache_dir=default_cache_dir(),
        selection=Selection(cluster=options.cluster, tenant=options.tenant))
    return render_tree(render_options)


def _not_rendered(result: RenderResult, tree: Path) -> str:
    return (f"objects not rendered: the tree has {len(result.findings)} finding(s); "
            f"run tenantgen validate {tree} for all of them")
