"""Provider checks: a cluster's Karpenter settings and node pools against its account's cloud.

A Cluster or NodePool document does not say which cloud it runs on: its account does. So these
checks read the merged fleet, and each finding names the provider, where it comes from and what
that provider allows. Without them a setting of the other cloud would be left out of the rendered
node class without a word (an azure pool's m6i.large would simply never match a VM).
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterator
from typing import Any

from tenantgen.findings import Finding
from tenantgen.load import Document
from tenantgen.merge import ClusterModel, TenantModel
from tenantgen.validate.placing import at

AWS = "aws"
AZURE = "azure"
# A cluster whose account folder has no account.yaml is on aws: every such tree was an AWS tree
# before providers were told apart, and its node pools keep rendering as they did.
DEFAULT_PROVIDER = AWS

# Cluster.spec.karpenter fields by provider (schemas/cluster.schema.json says the same in each
# field's description); spec.clusterDNS only reaches nodes through the EC2NodeClass.
KARPENTER_FIELDS = {
    AWS: ("role", "instanceProfile", "subnetSelector", "securityGroupSelector", "amiAlias"),
    AZURE: ("imageFamily", "osDiskSizeGB", "vnetSubnetID", "maxPods", "tags"),
}
AWS_REQUIRED = ("subnetSelector", "securityGroupSelector", "amiAlias")
NODE_CLASS = {AWS: "EC2NodeClass", AZURE: "AKSNodeClass"}
# The label domain of each provider's Karpenter: requirement keys below it belong to that provider.
REQUIREMENT_DOMAIN = {AWS: "karpenter.k8s.aws/", AZURE: "karpenter.azure.com/"}
# How each provider's instance types look (the NodePool schema's pattern admits both), what one is called.
INSTANCE_TYPE = {
    AWS: (re.compile(r"^[a-z0-9-]+\.[a-z0-9]+$"), "EC2 instance type", "m6i.large"),
    AZURE: (re.compile(r"^Standard_[A-Za-z0-9]+(_[A-Za-z0-9]+)*$"), "Azure VM size", "Standard_D4s_v5"),
}
CAPACITY_TYPES = {AWS: ("on-demand", "spot", "reserved"), AZURE: ("on-demand", "spot")}
# EBS volume types, the names AWS clusters give their StorageClasses: none exists on AKS.
EBS_STORAGE_CLASSES = frozenset({"gp2", "gp3", "io1", "io2", "st1", "sc1"})


def provider_of(cluster: ClusterModel) -> str:
    """The cloud of the cluster's account: its ``provider``, ``aws`` when the account has no file."""
    if cluster.account_doc is None:
        return DEFAULT_PROVIDER
    return str(cluster.account_doc.spec.get("provider", DEFAULT_PROVIDER))


def _on(cluster: ClusterModel, provider: str) -> str:
    """Where the provider comes from: ``cluster 'x' is on azure (account 'y', <its account.yaml>)``."""
    if cluster.account_doc is None:
        return f"cluster {cluster.name!r} is on {provider} (account {cluster.account!r} has no account.yaml)"
    return (f"cluster {cluster.name!r} is on {provider} (account {cluster.account!r}, "
            f"{cluster.account_doc.display_path})")


def check_providers(cluster: ClusterModel, accounts: Container[tuple[str, str]]) -> Iterator[Finding]:
    """Findings for settings of the other provider in the cluster's file and its node pools.
    ``accounts``: the (tier, account) pairs that have an account file, readable or not."""
    if cluster.account_doc is None and (cluster.tier, cluster.account) in accounts:
        return  # the account file has findings of its own: its provider is not known
    provider = provider_of(cluster)
    if provider not in KARPENTER_FIELDS:
        return
    yield from check_cluster_settings(cluster, provider)
    for name in sorted(cluster.node_pools):
        yield from check_node_pool(cluster, provider, cluster.node_pools[name])
    if provider == AZURE:
        for tenant_name in sorted(cluster.tenants):
            yield from _ebs_storage_classes(cluster, cluster.tenants[tenant_name])


def _ebs_storage_classes(cluster: ClusterModel, tenant: TenantModel) -> Iterator[Finding]:
    """A tenant on azure whose storage classes name an EBS volume type (often the tier's defaults,
    written for its aws clusters): AKS has no such class, so the tenant's claims would stay Pending."""
    choice = tenant.spec.get("storageClasses") or {}
    named: list[tuple[tuple[str | int, ...], Any]] = [(("storageClasses", "allowed", index), name)
                                                      for index, name in enumerate(choice.get("allowed") or [])]
    named.append((("storageClasses", "default"), choice.get("default")))
    for path, name in named:
        if name in EBS_STORAGE_CLASSES:
            yield at(tenant, path, f"storage class {name!r} is an EBS volume type, but {_on(cluster, AZURE)}; "
                     f"AKS's own classes are managed-csi, managed-csi-premium, azurefile-csi, ... (set "
                     f"storageClasses in the cluster's defaults)", "provider")


def check_cluster_settings(cluster: ClusterModel, provider: str) -> Iterator[Finding]:
    doc = cluster.cluster_doc
    karpenter = cluster.spec.get("karpenter")
    allowed = ", ".join(KARPENTER_FIELDS[provider])
    if isinstance(karpenter, dict):
        for other, fields in KARPENTER_FIELDS.items():
            if other == provider:
                continue
            for field in fields:
                if field in karpenter:
                    yield doc.finding(("spec", "karpenter", field), (
                        f"{field} is an {other} setting ({NODE_CLASS[other]}), but {_on(cluster, provider)}; "
                        f"spec.karpenter on {provider} allows: {allowed}"), "provider")
        if provider == AWS:
            yield from _aws_requirements(cluster, karpenter)
    if provider == AZURE and "clusterDNS" in cluster.spec:
        yield doc.finding(("spec", "clusterDNS"), (
            f"clusterDNS is an aws setting (the EC2NodeClass's kubelet.clusterDNS), but {_on(cluster, provider)}; "
            "AKS sets its nodes' cluster DNS itself: remove it"), "provider")


def _aws_requirements(cluster: ClusterModel, karpenter: dict[str, Any]) -> Iterator[Finding]:
    """What an EC2NodeClass needs. Not in the Cluster schema, which cannot know the provider: there an
    azure cluster's stray ``role`` would bring "amiAlias missing" instead of the finding that says why."""
    doc = cluster.cluster_doc
    if not any(field in karpenter for field in KARPENTER_FIELDS[AWS]):
        yield doc.finding(("spec", "karpenter"), (
            f"{_on(cluster, AWS)}: its EC2NodeClass needs role or instanceProfile, subnetSelector, "
            "securityGroupSelector and amiAlias in spec.karpenter"), "provider")
        return
    if "role" in karpenter and "instanceProfile" in karpenter:
        yield doc.finding(("spec", "karpenter"), "set exactly one of 'role' or 'instanceProfile', not 'role' and "
                                                 "'instanceProfile' together", "schema")
    elif "role" not in karpenter and "instanceProfile" not in karpenter:
        yield doc.finding(("spec", "karpenter"), "missing required field: set exactly one of 'role' or "
                                                 "'instanceProfile'", "schema")
    for field in AWS_REQUIRED:
        if field not in karpenter:
            yield doc.finding(("spec", "karpenter", field), f"missing required field {field!r}", "schema")


def check_node_pool(cluster: ClusterModel, provider: str, pool: Document) -> Iterator[Finding]:
    spec = pool.spec
    found = spec.get("instances")
    instances: dict[str, Any] = found if isinstance(found, dict) else {}
    _, kind, example = INSTANCE_TYPE[provider]
    for index, value in enumerate(instances.get("instanceTypes") or []):
        other = _provider_of_instance_type(str(value))
        if other is not None and other != provider:
            yield pool.finding(("spec", "instances", "instanceTypes", index), (
                f"{value!r} is an {INSTANCE_TYPE[other][1]}, but {_on(cluster, provider)}; {provider} node pools "
                f"take {kind}s such as {example}"), "provider")
    for index, value in enumerate(instances.get("capacityTypes") or []):
        if value not in CAPACITY_TYPES[provider]:
            yield pool.finding(("spec", "instances", "capacityTypes", index), (
                f"capacity type {value!r} is not offered on {provider}: {_on(cluster, provider)}; "
                f"allowed: {', '.join(CAPACITY_TYPES[provider])}"), "provider")
    for index, requirement in enumerate(spec.get("requirements") or []):
        key = str(requirement.get("key", "")) if isinstance(requirement, dict) else ""
        problem = _values_problem(requirement) if isinstance(requirement, dict) else None
        if problem:
            yield pool.finding(("spec", "requirements", index), problem, "requirement")
        for other, domain in REQUIREMENT_DOMAIN.items():
            if other != provider and key.startswith(domain):
                yield pool.finding(("spec", "requirements", index, "key"), (
                    f"{key!r} is a label of {other}'s Karpenter, but {_on(cluster, provider)}; {provider} node "
                    f"pools select by {REQUIREMENT_DOMAIN[provider]}... keys"), "provider")


def _values_problem(requirement: dict[str, Any]) -> str | None:
    """What the NodePool CRD's rules (CEL, which the object check does not run) would refuse."""
    operator, values = requirement.get("operator"), requirement.get("values")
    if operator in ("Exists", "DoesNotExist") and values is not None:
        return f"operator {operator} takes no values: remove values"
    if operator in ("In", "NotIn") and not values:
        return f"operator {operator} needs at least one value in values"
    if operator in ("Gt", "Lt") and (not isinstance(values, list) or len(values) != 1
                                     or not str(values[0]).isdigit()):
        return f"operator {operator} takes exactly one whole number in values, e.g. values: [\"4\"]"
    return None


def _provider_of_instance_type(value: str) -> str | None:
    for provider, (pattern, _, _) in INSTANCE_TYPE.items():
        if pattern.match(value):
            return provider
    return None
