"""The example tree's clusters get objects that exist on their own cloud: checked on the golden output,
which tests/test_render.py keeps equal to a render of the example tree."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tenantgen.yamlio import load_all
from tests.helpers import REPO_ROOT

GOLDEN = REPO_ROOT / "tests" / "golden" / "example"
AKS_CLUSTER = GOLDEN / "prod" / "prod-azure" / "prod-weu1"
# Storage classes backed by EBS volumes: an AKS cluster has none of them, so a PVC naming one stays Pending.
EBS_CLASSES = {"gp2", "gp3", "io1", "io2", "st1", "sc1"}


def capsule_tenants(cluster: Path) -> list[dict[str, Any]]:
    return [doc for path in sorted(cluster.glob("manifests/*-tenant/tenant-*.yaml"))
            for doc in load_all(path.read_bytes()) if doc and doc.get("kind") == "Tenant"]


def test_the_aks_clusters_tenants_get_an_azure_disk_storage_class() -> None:
    tenants = capsule_tenants(AKS_CLUSTER)
    assert [t["metadata"]["name"] for t in tenants] == ["analytics", "checkout"]
    for tenant in tenants:
        classes = tenant["spec"]["storageClasses"]
        assert classes["default"] == "managed-csi", tenant["metadata"]["name"]
        assert not EBS_CLASSES & set(classes["allowed"]), tenant["metadata"]["name"]


def test_the_eks_clusters_tenants_keep_gp3_only() -> None:
    for cluster in sorted((GOLDEN / "prod" / "prod-aws").iterdir()):
        for tenant in capsule_tenants(cluster):
            assert tenant["spec"]["storageClasses"]["allowed"] == ["gp3"], (cluster.name, tenant["metadata"]["name"])
