"""Reporters: findings and summaries as text for people or JSON for machines, picked by name."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Protocol, TextIO

from rich.console import Console

from tenantgen.findings import Finding


class FindingsReporter(Protocol):
    def __call__(self, findings: Sequence[Finding], checked: int, stream: TextIO) -> None: ...


def console_for(stream: TextIO) -> Console:
    # Colour only on a terminal; CI logs and tests get plain text at a fixed width.
    return Console(file=stream, highlight=False, soft_wrap=True, width=200 if not stream.isatty() else None)


def report_text(findings: Sequence[Finding], checked: int, stream: TextIO) -> None:
    console = console_for(stream)
    for finding in findings:
        console.print(finding.format(), markup=False)
    files = len({finding.file for finding in findings})
    if findings:
        console.print(f"[bold red]{len(findings)} finding(s)[/] in {files} file(s); {checked} file(s) checked")
    else:
        console.print(f"[bold green]valid[/]: {checked} file(s) checked, no findings")


def report_json(findings: Sequence[Finding], checked: int, stream: TextIO) -> None:
    payload: dict[str, Any] = {
        "valid": not findings,
        "files_checked": checked,
        "findings": [finding.to_json() for finding in findings],
    }
    stream.write(json.dumps(payload, indent=2) + "\n")


FINDINGS_REPORTERS: dict[str, FindingsReporter] = {"text": report_text, "json": report_json}
