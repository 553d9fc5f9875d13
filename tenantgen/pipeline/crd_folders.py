"""The ``--crds`` folders: which clusters each one is for, checked before anything renders.

``--crds DIR`` is for every cluster; ``--crds aws=DIR`` / ``--crds azure=DIR`` only for the clusters
whose account is on that cloud, and their kinds come before the unscoped folders' (both Karpenter
providers define ``nodepools.karpenter.sh`` v1, with different CEL rules). Only these two prefixes
make a scope: any other value is a folder, so a folder whose name has a ``=`` works as it is, unless
its name starts with ``aws=`` or ``azure=`` (then write ``./aws=...``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from tenantgen.errors import UsageError
from tenantgen.validate import AWS, AZURE

PROVIDERS = (AWS, AZURE)
# What reads as a mistyped scope (``gcp=DIR``, ``AWS=DIR``) rather than a folder's name.
_LOOKS_LIKE_SCOPE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


def parse_crds_option(values: Sequence[str]) -> tuple[tuple[Path, ...], tuple[tuple[str, Path], ...]]:
    """The folders for every cluster and the (provider, folder) pairs of ``--crds`` values, in the
    order given. Raises ``UsageError`` for a scope that is not a provider."""
    unscoped: list[Path] = []
    scoped: list[tuple[str, Path]] = []
    for value in values:
        scope, sep, folder = value.partition("=")
        if sep and scope in PROVIDERS:
            if not folder:
                raise UsageError(f"--crds {value!r}: no folder after {scope}=")
            scoped.append((scope, Path(folder)))
        elif sep and _LOOKS_LIKE_SCOPE.match(scope) and not Path(value).is_dir():
            raise UsageError(
                f"--crds {value!r}: {scope!r} is not a provider; a scope is one of {', '.join(PROVIDERS)} "
                f"(--crds aws=DIR, --crds azure=DIR), and --crds DIR is for every cluster"
            )
        else:
            unscoped.append(Path(value))
    return tuple(unscoped), tuple(scoped)


def check_crd_folders(unscoped: Sequence[Path], scoped: Sequence[tuple[str, Path]], load: bool = True) -> None:
    """Raise ``UsageError`` for a folder that is not there or (``load``) a kind version defined twice,
    differently, in one scope: without this, either definition would be kept and the other's objects
    checked against the wrong rules. Loads the CRDs (cached: the checks of this process reuse them)."""
    named = [("", folder) for folder in unscoped] + list(scoped)
    for scope, folder in named:
        if not folder.is_dir():
            given = f"{scope}={folder}" if scope else str(folder)
            raise UsageError(f"--crds {given!r} is not a folder")
    if not load:
        return
    # Here, not at the top: a run without --crds does not load the object checks in this process.
    from tenantgen.render import CrdConflict, load_crds

    for scope in ("", *PROVIDERS):
        folders = tuple(folder.resolve() for name, folder in named if name == scope)
        if not folders:
            continue
        try:
            load_crds(folders)
        except CrdConflict as conflict:
            where = f"in the --crds {scope}= folders" if scope else "in the --crds folders for every cluster"
            raise UsageError(f"{where}: {conflict}") from conflict
        except (ValueError, OSError) as problem:
            raise UsageError(f"--crds: {problem}") from problem
