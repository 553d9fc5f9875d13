"""Which clusters' files in OUT are still exactly as this machine recorded them (for the incremental render).

The check is a stat per output file (160,000 for the benchmark's fleet, ~1 CPU-second) and most of
a re-render's time, so a share of it runs in a process of its own while the parent reads the tree
(see ``reuse.IntactCheck``). A process, not a thread: a thread's stats, each letting go of the
interpreter lock and taking it back, queued behind the parent's Python and made the check twice as
slow. So that the process starts in a few hundredths of a second, this module and what it imports
(``cache_file``) load nothing but the standard library: the process runs ``python -I -S`` on it
(``serve``).
"""

from __future__ import annotations

import marshal
import os
import signal
import sys
from collections.abc import Iterable

from tenantgen.fast.cache_file import read_table

# (cluster, its record's file, how many files tenantgen wrote for it)
Shard = tuple[str, str, int]


def intact_clusters(out: str, shards: Iterable[Shard], header: bytes) -> set[str]:
    """The clusters whose files tenantgen wrote are all recorded (each record a cache file under
    ``header``, see ``out_record``) and still on disk as recorded, in folders that nothing was added
    to or removed from since (a stale file there makes the cluster render)."""
    base = os.path.join(out, "")
    lstat = os.lstat
    intact = set()
    # The hot loop of a re-render: kept lean.
    for cluster, record, count in shards:
        table = read_table(record, header)
        if table.get("") != cluster:  # (the cluster it is of, under the empty key)
            continue
        files = 0
        for rel, value in table.items():
            if not rel or not isinstance(value, tuple):
                continue
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


def serve() -> None:
    """The checking process: a request (``marshal``: OUT, the header, the shards) on standard input,
    the intact clusters (a sorted list, ``marshal``) on standard output."""
    # Ctrl-C reaches the whole process group: the parent answers it; this process must not print a
    # traceback, only end (its pipe closes and the parent checks the share itself).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    out, header, shards = marshal.loads(sys.stdin.buffer.read())
    sys.stdout.buffer.write(marshal.dumps(sorted(intact_clusters(out, shards, header))))
    sys.stdout.buffer.flush()
