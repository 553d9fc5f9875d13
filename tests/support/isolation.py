"""Helpers for tests that check a failed or interrupted run left nothing behind.

``marked_env`` tags every process a test starts (the CLI and the render workers it spawns inherit the
environment), so ``marked_processes`` can find any that outlived it, and gives the run a private
TMPDIR, so its temporary files can be counted without seeing other tests'.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

MARKER = "TENANTGEN_TEST_RUN"


def marked_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> tuple[str, Path]:
    """(marker, private temporary folder), set in this process's environment for children to inherit."""
    marker = uuid.uuid4().hex
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir(exist_ok=True)
    monkeypatch.setenv(MARKER, marker)
    monkeypatch.setenv("TMPDIR", str(private_tmp))
    return marker, private_tmp


def marked_processes(marker: str) -> list[int]:
    """Pids of live processes (zombies aside) started with ``marker`` in their environment."""
    needle = f"{MARKER}={marker}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            found.append(int(entry.name))
    return found
