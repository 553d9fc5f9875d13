from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from tests.helpers import SHARED_CRDS


def pytest_configure(config: pytest.Config) -> None:
    # The render cache lives under XDG_CACHE_HOME: never share the user's. Set for the whole session,
    # so module- and session-scoped fixtures get it too.
    os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="tenantgen-test-cache-")


@pytest.fixture(scope="session")
def shared_crds() -> Path:
    if not SHARED_CRDS.is_dir():
        pytest.fail(f"upstream CRDs expected at {SHARED_CRDS} (the shared/ folder beside the clone)")
    return SHARED_CRDS
