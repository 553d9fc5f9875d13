"""The check that OUT still holds what this machine wrote (``fast.reuse.IntactCheck``): the share a
process of its own checks gives the same answer as a check in this process, and a process that cannot
start or fails changes nothing but the time."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tenantgen.fast import reuse
from tenantgen.fast.out_record import record_folder
from tenantgen.fast.reuse import IntactCheck, read_memo
from tests.helpers import EXAMPLE_TREE, REPO_ROOT

CLUSTERS = ["playground/sandbox-aws/play-euw1", "prod/prod-aws/prod-euc1", "prod/prod-aws/prod-euw1",
            "prod/prod-azure/prod-weu1"]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The example tree rendered once: (OUT, the user cache it recorded OUT in)."""
    base = tmp_path_factory.mktemp("intact")
    cache = base / "cache"
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    out = base / "out"
    done = subprocess.run([sys.executable, "-m", "tenantgen", "render", str(EXAMPLE_TREE), "-o", str(out)],
                          env=env, capture_output=True, text=True, cwd=REPO_ROOT, check=False)
    assert done.returncode == 0, done.stderr
    return out, cache / "tenantgen"


def check(out: Path, folder: Path, in_process: bool = False) -> tuple[set[str], bool]:
    """The intact clusters, and whether a process answered for its share."""
    records = read_memo(folder)
    with IntactCheck(out, folder, {} if in_process else records) as intact:
        started = intact.process is not None
        answer = intact(records)
    return answer, started


@pytest.fixture(autouse=True)
def small_outputs_use_the_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reuse, "PROCESS_MIN_FILES", 1)


def test_the_process_answers_as_a_check_in_this_process_would(rendered: tuple[Path, Path]) -> None:
    out, cache = rendered
    folder = record_folder(cache, out)
    assert sorted(read_memo(folder)) == CLUSTERS
    answer, started = check(out, folder)
    assert started
    assert answer == set(CLUSTERS) == check(out, folder, in_process=True)[0]


@pytest.mark.parametrize("cluster", [CLUSTERS[0], CLUSTERS[-1]])  # the process's share, then this process's
def test_a_hand_edit_that_keeps_size_and_mtime_is_found_in_either_share(rendered: tuple[Path, Path],
                                                                        tmp_path: Path, cluster: str) -> None:
    out, cache = rendered
    copy = tmp_path / "out"
    shutil.copytree(out, copy, symlinks=True)
    folder = record_folder(cache, copy)
    shutil.copytree(record_folder(cache, out), folder)
    assert check(copy, folder)[0] == set()  # a copy (new inodes, change times) is not what was recorded
    # Rendered into, the copy has a record of its own, and every cluster is intact.
    env = {**os.environ, "XDG_CACHE_HOME": str(cache.parent)}
    done = subprocess.run([sys.executable, "-m", "tenantgen", "render", str(EXAMPLE_TREE), "-o", str(copy)],
                          env=env, capture_output=True, text=True, cwd=REPO_ROOT, check=False)
    assert done.returncode == 0, done.stderr
    assert check(copy, folder)[0] == set(CLUSTERS)
    victim = next(path for path in sorted((copy / cluster / "manifests").rglob("*.yaml")))
    stat = victim.stat()
    data = victim.read_bytes()
    victim.write_bytes(data[:-2] + (b"#\n" if not data.endswith(b"#\n") else b"%\n"))
    os.utime(victim, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert victim.stat().st_size == stat.st_size and victim.stat().st_mtime_ns == stat.st_mtime_ns
    answer, started = check(copy, folder)
    assert started
    assert answer == set(CLUSTERS) - {cluster}


@pytest.mark.parametrize("executable", ["/nonexistent/python", "", None])
def test_a_process_that_cannot_start_changes_nothing_but_the_time(rendered: tuple[Path, Path],
                                                                  monkeypatch: pytest.MonkeyPatch,
                                                                  executable: str | None) -> None:
    out, cache = rendered
    monkeypatch.setattr(reuse.sys, "executable", executable)
    answer, started = check(out, record_folder(cache, out))
    assert not started
    assert answer == set(CLUSTERS)


def test_a_process_that_fails_changes_nothing_but_the_time(rendered: tuple[Path, Path], tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    out, cache = rendered
    failing = tmp_path / "python"
    failing.write_text("#!/bin/sh\ncat >/dev/null\necho garbage\nexit 3\n")
    failing.chmod(0o755)
    monkeypatch.setattr(reuse.sys, "executable", str(failing))
    answer, started = check(out, record_folder(cache, out))
    assert started
    assert answer == set(CLUSTERS)


def test_the_checking_process_loads_only_the_standard_library_and_two_modules() -> None:
    # What keeps it starting in a few hundredths of a second (see ``fast.intact``).
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import tenantgen.fast.intact; "
            "print(*sorted(name for name in sys.modules if name.split('.')[0] not in sys.stdlib_module_names))")
    done = subprocess.run([sys.executable, "-I", "-S", "-c", code, str(REPO_ROOT)], capture_output=True, text=True,
                          check=True)
    assert done.stdout.split() == ["__main__", "tenantgen", "tenantgen.fast", "tenantgen.fast.cache_file",
                                   "tenantgen.fast.intact"]
