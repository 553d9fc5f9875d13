"""The effective fleet: every cluster with its tier, account and merged tenant specs.

Built from schema-clean documents only; a document with schema findings is left out, so later
checks never trip over shapes the schema already rejected.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from tenantgen.load import ClusterDocs, ConfigFile, Document, TreeDocs
from tenantgen.merge.delivery import Delivery, delivery_of, merge_delivery
from tenantgen.merge.layers import Layer, Merged, merge_layers, merge_onto

DEFAULT_CLUSTER_ROLES = ("admin", "capsule-namespace-deleter")
DEFAULT_NAMESPACE_QUOTA = 10  # as documented in the tenant schema


@dataclass(eq=False)
class TenantModel:
    name: str
    doc: Document
    merged: Merged

    @property
    def spec(self) -> dict[str, Any]:
        return self.merged.value

    @property
    def namespace_quota(self) -> int:
        return int((self.spec.get("namespaces") or {}).get("quota", DEFAULT_NAMESPACE_QUOTA))

    @property
    def default_namespace(self) -> str:
        namespaces = self.spec.get("namespaces") or {}
        return str(namespaces.get("default") or f"{self.name}-default")


@dataclass(eq=False)
class ClusterModel:
    docs: ClusterDocs
    tier_doc: Document
    account_doc: Document | None
    cluster_doc: Document
    tenants: dict[str, TenantModel] = field(default_factory=dict)
    argo_projects: dict[str, Document] = field(default_factory=dict)
    node_pools: dict[str, Document] = field(default_factory=dict)
    tier_config: list[ConfigFile] = field(default_factory=list)  # the cluster's own: ``docs.config``

    def config_files(self) -> dict[str, ConfigFile]:
        """The files of the cluster's ``config/`` output by file name: the tier's, then the cluster's
        own, which replace a tier file of the same name (a cluster's exception to a tier-wide manifest)."""
        files = {config_name(config): config for config in self.tier_config}
        files.update((config_name(config), config) for config in self.docs.config)
        return files

    def config_overrides(self) -> list[ConfigOverride]:
        tier_files = {config_name(config): config for config in self.tier_config}
        return [ConfigOverride(config, tier_files[config_name(config)])
                for config in self.docs.config if config_name(config) in tier_files]

    @cached_property
    def delivery_merged(self) -> Merged:
        """The tier's ``spec.delivery`` with the cluster's over it, with origins (for findings)."""
        return merge_delivery(self.tier_doc, self.cluster_doc)

    @cached_property
    def delivery(self) -> Delivery:
        """How this cluster's OUT folder is delivered (helmfile, Flux, Argo CD), defaults filled in."""
        return delivery_of(self.delivery_merged)

    @property
    def tier(self) -> str:
        return self.docs.tier

    @property
    def account(self) -> str:
        return self.docs.account

    @property
    def name(self) -> str:
        return self.docs.name

    @property
    def rel(self) -> str:
        return self.docs.rel

    @property
    def tier_spec(self) -> dict[str, Any]:
        return self.tier_doc.spec

    @property
    def spec(self) -> dict[str, Any]:
        return self.cluster_doc.spec

    def tenant_hostname(self, tenant: str) -> str:
        """The hostname the tier authorizes for every tenant, "" when the tier sets none."""
        pattern = self.tier_spec.get("tenantHostname")
        if not pattern:
            return ""
        return str(pattern).format_map(_Placeholders(tenant, self))


def config_name(config: ConfigFile) -> str:
    """The file's name, which it keeps in the output's ``config/`` folder."""
    return config.rel.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class ConfigOverride:
    """A cluster config file that takes the place of the tier config file of the same name."""

    cluster_file: ConfigFile
    tier_file: ConfigFile


class _Placeholders(dict[str, str]):
    def __init__(self, tenant: str, cluster: ClusterModel) -> None:
        super().__init__(tenant=tenant, tier=cluster.tier)
        self.cluster = _ClusterFacts(cluster.name, str(cluster.spec.get("hostname", "")))

    def __missing__(self, key: str) -> Any:
        if key == "cluster":
            return self.cluster
        raise KeyError(key)


@dataclass(frozen=True)
class _ClusterFacts:
    name: str
    hostname: str


@dataclass(eq=False)
class Fleet:
    tree: TreeDocs
    clusters: list[ClusterModel]


def default_layers(tier_doc: Document, cluster_doc: Document) -> list[Layer]:
    return [
        Layer("tier default", tier_doc, ("spec", "defaults"), tier_doc.spec.get("defaults") or {}),
        Layer("cluster default", cluster_doc, ("spec", "defaults"), cluster_doc.spec.get("defaults") or {}),
    ]


def tenant_layer(tenant_doc: Document) -> Layer:
    return Layer("tenant", tenant_doc, ("spec",), tenant_doc.spec)


def build_fleet(tree: TreeDocs, broken: Collection[Document]) -> Fleet:
    """Merge what is mergeable; ``broken`` documents (with schema findings) are skipped."""
    clusters = []
    for docs in tree.clusters:
        tier_doc = tree.tiers.get(docs.tier)
        cluster_doc = docs.cluster
        if tier_doc is None or cluster_doc is None or tier_doc in broken or cluster_doc in broken:
            continue
        account_doc = tree.accounts.get((docs.tier, docs.account))
        cluster = ClusterModel(
            docs, tier_doc, account_doc if account_doc not in broken else None, cluster_doc,
            argo_projects={name: doc for name, doc in docs.argo_projects.items() if doc not in broken},
            node_pools={name: doc for name, doc in docs.node_pools.items() if doc not in broken},
            tier_config=tree.tier_config.get(docs.tier, []),
        )
        defaults = merge_layers(default_layers(tier_doc, cluster_doc))
        for name, doc in docs.tenants.items():
            if doc not in broken:
                cluster.tenants[name] = TenantModel(name, doc, merge_onto(defaults, [tenant_layer(doc)]))
        clusters.append(cluster)
    return Fleet(tree, clusters)
