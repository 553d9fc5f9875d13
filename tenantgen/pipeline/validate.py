"""The input side of the pipeline in one call: load -> validate (documents, merge, cross-file checks).

The parse cache, its helper processes and the fast document check are built here and handed to the
stages (``load_tree(parse=...)``, ``validate_loaded(check=...)``); the stages know nothing of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tenantgen.fast.document_check import CachedDocumentCheck
from tenantgen.fast.helpers import HelperPool, collector_paused
from tenantgen.fast.parse_cache import ParseCache
from tenantgen.fast.reuse import TreeScan, scan_tree
from tenantgen.load import cluster_of, kind_at, load_tree
from tenantgen.validate import Validation, validate_loaded


@dataclass
class Reading:
    """What reads the tree: the parse cache and the helper processes that fill it."""

    cache: ParseCache
    pool: HelperPool
    # Called once the helpers are done parsing the tree (their cores are free again), at the latest
    # once it is loaded; maybe twice.
    loaded: Callable[[], None] = lambda: None

    @classmethod
    def create(cls, cache_dir: Path | None, tree: Path) -> Reading:
        return cls(ParseCache(cache_dir, tree), HelperPool())


def validate_tree(root: Path, display_root: str | None = None, cache_dir: Path | None = None) -> Validation:
    """Load and check the tree at ``root``; ``cache_dir``: where the parse cache lives (None: none)."""
    reading = Reading.create(cache_dir, root)
    with reading.pool:
        validation = read_and_validate(root, display_root, reading)
    reading.cache.save()
    return validation


def read_and_validate(root: Path, display_root: str | None, reading: Reading, scan: TreeScan | None = None,
                      skip_cluster: Callable[[str], bool] | None = None) -> Validation:
    """``validate_tree`` with the caller's ``reading`` (the caller saves its parse cache when it suits
    it). ``scan``: the tree's files, read already (render needs them anyway). ``skip_cluster`` leaves
    clusters (by rel) out altogether: render skips those whose output it reuses."""
    cache, pool = reading.cache, reading.pool
    skip = skip_cluster or (lambda rel: False)
    with collector_paused():
        if scan is None and cache.cold() and root.is_dir():
            # A cold cache: parse in parallel what will be loaded, starting while the files are read.
            scan = scan_tree(root, on_read=lambda rel, digest, raw: cache.offer(digest, raw, pool, kind_at(rel)))
        if scan is not None:
            cache.touch(scan.digests.values())
            for rel, raw in scan.raws.items():
                cluster = cluster_of(rel)
                if cluster is None or not skip(cluster):
                    cache.offer(scan.digests[rel], raw, pool, kind_at(rel))  # (offered already: skipped)
            cache.send_rest(pool)  # (the loader takes the helpers' results as it reaches each file)
        cache.when_parsed(reading.loaded)
        tree, findings = load_tree(root, display_root, parse=cache.parse, skip_cluster=skip,
                                   raws=scan.raws if scan is not None else None)
        reading.loaded()
        validation = validate_loaded(tree, findings, CachedDocumentCheck(cache, pool))
        cache.settle()  # files of clusters that were not loaded: parsed all the same, for the cache
    return validation
