"""What a rendered release, a cluster and the charts in use become in the output set.

- a release: ``<cluster>/values/<release>.yaml`` and ``<cluster>/manifests/<release>/<file>``;
- a cluster: ``<cluster>/helmfile.yaml`` (unless its delivery turns it off), its ``config/`` files,
  passed through, and what Flux and Argo CD apply (``flux/``, ``argocd/``: see ``delivery``);
- the charts: ``charts/<chart>-<version>/...``, copied so that OUT applies on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tenantgen.credentials import redact
from tenantgen.plan.charts import ChartRef
from tenantgen.plan.planner import ClusterPlan, Release
from tenantgen.render.delivery import delivery_files
from tenantgen.render.helmfile import render_helmfile
from tenantgen.render.output_set import OutputFile
from tenantgen.render.workers import ReleaseOutput
from tenantgen.yamlio.reader import dump


@dataclass(frozen=True)
class ReleaseFailure:
    release: str
    cluster: str
    source: str  # the input file the release came from
    message: str
    tenant: str | None = None  # None: a node pool's release
    chart: str = ""  # "<name> <version>"

    def __post_init__(self) -> None:
        # Helm's messages quote values (schema errors, `fail` with %q): mask anything credential-like.
        object.__setattr__(self, "message", redact(self.message))

    @classmethod
    def of(cls, cp: ClusterPlan, release: Release, tree_name: str, message: str) -> ReleaseFailure:
        return cls(release.name, cp.rel, f"{tree_name}/{release.source.rel}", message, release.tenant,
                   f"{release.chart.name} {release.chart.version}")

    def format(self) -> str:
        owner = f"tenant {self.tenant}, " if self.tenant else ""
        chart = f"chart {self.chart}, " if self.chart else ""
        return f"{self.cluster}: {owner}release {self.release} ({chart}from {self.source}): {self.message}"


def release_files(cluster: str, release: Release, output: ReleaseOutput) -> dict[str, OutputFile]:
    tenant, name = release.tenant, release.name
    files = {f"{cluster}/values/{name}.yaml": OutputFile(
        (output.values or dump(release.values)).encode(), cluster, tenant, name)}
    for file_name, text in output.files:
        files[f"{cluster}/manifests/{name}/{file_name}"] = OutputFile(text.encode(), cluster, tenant, name)
    return files


def cluster_files(cp: ClusterPlan, tree_name: str, templates_dir: Path | None = None,
                  helmfile: str | None = None) -> dict[str, OutputFile]:
    """``helmfile``: the cluster's helmfile.yaml, when it was rendered already."""
    files = {}
    if cp.cluster.delivery.helmfile:
        if helmfile is None:
            helmfile = render_helmfile(cp, tree_name, templates_dir)
        files[f"{cp.rel}/helmfile.yaml"] = OutputFile(helmfile.encode(), cp.rel)
    config = cp.cluster.config_files()
    for name in sorted(config):
        files[f"{cp.rel}/config/{name}"] = OutputFile(config[name].raw, cp.rel)
    files.update(delivery_files(cp, tree_name))
    return files


def chart_files(charts: Sequence[ChartRef]) -> dict[str, OutputFile]:
    """Every file of every chart in use, under OUT/charts/."""
    files = {}
    for chart in sorted(set(charts), key=lambda ref: ref.key):
        for path in sorted(p for p in chart.path.rglob("*") if p.is_file()):
            files[f"charts/{chart.key}/{path.relative_to(chart.path).as_posix()}"] = OutputFile(path.read_bytes(), "")
    return files
