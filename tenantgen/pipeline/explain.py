"""``explain``, put together: validate the tree once, render the tenant's releases from that
validation, and hand both to ``author.explain`` to describe."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tenantgen.author import Explanation, clusters_holding, release_lines, tenant_section
from tenantgen.fast.render_cache import default_cache_dir
from tenantgen.pipeline.render import render_validation
from tenantgen.pipeline.results import RenderOptions, RenderResult
from tenantgen.pipeline.validate import validate_tree
from tenantgen.plan import ChartCatalog, ClusterPlan, Selection, plan_cluster
from tenantgen.validate import Validation


@dataclass(frozen=True)
class ExplainOptions:
    tenant: str
    tree: Path
    cluster: str | None = None  # a cluster name or <tier>/<account>/<cluster> (glob)
    output_format: str = "text"
    render: bool = True
    chart_dirs: tuple[Path, ...] = ()


@dataclass(frozen=True)
class Explained:
    explanation: Explanation
    rendered_ok: bool  # False: a release of the tenant failed to render (or the tree has findings)

    @property
    def ok(self) -> bool:
        return self.explanation.ok and self.rendered_ok


def explain_tenant(options: ExplainOptions) -> Explained:
    cache_dir = default_cache_dir()
    validation = validate_tree(options.tree, cache_dir=cache_dir)
    chosen = clusters_holding(validation, options.tenant, options.cluster)
    result = _render(options, validation, cache_dir) if options.render else None
    errors = {(f.cluster, f.release): f.message for f in result.failures} if result else {}
    rendered_plans = {cp.rel: cp for cp in result.plan.clusters} if result is not None and result.plan else {}
    catalog = ChartCatalog.discover(options.chart_dirs)
    tree_name = validation.tree.name
    sections = []
    for docs in chosen:
        section = tenant_section(options.tenant, docs, validation)
        sections.append(section)
        model = next((c for c in validation.fleet.clusters if c.rel == docs.rel), None)
        if model is None or section.spec is None:
            continue
        plan: ClusterPlan | None = rendered_plans.get(docs.rel)
        if plan is None:
            charts, problems = catalog.resolve(model.tier_doc)
            if problems:
                section.notes.append(f"releases not planned: tier {model.tier!r} pins charts that are not available "
                                     "(see tenantgen validate / render --charts)")
                continue
            plan = plan_cluster(model, charts, tree_name)
        # Releases that failed carry their error; the others still list their objects.
        files = result.files if result is not None and not result.findings else None
        section.releases = release_lines(plan, options.tenant, tree_name, files,
                                         {rel: msg for (cluster, rel), msg in errors.items() if cluster == docs.rel})
        section.rendered = files is not None
        if result is not None and not section.rendered:
            section.notes.append(_not_rendered(result, options.tree))
    return Explained(Explanation(options.tenant, sections), result is None or result.ok)


def _render(options: ExplainOptions, validation: Validation, cache_dir: Path) -> RenderResult:
    if not validation.ok:
        return RenderResult(validation=validation, findings=list(validation.findings))
    render_options = RenderOptions(tree=options.tree, chart_dirs=options.chart_dirs, cache_dir=cache_dir,
                                   selection=Selection(cluster=options.cluster, tenant=options.tenant))
    return render_validation(render_options, validation)


def _not_rendered(result: RenderResult, tree: Path) -> str:
    return (f"objects not rendered: the tree has {len(result.findings)} finding(s); "
            f"run tenantgen validate {tree} for all of them")
