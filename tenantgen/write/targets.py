"""Write stage: the paths tenantgen writes in OUT, checked to stay inside it, and what is there already."""

from __future__ import annotations

import os
from pathlib import Path

from tenantgen.errors import TenantgenError


def safe_target(out: Path, rel: str) -> Path:
    """OUT/rel, refusing any path that would land outside OUT (``..``, absolute, a planted link)."""
    return Path(Targets(out).check(rel))


def plain_path(rel: str) -> bool:
    """A relative path with no empty, "." or ".." part: it stays inside the folder it is joined to."""
    parts = rel.split("/")  # (an absolute path starts with an empty part)
    return "" not in parts and "." not in parts and ".." not in parts


class Targets:
    """``safe_target`` for many paths: each folder is checked once, not once per file in it."""

    def __init__(self, out: Path) -> None:
        self.out = os.fspath(out)
        self._real_out = out.resolve()
        self._safe: dict[str, tuple[bool, bool]] = {}  # folder -> (inside OUT, exists)

    def check(self, rel: str) -> str:
        if not plain_path(rel):
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
