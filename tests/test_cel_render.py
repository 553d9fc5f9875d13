"""`render --crds` holds rendered objects to their CRDs' CEL rules: a chart pinned with --charts whose
NodePool breaks one fails the run, naming the release and the rule's message, and OUT stays as it was;
a rule the engine cannot evaluate is said once per run, and the run goes on."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.helpers import REPO_ROOT, read_tree, render_good_copy, run_cli, tenant_chart_variant
from tests.support.upstream_crds import scoped_crds_args

BASE = REPO_ROOT / "tests" / "bad_trees" / "_base"
ONLY_ALPHA = '{{- if eq .Values.tenant.name "alpha" }}\n'
NODEPOOL = ONLY_ALPHA + """apiVersion: karpenter.sh/v1
kind: NodePool
metadata:
  name: alpha-cpu
spec:
  template:
    spec:
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: apps}
      requirements:
        - key: karpenter.k8s.aws/instance-cpu
          operator: Gt
          values: ["2", "4"]
{{- end }}
"""
WIDGET = ONLY_ALPHA + """apiVersion: example.com/v1
kind: Widget
metadata:
  name: alpha-widget
spec:
  size: 3
{{- end }}
"""


def _widget_crds(folder: Path) -> Path:
    """A CRD whose two rules use the Kubernetes quantity library, which the CEL engine lacks."""
    spec = {"type": "object", "properties": {"size": {"type": "integer"}},
            "x-kubernetes-validations": [{"rule": "quantity(string(self.size)).isLessThan(quantity('10'))"},
                                         {"rule": "quantity('1').isLessThan(quantity(string(self.size)))"},
                                         {"rule": "self.size > 0", "message": "size must be positive"}]}
    crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
           "metadata": {"name": "widgets.example.com"},
           "spec": {"group": "example.com", "names": {"kind": "Widget", "plural": "widgets"}, "scope": "Namespaced",
                    "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                        "type": "object", "properties": {"spec": spec}}}}]}}
    folder.mkdir()
    (folder / "widget.yaml").write_text(json.dumps(crd), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def good_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render_good_copy(tmp_path_factory.mktemp("good"), BASE)


def _pinned_tree(tmp_path: Path, suffix: str, template: str) -> tuple[Path, Path]:
    charts = tmp_path / "charts"
    charts.mkdir()
    tenant_chart_variant(charts, suffix, {"cel.yaml": template})
    shutil.copytree(BASE, tmp_path / "tree")
    tier = tmp_path / "tree" / "dev" / "tier.yaml"
    tier.write_text(tier.read_text().replace("spec:\n", f"spec:\n  charts:\n    tenant: 0.1.0-{suffix}\n", 1))
    return tmp_path / "tree", charts


def test_a_nodepool_that_breaks_a_rule_fails_render_and_leaves_out_alone(
        tmp_path: Path, good_out: Path, upstream_crds: Path) -> None:
    tree, charts = _pinned_tree(tmp_path, "cel", NODEPOOL)
    out = tmp_path / "out"
    shutil.copytree(good_out, out)
    before = read_tree(out)
    result = run_cli(["render", str(tree), "-o", str(out), "--charts", str(charts), *scoped_crds_args(upstream_crds),
                      "--no-cache"])
    assert result.exit_code == 1, result.stdout + result.stderr
    [line] = [line for line in result.stdout.splitlines() if "release alpha-tenant" in line]
    assert "dev/dev-aws/dev-euw1: tenant alpha, release alpha-tenant (chart tenant 0.1.0-cel" in line
    assert ("nodepool-alpha-cpu.yaml: $.spec.template.spec.requirements: requirements operator 'Gt', 'Lt', "
            "'Gte', or 'Lte' must have a single positive integer value") in line
    assert "render failed; the output directory was not changed" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert read_tree(out) == before


def test_rules_the_engine_cannot_evaluate_are_noted_once(tmp_path: Path, upstream_crds: Path) -> None:
    tree, charts = _pinned_tree(tmp_path, "widget", WIDGET)
    widgets = _widget_crds(tmp_path / "widget-crds")
    result = run_cli(["render", str(tree), "-o", str(tmp_path / "out"), "--charts", str(charts),
                      *scoped_crds_args(upstream_crds), "--crds", str(widgets), "--no-cache"])
    assert result.exit_code == 0, result.stdout + result.stderr
    notes = [line for line in result.stdout.splitlines() if "CEL rule" in line]
    assert notes == ["note: 2 CEL rule(s) of Widget (example.com/v1) not evaluated: uses isLessThan, quantity, "
                     "which the CEL engine lacks"]


def test_diff_holds_the_head_to_the_same_rules(tmp_path: Path, good_out: Path, upstream_crds: Path) -> None:
    tree, charts = _pinned_tree(tmp_path, "cel", NODEPOOL)
    result = run_cli(["diff", str(tree), "--against", str(good_out), "--charts", str(charts),
                      *scoped_crds_args(upstream_crds), "--no-cache"])
    shown = result.stdout + result.stderr
    assert result.exit_code == 1, shown
    assert "does not render" in shown and "release alpha-tenant" in shown
    assert ("$.spec.template.spec.requirements: requirements operator 'Gt', 'Lt', 'Gte', or 'Lte' must have a "
            "single positive integer value") in shown
