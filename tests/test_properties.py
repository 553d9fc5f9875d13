"""Property-based tests: what the schema accepts renders to valid objects; what it rejects is reported.

(a) Any Tenant spec built from the schema's shape (owners, readers, quotas, quantities, hostnames under
    an allowed suffix, service flags, labels, annotations, free text in any script) that ``validate``
    accepts renders, through one long-lived worker pool, to objects that pass the CRD and core schemas.
(b) Any mutation of a valid tenant file (wrong types, unknown keys, nulls in lists, huge numbers,
    arbitrary unicode, random bytes) gives findings when the schema rejects it, and never an exception.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tenantgen.jinja_env import environment
from tenantgen.pipeline.validate import validate_tree
from tenantgen.plan.charts import ChartCatalog
from tenantgen.plan.planner import plan_fleet
from tenantgen.render import HELMFILE_TEMPLATE, RenderJob, WorkerConfig, WorkerPool
from tenantgen.validate.schema import strip_nulls, validator_for
from tenantgen.yamlio.reader import MAX_INT, dump, load_all
from tests.helpers import REPO_ROOT
from tests.support.upstream_crds import PROVIDER_CRD_FOLDERS, shared_crd_dirs

BASE = REPO_ROOT / "tests" / "bad_trees" / "_base"
ALPHA = "dev/dev-aws/dev-euw1/tenants/alpha.yaml"
SHOWN_ALPHA = f"tree/{ALPHA}"
# The base tier, with every service type allowed so that the flags can vary too.
SERVICES_ALLOWED = "    allowedServices: {nodePort: true, loadBalancer: true, externalName: true}\n"

# -- strategies: the Tenant schema's shape ----------------------------------------------------------

LABEL = st.from_regex(r"\A[a-z0-9]([-a-z0-9]{0,10}[a-z0-9])?\Z")
# Free text as people type it, in any script; tenantgen refuses control characters (bar tab and line
# breaks) and non-characters at load time, and surrogates cannot be UTF-8.
TEXT = st.text(st.characters(blacklist_categories=["Cs", "Cc", "Cn"], whitelist_characters="\t\n"),
               min_size=1, max_size=30)
LABEL_KEY = st.from_regex(r"\A([a-z0-9]([-a-z0-9]{0,8}[a-z0-9])?(\.[a-z]{2,5})?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,12}[A-Za-z0-9])?\Z")
LABEL_VALUE = st.from_regex(r"\A(([A-Za-z0-9][-A-Za-z0-9_.]{0,20})?[A-Za-z0-9])?\Z")


@st.composite
def cpu(draw: st.DrawFn, low: int, high: int) -> tuple[int, str]:
    """(millicores, quantity text) in the three ways people write CPU: "2", "1.5", "500m"."""
    milli = draw(st.integers(low, high))
    if milli % 1000 == 0:
        return milli, str(milli // 1000)
    if milli % 100 == 0 and draw(st.booleans()):
        return milli, f"{milli // 1000}.{milli % 1000 // 100}"
    return milli, f"{milli}m"


@st.composite
def memory(draw: st.DrawFn, low_mi: int, high_mi: int) -> tuple[int, str]:
    mebi = draw(st.integers(low_mi, high_mi))
    return mebi, f"{mebi // 1024}Gi" if mebi % 1024 == 0 else f"{mebi}Mi"


@st.composite
def resource_pair(draw: st.DrawFn) -> dict[str, Any]:
    """Tenant-wide requests <= limits, within the base tier's maxResources."""
    request_cpu, request_cpu_text = draw(cpu(100, 64_000))
    _, limit_cpu_text = draw(cpu(request_cpu, 128_000))
    request_mem, request_mem_text = draw(memory(64, 256 * 1024))
    _, limit_mem_text = draw(memory(request_mem, 512 * 1024))
    return {"requests": {"cpu": request_cpu_text, "memory": request_mem_text},
            "limits": {"cpu": limit_cpu_text, "memory": limit_mem_text}}


@st.composite
def limit_range(draw: st.DrawFn) -> dict[str, Any]:
    """defaultRequest <= default <= max, per resource."""
    out: dict[str, dict[str, str]] = {"defaultRequest": {}, "default": {}, "max": {}}
    low, low_text = draw(cpu(10, 2000))
    mid, mid_text = draw(cpu(low, 4000))
    _, high_text = draw(cpu(mid, 8000))
    out["defaultRequest"]["cpu"], out["default"]["cpu"], out["max"]["cpu"] = low_text, mid_text, high_text
    low, low_text = draw(memory(16, 2048))
    mid, mid_text = draw(memory(low, 4096))
    _, high_text = draw(memory(mid, 16384))
    out["defaultRequest"]["memory"], out["default"]["memory"], out["max"]["memory"] = low_text, mid_text, high_text
    keep = draw(st.sets(st.sampled_from(sorted(out)), min_size=1))
    return {part: out[part] for part in sorted(keep)}


@st.composite
def tenant_spec(draw: st.DrawFn) -> dict[str, Any]:
    owner = st.fixed_dictionaries(
        {"kind": st.sampled_from(["Group", "User", "ServiceAccount"]), "name": TEXT},
        optional={"clusterRoles": st.lists(TEXT, min_size=1, max_size=3, unique=True)})
    spec: dict[str, Any] = {
        "owners": draw(st.lists(owner, min_size=1, max_size=3)),
        # The base tier requires these two.
        "costCenter": draw(st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._-]{0,20}\Z")),
        "contact": {"email": draw(st.from_regex(r"\A[a-z0-9][a-z0-9._+-]{0,10}@[a-z0-9-]{1,10}\.[a-z]{2,6}\Z"))},
    }
    optional: dict[str, st.SearchStrategy[Any]] = {
        "readers": st.lists(TEXT, max_size=4, unique=True),
        "nodePool": st.just("apps"),
        "namespaces": st.fixed_dictionaries({}, optional={
            "quota": st.integers(1, 10), "default": LABEL.map(lambda label: f"alpha-{label}")}),
        "resources": resource_pair(),
        "limitRange": limit_range(),
        "ingress": st.fixed_dictionaries({}, optional={
            "classes": st.lists(st.sampled_from(["nginx-internal", "nginx-public"]), unique=True),
            # Under the tier's example.com, and apart from beta's *.beta.example.com.
            "hostnames": st.lists(st.one_of(LABEL.map(lambda label: f"{label}.alpha.example.com"),
                                            st.just("*.alpha.example.com"), st.just("alpha.example.com")),
                                  max_size=4, unique=True)}),
        "services": st.fixed_dictionaries({}, optional={
            name: st.booleans() for name in ("nodePort", "loadBalancer", "externalName")}),
        "additionalMetadata": st.fixed_dictionaries({}, optional={
            "labels": st.dictionaries(LABEL_KEY, LABEL_VALUE, max_size=3),
            "annotations": st.dictionaries(LABEL_KEY, TEXT, max_size=3)}),
    }
    for key in draw(st.sets(st.sampled_from(sorted(optional)))):
        spec[key] = draw(optional[key])
    if "contact" in spec and draw(st.booleans()):
        spec["contact"]["slack"] = draw(st.from_regex(r"\A#[a-z0-9][a-z0-9._-]{0,20}\Z"))
    return spec


def tenant_document(spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "tenantgen.io/v1alpha1", "kind": "Tenant", "metadata": {"name": "alpha"}, "spec": spec}


# -- (a) accepted specs render to valid objects -------------------------------------------------------

@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("properties") / "tree"
    shutil.copytree(BASE, root)
    tier = root / "dev" / "tier.yaml"
    tier.write_text(tier.read_text().replace("  guardrails:\n", "  guardrails:\n" + SERVICES_ALLOWED))
    assert validate_tree(root).ok
    return root


@pytest.fixture(scope="module")
def pool(upstream_crds: Path) -> Iterator[WorkerPool]:
    """One worker for the whole module: renders cost milliseconds once the engine has started."""
    config = WorkerConfig("embedded", "helm", tuple(str(d) for d in shared_crd_dirs(upstream_crds)), True,
                          provider_crd_dirs=tuple((provider, str(upstream_crds / folder))
                                                  for provider, folder in PROVIDER_CRD_FOLDERS.items()))
    with WorkerPool(config, 1, timeout=60) as workers:
        yield workers


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                HealthCheck.too_slow])
@given(spec=tenant_spec())
def test_accepted_tenants_render_to_valid_objects(spec: dict[str, Any], tree: Path, pool: WorkerPool) -> None:
    (tree / ALPHA).write_text(dump(tenant_document(spec)), encoding="utf-8")
    validation = validate_tree(tree, "tree")
    assume(validation.ok)  # the schema and the guardrails accept it: from here on it must render
    catalog = ChartCatalog.discover()
    charts = {tier: catalog.resolve(doc)[0] for tier, doc in validation.tree.tiers.items()}
    [cluster] = plan_fleet(validation.fleet, charts, "tree").clusters
    releases = [release for release in cluster.releases if release.tenant == "alpha"]
    jobs = [RenderJob(release.name, release.namespace, str(release.chart.path), release.values, cluster.kube_version)
            for release in releases]
    outputs = pool.run(jobs)
    for release, output in zip(releases, outputs):
        assert output.error == "", f"{release.name}: {output.error}"
        assert output.problems == (), f"{release.name}: {output.problems}"
        assert output.objects >= 1
    tenant = next(output for release, output in zip(releases, outputs) if release.name == "alpha-tenant")
    [body] = load_all(dict(tenant.files)["tenant-alpha.yaml"].encode())
    # What the tenant asked for is what Capsule gets.
    assert [owner["name"] for owner in body["spec"]["owners"]] == [owner["name"] for owner in spec["owners"]]
    annotations = body["spec"]["namespaceOptions"]["additionalMetadata"]["annotations"]
    for key, value in ((spec.get("additionalMetadata") or {}).get("annotations") or {}).items():
        if not key.startswith("platform.example.com/"):
            assert annotations[key] == value


# -- (b) rejected mutations are findings, never exceptions -------------------------------------------

VALID = {
    "apiVersion": "tenantgen.io/v1alpha1", "kind": "Tenant", "metadata": {"name": "alpha", "labels": {"team": "a"}},
    "spec": {"owners": [{"kind": "Group", "name": "alpha-admins", "clusterRoles": ["admin"]}],
             "readers": ["sre"], "costCenter": "CC-1", "contact": {"email": "alpha@example.com", "slack": "#alpha"},
             "namespaces": {"quota": 2, "default": "alpha-api"},
             "resources": {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "2", "memory": "2Gi"}},
             "ingress": {"classes": ["nginx-internal"], "hostnames": ["api.alpha.example.com"]},
             "additionalMetadata": {"labels": {"x": "y"}, "annotations": {"example.com/a": "b"}}},
}
TRICKY = st.sampled_from([
    "", " ", "\n", "\t", "~", "null", "yes", "no", "on", "0x1F", "1e3", ".inf", ".nan", "2024-13-45", "2024-01-01",
    "&a", "*a", "!!binary aGk=", "!!python/object:os.system", "{{ .Values }}", "{% raw %}", "${{ x }}", "---",
    "key: value", "- item", "[1, 2", "'", '"', "\\", "\x00", "\x85", "\u2028", "\ufeff", "\U0001f600", "é" * 300,
    "a" * 5000, "../../etc/passwd", "/", "UPPER", "-leading", "trailing-",
])
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(MAX_INT - 2, MAX_INT + 2), st.integers(min_value=10**30),
    st.floats(), st.text(st.characters(blacklist_categories=["Cs"]), max_size=20), TRICKY)
VALUES = st.recursive(SCALARS, lambda children: st.lists(children, max_size=3) | st.dictionaries(
    st.one_of(st.text(max_size=8), TRICKY), children, max_size=3), max_leaves=8)


def _paths(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*path, index))


ALL_PATHS = list(_paths(VALID))[1:]


@st.composite
def mutation(draw: st.DrawFn) -> dict[str, Any]:
    """VALID with one to three edits: a value replaced, a key removed or added, a list item inserted."""
    import copy

    data = copy.deepcopy(VALID)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(ALL_PATHS))
        parent: Any = data
        try:
            for part in path[:-1]:
                parent = parent[part]
            current = parent[path[-1]]
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit removed it
        edit = draw(st.sampled_from(["replace", "remove", "add-key", "insert"]))
        if edit == "replace":
            parent[path[-1]] = draw(VALUES)
        elif edit == "remove":
            del parent[path[-1]]
        elif edit == "add-key" and isinstance(current, dict):
            current[draw(st.one_of(st.text(max_size=12), TRICKY))] = draw(VALUES)
        elif edit == "insert" and isinstance(current, list):
            current.insert(draw(st.integers(0, len(current))), draw(VALUES))
    return data


def _huge_int(node: Any) -> bool:
    return any(isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INT
               for value in _values(node))


def _values(node: Any) -> Iterator[Any]:
    yield node
    if isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from _values(value)
    elif isinstance(node, list):
        for value in node:
            yield from _values(value)


@pytest.fixture(scope="module")
def mutable_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("mutations") / "tree"
    shutil.copytree(BASE, root)
    (root / ALPHA).write_text(dump(VALID), encoding="utf-8")
    assert validate_tree(root).ok, validate_tree(root).findings
    return root


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=mutation())
def test_rejected_mutations_are_findings_not_exceptions(data: dict[str, Any], mutable_tree: Path) -> None:
    try:
        text = dump(data)
    except Exception:  # noqa: BLE001 - a value YAML cannot write (a float key, say) is not a tree
        assume(False)
    (mutable_tree / ALPHA).write_text(text, encoding="utf-8")
    validation = validate_tree(mutable_tree, "tree")  # must not raise, whatever the file says
    keys_are_text = all(isinstance(key, str) for value in _values(data) if isinstance(value, dict) for key in value)
    rejected = (_huge_int(data) or not keys_are_text
                or not validator_for("Tenant").is_valid(strip_nulls(data)))
    if rejected:
        assert any(finding.file == SHOWN_ALPHA for finding in validation.findings), text
    for finding in validation.findings:
        line = finding.format()
        assert "\n" not in line, line  # one finding, one line, whatever the value held
        assert len(line) < 2000


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(st.tuples(st.integers(0, 10_000), st.binary(max_size=4), st.integers(0, 4)), min_size=1,
                      max_size=4))
def test_random_byte_edits_never_raise(edits: list[tuple[int, bytes, int]], mutable_tree: Path) -> None:
    raw = bytearray(dump(VALID).encode())
    for offset, insert, delete in edits:
        offset %= len(raw) + 1
        raw[offset:offset + delete] = insert
    (mutable_tree / ALPHA).write_bytes(bytes(raw))
    validation = validate_tree(mutable_tree, "tree")
    if bytes(raw) != dump(VALID).encode() and not validation.ok:
        assert all(finding.format() for finding in validation.findings)



printable = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Co", "Cn")), max_size=30)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.fixed_dictionaries({
    "name": printable, "namespace": printable, "chart": printable, "version": printable, "values_file": printable,
    "labels": st.dictionaries(printable, printable, max_size=3), "needs": st.lists(printable, max_size=2),
}), max_size=4), printable)
def test_the_bundled_helmfile_template_writes_valid_yaml_for_any_strings(
        releases: list[dict[str, Any]], cluster_name: str) -> None:
    # render skips parsing the bundled template's output (it is large); this is why that is safe.
    context = {"version": "1", "source": "tree/t/a/c",
               "cluster": {"name": cluster_name, "tier": "t", "account": "a", "kubeVersion": "v1.31.0"},
               "releases": releases}
    text = environment().get_template(HELMFILE_TEMPLATE).render(context)
    loaded = load_all(text.encode())[0]
    assert loaded["helmDefaults"]["kubeContext"] == cluster_name
    assert loaded["kubeVersion"] == "v1.31.0"
    assert [(r["name"], r["namespace"], r["chart"], r["labels"], r.get("needs", []), r["values"])
            for r in loaded["releases"] or []] == [
        (r["name"], r["namespace"], r["chart"], r["labels"], r["needs"], [r["values_file"]]) for r in releases]


@pytest.mark.parametrize("text", ["a\u2028b", "a\u2029b", "label\u2028key: x", "\u00e9\u2028"])
def test_the_yaml_filter_escapes_the_characters_yaml_reads_as_line_breaks(text: str) -> None:
    # JSON writes U+2028/U+2029 raw; YAML folds them as line breaks, or a flow mapping breaks.
    written = environment().from_string("k: {{ {key: [key]} | yaml }}").render(key=text)
    assert not {"\u2028", "\u2029"} & set(written)
    assert load_all(written.encode())[0] == {"k": {text: [text]}}


@settings(max_examples=500, deadline=None)
@given(value=st.one_of(st.text(), st.lists(st.text(max_size=5), max_size=3), st.integers(), st.booleans(),
                       st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3)))
def test_the_yaml_filter_writes_what_the_json_encoder_writes(value: Any) -> None:
    """Strings skip the encoder's own dispatch; the text must be the same, but for the three
    characters YAML reads as line breaks, which go out escaped."""
    import json

    from tenantgen.jinja_env import yaml_value

    breaks = {0x85: "\\u0085", 0x2028: "\\u2028", 0x2029: "\\u2029"}
    assert yaml_value(value) == json.dumps(value, ensure_ascii=False).translate(breaks)
