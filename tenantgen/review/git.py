"""A narrow, read-only interface to the git binary: find a repository, resolve a ref, export a folder.

Only plumbing that reads objects is used (``rev-parse``, ``ls-tree``, ``cat-file``): the working
copy, the index and the refs are never touched, so ``tenantgen diff --base`` is safe to run
anywhere, including in the middle of someone's rebase.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from tenantgen.errors import TenantgenError, UsageError

GIT_TIMEOUT = 120.0
_SYMLINK_MODE = "120000"
_FILE_MODES = ("100644", "100755")


class GitError(TenantgenError):
    """git is missing, or it refused what was asked."""


@dataclass(frozen=True)
class Revision:
    ref: str  # as the user gave it: "origin/main"
    commit: str  # the full object name it resolved to

    @property
    def short(self) -> str:
        return self.commit[:12]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # Messages in English for error reports; no optional locks (we only read).
    env.update({"LC_ALL": "C", "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0"})
    return env


def _git(repo: Path, args: Sequence[str], stdin: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(["git", "-C", str(repo), *args], input=stdin, capture_output=True, check=False,
                              env=_env(), timeout=GIT_TIMEOUT)
    except FileNotFoundError:
        raise GitError("git is not installed (or not on PATH); --base needs it") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"git {args[0]} did not finish within {GIT_TIMEOUT:.0f} s") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git {args[0]} failed: {message[-1] if message else f'exit code {done.returncode}'}")
    return done.stdout


def repository_root(path: Path) -> Path:
    """The top folder of the git work tree that contains ``path``."""
    folder = path if path.is_dir() else path.parent
    try:
        out = _git(folder, ["rev-parse", "--show-toplevel"])
    except GitError as exc:
        raise UsageError(f"{str(path)!r} is not inside a git repository ({exc})") from None
    return Path(out.decode("utf-8").strip())


def resolve(repo: Path, ref: str) -> Revision:
    """The commit ``ref`` names; a clear error when it does not exist (e.g. not fetched in CI)."""
    if not ref or ref.startswith("-"):
        raise UsageError(f"--base {ref!r} is not a git ref")
    try:
        out = _git(repo, ["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"])
    except GitError:
        raise UsageError(f"git ref {ref!r} not found in {repo}; in CI, fetch it first "
                         f"(e.g. git fetch origin <branch>, or a checkout with fetch-depth: 0)") from None
    return Revision(ref, out.decode("ascii").strip())


@dataclass(frozen=True)
class _Entry:
    mode: str
    kind: str
    obj: str
    path: str


def _list_tree(repo: Path, commit: str, folder: str) -> list[_Entry]:
    args = ["ls-tree", "-r", "-z", "--full-tree", commit]
    if folder:
        args += ["--", folder]
    entries = []
    for record in _git(repo, args).split(b"\0"):
        if not record:
            continue
        meta, _, path = record.partition(b"\t")
        mode, kind, obj = meta.decode("ascii").split()
        entries.append(_Entry(mode, kind, obj, path.decode("utf-8", "surrogateescape")))
    return entries


def _read_blobs(repo: Path, objects: Sequence[str]) -> list[bytes]:
    """Many blobs through one ``cat-file --batch`` process."""
    if not objects:
        return []
    out = _git(repo, ["cat-file", "--batch"], ("\n".join(objects) + "\n").encode("ascii"))
    blobs, at = [], 0
    for obj in objects:
        end = out.index(b"\n", at)
        header = out[at:end].decode("ascii").split()
        if len(header) != 3 or header[0] != obj:
            raise GitError(f"git cat-file: unexpected answer for {obj}: {' '.join(header)}")
        size = int(header[2])
        blobs.append(out[end + 1:end + 1 + size])
        at = end + 1 + size + 1  # the content is followed by a newline
    return blobs


def export_folder(repo: Path, revision: Revision, folder: str, dest: Path) -> int:
    """Write the files of ``folder`` (posix, relative to the repository root; "" for all) as they are in
    ``revision`` into ``dest``; returns how many were written. Submodules are skipped."""
    prefix = folder.strip("/")
    entries = [e for e in _list_tree(repo, revision.commit, prefix)
               if e.kind == "blob" and (e.mode in _FILE_MODES or e.mode == _SYMLINK_MODE)]
    if not entries:
        raise UsageError(f"{prefix or 'the repository'} does not exist at {revision.ref} ({revision.short})")
    blobs = _read_blobs(repo, [e.obj for e in entries])
    real_dest = dest.resolve()
    for entry, data in zip(entries, blobs):
        rel = PurePosixPath(entry.path).relative_to(prefix) if prefix else PurePosixPath(entry.path)
        if any(part in ("", ".", "..") for part in rel.parts):
            raise GitError(f"refusing to export {entry.path!r}: not a plain path")
        target = dest.joinpath(*rel.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.parent.resolve().is_relative_to(real_dest):
            raise GitError(f"refusing to export {entry.path!r}: it would leave the temporary folder")
        if entry.mode == _SYMLINK_MODE:
            # Links are recreated as they are; the tree loader only follows those that stay inside the tree.
            os.symlink(data.decode("utf-8", "surrogateescape"), target)
        else:
            target.write_bytes(data)
    return len(entries)


def folder_in_repository(repo: Path, path: Path) -> str:
    """``path`` relative to the repository root, posix ("" for the root itself)."""
    try:
        rel = path.resolve().relative_to(repo.resolve())
    except ValueError:
        raise UsageError(f"{str(path)!r} is not inside the git repository {repo}") from None
    return rel.as_posix() if rel.parts else ""
