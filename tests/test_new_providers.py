"""``tenantgen new cluster`` and ``new node-pool`` know the account's provider: the hints they write are
that cloud's settings, and a setting of the other cloud is refused with the finding that says so."""

from __future__ import annotations

from pathlib import Path

from tests.test_new import assert_tree_valid, new, repo, spec_of

__all__ = ["repo"]  # the fixture, used by name

AZURE_ACCOUNT = "tiers/prod/prod-azure"
AZURE_CLUSTER = f"{AZURE_ACCOUNT}/prod-weu1"
AWS_ACCOUNT = "tiers/prod/prod-aws"
CLUSTER_SETS = ("--set", "kubeVersion=1.31")


def comments(path: Path) -> str:
    return "\n".join(line for line in path.read_text().splitlines() if line.lstrip().startswith("#"))


def test_new_azure_cluster_shows_the_aks_node_class_settings(repo: Path) -> None:
    made = new("cluster", "prod-weu2", "--in", AZURE_ACCOUNT, "--set", "hostname=prod-weu2.k8s.example.com",
               *CLUSTER_SETS)
    assert made.exit_code == 0, made.stdout + made.stderr
    path = repo / AZURE_ACCOUNT / "prod-weu2" / "cluster.yaml"
    assert spec_of(path) == {"hostname": "prod-weu2.k8s.example.com", "region": "westeurope", "kubeVersion": "1.31"}
    hints = comments(path)
    assert "AKSNodeClass" in hints and "imageFamily: AzureLinux" in hints and "vnetSubnetID:" in hints
    assert "role:" not in hints and "amiAlias" not in hints
    # A tier's defaults written for aws clusters name EBS classes: the hint shows AKS's own.
    assert "storageClasses: {allowed: [managed-csi], default: managed-csi}" in hints
    assert_tree_valid(repo)


def test_new_aws_cluster_shows_the_ec2_node_class_settings(repo: Path) -> None:
    made = new("cluster", "prod-euw2", "--in", AWS_ACCOUNT, "--set", "hostname=prod-euw2.k8s.example.com",
               *CLUSTER_SETS)
    assert made.exit_code == 0, made.stdout + made.stderr
    hints = comments(repo / AWS_ACCOUNT / "prod-euw2" / "cluster.yaml")
    assert "role: KarpenterNodeRole-prod-euw2" in hints and "amiAlias: al2023@latest" in hints
    assert "imageFamily" not in hints


def test_new_azure_cluster_with_azure_settings_joins_the_tree(repo: Path) -> None:
    made = new("cluster", "prod-weu2", "--in", AZURE_ACCOUNT, "--set", "hostname=prod-weu2.k8s.example.com",
               *CLUSTER_SETS, "--set", "karpenter.imageFamily=Ubuntu2404", "--set", "karpenter.maxPods=50")
    assert made.exit_code == 0, made.stdout + made.stderr
    path = repo / AZURE_ACCOUNT / "prod-weu2" / "cluster.yaml"
    assert spec_of(path)["karpenter"] == {"imageFamily": "Ubuntu2404", "maxPods": 50}
    pool = new("node-pool", "apps", "--in", f"{AZURE_ACCOUNT}/prod-weu2", "--set", "costCode=CC-1000",
               "--set", "instances.instanceTypes=[Standard_D4s_v5]")
    assert pool.exit_code == 0, pool.stdout + pool.stderr
    assert_tree_valid(repo)


def test_an_aws_setting_on_a_new_azure_cluster_is_refused(repo: Path) -> None:
    made = new("cluster", "prod-weu2", "--in", AZURE_ACCOUNT, "--set", "hostname=prod-weu2.k8s.example.com",
               *CLUSTER_SETS, "--set", "karpenter.role=KarpenterNodeRole-prod-weu2")
    assert made.exit_code == 1
    assert (f"{AZURE_ACCOUNT}/prod-weu2/cluster.yaml:13:5: $.spec.karpenter.role: role is an aws setting "
            "(EC2NodeClass), but cluster 'prod-weu2' is on azure (account 'prod-azure', "
            f"{AZURE_ACCOUNT}/account.yaml)") in made.stdout
    assert "nothing was written" in made.stdout
    assert not (repo / AZURE_ACCOUNT / "prod-weu2").exists()


def test_new_azure_node_pool_shows_vm_sizes_and_sku_requirements(repo: Path) -> None:
    made = new("node-pool", "gpu", "--in", AZURE_CLUSTER, "--set", "costCode=CC-1000")
    assert made.exit_code == 0, made.stdout + made.stderr
    path = repo / AZURE_CLUSTER / "node-pools" / "gpu.yaml"
    assert spec_of(path) == {"instances": {"capacityTypes": ["on-demand"], "architectures": ["amd64"]},
                             "costCode": "CC-1000"}
    hints = comments(path)
    assert "Standard_D4s_v5" in hints and "karpenter.azure.com/sku-family" in hints
    assert "m6i" not in hints and "karpenter.k8s.aws" not in hints


def test_new_aws_node_pool_shows_ec2_types_and_aws_requirements(repo: Path) -> None:
    made = new("node-pool", "gpu", "--in", f"{AWS_ACCOUNT}/prod-euw1", "--set", "costCode=CC-1000")
    assert made.exit_code == 0, made.stdout + made.stderr
    hints = comments(repo / AWS_ACCOUNT / "prod-euw1" / "node-pools" / "gpu.yaml")
    assert "m6i.large" in hints and "karpenter.k8s.aws/instance-category" in hints and "Standard_" not in hints


def test_an_ec2_instance_type_in_a_new_azure_node_pool_is_refused(repo: Path) -> None:
    made = new("node-pool", "gpu", "--in", AZURE_CLUSTER, "--set", "costCode=CC-1000",
               "--set", "instances.instanceTypes=[m6i.large]")
    assert made.exit_code == 1
    assert ("$.spec.instances.instanceTypes[0]: 'm6i.large' is an EC2 instance type, but cluster 'prod-weu1' is on "
            "azure") in made.stdout
    assert not (repo / AZURE_CLUSTER / "node-pools" / "gpu.yaml").exists()


def test_an_azure_requirement_in_a_new_aws_node_pool_is_refused(repo: Path) -> None:
    made = new("node-pool", "gpu", "--in", f"{AWS_ACCOUNT}/prod-euw1", "--set", "costCode=CC-1000",
               "--set", "requirements=[{key: karpenter.azure.com/sku-family, operator: In, values: ['N']}]")
    assert made.exit_code == 1
    assert "'karpenter.azure.com/sku-family' is a label of azure's Karpenter, but cluster 'prod-euw1' is on aws" \
        in made.stdout
