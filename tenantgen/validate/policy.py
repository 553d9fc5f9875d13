"""Tenant policy the platform sets and a tenant may only tighten: PriorityClasses, StorageClasses and
the Pod Security level of its namespaces.

The tier's guardrail lists (``allowedPriorityClasses``, ``allowedStorageClasses``) and the cluster's or
tier's ``podSecurity`` are the platform's word; a tenant's file may narrow a list or ask for a stricter
level, and anything wider or looser is a finding at the line that set it. A cluster must also be new
enough for the admission policy that holds every tenant's Certificates and routes to its host names.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tenantgen.findings import Finding
from tenantgen.json_path import JsonPath
from tenantgen.load import Document
from tenantgen.merge import ClusterModel, TenantModel
from tenantgen.validate.placing import at

# Loosest first: a level's index is its strictness.
POD_SECURITY_LEVELS = ("privileged", "baseline", "restricted")
# The tenant field -> the tier guardrail that bounds it, and the kind of class it names.
CLASS_FIELDS = {
    "priorityClasses": ("allowedPriorityClasses", "priority class"),
    "storageClasses": ("allowedStorageClasses", "storage class"),
}

# The host-name rule is a ValidatingAdmissionPolicy, served as admissionregistration.k8s.io/v1 from 1.30.
POLICY_KUBE_VERSION = (1, 30)
_KUBE_MINOR = re.compile(r"^v?(\d+)\.(\d+)")


@dataclass(frozen=True)
class PlatformLevel:
    """The Pod Security level the platform enforces on a cluster's tenant namespaces, and where it is set."""

    level: str
    doc: Document
    path: JsonPath

    def where(self) -> str:
        line, _ = self.doc.locate(self.path)
        return f"{self.doc.display_path}:{line}"


def platform_pod_security(cluster: ClusterModel) -> PlatformLevel | None:
    """The cluster's ``podSecurity``, else the tier's; None when neither sets one."""
    for doc in (cluster.cluster_doc, cluster.tier_doc):
        level = doc.spec.get("podSecurity")
        if isinstance(level, str):
            return PlatformLevel(level, doc, ("spec", "podSecurity"))
    return None


def strictness(level: str) -> int:
    return POD_SECURITY_LEVELS.index(level) if level in POD_SECURITY_LEVELS else -1


def tenant_pod_security(cluster: ClusterModel, tenant: TenantModel) -> str:
    """The level enforced on the tenant's namespaces: the stricter of the platform's and the tenant's
    own ("" when neither sets one). A looser tenant level is a finding and never loosens the result."""
    platform = platform_pod_security(cluster)
    levels = [level for level in (platform.level if platform else "", str(tenant.spec.get("podSecurity") or ""))
              if level in POD_SECURITY_LEVELS]
    return max(levels, key=strictness, default="")


def tenant_classes(cluster: ClusterModel, tenant: TenantModel, field: str) -> dict[str, Any]:
    """What the Capsule Tenant's ``priorityClasses``/``storageClasses`` says: ``allowed`` (the tenant's
    list, else the tier's guardrail list; absent when neither is set: any class) and ``default``."""
    guardrail, _ = CLASS_FIELDS[field]
    choice = tenant.spec.get(field) or {}
    allowed = choice.get("allowed")
    if allowed is None:
        allowed = (cluster.tier_spec.get("guardrails") or {}).get(guardrail)
    result: dict[str, Any] = {}
    if allowed is not None:
        result["allowed"] = list(allowed)
    if choice.get("default"):
        result["default"] = str(choice["default"])
    return result


def check_tenant_policy(cluster: ClusterModel, tenant: TenantModel) -> Iterator[Finding]:
    """Class lists wider than the tier's guardrails, a default outside the allowed classes, and a Pod
    Security level looser than the cluster's."""
    rails = cluster.tier_spec.get("guardrails") or {}
    tier = cluster.tier
    for field, (guardrail, noun) in CLASS_FIELDS.items():
        choice = tenant.spec.get(field) or {}
        bound = rails.get(guardrail)
        own = choice.get("allowed")
        if bound is not None and own is not None:
            for index, name in enumerate(own):
                if name not in bound:
                    yield at(tenant, (field, "allowed", index),
                             f"{noun} {name!r} widens tier {tier!r} guardrails.{guardrail}; a tenant may only "
                             f"narrow it; allowed: {', '.join(bound) or 'none'}", "guardrail")
        default = choice.get("default")
        usable = own if own is not None else bound
        if default and usable is not None and default not in usable:
            source = f"{field}.allowed" if own is not None else f"tier {tier!r} guardrails.{guardrail}"
            yield at(tenant, (field, "default"),
                     f"default {noun} {default!r} is not among the allowed ones ({source}: "
                     f"{', '.join(usable) or 'none'})", "guardrail")
    platform = platform_pod_security(cluster)
    level = tenant.spec.get("podSecurity")
    if platform is not None and isinstance(level, str) and strictness(level) < strictness(platform.level):
        yield at(tenant, ("podSecurity",),
                 f"podSecurity {level!r} is looser than {platform.level!r}, the level of cluster {cluster.name!r} "
                 f"({platform.where()}); a tenant may only make it stricter "
                 f"({' < '.join(POD_SECURITY_LEVELS)})", "pod-security")


def check_cluster_policy(cluster: ClusterModel) -> Iterator[Finding]:
    """A cluster too old for the ValidatingAdmissionPolicy every tenant's host-name rule relies on."""
    version = str(cluster.spec.get("kubeVersion", ""))
    found = _KUBE_MINOR.match(version)
    if found is None or (int(found[1]), int(found[2])) >= POLICY_KUBE_VERSION:
        return
    yield cluster.cluster_doc.finding(
        ("spec", "kubeVersion"),
        f"kubeVersion {version!r} is older than 1.30: tenantgen holds tenants' Certificates and Gateway API "
        "routes to their host names with a ValidatingAdmissionPolicy (admissionregistration.k8s.io/v1), which "
        "Kubernetes serves from 1.30 on", "kube-version")
