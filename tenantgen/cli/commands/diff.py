"""``tenantgen diff``: check the options, compare the tree's render with a git ref's or an output folder
(``pipeline.review.diff_tree``), report it, and say with the exit code whether it failed or changed."""

from __future__ import annotations

import io
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from tenantgen.errors import UsageError
from tenantgen.pipeline.results import RenderOptions
from tenantgen.pipeline.review import diff_tree
from tenantgen.report import DIFF_REPORTERS, DiffReport, Reporter


@dataclass(frozen=True)
class DiffOptions:
    render: RenderOptions  # the working tree's; the base side is rendered with the same options
    base: str | None = None  # a git ref
    against: Path | None = None  # an output folder tenantgen wrote
    output_format: str = "text"
    exit_code: bool = False
    guard: bool = False


def _reporter(options: DiffOptions) -> Reporter[DiffReport]:
    """The reporter asked for, once the options are known to make sense: before anything is rendered."""
    if (options.base is None) == (options.against is None):
        raise UsageError("give exactly one of --base REF (compare with a git ref) or --against DIR "
                         "(compare with an output directory)")
    if options.guard and options.base is None:
        raise UsageError("--guard compares the tree's files with a git ref: use it with --base")
    return DIFF_REPORTERS.pick(options.output_format)


def run_diff(options: DiffOptions, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    reporter = _reporter(options)
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    outcome = diff_tree(options.render, options.base, options.against, options.guard)
    for note in outcome.notes:
        stderr.write(f"note: {note}\n")
    report = outcome.report
    try:
        reporter(report, stdout)
        stdout.flush()
    except BrokenPipeError:
        _reader_gone(stdout)
    if report.failed:
        return 1
    return 1 if options.exit_code and report.result.changed else 0


def _reader_gone(stdout: TextIO) -> None:
    """`tenantgen diff | head`: the reader left; keep Python from failing again on the final flush."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        pass
