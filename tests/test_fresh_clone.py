"""A fresh clone passes its tests: without the upstream CRDs beside it, the tests that need them skip.

The clone is a copy of the files git tracks, as they are in the working tree, into a temporary folder
with no ``shared/`` beside it. A ``git clone`` of HEAD would test the last commit rather than the code
this run tests, so while a change is being made the result would speak of other code; the tracked
files are what a clone gets once the change is committed (no .venv, no untracked file, no ../shared),
and on CI's clean checkout the two are the same.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from tests.helpers import REPO_ROOT
from tests.support.upstream_crds import CRDS_SETTING, REQUIRE_SETTING

# Quick files: one that mixes tests needing the CRDs with tests that do not, one whose every test
# needs them, and one that never does.
MIXED, ALL_CRDS, NO_CRDS = "tests/test_charts.py", "tests/test_manifest_check.py", "tests/test_codeowners.py"


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    try:
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO_ROOT, capture_output=True,
                                check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: no list of the files a clone would get")
    root = tmp_path_factory.mktemp("fresh") / "tenantgen"
    for rel in listed.decode().split("\0"):
        source = REPO_ROOT / rel
        if rel and os.path.lexists(source):  # a tracked file deleted in the working tree is not copied
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, root / rel, follow_symlinks=False)
    assert not (root.parent / "shared").exists()
    return root


def run_pytest(clone: Path, args: list[str], **settings: str) -> subprocess.CompletedProcess[str]:
    env = {name: value for name, value in os.environ.items()
           if name not in (CRDS_SETTING, REQUIRE_SETTING, "PYTEST_ADDOPTS")}
    # The clone's own package and tests first, ahead of the checkout this interpreter has installed.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(clone), os.environ.get("PYTHONPATH")]))
    env.update(settings)
    # Its own temporary folders, beside the clone: nothing to share or clean up with this run's.
    options = ["-q", "-p", "no:cacheprovider", f"--basetemp={clone.parent / 'inner-tmp'}"]
    return subprocess.run([sys.executable, "-m", "pytest", *options, *args], cwd=clone, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def outcomes_by_file(report: Path) -> dict[str, dict[str, str]]:
    """file -> test -> "passed" or the reason it was skipped, from a JUnit XML report."""
    outcomes: dict[str, dict[str, str]] = {}
    for case in ElementTree.parse(report).iter("testcase"):
        assert case.find("failure") is None and case.find("error") is None, case.get("name")
        skipped = case.find("skipped")
        tests = outcomes.setdefault(case.get("classname", "").replace(".", "/") + ".py", {})
        tests[case.get("name", "")] = "passed" if skipped is None else skipped.get("message", "")
    return outcomes


def test_without_crds_the_tests_that_need_them_skip_and_the_rest_pass(clone: Path) -> None:
    report = clone.parent / "report.xml"
    done = run_pytest(clone, [f"--junitxml={report}", MIXED, ALL_CRDS, NO_CRDS])
    assert done.returncode == 0, done.stdout + done.stderr

    outcomes = outcomes_by_file(report)
    reasons = {outcome for tests in outcomes.values() for outcome in tests.values() if outcome != "passed"}
    missing = f"upstream CRDs not found at {clone.parent / 'shared' / 'crds'}: set {CRDS_SETTING}"
    assert reasons and all(reason.startswith(missing) for reason in reasons), reasons
    assert outcomes[ALL_CRDS] and set(outcomes[ALL_CRDS].values()) <= reasons
    assert set(outcomes[NO_CRDS].values()) == {"passed"}
    mixed = set(outcomes[MIXED].values())
    assert "passed" in mixed and mixed - {"passed"}, "the module's CRD tests skip and its others run"
    assert missing in done.stdout  # the -ra summary says why


def test_when_the_crds_are_required_a_missing_folder_fails_the_run(clone: Path) -> None:
    done = run_pytest(clone, [ALL_CRDS], **{REQUIRE_SETTING: "1"})
    assert done.returncode == pytest.ExitCode.USAGE_ERROR, done.stdout + done.stderr
    assert f"upstream CRDs not found at {clone.parent / 'shared' / 'crds'}" in done.stderr
    assert f"{REQUIRE_SETTING} is set" in done.stderr
