"""What a run selects of the tree: ``--tier``, ``--cluster`` and ``--tenant`` (shell-style patterns),
and ``--shard K/N`` (the clusters whose ``<tier>/<account>/<cluster>`` hashes to shard K of N)."""

from __future__ import annotations

import fnmatch
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from tenantgen.errors import UsageError
from tenantgen.load import cluster_parts


@dataclass(frozen=True)
class Selection:
    tier: str | None = None
    cluster: str | None = None
    tenant: str | None = None
    shard: tuple[int, int] | None = None  # (K, N), 1 <= K <= N

    @property
    def everything(self) -> bool:
        return self.tier is None and self.cluster is None and self.tenant is None and not self.sharded

    @property
    def sharded(self) -> bool:
        return self.shard is not None and self.shard[1] > 1

    def cluster_selected(self, rel: str) -> bool:
        if self.sharded and not in_shard(rel, self.shard):  # type: ignore[arg-type]
            return False
        tier, _, name = cluster_parts(rel)
        if self.tier is not None and not fnmatch.fnmatchcase(tier, self.tier):
            return False
        if self.cluster is not None:
            return fnmatch.fnmatchcase(name, self.cluster) or fnmatch.fnmatchcase(rel, self.cluster)
        return True

    def tenant_selected(self, tenant: str | None) -> bool:
        return self.tenant is None or (tenant is not None and fnmatch.fnmatchcase(tenant, self.tenant))


def in_shard(rel: str, shard: tuple[int, int]) -> bool:
    """Whether the cluster ``rel`` ("<tier>/<account>/<cluster>") falls in shard K of N: the same
    answer on every machine and in every run (SHA-256 of ``rel``, modulo N)."""
    number, count = shard
    return int.from_bytes(hashlib.sha256(rel.encode()).digest()[:8], "big") % count == number - 1


def parse_shard(text: str) -> tuple[int, int]:
    """``K/N`` (1 <= K <= N) as (K, N)."""
    found = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if found is None or not 1 <= int(found.group(1)) <= int(found.group(2)):
        raise UsageError(f"--shard {text!r}: expected K/N with 1 <= K <= N, e.g. 2/4")
    return int(found.group(1)), int(found.group(2))


def require_a_tenant(selection: Selection, tenants: Iterable[str]) -> None:
    """A ``--tenant`` that matches none of ``tenants`` (those of the selected clusters) is a mistake (a
    typo, the wrong cluster), not a request to render nothing and report success."""
    if selection.tenant is None or selection.sharded or any(selection.tenant_selected(name) for name in tenants):
        return
    where = "the selected clusters" if selection.tier is not None or selection.cluster is not None else "the tree"
    raise UsageError(f"--tenant {selection.tenant!r} matches no tenant of {where}")
