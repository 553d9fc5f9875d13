"""The render pipeline in one place: validate -> plan -> render (cached, parallel) -> output set.

Nothing here writes to OUT: the result is an in-memory output set that ``output`` writes or checks
and ``diff`` compares. Any finding or failed release fails the whole run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

from tenantgen import __version__
from tenantgen.assets import templates_dir
from tenantgen.credentials import redact
from tenantgen.errors import TenantgenError, UsageError
from tenantgen.fast.helpers import collector_paused
from tenantgen.fast.parse_cache import ParseCache, tree_key
from tenantgen.fast.render_cache import KeyMaker, RenderCache, files_digest
from tenantgen.fast.reuse import (
    ClusterRecord,
    TreeScan,
    document_digests_match,
    intact_check,
    read_memo,
    read_signatures,
    scan_tree,
    shared_inputs,
    write_signatures,
)
from tenantgen.fast.schema_compile import compile_exact
from tenantgen.findings import Finding, sort_findings
from tenantgen.load.documents import TreeDocs
from tenantgen.load.tree import kind_at
from tenantgen.pipeline.validate import Reading, read_and_validate
from tenantgen.plan.charts import ChartCatalog, ChartRef
from tenantgen.plan.planner import ClusterPlan, Plan, Release, plan_fleet
from tenantgen.plan.selection import Selection
from tenantgen.render import (
    DEFAULT_TIMEOUT,
    HELMFILE_TEMPLATE,
    BinaryEngine,
    OutputFile,
    ReleaseOutput,
    RenderJob,
    WorkerConfig,
    WorkerPool,
    default_workers,
    render_helmfile,
    values_digest,
    values_json,
)
from tenantgen.validate.tree_check import Validation
from tenantgen.yamlio.reader import dump


@dataclass(frozen=True)
class RenderOptions:
    tree: Path
    engine: str = "embedded"
    helm_binary: str = "helm"
    crd_dirs: tuple[Path, ...] = ()
    chart_dirs: tuple[Path, ...] = ()
    templates_dir: Path | None = None
    validate_output: bool = True
    jobs: int = 0  # 0: one per core
    timeout: float = DEFAULT_TIMEOUT
    selection: Selection = Selection()
    cache_dir: Path | None = None  # None: no cache
    # The output directory whose unchanged clusters may be reused (see ``incremental``); None: render
    # every selected cluster.
    reuse_from: Path | None = None


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

    def format(self) -> str:
        owner = f"tenant {self.tenant}, " if self.tenant else ""
        chart = f"chart {self.chart}, " if self.chart else ""
        return f"{self.cluster}: {owner}release {self.release} ({chart}from {self.source}): {self.message}"


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
    # Reused clusters (-> how many files tenantgen wrote for each): their files in OUT stay as they are.
    kept: dict[str, int] = field(default_factory=dict)
    memo: dict[str, ClusterRecord] = field(default_factory=dict)  # what to record for the next run
    notes: list[str] = field(default_factory=list)  # worth knowing, not wrong: cluster config replacing the tier's

    @property
    def ok(self) -> bool:
        return not self.findings and not self.failures


Progress = Callable[[int, int], None]  # (done, total)
# [(path in OUT, bytes)]: the files of a release, as soon as they are known
Stage = Callable[[list[tuple[str, bytes]]], None]
SAVE_EVERY = 500  # fresh renders written to the cache in one go


def engine_version(options: RenderOptions) -> str:
    # Decided in this process without importing the engine: it must never load here (fork hazard).
    if options.engine == "helm":
        return BinaryEngine(options.helm_binary).version()
    return f"helm-python-sdk {package_version('helm-python-sdk')}"


def render_tree(options: RenderOptions, progress: Progress = lambda done, total: None,
                display_root: str | None = None, stage: Stage | None = None) -> RenderResult:
    started = time.monotonic()
    for folder in options.crd_dirs:
        if not folder.is_dir():
            raise UsageError(f"--crds {str(folder)!r} is not a folder")
    config = WorkerConfig(options.engine, options.helm_binary, tuple(str(folder) for folder in options.crd_dirs),
                          options.validate_output, schema_compiler=compile_exact)
    reading = Reading.create(options.cache_dir, options.tree)
    with WorkerPool(config, options.jobs or default_workers(), options.timeout) as pool, reading.pool:
        catalog = ChartCatalog.discover(options.chart_dirs)
        # As soon as something may need rendering, the engine loads in its own process while the
        # tree is checked here, not after.
        scan, digests, reused = _scan(options, display_root, catalog, lambda: pool.prestart(1), reading)
        result = _render_checked(options, progress, display_root, pool, catalog, scan, digests, reused, stage,
                                 reading)
    result.seconds = time.monotonic() - started
    return result


def _scan(options: RenderOptions, display_root: str | None, catalog: ChartCatalog, dirty: Callable[[], None],
          reading: Reading) -> tuple[TreeScan | None, dict[str, str | None], dict[str, ClusterRecord]]:
    """The tree's files, each cluster's input digest, and the clusters whose output can be reused.

    ``dirty`` is called as soon as some cluster is known to need rendering. With a cold parse cache,
    each file goes to ``reading``'s helpers as it is read, to be parsed while the scan goes on.
    """
    if not options.tree.is_dir():
        dirty()
        return None, {}, {}  # validation reports it
    signatures = (options.cache_dir / "parse" / f"{tree_key(options.tree)}.files"
                  if options.cache_dir is not None else None)
    known = read_signatures(signatures) if signatures is not None else {}
    cache, helpers = reading.cache, reading.pool
    records = read_memo(options.reuse_from) if options.reuse_from is not None else {}
    whole_clusters = options.selection.tenant is None  # only then is a cluster's record complete
    # Whether OUT still holds every file of each recorded cluster (a stat per file) is the slow part
    # of a re-render: a large output is checked by a helper process while this one reads the tree.
    # (Not when the parse cache is cold: tenantgen changed, or it is a first run; the helpers parse.)
    intact = intact_check(options.reuse_from, records if whole_clusters and not cache.cold() else {}, helpers)
    scan = scan_tree(options.tree, known,
                     (lambda rel, digest, raw: cache.offer(digest, raw, helpers, kind_at(rel))) if cache.cold() else None)
    if signatures is not None and scan.signatures != known:
        write_signatures(signatures, scan.signatures)
    shared = shared_inputs(_output_options(options, _tree_name_of(options, display_root)), catalog,
                           _templates(options))
    digests = {rel: scan.cluster_digest(shared, rel) for rel in scan.clusters()}
    same = {rel: records[rel] for rel, digest in digests.items()
            if whole_clusters and digest is not None and rel in records and records[rel].inputs == digest
            and options.selection.cluster_selected(rel)}
    if len(same) < len(digests):
        dirty()  # the engine loads while the check of OUT ends
    whole = intact(same)
    reused = {rel: record for rel, record in same.items() if rel in whole}
    if len(reused) < len(same):
        dirty()
    return scan, digests, reused


def _render_checked(options: RenderOptions, progress: Progress, display_root: str | None, pool: WorkerPool,
                    catalog: ChartCatalog, scan: TreeScan | None, digests: Mapping[str, str | None],
                    reused: Mapping[str, ClusterRecord], stage: Stage | None, reading: Reading) -> RenderResult:
    whole_clusters = options.selection.tenant is None
    if whole_clusters and sum(
            1 for rel in digests if rel not in reused and options.selection.cluster_selected(rel)) > 1:
        # Clusters to render: every worker will be wanted, and each loads its engine while this
        # process merges, checks and plans the tree it loaded (the helpers that parsed it are done,
        # one core is otherwise idle), not when the first release is due.
        reading.loaded = lambda: pool.prestart(pool.size)
    validation = read_and_validate(options.tree, display_root, reading, scan, reused.__contains__)
    reading.pool.close()  # the render workers' turn: idle helpers would only hold memory
    result = RenderResult(validation=validation, findings=list(validation.findings))
    parse_cache: ParseCache | None = reading.cache

    def save_parse_cache() -> None:
        # Written while the workers render (writing ~20 MB for a large tree would otherwise hold up
        # the first release), or before returning when nothing is rendered; once.
        nonlocal parse_cache
        if parse_cache is not None:
            parse_cache.save()
            parse_cache = None

    charts_by_tier: dict[str, dict[str, ChartRef]] = {}
    for tier, doc in sorted(validation.tree.tiers.items()):
        charts_by_tier[tier], problems = catalog.resolve(doc)
        result.findings.extend(problems)
    if result.findings:
        result.findings = sort_findings(result.findings)
        save_parse_cache()
        return result
    tree_name = _tree_name(validation.tree)
    with collector_paused():
        plan = plan_fleet(validation.fleet, charts_by_tier, tree_name)
        selected = [cp for cp in plan.clusters if options.selection.cluster_selected(cp.rel)]
        if not selected and not reused:
            raise UsageError("the selection (--tier/--cluster) matches no cluster of the tree")
        _require_a_tenant(options.selection, selected)
        jobs = [(cp, release) for cp in selected for release in cp.releases
                if options.selection.tenant_selected(release.tenant)]
        helmfiles: dict[str, str] = {}

        def while_rendering() -> Iterator[bool]:
            # Done while the workers render (they need nothing from it), not after them.
            save_parse_cache()
            yield True
            for cp in selected:
                helmfiles[cp.rel] = render_helmfile(cp, tree_name, options.templates_dir)
                yield True

        # Each output becomes its files (bytes) as it arrives, and its texts are let go: holding the
        # texts of every release until the end would double the peak memory, and turning them into
        # files after the render would keep one core busy while the other waits.
        made: list[dict[str, OutputFile] | None] = [None] * len(jobs)
        broken: dict[int, list[str]] = {}  # job -> what went wrong
        objects: dict[str, int] = {}

        def take(index: int, output: ReleaseOutput) -> None:
            cp, release = jobs[index]
            if output.error or output.problems:
                broken[index] = [output.error] if output.error else [f"rendered object {p}" for p in output.problems]
                return
            cluster = cp.rel
            made[index] = files = _release_files(cluster, release, output)
            result.objects += output.objects
            objects[cluster] = objects.get(cluster, 0) + output.objects
            if stage is not None:
                stage([(rel, file.data) for rel, file in files.items()])

        result.rendered = _render_releases(options, jobs, progress, pool, while_rendering(), take)
        pool.let_go()  # the workers exit while the output set is put together
        save_parse_cache()  # (when nothing was left to render)
        for index, (cp, release) in enumerate(jobs):  # in job order: the output set is the same every run
            result.releases += 1
            if index in broken:
                result.failures.extend(ReleaseFailure(release.name, cp.rel, f"{tree_name}/{release.source.rel}", d,
                                                      release.tenant, f"{release.chart.name} {release.chart.version}")
                                       for d in broken[index])
                continue
            files = made[index]
            made[index] = None
            if files is not None:
                result.files.update(files)
        for cp in selected:
            result.clusters += 1
            result.tenants += sum(1 for name in cp.cluster.tenants if options.selection.tenant_selected(name))
            _add_cluster_files(result.files, cp, options, tree_name, helmfiles.get(cp.rel))
            result.notes.extend(f"{override.cluster_file.display_path} replaces the tier's "
                                f"{override.tier_file.display_path} in this cluster's config/"
                                for override in cp.cluster.config_overrides())
        for record in reused.values():
            result.clusters += 1
            result.tenants += record.tenants
            result.releases += record.releases
            result.objects += record.objects
        charts = (plan if options.selection.everything else Plan(selected)).charts
        by_key = {ref.key: ref for ref in catalog.charts.values()}
        charts += [by_key[key] for record in reused.values() for key in record.charts if key in by_key]
        _add_chart_files(result.files, charts)
    result.kept = {rel: record.files for rel, record in reused.items()}
    if whole_clusters and scan is not None:
        counts: dict[str, int] = {}
        for file in result.files.values():
            counts[file.cluster] = counts.get(file.cluster, 0) + 1
        result.memo = dict(reused)
        for cp in selected:
            digest = digests.get(cp.rel)
            # Recorded only if the files rendered are the files scanned (none was edited meanwhile).
            if digest is not None and document_digests_match(scan, validation.tree, cp.cluster.docs):
                result.memo[cp.rel] = ClusterRecord(digest, len(cp.cluster.tenants), len(cp.releases),
                                                    objects.get(cp.rel, 0), counts.get(cp.rel, 0),
                                                    tuple(sorted({release.chart.key for release in cp.releases})))
    return result


def _require_a_tenant(selection: Selection, selected: Sequence[ClusterPlan]) -> None:
    """A ``--tenant`` that matches no tenant is a mistake (a typo, the wrong cluster), not a request
    to render nothing and report success."""
    if selection.tenant is None or any(selection.tenant_selected(name) for cp in selected for name in cp.cluster.tenants):
        return
    where = "the selected clusters" if selection.tier is not None or selection.cluster is not None else "the tree"
    raise UsageError(f"--tenant {selection.tenant!r} matches no tenant of {where}")


def _tree_name(tree: TreeDocs) -> str:
    return tree.display_root.rstrip("/").rsplit("/", 1)[-1] or "tree"


def _tree_name_of(options: RenderOptions, display_root: str | None) -> str:
    """The tree's name as ``_tree_name`` will give it once loaded (it is part of every source path)."""
    shown = display_root if display_root is not None else (options.tree.as_posix().rstrip("/") or "/")
    return shown.rstrip("/").rsplit("/", 1)[-1] or "tree"


def _output_options(options: RenderOptions, tree_name: str) -> dict[str, Any]:
    """The options that change what a cluster's output is (not how fast it is made)."""
    return {"engine": engine_version(options), "validate": options.validate_output,
            "crds": files_digest(list(options.crd_dirs)) if options.validate_output else "", "tree": tree_name}


def _templates(options: RenderOptions) -> list[Path]:
    """The helmfile template and every file it may include, import or extend: the loader serves the
    whole folder, so an edit anywhere in it counts."""
    folder = options.templates_dir or templates_dir()
    found = sorted(path for path in folder.rglob("*") if path.is_file()) if folder.is_dir() else []
    return found or [folder / HELMFILE_TEMPLATE]


def _render_releases(options: RenderOptions, jobs: Sequence[tuple[ClusterPlan, Release]], progress: Progress,
                     pool: WorkerPool, idle: Iterator[object] | None,
                     take: Callable[[int, ReleaseOutput], None]) -> int:
    """Give every job's output to ``take`` as soon as it is known: the cache's first, then each as
    a worker renders it (none is kept here). Returns how many the engine rendered."""
    if not jobs:
        return 0
    engine = engine_version(options)
    crds = files_digest(list(options.crd_dirs)) if options.validate_output else ""
    render_jobs = [RenderJob(release.name, release.namespace, str(release.chart.path), release.values, cp.kube_version)
                   for cp, release in jobs]
    maker = KeyMaker({"engine": engine, "validate": options.validate_output, "crds": crds})
    keys: dict[int, str] = {}

    def key(index: int, digest: str = "") -> str:
        """``digest``: of the values, as the worker that rendered them sends it (else made here)."""
        if index not in keys:
            job, release = render_jobs[index], jobs[index][1]
            keys[index] = maker.key(job.release, job.namespace, job.kube_version, release.chart.digest,
                                    digest or values_digest(values_json(job.values)))
        return keys[index]

    cache = RenderCache(options.cache_dir, maker.generation)
    try:
        # An empty cache has nothing to give: the keys are then made as the results come in, while
        # the workers render, not before the first release may start.
        cached = cache.get_many(key(index) for index in range(len(jobs))) if cache.has_entries() else {}
        missing = []
        for index in range(len(jobs)):
            output = cached.get(key(index)) if cached else None
            if output is None:
                missing.append(index)
            else:
                take(index, output)
        cached.clear()
        done = len(jobs) - len(missing)
        progress(done, len(jobs))
        if missing:
            # Spawning a worker costs ~0.5 s: not worth more workers than there are batches of work.
            pool.size = max(1, min(pool.size, len(missing) // 20 + 1))

            unsaved: dict[str, ReleaseOutput] = {}

            def on_done(index: int, output: ReleaseOutput) -> None:
                nonlocal done
                done += 1
                progress(done, len(jobs))
                if cache.enabled:
                    unsaved[key(missing[index], output.values_digest)] = output
                take(missing[index], output)
                if len(unsaved) >= SAVE_EVERY:  # into the cache as they come, while the workers go on
                    cache.put_many(unsaved)
                    unsaved.clear()

            pool.run([render_jobs[index] for index in missing], on_done, idle, keep=False)
            cache.put_many(unsaved)
    finally:
        cache.close()
    return len(missing)


def _release_files(cluster: str, release: Release, output: ReleaseOutput) -> dict[str, OutputFile]:
    tenant, name = release.tenant, release.name
    files = {f"{cluster}/values/{name}.yaml": OutputFile(
        (output.values or dump(release.values)).encode(), cluster, tenant, name)}
    for file_name, text in output.files:
        files[f"{cluster}/manifests/{name}/{file_name}"] = OutputFile(text.encode(), cluster, tenant, name)
    return files


def _add_cluster_files(files: dict[str, OutputFile], cp: ClusterPlan, options: RenderOptions,
                       tree_name: str, helmfile: str | None = None) -> None:
    if helmfile is None:
        helmfile = render_helmfile(cp, tree_name, options.templates_dir)
    files[f"{cp.rel}/helmfile.yaml"] = OutputFile(helmfile.encode(), cp.rel)
    config = cp.cluster.config_files()
    for name in sorted(config):
        files[f"{cp.rel}/config/{name}"] = OutputFile(config[name].raw, cp.rel)


def _add_chart_files(files: dict[str, OutputFile], charts: Sequence[ChartRef]) -> None:
    """Copy every chart in use into OUT/charts/, so the output directory applies on its own."""
    for chart in sorted(set(charts), key=lambda ref: ref.key):
        for path in sorted(p for p in chart.path.rglob("*") if p.is_file()):
            files[f"charts/{chart.key}/{path.relative_to(chart.path).as_posix()}"] = OutputFile(path.read_bytes(), "")


def summary_counts(result: RenderResult) -> dict[str, Any]:
    return {"clusters": result.clusters, "tenants": result.tenants, "releases": result.releases,
            "rendered": result.rendered, "objects": result.objects, "seconds": round(result.seconds, 2),
            "tenantgen": __version__}


def require_ok(result: RenderResult) -> None:
    if not result.ok:
        raise TenantgenError("render failed; nothing was written")
