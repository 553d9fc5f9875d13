"""Files written whole or not at all."""

from __future__ import annotations

import os
from contextlib import suppress
from pathlib import Path


def write_atomic(path: Path, data: bytes, *, unless_same: bool = False) -> None:
    """Write ``data`` to ``path`` through a temporary file beside it, renamed over it: a reader sees
    the old bytes or the new ones, never a part. The temporary file carries the process id, so two
    processes writing the same path do not write into each other's; it is removed if writing fails.

    ``unless_same``: leave ``path`` alone (its modification time included) when it holds ``data``
    already, so that a run that changed nothing changes no file."""
    if unless_same:
        try:
            if path.read_bytes() == data:
                return
        except OSError:
            pass  # (nothing readable there: written as usual)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except BaseException:
        # The clean-up may fail too (with a file where the folder should be, there is no folder to
        # look in): the caller is told of the first failure, not of this one.
        with suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise
