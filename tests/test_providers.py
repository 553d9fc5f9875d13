"""Provider-aware clusters and node pools: an azure account's pools render as AKSNodeClasses, and every
setting of the other cloud is a finding with its file:line that names the provider and what it allows."""

from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.helpers import read_tree, run_cli
from tests.support.upstream_crds import provider_crd_dirs
from tests.test_checks import at
from tests.trees import (
    ACCOUNT,
    ACCOUNT_YAML,
    ALPHA,
    APPS_POOL,
    CLUSTER,
    CLUSTER_YAML,
    POOL_YAML,
    build_tree,
    lines,
    shown,
    tenant_yaml,
)

SUBSCRIPTION = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
SUBNET = (f"/subscriptions/{SUBSCRIPTION}/resourceGroups/aks-dev/providers/Microsoft.Network/virtualNetworks/"
          "aks-vnet/subnets/nodes")
AZURE_ACCOUNT = ACCOUNT_YAML.replace("provider: aws", "provider: azure").replace(
    'id: "111111111111"', f'id: "{SUBSCRIPTION}"').replace("region: eu-west-1", "region: westeurope")
# The aws cluster's karpenter block, as trees.CLUSTER_YAML writes it.
AWS_KARPENTER = CLUSTER_YAML[CLUSTER_YAML.index("  karpenter:\n"):CLUSTER_YAML.index("  defaults:\n")]
AZURE_KARPENTER = f"""\
  karpenter:
    imageFamily: AzureLinux
    osDiskSizeGB: 128
    vnetSubnetID: {SUBNET}
    maxPods: 110
    tags:
      environment: dev
"""
AZURE_CLUSTER = CLUSTER_YAML.replace(AWS_KARPENTER, AZURE_KARPENTER).replace("region: eu-west-1", "region: westeurope")
AZURE_POOL = POOL_YAML.replace("    architectures: [amd64]\n", """\
    architectures: [amd64]
    instanceTypes: [Standard_D4s_v5, Standard_D8s_v5]
  requirements:
    - key: karpenter.azure.com/sku-family
      operator: In
      values: [D]
""")
_yaml = YAML(typ="safe", pure=True)
ON_AZURE = f"cluster 'dev-euw1' is on azure (account 'dev-aws', {shown(ACCOUNT)})"
ON_AWS = f"cluster 'dev-euw1' is on aws (account 'dev-aws', {shown(ACCOUNT)})"
AZURE_ALLOWS = "spec.karpenter on azure allows: imageFamily, osDiskSizeGB, vnetSubnetID, maxPods, tags"


def azure_tree(tmp_path: Path, **changes: str | None) -> Path:
    files: dict[str, str | bytes | None] = {ACCOUNT: AZURE_ACCOUNT, CLUSTER: AZURE_CLUSTER, APPS_POOL: AZURE_POOL}
    files.update({{"cluster": CLUSTER, "pool": APPS_POOL, "account": ACCOUNT}[key]: text
                  for key, text in changes.items()})
    return build_tree(tmp_path, files)


def test_an_azure_cluster_validates(tmp_path: Path) -> None:
    assert lines(azure_tree(tmp_path)) == []


def test_an_azure_cluster_renders_aks_node_classes_that_azures_crds_accept(tmp_path: Path,
                                                                            upstream_crds: Path) -> None:
    root = azure_tree(tmp_path)
    crds = [arg for folder in provider_crd_dirs(upstream_crds, "azure") for arg in ("--crds", str(folder))]
    result = run_cli(["render", str(root), "-o", str(tmp_path / "out"), *crds])
    assert result.exit_code == 0, result.stdout + result.stderr
    manifests = tmp_path / "out" / "dev" / "dev-aws" / "dev-euw1" / "manifests" / "apps-nodepool"
    assert sorted(path.name for path in manifests.iterdir()) == ["aksnodeclass-apps.yaml", "nodepool-apps.yaml"]
    node_class = _yaml.load((manifests / "aksnodeclass-apps.yaml").read_text())
    assert node_class["apiVersion"] == "karpenter.azure.com/v1beta1"
    assert node_class["spec"] == {"imageFamily": "AzureLinux", "osDiskSizeGB": 128, "vnetSubnetID": SUBNET,
                                  "maxPods": 110, "tags": {"CostCode": "CC-1000", "NodePool": "apps",
                                                           "Project": "dev", "environment": "dev"}}
    pool = _yaml.load((manifests / "nodepool-apps.yaml").read_text())
    assert pool["spec"]["template"]["spec"]["nodeClassRef"] == {"group": "karpenter.azure.com",
                                                                "kind": "AKSNodeClass", "name": "apps"}


def test_aws_setting_on_an_azure_cluster(tmp_path: Path) -> None:
    text = AZURE_CLUSTER.replace("    maxPods: 110\n", "    maxPods: 110\n    amiAlias: al2023@latest\n")
    assert lines(azure_tree(tmp_path, cluster=text)) == [
        f"{at(CLUSTER, text, 'amiAlias')}: $.spec.karpenter.amiAlias: amiAlias is an aws setting (EC2NodeClass), "
        f"but {ON_AZURE}; {AZURE_ALLOWS}",
    ]


def test_a_whole_aws_block_on_an_azure_cluster_names_every_field(tmp_path: Path) -> None:
    text = AZURE_CLUSTER.replace(AZURE_KARPENTER, AWS_KARPENTER)
    found = lines(azure_tree(tmp_path, cluster=text))
    assert [line.split(": ")[1] for line in found] == [
        "$.spec.karpenter.role", "$.spec.karpenter.subnetSelector", "$.spec.karpenter.securityGroupSelector",
        "$.spec.karpenter.amiAlias"]
    assert all(ON_AZURE in line for line in found)


def test_azure_setting_on_an_aws_cluster(tmp_path: Path) -> None:
    text = CLUSTER_YAML.replace("    amiAlias: al2023@latest\n", "    amiAlias: al2023@latest\n    maxPods: 110\n")
    assert lines(build_tree(tmp_path, {CLUSTER: text})) == [
        f"{at(CLUSTER, text, 'maxPods')}: $.spec.karpenter.maxPods: maxPods is an azure setting (AKSNodeClass), "
        f"but {ON_AWS}; spec.karpenter on aws allows: role, instanceProfile, subnetSelector, securityGroupSelector, "
        "amiAlias",
    ]


def test_an_aws_cluster_with_only_azure_settings_is_told_what_aws_needs(tmp_path: Path) -> None:
    text = CLUSTER_YAML.replace(AWS_KARPENTER, "  karpenter:\n    imageFamily: Ubuntu\n")
    found = lines(build_tree(tmp_path, {CLUSTER: text}))
    assert found == [
        (f"{at(CLUSTER, text, 'karpenter')}: $.spec.karpenter: {ON_AWS}: its EC2NodeClass needs role or "
         "instanceProfile, subnetSelector, securityGroupSelector and amiAlias in spec.karpenter"),
        (f"{at(CLUSTER, text, 'imageFamily')}: $.spec.karpenter.imageFamily: imageFamily is an azure setting "
         f"(AKSNodeClass), but {ON_AWS}; spec.karpenter on aws allows: role, instanceProfile, subnetSelector, "
         "securityGroupSelector, amiAlias"),
    ]


@pytest.mark.parametrize(("change", "found"), [
    (("    role: KarpenterNodeRole-dev-euw1\n", "    role: KarpenterNodeRole-dev-euw1\n    instanceProfile: Profile\n"),
     ["karpenter: $.spec.karpenter: set exactly one of 'role' or 'instanceProfile', not 'role' and "
      "'instanceProfile' together"]),
    (("    role: KarpenterNodeRole-dev-euw1\n", ""),
     ["karpenter: $.spec.karpenter: missing required field: set exactly one of 'role' or 'instanceProfile'"]),
    (("    amiAlias: al2023@latest\n", ""),
     ["karpenter: $.spec.karpenter.amiAlias: missing required field 'amiAlias'"]),
])
def test_an_aws_cluster_needs_what_its_ec2_node_class_needs(tmp_path: Path, change: tuple[str, str],
                                                           found: list[str]) -> None:
    text = CLUSTER_YAML.replace(*change)
    line = at(CLUSTER, text, "karpenter")
    assert lines(build_tree(tmp_path, {CLUSTER: text})) == [f"{line}: {item.split(': ', 1)[1]}" for item in found]


def test_a_stray_aws_field_on_an_azure_cluster_is_named_not_taken_for_an_incomplete_aws_block(
        tmp_path: Path) -> None:
    text = AZURE_CLUSTER.replace(AZURE_KARPENTER, "  karpenter:\n    role: KarpenterNodeRole-dev-euw1\n")
    assert lines(azure_tree(tmp_path, cluster=text)) == [
        f"{at(CLUSTER, text, 'role')}: $.spec.karpenter.role: role is an aws setting (EC2NodeClass), but {ON_AZURE}; "
        f"{AZURE_ALLOWS}",
    ]


def test_cluster_dns_on_an_azure_cluster(tmp_path: Path) -> None:
    text = AZURE_CLUSTER.replace('  kubeVersion: "1.31"\n', '  kubeVersion: "1.31"\n  clusterDNS: 10.0.0.10\n')
    assert lines(azure_tree(tmp_path, cluster=text)) == [
        f"{at(CLUSTER, text, 'clusterDNS')}: $.spec.clusterDNS: clusterDNS is an aws setting (the EC2NodeClass's "
        f"kubelet.clusterDNS), but {ON_AZURE}; AKS sets its nodes' cluster DNS itself: remove it",
    ]


def test_ec2_instance_type_on_azure(tmp_path: Path) -> None:
    text = AZURE_POOL.replace("[Standard_D4s_v5, Standard_D8s_v5]", "[Standard_D4s_v5, m6i.large]")
    assert lines(azure_tree(tmp_path, pool=text)) == [
        f"{at(APPS_POOL, text, 'm6i.large')}: $.spec.instances.instanceTypes[1]: 'm6i.large' is an EC2 "
        f"instance type, but {ON_AZURE}; azure node pools take Azure VM sizes such as Standard_D4s_v5",
    ]


def test_vm_size_on_aws(tmp_path: Path) -> None:
    text = POOL_YAML.replace("    architectures: [amd64]\n",
                             "    architectures: [amd64]\n    instanceTypes:\n      - Standard_D4s_v5\n")
    assert lines(build_tree(tmp_path, {APPS_POOL: text})) == [
        f"{at(APPS_POOL, text, 'Standard_D4s_v5')}: $.spec.instances.instanceTypes[0]: 'Standard_D4s_v5' is an "
        f"Azure VM size, but {ON_AWS}; aws node pools take EC2 instance types such as m6i.large",
    ]


def test_azure_requirement_key_on_aws(tmp_path: Path) -> None:
    text = POOL_YAML + "  requirements:\n    - key: karpenter.azure.com/sku-family\n      operator: In\n      values: [D]\n"
    assert lines(build_tree(tmp_path, {APPS_POOL: text})) == [
        f"{at(APPS_POOL, text, 'key:')}: $.spec.requirements[0].key: 'karpenter.azure.com/sku-family' "
        f"is a label of azure's Karpenter, but {ON_AWS}; aws node pools select by karpenter.k8s.aws/... keys",
    ]


def test_aws_requirement_key_on_azure(tmp_path: Path) -> None:
    text = AZURE_POOL.replace("karpenter.azure.com/sku-family", "karpenter.k8s.aws/instance-family")
    assert lines(azure_tree(tmp_path, pool=text)) == [
        f"{at(APPS_POOL, text, 'key:')}: $.spec.requirements[0].key: 'karpenter.k8s.aws/instance-family' "
        f"is a label of aws's Karpenter, but {ON_AZURE}; azure node pools select by karpenter.azure.com/... keys",
    ]


def test_reserved_capacity_on_azure(tmp_path: Path) -> None:
    text = AZURE_POOL.replace("capacityTypes: [on-demand]", "capacityTypes: [on-demand, reserved]")
    assert lines(azure_tree(tmp_path, pool=text)) == [
        f"{at(APPS_POOL, text, 'reserved')}: $.spec.instances.capacityTypes[1]: capacity type 'reserved' is "
        f"not offered on azure: {ON_AZURE}; allowed: on-demand, spot",
    ]


def test_azure_pools_need_a_karpenter_block_which_may_be_empty(tmp_path: Path) -> None:
    without = AZURE_CLUSTER.replace(AZURE_KARPENTER, "")
    assert lines(azure_tree(tmp_path / "a", cluster=without)) == [
        f"{shown(APPS_POOL)}:2:1: $.kind: node pool 'apps' needs spec.karpenter in {shown(CLUSTER)} ({{}} or "
        "imageFamily, osDiskSizeGB, vnetSubnetID, maxPods, tags): tenantgen renders node pools as Karpenter NodePools",
    ]
    empty = AZURE_CLUSTER.replace(AZURE_KARPENTER, "  karpenter: {}\n")
    assert lines(azure_tree(tmp_path / "b", cluster=empty)) == []


@pytest.mark.parametrize(("tags", "field", "message"), [
    ("{'a<b': x}", "tags", 'key "a<b" is not allowed: must match pattern ^[^<>%&?\\\\]{1,512}$'),
    ("{'a?b': x}", "tags", 'key "a?b" is not allowed'),
    ("{'back\\\\slash': x}", "tags", "is not allowed"),
    (f"{{{'k' * 513}: x}}", "tags", "is not allowed"),
    (f"{{key: {'v' * 257}}}", "tags.key", "too long (at most 256 characters)"),
])
def test_azure_tags_follow_the_aks_node_class_rules(tmp_path: Path, tags: str, field: str, message: str) -> None:
    text = AZURE_CLUSTER.replace("    tags:\n      environment: dev\n", f"    tags: {tags}\n")
    [found] = lines(azure_tree(tmp_path, cluster=text))
    line = at(CLUSTER, text, "tags").rsplit(":", 1)[0]
    assert found.startswith(f"{line}:") and f": $.spec.karpenter.{field}: " in found and message in found


def test_azure_tags_up_to_the_limits_are_fine(tmp_path: Path) -> None:
    text = AZURE_CLUSTER.replace("      environment: dev\n", f"      {'k' * 512}: {'v' * 256}\n")
    assert lines(azure_tree(tmp_path, cluster=text)) == []


@pytest.mark.parametrize(("field", "value"), [
    ("osDiskSizeGB", "29"), ("osDiskSizeGB", "2049"), ("maxPods", "9"), ("maxPods", "251"),
    ("imageFamily", "Windows2022"), ("vnetSubnetID", "subnet-0123"),
])
def test_azure_settings_out_of_range(tmp_path: Path, field: str, value: str) -> None:
    text = "\n".join(f"    {field}: {value}" if line.startswith(f"    {field}:") else line
                     for line in AZURE_CLUSTER.split("\n"))
    [found] = lines(azure_tree(tmp_path, cluster=text))
    assert found.startswith(f"{at(CLUSTER, text, field)}: $.spec.karpenter.{field}: ")


def test_a_provider_finding_fails_render_and_leaves_out_untouched(tmp_path: Path) -> None:
    root = azure_tree(tmp_path)
    out = tmp_path / "out"
    assert run_cli(["render", str(root), "-o", str(out)]).exit_code == 0
    before = read_tree(out)
    (root / APPS_POOL).write_text(AZURE_POOL.replace("Standard_D8s_v5", "m6i.large"))
    result = run_cli(["render", str(root), "-o", str(out)])
    assert result.exit_code == 1
    assert "'m6i.large' is an EC2 instance type" in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert read_tree(out) == before


@pytest.mark.parametrize(("requirement", "message"), [
    ("{key: karpenter.azure.com/sku-gpu-name, operator: Exists, values: [x]}",
     "operator Exists takes no values: remove values"),
    ("{key: karpenter.azure.com/sku-family, operator: In, values: []}",
     "operator In needs at least one value in values"),
    ("{key: karpenter.azure.com/sku-cpu, operator: Gt, values: ['4', '8']}",
     'operator Gt takes exactly one whole number in values, e.g. values: ["4"]'),
    ("{key: karpenter.azure.com/sku-cpu, operator: Lt, values: [many]}",
     'operator Lt takes exactly one whole number in values, e.g. values: ["4"]'),
])
def test_requirement_values_fit_their_operator(tmp_path: Path, requirement: str, message: str) -> None:
    text = AZURE_POOL.replace("""    - key: karpenter.azure.com/sku-family
      operator: In
      values: [D]
""", f"    - {requirement}\n")
    assert lines(azure_tree(tmp_path, pool=text)) == [
        f"{at(APPS_POOL, text, '{key')}: $.spec.requirements[0]: {message}"]


def test_requirement_keys_are_the_providers_well_known_labels(tmp_path: Path) -> None:
    text = AZURE_POOL.replace("karpenter.azure.com/sku-family", "karpenter.azure.com/aksnodeclass")
    [found] = lines(azure_tree(tmp_path, pool=text))
    assert found.startswith(f"{at(APPS_POOL, text, 'key:')}: $.spec.requirements[0].key: "
                            '"karpenter.azure.com/aksnodeclass" is not allowed; allowed: ')


def test_a_cluster_without_an_account_file_is_on_aws(tmp_path: Path) -> None:
    text = CLUSTER_YAML.replace("    amiAlias: al2023@latest\n", "    amiAlias: al2023@latest\n    maxPods: 110\n")
    assert lines(build_tree(tmp_path, {ACCOUNT: None, CLUSTER: text})) == [
        f"{at(CLUSTER, text, 'maxPods')}: $.spec.karpenter.maxPods: maxPods is an azure setting (AKSNodeClass), "
        "but cluster 'dev-euw1' is on aws (account 'dev-aws' has no account.yaml); spec.karpenter on aws allows: "
        "role, instanceProfile, subnetSelector, securityGroupSelector, amiAlias",
    ]


def test_a_broken_account_file_brings_its_own_finding_and_no_provider_guess(tmp_path: Path) -> None:
    account = AZURE_ACCOUNT.replace("provider: azure", "provider: gcp")
    found = lines(azure_tree(tmp_path, account=account))
    assert len(found) == 1 and found[0].startswith(f"{at(ACCOUNT, account, 'provider')}: $.spec.provider: ")


def test_an_ebs_storage_class_on_an_azure_cluster(tmp_path: Path) -> None:
    tenant = tenant_yaml("alpha", extra="nodePool: apps\nstorageClasses:\n  allowed: [gp3, managed-csi]\n"
                                         "  default: managed-csi\n")
    files: dict[str, str | bytes | None] = {ACCOUNT: AZURE_ACCOUNT, CLUSTER: AZURE_CLUSTER, APPS_POOL: AZURE_POOL,
                                            ALPHA: tenant}
    found = lines(build_tree(tmp_path, files))
    assert found == [
        f"{at(ALPHA, tenant, 'gp3')}: $.spec.storageClasses.allowed[0]: storage class 'gp3' is an EBS volume "
        f"type, but {ON_AZURE}; AKS's own classes are managed-csi, managed-csi-premium, azurefile-csi, ... "
        "(set storageClasses in the cluster's defaults)",
    ]


def test_an_ebs_default_storage_class_inherited_on_azure_is_named_where_it_is_set(tmp_path: Path) -> None:
    cluster = AZURE_CLUSTER.replace("    nodePool: apps\n", "    nodePool: apps\n    storageClasses: {default: gp3}\n", 1)
    found = lines(azure_tree(tmp_path, cluster=cluster))
    assert found and all(text.startswith(f"{at(CLUSTER, cluster, 'default: gp3')}: $.spec.defaults.storageClasses.default: ")
                         and "storage class 'gp3' is an EBS volume type" in text for text in found), found
    # On aws the same class is the usual one.
    aws = CLUSTER_YAML.replace("    nodePool: apps\n", "    nodePool: apps\n    storageClasses: {default: gp3}\n", 1)
    assert lines(build_tree(tmp_path / "aws", {CLUSTER: aws})) == []
