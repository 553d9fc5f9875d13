"""Plan stage: the effective fleet -> the Helm releases of every cluster, with their values.

Pure: no I/O and no Helm. Every release of a cluster is planned, whatever the selection, because
the cluster's helmfile.yaml always lists them all; selection only decides what gets rendered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tenantgen import __version__
from tenantgen.load import Document
from tenantgen.merge import DEFAULT_CLUSTER_ROLES, ClusterModel, Fleet, TenantModel
from tenantgen.plan.charts import ChartRef
from tenantgen.validate import AZURE, claimed_hostnames, get, provider_of, tenant_classes, tenant_pod_security
from tenantgen.validate.hostnames import hostname_regex

DEFAULT_RELEASE_NAMESPACE = "tenantgen-system"
DEFAULT_ARGOCD_SERVER = "https://kubernetes.default.svc"

# Release name suffixes keep the four kinds of release apart even when names coincide.
SUFFIX = {
    "cluster-shared": "-shared",
    "tenant": "-tenant",
    "tenant-post-install": "-post-install",
    "argocd-project": "-argocd",
    "karpenter-nodepool": "-nodepool",
}


@dataclass(frozen=True)
class Release:
    name: str
    namespace: str
    chart: ChartRef
    values: dict[str, Any]
    needs: tuple[str, ...]  # other releases of the same cluster, by name
    tenant: str | None  # the tenant it belongs to; None for node pools and the cluster's shared release
    source: Document

    @property
    def labels(self) -> dict[str, str]:
        labels = {"chart": self.chart.name}
        if self.tenant:
            labels["tenant"] = self.tenant
        return labels


@dataclass(frozen=True)
class ClusterPlan:
    cluster: ClusterModel
    kube_version: str  # "v1.31.0", as helm template --kube-version takes it
    releases: list[Release] = field(default_factory=list)

    @property
    def rel(self) -> str:
        return self.cluster.rel


@dataclass(frozen=True)
class Plan:
    clusters: list[ClusterPlan]

    @property
    def charts(self) -> list[ChartRef]:
        seen = {release.chart.key: release.chart for cp in self.clusters for release in cp.releases}
        return [seen[key] for key in sorted(seen)]


def kube_version(text: str) -> str:
    parts = str(text).removeprefix("v").split(".")
    while len(parts) < 3:
        parts.append("0")
    return "v" + ".".join(parts[:3])


def source_path(tree_name: str, doc: Document) -> str:
    return f"{tree_name}/{doc.rel}"


def cluster_context(cluster: ClusterModel) -> dict[str, Any]:
    """Every release's ``context`` values but their ``source``: the same for all releases of the
    cluster, so it is made once and shared by them (no one changes a release's values once planned)."""
    spec = cluster.spec
    account = cluster.account_doc.spec if cluster.account_doc else {}
    argocd = spec.get("argocd") or {}
    return {
        "tenantgenVersion": __version__,
        "labelPrefix": cluster.tier_spec["labelPrefix"],
        "tier": cluster.tier,
        "account": {
            "name": cluster.account,
            "provider": str(account.get("provider", "")),
            "id": str(account.get("id", "")),
            "region": str(account.get("region", "")),
        },
        "cluster": {
            "name": cluster.name,
            "hostname": spec["hostname"],
            "region": spec["region"],
            "kubeVersion": kube_version(spec["kubeVersion"]).removeprefix("v"),
            "clusterDNS": str(spec.get("clusterDNS", "")),
            "platformNamespaces": list(spec.get("platformNamespaces") or []),
            "argocdNamespace": argocd.get("namespace", "argocd"),
            "argocdServer": argocd.get("server", DEFAULT_ARGOCD_SERVER),
        },
    }


def tenant_values(cluster: ClusterModel, tenant: TenantModel, context: dict[str, Any]) -> dict[str, Any]:
    spec = tenant.spec
    hosts = claimed_hostnames(cluster, tenant)
    owners = [
        {"kind": owner["kind"], "name": owner["name"],
         "clusterRoles": list(owner.get("clusterRoles") or DEFAULT_CLUSTER_ROLES)}
        for owner in spec.get("owners") or []
    ]
    contact = spec.get("contact") or {}
    metadata = spec.get("additionalMetadata") or {}
    services = spec.get("services") or {}
    tenant_block: dict[str, Any] = {
        "name": tenant.name,
        "owners": owners,
        "costCenter": str(spec.get("costCenter", "")),
        "contact": {"slack": str(contact.get("slack", "")), "email": str(contact.get("email", ""))},
        "nodePool": str(spec.get("nodePool", "")),
        "namespaces": {"quota": tenant.namespace_quota, "default": tenant.default_namespace},
        "resources": _mapping(spec.get("resources")),
        "limitRange": _mapping(spec.get("limitRange")),
        "ingress": {
            "classes": list(get(spec, ("ingress", "classes")) or []),
            "hostnames": hosts,
            "hostnameRegex": hostname_regex(hosts),
        },
        "hostname": cluster.tenant_hostname(tenant.name),
        "podSecurity": tenant_pod_security(cluster, tenant),
        "priorityClasses": tenant_classes(cluster, tenant, "priorityClasses"),
        "storageClasses": tenant_classes(cluster, tenant, "storageClasses"),
        "services": {name: bool(services.get(name, False)) for name in ("nodePort", "loadBalancer", "externalName")},
        "additionalMetadata": {
            "labels": dict(metadata.get("labels") or {}),
            "annotations": dict(metadata.get("annotations") or {}),
        },
    }
    return {"context": context, "tenant": tenant_block}


def shared_values(context: dict[str, Any]) -> dict[str, Any]:
    """The cluster-shared chart needs only the cluster's facts."""
    return {"context": context}


def post_install_values(cluster: ClusterModel, tenant: TenantModel, context: dict[str, Any]) -> dict[str, Any]:
    return {
        "context": context,
        "policyEngine": cluster.tier_spec.get("policyEngine", "gatekeeper"),
        "tenant": {
            "name": tenant.name,
            "defaultNamespace": tenant.default_namespace,
            "readers": list(tenant.spec.get("readers") or []),
            "nodePool": str(tenant.spec.get("nodePool", "")),
        },
    }


def argocd_values(name: str, spec: Mapping[str, Any], tenant: TenantModel, context: dict[str, Any]) -> dict[str, Any]:
    project: dict[str, Any] = {
        "name": name,
        "tenant": tenant.name,
        "description": str(spec.get("description", "")),
        "sourceRepos": list(spec["sourceRepos"]),
        # Capsule forces every namespace of the tenant to "<tenant>-*": exactly its namespaces.
        "destinationNamespaces": [f"{tenant.name}-*"],
        "rootApp": {
            "repoURL": spec["rootApp"]["repoURL"],
            "path": spec["rootApp"]["path"],
            "targetRevision": str(spec["rootApp"].get("targetRevision", "HEAD")),
        },
        "defaultNamespace": tenant.default_namespace,
        "roles": [
            {"name": role["name"], "description": str(role.get("description", "")),
             "groups": list(role.get("groups") or []), "policies": list(role.get("policies") or [])}
            for role in spec.get("roles") or []
        ],
    }
    repository = spec.get("repository")
    if repository:
        project["repository"] = {
            "url": repository["url"],
            "type": repository.get("type", "git"),
            "name": str(repository.get("name", "")),
            "credentialsSecret": str(repository.get("credentialsSecret", "")),
        }
    return {"context": context, "project": project}


def nodepool_values(cluster: ClusterModel, name: str, spec: Mapping[str, Any],
                    context: dict[str, Any]) -> dict[str, Any]:
    instances = spec.get("instances") or {}
    pool: dict[str, Any] = {
        "name": name,
        "instances": {
            "capacityTypes": list(instances.get("capacityTypes") or ["on-demand"]),
            "instanceTypes": list(instances.get("instanceTypes") or []),
            "architectures": list(instances.get("architectures") or ["amd64"]),
        },
        "costCode": str(spec.get("costCode", "")),
        "consolidationPolicy": spec.get("consolidationPolicy", "WhenEmptyOrUnderutilized"),
        "consolidateAfter": spec.get("consolidateAfter", "600s"),
        "expireAfter": spec.get("expireAfter", "720h"),
        "limits": _mapping(spec.get("limits")),
        "labels": dict(spec.get("labels") or {}),
        "tags": dict(spec.get("tags") or {}),
    }
    if "weight" in spec:
        pool["weight"] = spec["weight"]
    if spec.get("requirements"):
        pool["requirements"] = [_requirement(item) for item in spec["requirements"]]
    karpenter = cluster.spec.get("karpenter") or {}
    return {"context": context, "nodePool": pool, "karpenter": node_class_values(provider_of(cluster), karpenter)}


def node_class_values(provider: str, karpenter: Mapping[str, Any]) -> dict[str, Any]:
    """The chart's ``karpenter`` block: only the provider's settings (the chart's defaults fill the
    other provider's with empty values, which its templates ignore)."""
    if provider == AZURE:
        return {
            "imageFamily": str(karpenter.get("imageFamily", "")),
            "osDiskSizeGB": int(karpenter.get("osDiskSizeGB", 0)),
            "vnetSubnetID": str(karpenter.get("vnetSubnetID", "")),
            "maxPods": int(karpenter.get("maxPods", 0)),
            "tags": dict(karpenter.get("tags") or {}),
        }
    return {
        "role": str(karpenter.get("role", "")),
        "instanceProfile": str(karpenter.get("instanceProfile", "")),
        "subnetSelector": dict(karpenter.get("subnetSelector") or {}),
        "securityGroupSelector": dict(karpenter.get("securityGroupSelector") or {}),
        "amiAlias": str(karpenter.get("amiAlias", "al2023@latest")),
    }


def _requirement(item: Mapping[str, Any]) -> dict[str, Any]:
    requirement: dict[str, Any] = {"key": item["key"], "operator": item["operator"]}
    if "values" in item:
        requirement["values"] = [str(value) for value in item["values"]]
    return requirement


def _mapping(value: Any) -> dict[str, Any]:
    return {key: dict(item) if isinstance(item, dict) else item for key, item in (value or {}).items()}


def plan_cluster(cluster: ClusterModel, charts: Mapping[str, ChartRef], tree_name: str) -> ClusterPlan:
    plan = ClusterPlan(cluster, kube_version(cluster.spec["kubeVersion"]))
    namespace = cluster.spec.get("releaseNamespace", DEFAULT_RELEASE_NAMESPACE)

    def add(chart: str, name: str, values: dict[str, Any], needs: tuple[str, ...], tenant: str | None,
            source: Document) -> str:
        release = name + SUFFIX[chart]
        plan.releases.append(Release(release, namespace, charts[chart], values, needs, tenant, source))
        return release

    shared = cluster_context(cluster)

    def context(doc: Document) -> dict[str, Any]:
        return {**shared, "source": source_path(tree_name, doc)}

    has_karpenter = isinstance(cluster.spec.get("karpenter"), dict)
    pool_release: dict[str, str] = {}
    if has_karpenter:
        for name in sorted(cluster.node_pools):
            doc = cluster.node_pools[name]
            pool_release[name] = add("karpenter-nodepool", name,
                                     nodepool_values(cluster, name, doc.spec, context(doc)), (), None, doc)
    # Once per cluster, before the tenants: the host-name policy their bindings name, the cluster facts.
    shared_release = add("cluster-shared", cluster.name, shared_values(context(cluster.cluster_doc)), (), None,
                         cluster.cluster_doc)
    post_release: dict[str, str] = {}
    for name in sorted(cluster.tenants):
        tenant = cluster.tenants[name]
        tenant_context = context(tenant.doc)
        pool = tenant.spec.get("nodePool")
        needs = (shared_release, pool_release[pool]) if pool in pool_release else (shared_release,)
        tenant_release = add("tenant", name, tenant_values(cluster, tenant, tenant_context), needs, name, tenant.doc)
        post_release[name] = add("tenant-post-install", name, post_install_values(cluster, tenant, tenant_context),
                                 (tenant_release,), name, tenant.doc)
    for name in sorted(cluster.argo_projects):
        doc = cluster.argo_projects[name]
        owner = cluster.tenants.get(str(doc.spec.get("tenant")))
        if owner is None:
            continue  # reported by the reference check
        add("argocd-project", name, argocd_values(name, doc.spec, owner, context(doc)), (post_release[owner.name],), owner.name, doc)
    return plan


def plan_fleet(fleet: Fleet, charts_by_tier: Mapping[str, Mapping[str, ChartRef]], tree_name: str) -> Plan:
    return Plan([plan_cluster(cluster, charts_by_tier[cluster.tier], tree_name) for cluster in fleet.clusters])
