"""A worker keeps a chart without subcharts loaded and renders it again and again: that must give
exactly what a freshly loaded chart gives, release after release, whatever came before."""

from __future__ import annotations

import random
from pathlib import Path

from tenantgen.pipeline.validate import validate_tree
from tenantgen.plan.charts import ChartCatalog
from tenantgen.plan.planner import plan_fleet
from tenantgen.render import RenderJob, values_json
from tenantgen.render.engine.embedded import EmbeddedEngine
from tests.helpers import EXAMPLE_TREE


def example_jobs() -> list[RenderJob]:
    validation = validate_tree(EXAMPLE_TREE)
    catalog = ChartCatalog.discover()
    charts = {tier: catalog.resolve(doc)[0] for tier, doc in validation.tree.tiers.items()}
    plan = plan_fleet(validation.fleet, charts, "tiers")
    return [RenderJob(release.name, release.namespace, str(release.chart.path), release.values, cluster.kube_version)
            for cluster in plan.clusters for release in cluster.releases]


def test_a_kept_chart_renders_as_a_fresh_one(tmp_path: Path) -> None:
    jobs = example_jobs()
    order = jobs * 3
    random.Random(7).shuffle(order)  # every release after every other kind of release
    kept = EmbeddedEngine()
    kept_outputs = [kept.render(job, values_json(job.values)) for job in order]
    assert kept._loaded, "the bundled charts have no subcharts: they are kept loaded"
    for job, output in zip(order, kept_outputs):
        assert output == EmbeddedEngine().render(job, values_json(job.values)), job.release


def test_a_chart_with_subcharts_is_loaded_for_every_render(tmp_path: Path) -> None:
    chart = tmp_path / "parent"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: parent\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("child:\n  enabled: true\n")
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: parent\ndata:\n  a: {{ .Values.a | default \"x\" | quote }}\n")
    child = chart / "charts" / "child"
    (child / "templates").mkdir(parents=True)
    (child / "Chart.yaml").write_text("apiVersion: v2\nname: child\nversion: 0.1.0\n")
    (child / "templates" / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: child\n")
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: parent\nversion: 0.1.0\ndependencies:\n"
                                      "  - name: child\n    version: 0.1.0\n    condition: child.enabled\n")
    engine = EmbeddedEngine()
    disabled = RenderJob("r", "ns", str(chart), {"child": {"enabled": False}}, "v1.31.0")
    enabled = RenderJob("r", "ns", str(chart), {"a": "y"}, "v1.31.0")
    assert "child/templates/cm.yaml" not in " ".join(engine.render(disabled, values_json(disabled.values)))
    # A kept chart would have lost its disabled subchart for good.
    assert any(name.endswith("child/templates/cm.yaml") for name in engine.render(enabled, values_json(enabled.values)))
    assert not engine._loaded
