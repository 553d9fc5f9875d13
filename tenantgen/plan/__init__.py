"""Plan stage: the effective fleet -> every cluster's Helm releases, with their values (pure: no I/O,
no Helm); the charts that can be used (``ChartCatalog``) and what a run selects (``Selection``).
"""

from __future__ import annotations

from tenantgen.plan.charts import ChartCatalog, ChartRef
from tenantgen.plan.planner import ClusterPlan, Plan, Release, plan_cluster, plan_fleet
from tenantgen.plan.selection import Selection, require_a_tenant

__all__ = [
    "ChartCatalog",
    "ChartRef",
    "ClusterPlan",
    "Plan",
    "Release",
    "Selection",
    "plan_cluster",
    "plan_fleet",
    "require_a_tenant",
]
