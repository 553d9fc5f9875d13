"""The render pipeline in one place: load and validate -> plan -> render (cached, parallel) -> output set.

Here the stages meet the speed machinery: the parse cache and its helpers (``pipeline.validate``),
the clusters reused from the last run (``pipeline.reuse``), the render cache and the worker pool.
Nothing here writes to OUT: the result is an in-memory output set that ``pipeline.output`` writes or
checks and ``diff`` compares. Any finding or failed release fails the whole run.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator, Sequence
from importlib.metadata import version as package_version
from typing import Any

from tenantgen.assets import templates_dir
from tenantgen.errors import UsageError
from tenantgen.fast.helpers import collector_paused
from tenantgen.fast.render_cache import KeyMaker, RenderCache, files_digest
from tenantgen.fast.reuse import IntactCheck
from tenantgen.fast.schema_compile import CachedCompiler, compile_exact
from tenantgen.findings import sort_findings
from tenantgen.load import display_root_of, tree_name_of
from tenantgen.pipeline.crd_folders import check_crd_folders
from tenantgen.pipeline.results import Progress, RenderOptions, RenderResult, Stage
from tenantgen.pipeline.reuse import Reuse, records_of, scan_for_reuse
from tenantgen.pipeline.validate import Reading, read_and_validate
from tenantgen.plan import ChartCatalog, ChartRef, ClusterPlan, Plan, Release, plan_fleet, require_a_tenant
from tenantgen.render import (
    BinaryEngine,
    ManifestValidator,
    ReleaseOutput,
    RenderJob,
    WorkerConfig,
    WorkerPool,
    default_workers,
    values_digest,
    values_json,
)
from tenantgen.render.delivery import delivery_problems
from tenantgen.render.helmfile import render_helmfile, template_files
from tenantgen.render.output_files import ReleaseFailure, chart_files, cluster_files, release_files
from tenantgen.render.output_set import OutputFile
from tenantgen.validate import Validation, provider_of

SAVE_EVERY = 500  # fresh renders written to the cache in one go


def render_tree(options: RenderOptions, progress: Progress = lambda done, total: None,
                display_root: str | None = None, stage: Stage | None = None,
                intact: IntactCheck | None = None) -> RenderResult:
    """Render the tree of ``options`` into an output set. ``stage``: given each release's files as
    soon as they are known (the writer stages them while the rest renders). ``intact``: the check of
    the OUT to reuse (``options.reuse_from``), started by the caller (see ``reuse.out_check``)."""
    started = time.monotonic()
    reading = Reading.create(options.cache_dir, options.tree)
    with _worker_pool(options) as pool, reading.pool:
        catalog = ChartCatalog.discover(options.chart_dirs)
        tree_name = tree_name_of(display_root if display_root is not None else display_root_of(options.tree))
        # As soon as something may need rendering, the engine loads in its own process while the
        # tree is checked here, not after.
        # Once a run: the clusters' digests and the render cache's keys both hold them, and the
        # engine's version is a lookup in the installed packages (or a helm process) each time.
        output_options = _output_options(options)
        reuse = scan_for_reuse(options, tree_name, catalog, output_options,
                               template_files(options.templates_dir or templates_dir()),
                               lambda: pool.prestart(1), reading, intact)
        if options.selection.tenant is None and sum(
                1 for rel in reuse.digests if rel not in reuse.reused and options.selection.cluster_selected(rel)) > 1:
            # Clusters to render: every worker will be wanted, and each loads its engine while this
            # process merges, checks and plans the tree it loaded (the helpers that parsed it are done,
            # one core is otherwise idle), not when the first release is due.
            reading.loaded = lambda: pool.prestart(pool.size)
        validation = read_and_validate(options.tree, display_root, reading, reuse.scan, reuse.reused.__contains__)
        reading.pool.close()  # the render workers' turn: idle helpers would only hold memory
        result = render_validated(options, validation, pool, catalog, progress, stage, reuse,
                                  on_rendering=reading.cache.save, output_options=output_options)
    result.seconds = time.monotonic() - started
    return result


def render_validation(options: RenderOptions, validation: Validation) -> RenderResult:
    """Plan and render a tree validated already (``explain``); no reuse of earlier output."""
    started = time.monotonic()
    with _worker_pool(options) as pool:
        result = render_validated(options, validation, pool, ChartCatalog.discover(options.chart_dirs))
    result.seconds = time.monotonic() - started
    return result


def render_validated(options: RenderOptions, validation: Validation, pool: WorkerPool, catalog: ChartCatalog,
                     progress: Progress = lambda done, total: None, stage: Stage | None = None,
                     reuse: Reuse | None = None, on_rendering: Callable[[], None] = lambda: None,
                     output_options: dict[str, Any] | None = None) -> RenderResult:
    """Plan and render a validated tree. ``reuse``: the clusters to leave as they are (and what to
    record of the rest); ``on_rendering``: work for this process while the workers render (called
    once, at the latest before returning); ``output_options``: ``_output_options(options)``, if
    the caller has them already."""
    reuse = reuse or Reuse()
    on_rendering = _once(on_rendering)
    result = RenderResult(validation=validation, findings=list(validation.findings))
    charts_by_tier: dict[str, dict[str, ChartRef]] = {}
    for tier, doc in sorted(validation.tree.tiers.items()):
        charts_by_tier[tier], problems = catalog.resolve(doc)
        result.findings.extend(problems)
    if result.findings:
        result.findings = sort_findings(result.findings)
        on_rendering()
        return result
    tree_name = validation.tree.name
    selection = options.selection
    with collector_paused():
        result.plan = plan = plan_fleet(validation.fleet, charts_by_tier, tree_name)
        selected = [cp for cp in plan.clusters if selection.cluster_selected(cp.rel)]
        in_tree = {cp.rel for cp in plan.clusters} | reuse.reused.keys()  # (reused clusters are not planned)
        gone = [rel for rel in options.out_clusters if rel not in in_tree and selection.cluster_selected(rel)]
        if not selected and not reuse.reused and not gone and not selection.sharded:  # (a shard may hold no cluster)
            raise UsageError("the selection (--tier/--cluster) matches no cluster of the tree"
                             + (" nor of the output directory" if options.out_clusters else ""))
        result.notes.extend(f"{rel} is not in the tree: its files in the output directory are stale" for rel in gone)
        require_a_tenant(selection, (name for cp in selected for name in cp.cluster.tenants))
        jobs = [(cp, release) for cp in selected for release in cp.releases if selection.tenant_selected(release.tenant)]
        helmfiles: dict[str, str] = {}

        def while_rendering() -> Iterator[bool]:
            # Done while the workers render (they need nothing from it), not after them.
            on_rendering()
            yield True
            for cp in selected:
                if cp.cluster.delivery.helmfile:
                    helmfiles[cp.rel] = render_helmfile(cp, tree_name, options.templates_dir)
                yield True

        objects = _render_jobs(options, jobs, tree_name, result, pool, progress, while_rendering(), stage,
                               output_options or _output_options(options))
        on_rendering()  # (when nothing was left to render)
        validators: dict[str, ManifestValidator] = {}
        for cp in selected:
            result.clusters += 1
            result.tenants += sum(1 for name in cp.cluster.tenants if selection.tenant_selected(name))
            made = cluster_files(cp, tree_name, options.templates_dir, helmfiles.get(cp.rel))
            result.failures.extend(_delivery_failures(options, cp, made, tree_name, validators))
            result.files.update(made)
            result.notes.extend(f"{override.cluster_file.display_path} replaces the tier's "
                                f"{override.tier_file.display_path} in this cluster's config/"
                                for override in cp.cluster.config_overrides())
        for record in reuse.reused.values():
            result.clusters += 1
            result.tenants += record.tenants
            result.releases += record.releases
            result.objects += record.objects
        charts = (plan if selection.everything else Plan(selected)).charts
        by_key = {ref.key: ref for ref in catalog.charts.values()}
        charts += [by_key[key] for record in reuse.reused.values() for key in record.charts if key in by_key]
        result.files.update(chart_files(charts))
    result.kept = {rel: record.files for rel, record in reuse.reused.items()}
    if selection.tenant is None:  # only then is each cluster rendered whole
        result.memo = records_of(reuse, validation, selected, result.files, objects)
    return result


def _render_jobs(options: RenderOptions, jobs: Sequence[tuple[ClusterPlan, Release]], tree_name: str,
                 result: RenderResult, pool: WorkerPool, progress: Progress, idle: Iterator[object],
                 stage: Stage | None, output_options: dict[str, Any]) -> dict[str, int]:
    """Render ``jobs`` into ``result`` (files in job order, so the output set is the same every run;
    failures; counts). Returns the objects rendered per cluster."""
    # Each output becomes its files (bytes) as it arrives, and its texts are let go: holding the
    # texts of every release until the end would double the peak memory, and turning them into
    # files after the render would keep one core busy while the other waits.
    made: list[dict[str, OutputFile] | None] = [None] * len(jobs)
    broken: dict[int, list[str]] = {}  # job -> what went wrong
    objects: dict[str, int] = {}

    notes: set[str] = set()

    def take(index: int, output: ReleaseOutput) -> None:
        cp, release = jobs[index]
        notes.update(output.notes)  # (the same few lines from many releases: said once)
        if output.error or output.problems:
            broken[index] = [output.error] if output.error else [f"rendered object {p}" for p in output.problems]
            return
        made[index] = files = release_files(cp.rel, release, output)
        result.objects += output.objects
        objects[cp.rel] = objects.get(cp.rel, 0) + output.objects
        if stage is not None:
            stage([(rel, file.data) for rel, file in files.items()])

    result.rendered = _render_releases(options, jobs, progress, pool, idle, take, output_options)
    result.rule_notes.extend(sorted(notes))
    pool.let_go()  # the workers exit while the output set is put together
    for index, (cp, release) in enumerate(jobs):
        result.releases += 1
        if index in broken:
            result.failures.extend(ReleaseFailure.of(cp, release, tree_name, message) for message in broken[index])
            continue
        files = made[index]
        made[index] = None
        if files is not None:
            result.files.update(files)
    return objects


def _render_releases(options: RenderOptions, jobs: Sequence[tuple[ClusterPlan, Release]], progress: Progress,
                     pool: WorkerPool, idle: Iterator[object] | None,
                     take: Callable[[int, ReleaseOutput], None], output_options: dict[str, Any]) -> int:
    """Give every job's output to ``take`` as soon as it is known: the cache's first, then each as
    a worker renders it (none is kept here). Returns how many the engine rendered."""
    if not jobs:
        return 0
    render_jobs = [RenderJob(release.name, release.namespace, str(release.chart.path), release.values, cp.kube_version,
                             provider_of(cp.cluster)) for cp, release in jobs]
    maker = KeyMaker(output_options)
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


def _delivery_failures(options: RenderOptions, cp: ClusterPlan, files: dict[str, OutputFile], tree_name: str,
                       validators: dict[str, ManifestValidator]) -> list[ReleaseFailure]:
    """The Flux and Argo CD objects of a cluster checked against the CRDs given (``--crds``), as the
    rendered objects are; without CRDs their kinds have no schema to be checked against."""
    if not options.validate_output or not (options.crd_dirs or options.provider_crd_dirs):
        return []
    provider = provider_of(cp.cluster)
    key = f"{cp.kube_version} {provider}"
    if key not in validators:
        own = [folder for scope, folder in options.provider_crd_dirs if scope == provider]
        validators[key] = ManifestValidator.create(list(options.crd_dirs), cp.kube_version, provider_crd_dirs=own)
    validator = validators[key]
    source = f"{tree_name}/{cp.cluster.cluster_doc.rel}"
    problems = delivery_problems(files, lambda obj: [f"{p.path}: {p.message}" for p in validator.check(obj)])
    # Named after the release the object applies (the folder's own objects: after the folder).
    return [ReleaseFailure(files[path].release or path.split("/")[3], cp.rel, source,
                           f"object {path.removeprefix(cp.rel + '/')}: {problem}", files[path].tenant)
            for path, problem in problems]


def _worker_pool(options: RenderOptions) -> WorkerPool:
    _check_crds(options)
    config = WorkerConfig(options.engine, options.helm_binary, tuple(str(folder) for folder in options.crd_dirs),
                          options.validate_output,
                          schema_compiler=compile_exact if options.cache_dir is None else CachedCompiler(options.cache_dir),
                          provider_crd_dirs=tuple((scope, str(folder)) for scope, folder in options.provider_crd_dirs))
    return WorkerPool(config, options.jobs or default_workers(), options.timeout)


def _check_crds(options: RenderOptions) -> None:
    """The ``--crds`` folders exist and no scope defines a kind version twice, differently (see
    ``crd_folders``), before anything renders."""
    check_crd_folders(options.crd_dirs, options.provider_crd_dirs, load=False)
    if not options.validate_output or not (options.crd_dirs or options.provider_crd_dirs):
        return
    # Loading the CRDs takes this process two seconds, which a run that reuses every cluster would not
    # spend otherwise: the same files in the same scopes are checked once, then remembered.
    marker = None
    if options.cache_dir is not None:
        marker = options.cache_dir / "crds-checked" / hashlib.sha256(_crds_digest(options).encode()).hexdigest()
        if marker.is_file():
            return
    check_crd_folders(options.crd_dirs, options.provider_crd_dirs)
    if marker is not None:
        try:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
        except OSError:
            pass  # a cache that cannot be written costs the check again next time, nothing more


def engine_version(options: RenderOptions) -> str:
    # Decided in this process without importing the engine: it must never load here (fork hazard).
    if options.engine == "helm":
        return BinaryEngine(options.helm_binary).version()
    return f"helm-python-sdk {package_version('helm-python-sdk')}"


def _output_options(options: RenderOptions) -> dict[str, Any]:
    """The options that change what a release's output is (not how fast it is made)."""
    return {"engine": engine_version(options), "validate": options.validate_output,
            "crds": _crds_digest(options) if options.validate_output else ""}


def _crds_digest(options: RenderOptions) -> str:
    """The CRDs and which clusters each folder is for: moving a folder into a scope changes the checks."""
    scoped = [f"{scope}={files_digest([folder])}" for scope, folder in options.provider_crd_dirs]
    return " ".join([files_digest(list(options.crd_dirs)), *scoped])


def _once(call: Callable[[], None]) -> Callable[[], None]:
    called = False

    def once() -> None:
        nonlocal called
        if not called:
            called = True
            call()

    return once
