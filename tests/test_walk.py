"""The one walk of a tree and its one rule for symbolic links, and that every reader of a tree keeps it:
the loader, the scan behind incremental renders and the parse cache, and the guard of ``tenantgen diff``.
"""

from __future__ import annotations

import os
from pathlib import Path

from tenantgen.fast.reuse import scan_tree
from tenantgen.load import TreeWalk, tree_files
from tenantgen.load.walk import LINK_LOOP, LINK_OUTSIDE
from tenantgen.pipeline.review import read_files
from tests.trees import CLUSTER_DIR, TENANTS, build_tree, lines, shown, tenant_yaml


def _write(path: Path, text: str = "x: 1\n") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _listed(root: Path, rel: str = "") -> list[tuple[str, bool, bool, str | None]]:
    return [(entry.name, entry.is_dir, entry.is_link, entry.refused) for entry in TreeWalk(root).entries(rel)]


def test_hidden_entries_are_left_out_and_the_rest_come_in_name_order(tmp_path: Path) -> None:
    for name in ("b.yaml", "a.yaml", ".hidden.yaml", ".git/config", "c/d.yaml"):
        _write(tmp_path / name)
    assert _listed(tmp_path) == [("a.yaml", False, False, None), ("b.yaml", False, False, None),
                                 ("c", True, False, None)]
    assert [entry.rel for entry in TreeWalk(tmp_path).walk()] == ["a.yaml", "b.yaml", "c", "c/d.yaml"]


def test_a_link_is_followed_only_when_its_target_is_inside_the_tree(tmp_path: Path) -> None:
    root, outside = tmp_path / "tree", tmp_path / "outside"
    _write(root / "shared/file.yaml")
    _write(outside / "secret.yaml")
    os.symlink(root / "shared/file.yaml", root / "file-in.yaml")
    os.symlink("shared", root / "folder-in")
    os.symlink(outside / "secret.yaml", root / "file-out.yaml")
    os.symlink(outside, root / "folder-out")
    os.symlink("missing.yaml", root / "dangling.yaml")  # inside: followed, and there is nothing to read
    assert _listed(root) == [
        ("dangling.yaml", False, True, None),
        ("file-in.yaml", False, True, None),
        ("file-out.yaml", False, True, LINK_OUTSIDE),
        ("folder-in", True, True, None),
        ("folder-out", False, True, LINK_OUTSIDE),
        ("shared", True, False, None),
    ]
    assert [entry.rel for entry in tree_files(root)] == ["dangling.yaml", "file-in.yaml", "folder-in/file.yaml",
                                                         "shared/file.yaml"]


def test_a_loop_of_links_counts_as_pointing_outside(tmp_path: Path) -> None:
    os.symlink("b.yaml", tmp_path / "a.yaml")
    os.symlink("a.yaml", tmp_path / "b.yaml")
    assert _listed(tmp_path) == [("a.yaml", False, True, LINK_OUTSIDE), ("b.yaml", False, True, LINK_OUTSIDE)]


def test_a_folder_link_back_into_the_walk_is_refused_so_every_walk_ends(tmp_path: Path) -> None:
    _write(tmp_path / "a/a.yaml")
    _write(tmp_path / "b/b.yaml")
    os.symlink("..", tmp_path / "a/up")  # the tree's root, which the walk is in
    os.symlink("../b", tmp_path / "a/to-b")  # b, then b's link back to a: a is open by then
    os.symlink("../a", tmp_path / "b/to-a")
    walked = {entry.rel: entry.refused for entry in TreeWalk(tmp_path).walk()}
    assert walked == {
        "a": None, "a/a.yaml": None, "a/to-b": None, "a/to-b/b.yaml": None, "a/to-b/to-a": LINK_LOOP,
        "a/up": LINK_LOOP,
        "b": None, "b/b.yaml": None, "b/to-a": None, "b/to-a/a.yaml": None, "b/to-a/to-b": LINK_LOOP,
        "b/to-a/up": LINK_LOOP,
    }
    walk = TreeWalk(tmp_path)
    assert walk.follows("a/to-b") and not walk.follows("a/up") and walk.follows("a/a.yaml")


def test_the_loader_reports_the_links_the_walk_refuses(tmp_path: Path) -> None:
    root = build_tree(tmp_path, {"shared/gamma.yaml.txt": tenant_yaml("gamma")})
    os.symlink("..", root / TENANTS / "up")
    os.symlink(tmp_path, root / CLUSTER_DIR / "node-pools-elsewhere")
    assert lines(root) == [
        f"{shown(CLUSTER_DIR + '/node-pools-elsewhere')}: {LINK_OUTSIDE}",
        f"{shown(TENANTS + '/up')}: {LINK_LOOP}",
        f"{shown('shared')}: tier folder has no tier.yaml",
    ]


def test_the_scan_and_the_diff_read_the_files_the_loader_reads(tmp_path: Path) -> None:
    root = build_tree(tmp_path, {"shared/gamma.yaml": tenant_yaml("gamma")})
    (tmp_path / "outside.yaml").write_text(tenant_yaml("delta"), encoding="utf-8")
    os.symlink(root / "shared/gamma.yaml", root / TENANTS / "gamma.yaml")
    os.symlink(tmp_path / "outside.yaml", root / TENANTS / "delta.yaml")
    os.symlink("..", root / TENANTS / "up")
    os.symlink("../../../shared", root / CLUSTER_DIR / "config")
    expected = sorted(entry.rel for entry in tree_files(root))
    assert f"{TENANTS}/gamma.yaml" in expected and f"{CLUSTER_DIR}/config/gamma.yaml" in expected
    assert f"{TENANTS}/delta.yaml" not in expected and not any(rel.startswith(f"{TENANTS}/up/") for rel in expected)

    scan = scan_tree(root)
    assert sorted(scan.digests) == expected
    assert scan.raws[f"{TENANTS}/gamma.yaml"] == (root / "shared/gamma.yaml").read_bytes()
    assert sorted(read_files(root)) == expected


def test_a_cluster_holding_or_reached_through_a_link_is_never_reused(tmp_path: Path) -> None:
    root = build_tree(tmp_path)
    (root / "prod").mkdir()
    os.symlink("../dev/dev-aws", root / "prod/prod-aws")  # prod's account: dev's, through a link
    os.symlink("../../../../dev/tier.yaml", root / TENANTS / "tier.yaml.txt")
    scan = scan_tree(root)
    assert scan.clusters() == ["dev/dev-aws/dev-euw1", "prod/prod-aws/dev-euw1"]
    assert scan.cluster_digest(b"", "prod/prod-aws/dev-euw1") is None
    assert scan.cluster_digest(b"", CLUSTER_DIR) is None
    os.unlink(root / TENANTS / "tier.yaml.txt")
    assert scan_tree(root).cluster_digest(b"", CLUSTER_DIR) is not None
