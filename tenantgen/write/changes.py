"""Write stage: what writing an output set changes in OUT (files to write, unchanged, to remove).

Only files whose bytes changed are written; the rest are left alone (mtimes included). What a file on
disk holds is decided by its bytes: it is read and compared, unless it has the very size,
modification time, change time and inode that a signature handed in (``known``: what this machine
recorded after it last wrote or checked the file) says, and the bytes that signature recorded.
``touch -r`` can restore a modification time but not a change time: a hand edit is always seen.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from stat import S_ISREG

from tenantgen.render.output_set import OutputSet, sha256
from tenantgen.write.staging import Staged
from tenantgen.write.targets import Targets

# size, mtime_ns, ctime_ns, inode, sha256 (hex) of a file as this machine last saw it
FileSignature = tuple[int, int, int, int, str]


@dataclass
class Changes:
    write: list[str]
    unchanged: list[str]
    remove: list[str]
    digests: dict[str, str]  # sha256 of every file of the set


def find_changes(out: Path, files: OutputSet, stale: Collection[str], targets: Targets,
                 known: Mapping[str, FileSignature] | None = None,
                 staged: Mapping[str, Staged] | None = None) -> Changes:
    """``stale``: the owned files to remove; ``staged``: files staged early, whose digest is not
    computed again for the very same bytes."""
    changes = Changes([], [], sorted(stale), {})
    base = os.fspath(out)
    staged = staged or {}
    known = known or {}
    for rel in sorted(files):
        data = files[rel].data
        early = staged.get(rel)
        digest = changes.digests[rel] = early.digest if early is not None and early.data is data else sha256(data)
        if targets.occupied(rel) and holds(f"{base}/{rel}", data, digest, known.get(rel)):
            changes.unchanged.append(rel)
        else:
            changes.write.append(rel)
    return changes


def holds(target: str, data: bytes, digest: str, signature: FileSignature | None) -> bool:
    """Whether ``target`` is a regular file (not a link) with exactly ``data`` (of ``digest``)."""
    try:
        found = os.lstat(target)
    except OSError:
        return False
    if not S_ISREG(found.st_mode) or found.st_size != len(data):
        return False
    if signature is not None and signature[:4] == (found.st_size, found.st_mtime_ns, found.st_ctime_ns, found.st_ino):
        return signature[4] == digest
    try:
        with open(target, "rb") as handle:
            return handle.read(len(data) + 1) == data
    except OSError:
        return False
