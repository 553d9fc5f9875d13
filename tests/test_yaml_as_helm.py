"""tenantgen reads a YAML file as Helm reads it, wherever YAML 1.1 and 1.2 agree, and refuses the
plain scalars where they do not (``yamlio.versions``; the rule is in docs/tree.md).

The oracle is Helm itself: ``helm template`` (real helm 3 and 4) of a chart whose one template is
``{{ toJson .Values }}``, with the generated file as its values file. Many documents go into one
values file (one key each), so each example costs one helm call. The embedded engine's values reader
(the Helm v4 SDK in-process) answers the many scalar-level questions quickly.
"""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path
from typing import Any

import helm_python
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tenantgen.yamlio import YamlProblem, load_all
from tenantgen.yamlio.versions import TEXT, helm_reads, tenantgen_reads, version_conflict
from tests.support.yaml_data import TRICKY
from tests.support.yaml_text import agreed, document, entries, is_plain, json_of, scalar

ECHO_TEMPLATE = "{{ toJson .Values }}\n"


@pytest.fixture(scope="module")
def echo_chart(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chart = tmp_path_factory.mktemp("echo") / "echo"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: echo\nversion: 0.1.0\n", encoding="utf-8")
    (chart / "templates" / "values.json").write_text(ECHO_TEMPLATE, encoding="utf-8")
    return chart


def helm_template_values(helm: Path, chart: Path, values: Path) -> Any:
    """The values as the chart sees them, or the error Helm gives for the file."""
    result = subprocess.run([str(helm), "template", "echo", str(chart), "-f", str(values)],
                            capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        return YamlProblem(result.stderr.strip())
    rendered = result.stdout.split("# Source: echo/templates/values.json\n", 1)[1]
    return json.loads(rendered)


def as_json(data: Any) -> Any:
    """tenantgen's data as a chart sees it: through JSON, where 1000 and 1000.0 are one number."""
    return json.loads(json.dumps(data), parse_float=lambda text: _number(float(text)))


def _number(value: float) -> float | int:
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def normalised(data: Any) -> Any:
    if isinstance(data, dict):
        return {key: normalised(value) for key, value in data.items()}
    if isinstance(data, list):
        return [normalised(item) for item in data]
    return _number(data) if isinstance(data, float) else data


def tenantgen_reading(text: str) -> Any:
    [data] = load_all(text.encode("utf-8"))
    return normalised(as_json(data))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(generated=entries)
def test_tenantgen_reads_generated_files_as_real_helm_does(
        real_helm: Path, echo_chart: Path, tmp_path_factory: pytest.TempPathFactory,
        generated: list[tuple[bool, Any]]) -> None:
    text = document(generated)
    values = tmp_path_factory.mktemp("values") / "values.yaml"
    values.write_text(text, encoding="utf-8")
    helm = helm_template_values(real_helm, echo_chart, values)
    assert not isinstance(helm, YamlProblem), f"helm refused:\n{text}\n{helm}"
    assert tenantgen_reading(text) == normalised(helm), text


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(generated=entries)
def test_tenantgen_reads_generated_files_as_helms_values_reader_does(generated: list[tuple[bool, Any]]) -> None:
    text = document(generated)
    assert tenantgen_reading(text) == normalised(helm_python.values_from_yaml(text)), text


def test_the_issues_examples_read_as_real_helm_reads_them(real_helm: Path, echo_chart: Path, tmp_path: Path) -> None:
    text = "sourceRepos: [https://github.com/org/repo]\nreaders: [oidc:team.devs]\n"
    (tmp_path / "values.yaml").write_text(text, encoding="utf-8")
    expected = {"sourceRepos": ["https://github.com/org/repo"], "readers": ["oidc:team.devs"]}
    assert helm_template_values(real_helm, echo_chart, tmp_path / "values.yaml") == expected
    assert tenantgen_reading(text) == expected


# -- where YAML 1.1 (Helm) and YAML 1.2 (tenantgen) differ: tenantgen refuses, and says why ----------

DIFFERING = ["yes", "Yes", "YES", "no", "NO", "on", "On", "off", "OFF", "y", "Y", "n", "N", "012", "0755", "-010",
             "+017", "0_10", "0X1F", "0O17", "0B101", "-0X1F", "1e1_0", ".5e1", "._5", "1e+309"]
AGREEING = ["true", "False", "null", "~", "0x1F", "0o17", "0b101", "1_000", "1e3", "1.", "08", "00", "-0", "0.5",
            "12:30", "190:20:30", "2001-12-14", "2001-12-14 21:59:43.10 -5", "2024-13-45", "=", "-_", "._", "0X",
            "0b_", "_1", "1__", "-._5", "+.5", "oidc:team.devs", "https://github.com/org/repo", "a:b:c", "x#y"]


def _values_file(scalars: list[str]) -> str:
    return "".join(f"k{index}: {text}\n" for index, text in enumerate(scalars))


def test_the_scalars_where_the_versions_differ_as_real_helm_reads_them(
        real_helm: Path, echo_chart: Path, tmp_path: Path) -> None:
    """One helm call for all: what Helm reads is what ``helm_reads`` says, and tenantgen refuses each
    scalar they differ on; the rest read alike."""
    readable = [text for text in DIFFERING + AGREEING if not _non_finite(helm_reads(text))]
    (tmp_path / "values.yaml").write_text(_values_file(readable), encoding="utf-8")
    helm = helm_template_values(real_helm, echo_chart, tmp_path / "values.yaml")
    for index, text in enumerate(readable):
        assert json.dumps(helm[f"k{index}"]) == json_of(text, helm_reads(text)), text
    for text in DIFFERING:
        assert not agreed(text) and version_conflict(text), text
        with pytest.raises(YamlProblem) as refused:
            load_all(f"a:\n  - x\n  - {text}\n".encode())
        assert (refused.value.line, refused.value.col, refused.value.code) == (3, 5, "yaml-version"), text
        assert f"quote it ('{text}')" in refused.value.message
        assert load_all(f"a: '{text}'\n".encode()) == [{"a": text}]  # quoted: text for every reader
    for text in AGREEING:
        assert agreed(text), text
        assert tenantgen_reading(f"a: {text}\n") == {"a": json.loads(json_of(text, helm_reads(text)))}, text


def _non_finite(value: Any) -> bool:
    return isinstance(value, float) and not math.isfinite(value)


@settings(max_examples=200, deadline=None)
@given(st.one_of(scalar(flow=False), st.sampled_from([text for text in TRICKY if is_plain(text)])))
def test_helm_reads_is_helms_values_reader_and_tenantgen_refuses_only_where_they_differ(text: str) -> None:
    """``helm_reads`` against the embedded Helm's values reader, for any plain scalar both parse."""
    line = f"k: {text}\n"
    try:
        helm = helm_python.values_from_yaml(line)
    except helm_python.HelmError:
        return  # Go cannot convert it to JSON (".inf"); tenantgen refuses it too (not a finite number)
    assert json.dumps(helm["k"]) == json_of(text, helm_reads(text)), text
    try:
        ours = tenantgen_reading(line)
    except YamlProblem as problem:
        if problem.code == "yaml-version":
            assert not agreed(text) and problem.line == 1, text
        return  # tenantgen's other refusals (a tag, a non-finite number) are stricter, never looser
    assert agreed(text) and ours == normalised({"k": helm["k"]}), text


def test_a_flow_scalar_with_a_question_mark_is_yaml_12s_not_helms(real_helm: Path, echo_chart: Path,
                                                                  tmp_path: Path) -> None:
    """Go's reader (like libyaml) ends a flow scalar at "?"; YAML 1.2 and tenantgen read it whole. A
    file with one renders in tenantgen and is refused by Helm; the other way round never happens."""
    text = "a: [c?d]\n"
    (tmp_path / "values.yaml").write_text(text, encoding="utf-8")
    assert isinstance(helm_template_values(real_helm, echo_chart, tmp_path / "values.yaml"), YamlProblem)
    assert tenantgen_reading(text) == {"a": ["c?d"]}
    assert tenantgen_reads("c?d") is TEXT
