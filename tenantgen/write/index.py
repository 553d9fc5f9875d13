"""Write stage: the index of what tenantgen wrote into OUT, read and written.

Files tenantgen never wrote are never touched: ``OUT/.tenantgen/index.json`` lists what it wrote,
one shard per cluster (a render that changes one cluster rewrites one shard, not an index of
100,000 files). Anything that does not parse is ignored, whole: nothing is pruned on the word of an
index that cannot be trusted.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from tenantgen.files import write_atomic
from tenantgen.write.state import state_dir

INDEX_VERSION = 2
SHARDS_DIR = "index"  # under STATE_DIR: one index file per cluster


class IndexFile(NamedTuple):
    """OUT's ``index.json`` as read, and the shards read from it so far."""

    signature: tuple[str, int, int, int]  # (path, inode, size, mtime): read again when it changes
    version: int
    listing: dict[str, str]  # cluster ("" for files of no cluster: charts/) -> its shard's file name
    shards: dict[str, dict[str, dict[str, Any]]]  # cluster -> its files, for the shards read so far


# The index as last read: a run asks for it several times (reuse check, staging, write), and for
# 100,000 files reading it all takes half a second. Shards are read when first asked for: a run
# that renders one cluster reads one shard (and the shards of the clusters it keeps, in a helper).
_last_index: IndexFile | None = None


def read_index(out: Path, clusters: Collection[str] | None = None) -> dict[str, dict[str, Any]]:
    """Every file tenantgen wrote into OUT: path -> {cluster, tenant, release, sha256, size, mtime_ns}.

    ``clusters``: only the files of these clusters ("" for the files of no cluster: charts/).

    An index from before shards (version 1, every file in ``index.json``) is read too.
    """
    index = index_file(out)
    if index is None:
        return {}
    files: dict[str, dict[str, Any]] = {}
    for cluster in index.listing if clusters is None else [c for c in index.listing if c in clusters]:
        shard = _shard(out, index, cluster)
        if shard is None:
            return {}
        files.update(shard)
    return files


def index_file(out: Path) -> IndexFile | None:
    """OUT's ``index.json`` (the one read before while it is unchanged), or None when it does not parse."""
    global _last_index
    path = state_dir(out) / "index.json"
    try:
        signature = _signature(path)
        if _last_index is not None and _last_index.signature == signature:
            return _last_index
        index = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(index, dict):
        return None
    if index.get("version") == 1:
        legacy = index.get("files")
        if not isinstance(legacy, dict) or not all(isinstance(entry, dict) for entry in legacy.values()):
            return None
        shards: dict[str, dict[str, dict[str, Any]]] = {}
        for rel, entry in legacy.items():
            shards.setdefault(str(entry.get("cluster") or ""), {})[rel] = entry
        _last_index = IndexFile(signature, 1, dict.fromkeys(shards, ""), shards)
        return _last_index
    listing = index.get("shards")
    if index.get("version") != INDEX_VERSION or not isinstance(listing, dict) or any(
            name != _shard_name(cluster) for cluster, name in listing.items()):
        return None
    _last_index = IndexFile(signature, INDEX_VERSION, listing, {})
    return _last_index


def _shard(out: Path, index: IndexFile, cluster: str) -> dict[str, dict[str, Any]] | None:
    """The files of ``cluster`` (read now unless read before), or None when its shard does not parse."""
    shard = index.shards.get(cluster)
    if shard is None and cluster in index.listing:
        try:
            data = json.loads((state_dir(out) / SHARDS_DIR / index.listing[cluster]).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
            return None
        shard = index.shards[cluster] = data["files"]
    return shard


def entry_of(out: Path, index: IndexFile | None, rel: str) -> dict[str, Any] | None:
    """The index's entry for ``rel``, from the shard of the cluster whose folder holds it."""
    if index is None:
        return None
    end = rel.find("/")
    while end > 0 and rel[:end] not in index.listing:
        end = rel.find("/", end + 1)
    shard = _shard(out, index, rel[:end] if end > 0 else "")
    return shard.get(rel) if shard is not None else None


def _signature(path: Path) -> tuple[str, int, int, int]:
    stat = os.stat(path)
    return (str(path.resolve()), stat.st_ino, stat.st_size, stat.st_mtime_ns)


def _shard_name(cluster: str) -> str:
    return hashlib.sha256(cluster.encode()).hexdigest()[:24] + ".json"


def write_index(out: Path, entries: Mapping[str, Mapping[str, Any]], changed: Collection[str],
                keep: Collection[str]) -> None:
    """Record ``entries`` (path -> entry) as everything tenantgen wrote into OUT, besides the files
    of the ``keep`` clusters when the index read was sharded (their shards stay as they are).
    ``changed``: the clusters whose entries differ from the index read; only their shards are
    rewritten (an older index is rewritten whole)."""
    by_cluster: dict[str, dict[str, Mapping[str, Any]]] = {}
    for rel in sorted(entries):
        entry = entries[rel]
        by_cluster.setdefault(str(entry.get("cluster") or ""), {})[rel] = entry
    state = state_dir(out)
    shards = state / SHARDS_DIR
    known = index_file(out)  # (as this run read it: index.json is rewritten below)
    sharded = known is not None and known.version == INDEX_VERSION
    touched = changed if sharded else set(by_cluster)
    shards.mkdir(parents=True, exist_ok=True)
    for cluster in sorted(touched):
        path = shards / _shard_name(cluster)
        if cluster in by_cluster:
            _write_json(path, {"cluster": cluster, "files": by_cluster[cluster]})
    listing = {cluster: _shard_name(cluster) for cluster in by_cluster}
    if sharded and known is not None:
        listing.update((cluster, name) for cluster, name in known.listing.items() if cluster in keep)
    _write_json(state / "index.json", {"shards": dict(sorted(listing.items())), "version": INDEX_VERSION})
    listed = set(listing.values())
    for stale in shards.iterdir():
        if stale.name not in listed:
            stale.unlink(missing_ok=True)


def _write_json(path: Path, payload: Any) -> None:
    # Compact: for 100,000 files the indented form takes seconds to write and read.
    write_atomic(path, (json.dumps(payload, separators=(",", ":")) + "\n").encode())
