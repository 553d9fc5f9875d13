"""``tenantgen diff``: render the working tree and compare it with a git ref's render or an output folder."""

from __future__ import annotations

import io
import os
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

from tenantgen.errors import UsageError
from tenantgen.pipeline.render import RenderOptions, RenderResult, render_tree
from tenantgen.render.output_set import OutputFile
from tenantgen.report.diff import DIFF_REPORTERS, DiffReport
from tenantgen.review import git
from tenantgen.review.diff import DiffResult, compare
from tenantgen.review.guard import GuardInput, Violation, changed_files, check_guard
from tenantgen.validate.tree_check import Validation
from tenantgen.write import STATE_DIR, read_index, safe_target

MAX_PROBLEM_LINES = 50


@dataclass(frozen=True)
class DiffOptions:
    render: RenderOptions  # the working tree's; the base side is rendered with the same options
    base: str | None = None  # a git ref
    against: Path | None = None  # an output folder tenantgen wrote
    output_format: str = "text"
    exit_code: bool = False
    guard: bool = False


def _check(options: DiffOptions) -> None:
    if (options.base is None) == (options.against is None):
        raise UsageError("give exactly one of --base REF (compare with a git ref) or --against DIR "
                         "(compare with an output directory)")
    if options.guard and options.base is None:
        raise UsageError("--guard compares the tree's files with a git ref: use it with --base")
    if options.output_format not in DIFF_REPORTERS:
        raise UsageError(f"--format {options.output_format!r}: choose one of {', '.join(DIFF_REPORTERS)}")


def display_name(tree: Path) -> str:
    # As the loader shows the tree: the base render must carry the same name into `source` annotations.
    return tree.as_posix().rstrip("/") or "/"


def run_diff(options: DiffOptions, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    _check(options)
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    tree = options.render.tree
    head = render_tree(options.render)
    problems = _problems("the working tree", head)
    if options.base is not None:
        report = _against_ref(options, options.base, head, problems)
    else:
        assert options.against is not None
        base_files = read_output_dir(options.against, stderr)
        result = compare(base_files, head.files) if head.ok else DiffResult()
        report = DiffReport(display_name(tree), f"the output directory {options.against.as_posix()}",
                            "the working tree", result, None, problems)
    try:
        DIFF_REPORTERS[options.output_format](report, stdout)
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


def _against_ref(options: DiffOptions, ref: str, head: RenderResult, problems: list[str]) -> DiffReport:
    tree = options.render.tree
    repo = git.repository_root(tree)
    revision = git.resolve(repo, ref)
    folder = git.folder_in_repository(repo, tree)
    with tempfile.TemporaryDirectory(prefix="tenantgen-diff-") as tmp:
        base_tree = Path(tmp) / "tree"
        git.export_folder(repo, revision, folder, base_tree)
        base = render_tree(replace(options.render, tree=base_tree), display_root=display_name(tree))
        problems.extend(_problems(f"{ref} ({revision.short})", base))
        guard = None
        if options.guard:
            assert head.validation is not None and base.validation is not None
            guard = guard_violations(base.validation, head.validation, read_files(base_tree), read_files(tree),
                                     head)
    result = compare(base.files, head.files) if head.ok and base.ok else DiffResult()
    return DiffReport(display_name(tree), f"{ref} ({revision.short})", "the working tree", result, guard, problems)


def guard_violations(base: Validation, head: Validation, base_files: dict[str, bytes],
                     head_files: dict[str, bytes], head_render: RenderResult) -> list[Violation]:
    data = GuardInput(base, head, changed_files(base_files, head_files),
                      head_render.files if head_render.ok else None,
                      [failure.format() for failure in head_render.failures])
    return check_guard(data)


def _problems(side: str, result: RenderResult) -> list[str]:
    if result.ok:
        return []
    lines = [(f"{side} does not render ({len(result.findings)} finding(s), {len(result.failures)} release "
              "failure(s)); nothing was compared")]
    details = [finding.format() for finding in result.findings] + [failure.format() for failure in result.failures]
    lines += details[:MAX_PROBLEM_LINES]
    if len(details) > MAX_PROBLEM_LINES:
        lines.append(f"… and {len(details) - MAX_PROBLEM_LINES} more")
    return lines


def read_files(root: Path) -> dict[str, bytes]:
    """Every file of a tree (posix rel path -> bytes), minus hidden ones, as the loader sees the tree."""
    files: dict[str, bytes] = {}
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if name.startswith("."):
                continue
            path = Path(folder) / name
            try:
                files[path.relative_to(root).as_posix()] = path.read_bytes()
            except OSError:
                files[path.relative_to(root).as_posix()] = b"\0unreadable"
    return files


def read_output_dir(out: Path, stderr: TextIO) -> dict[str, OutputFile]:
    """The files tenantgen wrote into ``out`` (its index says which), with their cluster and tenant."""
    if not out.is_dir():
        raise UsageError(f"--against {str(out)!r} is not a folder")
    index = read_index(out)
    files: dict[str, OutputFile] = {}
    if index:
        for rel, entry in index.items():
            try:
                data = safe_target(out, rel).read_bytes()
            except OSError:
                continue  # removed by hand since: it shows as added
            files[rel] = OutputFile(data, str(entry.get("cluster") or ""), entry.get("tenant"), entry.get("release"))
        return files
    stderr.write(f"note: {out} has no {STATE_DIR}/index.json; comparing every file in it\n")
    for rel, data in read_files(out).items():
        parts = rel.split("/")
        cluster = "/".join(parts[:3]) if parts[0] != "charts" and len(parts) > 3 else ""
        files[rel] = OutputFile(data, cluster)
    return files
