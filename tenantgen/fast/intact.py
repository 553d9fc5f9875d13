"""Which clusters' files in OUT are still exactly as tenantgen wrote them (for the incremental render).

A module of its own, light to import: a helper process starts on it while the tree is read (see
``reuse.intact_check``), and it should not have to load the rest of the reuse machinery first.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from tenantgen.write import commit_pending, read_index


def intact_clusters(out: Path, expected: Mapping[str, int]) -> set[str]:
    """The clusters (of ``expected``: cluster -> number of files) whose files tenantgen wrote are all
    in the index and still on disk as it wrote them."""
    if commit_pending(out):
        return set()  # an interrupted run: let ``write_output`` finish it first
    intact = set(expected)
    counts = dict.fromkeys(expected, 0)
    base = os.fspath(out) + os.sep
    stat = os.stat
    # The hot loop of a re-render (a stat per output file, 100,000+ for a large fleet): kept lean.
    for rel, entry in read_index(out, expected).items():
        cluster = entry.get("cluster")
        if cluster in intact:
            counts[cluster] += 1
            try:
                found = stat(base + rel)
            except OSError:
                intact.discard(cluster)
                continue
            if found.st_size != entry.get("size") or found.st_mtime_ns != entry.get("mtime_ns"):
                intact.discard(cluster)
    return {cluster for cluster in intact if counts[cluster] == expected[cluster]}


def intact_clusters_of(arguments: tuple[Path, Mapping[str, int]]) -> set[str]:
    """``intact_clusters`` for a helper process (which passes one argument)."""
    return intact_clusters(*arguments)
