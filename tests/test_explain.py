"""``tenantgen explain``: provenance of every value, releases and objects, unknown tenants, JSON."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tenantgen.plan.charts import ChartCatalog
from tests.helpers import CliResult, read_tree, run_cli
from tests.trees import ALPHA, CLUSTER, TIER, TIER_YAML, base_files, build_tree, pos, tenant_yaml

EUW2 = "dev/dev-aws/dev-euw2"
EUW2_CLUSTER = """\
apiVersion: tenantgen.io/v1alpha1
kind: Cluster
metadata:
  name: dev-euw2
spec:
  hostname: dev-euw2.k8s.example.com
  region: eu-west-2
  kubeVersion: "1.31"
"""


def explain(*args: str) -> CliResult:
    return run_cli(["explain", *args])


@pytest.fixture()
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # Run from tmp_path with the relative tree "tree", so paths read "tree/dev/tier.yaml:10".
    root = build_tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    return root


def row(output: str, path: str) -> str:
    """The effective-spec line of ``path``."""
    found = [line.strip() for line in output.splitlines() if line.strip().startswith(path + " ")]
    assert found, f"no line for {path} in:\n{output}"
    return re.sub(r"\s{2,}", " | ", found[0])


def test_each_value_names_the_layer_and_line_that_set_it(tree: Path) -> None:
    result = explain("alpha", "tree", "--no-render")
    assert result.exit_code == 0, result.stderr
    quota_line, _ = pos(TIER_YAML, "quota: 2")
    pool_line, _ = pos(base_files()[CLUSTER], "nodePool: apps")  # type: ignore[arg-type]
    cost_line, _ = pos(tenant_yaml("alpha", "api.alpha.example.com"), "costCenter: CC-1")
    assert row(result.stdout, "namespaces.quota") == f"namespaces.quota | 2 | tier default | tree/{TIER}:{quota_line}"
    assert row(result.stdout, "nodePool") == f'nodePool | "apps" | cluster default | tree/{CLUSTER}:{pool_line}'
    assert row(result.stdout, "costCenter") == f'costCenter | "CC-1" | tenant | tree/{ALPHA}:{cost_line}'
    # Lists replace as a whole: each item points at the layer that set the list.
    classes_line, _ = pos(base_files()[CLUSTER], "classes: [nginx-internal]")  # type: ignore[arg-type]
    assert row(result.stdout, "ingress.classes[0]").endswith(f"cluster default | tree/{CLUSTER}:{classes_line}")
    assert "== tenant alpha in dev/dev-aws/dev-euw1 ==" in result.stdout


def test_values_tenantgen_computes_are_listed_with_their_source(tree: Path) -> None:
    result = explain("alpha", "tree", "--no-render")
    hostname_line, _ = pos(TIER_YAML, "tenantHostname:")
    assert "namespaces.default | \"alpha-default\" | tenantgen default | -" in [
        re.sub(r"\s{2,}", " | ", line.strip()) for line in result.stdout.splitlines()]
    assert f"tree/{TIER}:{hostname_line}" in row(result.stdout, "ingress.hostnames (authorized by the tier)")


def test_releases_are_listed_without_rendering(tree: Path) -> None:
    result = explain("alpha", "tree", "--no-render")
    bundled = ChartCatalog.discover().bundled
    for release, chart in (("alpha-tenant", "tenant"), ("alpha-post-install", "tenant-post-install"),
                           ("alpha-argocd", "argocd-project")):
        assert re.search(rf"^\s+{release}\s+{chart} {re.escape(bundled[chart].version)}\s+from ", result.stdout,
                         re.MULTILINE), result.stdout
    assert "beta-tenant" not in result.stdout
    assert "manifests/" not in result.stdout


def test_unknown_tenant_lists_the_known_ones_closest_first(tree: Path) -> None:
    result = explain("betta", "tree")
    assert result.exit_code == 1
    assert "unknown tenant 'betta'; known tenants: beta, alpha" in result.stderr
    assert result.stdout == ""


def test_a_tenant_in_several_clusters_gets_one_section_per_cluster(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    build_tree(tmp_path, {f"{EUW2}/cluster.yaml": EUW2_CLUSTER, f"{EUW2}/tenants/alpha.yaml": tenant_yaml("alpha")})
    monkeypatch.chdir(tmp_path)
    both = explain("alpha", "tree", "--no-render")
    assert both.exit_code == 0, both.stderr
    assert "== tenant alpha in dev/dev-aws/dev-euw1 (1 of 2) ==" in both.stdout
    assert "== tenant alpha in dev/dev-aws/dev-euw2 (2 of 2) ==" in both.stdout
    one = explain("alpha", "tree", "--no-render", "--cluster", "dev-euw2")
    assert "dev-euw1" not in one.stdout and "== tenant alpha in dev/dev-aws/dev-euw2 ==" in one.stdout
    missing = explain("alpha", "tree", "--cluster", "prod-*")
    assert missing.exit_code == 1
    assert "it is in: dev/dev-aws/dev-euw1, dev/dev-aws/dev-euw2" in missing.stderr


def test_findings_about_the_tenant_are_shown_and_fail_the_run(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    build_tree(tmp_path, {ALPHA: tenant_yaml("alpha", extra="namespaces:\n  quota: 50\n")})
    monkeypatch.chdir(tmp_path)
    result = explain("alpha", "tree")
    assert result.exit_code == 1
    assert "namespaces.quota 50 exceeds tier 'dev' guardrail maxNamespaces 10" in result.stdout
    assert "objects not rendered: the tree has 1 finding(s)" in result.stdout
    assert row(result.stdout, "namespaces.quota").startswith("namespaces.quota | 50 | tenant")


@pytest.mark.parametrize(("appended", "message"), [
    ("spec:\n  owners: [\n", "invalid YAML: did not find expected node content"),
    ("kind: Tenant\n", 'found duplicate key "kind"'),
])
def test_a_tenant_whose_file_does_not_parse_is_explained_with_its_yaml_findings(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, appended: str, message: str) -> None:
    # Not "unknown tenant": the tenant exists, its file is broken, and explain says where and why.
    build_tree(tmp_path, {ALPHA: tenant_yaml("alpha", "api.alpha.example.com") + appended})
    monkeypatch.chdir(tmp_path)
    validate = run_cli(["validate", "tree"])
    finding = next(line for line in validate.stdout.splitlines() if line.startswith(f"tree/{ALPHA}:"))
    assert re.match(rf"tree/{re.escape(ALPHA)}:\d+:\d+: {re.escape(message)}", finding), finding
    for args in ((), ("--cluster", "dev-euw1")):
        result = explain("alpha", "tree", *args)
        assert result.exit_code == 1, result.stderr  # as for a tenant file with schema findings
        assert "unknown tenant" not in result.stderr and "is not in a cluster" not in result.stderr
        assert "== tenant alpha in dev/dev-aws/dev-euw1 ==" in result.stdout
        assert f"file: tree/{ALPHA}" in result.stdout
        assert "1 finding(s) about this tenant" in result.stdout
        assert f"  {finding}" in result.stdout.splitlines()
        assert "note: the tenant file cannot be read" in result.stdout
        assert "effective spec (value" not in result.stdout
    as_json = explain("alpha", "tree", "--format", "json")
    section = as_json.json()["clusters"][0]
    assert as_json.exit_code == 1
    assert (section["file"], section["spec"], section["releases"]) == (f"tree/{ALPHA}", None, [])
    assert [f"{f['file']}:{f['line']}:{f['col']}: {f['message']}" for f in section["findings"]] == [finding]


def test_json_format(tree: Path) -> None:
    result = explain("alpha", "tree", "--no-render", "--format", "json")
    assert result.exit_code == 0
    report = result.json()
    assert report["tenant"] == "alpha"
    [section] = report["clusters"]
    assert section["cluster"] == "dev/dev-aws/dev-euw1"
    assert section["file"] == f"tree/{ALPHA}"
    assert section["spec"]["namespaces"] == {"quota": 2}
    values = {value["path"]: value for value in section["values"]}
    quota_line, quota_col = pos(TIER_YAML, "quota: 2")
    assert values["namespaces.quota"] == {"path": "namespaces.quota", "value": 2, "layer": "tier default",
                                          "file": f"tree/{TIER}", "line": quota_line, "col": quota_col}
    assert values["owners[0].name"]["layer"] == "tenant"
    assert [r["name"] for r in section["releases"]] == ["alpha-tenant", "alpha-post-install", "alpha-argocd"]
    assert all(r["objects"] is None for r in section["releases"])
    assert section["rendered"] is False


# -- with rendering: one render shared by the tests below ---------------------------------------------


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, Any], str, dict[str, bytes]]]:
    """(explain --format json, explain text, the files `tenantgen render` writes) for tenant alpha."""
    base = tmp_path_factory.mktemp("explain")
    build_tree(base)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(base / "cache"))
        patch.chdir(base)
        as_json = explain("alpha", "tree", "--format", "json")
        assert as_json.exit_code == 0, as_json.stderr
        as_text = explain("alpha", "tree")  # the render cache makes this one cheap
        assert as_text.exit_code == 0, as_text.stderr
        assert run_cli(["render", "tree", "-o", str(base / "out")]).exit_code == 0
        yield as_json.json(), as_text.stdout, read_tree(base / "out")


def test_objects_of_each_release_with_their_output_paths(
        rendered: tuple[dict[str, Any], str, dict[str, bytes]]) -> None:
    report, _, out = rendered
    [section] = report["clusters"]
    assert section["rendered"] is True
    releases = {r["name"]: r for r in section["releases"]}
    assert {"kind": "Tenant", "name": "alpha", "namespace": "",
            "path": "dev/dev-aws/dev-euw1/manifests/alpha-tenant/tenant-alpha.yaml"} in releases["alpha-tenant"]["objects"]
    kinds = {obj["kind"] for obj in releases["alpha-argocd"]["objects"]}
    assert "AppProject" in kinds
    listed = {obj["path"] for r in section["releases"] for obj in r["objects"]}
    written = {path for path in out if "/manifests/alpha-" in path}
    assert listed == written  # exactly the files render writes for the tenant, nothing of beta


def test_text_lists_objects_under_their_release(rendered: tuple[dict[str, Any], str, dict[str, bytes]]) -> None:
    _, text, _ = rendered
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("alpha-tenant "))
    objects = [line for line in lines[start + 1:] if line.startswith("    ")]
    assert any(re.match(r"^\s+Tenant/alpha\s+dev/dev-aws/dev-euw1/manifests/alpha-tenant/tenant-alpha\.yaml$", line)
               for line in objects)
    assert re.search(r"AppProject/alpha \(namespace argocd\)\s+dev/dev-aws/dev-euw1/manifests/alpha-argocd/", text)
