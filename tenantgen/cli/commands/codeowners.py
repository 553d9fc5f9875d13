"""``tenantgen codeowners``: print or write the CODEOWNERS file for the tree's tenants
(``pipeline.review.codeowners_file``), or report why the tree cannot have one."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from tenantgen.errors import TenantgenError
from tenantgen.files import write_atomic
from tenantgen.pipeline.review import codeowners_file
from tenantgen.report import FINDINGS_REPORTERS, FindingsReport, console_for


def run_codeowners(tree: Path, out: Path | None, platform_team: str, team_format: str, prefix: str | None,
                   stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    outcome = codeowners_file(tree, platform_team, team_format, prefix)
    if outcome.text is None:
        validation = outcome.validation
        FINDINGS_REPORTERS.pick("text")(FindingsReport(validation.findings, validation.tree.file_count()), stderr)
        console_for(stderr).print("[bold red]codeowners needs a valid tree[/]; nothing was written")
        return 1
    if out is None:
        stdout.write(outcome.text)
        return 0
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(out, outcome.text.encode("utf-8"))
    except OSError as exc:
        raise TenantgenError(f"cannot write {out}: {exc.strerror}") from None
    lines = outcome.text.count("\n") - 3
    console_for(stdout).print(f"wrote {out.as_posix()}: {lines} tenant line(s) after the platform team's *",
                              markup=False)
    return 0
