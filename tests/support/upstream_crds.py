"""Where the tests find the upstream CRDs (Capsule, Argo CD, Flux, Karpenter, Gatekeeper, Kyverno).

They are not part of the repository, so one setting says where they are: ``TENANTGEN_TEST_CRDS``, by
default ``../shared/crds`` beside the clone; a relative path is taken from the repository root. Tests
that need them ask for the ``upstream_crds`` fixture (tests/conftest.py), which skips them when the
folder is missing, unless ``TENANTGEN_REQUIRE_CRDS`` is set: CI has the folder and must run them all.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.helpers import REPO_ROOT

CRDS_SETTING = "TENANTGEN_TEST_CRDS"
REQUIRE_SETTING = "TENANTGEN_REQUIRE_CRDS"
DEFAULT_CRDS = "../shared/crds"


def upstream_crds_dir() -> Path:
    """The folder ``TENANTGEN_TEST_CRDS`` names (``../shared/crds`` when unset), whether or not it exists."""
    setting = os.environ.get(CRDS_SETTING) or DEFAULT_CRDS
    return (REPO_ROOT / Path(setting).expanduser()).resolve()


def crds_required() -> bool:
    """Whether a missing CRD folder fails the run instead of skipping the tests that need it."""
    return os.environ.get(REQUIRE_SETTING, "") not in ("", "0")


def missing_crds_reason(folder: Path) -> str:
    """One line for the test report: where the tests looked, and how to point them elsewhere."""
    return (f"upstream CRDs not found at {folder}: set {CRDS_SETTING} to a folder of CRDs "
            f"({DEFAULT_CRDS} beside the clone)")


# Both Karpenter providers ship a CRD for nodepools.karpenter.sh v1 (they differ in the label domains
# their CEL rules restrict), so one validation run loads one of them: AWS's for an aws cluster's
# objects, Azure's for an azure cluster's.
PROVIDER_CRD_FOLDERS = {"aws": "karpenter", "azure": "karpenter-azure"}


def provider_crd_dirs(folder: Path, provider: str) -> list[Path]:
    """The CRD folders under ``folder`` for a cluster on ``provider``: every folder but the other
    provider's Karpenter."""
    others = {name for key, name in PROVIDER_CRD_FOLDERS.items() if key != provider}
    return sorted(path for path in folder.iterdir() if path.is_dir() and path.name not in others)


def scoped_crds_args(folder: Path) -> list[str]:
    """``--crds`` options for the whole of ``folder``: each provider's Karpenter folder scoped to that
    cloud (``--crds aws=...``), every other folder for every cluster."""
    by_folder = {name: provider for provider, name in PROVIDER_CRD_FOLDERS.items()}
    args: list[str] = []
    for path in sorted(p for p in folder.iterdir() if p.is_dir()):
        scope = by_folder.get(path.name)
        args += ["--crds", f"{scope}={path}" if scope else str(path)]
    return args


def shared_crd_dirs(folder: Path) -> list[Path]:
    """The CRD folders under ``folder`` that are the same for every cloud (all but the Karpenter ones)."""
    providers = set(PROVIDER_CRD_FOLDERS.values())
    return sorted(path for path in folder.iterdir() if path.is_dir() and path.name not in providers)
