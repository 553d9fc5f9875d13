"""Which clusters' files in OUT are still exactly as this machine recorded them (for the incremental render).

A module of its own: the check runs in a thread of its own while the tree is read (see
``reuse.intact_check``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from tenantgen.fast.out_record import read_shard
from tenantgen.write import commit_pending


def intact_clusters(folder: Path, out: Path, expected: Mapping[str, int]) -> set[str]:
    """The clusters (of ``expected``: cluster -> number of files) whose files tenantgen wrote are all
    recorded (in ``folder``, see ``out_record``) and still on disk as recorded, in folders that
    nothing was added to or removed from since (a stale file there makes the cluster render)."""
    if commit_pending(out):
        return set()  # an interrupted run: let ``write_output`` finish it first
    base = os.fspath(out) + os.sep
    lstat = os.lstat
    intact = set()
    # The hot loop of a re-render (a stat per output file, 100,000+ for a large fleet): kept lean.
    for cluster, count in expected.items():
        files = 0
        for rel, value in read_shard(folder, cluster).items():
            try:
                found = lstat(base + rel)
            except OSError:
                break
            if len(value) == 5:
                files += 1
                if (found.st_size, found.st_mtime_ns, found.st_ctime_ns, found.st_ino) != value[:4]:
                    break
            elif (found.st_mtime_ns, found.st_ctime_ns, found.st_ino) != value:
                break
        else:
            if files == count:
                intact.add(cluster)
    return intact
