"""Merge stage: tier -> account -> cluster -> tenant settings, merged in one function that states the
precedence (``merge_layers``), each value with the file and line that set it (``Merged.origin``).

``build_fleet(tree, broken)`` gives the effective ``Fleet``: every cluster with its tenants, Argo CD
projects and node pools; documents in ``broken`` (they failed their own checks) are left out.
"""

from __future__ import annotations

from tenantgen.merge.delivery import FLUX_FLAVOURS, Delivery
from tenantgen.merge.fleet import (
    DEFAULT_CLUSTER_ROLES,
    ClusterModel,
    ConfigOverride,
    Fleet,
    TenantModel,
    build_fleet,
    config_name,
)
from tenantgen.merge.layers import Layer, Merged, Origin, leaves, merge_layers, merge_onto

__all__ = [
    "DEFAULT_CLUSTER_ROLES",
    "FLUX_FLAVOURS",
    "ClusterModel",
    "Delivery",
    "ConfigOverride",
    "Fleet",
    "Layer",
    "Merged",
    "Origin",
    "TenantModel",
    "build_fleet",
    "config_name",
    "leaves",
    "merge_layers",
    "merge_onto",
]
