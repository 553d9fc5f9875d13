"""tenantgen lint: helm lint of the bundled charts and of extra chart folders."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.helpers import REPO_ROOT, run_cli


def test_bundled_charts_lint_clean() -> None:
    result = run_cli(["lint"])
    assert result.exit_code == 0, result.stdout
    assert "lint ok: 4 chart(s), 0 error(s), 0 warning(s)" in result.stdout


def test_a_broken_chart_fails_lint_naming_chart_and_template(tmp_path: Path) -> None:
    broken = tmp_path / "charts" / "tenant"
    shutil.copytree(REPO_ROOT / "charts" / "tenant", broken)
    chart_yaml = broken / "Chart.yaml"
    chart_yaml.write_text(chart_yaml.read_text().replace("version: 0.1.0", "version: 0.2.0"))
    (broken / "templates" / "tenant.yaml").write_text("kind: {{ .Values.tenant.name \n")
    result = run_cli(["lint", "--charts", str(tmp_path / "charts")])
    assert result.exit_code == 1
    assert "tenant-0.2.0: [ERROR]" in result.stdout
    assert "templates/tenant.yaml" in result.stdout
    assert "tenant-0.1.0: [ERROR]" not in result.stdout
