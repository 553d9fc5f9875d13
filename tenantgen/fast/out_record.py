"""What this machine knows of an output directory it rendered into: kept in the user cache, never in OUT.

OUT is a Git artifact (committed, cloned, rendered into in other clones): anything in it that depends
on this machine (modification times, inodes) would differ between clones and change on every render.
So the signatures of the files tenantgen wrote or found in place (size, modification and change
times, inode, SHA-256) and of its cluster folders live in the user cache, under
``outputs/<OUT's real path, hashed>/``, one file per cluster (a render that changes one cluster
rewrites one file), beside what each cluster was rendered from (``reuse``).

A record is only ever a shortcut: a file whose signature does not match what is on disk is read and
compared, and a record that is missing or does not check out is ignored. A record of another OUT (a
clone, a copy, a folder made again at the same path) does not match: inodes and change times differ.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any, cast

from tenantgen.fast.cache_file import cache_header, read_cache_file, write_cache_file
from tenantgen.render.output_set import OutputSet
from tenantgen.write import CHARTS, FileSignature

SIGNATURES_MAGIC = b"tenantgen-output-signatures 1\n"
OUTPUTS = "outputs"  # under the cache folder
# A shard's table: file (rel) -> FileSignature; folder (rel + "/") -> (mtime_ns, ctime_ns, inode).
Shard = dict[str, tuple[Any, ...]]


def record_folder(cache_dir: Path, out: Path) -> Path:
    """Where this machine keeps what it knows of ``out`` (by its real path)."""
    key = hashlib.sha256(os.fsencode(out.resolve())).hexdigest()[:32]
    return cache_dir / OUTPUTS / key


def cluster_of_output(rel: str) -> str:
    """The cluster an output path belongs to ("" for charts/)."""
    parts = rel.split("/", 3)
    return "" if parts[0] == CHARTS or len(parts) < 4 else "/".join(parts[:3])


def shard_path(folder: Path, cluster: str) -> Path:
    return folder / f"{hashlib.sha256(cluster.encode()).hexdigest()[:24]}.bin"


def shard_header() -> bytes:
    """The header of every record file (for a reader of ``cache_file.read_table``)."""
    return cache_header(SIGNATURES_MAGIC)


def read_shard(folder: Path, cluster: str) -> Shard:
    table = read_cache_file(shard_path(folder, cluster), SIGNATURES_MAGIC)
    if table.get("") != cluster:  # (the cluster it is of, under the empty key)
        return {}
    return {rel: value for rel, value in table.items() if rel and isinstance(value, tuple)}


class Signatures:
    """The recorded signatures of OUT's files, read a cluster at a time, as files of it are asked about."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._shards: dict[str, Shard] = {}

    def shard(self, cluster: str) -> Shard:
        shard = self._shards.get(cluster)
        if shard is None:
            shard = self._shards[cluster] = read_shard(self.folder, cluster) if self.folder is not None else {}
        return shard

    def get(self, rel: str) -> FileSignature | None:
        value = self.shard(cluster_of_output(rel)).get(rel)
        return cast(FileSignature, value) if value is not None and len(value) == 5 else None

    def of(self, clusters: Collection[str]) -> dict[str, FileSignature]:
        """Every file signature of ``clusters``."""
        found: dict[str, FileSignature] = {}
        for cluster in clusters:
            found.update((rel, cast(FileSignature, value)) for rel, value in self.shard(cluster).items()
                         if len(value) == 5)
        return found


def up_to_date(out: str, rel: str, digest: str, signatures: Signatures) -> bool:
    """Whether OUT/``rel`` is, by its recorded signature, a file with the bytes of ``digest``."""
    signature = signatures.get(rel)
    if signature is None or signature[4] != digest:
        return False
    try:
        found = os.lstat(f"{out}/{rel}")
    except OSError:
        return False
    return signature[:4] == (found.st_size, found.st_mtime_ns, found.st_ctime_ns, found.st_ino)


def record_signatures(signatures: Signatures, out: Path, files: OutputSet, digests: Mapping[str, str],
                      removed: Collection[str], whole: Collection[str]) -> None:
    """Record what OUT holds after a write: the files of ``files`` (their ``digests``) as they are on
    disk now, less the ``removed`` ones, and the folders of each cluster. ``whole``: the clusters
    rendered whole (their earlier entries all go); the others keep what is recorded of their other files."""
    folder = signatures.folder
    if folder is None:
        return
    base = os.fspath(out)
    by_cluster: dict[str, list[str]] = {}
    for rel in files:
        by_cluster.setdefault(files[rel].cluster, []).append(rel)
    for rel in removed:
        by_cluster.setdefault(cluster_of_output(rel), [])
    for cluster, rels in sorted(by_cluster.items()):
        old = signatures.shard(cluster)
        table: Shard = {} if cluster in whole else {rel: value for rel, value in old.items() if not rel.endswith("/")}
        for rel in removed:
            table.pop(rel, None)
        for rel in rels:
            try:
                found = os.lstat(f"{base}/{rel}")
            except OSError:
                table.pop(rel, None)
                continue
            table[rel] = (found.st_size, found.st_mtime_ns, found.st_ctime_ns, found.st_ino, digests[rel])
        if cluster:
            _record_folders(base, cluster, table)
        if table == old:
            continue
        try:
            if any(not rel.endswith("/") for rel in table):
                write_cache_file(shard_path(folder, cluster), SIGNATURES_MAGIC, {"": cluster, **table})
            else:
                shard_path(folder, cluster).unlink(missing_ok=True)
        except OSError:
            pass  # a record that cannot be written only makes the next run slower
        signatures._shards[cluster] = table


def _record_folders(base: str, cluster: str, table: Shard) -> None:
    """The signature of the cluster's folder and of every folder holding its files: a file added to
    or removed from any of them (a stale file pulled in with git, say) changes its folder's."""
    folders = {cluster}
    for rel in table:
        folder = rel.rpartition("/")[0]
        while folder not in folders and len(folder) > len(cluster):
            folders.add(folder)
            folder = folder.rpartition("/")[0]
    for folder in folders:
        try:
            found = os.lstat(f"{base}/{folder}")
        except OSError:
            continue
        table[folder + "/"] = (found.st_mtime_ns, found.st_ctime_ns, found.st_ino)
