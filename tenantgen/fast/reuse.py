"""Incremental render: leave alone the clusters whose output cannot have changed.

Everything a cluster's output (and its findings) depends on is in one digest: the bytes of its own
files (cluster, tenants, Argo CD projects, node pools, config), of its tier and account files and the
tier's config, every chart tenantgen may use, the helmfile template, the render options that change
output (engine and its version, CRDs, --validate-output) and tenantgen's own code. After a successful
render, this machine records that digest per cluster, with the counts for the summary, in the user
cache beside the signatures of OUT's files (``out_record``: never in OUT, whose bytes must not depend
on the machine). The next render into the same OUT reuses a cluster (no validation, planning,
rendering or writing) when its digest is the same *and* every file tenantgen wrote for it is still
on disk as recorded (size, modification and change times, inode) in folders nothing was added to or
removed from (for a large output a process checks a share of it while the tree is read, see
``IntactCheck``). Anything else, including a missing or unreadable record, renders the cluster as
usual.

This relies on tenantgen's checks being local to a cluster (and its tier and account), which they are:
a finding about a cluster can only come from the files in its digest.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import subprocess
import sys
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

from tenantgen.errors import TenantgenError
from tenantgen.fast import intact as intact_module
from tenantgen.fast.cache_file import read_cache_file, write_cache_file
from tenantgen.fast.fingerprint import code_fingerprint
from tenantgen.fast.intact import intact_clusters
from tenantgen.fast.out_record import shard_header, shard_path
from tenantgen.load import (
    ClusterDocs,
    Document,
    Entry,
    TreeDocs,
    TreeWalk,
    cluster_of,
    cluster_parts,
    tier_config_of,
)
from tenantgen.plan import ChartCatalog
from tenantgen.write import commit_pending
from tenantgen.yamlio import MAX_FILE_BYTES

MEMO_FILE = "clusters.bin"  # in the record folder of OUT (``out_record``)
MEMO_MAGIC = b"tenantgen-cluster-records 1\n"
SIGNATURES_MAGIC = b"tenantgen-file-signatures 1\n"
RACY_SECONDS = 2
Signature = tuple[int, int, int, int, bytes]  # size, mtime_ns, ctime_ns, inode, sha256


@dataclass(frozen=True)
class ClusterRecord:
    inputs: str  # the digest of everything the cluster's output depends on
    tenants: int
    releases: int
    objects: int
    files: int  # files tenantgen wrote for the cluster (all recorded with their signatures)
    charts: tuple[str, ...]  # "<chart>-<version>" of the charts its releases use


def read_memo(folder: Path) -> dict[str, ClusterRecord]:
    """What each cluster of an OUT was rendered from (``folder``: its record folder)."""
    try:
        return {str(rel): ClusterRecord(str(record[0]), int(record[1]), int(record[2]), int(record[3]),
                                        int(record[4]), tuple(str(chart) for chart in record[5]))
                for rel, record in read_cache_file(folder / MEMO_FILE, MEMO_MAGIC).items()}
    except (ValueError, TypeError, IndexError, KeyError):
        return {}  # no record is trusted on a file that does not read back


def write_memo(folder: Path, records: Mapping[str, ClusterRecord]) -> bool:
    """Whether the record of OUT's clusters now says ``records``."""
    table = {rel: (record.inputs, record.tenants, record.releases, record.objects, record.files, record.charts)
             for rel, record in sorted(records.items())}
    try:
        if read_cache_file(folder / MEMO_FILE, MEMO_MAGIC) != table:  # a run that changed nothing writes nothing
            write_cache_file(folder / MEMO_FILE, MEMO_MAGIC, table)
        return True
    except OSError:
        return False


def forget_clusters(folder: Path, clusters: Collection[str]) -> None:
    """Drop the records of ``clusters`` before their files in OUT change (just before the commit).

    A run cut short after writing them (a signal held through the commit is delivered after it) but
    before recording what they were rendered from would otherwise leave the record of the old
    inputs: a later run on those inputs again would reuse output that no longer matches them.
    Without a record a cluster is rendered again: slower, still right. A record that can be neither
    rewritten nor removed stops the run before anything is written."""
    records = read_memo(folder)
    if not records.keys() & set(clusters):
        return
    if write_memo(folder, {rel: record for rel, record in records.items() if rel not in clusters}):
        return
    path = folder / MEMO_FILE
    with suppress(OSError):
        path.unlink()
    if path.exists():
        raise TenantgenError(f"cannot update {path}, the record of what OUT's clusters were rendered from; "
                             "remove it and render again")


def shared_inputs(parts: Mapping[str, object], catalog: ChartCatalog, templates: Iterable[Path]) -> bytes:
    """What every cluster's output depends on: options, charts, helmfile template, tenantgen itself."""
    digest = hashlib.sha256(code_fingerprint().encode())
    digest.update(json.dumps(parts, sort_keys=True, default=str).encode())
    for key in sorted(catalog.charts):
        ref = catalog.charts[key]
        digest.update(f"\0chart {ref.name} {ref.version} {ref.digest} {ref.bundled}".encode())
    for template in templates:
        try:
            digest.update(f"\0template {template.name}\0".encode() + template.read_bytes())
        except OSError:
            digest.update(b"\0template missing")
    return digest.digest()


@dataclass
class TreeScan:
    """Every file of a tree, read once: its SHA-256 by path, and the bytes of the YAML files."""

    digests: dict[str, bytes] = field(default_factory=dict)  # rel (posix) -> sha256
    raws: dict[str, bytes] = field(default_factory=dict)  # rel -> bytes, YAML files read this time
    links: list[str] = field(default_factory=list)  # rel of every symbolic link, followed or refused
    # rel -> (size, mtime, ctime, inode, sha256) of files old enough for their digest to be reused
    signatures: dict[str, Signature] = field(default_factory=dict)
    _by_cluster: dict[str, list[str]] = field(default_factory=dict)

    def clusters(self) -> list[str]:
        """The rel of every folder with files three levels down: the clusters."""
        return sorted(key for key in self._by_cluster if not key.endswith("/config"))

    def cluster_digest(self, shared: bytes, rel: str) -> str | None:
        """Everything the cluster ``rel`` ("<tier>/<account>/<cluster>") is made from, or None when a
        symbolic link is among its files or on the way to them: what it is made from is then partly
        somewhere else in the tree, and such a cluster is always rendered (links are rare)."""
        tier, account, _ = cluster_parts(rel)
        own = [f"{tier}/tier.yaml", f"{tier}/tier.yml", f"{tier}/{account}/account.yaml",
               f"{tier}/{account}/account.yml"]
        folders = (f"{rel}/", f"{tier}/config/")
        if any(link in own or link in (rel, f"{tier}/config") or link.startswith(folders)
               or rel.startswith(f"{link}/") for link in self.links):
            return None
        paths = [path for path in own if path in self.digests]
        paths += self._by_cluster.get(rel, []) + self._by_cluster.get(f"{tier}/config", [])
        digest = hashlib.sha256(shared)
        for path in sorted(paths):
            digest.update(path.encode() + b"\0" + self.digests[path])
        return digest.hexdigest()


OnRead = Callable[[str, bytes, bytes], None]  # (path in the tree, digest, bytes) of a YAML file the scan read


def scan_tree(root: Path, known: Mapping[str, Signature] | None = None, on_read: OnRead | None = None) -> TreeScan:
    """Hash every file of the tree at ``root``, walked as the loader walks it (``load.TreeWalk``).

    A file whose size, modification and change times and inode are those in ``known`` keeps the
    digest recorded there without being read (as git does). Only files last changed more than
    ``RACY_SECONDS`` before the scan are recorded: a file changed within the same clock tick as a
    scan could otherwise keep a stale digest. ``on_read`` is handed each YAML file as it is read
    (the parse cache starts parsing the ones it does not know while the scan goes on).
    """
    scan = TreeScan()
    cutoff = time.time_ns() - RACY_SECONDS * 10**9
    for entry in TreeWalk(root).walk():
        if entry.is_link:
            scan.links.append(entry.rel)  # followed or not, the cluster it is in is never reused
        if entry.followed and not entry.is_dir:
            _scan_file(scan, entry, known or {}, cutoff, on_read)
    return scan


def read_signatures(path: Path) -> dict[str, Signature]:
    return {rel: value for rel, value in read_cache_file(path, SIGNATURES_MAGIC).items()
            if isinstance(rel, str) and isinstance(value, tuple) and len(value) == 5 and isinstance(value[4], bytes)}


def write_signatures(path: Path, signatures: Mapping[str, Signature]) -> None:
    try:
        write_cache_file(path, SIGNATURES_MAGIC, dict(signatures))
    except OSError:
        pass  # a cache that cannot be written only makes the next run slower


def _read_up_to_limit(handle: int, size: int) -> bytes:
    """A file's bytes, read at most ``MAX_FILE_BYTES + 1`` of them: a huge file is only "too large".

    Asked for the size the file has (plus one) rather than for the limit: a read allocates what it is
    asked for, and 1 MiB per file made reading a large tree three times slower. A file that grew
    since its size was taken gives the one byte more, and is read on to the limit."""
    wanted = min(size, MAX_FILE_BYTES) + 1
    raw = os.read(handle, wanted)
    if len(raw) == wanted and wanted <= MAX_FILE_BYTES:
        raw += os.read(handle, MAX_FILE_BYTES + 1 - wanted)
    return raw


def _scan_file(scan: TreeScan, entry: Entry, known: Mapping[str, Signature], cutoff: int,
               on_read: OnRead | None) -> None:
    rel = entry.rel
    try:
        stat = os.stat(entry.path)
    except OSError:
        return  # the loader reports what it cannot read
    before = known.get(rel)
    if before is not None and before[:4] == (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino):
        digest = before[4]
    else:
        try:
            handle = os.open(entry.path, os.O_RDONLY)
            try:
                raw = _read_up_to_limit(handle, stat.st_size)
            finally:
                os.close(handle)
        except OSError:
            return
        digest = hashlib.sha256(raw).digest()
        if len(raw) <= MAX_FILE_BYTES and entry.name.endswith((".yaml", ".yml")):
            scan.raws[rel] = raw
            if on_read is not None:
                on_read(rel, digest, raw)
    scan.digests[rel] = digest
    if stat.st_mtime_ns < cutoff and stat.st_ctime_ns < cutoff:
        scan.signatures[rel] = (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino, digest)
    cluster = cluster_of(rel)
    if cluster is not None:
        scan._by_cluster.setdefault(cluster, []).append(rel)
    elif (config := tier_config_of(rel)) is not None:
        scan._by_cluster.setdefault(config, []).append(rel)


def document_digests_match(scan: TreeScan, tree: TreeDocs, cluster: ClusterDocs) -> bool:
    """Whether what the loader read for ``cluster`` is what the scan read (no edit in between)."""
    docs: list[Document | None] = [tree.tiers.get(cluster.tier), tree.accounts.get((cluster.tier, cluster.account)),
                                   *cluster.documents()]
    pairs = [(doc.rel, doc.raw) for doc in docs if doc is not None]
    pairs += [(config.rel, config.raw) for config in (*tree.tier_config.get(cluster.tier, []), *cluster.config)]
    return all(scan.digests.get(rel) == hashlib.sha256(raw).digest() for rel, raw in pairs)


PROCESS_MIN_FILES = 20_000  # below this, checking OUT takes less than starting a process for a share of it
# The process's share of the files: this process reads the tree meanwhile (~0.3 s for the benchmark's
# fleet), then checks the rest; at about 0.6 the two end together there.
PROCESS_SHARE = 0.6


class IntactCheck:
    """Which of the clusters asked about (their records) OUT holds intact (``intact.intact_clusters``).

    When the clusters of ``early`` have many files, a process starts now on a share of them, and this
    one checks the others when asked (``__call__``), after reading the tree. If the process cannot
    start or fails, its share is checked here: slower, never a different answer. A check that fails
    makes its clusters count as changed; any cluster not in ``early`` is checked when asked about.
    Used as a context manager: on the way out, a process nobody asked is ended.
    """

    def __init__(self, out: Path | None, folder: Path, early: Mapping[str, ClusterRecord]) -> None:
        self.out, self.folder = out, folder
        self.theirs: dict[str, int] = {}
        self.process: subprocess.Popen[bytes] | None = None
        if out is None or commit_pending(out):
            self.out = None  # no OUT, or an interrupted run: let ``write_output`` finish it first
            return
        expected = {rel: record.files for rel, record in early.items()}
        total = sum(expected.values())
        if total < PROCESS_MIN_FILES:
            return
        taken = 0
        for rel in sorted(expected):
            if taken >= PROCESS_SHARE * total:
                break
            self.theirs[rel] = expected[rel]
            taken += expected[rel]
        self.process = _start_check(out, self._shards(self.theirs))

    def __call__(self, asked: Mapping[str, ClusterRecord]) -> set[str]:
        if self.out is None:
            return set()
        mine = intact_clusters(str(self.out), self._shards(
            {rel: record.files for rel, record in asked.items() if rel not in self.theirs}), shard_header())
        found = self._answer()
        if found is None:
            found = intact_clusters(str(self.out), self._shards(self.theirs), shard_header())
        return (mine | found) & asked.keys()

    def __enter__(self) -> IntactCheck:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            with suppress(OSError):
                self.process.kill()
            self._answer()

    def _shards(self, expected: Mapping[str, int]) -> list[tuple[str, str, int]]:
        return [(rel, os.fspath(shard_path(self.folder, rel)), count) for rel, count in expected.items()]

    def _answer(self) -> set[str] | None:
        """The process's intact clusters; None when it failed (or when there is none)."""
        process, self.process = self.process, None
        if process is None:
            return None
        assert process.stdout is not None
        try:
            with process.stdout:
                answer = marshal.loads(process.stdout.read())
        except (OSError, ValueError, EOFError, TypeError):
            answer = None
        if process.wait() != 0 or not isinstance(answer, list) or not all(isinstance(a, str) for a in answer):
            return None
        return set(answer)


def _start_check(out: Path, shards: list[tuple[str, str, int]]) -> subprocess.Popen[bytes] | None:
    """Start ``intact.serve`` on ``shards`` in a bare interpreter (``-I -S``: no site, no environment:
    it needs the standard library and this package's folder only); None if it cannot start."""
    package_parent = os.fspath(Path(intact_module.__file__).resolve().parents[2])
    code = f"import sys; sys.path.insert(0, {package_parent!r}); from tenantgen.fast.intact import serve; serve()"
    try:
        process = subprocess.Popen([sys.executable, "-I", "-S", "-c", code], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    except (OSError, ValueError, TypeError):  # (TypeError: an embedding interpreter may have no executable)
        return None
    try:
        assert process.stdin is not None
        process.stdin.write(marshal.dumps((os.fspath(out), shard_header(), shards)))
        process.stdin.close()
    except OSError:
        process.kill()
        process.wait()
        return None
    return process
