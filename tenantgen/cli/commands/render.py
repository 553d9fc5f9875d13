"""``tenantgen render``: render the tree, then write OUT (or, with --check, compare with it)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TextIO

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from tenantgen.pipeline.output import Checked, Written, render_check, render_into
from tenantgen.pipeline.results import RenderOptions, RenderResult
from tenantgen.report import FINDINGS_REPORTERS, FindingsReport, console_for

MIN_RELEASES_FOR_PROGRESS = 50

ProgressCallback = Callable[[int, int], None]


def run_render(options: RenderOptions, out: Path, check: bool, stdout: TextIO | None = None,
               stderr: TextIO | None = None) -> int:
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    with _progress_bar(stderr) as progress:
        if check:
            return _report_check(render_check(options, out, progress), out, stdout)
        return _report_written(render_into(options, out, progress), out, stdout)


def _report_check(checked: Checked, out: Path, stdout: TextIO) -> int:
    result, console = checked.result, console_for(stdout)
    if not result.ok:
        return _report_failed(result, stdout)
    for note in [*result.notes, *result.rule_notes]:
        console.print(f"note: {note}", markup=False)
    for difference in checked.differences:
        console.print(f"{difference.state}: {out.as_posix()}/{difference.path}", markup=False)
    if checked.differences:
        console.print(f"[bold red]{out} is out of date[/]: {len(checked.differences)} file(s) differ; "
                      "run tenantgen render to update it")
        return 1
    console.print(f"[bold green]{out} is up to date[/] ({len(result.files)} files)")
    return 0


def _report_written(written: Written, out: Path, stdout: TextIO) -> int:
    result, stats, console = written.result, written.stats, console_for(stdout)
    if stats is None:
        return _report_failed(result, stdout)
    for note in written.notes:
        console.print(f"note: {note}", markup=False)
    console.print(
        f"[bold green]rendered[/] {result.clusters} cluster(s), {result.tenants} tenant(s), "
        f"{result.releases} release(s) ({result.rendered} rendered, {result.releases - result.rendered} cached), "
        f"{result.objects} object(s) into {out}: {len(stats.written)} file(s) written, {stats.unchanged} unchanged, "
        f"{len(stats.removed)} removed in {result.seconds:.1f} s")
    return 0


def _report_failed(result: RenderResult, stdout: TextIO) -> int:
    report_failures(result, stdout)
    for note in result.rule_notes:  # what the validation that failed could not check, all the same
        console_for(stdout).print(f"note: {note}", markup=False)
    console_for(stdout).print("[bold red]render failed[/]; the output directory was not changed")
    return 1


def _progress_bar(stderr: TextIO) -> AbstractContextManager[ProgressCallback]:
    """A progress bar on a terminal (for renders of many releases); nothing elsewhere."""
    if not stderr.isatty():
        return nullcontext(lambda done, total: None)
    return _Bar(stderr)


class _Bar:
    def __init__(self, stderr: TextIO) -> None:
        columns = (TextColumn("rendering"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        self._bar = Progress(*columns, console=console_for(stderr), transient=True)

    def __enter__(self) -> ProgressCallback:
        self._bar.__enter__()
        task = self._bar.add_task("render", total=None)

        def update(done: int, total: int) -> None:
            if total >= MIN_RELEASES_FOR_PROGRESS:
                self._bar.update(task, completed=done, total=total)

        return update

    def __exit__(self, *exc: object) -> None:
        self._bar.__exit__(None, None, None)


def report_failures(result: RenderResult, stream: TextIO) -> None:
    if result.findings:
        checked = result.validation.tree.file_count() if result.validation else 0
        FINDINGS_REPORTERS.pick("text")(FindingsReport(result.findings, checked), stream)
    console = console_for(stream)
    for failure in result.failures:
        console.print(failure.format(), markup=False)
    if result.failures:
        console.print(f"[bold red]{len(result.failures)} release problem(s)[/]")
