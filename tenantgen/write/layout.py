"""Write stage: what in OUT belongs to tenantgen, by the layout alone (no record of earlier runs).

tenantgen owns, in every cluster folder ``OUT/<tier>/<account>/<cluster>/``, ``helmfile.yaml`` and the
folders ``values/``, ``manifests/``, ``config/``, ``flux/`` and ``argocd/`` (everything under them), and
``OUT/charts/``. A folder three levels down counts as a cluster folder when it holds one of those names. Nothing
else in OUT is ever touched: a README, ``docs/``, a ``notes.md`` beside a cluster's ``helmfile.yaml``.

After a render, an owned file that the render did not produce is stale, within what the run answers
for (``Owned``): a full render answers for everything, a selection only for what it selects.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

CLUSTER_FILE = "helmfile.yaml"
CLUSTER_FOLDERS = ("values", "manifests", "config")
DELIVERY_FOLDERS = ("flux", "argocd")  # what Flux and Argo CD apply: made whole for each cluster rendered
OWNED_NAMES = (CLUSTER_FILE, *CLUSTER_FOLDERS, *DELIVERY_FOLDERS)  # in each cluster folder
CHARTS = "charts"  # OUT/charts/: the charts in use, all tenantgen's


def _everything(name: str) -> bool:
    return True


@dataclass(frozen=True)
class Owned:
    """What a run answers for in OUT (it may prune there).

    ``cluster``: the cluster folders (``<tier>/<account>/<cluster>``), in the tree or not;
    ``releases``: per cluster, the only releases whose files (``values/<release>.yaml``,
    ``manifests/<release>/``) it answers for, besides the files made whole for every cluster rendered
    (``helmfile.yaml``, ``flux/``, ``argocd/``) (None: the whole cluster folders);
    ``chart``: the names under ``charts/`` it answers for.
    """

    cluster: Callable[[str], bool] = _everything
    releases: Mapping[str, Collection[str]] | None = None
    chart: Callable[[str], bool] = _everything


EVERYTHING = Owned()  # what a full render answers for


def cluster_folders(out: Path) -> list[str]:
    """Every cluster folder of OUT (``<tier>/<account>/<cluster>``), sorted."""
    found: list[str] = []
    base = os.fspath(out)
    for tier in _folders(base, top=True):
        for account in _folders(f"{base}/{tier}"):
            for cluster in _folders(f"{base}/{tier}/{account}"):
                rel = f"{tier}/{account}/{cluster}"
                if any(os.path.lexists(f"{base}/{rel}/{name}") for name in OWNED_NAMES):
                    found.append(rel)
    return sorted(found)


def owned_files(out: Path, owned: Owned = EVERYTHING) -> list[str]:
    """The files (and links) in OUT that tenantgen owns and the run answers for, sorted."""
    base = os.fspath(out)
    files: list[str] = []
    for cluster in cluster_folders(out):
        if not owned.cluster(cluster):
            continue
        if owned.releases is None:
            for name in OWNED_NAMES:
                _collect(base, f"{cluster}/{name}", files)
        else:
            if cluster in owned.releases:  # rendered: these are written whole, whatever tenants it selects
                for name in (CLUSTER_FILE, *DELIVERY_FOLDERS):
                    _collect(base, f"{cluster}/{name}", files)
            for release in sorted(owned.releases.get(cluster, ())):
                _collect(base, f"{cluster}/values/{release}.yaml", files)
                _collect(base, f"{cluster}/manifests/{release}", files)
    try:
        names = sorted(os.listdir(f"{base}/{CHARTS}")) if not os.path.islink(f"{base}/{CHARTS}") else []
    except OSError:
        names = []
    for name in names:
        if owned.chart(name):
            _collect(base, f"{CHARTS}/{name}", files)
    return sorted(files)


def stale_files(out: Path, files: Collection[str], owned: Owned = EVERYTHING) -> list[str]:
    """The owned files the run answers for that are not among ``files`` (what it produced)."""
    return [rel for rel in owned_files(out, owned) if rel not in files]


def _folders(folder: str, top: bool = False) -> list[str]:
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    return sorted(entry.name for entry in entries
                  if entry.is_dir(follow_symlinks=False) and not entry.name.startswith(".")
                  and not (top and entry.name == CHARTS))


def _collect(base: str, rel: str, files: list[str]) -> None:
    """``rel`` if it is a file or a link (never followed), else every file under it."""
    path = f"{base}/{rel}"
    if os.path.islink(path) or os.path.isfile(path):
        files.append(rel)
        return
    try:
        entries = list(os.scandir(path))
    except OSError:
        return
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            _collect(base, f"{rel}/{entry.name}", files)
        else:
            files.append(f"{rel}/{entry.name}")
