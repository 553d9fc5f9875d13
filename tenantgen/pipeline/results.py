"""What a render is asked to do (``RenderOptions``) and what it gives back (``RenderResult``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tenantgen.fast.reuse import ClusterRecord
from tenantgen.findings import Finding
from tenantgen.plan import Plan, Selection
from tenantgen.render import DEFAULT_TIMEOUT
from tenantgen.render.output_files import ReleaseFailure
from tenantgen.render.output_set import OutputFile
from tenantgen.validate import Validation


@dataclass(frozen=True)
class RenderOptions:
    tree: Path
    engine: str = "embedded"
    helm_binary: str = "helm"
    crd_dirs: tuple[Path, ...] = ()  # for every cluster
    # (provider, folder): for the clusters on that cloud, before ``crd_dirs`` (see ``crd_folders``).
    provider_crd_dirs: tuple[tuple[str, Path], ...] = ()
    chart_dirs: tuple[Path, ...] = ()
    templates_dir: Path | None = None
    validate_output: bool = True
    jobs: int = 0  # 0: one per core
    timeout: float = DEFAULT_TIMEOUT
    selection: Selection = Selection()
    cache_dir: Path | None = None  # None: no cache
    # The output directory whose unchanged clusters may be reused (see ``fast.reuse``); None: render
    # every selected cluster.
    reuse_from: Path | None = None
    # The cluster folders of the output directory the run writes or checks (``write.cluster_folders``):
    # a selection that matches only folders whose cluster left the tree renders nothing and prunes them.
    out_clusters: tuple[str, ...] = ()


@dataclass
class RenderResult:
    files: dict[str, OutputFile] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    failures: list[ReleaseFailure] = field(default_factory=list)
    clusters: int = 0
    tenants: int = 0
    releases: int = 0
    rendered: int = 0  # releases the engine rendered (the rest came from the cache)
    objects: int = 0
    seconds: float = 0.0
    validation: Validation | None = None
    plan: Plan | None = None  # every cluster's releases, rendered or not (None: the tree had findings)
    # Reused clusters (-> how many files tenantgen wrote for each): their files in OUT stay as they are.
    kept: dict[str, int] = field(default_factory=dict)
    memo: dict[str, ClusterRecord] = field(default_factory=dict)  # what to record for the next run
    notes: list[str] = field(default_factory=list)  # worth knowing, not wrong: cluster config replacing the tier's
    # What the output validation could not check, once per run: CEL rules the engine cannot evaluate.
    rule_notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings and not self.failures


Progress = Callable[[int, int], None]  # (done, total)
# [(path in OUT, bytes)]: the files of a release, as soon as they are known
Stage = Callable[[list[tuple[str, bytes]]], None]
