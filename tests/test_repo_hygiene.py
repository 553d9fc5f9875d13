"""The repository keeps its promises: CI runs the README's test command, and the code type-checks."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.helpers import REPO_ROOT


def readme_commands() -> list[str]:
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    first_screen = text[: text.index("## ")]
    return re.findall(r"```bash\n(.+?)\n```", first_screen, re.DOTALL)


def test_readme_first_screen_has_the_two_setup_commands() -> None:
    install_and_render, install_and_test = readme_commands()
    assert "tenantgen render tiers" in install_and_render
    assert "pytest" in install_and_test


def test_ci_runs_exactly_the_readme_test_command() -> None:
    _, install_and_test = readme_commands()
    ci = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert install_and_test in ci


def test_package_is_mypy_strict_clean() -> None:
    done = subprocess.run([sys.executable, "-m", "mypy", "--no-error-summary"], cwd=REPO_ROOT, capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_code_is_ruff_clean() -> None:
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "tenantgen", "tests", "benchmarks"], cwd=REPO_ROOT,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
