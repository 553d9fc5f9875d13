from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import EXAMPLE_TREE, REPO_ROOT
from tests.support import real_tools
from tests.support.upstream_crds import REQUIRE_SETTING, crds_required, missing_crds_reason, upstream_crds_dir

# Fixtures that hand out a real binary; a test using any of them gets the `real_tools` marker.
REAL_TOOL_FIXTURES = frozenset({"helm3", "helm4", "helmfile", "real_helm"})


def pytest_configure(config: pytest.Config) -> None:
    # The real helm/helmfile binaries are kept in the user's cache across runs (tests/support/
    # real_tools.py): pin that folder before XDG_CACHE_HOME is pointed elsewhere just below.
    os.environ.setdefault(real_tools.CACHE_SETTING, str(real_tools.tools_cache_dir()))
    # The render cache lives under XDG_CACHE_HOME: never share the user's. Set for the whole session,
    # so module- and session-scoped fixtures get it too.
    os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="tenantgen-test-cache-")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The marker follows the fixture (directly or through another fixture), so `-m crds` finds every
    # test that needs the CRDs without each one saying so twice.
    for item in items:
        if _needs_crds(item):
            item.add_marker("crds")
        if REAL_TOOL_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker("real_tools")


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


def _real_tool(find: Callable[[], Path]) -> Path:
    try:
        return find()
    except real_tools.ToolUnavailable as exc:
        if real_tools.tools_required():
            pytest.fail(f"{exc}; {real_tools.REQUIRE_SETTING} is set, so this test may not be skipped",
                        pytrace=False)
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def helm3() -> Path:
    """A real helm 3 binary (PATH first, else downloaded once into the user cache); skips without one."""
    return _real_tool(lambda: real_tools.helm_binary(3))


@pytest.fixture(scope="session")
def helm4() -> Path:
    """A real helm 4 binary (PATH first, else downloaded once into the user cache); skips without one."""
    return _real_tool(lambda: real_tools.helm_binary(4))


@pytest.fixture(scope="session")
def helmfile() -> Path:
    """A real helmfile binary (0.166 drives helm 3 only: pass it `--helm-binary` with `helm3`)."""
    return _real_tool(real_tools.helmfile_binary)


@pytest.fixture(scope="session", params=[3, 4], ids=["helm3", "helm4"])
def real_helm(request: pytest.FixtureRequest) -> Path:
    """Each real helm major in turn: a test using it runs once with helm 3 and once with helm 4."""
    major: int = request.param
    return _real_tool(lambda: real_tools.helm_binary(major))


@pytest.fixture()
def example_checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A checkout: the example tree in tiers/ with schemas/ beside it; the working directory."""
    shutil.copytree(EXAMPLE_TREE, tmp_path / "tiers")
    shutil.copytree(REPO_ROOT / "schemas", tmp_path / "schemas")
    monkeypatch.chdir(tmp_path)
    return tmp_path
