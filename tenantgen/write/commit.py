"""Write stage: put a rendered output set into OUT atomically, prune what tenantgen wrote before.

What changes is staged first (see ``staging``); then a journal of the moves is written, and applied
with signals held back. A run that fails or is interrupted before the journal exists leaves OUT as
it was; one that dies while applying it is rolled forward by the next run (``recover``).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tenantgen.errors import TenantgenError
from tenantgen.files import write_atomic
from tenantgen.plan.selection import Selection
from tenantgen.render.output_set import OutputSet
from tenantgen.signals import signals_held
from tenantgen.write.changes import Changes, find_changes
from tenantgen.write.index import INDEX_VERSION, index_file, read_index, write_index
from tenantgen.write.staging import StagedEarly, StagingLayout, drop_staging
from tenantgen.write.state import (
    STAGING_PREFIX,
    STATE_DIR,
    commit_pending,
    journal_path,
    staging_folder,
    state_dir,
)
from tenantgen.write.targets import Targets


@dataclass(frozen=True)
class WriteStats:
    written: list[str]
    unchanged: int
    removed: list[str]
    # Written over files the index did not list (a file from another clone's render, or a hand-made
    # one at a path tenantgen writes), and whether there was an index to list them.
    unlisted: list[str] = field(default_factory=list)
    index_trusted: bool = True


def write_output(out: Path, files: OutputSet, selection: Selection, keep: Mapping[str, int] | None = None,
                 early: StagedEarly | None = None, before_commit: Callable[[], None] | None = None) -> WriteStats:
    """Write ``files`` into OUT. The files of clusters in ``keep`` (cluster -> how many files tenantgen
    wrote for it; unchanged since) are left as they are: neither rewritten nor pruned, nor read from
    the index. ``early``: files staged while the render went on (it recovered OUT already)."""
    keep = keep or {}
    out.mkdir(parents=True, exist_ok=True)
    if early is None:
        recover(out)  # (it would remove the early staging folder)
    staged_early = early.finish() if early is not None else {}
    known = index_file(out)
    # A sharded index is read but for the kept clusters' shards; an older one is read (and rewritten) whole.
    wanted = known.listing.keys() - keep.keys() if known is not None and known.version == INDEX_VERSION else None
    index = read_index(out, wanted)
    # (an index that lists files but gave none: a shard did not parse, and it was ignored whole)
    trusted = known is not None and (bool(index) or not (known.listing if wanted is None else wanted))
    targets = Targets(out)
    changes = find_changes(out, index, files, selection, keep, targets, staged_early)
    kept = sum(keep.values())
    if not changes.write and not changes.remove and not changes.taken_over and trusted:
        return WriteStats([], len(changes.unchanged) + kept, [])
    staging = staging_folder(out)
    written: dict[str, tuple[int, int]] = {}  # rel -> (size, mtime_ns) of the staged file: a move keeps both
    try:
        staging.mkdir(parents=True, exist_ok=True)
        layout = StagingLayout(staging)
        for rel in changes.write:
            targets.check(rel)
            early_file = staged_early.get(rel)
            if early_file is not None and early_file.digest == changes.digests[rel]:
                written[rel] = (early_file.size, early_file.mtime_ns)
            else:
                written[rel] = layout.write(rel, files[rel].data)[1:]
        for rel, early_file in staged_early.items():
            if rel not in written:  # staged, then not to be written after all: must not move in with its folder
                os.unlink(early_file.path)
        moves = _moves(out, staging, changes.write)
        for rel in changes.remove:
            targets.check(rel)
        if before_commit is not None:
            before_commit()  # (everything is staged: from here on the run changes OUT)
        journal = {"moves": moves, "remove": [str(out / rel) for rel in changes.remove]}
        with signals_held():
            write_atomic(journal_path(out), json.dumps(journal).encode())  # the commit point
            _apply(out, journal)
            entries, changed = _new_entries(out, index, files, changes, written)
            write_index(out, entries, changed, keep)
            journal_path(out).unlink()
    except OSError as exc:  # a full disk, a read-only or vanished folder: the user's to fix, not a bug
        raise _write_error(out, exc) from None
    finally:
        drop_staging(out, staging)
    return WriteStats(changes.write, len(changes.unchanged) + kept, changes.remove, changes.unlisted, trusted)


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
    if commit_pending(out):
        return TenantgenError(f"writing into the output directory {out} stopped part way: {reason}; "
                              "the next tenantgen render into it finishes what this one started")
    return TenantgenError(f"cannot write into the output directory {out}: {reason}; it was left as it was")


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


def _new_entries(out: Path, index: Mapping[str, Mapping[str, Any]], files: OutputSet, changes: Changes,
                 written: Mapping[str, tuple[int, int]]) -> tuple[dict[str, Mapping[str, Any]], set[str]]:
    """The index's entries once the commit is applied, and the clusters whose entries changed.
    ``index``: the entries read from OUT's index (those of kept clusters aside when it is sharded)."""
    entries = dict(index)
    changed = {str(index[rel].get("cluster") or "") for rel in changes.remove if rel in index}
    for rel in changes.remove:
        entries.pop(rel, None)
    unchanged = set(changes.unchanged)
    for rel in files:
        file = files[rel]
        old = entries.get(rel)
        if rel in unchanged and old is not None:
            size, mtime_ns = old.get("size"), old.get("mtime_ns")  # checked against the disk in find_changes
        elif rel in written:
            size, mtime_ns = written[rel]
        else:
            stat = os.stat(out / rel)
            size, mtime_ns = stat.st_size, stat.st_mtime_ns
        entries[rel] = {"cluster": file.cluster, "mtime_ns": mtime_ns, "release": file.release,
                        "sha256": changes.digests[rel], "size": size, "tenant": file.tenant}
        if entries[rel] != index.get(rel):
            changed.add(file.cluster)
    return entries, changed


def recover(out: Path) -> None:
    """Finish a commit a previous run started but did not end; drop staging it left behind."""
    state = state_dir(out)
    path = journal_path(out)
    if path.exists():
        try:
            journal = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            journal = {"moves": [], "remove": []}
        _apply(out, journal)
        path.unlink()
    if state.is_dir():
        for leftover in state.glob(f"{STAGING_PREFIX}*"):
            shutil.rmtree(leftover, ignore_errors=True)
        for leftover in state.glob("*.tmp"):  # a state file's, from a run killed while writing it
            with suppress(OSError):
                leftover.unlink(missing_ok=True)
    else:
        state.mkdir(parents=True, exist_ok=True)
