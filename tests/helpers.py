"""Test helpers: build trees from dicts, run the CLI, read files back."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Mapping, Sequence
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_TREE = REPO_ROOT / "tiers"

Tree = Mapping[str, Union[str, bytes, "Tree"]]


def build_file_tree(root: Path, spec: Tree) -> Path:
    """Write ``{"a/b.yaml": "text", "c": {"d.yaml": b"bytes"}}`` under ``root``; text is dedented."""
    for name, content in spec.items():
        path = root / name
        if isinstance(content, Mapping):
            path.mkdir(parents=True, exist_ok=True)
            build_file_tree(path, content)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    return root


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


def run_cli(args: Sequence[str], cwd: Path | None = None) -> CliResult:
    """Run ``tenantgen ARGS`` in this process (exceptions are not swallowed: a bug fails the test)."""
    from tenantgen.cli import app as cli

    out, err = io.StringIO(), io.StringIO()
    argv = sys.argv
    sys.argv = ["tenantgen", *args]
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = cli.main()
    finally:
        sys.argv = argv
    return CliResult(code, out.getvalue(), err.getvalue())


def run_cli_process(args: Sequence[str], cwd: Path | None = None, timeout: float = 300) -> CliResult:
    """Run ``tenantgen ARGS`` as a real process (signals, exit codes, stray tracebacks)."""
    done = subprocess.run([sys.executable, "-m", "tenantgen", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, check=False)
    return CliResult(done.returncode, done.stdout, done.stderr)


def read_tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (posix relative path -> bytes): compare whole output directories."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


BAD_TREES_BASE = REPO_ROOT / "tests" / "bad_trees" / "_base"


def render_good_copy(workdir: Path, tree: Path = BAD_TREES_BASE) -> Path:
    """Copy ``tree`` to ``workdir/tree`` and render it to ``workdir/out``: the OUT a bad run must not touch."""
    shutil.copytree(tree, workdir / "tree")
    result = run_cli(["render", str(workdir / "tree"), "-o", str(workdir / "out")])
    assert result.exit_code == 0, result.stdout + result.stderr
    return workdir / "out"


def tenant_chart_variant(folder: Path, suffix: str, templates: Mapping[str, str]) -> Path:
    """A copy of the tenant chart as version ``0.1.0-<suffix>`` with extra templates (pinned via --charts)."""
    chart = folder / f"tenant-{suffix}"
    shutil.copytree(REPO_ROOT / "charts" / "tenant", chart)
    chart_yaml = chart / "Chart.yaml"
    chart_yaml.write_text(chart_yaml.read_text().replace("version: 0.1.0", f"version: 0.1.0-{suffix}"))
    for name, text in templates.items():
        (chart / "templates" / name).write_text(text)
    return chart
