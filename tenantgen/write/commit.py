"""Write stage: put a rendered output set into OUT atomically, prune what tenantgen owns there and did not produce.

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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tenantgen.errors import TenantgenError
from tenantgen.files import write_atomic
from tenantgen.render.output_set import OutputSet
from tenantgen.signals import signals_held
from tenantgen.write.changes import FileSignature, find_changes
from tenantgen.write.layout import EVERYTHING, Owned, stale_files
from tenantgen.write.staging import StagedEarly, StagingLayout, drop_staging
from tenantgen.write.state import (
    LEGACY_STATE,
    STAGING_PREFIX,
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
    digests: Mapping[str, str] = field(default_factory=dict)  # sha256 (hex) of every file of the set


def write_output(out: Path, files: OutputSet, owned: Owned = EVERYTHING, keep: Mapping[str, int] | None = None,
                 early: StagedEarly | None = None, before_commit: Callable[[], None] | None = None,
                 known: Mapping[str, FileSignature] | None = None) -> WriteStats:
    """Write ``files`` into OUT and remove the owned files (``layout``) of what the run answers for
    (``owned``) that it did not produce. The files of clusters in ``keep`` (cluster -> how many files
    tenantgen wrote for it; unchanged since) are left as they are: neither rewritten nor pruned.
    ``early``: files staged while the render went on (it recovered OUT already); ``known``: the
    signatures of files as this machine last saw them (see ``changes``)."""
    keep = keep or {}
    out.mkdir(parents=True, exist_ok=True)
    if early is None:
        recover(out)  # (it would remove the early staging folder)
    staged_early = early.finish() if early is not None else {}
    scope = replace(owned, cluster=lambda rel: rel not in keep and owned.cluster(rel))
    targets = Targets(out)
    changes = find_changes(out, files, stale_files(out, files.keys(), scope), targets, known, staged_early)
    kept = sum(keep.values())
    if not changes.write and not changes.remove:  # (what was staged early goes with the staging folder)
        return WriteStats([], len(changes.unchanged) + kept, [], changes.digests)
    staging = staging_folder(out)
    try:
        staging.mkdir(parents=True, exist_ok=True)
        layout = StagingLayout(staging)
        written: set[str] = set()
        for rel in changes.write:
            targets.check(rel)
            early_file = staged_early.get(rel)
            if early_file is None or early_file.digest != changes.digests[rel]:
                layout.write(rel, files[rel].data)
            written.add(rel)
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
            journal_path(out).unlink()
    except OSError as exc:  # a full disk, a read-only or vanished folder: the user's to fix, not a bug
        raise _write_error(out, exc) from None
    finally:
        drop_staging(out, staging)
    return WriteStats(changes.write, len(changes.unchanged) + kept, changes.remove, changes.digests)


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
    # Stale files go first: one may stand in a file's way, e.g. inside a folder made by hand where
    # the file belongs (the folder goes with its last file), or where a folder is to be made.
    for removed in journal["remove"]:
        path = Path(removed)
        try:
            path.unlink()
        except (FileNotFoundError, NotADirectoryError):
            pass  # gone already (a run that died applying this journal removed it, or its folder)
        _remove_empty_parents(path.parent, out)
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


def _remove_empty_parents(folder: Path, out: Path) -> None:
    while folder != out and folder.is_relative_to(out):
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


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
        for name in LEGACY_STATE:  # what older versions kept here: local state, now in the user cache
            legacy = state / name
            if legacy.is_dir():
                shutil.rmtree(legacy, ignore_errors=True)
            elif legacy.exists():
                with suppress(OSError):
                    legacy.unlink()
    else:
        state.mkdir(parents=True, exist_ok=True)
