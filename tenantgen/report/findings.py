"""Reporters of findings (``validate``, and any command that stops on them): text for people, JSON for CI."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from tenantgen.findings import Finding
from tenantgen.report.reporters import Reporters, console_for


@dataclass(frozen=True)
class FindingsReport:
    """What a findings reporter shows: the findings, and how many files were checked to find them."""

    findings: Sequence[Finding]
    checked: int


def report_text(report: FindingsReport, stream: TextIO) -> None:
    console = console_for(stream)
    findings = report.findings
    for finding in findings:
        console.print(finding.format(), markup=False)
    files = len({finding.file for finding in findings})
    if findings:
        console.print(f"[bold red]{len(findings)} finding(s)[/] in {files} file(s); {report.checked} file(s) checked")
    else:
        console.print(f"[bold green]valid[/]: {report.checked} file(s) checked, no findings")


def report_json(report: FindingsReport, stream: TextIO) -> None:
    payload: dict[str, Any] = {
        "valid": not report.findings,
        "files_checked": report.checked,
        "findings": [finding.to_json() for finding in report.findings],
    }
    stream.write(json.dumps(payload, indent=2) + "\n")


FINDINGS_REPORTERS: Reporters[FindingsReport] = Reporters({"text": report_text, "json": report_json})
