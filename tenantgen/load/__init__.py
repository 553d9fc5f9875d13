"""Load stage: read a tiered tree into documents (``load_tree``), walking it by one rule (``TreeWalk``)."""

from __future__ import annotations

from tenantgen.load.documents import (
    FILE_OF_KIND,
    FOLDER_OF_KIND,
    ClusterDocs,
    ConfigFile,
    Document,
    TreeDocs,
    contains_null,
)
from tenantgen.load.paths import cluster_of, cluster_parts, display_root_of, tier_config_of, tree_name_of
from tenantgen.load.tree import DNS_LABEL, document_data, kind_at, load_tree
from tenantgen.load.walk import Entry, TreeWalk, tree_files

__all__ = [
    "DNS_LABEL",
    "FILE_OF_KIND",
    "FOLDER_OF_KIND",
    "ClusterDocs",
    "ConfigFile",
    "Document",
    "Entry",
    "TreeDocs",
    "TreeWalk",
    "cluster_of",
    "cluster_parts",
    "contains_null",
    "display_root_of",
    "document_data",
    "kind_at",
    "load_tree",
    "tier_config_of",
    "tree_files",
    "tree_name_of",
]
