from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from tests.support.upstream_crds import REQUIRE_SETTING, crds_required, missing_crds_reason, upstream_crds_dir


def pytest_configure(config: pytest.Config) -> None:
    # The render cache lives under XDG_CACHE_HOME: never share the user's. Set for the whole session,
    # so module- and session-scoped fixtures get it too.
    os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="tenantgen-test-cache-")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The marker follows the fixture (directly or through another fixture), so `-m crds` finds every
    # test that needs the CRDs without each one saying so twice.
    for item in items:
        if _needs_crds(item):
            item.add_marker("crds")


def pytest_collection_finish(session: pytest.Session) -> None:
    folder = upstream_crds_dir()
    needing = sum(1 for item in session.items if _needs_crds(item))  # those left after -m and -k
    if needing and crds_required() and not folder.is_dir():
        # Before any test runs: a CI run that would silently skip them is a broken CI run.
        raise pytest.UsageError(f"{missing_crds_reason(folder)}; {REQUIRE_SETTING} is set, so the "
                                f"{needing} tests that need them may not be skipped")


def _needs_crds(item: pytest.Item) -> bool:
    return "upstream_crds" in getattr(item, "fixturenames", ())


@pytest.fixture(scope="session")
def upstream_crds() -> Path:
    """The folder of upstream CRDs; the test is skipped when it is missing."""
    folder = upstream_crds_dir()
    if not folder.is_dir():
        pytest.skip(missing_crds_reason(folder))
    return folder
