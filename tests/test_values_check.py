"""The worker's own values check: it may only skip Helm's schema check when Helm's would pass, and
skipping it must not change a byte of the output."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import helm_python
import pytest
from helm_python import _native
from ruamel.yaml import YAML

from tenantgen.engine import EngineError, RenderJob
from tenantgen.engine.embedded import EmbeddedEngine
from tenantgen.engine.values_check import ValuesCheck

CHARTS = Path(__file__).resolve().parents[1] / "charts"
VALUE_SETS = sorted(CHARTS.glob("*/ci/*-values.yaml"))
_yaml = YAML(typ="safe", pure=True)


def values_of(path: Path) -> dict[str, Any]:
    data = _yaml.load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def chart_check(chart: Path) -> ValuesCheck:
    loaded = helm_python.Chart.load(chart)
    try:
        check = ValuesCheck.build(loaded.schema, loaded.values, bool(loaded.dependencies))
    finally:
        loaded.close()
    assert check is not None, f"{chart.name}: the bundled charts' schemas are all checked in Python"
    return check


def helm_accepts(chart: Path, values: dict[str, Any]) -> bool:
    loaded = helm_python.Chart.load(chart)
    try:
        loaded.validate_schema(copy.deepcopy(values))
        return True
    except helm_python.HelmError:
        return False
    finally:
        loaded.close()


def variants(values: dict[str, Any]) -> list[dict[str, Any]]:
    """The value set and ways to break it: Python may only say "surely passes" where Helm agrees."""
    found = [values]
    for key, value in values.items():
        for replacement in ("", "NOT a label!", 7, True, [], {"unexpected": 1}, "a\nb", "ü"):
            found.append({**values, key: replacement})
        if isinstance(value, dict):
            for inner in value:
                for replacement in ("", "x" * 300, -1, "Invalid Name", None):
                    found.append({**values, key: {**value, inner: replacement}})
            found.append({**values, key: {**value, "extra": "field"}})
    return found


@pytest.mark.parametrize("path", VALUE_SETS, ids=lambda path: path.stem)
def test_python_says_pass_only_when_helm_does(path: Path) -> None:
    chart = path.parent.parent
    check = chart_check(chart)
    passed = 0
    for values in variants(values_of(path)):
        if check.surely_passes(values):
            passed += 1
            assert helm_accepts(chart, values), values
    assert check.surely_passes(values_of(path)) and passed >= 1


@pytest.mark.parametrize("path", VALUE_SETS, ids=lambda path: path.stem)
def test_rendering_without_the_schema_changes_nothing(path: Path) -> None:
    engine = EmbeddedEngine()
    job = RenderJob("release-x", "tenantgen-system", str(path.parent.parent), values_of(path), "v1.31.0")
    lean = engine._lean_chart(job.chart_dir)
    assert lean is not None
    fast = engine.render(job)
    full = helm_python.Chart.load_archive(engine._archive(job.chart_dir))
    try:
        options = json.dumps({"name": job.release, "namespace": job.namespace, "kube_version": job.kube_version,
                              "is_install": True})
        expected = json.loads(_native.call_string("helm_render", full._raw(), json.dumps(job.values), options))
    finally:
        full.close()
    assert fast == {name: text for name, text in expected.items() if isinstance(text, str)}


def test_values_helm_refuses_still_get_helms_message() -> None:
    values = values_of(CHARTS / "tenant" / "ci" / "tenant-minimal-values.yaml")
    values["tenant"]["name"] = "Not A DNS Label"
    job = RenderJob("release-x", "tenantgen-system", str(CHARTS / "tenant"), values, "v1.31.0")
    with pytest.raises(EngineError, match="values don't meet the specifications of the schema"):
        EmbeddedEngine().render(job)


def test_only_plain_schemas_are_checked_in_python() -> None:
    plain = {"type": "object", "properties": {"a": {"type": "string", "pattern": "^[a-z]+$"}}}
    assert ValuesCheck.build(plain, {}, False) is not None
    assert ValuesCheck.build(plain, {}, True) is None  # subcharts have schemas of their own
    assert ValuesCheck.build(plain, {"a": None}, False) is None  # Helm's null handling: Helm decides
    assert ValuesCheck.build({"type": "object", "properties": {"a": {"format": "email"}}}, {}, False) is None
    assert ValuesCheck.build({"properties": {"a": {"pattern": "^(?=x)"}}}, {}, False) is None
    assert ValuesCheck.build({"properties": {"a": {"pattern": "[[:alpha:]]"}}}, {}, False) is None
    assert ValuesCheck.build({"properties": {"a": {"$ref": "other.json#/x"}}}, {}, False) is None
    assert ValuesCheck.build({"$schema": "http://json-schema.org/draft-07/schema#"}, {}, False) is None
    assert ValuesCheck.build(None, {}, False) is None


def test_only_plain_values_are_judged_in_python() -> None:
    check = ValuesCheck.build({"type": "object", "properties": {"a": {"type": "string", "pattern": "^[a-z]+$"}}},
                              {"a": "x"}, False)
    assert check is not None
    assert check.surely_passes({"a": "abc"})
    assert not check.surely_passes({"a": "ABC"})
    assert not check.surely_passes({"a": "abc\n"})  # Python's $ matches before a final newline, Go's does not
    assert not check.surely_passes({"a": None})
    assert not check.surely_passes({"a": "ü"})
    assert not check.surely_passes({"b": 2**60})
    assert check.surely_passes({})  # the chart's default fills in "a"
