"""``tenantgen lint``: helm lint of the bundled charts and of every chart in --charts folders."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from tenantgen.author import lint_charts
from tenantgen.plan import ChartCatalog
from tenantgen.report import console_for


def run_lint(chart_dirs: tuple[Path, ...], engine: str, stdout: TextIO | None = None) -> int:
    catalog = ChartCatalog.discover(chart_dirs)
    charts = [catalog.charts[key] for key in sorted(catalog.charts)]
    messages = lint_charts(charts, engine)
    console = console_for(stdout or sys.stdout)
    for message in messages:
        if message.severity != "INFO":  # "icon is recommended" and the like: noise for generated charts
            console.print(message.format(), markup=False)
    errors = sum(1 for message in messages if message.severity == "ERROR")
    warnings = sum(1 for message in messages if message.severity == "WARNING")
    verdict = "[bold red]failed[/]" if errors or warnings else "[bold green]ok[/]"
    console.print(f"lint {verdict}: {len(charts)} chart(s), {errors} error(s), {warnings} warning(s)")
    return 1 if errors or warnings else 0
