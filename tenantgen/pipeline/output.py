"""Render into OUT, or check OUT against a render: the render pipeline, then the write stage.

Both build what makes a large render fast and hand it in: the clusters of OUT that can be reused,
early staging (a release's files go to disk while the rest still render) and what this machine
recorded of OUT's files (``fast.out_record``, in the user cache: never in OUT).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from tenantgen.errors import TenantgenError, UsageError
from tenantgen.fast.early_staging import EarlyStaging
from tenantgen.fast.helpers import collector_paused, keep_until_exit
from tenantgen.fast.out_record import Signatures, record_folder, record_signatures
from tenantgen.pipeline.render import render_tree
from tenantgen.pipeline.results import Progress, RenderOptions, RenderResult
from tenantgen.pipeline.reuse import forget_touched, out_check, record_clusters, touched
from tenantgen.plan import Selection
from tenantgen.write import CHARTS, Difference, Owned, WriteStats, check_output, cluster_folders, write_output


@dataclass
class Written:
    result: RenderResult
    stats: WriteStats | None = None  # None: the render failed, and nothing was written
    notes: list[str] = field(default_factory=list)


@dataclass
class Checked:
    result: RenderResult
    differences: list[Difference] = field(default_factory=list)


def render_into(options: RenderOptions, out: Path, progress: Progress = lambda done, total: None) -> Written:
    """Render the tree and write it into ``out``, leaving ``out`` as it was if the render fails."""
    check_paths(options.tree, out)
    options = _with_out_clusters(options, out)
    folder = record_folder(options.cache_dir, out) if options.cache_dir is not None else None
    if folder is not None and out.is_dir():
        options = replace(options, reuse_from=out)
    signatures = Signatures(folder)
    with _early_staging(out, signatures) as early, out_check(options, out) as intact:
        result = render_tree(options, progress, stage=early.add, intact=intact)
        if not result.ok:
            return Written(result)
        with collector_paused():  # (what it builds stays alive until the end; see ``fast.helpers``)
            clusters = touched(result) | {""}
            stats = write_output(out, result.files, owned_by(options.selection, result), keep=result.kept,
                                 early=early, known=signatures.of(clusters),
                                 before_commit=(lambda: forget_touched(folder, result)) if folder else None)
            if folder is not None:
                whole = clusters if options.selection.tenant is None else set()
                record_signatures(signatures, out, result.files, stats.digests, stats.removed, whole)
                record_clusters(folder, result)
    keep_until_exit(result)
    return Written(result, stats, [*result.notes, *result.rule_notes])


def render_check(options: RenderOptions, out: Path, progress: Progress = lambda done, total: None) -> Checked:
    """Render the tree and tell how ``out`` differs from it (nothing is written)."""
    check_paths(options.tree, out)
    result = render_tree(_with_out_clusters(options, out), progress)
    if not result.ok:
        return Checked(result)
    return Checked(result, check_output(out, result.files, owned_by(options.selection, result)))


def owned_by(selection: Selection, result: RenderResult) -> Owned:
    """What of OUT's owned files a run answers for: everything for a full render; else the selected
    clusters (in the tree or not), only the selected tenants' releases (as the plan names them) for
    ``--tenant``, and under ``charts/`` nothing, or for a shard the charts it writes and those no
    cluster of the tree uses (every shard agrees on those)."""
    if selection.everything:
        return Owned()
    plan = result.plan
    releases = None
    if selection.tenant is not None:
        releases = {cp.rel: {release.name for release in cp.releases if selection.tenant_selected(release.tenant)}
                    for cp in (plan.clusters if plan is not None else []) if selection.cluster_selected(cp.rel)}
    if selection.tier is None and selection.cluster is None and selection.tenant is None and plan is not None:
        used = {ref.key for ref in plan.charts}
        mine = {rel.split("/")[1] for rel in result.files if rel.startswith(f"{CHARTS}/")}
        return Owned(selection.cluster_selected, releases, lambda name: name in mine or name not in used)
    return Owned(selection.cluster_selected, releases, lambda name: False)


def _with_out_clusters(options: RenderOptions, out: Path) -> RenderOptions:
    """``options`` knowing OUT's cluster folders, when the run selects: a ``--cluster`` or ``--tier``
    of clusters that left the tree then prunes their folders (they are stale) rather than matching
    nothing. A full render prunes them anyway and needs no list."""
    if options.selection.everything or not out.is_dir():
        return options
    return replace(options, out_clusters=tuple(cluster_folders(out)))


def check_paths(tree: Path, out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise UsageError(f"the output directory {str(out)!r} exists and is not a directory")
    real_tree, real_out = tree.resolve(), out.resolve()
    if real_out == real_tree or real_out.is_relative_to(real_tree) or real_tree.is_relative_to(real_out):
        raise UsageError(f"the output directory {str(out)!r} and the tree {str(tree)!r} must not contain each other")


def _early_staging(out: Path, signatures: Signatures) -> EarlyStaging:
    try:
        return EarlyStaging(out, signatures)
    except OSError as exc:
        where = f" ({os.fspath(exc.filename2 or exc.filename)})" if exc.filename2 or exc.filename else ""
        raise TenantgenError(f"cannot write into the output directory {out}: {exc.strerror or exc}{where}") from None
