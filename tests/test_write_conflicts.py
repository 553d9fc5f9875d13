"""A path of OUT that a hand turned into the other kind (a folder where tenantgen writes a file, a
file where it makes a folder) is put back by the next render, and never blocks the renders after it."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tenantgen.write.commit import recover
from tenantgen.write.state import journal_path
from tests.helpers import EXAMPLE_TREE, read_tree, run_cli

CLUSTER = "prod/prod-aws/prod-euw1"


@pytest.fixture()
def out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    out = tmp_path / "out"
    assert run_cli(["render", str(EXAMPLE_TREE), "-o", str(out)]).exit_code == 0
    return out


def render(out: Path, *extra: str) -> str:
    result = run_cli(["render", str(EXAMPLE_TREE), "-o", str(out), *extra])
    assert result.exit_code == 0, result.stdout + result.stderr
    return result.stdout


def test_a_folder_made_where_a_file_belongs_is_replaced_by_the_file(out: Path) -> None:
    expected = read_tree(out)
    target = out / CLUSTER / "values" / "apps-nodepool.yaml"
    target.unlink()
    target.mkdir()
    (target / "notes.txt").write_text("mine\n")
    summary = render(out)
    assert "1 file(s) written" in summary and "1 removed" in summary, summary
    assert read_tree(out) == expected
    assert "is up to date" in render(out, "--check")


def test_a_file_made_where_a_folder_belongs_is_replaced_by_the_folder(out: Path) -> None:
    expected = read_tree(out)
    folder = out / CLUSTER / "manifests" / "apps-nodepool"
    shutil.rmtree(folder)
    folder.write_text("x\n")
    summary = render(out)
    assert "2 file(s) written" in summary and "1 removed" in summary, summary
    assert read_tree(out) == expected


def test_a_journal_replayed_after_its_folder_became_a_file_finishes(tmp_path: Path) -> None:
    # A run died applying its journal after moving the file in: the stale file inside the folder
    # that stood there is gone with it, and the replay must not stop on it.
    out = tmp_path / "out"
    (out / "values").mkdir(parents=True)
    (out / "values" / "a.yaml").write_text("new\n")
    staged = tmp_path / "staged-b.yaml"
    staged.write_text("b\n")
    journal_path(out).parent.mkdir(parents=True, exist_ok=True)
    journal_path(out).write_text(json.dumps({
        "moves": [[str(staged), str(out / "values" / "b.yaml")]],
        "remove": [str(out / "values" / "a.yaml" / "notes.txt")],
    }))
    recover(out)
    assert not journal_path(out).exists()
    assert (out / "values" / "a.yaml").read_text() == "new\n" and (out / "values" / "b.yaml").read_text() == "b\n"
    assert not os.path.exists(staged)
