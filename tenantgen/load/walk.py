"""Load stage: the one walk of a tree's folders, and the one rule for what is part of the tree.

The loader, the scan that reads every file for the incremental render and the parse cache, and the
guard of ``tenantgen diff`` all list folders here, so all three see the same files:

- an entry whose name starts with "." is hidden: not part of the tree;
- a folder's entries come in name order;
- a symbolic link, to a file or to a folder, is followed only when its target (where its chain of
  links ends) lies inside the tree and is not a folder the walk is already in: that link would walk
  the same folders again, without end. Any other link is refused (never followed, never read): one
  that points outside the tree, or one in a loop of links. A dangling link into the tree is followed,
  and its reader finds nothing to read;
- a folder that cannot be listed holds nothing here (``TreeWalk.entries`` raises, for the loader to
  report it); whether a file can be read is its reader's business.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

LINK_OUTSIDE = "symbolic link points outside the tree; only links within it are followed"
LINK_LOOP = "symbolic link leads back into a folder it is in; it is not followed"


@dataclass(frozen=True, slots=True)
class Entry:
    """One entry of a folder of the tree, as reached from the tree's root."""

    name: str
    path: str  # the OS path, through the links followed on the way
    rel: str  # posix, relative to the tree root: stable across machines
    is_dir: bool  # for a followed link: what its target is
    is_link: bool
    refused: str | None = None  # why a link is not followed (the message for the user); None: it is

    @property
    def followed(self) -> bool:
        """Whether the entry is part of the tree: anything but a refused link."""
        return self.refused is None


class TreeWalk:
    """The folders of the tree at ``root``, listed by the rule above."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = os.fspath(root)
        self._real_root = os.path.realpath(self.root)
        self._inside_prefix = os.path.join(self._real_root, "")

    def entries(self, rel: str = "") -> list[Entry]:
        """The entries of the folder at ``rel`` ("" for the root), refused links included.

        Raises ``OSError`` when the folder cannot be listed."""
        folder = os.path.join(self.root, rel) if rel else self.root
        prefix = f"{rel}/" if rel else ""
        with os.scandir(folder) as listing:
            found = sorted((item for item in listing if not item.name.startswith(".")), key=_name)
        entries = []
        for item in found:
            if not item.is_symlink():
                entries.append(Entry(item.name, item.path, prefix + item.name, item.is_dir(), False))
                continue
            refused = self._refusal(item.path, rel)
            is_dir = refused is None and os.path.isdir(item.path)
            entries.append(Entry(item.name, item.path, prefix + item.name, is_dir, True, refused))
        return entries

    def walk(self, rel: str = "") -> Iterator[Entry]:
        """Every entry below the folder at ``rel``, depth first in name order: each folder before what it
        holds, refused links included (with nothing below them); folders that cannot be listed hold nothing."""
        try:
            entries = self.entries(rel)
        except OSError:
            return
        for entry in entries:
            yield entry
            if entry.is_dir:
                yield from self.walk(entry.rel)

    def follows(self, rel: str) -> bool:
        """Whether the path ``rel`` in the tree is part of it: not a link, or a link followed.

        For a path the loader looks for by name (``tier.yaml``) rather than lists."""
        path = os.path.join(self.root, rel)
        if not os.path.islink(path):
            return True
        return self._refusal(path, rel.rpartition("/")[0]) is None

    def _refusal(self, link: str, folder_rel: str) -> str | None:
        """Why the link at ``link`` (in the folder at ``folder_rel``) is not followed, or None."""
        target = _link_target(link)
        if target is None or not (target == self._real_root or target.startswith(self._inside_prefix)):
            return LINK_OUTSIDE
        if os.path.isdir(target) and target in self._open_folders(folder_rel):
            return LINK_LOOP
        return None

    def _open_folders(self, folder_rel: str) -> set[str]:
        """The real paths of the folders a walk is in at ``folder_rel``: the root and each one down to it.

        Worked out only for a link to a folder (rare), rather than carried along every walk."""
        folders = {self._real_root}
        path = self.root
        for part in folder_rel.split("/") if folder_rel else ():
            path = os.path.join(path, part)
            folders.add(os.path.realpath(path))
        return folders


def _name(item: os.DirEntry[str]) -> str:
    return item.name


def _link_target(link: str) -> str | None:
    """Where the chain of links from ``link`` ends, resolved; None when the links loop.

    As ``Path.resolve`` does it: a target that does not exist is still where the link points."""
    target = os.path.realpath(link)
    try:
        os.stat(target)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return None
    return target


def tree_files(root: Path) -> Iterator[Entry]:
    """Every file of the tree at ``root``, by the rule above (folders and refused links left out)."""
    return (entry for entry in TreeWalk(root).walk() if not entry.is_dir and entry.followed)
