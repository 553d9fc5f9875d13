"""``helm lint`` of the charts, with either engine, run away from the CLI's process."""

from __future__ import annotations

import multiprocessing
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tenantgen.plan import ChartRef
from tenantgen.render import BinaryEngine

SEVERITY = {0: "UNKNOWN", 1: "INFO", 2: "WARNING", 3: "ERROR"}


@dataclass(frozen=True)
class LintMessage:
    chart: str
    severity: str
    path: str
    message: str

    def format(self) -> str:
        return f"{self.chart}: [{self.severity}] {self.path}: {self.message}"


def values_files(chart_dir: Path) -> list[Path | None]:
    """The chart's ``ci/*-values.yaml`` (the chart-testing convention): each is linted on its own,
    since the charts' defaults alone deliberately fail their ``required`` checks. Without them, the
    chart's ``values.yaml``, or None (lint with no values) for a chart without one: it is optional."""
    ci: list[Path | None] = [*sorted((chart_dir / "ci").glob("*-values.yaml"))]
    defaults = chart_dir / "values.yaml"
    return ci or [defaults if defaults.is_file() else None]


def _embedded_lint(chart_dir: str) -> list[tuple[str, str, str]]:
    found: list[tuple[str, str, str]] = []
    for values_file in values_files(Path(chart_dir)):
        found.extend(_embedded_lint_one(chart_dir, values_file))
    return sorted(set(found))


def _embedded_lint_one(chart_dir: str, values_file: Path | None) -> list[tuple[str, str, str]]:
    import helm_python

    label = values_file.name if values_file else "no values"
    try:
        values = helm_python.values_from_yaml(values_file.read_text(encoding="utf-8")) if values_file else {}
        report = helm_python.lint(chart_dir, values, strict=True, quiet=True)
    except (OSError, UnicodeDecodeError, helm_python.HelmError) as exc:
        # Values it cannot read, a chart it cannot load (from --charts): a lint error of that chart, not a crash.
        return [("ERROR", label, str(exc))]
    return [(SEVERITY.get(int(m.get("severity", 0)), "UNKNOWN"), f"{label}: {m.get('path', '')}",
             str(m.get("error", ""))) for m in report.get("messages") or []]


def _binary_lint(binary: str, chart_dir: str) -> list[tuple[str, str, str]]:
    found: list[tuple[str, str, str]] = []
    for values_file in values_files(Path(chart_dir)):
        found.extend(_binary_lint_one(binary, chart_dir, values_file))
    return sorted(set(found))


def _binary_lint_one(binary: str, chart_dir: str, values_file: Path | None) -> list[tuple[str, str, str]]:
    values = ["--values", str(values_file)] if values_file else []
    # Labelled by values file as the embedded lint labels them, so both engines report alike.
    label = values_file.name if values_file else "no values"
    result = subprocess.run([binary, "lint", "--strict", chart_dir, *values],
                            capture_output=True, text=True, check=False)
    messages = [(severity, f"{label}: {path}", message) for severity, path, message in parse_lint_output(result.stdout)]
    if result.returncode != 0 and not any(severity == "ERROR" for severity, _, _ in messages):
        text = (result.stderr or result.stdout).strip().removeprefix("Error: ")
        if values_file:  # the label names the file already, as in the embedded lint's message
            text = text.removeprefix(f"failed to parse {values_file}: ")
        messages.append(("ERROR", label, text[:500]))
    return messages


# A message of `helm lint`: "[ERROR] templates/: text", the text going on over the lines up to the next one.
_MESSAGE_START = re.compile(r"^\[([A-Z]+)\] ")


def parse_lint_output(stdout: str) -> list[tuple[str, str, str]]:
    """(severity, path, text) of each message in `helm lint`'s output of one chart.

    A message's text may span lines (schema errors list every violation) and is kept whole, as the
    embedded lint returns it; the blank line helm prints after a chart's messages is not part of it."""
    chunks: list[list[str]] = []
    for line in stdout.splitlines():
        if _MESSAGE_START.match(line):
            chunks.append([line])
        elif chunks:
            chunks[-1].append(line)
    if chunks and len(chunks[-1]) > 1 and chunks[-1][-1] == "":
        chunks[-1].pop()
    messages = []
    for chunk in chunks:
        severity, _, rest = "\n".join(chunk)[1:].partition("] ")
        path, _, text = rest.partition(": ")
        messages.append((severity, path, text))
    return messages


def lint_charts(charts: Sequence[ChartRef], engine: str = "embedded", helm_binary: str = "helm") -> list[LintMessage]:
    found: list[LintMessage] = []
    if engine == "helm":
        binary = BinaryEngine(helm_binary).binary  # no helm on PATH: the usage error render gives
        for chart in charts:
            found.extend(LintMessage(chart.key, *m) for m in _binary_lint(binary, str(chart.path)))
        return found
    # The embedded engine never loads in the CLI's process (it can abort it): lint in a spawned one.
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        reports = pool.map(_embedded_lint, [str(chart.path) for chart in charts])
    for chart, messages in zip(charts, reports):
        found.extend(LintMessage(chart.key, *m) for m in messages)
    return found
