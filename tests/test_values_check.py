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
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from tenantgen.fast.schema_compile import compile_exact
from tenantgen.render import EngineError, RenderJob, values_json
from tenantgen.render.engine.embedded import EmbeddedEngine
from tenantgen.render.engine.values_check import ValuesCheck

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
        check = ValuesCheck.build(loaded.schema, loaded.values, bool(loaded.dependencies), compile_exact)
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
    engine = EmbeddedEngine(compile_exact)
    job = RenderJob("release-x", "tenantgen-system", str(path.parent.parent), values_of(path), "v1.31.0")
    lean = engine._lean_chart(job.chart_dir)
    assert lean is not None
    fast = engine.render(job, values_json(job.values))
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
        EmbeddedEngine().render(job, values_json(job.values))


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


def _mutations(values: Any, depth: int = 0) -> list[Any]:
    """Values with one thing changed anywhere: each leaf replaced, each map given or lacking a key."""
    replacements = ["", "x", "A b", "a" * 70, 0, -3, 7, 2.5, True, None, [], {}, ["x"], {"k": "v"}]
    found: list[Any] = [value for value in replacements if depth > 0]
    if isinstance(values, dict):
        for key, item in values.items():
            found += [{**values, key: changed} for changed in _mutations(item, depth + 1)]
            found.append({k: v for k, v in values.items() if k != key})
        found.append({**values, "unexpected": "x"})
    elif isinstance(values, list):
        for index, item in enumerate(values):
            found += [[*values[:index], changed, *values[index + 1:]] for changed in _mutations(item, depth + 1)]
        found.append([*values, "extra"])
    return found


@pytest.mark.parametrize("path", VALUE_SETS, ids=lambda path: path.stem)
def test_compiled_schemas_agree_with_jsonschema(path: Path) -> None:
    from jsonschema import Draft202012Validator

    from tenantgen.fast.schema_compile import compile_schema

    schema = json.loads((path.parent.parent / "values.schema.json").read_text(encoding="utf-8"))
    compiled = compile_schema(schema)
    assert compiled is not None
    reference = Draft202012Validator(schema)
    values = values_of(path)
    cases = _mutations(values)
    assert len(cases) > 100
    for case in cases:
        assert compiled(case) == reference.is_valid(case), case


@pytest.mark.parametrize("path", VALUE_SETS, ids=lambda path: path.stem)
def test_a_values_check_without_a_compiler_gives_the_same_verdicts(path: Path) -> None:
    compiled = chart_check(path.parent.parent)
    loaded = helm_python.Chart.load(path.parent.parent)
    try:
        plain = ValuesCheck.build(loaded.schema, loaded.values, bool(loaded.dependencies))
    finally:
        loaded.close()
    assert plain is not None
    cases = _mutations(values_of(path))
    assert [plain.merged_if_valid(case) for case in cases] == [compiled.merged_if_valid(case) for case in cases]


_json = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.sampled_from([0.0, 1.0, 2.5, -1.5]),
                               st.sampled_from(["", "a", "ab", "B", "a-b", "1"])),
                     lambda inner: st.one_of(st.lists(inner, max_size=3),
                                             st.dictionaries(st.sampled_from(["a", "b", "c", "x-y"]), inner,
                                                             max_size=3)), max_leaves=8)


def _schemas() -> st.SearchStrategy[Any]:
    types = st.sampled_from(["object", "array", "string", "integer", "number", "boolean", "null"])
    leaf = st.one_of(
        st.builds(lambda t: {"type": t}, types),
        st.builds(lambda ts: {"type": ts}, st.lists(types, min_size=1, max_size=2, unique=True)),
        st.builds(lambda e: {"enum": e}, st.lists(_json, min_size=1, max_size=3)),
        st.builds(lambda c: {"const": c}, _json),
        st.builds(lambda p: {"pattern": p}, st.sampled_from(["^a", "b$", "^[a-z]+$", "-"])),
        st.builds(lambda n: {"minLength": n}, st.integers(0, 2)),
        st.builds(lambda n: {"maxLength": n}, st.integers(0, 2)),
        st.builds(lambda n: {"minimum": n}, st.integers(-2, 2)),
        st.builds(lambda n: {"maximum": n}, st.integers(-2, 2)),
        st.builds(lambda n: {"exclusiveMinimum": n}, st.integers(-2, 2)),
        st.builds(lambda n: {"minItems": n}, st.integers(0, 2)),
        st.builds(lambda n: {"maxProperties": n}, st.integers(0, 2)),
        st.builds(lambda r: {"required": r}, st.lists(st.sampled_from(["a", "b"]), max_size=2, unique=True)),
        st.booleans(),
    )
    return st.recursive(leaf, lambda inner: st.one_of(
        st.builds(lambda p: {"properties": p}, st.dictionaries(st.sampled_from(["a", "b", "c"]), inner, max_size=2)),
        st.builds(lambda p, a: {"properties": p, "additionalProperties": a},
                  st.dictionaries(st.sampled_from(["a", "b"]), inner, max_size=2), inner),
        st.builds(lambda p: {"patternProperties": p}, st.dictionaries(st.sampled_from(["^a", "y$"]), inner,
                                                                      max_size=2)),
        st.builds(lambda i: {"items": i}, inner),
        st.builds(lambda s: {"anyOf": s}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda s: {"allOf": s}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda s: {"oneOf": s}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda s: {"not": s}, inner),
        st.builds(lambda a, b: {**a, **b} if isinstance(a, dict) and isinstance(b, dict) else a, inner, inner),
    ), max_leaves=6)


@settings(max_examples=500, deadline=None)
@given(_schemas(), st.lists(_json, min_size=1, max_size=5))
def test_compiled_predicates_follow_jsonschema(schema: Any, instances: list[Any]) -> None:
    from jsonschema import Draft202012Validator

    from tenantgen.fast.schema_compile import compile_schema

    compiled = compile_schema(schema)
    assert compiled is not None
    reference = Draft202012Validator(schema)
    for instance in instances:
        assert compiled(instance) == reference.is_valid(instance), (schema, instance)


@settings(max_examples=300, deadline=None)
@given(_schemas(), _schemas(), st.lists(_json, min_size=1, max_size=5))
def test_keywords_beside_a_ref_apply_too(target: Any, beside: Any, instances: list[Any]) -> None:
    """Draft 2020-12 applies the keywords next to a "$ref" as well; fastjsonschema (draft 7) would
    ignore them unless the schema is rewritten for it."""
    from jsonschema import Draft202012Validator

    from tenantgen.fast.schema_compile import compile_schema

    node = {"$ref": "#/$defs/target", **(beside if isinstance(beside, dict) else {"not": beside})}
    schema = {"$defs": {"target": target}, "properties": {"x": node}}
    compiled = compile_schema(schema)
    assert compiled is not None
    reference = Draft202012Validator(schema)
    for instance in instances:
        assert compiled({"x": instance}) == reference.is_valid({"x": instance}), (schema, instance)


def _tree_documents() -> list[Any]:
    from tenantgen.load.tree import load_tree

    documents = []
    roots = [Path(__file__).resolve().parents[1] / "tiers", *sorted(
        path for path in (Path(__file__).resolve().parent / "bad_trees").iterdir() if path.is_dir())]
    for root in roots:
        tree, _ = load_tree(root)
        documents += tree.documents()
    return documents


def test_compiled_tenantgen_schemas_agree_with_jsonschema() -> None:
    """On every document of the example tree and the hostile corpus, and on mutations of them."""
    from tenantgen.fast.document_check import schema_predicate
    from tenantgen.validate.schema import strip_nulls, validator_for

    checked = 0
    for doc in _tree_documents():
        predicate = schema_predicate(doc.kind)
        assert predicate is not None, doc.kind
        reference = validator_for(doc.kind)
        data = strip_nulls(doc.data)
        for case in [data, *_mutations(data)]:
            assert predicate(case) == reference.is_valid(case), (doc.display_path, case)
            checked += 1
    assert checked > 10_000


def test_keywords_the_compiled_check_would_ignore_leave_it_to_helm() -> None:
    # fastjsonschema reads schemas as draft 7 and skips prefixItems: a "sure pass" would be wrong.
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
              "properties": {"pair": {"type": "array", "prefixItems": [{"type": "integer"}]}}}
    assert ValuesCheck.build(schema, {}, has_subcharts=False) is None


def _nested(levels: int) -> Any:
    value: Any = "leaf"
    for _ in range(levels):
        value = {"k": value}
    return value


@pytest.mark.parametrize(("value", "allow_float", "safe"), [
    ({"a": ["b", 1, True, {"c": "d"}]}, False, True),
    ({"a\tb": "x"}, False, False),  # a key that is not printable
    ({"é": "x"}, False, False),  # a key that is not ASCII
    ({"a": "x\x7f"}, False, False),
    ({1: "x"}, False, False),
    ({"a": 2**53}, False, False),
    ({"a": -(2**53) + 1}, False, True),
    ({"a": 1.5}, False, False),
    ({"a": 1.5}, True, True),
    ({"a": float("nan")}, True, False),
    ({"a": None}, False, False),
    (_nested(64), False, True),
    (_nested(65), False, False),
])
def test_only_plain_values_count_as_safe(value: Any, allow_float: bool, safe: bool) -> None:
    from tenantgen.render.engine.values_check import _safe_value

    assert _safe_value(value, allow_float) is safe


_LEAN_TEST_TEMPLATE = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}
data:
  big: {{ .Values.big | quote }}
  ratio: {{ .Values.ratio | quote }}
  size: {{ .Values.nested.size | quote }}
  name: {{ .Values.nested.name | quote }}
  list: {{ .Values.list | toJson | quote }}
  all: {{ toJson .Values | quote }}
"""


def _lean_test_chart(root: Path, reads_files: bool) -> Path:
    """A chart whose defaults the release's values partly override, with a file of its own."""
    chart = root / ("reads-files" if reads_files else "templates-only")
    (chart / "templates").mkdir(parents=True)
    (chart / "ci").mkdir()
    (chart / "Chart.yaml").write_text(f"apiVersion: v2\nname: {chart.name}\nversion: 0.1.0\n", encoding="utf-8")
    (chart / "values.yaml").write_text(
        "big: 1000000\nratio: 0.5\nnested: {size: 3, name: default}\nlist: [a, b]\n", encoding="utf-8")
    (chart / "values.schema.json").write_text(json.dumps({
        "$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
        "properties": {"nested": {"type": "object", "properties": {"name": {"type": "string"}}}}}), encoding="utf-8")
    (chart / "ci" / "note.txt").write_text("from the chart's files\n", encoding="utf-8")
    template = _LEAN_TEST_TEMPLATE + ('  note: {{ .Files.Get "ci/note.txt" | quote }}\n' if reads_files else "")
    (chart / "templates" / "configmap.yaml").write_text(template, encoding="utf-8")
    return chart


@pytest.mark.parametrize("reads_files", [False, True], ids=["templates-only", "reads-files"])
def test_the_lean_chart_renders_what_the_chart_renders(tmp_path: Path, reads_files: bool) -> None:
    chart = _lean_test_chart(tmp_path, reads_files)
    engine = EmbeddedEngine(compile_exact)
    lean = engine._lean_chart(str(chart))
    assert lean is not None
    loaded = helm_python.Chart.load_archive(lean[0])
    try:
        assert not loaded.values and loaded.schema is None  # Helm gets neither: the check stands in
        assert [file["name"] for file in loaded.files] == (["ci/note.txt"] if reads_files else [])
    finally:
        loaded.close()
    for values in ({}, {"nested": {"name": "mine"}}, {"big": 7, "list": ["c"], "nested": {"size": 4, "extra": "x"}}):
        job = RenderJob("release-x", "tenantgen-system", str(chart), values, "v1.31.0")
        assert lean[1].merged_if_valid(values) is not None  # the lean chart is the one used
        full = helm_python.Chart.load(chart)
        try:
            options = json.dumps({"name": job.release, "namespace": job.namespace, "kube_version": job.kube_version,
                                  "is_install": True})
            expected = json.loads(_native.call_string("helm_render", full._raw(), json.dumps(values), options))
        finally:
            full.close()
        rendered = engine.render(job, values_json(values))
        assert rendered == {name: text for name, text in expected.items() if isinstance(text, str)}
        text = rendered[f"{chart.name}/templates/configmap.yaml"]
        assert 'big: "1e+06"' in text or values.get("big") == 7  # Helm's float, from the defaults too
        assert ('note: "from the chart\'s files\\n"' in text) is reads_files
