"""tenantgen's own files (caches, records, CODEOWNERS) are written whole or not at all, and a cache
file that does not check out is not believed."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tenantgen.fast.cache_file import read_cache_file, write_cache_file
from tenantgen.files import write_atomic

MAGIC = b"tenantgen-test-cache 1\n"


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


TABLE = {b"digest": (b"documents", ("Tenant",)), "rel": (1, 2, 3, 4, b"sha")}


def test_a_cache_file_reads_back_its_table(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "folder made on the way" / "x.bin"
    write_cache_file(path, MAGIC, TABLE)
    assert read_cache_file(path, MAGIC) == TABLE
    assert read_cache_file(path, b"tenantgen-other-cache 1\n") == {}  # another kind of cache
    assert read_cache_file(tmp_path / "missing.bin", MAGIC) == {}


@pytest.mark.parametrize("damage", [lambda data: data[:-1], lambda data: data[:-1] + b"?",
                                    lambda data: data[:len(MAGIC) + 10], lambda data: b"x" + data[1:]])
def test_a_cache_file_that_does_not_check_out_is_not_believed(tmp_path: Path,
                                                             damage: Callable[[bytes], bytes]) -> None:
    path = tmp_path / "x.bin"
    write_cache_file(path, MAGIC, TABLE)
    path.write_bytes(damage(path.read_bytes()))
    assert read_cache_file(path, MAGIC) == {}


def test_a_cache_file_whose_payload_is_no_table_is_not_believed(tmp_path: Path) -> None:
    import hashlib
    import marshal

    from tenantgen.fast.fingerprint import code_fingerprint

    path = tmp_path / "x.bin"
    for payload in (marshal.dumps([1, 2]), b"\xffnot marshal"):
        header = MAGIC + code_fingerprint().encode() + b"\n"
        path.write_bytes(header + hashlib.sha256(payload).digest() + payload)
        assert read_cache_file(path, MAGIC) == {}


def test_recovery_removes_what_a_killed_run_left_of_its_state_files(tmp_path: Path) -> None:
    from tenantgen.write import STATE_DIR, recover

    state = tmp_path / "out" / STATE_DIR
    state.mkdir(parents=True)
    (state / "notes.txt").write_text("{}")
    (state / "journal.json.4242.tmp").write_text("{")  # a run killed while writing its journal
    recover(tmp_path / "out")
    assert [entry.name for entry in state.iterdir()] == ["notes.txt"]


def test_recovery_removes_the_local_state_older_versions_kept_in_out(tmp_path: Path) -> None:
    from tenantgen.write import STATE_DIR, recover

    state = tmp_path / "out" / STATE_DIR
    (state / "index").mkdir(parents=True)
    (state / "index" / "0123.json").write_text("{}")
    (state / "index.json").write_text("{}")
    (state / "clusters.json").write_text("{}")
    recover(tmp_path / "out")
    assert list(state.iterdir()) == []
