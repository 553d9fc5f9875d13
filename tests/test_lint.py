"""tenantgen lint: helm lint of the bundled charts and of extra chart folders."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers import REPO_ROOT, run_cli


def tenant_chart_0_2_0(tmp_path: Path) -> Path:
    """A copy of the bundled tenant chart as version 0.2.0, under tmp_path/charts (for --charts)."""
    chart = tmp_path / "charts" / "tenant"
    shutil.copytree(REPO_ROOT / "charts" / "tenant", chart)
    chart_yaml = chart / "Chart.yaml"
    chart_yaml.write_text(chart_yaml.read_text().replace("version: 0.1.0", "version: 0.2.0"))
    return chart


def test_bundled_charts_lint_clean() -> None:
    result = run_cli(["lint"])
    assert result.exit_code == 0, result.stdout
    assert "lint ok: 5 chart(s), 0 error(s), 0 warning(s)" in result.stdout


def test_a_broken_chart_fails_lint_naming_chart_and_template(tmp_path: Path) -> None:
    broken = tenant_chart_0_2_0(tmp_path)
    (broken / "templates" / "tenant.yaml").write_text("kind: {{ .Values.tenant.name \n")
    result = run_cli(["lint", "--charts", str(tmp_path / "charts")])
    assert result.exit_code == 1
    assert "tenant-0.2.0: [ERROR]" in result.stdout
    assert "templates/tenant.yaml" in result.stdout
    assert "tenant-0.1.0: [ERROR]" not in result.stdout


def test_the_helm_engine_without_helm_on_path_is_a_usage_error(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a folder without helm in it
    result = run_cli(["lint", "--engine", "helm"])
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: --engine helm needs a helm binary on PATH; 'helm' was not found"


MINIMAL_CHART = {
    "Chart.yaml": "apiVersion: v2\nname: tenant\nversion: 0.3.0\ndescription: no values.yaml\n",
    "templates/configmap.yaml": ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n"
                                 "data:\n  greeting: {{ .Values.greeting | default \"hello\" | quote }}\n"),
}


def test_a_chart_without_values_yaml_lints_normally(tmp_path: Path) -> None:
    # values.yaml is optional in Helm: the chart is linted with no values.
    for rel, text in MINIMAL_CHART.items():
        (tmp_path / "charts" / "tenant" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "charts" / "tenant" / rel).write_text(text)
    result = run_cli(["lint", "--charts", str(tmp_path / "charts")])
    assert (result.exit_code, result.stderr) == (0, ""), result.stdout + result.stderr
    assert "lint ok: 6 chart(s), 0 error(s), 0 warning(s)" in result.stdout


def test_a_values_file_helm_cannot_read_is_a_lint_error(tmp_path: Path) -> None:
    chart = tenant_chart_0_2_0(tmp_path)
    (chart / "ci" / "tenant-full-values.yaml").write_text("tenant: [\n")
    result = run_cli(["lint", "--charts", str(tmp_path / "charts")])
    assert result.exit_code == 1
    assert "tenant-0.2.0: [ERROR] tenant-full-values.yaml: error converting YAML to JSON" in result.stdout


def test_the_helm_engine_lints_a_chart_without_values_yaml_with_no_values(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    for rel, text in MINIMAL_CHART.items():
        (tmp_path / "charts" / "tenant" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "charts" / "tenant" / rel).write_text(text)
    calls = tmp_path / "calls"
    helm = tmp_path / "bin" / "helm"  # a stand-in that lints everything clean and notes how it was called
    helm.parent.mkdir()
    helm.write_text(f'#!/bin/sh\necho "$@" >> {calls}\necho "1 chart(s) linted, 0 chart(s) failed"\n')
    helm.chmod(0o755)
    monkeypatch.setenv("PATH", str(helm.parent))
    result = run_cli(["lint", "--engine", "helm", "--charts", str(tmp_path / "charts")])
    assert (result.exit_code, result.stderr) == (0, ""), result.stdout + result.stderr
    assert f"lint --strict {tmp_path / 'charts' / 'tenant'}\n" in calls.read_text()


def test_helm_lint_output_is_read_message_by_message_keeping_multi_line_ones_whole() -> None:
    from tenantgen.author.lint import parse_lint_output

    # What helm 4.1.4 prints for a values file against the chart's schema (tests/test_real_helm.py
    # checks the real thing): each message ends with the error's own newline, the chart with a blank line.
    stdout = ("==> Linting charts/tenant\n[INFO] Chart.yaml: icon is recommended\n"
              "[ERROR] values.yaml: - at '': additional properties 'unexpected' not allowed\n\n"
              "[ERROR] templates/: values don't meet the specifications of the schema(s) in the following chart(s):\n"
              "tenant:\n- at '': additional properties 'unexpected' not allowed\n\n\n")
    assert parse_lint_output(stdout) == [
        ("INFO", "Chart.yaml", "icon is recommended"),
        ("ERROR", "values.yaml", "- at '': additional properties 'unexpected' not allowed\n"),
        ("ERROR", "templates/", "values don't meet the specifications of the schema(s) in the following "
                                "chart(s):\ntenant:\n- at '': additional properties 'unexpected' not allowed\n"),
    ]
    assert parse_lint_output("==> Linting charts/tenant\n[ERROR] templates/: parse error\n\n") == [
        ("ERROR", "templates/", "parse error")]
