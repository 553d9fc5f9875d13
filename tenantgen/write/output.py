"""Write stage: put a rendered output set into OUT atomically, prune what tenantgen wrote before.

- Only files whose bytes changed are written; the rest are left alone (mtimes included).
- Files tenantgen never wrote are never touched: ``OUT/.tenantgen/index.json`` lists what it wrote.
- Atomic: new files are staged under ``OUT/.tenantgen/``; a journal of the moves is written, then
  applied with signals held back. A run that fails or is interrupted before the journal exists
  leaves OUT as it was; one that dies while applying it is rolled forward by the next run.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import shutil
import threading
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from tenantgen.errors import TenantgenError
from tenantgen.plan.selection import Selection
from tenantgen.render.output_set import OutputSet, sha256
from tenantgen.signals import signals_held

try:
    import fcntl
except ImportError:  # Windows: no flock, and no lock
    fcntl = None  # type: ignore[assignment]

STATE_DIR = ".tenantgen"
INDEX_VERSION = 2
SHARDS_DIR = "index"  # under STATE_DIR: one index file per cluster (see ``_write_index``)
HAND_OVER = 64  # files per hand-over to the early-staging thread


@dataclass(frozen=True)
class WriteStats:
    written: list[str]
    unchanged: int
    removed: list[str]
    # Written over files the index did not list (a file from another clone's render, or a hand-made
    # one at a path tenantgen writes), and whether there was an index to list them.
    unlisted: list[str] = field(default_factory=list)
    index_trusted: bool = True


def _state(out: Path) -> Path:
    return out / STATE_DIR


class _IndexFile(NamedTuple):
    """OUT's ``index.json`` as read, and the shards read from it so far."""

    signature: tuple[str, int, int, int]  # (path, inode, size, mtime): read again when it changes
    version: int
    listing: dict[str, str]  # cluster ("" for files of no cluster: charts/) -> its shard's file name
    shards: dict[str, dict[str, dict[str, Any]]]  # cluster -> its files, for the shards read so far


# The index as last read: a run asks for it several times (reuse check, staging, write), and for
# 100,000 files reading it all takes half a second. Shards are read when first asked for: a run
# that renders one cluster reads one shard (and the shards of the clusters it keeps, in a helper).
_last_index: _IndexFile | None = None


def read_index(out: Path, clusters: Collection[str] | None = None) -> dict[str, dict[str, Any]]:
    """Every file tenantgen wrote into OUT: path -> {cluster, tenant, release, sha256, size, mtime_ns}.

    ``clusters``: only the files of these clusters ("" for the files of no cluster: charts/).

    On disk: ``index.json`` names one shard per cluster (a render that changes one cluster rewrites
    one shard, not an index of 100,000 files). An index from before shards (version 1, every file
    in ``index.json``) is read too. Anything that does not parse is ignored, whole: nothing is pruned
    on the word of an index that cannot be trusted.
    """
    index = _index_file(out)
    if index is None:
        return {}
    files: dict[str, dict[str, Any]] = {}
    for cluster in index.listing if clusters is None else [c for c in index.listing if c in clusters]:
        shard = _shard(out, index, cluster)
        if shard is None:
            return {}
        files.update(shard)
    return files


def _index_file(out: Path) -> _IndexFile | None:
    global _last_index
    path = _state(out) / "index.json"
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
        _last_index = _IndexFile(signature, 1, dict.fromkeys(shards, ""), shards)
        return _last_index
    listing = index.get("shards")
    if index.get("version") != INDEX_VERSION or not isinstance(listing, dict) or any(
            name != _shard_name(cluster) for cluster, name in listing.items()):
        return None
    _last_index = _IndexFile(signature, INDEX_VERSION, listing, {})
    return _last_index


def _shard(out: Path, index: _IndexFile, cluster: str) -> dict[str, dict[str, Any]] | None:
    """The files of ``cluster`` (read now unless read before), or None when its shard does not parse."""
    shard = index.shards.get(cluster)
    if shard is None and cluster in index.listing:
        try:
            data = json.loads((_state(out) / SHARDS_DIR / index.listing[cluster]).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
            return None
        shard = index.shards[cluster] = data["files"]
    return shard


def _entry(out: Path, index: _IndexFile | None, rel: str) -> dict[str, Any] | None:
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


def safe_target(out: Path, rel: str) -> Path:
    """OUT/rel, refusing any path that would land outside OUT (``..``, absolute, a planted link)."""
    return Path(_Targets(out).check(rel))


def _plain(rel: str) -> bool:
    """A relative path with no empty, "." or ".." part: it stays inside the folder it is joined to."""
    parts = rel.split("/")  # (an absolute path starts with an empty part)
    return "" not in parts and "." not in parts and ".." not in parts


class _Targets:
    """``safe_target`` for many paths: each folder is checked once, not once per file in it."""

    def __init__(self, out: Path) -> None:
        self.out = os.fspath(out)
        self._real_out = out.resolve()
        self._safe: dict[str, tuple[bool, bool]] = {}  # folder -> (inside OUT, exists)

    def check(self, rel: str) -> str:
        if not _plain(rel):
            raise TenantgenError(f"refusing to write {rel!r}: not a plain path inside the output directory")
        target = f"{self.out}/{rel}"  # (string operations: os.path's cost more, 125,000 times)
        inside, exists = self._inside(target.rpartition("/")[0])
        # In a folder that does not exist yet there is nothing to be a link: no lstat for new files.
        if not inside or (exists and os.path.islink(target)):
            raise TenantgenError(f"refusing to write {target}: it would leave the output directory "
                                 "(through a symbolic link)")
        return target

    def occupied(self, rel: str) -> bool:
        """Whether something is at OUT/``rel`` already (in a folder OUT does not have: no lstat)."""
        target = f"{self.out}/{rel}"
        return self._inside(target.rpartition("/")[0])[1] and os.path.lexists(target)

    def _inside(self, folder: str) -> tuple[bool, bool]:
        # The nearest existing folder must resolve inside OUT (a symbolic link may point anywhere).
        known = self._safe.get(folder)
        if known is None:
            if folder == self.out:
                known = (True, True)
            else:
                parent_inside, parent_exists = self._inside(folder.rpartition("/")[0])
                if not parent_exists or not os.path.lexists(folder):
                    known = (parent_inside, False)  # (under a missing folder: a first render asks no lstat)
                elif not os.path.islink(folder) and os.path.isdir(folder):
                    known = (parent_inside, True)
                else:
                    known = (Path(folder).resolve().is_relative_to(self._real_out), True)
            self._safe[folder] = known
        return known


@dataclass
class _Plan:
    write: list[str]
    unchanged: list[str]
    remove: list[str]
    digests: dict[str, str]  # sha256 of every file of the set
    unlisted: list[str] = field(default_factory=list)  # to write over a file the index does not list
    taken_over: list[str] = field(default_factory=list)  # not in the index, on disk with the very bytes (unchanged)


def _plan(out: Path, index: Mapping[str, Mapping[str, Any]], files: OutputSet, selection: Selection,
          keep: Collection[str], targets: _Targets, staged: Mapping[str, Staged] | None = None) -> _Plan:
    """``staged``: files staged early, whose digest is not computed again for the very same bytes."""
    plan = _Plan([], [], [], {})
    base = os.fspath(out)
    staged = staged or {}
    for rel in sorted(files):
        data = files[rel].data
        early = staged.get(rel)
        digest = plan.digests[rel] = early.digest if early is not None and early.data is data else sha256(data)
        entry = index.get(rel)
        if _unchanged(f"{base}/{rel}", digest, entry):
            plan.unchanged.append(rel)
        elif entry is not None or not targets.occupied(rel):
            plan.write.append(rel)
        elif _holds(f"{base}/{rel}", data):
            plan.unchanged.append(rel)  # what this run would write is there already: taken over as it is
            plan.taken_over.append(rel)
        else:
            plan.write.append(rel)
            plan.unlisted.append(rel)
    plan.remove = sorted(rel for rel, entry in index.items()
                         if entry.get("cluster") not in keep and rel not in files and selection.owns(entry))
    return plan


def _unchanged(target: Path | str, digest: str, entry: Mapping[str, Any] | None) -> bool:
    """Whether the file at ``target``, as the index recorded it, already has the bytes of ``digest``."""
    return entry is not None and entry.get("sha256") == digest and _matches_disk(target, entry)


def _holds(target: str, data: bytes) -> bool:
    """Whether ``target`` is a regular file (not a link) with exactly ``data``."""
    if os.path.islink(target) or not os.path.isfile(target):
        return False
    try:
        with open(target, "rb") as handle:
            return handle.read(len(data) + 1) == data
    except OSError:
        return False


def _matches_disk(target: Path | str, entry: Mapping[str, Any]) -> bool:
    # Size and mtime catch a hand edit without reading every file back.
    try:
        stat = os.stat(target)
    except OSError:
        return False
    return stat.st_size == entry.get("size") and stat.st_mtime_ns == entry.get("mtime_ns")


def intact_clusters(out: Path, expected: Mapping[str, int]) -> set[str]:
    """The clusters (of ``expected``: cluster -> number of files) whose files tenantgen wrote are all
    in the index and still on disk as it wrote them."""
    if (_state(out) / "journal.json").exists():
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


class Staged(NamedTuple):
    """A file staged early: where, and what was staged (``data`` is the very bytes object given)."""

    path: str
    digest: str
    size: int
    mtime_ns: int
    data: bytes


def _lock_out(out: Path) -> int | None:
    """An exclusive lock on OUT for one writing render; a second one at the same time is refused.

    Two renders into one OUT would each recover (and so remove) the other's staging and commit over
    each other: both could end "written" with a mix of two trees in OUT. The lock is the kernel's
    (flock on OUT itself): it ends with the process, however it ends. None where there is no flock.
    """
    if fcntl is None:
        return None
    handle = os.open(out, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(handle)
        raise TenantgenError(f"another tenantgen render is writing into the output directory {out}; wait for it "
                             "to end and render again (nothing was written)") from None
    return handle


class EarlyStaging:
    """Stages files while the render is still going, in a thread of its own.

    The parent mostly waits while the workers render, and creating tens of thousands of files is
    most of a cold render's writing: done meanwhile, it is not done after. Only files that differ
    from OUT's index are staged; staging is not output (it lives under ``OUT/.tenantgen/``), so a run
    that fails later leaves OUT as it was, exactly as before. ``write_output`` takes what was staged
    and stages the rest itself; anything staged that does not match the final bytes is not used.
    """

    def __init__(self, out: Path) -> None:
        # What it creates, it removes again unless the run wrote output: a failed first render
        # leaves no empty OUT behind.
        self._created = [folder for folder in (*reversed(out.parents), out, _state(out)) if not folder.exists()]
        out.mkdir(parents=True, exist_ok=True)
        self._lock = _lock_out(out)  # held until ``__exit__``: through the commit and the cluster records
        recover(out)
        self.out = out
        self.folder = _state(out) / f"staging-{os.getpid()}"
        self.folder.mkdir(parents=True, exist_ok=True)
        self._index = _index_file(out)  # (shards are read as files of their cluster come)
        self._queue: queue.SimpleQueue[list[tuple[str, bytes]] | None] = queue.SimpleQueue()
        self._pending: list[tuple[str, bytes]] = []
        self._staged: dict[str, Staged] = {}
        self._failed = False
        self._thread = threading.Thread(target=self._run, name="tenantgen-staging", daemon=True)
        self._thread.start()

    def __enter__(self) -> EarlyStaging:
        return self

    def __exit__(self, *exc: object) -> None:
        self._failed = True  # an interrupted run does not wait for the files still queued
        self.finish()
        _drop_staging(self.out, self.folder)
        if self._lock is not None:
            os.close(self._lock)
        for folder in reversed(self._created):
            try:
                folder.rmdir()  # only if empty: a successful run has written into it
            except OSError:
                break

    def add(self, files: list[tuple[str, bytes]]) -> None:
        """Stage these files (a release's). They go to the thread a few dozen at a time: each hand-over
        wakes it, and waking it for every release cost more than the writing."""
        self._pending.extend(files)
        if len(self._pending) >= HAND_OVER:
            self._queue.put(self._pending)
            self._pending = []

    def finish(self) -> dict[str, Staged]:
        """What was staged, once everything added is; nothing if any write failed (then
        ``write_output`` stages again and reports the error itself)."""
        if self._thread.is_alive():
            if self._pending:
                self._queue.put(self._pending)
                self._pending = []
            self._queue.put(None)
            self._thread.join()
        return {} if self._failed else self._staged

    def _run(self) -> None:
        base = os.fspath(self.out)
        layout = _StagingLayout(self.folder)
        while (files := self._queue.get()) is not None:
            for rel, data in files:
                if self._failed:
                    break
                digest = sha256(data)
                if not _plain(rel) or _unchanged(os.path.join(base, rel), digest, _entry(self.out, self._index, rel)):
                    continue  # (``write_output`` refuses a path that is not plain, with a message)
                try:
                    path, size, mtime_ns = layout.write(rel, data)
                except OSError:
                    self._failed = True
                    continue
                self._staged[rel] = Staged(path, digest, size, mtime_ns, data)


class _StagingLayout:
    """Files staged at the paths they will have in OUT (``staging/<rel>``), so that a folder OUT does
    not have yet (a new cluster, every folder of a first render) moves in as one rename."""

    def __init__(self, folder: Path) -> None:
        self.folder = os.fspath(folder)
        self._made: set[str] = set()

    def write(self, rel: str, data: bytes) -> tuple[str, int, int]:
        """Stage ``rel`` (a plain path): (its staged path, size, mtime_ns)."""
        path = os.path.join(self.folder, rel)
        parent = os.path.dirname(path)
        try:
            if parent not in self._made:
                os.makedirs(parent, exist_ok=True)
                self._made.add(parent)
            return (path, *_write_file(path, data))
        except OSError as exc:
            exc.filename, exc.filename2 = rel, None  # the file it was for, not where it was staged
            raise


def _write_file(path: str, data: bytes) -> tuple[int, int]:
    """Create ``path`` with ``data``: its (size, mtime_ns)."""
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(handle, view):]
        stat = os.fstat(handle)
    finally:
        os.close(handle)
    return stat.st_size, stat.st_mtime_ns


def write_output(out: Path, files: OutputSet, selection: Selection, keep: Mapping[str, int] | None = None,
                 early: EarlyStaging | None = None, before_commit: Callable[[], None] | None = None) -> WriteStats:
    """Write ``files`` into OUT. The files of clusters in ``keep`` (cluster -> how many files tenantgen
    wrote for it; unchanged since, see ``intact_clusters``) are left as they are: neither rewritten
    nor pruned, nor read from the index. ``early``: files staged while the render went on (it
    recovered OUT already)."""
    keep = keep or {}
    out.mkdir(parents=True, exist_ok=True)
    if early is None:
        recover(out)  # (it would remove the early staging folder)
    staged_early = early.finish() if early is not None else {}
    known = _index_file(out)
    # A sharded index is read but for the kept clusters' shards; an older one is read (and rewritten) whole.
    wanted = known.listing.keys() - keep.keys() if known is not None and known.version == INDEX_VERSION else None
    index = read_index(out, wanted)
    # (an index that lists files but gave none: a shard did not parse, and it was ignored whole)
    trusted = known is not None and (bool(index) or not (known.listing if wanted is None else wanted))
    targets = _Targets(out)
    plan = _plan(out, index, files, selection, keep, targets, staged_early)
    kept = sum(keep.values())
    if not plan.write and not plan.remove and not plan.taken_over and trusted:
        return WriteStats([], len(plan.unchanged) + kept, [])
    state = _state(out)
    staging = state / f"staging-{os.getpid()}"
    written: dict[str, tuple[int, int]] = {}  # rel -> (size, mtime_ns) of the staged file: a move keeps both
    try:
        staging.mkdir(parents=True, exist_ok=True)
        layout = _StagingLayout(staging)
        for rel in plan.write:
            targets.check(rel)
            early_file = staged_early.get(rel)
            if early_file is not None and early_file.digest == plan.digests[rel]:
                written[rel] = (early_file.size, early_file.mtime_ns)
            else:
                written[rel] = layout.write(rel, files[rel].data)[1:]
        for rel, early_file in staged_early.items():
            if rel not in written:  # staged, then not to be written after all: must not move in with its folder
                os.unlink(early_file.path)
        moves = _moves(out, staging, plan.write)
        for rel in plan.remove:
            targets.check(rel)
        if before_commit is not None:
            before_commit()  # (everything is staged: from here on the run changes OUT)
        journal = {"moves": moves, "remove": [str(out / rel) for rel in plan.remove]}
        tmp = state / "journal.json.tmp"
        tmp.write_text(json.dumps(journal), encoding="utf-8")
        with signals_held():
            os.replace(tmp, state / "journal.json")  # the commit point
            _apply(out, journal)
            _write_index(out, index, files, plan, written, keep)
            (state / "journal.json").unlink()
    except OSError as exc:  # a full disk, a read-only or vanished folder: the user's to fix, not a bug
        raise _write_error(out, exc) from None
    finally:
        _drop_staging(out, staging)
        (state / "journal.json.tmp").unlink(missing_ok=True)
    return WriteStats(plan.write, len(plan.unchanged) + kept, plan.remove, plan.unlisted, trusted)


MAX_LISTED = 20  # files named in a note; the rest counted


def unlisted_note(out: Path, stats: WriteStats) -> str | None:
    """What to tell about files written over that OUT's index did not list, if any.

    A path tenantgen writes is its own by the layout: a file there came from a render in another
    clone (the index is local state, not always committed) or was put there by hand. Refusing would
    stop the everyday case (pull a colleague's rendered tenant, change it, render); a note names
    them instead, so that a hand-made file there does not go unnoticed."""
    rels = stats.unlisted
    if not rels:
        return None
    listed = "".join(f"\n  {out.as_posix()}/{rel}" for rel in rels[:MAX_LISTED])
    if len(rels) > MAX_LISTED:
        listed += f"\n  ... and {len(rels) - MAX_LISTED} more"
    why = ("its index does not list them" if stats.index_trusted else
           f"it has no index of what it wrote here: {STATE_DIR}/index.json is missing or unreadable")
    return (f"replaced {len(rels)} file(s) at paths this render writes that tenantgen cannot tell it wrote ({why}; "
            f"a render in another clone, or a hand edit); keep files of your own at other paths:{listed}")


def _write_error(out: Path, exc: OSError) -> TenantgenError:
    reason = exc.strerror or str(exc)
    if exc.filename2 or exc.filename:  # (a rename's error names both paths: the target is the one meant)
        reason += f" (writing {os.fspath(exc.filename2 or exc.filename)})"
    if (_state(out) / "journal.json").exists():
        return TenantgenError(f"writing into the output directory {out} stopped part way: {reason}; "
                              "the next tenantgen render into it finishes what this one started")
    return TenantgenError(f"cannot write into the output directory {out}: {reason}; it was left as it was")


def _drop_staging(out: Path, staging: Path) -> None:
    """Remove a run's staging folder, unless a commit that was cut short still needs its files: then
    the next run's ``recover`` moves them in first."""
    if not (_state(out) / "journal.json").exists():
        shutil.rmtree(staging, ignore_errors=True)


def _moves(out: Path, staging: Path, rels: list[str]) -> list[tuple[str, str]]:
    """(staged, target) renames that put the staged ``rels`` in place: the highest staged folder
    that OUT does not have yet moves whole (everything staged under it is to be written); other
    files move one by one. A first render is then a rename per top folder, not one per file."""
    base, staged_base = os.fspath(out), os.fspath(staging)
    missing: dict[str, bool] = {}  # folder (relative) -> not in OUT
    whole: set[str] = set()
    moves = []
    for rel in rels:
        parts = rel.split("/")
        for depth in range(1, len(parts)):
            folder = "/".join(parts[:depth])
            if folder in whole:
                break  # moves with its folder
            if folder not in missing:
                missing[folder] = not os.path.lexists(os.path.join(base, folder))
            if missing[folder]:
                whole.add(folder)
                moves.append((os.path.join(staged_base, folder), os.path.join(base, folder)))
                break
        else:
            moves.append((os.path.join(staged_base, rel), os.path.join(base, rel)))
    return moves


def _apply(out: Path, journal: Mapping[str, Any]) -> None:
    made: set[str] = set()
    for staged, target in journal["moves"]:  # files, and folders OUT did not have
        folder = os.path.dirname(target)
        if folder not in made:
            os.makedirs(folder, exist_ok=True)
            made.add(folder)
        try:
            os.replace(staged, target)
        except FileNotFoundError:
            if os.path.exists(staged):
                raise
            # Moved already: a run that died while applying this journal got this far.
    for removed in journal["remove"]:
        path = Path(removed)
        path.unlink(missing_ok=True)
        _remove_empty_parents(path.parent, out)


def _remove_empty_parents(folder: Path, out: Path) -> None:
    while folder != out and folder.is_relative_to(out):
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def _write_index(out: Path, index: Mapping[str, Mapping[str, Any]], files: OutputSet, plan: _Plan,
                 written: Mapping[str, tuple[int, int]], keep: Collection[str]) -> None:
    """``index``: the entries read from OUT's index, those of the ``keep`` clusters aside when it is
    sharded (their shards stay as they are)."""
    entries = dict(index)
    changed = {str(index[rel].get("cluster") or "") for rel in plan.remove if rel in index}  # clusters whose shard changes
    for rel in plan.remove:
        entries.pop(rel, None)
    unchanged = set(plan.unchanged)
    for rel in files:
        file = files[rel]
        old = entries.get(rel)
        if rel in unchanged and old is not None:
            size, mtime_ns = old.get("size"), old.get("mtime_ns")  # checked against the disk in _plan
        elif rel in written:
            size, mtime_ns = written[rel]
        else:
            stat = os.stat(out / rel)
            size, mtime_ns = stat.st_size, stat.st_mtime_ns
        entries[rel] = {"cluster": file.cluster, "mtime_ns": mtime_ns, "release": file.release,
                        "sha256": plan.digests[rel], "size": size, "tenant": file.tenant}
        if entries[rel] != index.get(rel):
            changed.add(file.cluster)
    by_cluster: dict[str, dict[str, Mapping[str, Any]]] = {}
    for rel in sorted(entries):
        entry = entries[rel]
        by_cluster.setdefault(str(entry.get("cluster") or ""), {})[rel] = entry
    state = _state(out)
    shards = state / SHARDS_DIR
    known = _index_file(out)  # (as this run read it: index.json is rewritten below)
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
    tmp = path.with_name(path.name + ".tmp")
    # Compact: for 100,000 files the indented form takes seconds to write and read.
    tmp.write_text(json.dumps(payload, separators=(",", ":")) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def recover(out: Path) -> None:
    """Finish a commit a previous run started but did not end; drop staging it left behind."""
    state = _state(out)
    journal_path = state / "journal.json"
    if journal_path.exists():
        try:
            journal = json.loads(journal_path.read_text(encoding="utf-8"))
        except ValueError:
            journal = {"moves": [], "remove": []}
        _apply(out, journal)
        journal_path.unlink()
    if state.is_dir():
        for leftover in state.glob("staging-*"):
            shutil.rmtree(leftover, ignore_errors=True)
    else:
        state.mkdir(parents=True, exist_ok=True)


@dataclass(frozen=True)
class Difference:
    path: str
    state: str  # "changed", "missing", "extra"


def check_output(out: Path, files: OutputSet, selection: Selection) -> list[Difference]:
    """What ``write_output`` would change, comparing against the bytes on disk."""
    differences = []
    for rel in sorted(files):
        try:
            current = (out / rel).read_bytes()
        except OSError:
            differences.append(Difference(rel, "missing"))
            continue
        if current != files[rel].data:
            differences.append(Difference(rel, "changed"))
    for rel, entry in sorted(read_index(out).items()):
        if rel not in files and selection.owns(entry) and (out / rel).exists():
            differences.append(Difference(rel, "extra"))
    return differences
