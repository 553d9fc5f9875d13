"""``helm lint`` of the charts, with either engine, run away from the CLI's process."""

from __future__ import annotations

import multiprocessing
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tenantgen.charts import ChartRef

SEVERITY = {0: "UNKNOWN", 1: "INFO", 2: "WARNING", 3: "ERROR"}


@dataclass(frozen=True)
class LintMessage:
    chart: str
    severity: str
    path: str
    message: str

    def format(self) -> str:
        return f"{self.chart}: [{self.severity}] {self.path}: {self.message}"


def values_files(chart_dir: Path) -> list[Path]:
    """The chart's ``ci/*-values.yaml`` (the chart-testing convention): each is linted on its own,
    since the charts' defaults alone deliberately fail their ``required`` checks."""
    return sorted((chart_dir / "ci").glob("*-values.yaml")) or [chart_dir / "values.yaml"]


def _embedded_lint(chart_dir: str) -> list[tuple[str, str, str]]:
    import helm_python

    found: list[tuple[str, str, str]] = []
    for values_file in values_files(Path(chart_dir)):
        values = helm_python.values_from_yaml(values_file.read_text(encoding="utf-8"))
        report = helm_python.lint(chart_dir, values, strict=True, quiet=True)
        found.extend((SEVERITY.get(int(m.get("severity", 0)), "UNKNOWN"), f"{values_file.name}: {m.get('path', '')}",
                      str(m.get("error", ""))) for m in report.get("messages") or [])
    return sorted(set(found))


def _binary_lint(binary: str, chart_dir: str) -> list[tuple[str, str, str]]:
    found: list[tuple[str, str, str]] = []
    for values_file in values_files(Path(chart_dir)):
        found.extend(_binary_lint_one(binary, chart_dir, values_file))
    return sorted(set(found))


def _binary_lint_one(binary: str, chart_dir: str, values_file: Path) -> list[tuple[str, str, str]]:
    result = subprocess.run([binary, "lint", "--strict", chart_dir, "--values", str(values_file)],
                            capture_output=True, text=True, check=False)
    messages = []
    for line in (result.stdout + result.stderr).splitlines():
        line = line.strip()
        if line.startswith("[") and "]" in line:
            severity, _, rest = line[1:].partition("]")
            path, _, message = rest.strip().partition(": ")
            messages.append((severity.strip(), path, message))
    if result.returncode != 0 and not any(severity == "ERROR" for severity, _, _ in messages):
        messages.append(("ERROR", chart_dir, (result.stderr or result.stdout).strip()[:500]))
    return messages


def lint_charts(charts: Sequence[ChartRef], engine: str = "embedded", helm_binary: str = "helm") -> list[LintMessage]:
    found: list[LintMessage] = []
    if engine == "helm":
        for chart in charts:
            found.extend(LintMessage(chart.key, *m) for m in _binary_lint(helm_binary, str(chart.path)))
        return found
    # The embedded engine never loads in the CLI's process (it can abort it): lint in a spawned one.
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        reports = pool.map(_embedded_lint, [str(chart.path) for chart in charts])
    for chart, messages in zip(charts, reports):
        found.extend(LintMessage(chart.key, *m) for m in messages)
    return found
