"""Render into OUT, or check OUT against a render: the render pipeline, then the write stage.

Both build what makes a large render fast and hand it in: the clusters of OUT that can be reused,
and early staging (a release's files go to disk while the rest still render).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from tenantgen.errors import TenantgenError, UsageError
from tenantgen.fast.early_staging import EarlyStaging
from tenantgen.fast.helpers import collector_paused, keep_until_exit
from tenantgen.pipeline.render import render_tree
from tenantgen.pipeline.results import Progress, RenderOptions, RenderResult
from tenantgen.pipeline.reuse import forget_touched, record_clusters
from tenantgen.write import Difference, WriteStats, check_output, unlisted_note, write_output


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
    if options.cache_dir is not None and out.is_dir():
        options = replace(options, reuse_from=out)
    with _early_staging(out) as early:
        result = render_tree(options, progress, stage=early.add)
        if not result.ok:
            return Written(result)
        with collector_paused():  # (what it builds stays alive until the end; see ``fast.helpers``)
            stats = write_output(out, result.files, options.selection, keep=result.kept, early=early,
                                 before_commit=lambda: forget_touched(out, result))
            record_clusters(out, result)
    keep_until_exit(result)
    return Written(result, stats, [*result.notes, *filter(None, [unlisted_note(out, stats)])])


def render_check(options: RenderOptions, out: Path, progress: Progress = lambda done, total: None) -> Checked:
    """Render the tree and tell how ``out`` differs from it (nothing is written)."""
    check_paths(options.tree, out)
    result = render_tree(options, progress)
    if not result.ok:
        return Checked(result)
    return Checked(result, check_output(out, result.files, options.selection))


def check_paths(tree: Path, out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise UsageError(f"the output directory {str(out)!r} exists and is not a directory")
    real_tree, real_out = tree.resolve(), out.resolve()
    if real_out == real_tree or real_out.is_relative_to(real_tree) or real_tree.is_relative_to(real_out):
        raise UsageError(f"the output directory {str(out)!r} and the tree {str(tree)!r} must not contain each other")


def _early_staging(out: Path) -> EarlyStaging:
    try:
        return EarlyStaging(out)
    except OSError as exc:
        raise TenantgenError(f"cannot write into the output directory {out}: {exc.strerror or exc}") from None
