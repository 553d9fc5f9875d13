from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import SHARED_CRDS


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    # The render cache lives under XDG_CACHE_HOME: never share one between tests or with the user.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(scope="session")
def shared_crds() -> Path:
    if not SHARED_CRDS.is_dir():
        pytest.fail(f"upstream CRDs expected at {SHARED_CRDS} (the shared/ folder beside the clone)")
    return SHARED_CRDS
