"""Incremental renders, put together: which clusters' output can be reused, and what to record of
each cluster for the next run (see ``fast.reuse`` for the rules)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tenantgen.fast.out_record import record_folder
from tenantgen.fast.parse_cache import tree_key
from tenantgen.fast.reuse import (
    ClusterRecord,
    IntactCheck,
    TreeScan,
    document_digests_match,
    forget_clusters,
    read_memo,
    read_signatures,
    scan_tree,
    shared_inputs,
    write_memo,
    write_signatures,
)
from tenantgen.load.tree import kind_at
from tenantgen.pipeline.results import RenderOptions, RenderResult
from tenantgen.pipeline.validate import Reading
from tenantgen.plan import ChartCatalog, ClusterPlan
from tenantgen.render.output_set import OutputSet
from tenantgen.validate import Validation


@dataclass
class Reuse:
    """The tree as scanned, each cluster's input digest, and the clusters whose output is reused."""

    scan: TreeScan | None = None
    digests: dict[str, str | None] = field(default_factory=dict)
    reused: dict[str, ClusterRecord] = field(default_factory=dict)


def scan_for_reuse(options: RenderOptions, tree_name: str, catalog: ChartCatalog, shared_parts: Mapping[str, object],
                   templates: list[Path], dirty: Callable[[], None], reading: Reading,
                   intact: IntactCheck | None = None) -> Reuse:
    """Read the tree and decide which clusters can be reused.

    ``dirty`` is called as soon as some cluster is known to need rendering. With a cold parse cache,
    each file goes to ``reading``'s helpers as it is read, to be parsed while the scan goes on.
    ``intact``: the check of OUT (``out_check``), started by the caller as early as it could.
    (It is the caller's to close.)
    """
    if not options.tree.is_dir():
        dirty()
        return Reuse()  # validation reports it
    signatures = (options.cache_dir / "parse" / f"{tree_key(options.tree)}.files"
                  if options.cache_dir is not None else None)
    known = read_signatures(signatures) if signatures is not None else {}
    cache, helpers = reading.cache, reading.pool
    folder = (record_folder(options.cache_dir, options.reuse_from)
              if options.reuse_from is not None and options.cache_dir is not None else None)
    records = read_memo(folder) if folder is not None else {}
    if intact is None:
        intact = IntactCheck(options.reuse_from if folder is not None else None, folder or Path(), {})
    whole_clusters = options.selection.tenant is None  # only then is a cluster's record complete
    scan = scan_tree(options.tree, known,
                     (lambda rel, digest, raw: cache.offer(digest, raw, helpers, kind_at(rel))) if cache.cold() else None)
    if signatures is not None and scan.signatures != known:
        write_signatures(signatures, scan.signatures)
    shared = shared_inputs({**shared_parts, "tree": tree_name}, catalog, templates)
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
    return Reuse(scan, digests, reused)


def out_check(options: RenderOptions, out: Path) -> IntactCheck:
    """The check of which recorded clusters OUT holds intact, started now on the clusters a render of
    ``options`` may reuse (for a large OUT, mostly in a process of its own: see ``IntactCheck``).
    Started before the tree is read and before the stages load: it has the machine's other core."""
    folder = record_folder(options.cache_dir, out) if options.cache_dir is not None else None
    if folder is None or options.reuse_from is None or options.selection.tenant is not None:
        return IntactCheck(None, Path(), {})  # nothing to reuse (see ``scan_for_reuse``)
    records = read_memo(folder)
    return IntactCheck(out, folder, {rel: record for rel, record in records.items()
                                     if options.selection.cluster_selected(rel)})


def records_of(reuse: Reuse, validation: Validation, selected: list[ClusterPlan], files: OutputSet,
               objects: Mapping[str, int]) -> dict[str, ClusterRecord]:
    """What to record for the next run: the reused clusters' records, and one for each cluster
    rendered whole from the files scanned (none edited meanwhile)."""
    if reuse.scan is None:
        return {}
    counts: dict[str, int] = {}
    for file in files.values():
        counts[file.cluster] = counts.get(file.cluster, 0) + 1
    memo = dict(reuse.reused)
    for cp in selected:
        digest = reuse.digests.get(cp.rel)
        if digest is not None and document_digests_match(reuse.scan, validation.tree, cp.cluster.docs):
            memo[cp.rel] = ClusterRecord(digest, len(cp.cluster.tenants), len(cp.releases), objects.get(cp.rel, 0),
                                         counts.get(cp.rel, 0), tuple(sorted({r.chart.key for r in cp.releases})))
    return memo


def touched(result: RenderResult) -> set[str]:
    """The clusters whose files this run writes."""
    return {file.cluster for file in result.files.values()}


def forget_touched(folder: Path, result: RenderResult) -> None:
    """Drop the records of the clusters about to be written (recorded again once they are)."""
    forget_clusters(folder, touched(result))


def record_clusters(folder: Path, result: RenderResult) -> None:
    """Remember what each cluster was rendered from (in OUT's record ``folder``): the next run reuses
    what did not change."""
    changed = touched(result)
    records = {rel: record for rel, record in read_memo(folder).items() if rel not in changed}
    records.update(result.memo)
    if result.validation is not None:
        existing = {cluster.rel for cluster in result.validation.tree.clusters} | set(result.kept)
        records = {rel: record for rel, record in records.items() if rel in existing}
    write_memo(folder, records)
