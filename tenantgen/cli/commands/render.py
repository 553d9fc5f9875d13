"""``tenantgen render``: render the tree, then write OUT (or, with --check, compare with it)."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from tenantgen.errors import TenantgenError, UsageError
from tenantgen.fast.early_staging import EarlyStaging
from tenantgen.fast.helpers import collector_paused, keep_until_exit
from tenantgen.fast.reuse import forget_clusters, read_memo, write_memo
from tenantgen.pipeline.render import RenderOptions, RenderResult, Stage, render_tree
from tenantgen.report.findings import console_for, report_text
from tenantgen.write import check_output, unlisted_note, write_output

MIN_RELEASES_FOR_PROGRESS = 50


def _check_paths(tree: Path, out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise UsageError(f"the output directory {str(out)!r} exists and is not a directory")
    real_tree, real_out = tree.resolve(), out.resolve()
    if real_out == real_tree or real_out.is_relative_to(real_tree) or real_tree.is_relative_to(real_out):
        raise UsageError(f"the output directory {str(out)!r} and the tree {str(tree)!r} must not contain each other")


def run_render(options: RenderOptions, out: Path, check: bool, stdout: TextIO | None = None,
               stderr: TextIO | None = None) -> int:
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    _check_paths(options.tree, out)
    console = console_for(stdout)
    if not check and options.cache_dir is not None and out.is_dir():
        options = replace(options, reuse_from=out)
    if check:
        result = _render_with_progress(options, stderr)
    else:
        with _early_staging(out) as early:
            result = _render_with_progress(options, stderr, early.add)
            if result.ok:
                with collector_paused():  # (what it builds stays alive until the end; see ``speed``)
                    stats = write_output(out, result.files, options.selection, keep=result.kept, early=early,
                                         before_commit=lambda: forget_clusters(out, _touched(result)))
                    _record_clusters(out, result)
    if not result.ok:
        report_failures(result, stdout)
        console.print("[bold red]render failed[/]; the output directory was not changed")
        return 1
    notes = [*result.notes, *([] if check else filter(None, [unlisted_note(out, stats)]))]
    for note in notes:
        console.print(f"note: {note}", markup=False)
    if check:
        differences = check_output(out, result.files, options.selection)
        for difference in differences:
            console.print(f"{difference.state}: {out.as_posix()}/{difference.path}", markup=False)
        if differences:
            console.print(f"[bold red]{out} is out of date[/]: {len(differences)} file(s) differ; "
                          "run tenantgen render to update it")
            return 1
        console.print(f"[bold green]{out} is up to date[/] ({len(result.files)} files)")
        return 0
    keep_until_exit(result)
    console.print(
        f"[bold green]rendered[/] {result.clusters} cluster(s), {result.tenants} tenant(s), "
        f"{result.releases} release(s) ({result.rendered} rendered, {result.releases - result.rendered} cached), "
        f"{result.objects} object(s) into {out}: {len(stats.written)} file(s) written, {stats.unchanged} unchanged, "
        f"{len(stats.removed)} removed in {result.seconds:.1f} s")
    return 0


def _early_staging(out: Path) -> EarlyStaging:
    try:
        return EarlyStaging(out)
    except OSError as exc:
        raise TenantgenError(f"cannot write into the output directory {out}: {exc.strerror or exc}") from None


def _record_clusters(out: Path, result: RenderResult) -> None:
    """Remember what each cluster was rendered from: the next run reuses what did not change."""
    records = read_memo(out)
    touched = _touched(result)
    records = {rel: record for rel, record in records.items() if rel not in touched}
    records.update(result.memo)
    if result.validation is not None:
        existing = {cluster.rel for cluster in result.validation.tree.clusters} | set(result.kept)
        records = {rel: record for rel, record in records.items() if rel in existing}
    write_memo(out, records)


def _touched(result: RenderResult) -> set[str]:
    """The clusters whose files this run writes."""
    return {file.cluster for file in result.files.values()}


def _render_with_progress(options: RenderOptions, stderr: TextIO, stage: Stage | None = None) -> RenderResult:
    if not stderr.isatty():
        return render_tree(options, stage=stage)
    columns = (TextColumn("rendering"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console_for(stderr), transient=True) as bar:
        task = bar.add_task("render", total=None)

        def update(done: int, total: int) -> None:
            if total >= MIN_RELEASES_FOR_PROGRESS:
                bar.update(task, completed=done, total=total)

        return render_tree(options, update, stage=stage)


def report_failures(result: RenderResult, stream: TextIO) -> None:
    if result.findings:
        report_text(result.findings, result.validation.tree.file_count() if result.validation else 0, stream)
    console = console_for(stream)
    for failure in result.failures:
        console.print(failure.format(), markup=False)
    if result.failures:
        console.print(f"[bold red]{len(result.failures)} release problem(s)[/]")
