"""The karpenter-nodepool chart on an azure account: a NodePool that points at an AKSNodeClass, checked
against Azure's own CRDs (../shared/crds/karpenter-azure), and aws objects against AWS's."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from tenantgen.render import ManifestValidator
from tenantgen.yamlio.reader import load_rendered
from tests.helpers import EXAMPLE_TREE, run_cli
from tests.support.upstream_crds import provider_crd_dirs
from tests.test_charts import KUBE_VERSION, PREFIX, _yaml, by_kind, load_values, one, render

SUBNET = ("/subscriptions/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0/resourceGroups/aks-prod-weu/providers/"
          "Microsoft.Network/virtualNetworks/aks-vnet/subnets/nodes")


@pytest.fixture(scope="module")
def azure_validator(upstream_crds: Path) -> ManifestValidator:
    return ManifestValidator.create(provider_crd_dirs(upstream_crds, "azure"), KUBE_VERSION)


@pytest.fixture(scope="module")
def aws_validator(upstream_crds: Path) -> ManifestValidator:
    return ManifestValidator.create(provider_crd_dirs(upstream_crds, "aws"), KUBE_VERSION)


def test_each_provider_loads_its_own_nodepool_crd(upstream_crds: Path) -> None:
    azure = [path.name for path in provider_crd_dirs(upstream_crds, "azure")]
    aws = [path.name for path in provider_crd_dirs(upstream_crds, "aws")]
    assert "karpenter-azure" in azure and "karpenter" not in azure
    assert "karpenter" in aws and "karpenter-azure" not in aws


def test_azure_pool_renders_a_nodepool_and_an_aks_node_class() -> None:
    objects = render("karpenter-nodepool", load_values("nodepool-azure"))
    assert sorted(o["kind"] for o in objects) == ["AKSNodeClass", "NodePool"]
    assert by_kind(objects, "EC2NodeClass") == []
    pool = one(objects, "NodePool")
    template = pool["spec"]["template"]
    assert template["spec"]["nodeClassRef"] == {"group": "karpenter.azure.com", "kind": "AKSNodeClass", "name": "apps"}
    assert template["spec"]["requirements"] == [
        {"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["spot", "on-demand"]},
        {"key": "node.kubernetes.io/instance-type", "operator": "In", "values": ["Standard_D4s_v5", "Standard_D8s_v5"]},
        {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]},
        {"key": "karpenter.azure.com/sku-family", "operator": "In", "values": ["D"]},
        {"key": "karpenter.azure.com/sku-cpu", "operator": "Lt", "values": ["33"]},
        {"key": "karpenter.azure.com/sku-gpu-name", "operator": "DoesNotExist"},
    ]
    # What aws pools have, azure pools keep: taint, labels, cost code, limits, disruption, expiry, weight.
    assert template["metadata"]["labels"] == {f"{PREFIX}/node-pool": "apps", f"{PREFIX}/cost-code": "CC-3000",
                                              "workload": "general"}
    assert template["spec"]["taints"] == [{"key": f"{PREFIX}/node-pool", "value": "apps", "effect": "NoSchedule"}]
    assert template["spec"]["expireAfter"] == "720h"
    assert pool["spec"]["disruption"] == {"consolidationPolicy": "WhenEmptyOrUnderutilized", "consolidateAfter": "600s"}
    assert pool["spec"]["limits"] == {"cpu": "128", "memory": "512Gi"}
    assert pool["spec"]["weight"] == 20

    node_class = one(objects, "AKSNodeClass")
    assert node_class["apiVersion"] == "karpenter.azure.com/v1beta1"
    assert node_class["metadata"]["name"] == "apps"
    # Cost tags win over the pool's tags, which win over the cluster's.
    assert node_class["spec"] == {
        "imageFamily": "AzureLinux", "osDiskSizeGB": 128, "vnetSubnetID": SUBNET, "maxPods": 110,
        "tags": {"CostCode": "CC-3000", "NodePool": "apps", "Project": "prod", "Team": "platform",
                 "environment": "prod"},
    }


def test_unset_azure_settings_are_left_to_karpenter() -> None:
    values = load_values("nodepool-azure")
    values["karpenter"].update(imageFamily="", osDiskSizeGB=0, vnetSubnetID="", maxPods=0, tags={})
    values["nodePool"]["tags"] = {}
    del values["nodePool"]["requirements"]
    objects = render("karpenter-nodepool", values)
    assert one(objects, "AKSNodeClass")["spec"] == {"tags": {"CostCode": "CC-3000", "NodePool": "apps",
                                                             "Project": "prod"}}
    keys = [r["key"] for r in one(objects, "NodePool")["spec"]["template"]["spec"]["requirements"]]
    assert keys == ["karpenter.sh/capacity-type", "node.kubernetes.io/instance-type", "kubernetes.io/arch"]


def test_azure_objects_validate_against_azures_crds(azure_validator: ManifestValidator) -> None:
    for obj in render("karpenter-nodepool", load_values("nodepool-azure")):
        assert azure_validator.check(obj) == [], obj["kind"]


def _set(obj: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(obj)
    target = changed
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return changed


@pytest.mark.parametrize(("path", "value", "where"), [
    (("spec", "osDiskSizeGB"), 20, "$.spec.osDiskSizeGB"),
    (("spec", "maxPods"), 251, "$.spec.maxPods"),
    (("spec", "imageFamily"), "Ubuntu2004", "$.spec.imageFamily"),
    (("spec", "vnetSubnetID"), "subnet-0abc", "$.spec.vnetSubnetID"),
    (("spec", "amiSelectorTerms"), [{"alias": "al2023@latest"}], "$.spec.amiSelectorTerms"),
])
def test_azures_crd_catches_what_tenantgen_must_never_write(azure_validator: ManifestValidator,
                                                            path: tuple[str, ...], value: Any, where: str) -> None:
    """The check the test above relies on can fail: the AKSNodeClass CRD's own bounds."""
    node_class = one(render("karpenter-nodepool", load_values("nodepool-azure")), "AKSNodeClass")
    problems = azure_validator.check(_set(node_class, path, value))
    assert problems and problems[0].path == where


def test_aws_objects_validate_against_aws_crds(aws_validator: ManifestValidator) -> None:
    for name in ("nodepool-role", "nodepool-instance-profile"):
        objects = render("karpenter-nodepool", load_values(name))
        assert sorted(o["kind"] for o in objects) == ["EC2NodeClass", "NodePool"]
        for obj in objects:
            assert aws_validator.check(obj) == [], (name, obj["kind"])


def test_a_pool_without_account_provider_renders_as_aws() -> None:
    values = load_values("nodepool-role")
    values["context"]["account"]["provider"] = ""
    objects = render("karpenter-nodepool", values)
    assert sorted(o["kind"] for o in objects) == ["EC2NodeClass", "NodePool"]


def test_every_example_object_validates_against_its_own_providers_crds(tmp_path: Path, upstream_crds: Path,
                                                                       azure_validator: ManifestValidator,
                                                                       aws_validator: ManifestValidator) -> None:
    """The example tree as rendered: each cluster's objects against the CRDs of its account's cloud."""
    result = run_cli(["render", str(EXAMPLE_TREE), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.stdout + result.stderr
    validators = {"aws": aws_validator, "azure": azure_validator}
    kinds: dict[str, set[str]] = {"aws": set(), "azure": set()}
    for account_file in sorted(EXAMPLE_TREE.glob("*/*/account.yaml")):
        provider = _yaml.load(account_file.read_text())["spec"]["provider"]
        tier, account = account_file.parent.parent.name, account_file.parent.name
        for manifest in sorted((tmp_path / "out" / tier / account).glob("*/manifests/*/*.yaml")):
            for obj in load_rendered(manifest.read_text()):
                kinds[provider].add(obj["kind"])
                assert validators[provider].check(obj) == [], manifest
    assert {"NodePool", "EC2NodeClass"} <= kinds["aws"] and "AKSNodeClass" not in kinds["aws"]
    assert {"NodePool", "AKSNodeClass"} <= kinds["azure"] and "EC2NodeClass" not in kinds["azure"]
