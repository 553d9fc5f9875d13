"""``tenantgen codeowners``: print or write the CODEOWNERS file for the tree's tenants."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from tenantgen.errors import TenantgenError, UsageError
from tenantgen.files import write_atomic
from tenantgen.pipeline.validate import validate_tree
from tenantgen.report.findings import console_for, report_text
from tenantgen.review import git
from tenantgen.review.codeowners import render_codeowners


def default_prefix(tree: Path) -> str:
    """Where the tree sits in its git repository (CODEOWNERS paths start there), else the path as given."""
    try:
        repo = git.repository_root(tree)
        return git.folder_in_repository(repo, tree)
    except UsageError:
        return tree.as_posix()


def run_codeowners(tree: Path, out: Path | None, platform_team: str, team_format: str, prefix: str | None,
                   stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    validation = validate_tree(tree)
    if not validation.ok:
        report_text(validation.findings, validation.tree.file_count(), stderr)
        console_for(stderr).print("[bold red]codeowners needs a valid tree[/]; nothing was written")
        return 1
    text = render_codeowners(validation, default_prefix(tree) if prefix is None else prefix, platform_team,
                             team_format)
    if out is None:
        stdout.write(text)
        return 0
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(out, text.encode())
    except OSError as exc:
        raise TenantgenError(f"cannot write {out}: {exc.strerror}") from None
    lines = text.count("\n") - 3
    console_for(stdout).print(f"wrote {out.as_posix()}: {lines} tenant line(s) after the platform team's *",
                              markup=False)
    return 0
