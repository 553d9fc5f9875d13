"""Write stage: staging files for a commit, and the lock that lets one writing render into OUT at a time.

New files are staged under ``OUT/.tenantgen/`` at the paths they will have in OUT; the commit (see
``commit``) moves them in. Staging is not output: a run that fails before its commit leaves OUT as
it was. Files may also be staged early, while the render still goes on (``StagedEarly``): the
commit takes those it can use and stages the rest itself.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple, Protocol

from tenantgen.errors import TenantgenError
from tenantgen.write.state import commit_pending

try:
    import fcntl
except ImportError:  # Windows: no flock, and no lock
    fcntl = None  # type: ignore[assignment]


class Staged(NamedTuple):
    """A file staged early: where, and what was staged (``data`` is the very bytes object given)."""

    path: str
    digest: str
    size: int
    mtime_ns: int
    data: bytes


class StagedEarly(Protocol):
    """Files staged in this process's staging folder before the commit, while the render went on.

    Whoever staged them recovered OUT (see ``recover``) and holds its lock; ``write_output`` uses a
    staged file only where its bytes are the final ones."""

    def finish(self) -> Mapping[str, Staged]:
        """What was staged (path in OUT -> the staged file), once all of it is; nothing if any of it
        failed (then ``write_output`` stages everything itself and reports the error)."""
        ...


class StagingLayout:
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


def drop_staging(out: Path, staging: Path) -> None:
    """Remove a run's staging folder, unless a commit that was cut short still needs its files: then
    the next run's ``recover`` moves them in first."""
    if not commit_pending(out):
        shutil.rmtree(staging, ignore_errors=True)


class OutLock:
    """An exclusive lock on OUT for one writing render; a second one at the same time is refused.

    Two renders into one OUT would each recover (and so remove) the other's staging and commit over
    each other: both could end "written" with a mix of two trees in OUT. The lock is the kernel's
    (flock on OUT itself): it ends with the process, however it ends. Where there is no flock, there
    is no lock.
    """

    def __init__(self, out: Path) -> None:
        self._handle: int | None = None
        if fcntl is None:
            return
        handle = os.open(out, os.O_RDONLY)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(handle)
            raise TenantgenError(f"another tenantgen render is writing into the output directory {out}; wait for "
                                 "it to end and render again (nothing was written)") from None
        self._handle = handle

    def release(self) -> None:
        if self._handle is not None:
            os.close(self._handle)
            self._handle = None
