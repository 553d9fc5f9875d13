"""The package's shape, held as tests: the pipeline's layers (import-linter contracts in
pyproject.toml), no import cycle between any two modules, and modules a reader can take in whole."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp
import pytest

from tests.helpers import REPO_ROOT

MAX_MODULE_LINES = 400


def test_the_layers_hold() -> None:
    """Each layer imports only the layers below it; no stage imports the speed machinery."""
    lint = Path(sys.executable).with_name("lint-imports")
    if not lint.exists():
        pytest.fail(f"lint-imports not found beside {sys.executable}: install the test extras (import-linter)")
    done = subprocess.run([str(lint), "--no-cache"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_no_module_imports_itself_through_others() -> None:
    """No import cycle, with the imports inside functions counted (they hide a cycle, they do not end it)."""
    graph = grimp.build_graph("tenantgen", include_external_packages=False)
    cycles = _cycles({module: graph.find_modules_directly_imported_by(module) for module in graph.modules})
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(cycle) for cycle in cycles)


def test_every_module_stays_readable_in_one_sitting() -> None:
    long = {path.relative_to(REPO_ROOT).as_posix(): lines for path in sorted((REPO_ROOT / "tenantgen").rglob("*.py"))
            if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert not long, f"modules over {MAX_MODULE_LINES} lines: {long}"


def _cycles(imports: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each as a sorted list."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for other in sorted(imports.get(module, ())):
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(imports):
        if module not in index:
            visit(module)
    return found
