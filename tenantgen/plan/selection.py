"""What a run selects of the tree: ``--tier``, ``--cluster`` and ``--tenant`` (shell-style patterns)."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tenantgen.errors import UsageError
from tenantgen.load import cluster_parts


@dataclass(frozen=True)
class Selection:
    tier: str | None = None
    cluster: str | None = None
    tenant: str | None = None

    @property
    def everything(self) -> bool:
        return self.tier is None and self.cluster is None and self.tenant is None

    def cluster_selected(self, rel: str) -> bool:
        tier, _, name = cluster_parts(rel)
        if self.tier is not None and not fnmatch.fnmatchcase(tier, self.tier):
            return False
        if self.cluster is not None:
            return fnmatch.fnmatchcase(name, self.cluster) or fnmatch.fnmatchcase(rel, self.cluster)
        return True

    def tenant_selected(self, tenant: str | None) -> bool:
        return self.tenant is None or (tenant is not None and fnmatch.fnmatchcase(tenant, self.tenant))

    def owns(self, entry: Mapping[str, Any]) -> bool:
        """Whether a file tenantgen wrote before falls within this run (and may be pruned by it)."""
        cluster = entry.get("cluster") or ""
        if not cluster:
            return self.everything  # shared files (charts/) are pruned by full runs only
        if not self.cluster_selected(cluster):
            return False
        if entry.get("release") is None:
            return True  # cluster files are rewritten whole by any run that selects the cluster
        return self.tenant_selected(entry.get("tenant"))


def require_a_tenant(selection: Selection, tenants: Iterable[str]) -> None:
    """A ``--tenant`` that matches none of ``tenants`` (those of the selected clusters) is a mistake (a
    typo, the wrong cluster), not a request to render nothing and report success."""
    if selection.tenant is None or any(selection.tenant_selected(name) for name in tenants):
        return
    where = "the selected clusters" if selection.tier is not None or selection.cluster is not None else "the tree"
    raise UsageError(f"--tenant {selection.tenant!r} matches no tenant of {where}")
