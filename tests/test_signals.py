"""Ctrl-C and SIGTERM in the middle of a render: OUT as before, nothing left behind, 130 / 143; and
Ctrl-C while the command line is still loading: the same line and exit code, never a traceback.

The stand-in for a slow render is a tenant chart version whose template never finishes for tenant
``alpha`` (pinned by the tier, offered with ``--charts``): when the signal arrives the render workers are
busy for certain. Ctrl-C is sent the way a terminal sends it, to the whole process group (the workers
ignore it; the CLI stops them); SIGTERM the way a CI runner or ``kill`` sends it, to the CLI alone.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tenantgen.render import WorkerConfig, WorkerPool
from tenantgen.render.workers import process as process_module
from tenantgen.signals import Terminated, terminate_as_exception
from tests.helpers import REPO_ROOT, read_tree, render_good_copy, tenant_chart_variant
from tests.support.isolation import marked_env, marked_processes

BASE = REPO_ROOT / "tests" / "bad_trees" / "_base"
NEVER_ENDS = ('{{- if eq .Values.tenant.name "alpha" }}\n'
              "{{- range until 100000 }}{{- range until 100000 }}{{- end }}{{- end }}\n{{- end }}\n")


@pytest.fixture(scope="module")
def slow_charts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("charts")
    tenant_chart_variant(folder, "slow", {"slow.yaml": NEVER_ENDS})
    return folder


@pytest.fixture(scope="module")
def good_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render_good_copy(tmp_path_factory.mktemp("good"), BASE)


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def wait_until_rendering(marker: str, process: subprocess.Popen[str], timeout: float = 60) -> None:
    """Until a render worker has spent 1.5 s of CPU: past its start-up, inside the endless template."""
    deadline = time.monotonic() + timeout
    while not any(cpu_seconds(pid) >= 1.5 for pid in marked_processes(marker) if pid != process.pid):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "no render worker got busy"
        time.sleep(0.05)


def wait_until_starting(marker: str, process: subprocess.Popen[str], timeout: float = 60) -> None:
    """Until a render worker exists (CLI, multiprocessing's resource tracker, worker): it is starting up."""
    deadline = time.monotonic() + timeout
    while len(marked_processes(marker)) < 3:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "no render worker started"
        time.sleep(0.01)


@pytest.mark.parametrize(("signum", "whole_group", "code", "message", "when"), [
    (signal.SIGINT, True, 130, "interrupted; nothing was written", wait_until_rendering),
    (signal.SIGTERM, False, 143, "terminated; nothing was written", wait_until_rendering),
    (signal.SIGINT, True, 130, "interrupted; nothing was written", wait_until_starting),
    (signal.SIGTERM, False, 143, "terminated; nothing was written", wait_until_starting),
], ids=["ctrl-c", "sigterm", "ctrl-c-while-a-worker-starts", "sigterm-while-a-worker-starts"])
def test_signal_mid_render_leaves_out_as_it_was(
        signum: signal.Signals, whole_group: bool, code: int, message: str, when: Any, tmp_path: Path,
        good_out: Path, slow_charts: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(BASE, tmp_path / "tree")
    tier = tmp_path / "tree" / "dev" / "tier.yaml"
    tier.write_text(tier.read_text().replace("spec:\n", "spec:\n  charts:\n    tenant: 0.1.0-slow\n", 1))
    out = tmp_path / "out"
    shutil.copytree(good_out, out)
    before = read_tree(out)
    marker, private_tmp = marked_env(monkeypatch, tmp_path)

    # A shell starts a background job with Ctrl-C ignored, and a child inherits that (a handler it
    # does not: exec resets it). The CLI must start as it does from a terminal, however pytest runs.
    inherited = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "tenantgen", "render", "tree", "-o", "out", "--charts", str(slow_charts),
             "--no-cache"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            start_new_session=True)
    finally:
        signal.signal(signal.SIGINT, inherited)
    try:
        when(marker, process)
        if whole_group:
            os.killpg(process.pid, signum)
        else:
            process.send_signal(signum)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    assert process.returncode == code, stdout + stderr
    assert stderr == message + "\n"  # one line, no traceback
    assert "Traceback" not in stdout
    assert read_tree(out) == before
    assert not list((out / ".tenantgen").glob("staging-*"))
    assert not list(private_tmp.iterdir()), "temporary files left behind"
    assert marked_processes(marker) == [], "render workers outlived the run"


def test_sigterm_is_not_swallowed_by_a_broad_except() -> None:
    # SIGTERM came while the tree's YAML was parsed, inside a parser that falls back to another on any
    # error: the run went on into the render as if nothing had happened.
    with pytest.raises(Terminated), terminate_as_exception():
        try:
            signal.raise_signal(signal.SIGTERM)
        except Exception:  # noqa: BLE001 - the kind of handler the signal may land in
            pass


def test_a_signal_held_while_a_worker_starts_stops_that_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    @contextmanager
    def sigterm_during_start() -> Iterator[None]:
        signal.raise_signal(signal.SIGTERM)  # held back until the start is over, then handled at once
        yield

    monkeypatch.setattr(process_module, "_go_environment", sigterm_during_start)
    pool = WorkerPool(WorkerConfig("embedded", "helm", (), False), 1)
    with pytest.raises(Terminated), terminate_as_exception(), pool:
        pool.prestart(1)
    assert multiprocessing.active_children() == [], "a started worker outlived the signal"


# A Ctrl-C that comes while Python is still importing the command line. Waiting for the right moment
# from outside (a delay after starting the process) would be a race with the machine's speed; instead
# the child sends the signal to itself from an import hook, at the moment it starts to import MODULE:
# deterministically inside the imports that follow ``entry``, before any command could run.
INTERRUPT_WHILE_LOADING = """
import os, signal, sys

class InterruptWhileLoading:
    def find_spec(self, name, path=None, target=None):
        if name == os.environ["INTERRUPT_AT_IMPORT_OF"]:
            sys.meta_path.remove(self)
            os.kill(os.getpid(), getattr(signal, os.environ["INTERRUPT_WITH"]))
        return None

sys.meta_path.insert(0, InterruptWhileLoading())
sys.argv[0] = "tenantgen"
LAUNCH
"""
LAUNCHERS = {
    "console-script": "from tenantgen.cli.entry import run; run()",  # what pyproject's [project.scripts] runs
    "python-m": "import runpy; runpy.run_module('tenantgen', run_name='__main__', alter_sys=True)",
}


def start_interrupted(args: list[str], module: str, cwd: Path, launcher: str = "console-script",
                      prelude: str = "", signal_name: str = "SIGINT") -> subprocess.CompletedProcess[str]:
    code = INTERRUPT_WHILE_LOADING.replace("LAUNCH", f"{prelude}\n{LAUNCHERS[launcher]}")
    # As in the test above: the child must start with Python's own Ctrl-C handler, however pytest runs.
    inherited = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, capture_output=True, text=True,
                              timeout=120, check=False,
                              env={**os.environ, "INTERRUPT_AT_IMPORT_OF": module, "INTERRUPT_WITH": signal_name})
    finally:
        signal.signal(signal.SIGINT, inherited)


@pytest.mark.parametrize("launcher", sorted(LAUNCHERS))
@pytest.mark.parametrize("module", ["tenantgen.cli.app", "jsonschema", "tenantgen.pipeline.validate"])
def test_ctrl_c_while_the_command_line_loads(module: str, launcher: str, tmp_path: Path) -> None:
    shutil.copytree(BASE, tmp_path / "tree")
    done = start_interrupted(["render", "tree", "-o", "out"], module, tmp_path, launcher)
    assert (done.returncode, done.stderr, done.stdout) == (130, "interrupted; nothing was written\n", "")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("args", [["--version"], ["validate", "--help"], ["validate", "--no-such-option"]])
def test_ctrl_c_while_loading_a_command_that_never_starts_work(args: list[str], tmp_path: Path) -> None:
    done = start_interrupted(args, "tenantgen.cli.app", tmp_path)
    assert done.returncode == 130, done.stderr
    assert done.stderr.endswith("interrupted; nothing was written\n") and "Traceback" not in done.stderr


@pytest.mark.parametrize("args", [["validate", "tree"], ["render", "tree", "-o", "out"], ["--version"]])
def test_sigterm_while_the_command_line_loads(args: list[str], tmp_path: Path) -> None:
    # A CI runner cancelling a job: every command ends with the line and 143, even one that has no
    # clean-up of its own, and even before it starts.
    shutil.copytree(BASE, tmp_path / "tree")
    done = start_interrupted(args, "tenantgen.pipeline.validate", tmp_path, signal_name="SIGTERM")
    assert (done.returncode, done.stderr) == (143, "terminated; nothing was written\n"), done.stdout
    assert not (tmp_path / "out").exists()


def test_ctrl_c_ignored_from_the_start_stays_ignored(tmp_path: Path) -> None:
    # `tenantgen validate &` in a script: the shell starts the job with Ctrl-C ignored, and it runs on.
    shutil.copytree(BASE, tmp_path / "tree")
    done = start_interrupted(["validate", "tree"], "tenantgen.cli.app", tmp_path,
                             prelude="signal.signal(signal.SIGINT, signal.SIG_IGN)")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("valid:")
