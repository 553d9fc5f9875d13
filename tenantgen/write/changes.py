"""Write stage: what writing an output set changes in OUT (files to write, unchanged, to remove).

Only files whose bytes changed are written; the rest are left alone (mtimes included). A file is
unchanged when the index recorded the very bytes and the disk still has the size and modification
time it recorded (a hand edit is caught without reading every file back).
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tenantgen.plan.selection import Selection
from tenantgen.render.output_set import OutputSet, sha256
from tenantgen.write.index import entry_of, index_file
from tenantgen.write.staging import Staged
from tenantgen.write.targets import Targets


@dataclass
class Changes:
    write: list[str]
    unchanged: list[str]
    remove: list[str]
    digests: dict[str, str]  # sha256 of every file of the set
    unlisted: list[str] = field(default_factory=list)  # to write over a file the index does not list
    taken_over: list[str] = field(default_factory=list)  # not in the index, on disk with the very bytes (unchanged)


def find_changes(out: Path, index: Mapping[str, Mapping[str, Any]], files: OutputSet, selection: Selection,
                 keep: Collection[str], targets: Targets, staged: Mapping[str, Staged] | None = None) -> Changes:
    """``staged``: files staged early, whose digest is not computed again for the very same bytes."""
    changes = Changes([], [], [], {})
    base = os.fspath(out)
    staged = staged or {}
    for rel in sorted(files):
        data = files[rel].data
        early = staged.get(rel)
        digest = changes.digests[rel] = early.digest if early is not None and early.data is data else sha256(data)
        entry = index.get(rel)
        if as_written(f"{base}/{rel}", digest, entry):
            changes.unchanged.append(rel)
        elif entry is not None or not targets.occupied(rel):
            changes.write.append(rel)
        elif _holds(f"{base}/{rel}", data):
            changes.unchanged.append(rel)  # what this run would write is there already: taken over as it is
            changes.taken_over.append(rel)
        else:
            changes.write.append(rel)
            changes.unlisted.append(rel)
    changes.remove = sorted(rel for rel, entry in index.items()
                            if entry.get("cluster") not in keep and rel not in files and selection.owns(entry))
    return changes


class WrittenFiles:
    """OUT's index, asked file by file whether a file is in OUT as this run would write it (a
    cluster's shard is read when a file of that cluster is first asked about)."""

    def __init__(self, out: Path) -> None:
        self._out = out
        self._base = os.fspath(out)
        self._index = index_file(out)

    def up_to_date(self, rel: str, digest: str) -> bool:
        """Whether tenantgen wrote OUT/``rel`` (a plain path) with the bytes of ``digest``, untouched since."""
        return as_written(f"{self._base}/{rel}", digest, entry_of(self._out, self._index, rel))


def as_written(target: Path | str, digest: str, entry: Mapping[str, Any] | None) -> bool:
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
