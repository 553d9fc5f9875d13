"""Plan stage: the effective fleet -> every cluster's Helm releases, with their values (pure: no I/O,
no Helm); the charts that can be used (``ChartCatalog``) and what a run selects (``Selection``).

This face loads a name's module when the name is first used (see ``tenantgen.faces``): the write
stage needs ``Selection`` in processes that should not load the planner and the validator with it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tenantgen.faces import lazy_names

if TYPE_CHECKING:
    from tenantgen.plan.charts import ChartCatalog, ChartRef
    from tenantgen.plan.planner import ClusterPlan, Plan, Release, plan_cluster, plan_fleet
    from tenantgen.plan.selection import Selection, in_shard, parse_shard, require_a_tenant

_HOMES = {
    "ChartCatalog": ("tenantgen.plan.charts", "ChartCatalog"),
    "ChartRef": ("tenantgen.plan.charts", "ChartRef"),
    "ClusterPlan": ("tenantgen.plan.planner", "ClusterPlan"),
    "Plan": ("tenantgen.plan.planner", "Plan"),
    "Release": ("tenantgen.plan.planner", "Release"),
    "plan_cluster": ("tenantgen.plan.planner", "plan_cluster"),
    "plan_fleet": ("tenantgen.plan.planner", "plan_fleet"),
    "Selection": ("tenantgen.plan.selection", "Selection"),
    "require_a_tenant": ("tenantgen.plan.selection", "require_a_tenant"),
    "in_shard": ("tenantgen.plan.selection", "in_shard"),
    "parse_shard": ("tenantgen.plan.selection", "parse_shard"),
}

__all__ = [
    "ChartCatalog",
    "ChartRef",
    "ClusterPlan",
    "Plan",
    "Release",
    "Selection",
    "plan_cluster",
    "in_shard",
    "parse_shard",
    "plan_fleet",
    "require_a_tenant",
]

__getattr__ = lazy_names(__name__, _HOMES)
