"""Loaded input files: the records every later stage works on."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tenantgen.findings import Finding
from tenantgen.json_path import JsonPath
from tenantgen.load.paths import tree_name_of
from tenantgen.yamlio import PositionIndex

# kind -> the folder of a cluster it lives in (None: a fixed file name instead of a folder).
FOLDER_OF_KIND = {
    "Tenant": "tenants",
    "ArgoProject": "argo-projects",
    "NodePool": "node-pools",
}
KIND_OF_FOLDER = {folder: kind for kind, folder in FOLDER_OF_KIND.items()}
FILE_OF_KIND = {"Tier": "tier.yaml", "Account": "account.yaml", "Cluster": "cluster.yaml"}


def contains_null(value: Any) -> bool:
    """Whether a null is anywhere in ``value``. Most files hold none: then what would drop the nulls
    from a copy of their data can hand the data back as it is (looking costs a fifth of copying)."""
    stack = [value]
    while stack:
        node = stack.pop()
        if node is None:
            return True
        kind = type(node)
        if kind is dict:
            stack.extend(node.values())
        elif kind is list:
            stack.extend(node)
    return False


@dataclass(eq=False)
class Document:
    """One tenantgen YAML file: where it is, its bytes and its parsed data."""

    kind: str
    name: str
    display_path: str  # as the user would type it: "<tree arg>/<rel>"
    rel: str  # posix, relative to the tree root: stable across machines
    raw: bytes
    data: dict[str, Any]
    _positions: PositionIndex | None = field(default=None, repr=False)

    @property
    def spec(self) -> dict[str, Any]:
        spec = self.data.get("spec")
        return spec if isinstance(spec, dict) else {}

    def locate(self, path: JsonPath) -> tuple[int, int]:
        # Parsed lazily: only files with something to report pay for the round-trip loader.
        if self._positions is None:
            self._positions = PositionIndex.parse(self.raw)
        return self._positions.locate(path)

    def finding(self, path: JsonPath, message: str, code: str) -> Finding:
        from tenantgen.findings import format_json_path

        line, col = self.locate(path) if path else (1, 1)
        return Finding(self.display_path, line, col, format_json_path(path) if path else "", message, code)


@dataclass(eq=False)
class ConfigFile:
    """A pass-through manifest file from a ``config/`` folder."""

    display_path: str
    rel: str
    raw: bytes
    objects: list[dict[str, Any]]


@dataclass(eq=False)
class ClusterDocs:
    tier: str
    account: str
    name: str
    rel: str  # "<tier>/<account>/<cluster>"
    cluster: Document | None = None
    tenants: dict[str, Document] = field(default_factory=dict)
    argo_projects: dict[str, Document] = field(default_factory=dict)
    node_pools: dict[str, Document] = field(default_factory=dict)
    config: list[ConfigFile] = field(default_factory=list)
    # (kind, name) -> display path of files that exist but could not be read (YAML errors, empty...):
    # already reported, so references to them are not reported again as missing, and ``explain``
    # can still show the tenant with its findings.
    unreadable: dict[tuple[str, str], str] = field(default_factory=dict)

    def documents(self) -> list[Document]:
        docs = [self.cluster] if self.cluster else []
        for group in (self.tenants, self.argo_projects, self.node_pools):
            docs.extend(group[name] for name in sorted(group))
        return docs


@dataclass(eq=False)
class TreeDocs:
    """Everything read from one tree, before any merging."""

    root: Path
    display_root: str
    tiers: dict[str, Document] = field(default_factory=dict)
    tier_config: dict[str, list[ConfigFile]] = field(default_factory=dict)
    accounts: dict[tuple[str, str], Document] = field(default_factory=dict)
    clusters: list[ClusterDocs] = field(default_factory=list)
    files_read: int | None = None  # set by the loader: every file read, usable or not

    @property
    def name(self) -> str:
        return tree_name_of(self.display_root)

    def file_count(self) -> int:
        if self.files_read is not None:
            return self.files_read
        configs = sum(len(files) for files in self.tier_config.values())
        configs += sum(len(cluster.config) for cluster in self.clusters)
        return len(self.documents()) + configs

    def documents(self) -> list[Document]:
        docs = [self.tiers[name] for name in sorted(self.tiers)]
        docs.extend(self.accounts[key] for key in sorted(self.accounts))
        for cluster in self.clusters:
            docs.extend(cluster.documents())
        return docs
