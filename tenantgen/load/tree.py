"""Load stage: walk a tiered tree and parse every file, collecting findings on the way.

    <tier>/tier.yaml, <tier>/config/*.yaml
    <tier>/<account>/account.yaml (optional)
    <tier>/<account>/<cluster>/cluster.yaml, config/, tenants/, argo-projects/, node-pools/

Only structure is checked here (where a file is, what it is called, whether it parses); the schema
stage checks what it says.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tenantgen import API_VERSION
from tenantgen.errors import UsageError
from tenantgen.findings import Finding
from tenantgen.load.documents import (
    FILE_OF_KIND,
    FOLDER_OF_KIND,
    KIND_OF_FOLDER,
    ClusterDocs,
    ConfigFile,
    Document,
    TreeDocs,
    contains_null,
)
from tenantgen.load.paths import TIER_CONFIG_FOLDER, display_root_of
from tenantgen.load.walk import TreeWalk
from tenantgen.yamlio import MAX_FILE_BYTES, YamlProblem, load_all

YAML_SUFFIXES = (".yaml", ".yml")
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
CLUSTER_FOLDERS = ("config", *KIND_OF_FOLDER)
# Files people keep next to their YAML that are not tenantgen's business.
IGNORED_SUFFIXES = (".md", ".txt")
# Where ``null`` is a merge directive (remove the inherited key) and is kept for the merge stage.
# Anywhere else it means "unset", as in Kubernetes: the key is dropped on load, so no later stage
# ever reads a None where the schema promised a string or a list.
NULL_DIRECTIVE_PARTS: dict[str, tuple[str, ...]] = {
    "Tenant": ("spec",), "Tier": ("spec", "defaults"), "Cluster": ("spec", "defaults"),
}


@dataclass
class Loader:
    root: Path
    display_root: str
    findings: list[Finding] = field(default_factory=list)
    files_read: int = 0
    parse: Callable[[bytes], list[Any]] = load_all  # yamlio.load_all, or a cache in front of it
    # Clusters (by rel) not to read at all: render leaves out those whose output it reuses.
    skip_cluster: Callable[[str], bool] = lambda rel: False
    # Files read already (rel -> bytes; render's scan of the tree reads every file): not read again.
    raws: Mapping[str, bytes] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._walk = TreeWalk(self.root)
        self._prefix = os.fspath(self.root) + "/" if os.sep == "/" else None

    # -- helpers -----------------------------------------------------------------------------------

    def rel(self, path: Path) -> str:
        text = os.fspath(path)
        if self._prefix is not None and text.startswith(self._prefix):
            return text[len(self._prefix):]  # every path is built from the root down: no Path arithmetic
        return path.relative_to(self.root).as_posix()

    def shown(self, path: Path) -> str:
        return f"{self.display_root}/{self.rel(path)}" if path != self.root else self.display_root

    def report(self, path: Path, message: str, code: str, line: int = 0, col: int = 0) -> None:
        self.findings.append(Finding(self.shown(path), line, col, "", message, code))

    def entries(self, folder: Path) -> Iterator[Path]:
        """The folder's entries as the tree's walk lists them; the links it refuses are reported."""
        try:
            listed = self._walk.entries(self.rel(folder) if folder != self.root else "")
        except OSError as exc:
            self.report(folder, f"cannot read folder: {exc.strerror}", "io")
            return
        for entry in listed:
            path = folder / entry.name
            if entry.refused is not None:
                self.report(path, entry.refused, "symlink")
                continue
            yield path

    def check_folder_name(self, path: Path, what: str) -> bool:
        if DNS_LABEL.match(path.name):
            return True
        self.report(path, f"{what} folder name {path.name!r} is not a DNS-1123 label "
                          "(lowercase letters, digits and '-', at most 63 characters)", "name")
        return False

    def read(self, path: Path) -> list[Any] | None:
        self.files_read += 1
        raw = self.raws.get(self.rel(path)) if self.raws else None
        if raw is not None:
            return self._parsed(path, raw)
        try:
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                self.report(path, f"file is {size:,} bytes; tenantgen files may be at most "
                                  f"{MAX_FILE_BYTES:,} bytes", "too-large")
                return None
            raw = path.read_bytes()
        except OSError as exc:
            self.report(path, f"cannot read file: {exc.strerror}", "io")
            return None
        return self._parsed(path, raw)

    def _parsed(self, path: Path, raw: bytes) -> list[Any] | None:
        try:
            return [raw, *self.parse(raw)]
        except YamlProblem as problem:
            self.report(path, problem.message, problem.code, problem.line, problem.col)
            return None

    # -- documents ---------------------------------------------------------------------------------

    def document(self, path: Path, expected_kind: str, expected_name: str) -> Document | None:
        loaded = self.read(path)
        if loaded is None:
            return None
        # Empty documents (a trailing or doubled ``---``) are nothing, as for kubectl.
        raw, documents = loaded[0], [doc for doc in loaded[1:] if doc is not None]
        if not documents:
            self.report(path, f"file is empty; expected one {expected_kind} document", "empty", 1, 1)
            return None
        if len(documents) > 1:
            self.report(path, f"file holds {len(documents)} YAML documents; a tenantgen file holds exactly one "
                              f"({expected_kind})", "multi-document", 1, 1)
            return None
        data = documents[0]
        if not isinstance(data, dict):
            self.report(path, f"expected a {expected_kind} document (a mapping with apiVersion, kind, metadata, "
                              f"spec), found {type(data).__name__}", "not-a-document", 1, 1)
            return None
        data = document_data(expected_kind, data)
        doc = Document(expected_kind, expected_name, self.shown(path), self.rel(path), raw, data)
        kind = data.get("kind")
        if isinstance(kind, str) and kind != expected_kind and data.get("apiVersion") == API_VERSION:
            self.findings.append(doc.finding(("kind",), self._wrong_place(kind, expected_kind), "wrong-folder"))
            return None
        name = (data.get("metadata") or {}).get("name") if isinstance(data.get("metadata"), dict) else None
        if isinstance(name, str) and name != expected_name:
            source = "folder" if expected_kind in FILE_OF_KIND else "file"
            self.findings.append(doc.finding(
                ("metadata", "name"),
                f"name {name!r} does not match its {source} name {expected_name!r}; rename one of them",
                "name-mismatch"))
        return doc

    @staticmethod
    def _wrong_place(kind: str, expected: str) -> str:
        if kind in FOLDER_OF_KIND:
            return f"a {kind} belongs in a cluster's {FOLDER_OF_KIND[kind]}/ folder, not where a {expected} is"
        if kind in FILE_OF_KIND:
            return f"a {kind} belongs in a file named {FILE_OF_KIND[kind]}, not where a {expected} is"
        return f"kind {kind!r} is not allowed here; expected {expected}"

    def config_folder(self, folder: Path) -> list[ConfigFile]:
        files: list[ConfigFile] = []
        for path in self.entries(folder):
            if path.is_dir():
                self.report(path, "sub-folders are not read in config/; move the manifests up", "stray")
                continue
            if not self.is_yaml(path):
                continue
            loaded = self.read(path)
            if loaded is None:
                continue
            raw, objects = loaded[0], [doc for doc in loaded[1:] if doc is not None]
            bad = [doc for doc in objects if not _is_manifest(doc)]
            if bad:
                self.report(path, "every document in config/ must be a Kubernetes object with apiVersion, kind "
                                  "and metadata.name", "config")
                continue
            files.append(ConfigFile(self.shown(path), self.rel(path), raw, objects))
        return files

    def is_yaml(self, path: Path) -> bool:
        if path.suffix in YAML_SUFFIXES:
            return True
        if path.suffix not in IGNORED_SUFFIXES:
            self.report(path, "stray file in a managed folder; only .yaml and .yml files belong here", "stray")
        return False

    # -- the walk ----------------------------------------------------------------------------------

    def load(self) -> TreeDocs:
        tree = TreeDocs(self.root, self.display_root)
        for tier_dir in self.entries(self.root):
            if tier_dir.is_dir():
                if self.check_folder_name(tier_dir, "tier"):
                    self.load_tier(tree, tier_dir)
            elif tier_dir.suffix in YAML_SUFFIXES:
                self.report(tier_dir, "stray file: the top of the tree holds only tier folders "
                                      "(<tier>/tier.yaml)", "stray")
        if not tree.tiers and not self.findings:
            self.report(self.root, "no tiers found: expected <tier>/tier.yaml folders in this tree", "empty")
        tree.files_read = self.files_read
        return tree

    def load_tier(self, tree: TreeDocs, tier_dir: Path) -> None:
        tier = tier_dir.name
        tier_file = self.kind_file(tier_dir, "Tier")
        if tier_file is None:
            self.report(tier_dir, "tier folder has no tier.yaml", "missing-file")
        else:
            doc = self.document(tier_file, "Tier", tier)
            if doc:
                tree.tiers[tier] = doc
        for entry in self.entries(tier_dir):
            if entry.is_dir() and entry.name == TIER_CONFIG_FOLDER:
                tree.tier_config[tier] = self.config_folder(entry)
            elif entry.is_dir():
                if self.check_folder_name(entry, "account"):
                    self.load_account(tree, tier, entry)
            elif entry != tier_file and self.is_yaml(entry):
                self.report(entry, "stray file: a tier folder holds tier.yaml, config/ and account folders",
                            "stray")

    def load_account(self, tree: TreeDocs, tier: str, account_dir: Path) -> None:
        account = account_dir.name
        account_file = self.kind_file(account_dir, "Account")
        if account_file is not None:
            doc = self.document(account_file, "Account", account)
            if doc:
                tree.accounts[(tier, account)] = doc
        for entry in self.entries(account_dir):
            if entry.is_dir():
                if self.check_folder_name(entry, "cluster") and not self.skip_cluster(self.rel(entry)):
                    tree.clusters.append(self.load_cluster(tier, account, entry))
            elif entry != account_file and self.is_yaml(entry):
                self.report(entry, "stray file: an account folder holds account.yaml and cluster folders",
                            "stray")

    def load_cluster(self, tier: str, account: str, cluster_dir: Path) -> ClusterDocs:
        cluster = ClusterDocs(tier, account, cluster_dir.name, self.rel(cluster_dir))
        cluster_file = self.kind_file(cluster_dir, "Cluster")
        if cluster_file is None:
            self.report(cluster_dir, "cluster folder has no cluster.yaml", "missing-file")
        else:
            cluster.cluster = self.document(cluster_file, "Cluster", cluster.name)
        for entry in self.entries(cluster_dir):
            if entry == cluster_file:
                continue
            if not entry.is_dir():
                if self.is_yaml(entry):
                    self.report(entry, "stray file: a cluster folder holds cluster.yaml and the folders "
                                       f"{', '.join(CLUSTER_FOLDERS)}", "stray")
            elif entry.name == "config":
                cluster.config = self.config_folder(entry)
            elif entry.name in KIND_OF_FOLDER:
                self.load_kind_folder(cluster, entry, KIND_OF_FOLDER[entry.name])
            else:
                self.report(entry, f"unknown folder {entry.name!r} in a cluster; allowed: "
                                   f"{', '.join(CLUSTER_FOLDERS)}", "stray")
        return cluster

    def load_kind_folder(self, cluster: ClusterDocs, folder: Path, kind: str) -> None:
        target = {"Tenant": cluster.tenants, "ArgoProject": cluster.argo_projects,
                  "NodePool": cluster.node_pools}[kind]
        seen: dict[str, str] = {}  # stem -> file name, whether or not that file could be read
        for path in self.entries(folder):
            if path.is_dir():
                self.report(path, f"sub-folders are not read in {folder.name}/; one {kind} per file", "stray")
                continue
            if not self.is_yaml(path):
                continue
            name = path.stem
            if name in seen:
                self.report(path, f"{kind} {name!r} is defined twice in this folder "
                                  f"({seen[name]} and {path.name}); keep one", "duplicate")
                continue
            seen[name] = path.name
            doc = self.document(path, kind, name)
            if doc:
                target[name] = doc
            else:
                cluster.unreadable[(kind, name)] = self.shown(path)

    def kind_file(self, folder: Path, kind: str) -> Path | None:
        stem = FILE_OF_KIND[kind].removesuffix(".yaml")
        for suffix in YAML_SUFFIXES:
            candidate = folder / f"{stem}{suffix}"
            if candidate.is_file() and self._walk.follows(self.rel(candidate)):
                return candidate
        return None


def kind_at(rel: str) -> str | None:
    """The kind the loader expects of the file at ``rel`` (a path in the tree), if any."""
    parts = rel.split("/")
    stem, dot, suffix = parts[-1].rpartition(".")
    if not dot or f".{suffix}" not in YAML_SUFFIXES:
        return None
    if len(parts) == 5:
        return KIND_OF_FOLDER.get(parts[3])
    return _KIND_OF_STEM_AT_DEPTH.get((len(parts), stem))


# (depth of the path, file name without suffix) -> kind: tier.yaml, <account>/account.yaml, ...
_KIND_OF_STEM_AT_DEPTH = {(depth, FILE_OF_KIND[kind].removesuffix(".yaml")): kind
                          for depth, kind in ((2, "Tier"), (3, "Account"), (4, "Cluster"))}


def document_data(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """A file's one document as the loader keeps it: nulls dropped where they are not directives
    (``data`` itself when it holds none)."""
    if not contains_null(data):
        return data
    return _unset_nulls(data, NULL_DIRECTIVE_PARTS.get(kind))  # type: ignore[no-any-return]


def _unset_nulls(node: Any, keep: tuple[str, ...] | None) -> Any:
    """Drop null-valued keys everywhere except below the path ``keep``."""
    if keep == ():
        return node
    if isinstance(node, dict):
        return {key: _unset_nulls(value, keep[1:] if keep and key == keep[0] else None)
                for key, value in node.items() if value is not None}
    if isinstance(node, list):
        return [_unset_nulls(item, None) for item in node]
    return node


def _is_manifest(doc: Any) -> bool:
    return (isinstance(doc, dict) and isinstance(doc.get("apiVersion"), str) and isinstance(doc.get("kind"), str)
            and isinstance(doc.get("metadata"), dict) and isinstance(doc["metadata"].get("name"), str))


def load_tree(root: Path, display_root: str | None = None, parse: Callable[[bytes], list[Any]] = load_all,
              skip_cluster: Callable[[str], bool] = lambda rel: False,
              raws: Mapping[str, bytes] | None = None) -> tuple[TreeDocs, list[Finding]]:
    """Read every file of the tree at ``root`` (``raws``: the bytes of files read already, by rel).
    Raises ``UsageError`` when there is no such folder."""
    if not root.exists():
        raise UsageError(f"tree {str(root)!r} does not exist")
    if not root.is_dir():
        raise UsageError(f"tree {str(root)!r} is not a folder")
    loader = Loader(root, display_root if display_root is not None else display_root_of(root), parse=parse,
                    skip_cluster=skip_cluster, raws=raws or {})
    tree = loader.load()
    return tree, loader.findings

