"""``tenantgen new``: scaffolds that validate, never overwrite, take --set values and ask in a terminal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tenantgen.cli.commands import new as new_command
from tenantgen.pipeline.validate import validate_tree
from tenantgen.yamlio.reader import load_all
from tests.helpers import CliResult, run_cli
from tests.trees import ALPHA, CLUSTER_DIR, build_tree, tenant_yaml

PROD = "tiers/prod/prod-aws/prod-euw1"
PROD_TENANT_SETS = ["--set", "costCenter=CC-2000", "--set", "contact.email=team-a@example.com",
                    "--set", "contact.slack=#team-a"]


@pytest.fixture()
def repo(example_checkout: Path) -> Path:
    return example_checkout


def new(*args: str) -> CliResult:
    return run_cli(["new", *args])


def spec_of(path: Path) -> dict[str, Any]:
    [document] = load_all(path.read_bytes())
    spec: dict[str, Any] = document["spec"]
    return spec


def modeline(path: Path) -> str:
    return path.read_text(encoding="utf-8").splitlines()[0]


def assert_tree_valid(repo: Path) -> None:
    result = run_cli(["validate", str(repo / "tiers")])
    assert result.exit_code == 0, result.stdout


def test_new_tenant_validates_and_joins_the_tree(repo: Path) -> None:
    result = new("tenant", "team-a", "--in", PROD, "--owner", "team-a-admins", *PROD_TENANT_SETS)
    assert result.exit_code == 0, result.stderr + result.stdout
    path = repo / PROD / "tenants/team-a.yaml"
    assert f"created {PROD}/tenants/team-a.yaml (Tenant team-a)" in result.stdout
    assert modeline(path) == "# yaml-language-server: $schema=../../../../../schemas/tenant.schema.json"
    assert (path.parent / "../../../../../schemas/tenant.schema.json").resolve().is_file()
    assert spec_of(path) == {
        "owners": [{"kind": "Group", "name": "team-a-admins"}],
        "costCenter": "CC-2000",
        "contact": {"slack": "#team-a", "email": "team-a@example.com"},
        "namespaces": {"default": "team-a-default"},
    }
    assert_tree_valid(repo)
    cluster = next(c for c in validate_tree(repo / "tiers").fleet.clusters if c.rel == "prod/prod-aws/prod-euw1")
    assert "team-a" in cluster.tenants


def test_new_cluster_then_node_pool_tenant_and_argo_project(repo: Path) -> None:
    made = new("cluster", "prod-euw2", "--in", "tiers/prod/prod-aws",
               "--set", "hostname=prod-euw2.k8s.example.com", "--set", "kubeVersion=1.30",
               "--set", "karpenter.role=KarpenterNodeRole-prod-euw2",
               "--set", "karpenter.subnetSelector.karpenter.sh/discovery=prod-euw2",
               "--set", "karpenter.securityGroupSelector={karpenter.sh/discovery: prod-euw2}",
               "--set", "karpenter.amiAlias=al2023@latest")
    assert made.exit_code == 0, made.stderr + made.stdout
    cluster_dir = "tiers/prod/prod-aws/prod-euw2"
    cluster = spec_of(repo / cluster_dir / "cluster.yaml")
    # kubeVersion stays the text typed (YAML would read 1.30 as the number 1.3); region from account.yaml.
    assert cluster == {
        "hostname": "prod-euw2.k8s.example.com", "region": "eu-west-1", "kubeVersion": "1.30",
        "karpenter": {"role": "KarpenterNodeRole-prod-euw2", "subnetSelector": {"karpenter.sh/discovery": "prod-euw2"},
                      "securityGroupSelector": {"karpenter.sh/discovery": "prod-euw2"}, "amiAlias": "al2023@latest"}}
    assert modeline(repo / cluster_dir / "cluster.yaml").endswith("=../../../../schemas/cluster.schema.json")
    pool = new("node-pool", "apps", "--in", cluster_dir, "--set", "costCode=CC-1000")
    assert pool.exit_code == 0, pool.stderr + pool.stdout
    assert spec_of(repo / cluster_dir / "node-pools/apps.yaml") == {
        "instances": {"capacityTypes": ["on-demand"], "architectures": ["amd64"]}, "costCode": "CC-1000"}
    tenant = new("tenant", "team-a", "--in", cluster_dir, "--owner", "team-a-admins", "--set", "nodePool=apps",
                 *PROD_TENANT_SETS)
    assert tenant.exit_code == 0, tenant.stderr + tenant.stdout
    project = new("argo-project", "team-a", "--in", cluster_dir,
                  "--set", "rootApp.repoURL=https://github.com/example-org/team-a-deploy.git")
    assert project.exit_code == 0, project.stderr + project.stdout
    assert spec_of(repo / cluster_dir / "argo-projects/team-a.yaml") == {
        "tenant": "team-a",
        "sourceRepos": ["https://github.com/example-org/team-a-deploy.git"],
        "rootApp": {"repoURL": "https://github.com/example-org/team-a-deploy.git", "path": "clusters/prod-euw2"},
    }
    assert_tree_valid(repo)
    fleet = validate_tree(repo / "tiers").fleet
    added = next(c for c in fleet.clusters if c.name == "prod-euw2")
    assert set(added.tenants) == {"team-a"} and set(added.node_pools) == {"apps"}
    assert set(added.argo_projects) == {"team-a"}


def test_modeline_is_the_schema_url_without_a_schemas_folder(tmp_path: Path) -> None:
    build_tree(tmp_path)
    result = new("node-pool", "gpu", "--in", str(tmp_path / "tree" / CLUSTER_DIR), "--set", "costCode=CC-9")
    assert result.exit_code == 0, result.stderr + result.stdout
    path = tmp_path / "tree" / CLUSTER_DIR / "node-pools/gpu.yaml"
    assert modeline(path) == "# yaml-language-server: $schema=https://tenantgen.io/schemas/v1alpha1/nodepool.schema.json"


def test_refuses_to_overwrite(repo: Path) -> None:
    path = repo / PROD / "tenants/payments.yaml"
    before = path.read_bytes()
    result = new("tenant", "payments", "--in", PROD, "--owner", "x", *PROD_TENANT_SETS)
    assert result.exit_code == 1
    assert f"{PROD}/tenants/payments.yaml already exists" in result.stderr
    assert path.read_bytes() == before
    (repo / PROD / "node-pools/gpu.yml").write_text("kept\n", encoding="utf-8")
    clash = new("node-pool", "gpu", "--in", PROD, "--set", "costCode=CC-1")
    assert clash.exit_code == 1 and "node-pools/gpu.yml already exists" in clash.stderr
    assert not (repo / PROD / "node-pools/gpu.yaml").exists()


def test_set_takes_dotted_keys_typed_by_the_schema(repo: Path) -> None:
    result = new("tenant", "team-a", "--in", PROD, "--owner", "team-a-admins", *PROD_TENANT_SETS,
                 "--set", "namespaces.quota=5", "--set", "ingress.hostnames=[a.example.com, b.example.com]",
                 "--set", "readers=team-a-devs", "--set", "costCenter=4711",
                 "--set", "additionalMetadata.labels.teams.example.com/team=a")
    assert result.exit_code == 0, result.stderr + result.stdout
    spec = spec_of(repo / PROD / "tenants/team-a.yaml")
    assert spec["namespaces"] == {"quota": 5, "default": "team-a-default"}
    assert spec["ingress"] == {"hostnames": ["a.example.com", "b.example.com"]}
    assert spec["readers"] == ["team-a-devs"]  # one value for a list field: a one-item list
    assert spec["costCenter"] == "4711"  # a string field keeps the text, not the number
    assert spec["contact"]["slack"] == "#team-a"  # not a YAML comment
    assert spec["additionalMetadata"] == {"labels": {"teams.example.com/team": "a"}}
    assert_tree_valid(repo)


def test_values_that_would_break_yaml_stay_values(repo: Path) -> None:
    description = 'He said "hi": it\'s {{ 7*7 }}\nsecond line # not a comment\n---\nkind: Secret'
    annotation = "{% raw %}'\"]}{\n  evil: true"
    result = new("argo-project", "payments-web", "--in", PROD, "--set", "tenant=payments",
                 "--set", "rootApp.repoURL=https://github.com/example-org/payments-web.git",
                 "--set", f"description={description}")
    assert result.exit_code == 0, result.stderr + result.stdout
    spec = spec_of(repo / PROD / "argo-projects/payments-web.yaml")
    assert spec["description"] == description
    assert set(spec) == {"tenant", "description", "sourceRepos", "rootApp"}
    tenant = new("tenant", "team-q", "--in", PROD, "--owner", "team-q-admins", *PROD_TENANT_SETS,
                 "--set", f"additionalMetadata.annotations.example.com/note={annotation}")
    assert tenant.exit_code == 0, tenant.stderr + tenant.stdout
    assert spec_of(repo / PROD / "tenants/team-q.yaml")["additionalMetadata"] == {
        "annotations": {"example.com/note": annotation}}
    assert_tree_valid(repo)


def test_missing_required_values_without_a_terminal(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(new_command, "stdin_is_tty", lambda: False)  # as in CI, even under pytest -s
    result = new("tenant", "team-a", "--in", PROD)
    assert result.exit_code == 1
    for expected in ("owners", "--owner GROUP", "costCenter", "--set costCenter=", "contact.email",
                     "--set contact.email=", "contact.slack", "required by tier 'prod'", "nothing was written"):
        assert expected in result.stderr, result.stderr
    assert "nodePool" not in result.stderr  # the cluster default sets it
    assert not (repo / PROD / "tenants/team-a.yaml").exists()
    pool = new("node-pool", "gpu", "--in", PROD)
    assert pool.exit_code == 1 and "costCode" in pool.stderr and "--set costCode=" in pool.stderr


def test_missing_values_are_asked_for_in_a_terminal(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    answers = {"owners": ["team-a-admins"], "costCenter": ["CC-7"], "contact.email": ["not-an-email", "a@example.com"],
               "contact.slack": ["#team-a"]}
    asked: list[str] = []

    def ask(question: str) -> str:
        asked.append(question)
        key = question.split(":")[0].split(" (")[0]
        return answers[key].pop(0)

    monkeypatch.setattr(new_command, "stdin_is_tty", lambda: True)
    monkeypatch.setattr(new_command, "ask", ask)
    result = new("tenant", "team-a", "--in", PROD)
    assert result.exit_code == 0, result.stderr + result.stdout
    assert [q.split(":")[0].split(" (")[0] for q in asked] == [
        "owners", "costCenter", "contact.email", "contact.email", "contact.slack"]  # a bad e-mail is asked again
    assert "not-an-email" in result.stderr
    spec = spec_of(repo / PROD / "tenants/team-a.yaml")
    assert spec["owners"] == [{"kind": "Group", "name": "team-a-admins"}]
    assert spec["contact"] == {"slack": "#team-a", "email": "a@example.com"}
    assert spec["costCenter"] == "CC-7"
    assert_tree_valid(repo)


def test_guardrail_violation_is_refused_and_nothing_is_written(repo: Path) -> None:
    result = new("tenant", "team-a", "--in", PROD, "--owner", "team-a-admins", *PROD_TENANT_SETS,
                 "--set", "namespaces.quota=50", "--set", "ingress.hostnames=[api.team-a.other.org]")
    assert result.exit_code == 1
    assert "namespaces.quota 50 exceeds tier 'prod' guardrail maxNamespaces 20" in result.stdout
    assert "'api.team-a.other.org' is outside the domains of tier 'prod'" in result.stdout
    assert f"refused: {PROD}/tenants/team-a.yaml" in result.stdout and "nothing was written" in result.stdout
    assert not (repo / PROD / "tenants/team-a.yaml").exists()
    reference = new("argo-project", "nobody", "--in", PROD,
                    "--set", "rootApp.repoURL=https://github.com/example-org/x.git")
    assert reference.exit_code == 1 and "tenant 'nobody' does not exist" in reference.stdout
    assert not (repo / PROD / "argo-projects/nobody.yaml").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["tenant", "Team_A", "--in", PROD], "not a DNS-1123 label"),
    (["tenant", "team-a", "--in", "tiers/prod"], "is not a cluster folder"),
    (["cluster", "c9", "--in", PROD], "is not an account folder"),
    (["tenant", "team-a", "--in", PROD, "--set", "colour=blue"], "unknown key 'colour' in a Tenant spec; allowed:"),
    (["tenant", "team-a", "--in", PROD, "--set", "costCenter"], "expected key=value"),
    (["node-pool", "gpu", "--in", PROD, "--owner", "x"], "--owner applies to tenants only"),
])
def test_usage_errors(repo: Path, args: list[str], message: str) -> None:
    result = new(*args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_findings_the_tree_already_has_do_not_block_a_new_file(tmp_path: Path) -> None:
    # alpha points at a node pool that does not exist; adding another pool changes that finding's
    # "defined here: ..." list but is not a problem the new file brings.
    build_tree(tmp_path, {ALPHA: tenant_yaml("alpha", extra="nodePool: gpu\n")})
    cluster_dir = tmp_path / "tree" / CLUSTER_DIR
    result = new("node-pool", "batch", "--in", str(cluster_dir), "--set", "costCode=CC-2")
    assert result.exit_code == 0, result.stderr + result.stdout
    assert (cluster_dir / "node-pools/batch.yaml").is_file()
    fixed = new("node-pool", "gpu", "--in", str(cluster_dir), "--set", "costCode=CC-3")
    assert fixed.exit_code == 0, fixed.stderr + fixed.stdout
    assert validate_tree(tmp_path / "tree").ok
