"""`--crds aws=DIR` / `--crds azure=DIR`: each cluster's objects are checked against its own cloud's CRDs.

Both Karpenter providers define nodepools.karpenter.sh v1 with different CEL rules (each restricts its
own label domain). Given both in one scope, a run would check one cloud's NodePools against the other's
rules without a word, so that is a usage error; scoped, a mixed fleet's pools each meet their own rules.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tenantgen.errors import UsageError
from tenantgen.pipeline.crd_folders import check_crd_folders, parse_crds_option
from tenantgen.render import ManifestValidator
from tests.helpers import EXAMPLE_TREE, read_tree, run_cli, run_cli_process, tenant_chart_variant
from tests.support.upstream_crds import PROVIDER_CRD_FOLDERS, scoped_crds_args, shared_crd_dirs

# A NodePool per tenant whose requirement uses a made-up label of its own cloud's Karpenter domain:
# the cloud's NodePool CRD refuses it ("label domain ... is restricted"), the other cloud's lets it by.
OWN_DOMAIN_POOL = """apiVersion: karpenter.sh/v1
kind: NodePool
metadata:
  name: {{ .Values.tenant.name }}-scoped
spec:
  template:
    spec:
{{- if eq .Values.context.account.provider "azure" }}
      nodeClassRef: {group: karpenter.azure.com, kind: AKSNodeClass, name: apps}
      requirements:
        - key: karpenter.azure.com/not-a-label
          operator: Exists
{{- else }}
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: apps}
      requirements:
        - key: karpenter.k8s.aws/not-a-label
          operator: Exists
{{- end }}
"""
AWS_RULE = '$.spec.template.spec.requirements[0].key: label domain "karpenter.k8s.aws" is restricted'
AZURE_RULE = '$.spec.template.spec.requirements[0].key: label domain "karpenter.azure.com" is restricted'


def _both_unscoped(upstream_crds: Path) -> list[str]:
    return [arg for folder in sorted(p for p in upstream_crds.iterdir() if p.is_dir()) for arg in ("--crds", str(folder))]


def test_each_clouds_pools_meet_their_own_clouds_rules(tmp_path: Path, upstream_crds: Path) -> None:
    charts = tmp_path / "charts"
    charts.mkdir()
    tenant_chart_variant(charts, "scoped", {"scoped-pool.yaml": OWN_DOMAIN_POOL})
    tree = tmp_path / "tiers"
    shutil.copytree(EXAMPLE_TREE, tree)
    tier = tree / "prod" / "tier.yaml"
    tier.write_text(tier.read_text().replace("spec:\n", "spec:\n  charts:\n    tenant: 0.1.0-scoped\n", 1))
    out = tmp_path / "out"
    result = run_cli(["render", str(tree), "-o", str(out), "--tier", "prod", "--charts", str(charts),
                      *scoped_crds_args(upstream_crds), "--no-cache"])
    shown = result.stdout + result.stderr
    assert result.exit_code == 1, shown
    lines = [line for line in result.stdout.splitlines() if "-scoped.yaml" in line]
    aws = [line for line in lines if line.startswith("prod/prod-aws/")]
    azure = [line for line in lines if line.startswith("prod/prod-azure/")]
    assert aws and azure and len(aws) + len(azure) == len(lines), shown
    # Every pool is caught by its own cloud's rule, though the other cloud's CRDs were given too.
    assert all(AWS_RULE in line and "karpenter.azure.com" not in line for line in aws), aws
    assert all(AZURE_RULE in line and "karpenter.k8s.aws" not in line for line in azure), azure
    assert "render failed; the output directory was not changed" in result.stdout
    assert not out.exists()


def test_the_example_renders_with_each_cloud_scoped(tmp_path: Path, upstream_crds: Path) -> None:
    out = tmp_path / "out"
    result = run_cli(["render", str(EXAMPLE_TREE), "-o", str(out), "--tier", "prod",
                      *scoped_crds_args(upstream_crds), "--no-cache"])
    assert result.exit_code == 0, result.stdout + result.stderr
    assert any(p.startswith("prod/prod-azure/") and "/manifests/" in p and "nodepool" in p for p in read_tree(out))


@pytest.mark.parametrize("command", ["render", "render --check", "diff"])
def test_both_nodepool_crds_in_one_scope_is_a_usage_error(tmp_path: Path, upstream_crds: Path,
                                                          command: str) -> None:
    out = tmp_path / "out"
    args = {"render": ["-o", str(out)], "render --check": ["-o", str(out), "--check"],
            "diff": ["--against", str(tmp_path / "old")]}[command]
    result = run_cli([command.split()[0], str(EXAMPLE_TREE), *args, *_both_unscoped(upstream_crds), "--no-cache"])
    shown = result.stdout + result.stderr
    assert result.exit_code == 2, shown
    aws_file = upstream_crds / "karpenter" / "karpenter.sh_nodepools.yaml"
    azure_file = upstream_crds / "karpenter-azure" / "karpenter.sh_nodepools.yaml"
    assert f"NodePool (karpenter.sh/v1) is defined differently in {aws_file} and in {azure_file}" in shown
    assert "--crds aws=<aws CRDs> --crds azure=<azure CRDs>" in shown
    assert "Traceback" not in shown and not out.exists()


def test_both_nodepool_crds_in_one_provider_scope_is_a_usage_error(tmp_path: Path, upstream_crds: Path) -> None:
    result = run_cli(["render", str(EXAMPLE_TREE), "-o", str(tmp_path / "out"),
                      "--crds", f"aws={upstream_crds / 'karpenter'}", "--crds", f"aws={upstream_crds / 'karpenter-azure'}"])
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "in the --crds aws= folders: NodePool (karpenter.sh/v1) is defined differently" in result.stderr


@pytest.mark.parametrize("command", ["render", "diff"])
def test_a_scope_that_is_not_a_provider_is_a_usage_error(tmp_path: Path, command: str) -> None:
    args = ["-o", str(tmp_path / "out")] if command == "render" else ["--against", str(tmp_path / "old")]
    result = run_cli([command, str(EXAMPLE_TREE), *args, "--crds", f"gcp={tmp_path}"])
    assert result.exit_code == 2, result.stdout + result.stderr
    assert (f"--crds 'gcp={tmp_path}': 'gcp' is not a provider; a scope is one of aws, azure "
            "(--crds aws=DIR, --crds azure=DIR), and --crds DIR is for every cluster") in result.stderr


def test_a_folder_with_an_equals_sign_is_a_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "team=crds").mkdir()
    (tmp_path / "v=1").mkdir()
    monkeypatch.chdir(tmp_path)
    assert parse_crds_option(["team=crds", str(tmp_path / "v=1"), "aws=a", "azure=b/c=d"]) == (
        (Path("team=crds"), tmp_path / "v=1"), (("aws", Path("a")), ("azure", Path("b/c=d"))))
    # A folder whose name starts with a provider's scope is written with a path in front of it.
    assert parse_crds_option(["./aws=x"]) == ((Path("aws=x"),), ())
    with pytest.raises(UsageError, match="no folder after aws="):
        parse_crds_option(["aws="])


def test_a_missing_scoped_folder_is_named_with_its_scope(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"--crds 'azure=.*nowhere' is not a folder"):
        check_crd_folders((), (("azure", tmp_path / "nowhere"),))


def test_identical_definitions_in_one_scope_are_fine(tmp_path: Path, upstream_crds: Path) -> None:
    copy = tmp_path / "karpenter-copy"
    shutil.copytree(upstream_crds / PROVIDER_CRD_FOLDERS["aws"], copy)
    check_crd_folders((upstream_crds / "karpenter", copy), ())
    # The shared folders once for every cluster, each Karpenter for its own cloud: no conflict.
    check_crd_folders(tuple(shared_crd_dirs(upstream_crds)),
                      tuple((provider, upstream_crds / folder) for provider, folder in PROVIDER_CRD_FOLDERS.items()))


def test_a_conflict_added_after_a_good_run_is_caught(tmp_path: Path, upstream_crds: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The check is remembered in the cache for the same files in the same scopes, and only for those."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    aws = tmp_path / "aws-crds"
    shutil.copytree(upstream_crds / PROVIDER_CRD_FOLDERS["aws"], aws)
    args = ["render", str(EXAMPLE_TREE), "-o", str(tmp_path / "out"), "--tier", "playground",
            *[arg for folder in shared_crd_dirs(upstream_crds) for arg in ("--crds", str(folder))], "--crds", f"aws={aws}"]
    assert run_cli(args).exit_code == 0
    assert run_cli(args).exit_code == 0
    shutil.copy(upstream_crds / PROVIDER_CRD_FOLDERS["azure"] / "karpenter.sh_nodepools.yaml", aws / "zz-nodepools.yaml")
    result = run_cli_process(args)  # a new process, as each run is: nothing loaded by the runs before
    assert result.exit_code == 2, result.stdout + result.stderr
    assert f"in the --crds aws= folders: NodePool (karpenter.sh/v1) is defined differently in {aws}" in result.stderr


def test_a_clouds_own_nodepool_crd_comes_before_the_one_for_every_cluster(upstream_crds: Path) -> None:
    every_cluster = [upstream_crds / PROVIDER_CRD_FOLDERS["azure"]]
    aws = ManifestValidator.create(every_cluster, "1.31.0", provider_crd_dirs=[upstream_crds / PROVIDER_CRD_FOLDERS["aws"]])
    azure = ManifestValidator.create(every_cluster, "1.31.0")
    pool = {"apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": {"name": "p"}, "spec": {"template": {
        "spec": {"nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "apps"},
                 "requirements": [{"key": "karpenter.k8s.aws/not-a-label", "operator": "Exists"}]}}}}
    assert [f"{p.path}: {p.message}" for p in aws.check(pool)] == [AWS_RULE]
    assert azure.check(pool) == []  # what checking an aws pool against Azure's CRD lets by
