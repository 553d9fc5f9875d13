"""tenantgen's own files (caches, records, CODEOWNERS) are written whole or not at all."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tenantgen.files import write_atomic


def test_an_atomic_write_replaces_the_file_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "record.json"
    path.write_bytes(b"old")
    write_atomic(path, b"new")
    assert path.read_bytes() == b"new"
    assert [entry.name for entry in tmp_path.iterdir()] == ["record.json"]


def test_an_atomic_write_that_fails_leaves_the_old_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "record.json"
    path.write_bytes(b"old")

    def no_space(src: str, dst: str) -> None:
        raise OSError(28, os.strerror(28))

    monkeypatch.setattr(os, "replace", no_space)
    with pytest.raises(OSError):
        write_atomic(path, b"new")
    assert path.read_bytes() == b"old"
    assert [entry.name for entry in tmp_path.iterdir()] == ["record.json"]


def test_unless_same_leaves_a_file_with_those_bytes_untouched(tmp_path: Path) -> None:
    path = tmp_path / "record.json"
    path.write_bytes(b"same")
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    write_atomic(path, b"same", unless_same=True)
    assert path.stat().st_mtime_ns == 1_000_000_000
    write_atomic(path, b"other", unless_same=True)
    assert path.read_bytes() == b"other"
