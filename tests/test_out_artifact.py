"""OUT is a Git artifact: committed, cloned, rendered into in other clones and checked by CI in a fresh one.

Real ``tenantgen`` processes in real git repositories. Whatever the clone, OUT ends byte for byte as a
render of the tree into an empty folder: stale files of tenantgen's (a deleted tenant, a removed
cluster) are named by ``--check`` and pruned by ``render``, a hand edit is repaired, files of the
user's own survive, nothing in OUT depends on the folder or the machine, and shards together make
the full render.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import EXAMPLE_TREE, CliResult, read_tree, run_cli_process, tenant_chart_variant

CLUSTER = "prod/prod-aws/prod-euw1"
REMOVED_CLUSTER = "prod/prod-aws/prod-euc1"


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout


def tenantgen(repo: Path, *args: str) -> CliResult:
    return run_cli_process(["render", "tiers", "-o", "out", "--jobs", "1", *args], cwd=repo, timeout=120)


def rendered(repo: Path, *args: str) -> CliResult:
    result = tenantgen(repo, *args)
    assert result.exit_code == 0, result.stdout + result.stderr
    return result


def make_repo(root: Path, state: str) -> Path:
    """Clone A: the example tree, rendered into out/ and committed (OUT's state too, or ignored)."""
    repo = root / "a"
    shutil.copytree(EXAMPLE_TREE, repo / "tiers")
    git(repo.parent, "init", "-q", "a")
    git(repo, "config", "user.name", "Platform Team")
    git(repo, "config", "user.email", "platform@example.com")
    if state == "ignored":
        (repo / ".gitignore").write_text("out/.tenantgen/\n")
    rendered(repo)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "render")
    return repo


def clone(repo: Path, name: str) -> Path:
    git(repo.parent, "clone", "-q", repo.name, name)
    return repo.parent / name


def cold_render(tree: Path, folder: Path) -> dict[str, bytes]:
    """The tree rendered into an empty folder: what any OUT must end as."""
    shutil.copytree(tree, folder / "tiers")
    rendered(folder, "--no-cache")
    return read_tree(folder / "out")


def delete_tenant(repo: Path, tenant: str = "search") -> None:
    for kind in ("tenants", "argo-projects"):
        (repo / "tiers" / CLUSTER / kind / f"{tenant}.yaml").unlink()


def listed(result: CliResult, state: str) -> set[str]:
    prefix = f"{state}: out/"
    return {line[len(prefix):] for line in result.stdout.splitlines() if line.startswith(prefix)}


@pytest.mark.parametrize("state", ["committed", "ignored"])
def test_a_tenant_deleted_in_another_clone_is_named_by_check_and_pruned(tmp_path: Path, state: str) -> None:
    repo = make_repo(tmp_path, state)
    other = clone(repo, "b")
    assert read_tree(other / "out") == read_tree(repo / "out")  # what was committed is all of OUT
    delete_tenant(other)
    expected = cold_render(other / "tiers", tmp_path / "reference")
    before = read_tree(other / "out")
    stale = set(before) - set(expected)
    assert any(f"{CLUSTER}/manifests/search-" in rel for rel in stale)
    assert any(f"{CLUSTER}/values/search-" in rel for rel in stale)

    check = tenantgen(other, "--check")
    assert check.exit_code == 1, check.stdout + check.stderr
    assert listed(check, "extra") == stale
    assert f"{CLUSTER}/helmfile.yaml" in listed(check, "changed")
    assert read_tree(other / "out") == before  # --check never writes
    if state == "committed":  # (once is enough) the diff against OUT shows the stale files as removed
        diff = run_cli_process(["diff", "tiers", "--against", "out"], cwd=other, timeout=120)
        assert diff.exit_code == 0 and f"search ({CLUSTER}): removed" in diff.stdout, diff.stdout + diff.stderr

    rendered(other)
    assert read_tree(other / "out") == expected
    assert tenantgen(other, "--check").exit_code == 0
    git(other, "add", "-A")
    assert git(other, "status", "--porcelain", "--", "out/.tenantgen") == ""  # nothing of the machine's to commit


def test_renders_into_different_folders_and_clones_are_identical(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, "committed")
    elsewhere = cold_render(repo / "tiers", tmp_path / "somewhere" / "else")
    assert read_tree(repo / "out") == elsewhere  # every file, tenantgen's own included
    other = clone(repo, "b")
    rendered(other)
    assert read_tree(other / "out") == elsewhere
    assert git(other, "status", "--porcelain") == ""  # a render in a fresh clone changes nothing


def test_a_cluster_removed_from_the_tree_is_pruned(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, "committed")
    other = clone(repo, "b")
    shutil.rmtree(other / "tiers" / REMOVED_CLUSTER)
    expected = cold_render(other / "tiers", tmp_path / "reference")
    check = tenantgen(other, "--check")
    assert check.exit_code == 1
    gone = {rel for rel in read_tree(other / "out") if rel.startswith(f"{REMOVED_CLUSTER}/")}
    assert gone and listed(check, "extra") == gone
    rendered(other)
    assert read_tree(other / "out") == expected
    assert not (other / "out" / REMOVED_CLUSTER).exists()  # its empty folders go too


@pytest.mark.parametrize("selection", [["--cluster", "prod-euc1"], ["--cluster", REMOVED_CLUSTER], ["--tier", "prod"]])
def test_selecting_a_cluster_removed_from_the_tree_prunes_its_folder(tmp_path: Path, selection: list[str]) -> None:
    repo = make_repo(tmp_path, "committed")
    shutil.rmtree(repo / "tiers" / REMOVED_CLUSTER)
    expected = cold_render(repo / "tiers", tmp_path / "reference")
    gone = {rel for rel in read_tree(repo / "out") if rel.startswith(f"{REMOVED_CLUSTER}/")}
    note = f"note: {REMOVED_CLUSTER} is not in the tree: its files in the output directory are stale"
    check = tenantgen(repo, "--check", *selection)
    assert check.exit_code == 1, check.stdout + check.stderr
    assert listed(check, "extra") == gone and note in check.stdout
    result = rendered(repo, *selection)
    assert note in result.stdout and f"{len(gone)} removed" in result.stdout, result.stdout
    assert read_tree(repo / "out") == expected
    assert not (repo / "out" / REMOVED_CLUSTER).exists()
    assert tenantgen(repo, "--check").exit_code == 0


@pytest.mark.parametrize("selection", [["--cluster", "prod-euc1"], ["--tier", "prod"], ["--shard", "1/2"]])
def test_a_selected_cluster_reused_as_it_is_is_not_called_stale(tmp_path: Path, selection: list[str]) -> None:
    repo = make_repo(tmp_path, "ignored")
    for _ in range(2):  # the second run reuses the selected clusters
        result = rendered(repo, *selection)
        assert "not in the tree" not in result.stdout and "0 removed" in result.stdout, result.stdout
    assert "0 file(s) written" in result.stdout and "(0 rendered" in result.stdout, result.stdout


def test_selecting_a_cluster_neither_in_the_tree_nor_in_out_is_a_usage_error(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, "ignored")
    for args in (["--cluster", "prod-nowhere"], ["--cluster", "prod-nowhere", "--check"]):
        result = tenantgen(repo, *args)
        assert result.exit_code == 2, result.stdout + result.stderr
        assert "matches no cluster of the tree nor of the output directory" in result.stderr


def test_files_of_the_users_own_survive(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, "committed")
    mine = {"README.md": b"# our GitOps repository\n", "docs/runbook.md": b"call us\n",
            f"{CLUSTER}/notes.md": b"cluster notes\n", f"{REMOVED_CLUSTER}/notes.md": b"to keep\n"}
    for rel, data in mine.items():
        (repo / "out" / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / "out" / rel).write_bytes(data)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "notes")
    other = clone(repo, "b")
    delete_tenant(other)
    shutil.rmtree(other / "tiers" / REMOVED_CLUSTER)
    expected = cold_render(other / "tiers", tmp_path / "reference")
    check = tenantgen(other, "--check")
    assert check.exit_code == 1 and not listed(check, "extra") & set(mine)
    rendered(other)
    assert read_tree(other / "out") == {**expected, **mine}


@pytest.fixture(scope="module")
def full_render(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example tree (``tiers``) and its full render (``out``), side by side."""
    folder = tmp_path_factory.mktemp("full")
    shutil.copytree(EXAMPLE_TREE, folder / "tiers")
    rendered(folder)
    return folder


@pytest.mark.parametrize("count", [1, 2, 3, 7])
def test_shards_together_make_the_full_render(full_render: Path, tmp_path: Path, count: int) -> None:
    together: dict[str, bytes] = {}
    for number in range(1, count + 1):
        out = tmp_path / f"shard-{number}"
        result = run_cli_process(["render", "tiers", "-o", str(out), "--jobs", "1", "--shard", f"{number}/{count}"],
                                 cwd=full_render, timeout=120)
        assert result.exit_code == 0, result.stdout + result.stderr
        files = read_tree(out) if out.exists() else {}
        assert all(together.get(rel, data) == data for rel, data in files.items())  # charts: the same bytes
        together.update(files)
        if count == 2:  # a shard checks only its own clusters against the full output
            check = run_cli_process(["render", "tiers", "-o", "out", "--check", "--shard", f"{number}/{count}"],
                                    cwd=full_render, timeout=120)
            assert check.exit_code == 0, check.stdout
    assert together == read_tree(full_render / "out")


def test_a_shard_prunes_only_within_itself(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, "committed")
    for rel in (f"{CLUSTER}/manifests/stale/x.yaml", f"{REMOVED_CLUSTER}/values/stale.yaml"):
        (repo / "out" / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / "out" / rel).write_text("stale\n")
    found: dict[str, set[str]] = {}
    for number in (1, 2):
        check = tenantgen(repo, "--check", "--shard", f"{number}/2")
        found[f"{number}/2"] = listed(check, "extra")
    assert sorted(rel for extra in found.values() for rel in extra) == sorted(
        [f"{CLUSTER}/manifests/stale/x.yaml", f"{REMOVED_CLUSTER}/values/stale.yaml"])
    for shard, extra in found.items():
        rendered(repo, "--shard", shard)
        assert all(not (repo / "out" / rel).exists() for rel in extra)
    assert tenantgen(repo, "--check").exit_code == 0


def test_a_chart_no_cluster_uses_any_more_is_pruned_by_the_shards(tmp_path: Path) -> None:
    """The playground tier pins an older tenant chart, then drops the pin: its folder under charts/ is
    stale. Every shard names it (they agree on what no cluster of the tree uses) and the first shard
    that renders removes it; a chart still in use by the other shard's clusters stays."""
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLE_TREE, repo / "tiers")
    tenant_chart_variant(repo / "pinned", "old", {})
    tier = repo / "tiers" / "playground" / "tier.yaml"
    unpinned = tier.read_text()
    tier.write_text(unpinned.replace("\nspec:\n", "\nspec:\n  charts:\n    tenant: 0.1.0-old\n", 1))
    rendered(repo, "--charts", "pinned")
    charts = {rel.split("/")[1] for rel in read_tree(repo / "out") if rel.startswith("charts/")}
    assert {"tenant-0.1.0", "tenant-0.1.0-old"} <= charts
    for number in (1, 2):  # while it is pinned, no shard counts the older chart stale
        check = tenantgen(repo, "--charts", "pinned", "--check", "--shard", f"{number}/2")
        assert check.exit_code == 0, check.stdout + check.stderr

    tier.write_text(unpinned)
    expected = cold_render(repo / "tiers", tmp_path / "reference")
    stale = {rel for rel in read_tree(repo / "out") if rel.startswith("charts/tenant-0.1.0-old/")}
    assert stale and not set(expected) & stale
    for number in (1, 2):
        check = tenantgen(repo, "--check", "--shard", f"{number}/2")
        assert check.exit_code == 1 and stale <= listed(check, "extra"), check.stdout + check.stderr
        assert not {rel for rel in listed(check, "extra") if rel.startswith("charts/")} - stale
    rendered(repo, "--shard", "1/2")
    assert not (repo / "out" / "charts" / "tenant-0.1.0-old").exists()
    assert (repo / "out" / "charts" / "tenant-0.1.0" / "Chart.yaml").is_file()
    rendered(repo, "--shard", "2/2")
    assert read_tree(repo / "out") == expected
    assert tenantgen(repo, "--check").exit_code == 0


def test_a_hand_edit_that_keeps_size_and_mtime_is_repaired(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, "ignored")
    rendered(repo)  # this machine's record of OUT is current
    path = repo / "out" / CLUSTER / "manifests" / "payments-tenant" / "tenant-payments.yaml"
    original = path.read_bytes()
    stat = path.stat()
    edited = original.replace(b"payments", b"PAYMENTS", 1)
    assert edited != original and len(edited) == len(original)
    path.write_bytes(edited)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # as `touch -r` would
    check = tenantgen(repo, "--check")
    assert check.exit_code == 1 and listed(check, "changed") == {path.relative_to(repo / "out").as_posix()}
    result = rendered(repo)
    assert "1 file(s) written" in result.stdout, result.stdout
    assert path.read_bytes() == original


def test_a_second_render_into_the_same_out_is_refused(tmp_path: Path) -> None:
    import fcntl

    repo = make_repo(tmp_path, "ignored")
    delete_tenant(repo)
    before = read_tree(repo / "out")
    other = os.open(repo / "out", os.O_RDONLY)  # what a render in another process holds while it writes
    try:
        fcntl.flock(other, fcntl.LOCK_EX)
        result = tenantgen(repo)
        assert result.exit_code == 1
        assert "another tenantgen render is writing into the output directory out" in result.stderr
        assert read_tree(repo / "out") == before
    finally:
        os.close(other)
    rendered(repo)
    assert read_tree(repo / "out") != before
