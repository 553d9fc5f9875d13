"""The records of a comparison: what changed per Kubernetes object, and what that means per subject.

The object diff (``review.diff``) makes ``ObjectChange`` records and its summary
(``review.diff_summary``) reads them to make ``SubjectChange`` records; both import them from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ObjectChange:
    key: str
    cluster: str
    tenant: str | None
    title: str
    path: str
    status: str  # "added", "removed" or "changed"
    diff: tuple[str, ...]  # unified diff lines, without line ends

    def to_json(self) -> dict[str, Any]:
        return {"cluster": self.cluster, "tenant": self.tenant, "object": self.title, "path": self.path,
                "status": self.status, "diff": "\n".join(self.diff)}


@dataclass(frozen=True)
class SubjectChange:
    scope: str  # "tenant", "cluster" or "fleet"
    cluster: str  # "" for the fleet
    name: str  # the tenant; "" for a cluster or the fleet
    status: str  # "added", "removed" or "changed"
    details: tuple[str, ...] = ()

    def headline(self) -> str:
        details = "; ".join(self.details)
        if self.scope == "tenant":
            if self.status == "added":
                return f"new tenant {self.name} ({self.cluster})" + (f": {details}" if details else "")
            if self.status == "removed":
                return f"{self.name} ({self.cluster}): removed"
            return f"{self.name} ({self.cluster}): {details}"
        if self.scope == "cluster":
            if self.status != "changed":
                return f"cluster {self.cluster}: {self.status}"
            return f"cluster {self.cluster}: {details}"
        return f"fleet: {details}"

    def to_json(self) -> dict[str, Any]:
        return {"scope": self.scope, "cluster": self.cluster, "tenant": self.name or None, "status": self.status,
                "changes": list(self.details), "summary": self.headline()}
