"""tenantgen render end to end: golden output, validity, determinism, atomicity, pruning, --check, selection."""

from __future__ import annotations

import errno
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tenantgen.render import ManifestValidator
from tenantgen.yamlio.reader import load_all
from tests.helpers import EXAMPLE_TREE, REPO_ROOT, read_tree, run_cli, tenant_chart_variant
from tests.support.upstream_crds import PROVIDER_CRD_FOLDERS, provider_crd_dirs, scoped_crds_args

GOLDEN = REPO_ROOT / "tests" / "golden" / "example"
UPDATE = os.environ.get("TENANTGEN_UPDATE_GOLDEN") == "1"


def render(tree: Path, out: Path, *extra: str) -> str:
    result = run_cli(["render", str(tree), "-o", str(out), *extra])
    assert result.exit_code == 0, result.stdout + result.stderr
    return result.stdout


def cluster_files(out: Path) -> dict[str, bytes]:
    """The output minus the chart copies and tenantgen's own state (compared separately)."""
    return {rel: data for rel, data in read_tree(out).items()
            if not rel.startswith(("charts/", ".tenantgen/"))}


@pytest.fixture(scope="module")
def example_out(tmp_path_factory: pytest.TempPathFactory, upstream_crds: Path) -> Path:
    out = tmp_path_factory.mktemp("render") / "out"
    render(EXAMPLE_TREE, out, *scoped_crds_args(upstream_crds))
    return out


@pytest.fixture()
def tree_copy(tmp_path: Path) -> Path:
    tree = tmp_path / "tiers"
    shutil.copytree(EXAMPLE_TREE, tree)
    return tree


def test_example_tree_matches_golden_output(example_out: Path) -> None:
    actual = cluster_files(example_out)
    if UPDATE:
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for rel, data in actual.items():
            (GOLDEN / rel).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / rel).write_bytes(data)
    expected = read_tree(GOLDEN)
    assert sorted(actual) == sorted(expected), "files differ; refresh with TENANTGEN_UPDATE_GOLDEN=1 pytest"
    for rel in expected:
        assert actual[rel] == expected[rel], f"{rel} differs from the golden copy"


def test_output_layout(example_out: Path) -> None:
    cluster = example_out / "prod" / "prod-aws" / "prod-euw1"
    assert (cluster / "helmfile.yaml").is_file()
    assert (cluster / "values" / "payments-tenant.yaml").is_file()
    assert (cluster / "manifests" / "payments-tenant" / "tenant-payments.yaml").is_file()
    assert (cluster / "manifests" / "payments-argocd" / "appproject-payments.yaml").is_file()
    assert (cluster / "manifests" / "apps-nodepool" / "nodepool-apps.yaml").is_file()
    assert (cluster / "config" / "storageclass-gp3.yaml").is_file()
    # The charts the helmfile points at travel with the output.
    assert (example_out / "charts" / "tenant-0.1.0" / "Chart.yaml").read_bytes() == (
        REPO_ROOT / "charts" / "tenant" / "Chart.yaml").read_bytes()


def test_helmfile_orders_releases_with_needs(example_out: Path) -> None:
    helmfile = load_all((example_out / "prod" / "prod-aws" / "prod-euw1" / "helmfile.yaml").read_bytes())[0]
    releases = {release["name"]: release for release in helmfile["releases"]}
    # The cluster's shared release holds the host-name policy the tenant's binding names.
    assert releases["payments-tenant"]["needs"] == ["tenantgen-system/prod-euw1-shared", "tenantgen-system/apps-nodepool"]
    assert "needs" not in releases["prod-euw1-shared"]
    assert releases["payments-post-install"]["needs"] == ["tenantgen-system/payments-tenant"]
    assert releases["payments-argocd"]["needs"] == ["tenantgen-system/payments-post-install"]
    assert "needs" not in releases["apps-nodepool"]
    assert releases["payments-tenant"]["chart"] == "../../../charts/tenant-0.1.0"
    assert releases["payments-tenant"]["values"] == ["values/payments-tenant.yaml"]
    names = [release["name"] for release in helmfile["releases"]]
    assert names.index("apps-nodepool") < names.index("payments-tenant") < names.index("payments-argocd")
    assert names.index("prod-euw1-shared") < names.index("payments-tenant")


def test_every_rendered_object_passes_crd_and_core_schemas(example_out: Path, upstream_crds: Path) -> None:
    # Each cloud's objects against its own Karpenter CRDs: both define nodepools.karpenter.sh v1.
    validators = {(version, provider): ManifestValidator.create(provider_crd_dirs(upstream_crds, provider), version)
                  for version in ("v1.31.0", "v1.32.0") for provider in PROVIDER_CRD_FOLDERS}
    checked = 0
    for path in sorted(example_out.glob("*/*/*/manifests/*/*.yaml")):
        kube = "v1.32.0" if path.is_relative_to(example_out / "playground") else "v1.31.0"
        provider = "azure" if path.relative_to(example_out).parts[1].endswith("-azure") else "aws"
        for obj in load_all(path.read_bytes()):
            assert validators[kube, provider].check(obj) == [], path
            checked += 1
    assert checked >= 80


def test_render_is_deterministic_across_runs_and_job_counts(example_out: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    render(EXAMPLE_TREE, again, "--no-cache", "--jobs", "1")
    assert cluster_files(again) == cluster_files(example_out)
    assert read_tree(again / "charts") == read_tree(example_out / "charts")


def test_rerender_writes_nothing_when_nothing_changed(tree_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    render(tree_copy, out)
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    summary = render(tree_copy, out)
    assert "0 file(s) written" in summary and "0 removed" in summary
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == mtimes


def test_deleted_tenant_is_pruned_and_foreign_files_survive(tree_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    render(tree_copy, out)
    cluster = out / "prod" / "prod-aws" / "prod-euw1"
    (out / "README.md").write_text("mine")
    (cluster / "notes.md").write_text("mine too")  # beside the owned names: never touched
    (cluster / "manifests" / "extra.yaml").write_text("stale")  # under manifests/: tenantgen's, and stale
    (tree_copy / "prod" / "prod-aws" / "prod-euw1" / "tenants" / "search.yaml").unlink()
    (tree_copy / "prod" / "prod-aws" / "prod-euw1" / "argo-projects" / "search.yaml").unlink()
    summary = render(tree_copy, out)
    assert "removed" in summary
    assert not (cluster / "manifests" / "search-tenant").exists()
    assert not (cluster / "values" / "search-tenant.yaml").exists()
    assert "search-tenant" not in (cluster / "helmfile.yaml").read_text()
    assert (out / "README.md").read_text() == "mine"
    assert (cluster / "notes.md").read_text() == "mine too"
    assert not (cluster / "manifests" / "extra.yaml").exists()
    assert (cluster / "manifests" / "payments-tenant" / "tenant-payments.yaml").is_file()


SEARCH_TENANT_FILE = "prod/prod-aws/prod-euw1/manifests/search-tenant/tenant-search.yaml"


def _without_search(tree: Path, aside: Path) -> Callable[[], None]:
    """Take tenant search out of ``tree``; the function returned puts it back."""
    cluster = tree / "prod" / "prod-aws" / "prod-euw1"
    aside.mkdir()
    for folder in ("tenants", "argo-projects"):
        (cluster / folder / "search.yaml").rename(aside / f"{folder}.yaml")

    def restore() -> None:
        for folder in ("tenants", "argo-projects"):
            (aside / f"{folder}.yaml").rename(cluster / folder / "search.yaml")
    return restore


def test_a_file_at_a_path_the_render_writes_is_replaced(tree_copy: Path, tmp_path: Path) -> None:
    # A path tenantgen writes is its own by the layout, whoever put the file there (another clone's
    # render, a hand edit). Files at other paths are never touched.
    out = tmp_path / "out"
    restore = _without_search(tree_copy, tmp_path / "aside")
    render(tree_copy, out)
    placed = out / SEARCH_TENANT_FILE
    placed.parent.mkdir(parents=True)
    placed.write_text("hand written\n")
    (out / "README.md").write_text("mine\n")
    restore()
    render(tree_copy, out)
    assert placed.read_text().startswith("# Source: tenant/templates/")
    assert (out / "README.md").read_text() == "mine\n"


def test_a_first_render_over_files_at_its_paths_replaces_them(tree_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / SEARCH_TENANT_FILE).parent.mkdir(parents=True)
    (out / SEARCH_TENANT_FILE).write_text("hand written\n")
    (out / "README.md").write_text("mine\n")
    render(tree_copy, out)
    assert (out / SEARCH_TENANT_FILE).read_text().startswith("# Source: tenant/templates/")
    assert (out / "README.md").read_text() == "mine\n"


@pytest.mark.parametrize("damage", ["delete", "corrupt"])
def test_without_a_record_of_out_files_with_the_very_bytes_are_left_alone(tree_copy: Path, tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch,
                                                                         damage: str) -> None:
    # What this machine recorded of OUT is only a shortcut: lost or damaged, every file is compared.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    out = tmp_path / "out"
    render(tree_copy, out)
    records = tmp_path / "cache" / "tenantgen" / "outputs"
    assert records.is_dir()
    if damage == "delete":
        shutil.rmtree(records)
    else:
        for path in records.rglob("*.bin"):
            path.write_bytes(path.read_bytes()[:-1] + b"?")
    expected = cluster_files(out)
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    summary = render(tree_copy, out)
    assert "0 file(s) written" in summary
    assert cluster_files(out) == expected
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == mtimes
    (out / SEARCH_TENANT_FILE).write_text("edited after the record was rebuilt\n")
    render(tree_copy, out)
    assert (out / SEARCH_TENANT_FILE).read_bytes() == expected[SEARCH_TENANT_FILE]


def test_a_cluster_config_file_replaces_the_tiers_file_of_the_same_name(tree_copy: Path, tmp_path: Path) -> None:
    tier_file = tree_copy / "prod" / "config" / "shared.yaml"
    cluster_file = tree_copy / "prod" / "prod-aws" / "prod-euw1" / "config" / "shared.yaml"
    tier_file.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: from-tier, namespace: default}\n")
    cluster_file.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: from-cluster, namespace: default}\n")
    out = tmp_path / "out"
    note = f"note: {cluster_file.as_posix()} replaces the tier's {tier_file.as_posix()} in this cluster's config/"
    assert note in render(tree_copy, out).splitlines()
    assert (out / "prod/prod-aws/prod-euw1/config/shared.yaml").read_bytes() == cluster_file.read_bytes()
    assert (out / "prod/prod-aws/prod-euc1/config/shared.yaml").read_bytes() == tier_file.read_bytes()
    check = run_cli(["render", str(tree_copy), "-o", str(out), "--check"])
    assert check.exit_code == 0 and note in check.stdout.splitlines()


def test_check_reports_out_of_date_files(tree_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    render(tree_copy, out)
    assert run_cli(["render", str(tree_copy), "-o", str(out), "--check"]).exit_code == 0
    tenant_file = tree_copy / "prod" / "prod-aws" / "prod-euw1" / "tenants" / "search.yaml"
    tenant_file.write_text(tenant_file.read_text().replace("quota: ", "quota: 1 #"))  # quota 1x -> 1
    before = read_tree(out)
    result = run_cli(["render", str(tree_copy), "-o", str(out), "--check"])
    assert result.exit_code == 1
    assert "changed: " in result.stdout and "search-tenant/tenant-search.yaml" in result.stdout
    assert "out of date" in result.stdout
    assert read_tree(out) == before  # --check never writes


def pin_broken_tenant_chart(tree: Path, charts: Path) -> None:
    """Pin the prod tier to a tenant chart version whose render fails for tenant search only."""
    tenant_chart_variant(charts, "broken", {
        "fail.yaml": '{{- if eq .Values.tenant.name "search" }}{{ fail "search is broken" }}{{ end }}\n'})
    tier = tree / "prod" / "tier.yaml"
    tier.write_text(tier.read_text().replace("spec:\n", "spec:\n  charts:\n    tenant: 0.1.0-broken\n", 1))


def test_failed_render_leaves_previous_output_untouched(tree_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    render(tree_copy, out)
    before = read_tree(out)
    # A chart version that fails for one release only: the others render, the run still fails.
    pin_broken_tenant_chart(tree_copy, tmp_path / "charts")
    (tree_copy / "prod" / "prod-aws" / "prod-euw1" / "tenants" / "payments.yaml").write_text(
        (tree_copy / "prod" / "prod-aws" / "prod-euw1" / "tenants" / "payments.yaml").read_text()
        .replace("quota: ", "quota: 1 #"))
    result = run_cli(["render", str(tree_copy), "-o", str(out), "--charts", str(tmp_path / "charts")])
    assert result.exit_code == 1
    assert "search-tenant" in result.stdout and "search is broken" in result.stdout
    assert "tenants/search.yaml" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert read_tree(out) == before
    assert not list((out / ".tenantgen").glob("staging-*"))


def test_a_failed_first_render_creates_no_output_directory(tree_copy: Path, tmp_path: Path) -> None:
    # Files are staged in OUT while releases render; when the run fails, none of that stays.
    pin_broken_tenant_chart(tree_copy, tmp_path / "charts")
    out = tmp_path / "new" / "out"
    result = run_cli(["render", str(tree_copy), "-o", str(out), "--charts", str(tmp_path / "charts")])
    assert result.exit_code == 1 and "search is broken" in result.stdout
    assert not (tmp_path / "new").exists()


def _render_then_edit(tree: Path, tmp_path: Path) -> tuple[Path, Path]:
    """OUT rendered from ``tree``; then a tenant of ``tree`` edited, and what OUT should become (rendered apart)."""
    out = tmp_path / "out"
    render(tree, out)
    tenant_file = tree / "prod" / "prod-aws" / "prod-euw1" / "tenants" / "search.yaml"
    tenant_file.write_text(tenant_file.read_text().replace("quota: ", "quota: 1 #"))
    expected = tmp_path / "expected"
    render(tree, expected)
    return out, expected


@contextmanager
def first_move_after_journal_fails(failure: Callable[[str, str], BaseException]) -> Iterator[None]:
    """The writer's first rename after its journal's raises ``failure(src, dst)``: after the journal is
    committed, in the middle of applying it. (Counted from the journal: renames of cache files before
    it come and go with the clock, e.g. a file's signature is recorded once it is two seconds old.)"""
    from tenantgen.write import commit

    real_replace = os.replace
    committed = False

    def replace(src: str, dst: str) -> None:
        nonlocal committed
        if committed:
            raise failure(src, dst)
        real_replace(src, dst)
        committed = os.path.basename(dst) == "journal.json"

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(commit.os, "replace", replace)
        yield


def test_interrupted_commit_is_rolled_forward(tree_copy: Path, tmp_path: Path) -> None:
    out, expected_dir = _render_then_edit(tree_copy, tmp_path)
    with first_move_after_journal_fails(lambda src, dst: KeyboardInterrupt()):
        result = run_cli(["render", str(tree_copy), "-o", str(out)])
    assert result.exit_code == 130
    assert (out / ".tenantgen" / "journal.json").exists()
    render(tree_copy, out)  # the next run finishes the commit first
    assert cluster_files(out) == cluster_files(expected_dir)
    assert not list((out / ".tenantgen").glob("staging-*"))


def test_an_interrupted_first_render_is_rolled_forward(example_out: Path, tmp_path: Path, upstream_crds: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from tenantgen.write import commit

    out = tmp_path / "out"
    moved: list[str] = []
    real_replace = os.replace

    def dying_replace(src: str, dst: str) -> None:
        if os.path.isdir(src):
            moved.append(os.path.relpath(dst, out))
            if len(moved) == 3:  # a first render moves whole top folders; die between two of them
                raise KeyboardInterrupt
        real_replace(src, dst)

    monkeypatch.setattr(commit.os, "replace", dying_replace)
    result = run_cli(["render", str(EXAMPLE_TREE), "-o", str(out), *scoped_crds_args(upstream_crds)])
    assert result.exit_code == 130
    monkeypatch.setattr(commit.os, "replace", real_replace)
    assert moved == ["charts", "playground", "prod"]  # one rename per folder, not one per file
    assert (out / ".tenantgen" / "journal.json").exists() and (out / "playground").is_dir()
    assert not (out / "prod").exists()
    render(EXAMPLE_TREE, out, *scoped_crds_args(upstream_crds))  # the next run finishes the commit first
    assert cluster_files(out) == cluster_files(example_out)


def _no_space(*args: object) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_a_full_disk_leaves_the_output_as_it_was(tree_copy: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from tenantgen.write import staging

    out = tmp_path / "out"
    render(tree_copy, out)
    before = read_tree(out)
    tenant_file = tree_copy / "prod" / "prod-aws" / "prod-euw1" / "tenants" / "search.yaml"
    tenant_file.write_text(tenant_file.read_text().replace("quota: ", "quota: 1 #"))
    monkeypatch.setattr(staging, "_write_file", _no_space)  # every file, staged early or late
    result = run_cli(["render", str(tree_copy), "-o", str(out)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: cannot write into the output directory {out}: No space left on device "
                                    "(writing prod/prod-aws/prod-euw1/")
    assert result.stderr.rstrip().endswith("; it was left as it was")
    assert read_tree(out) == before
    assert not list((out / ".tenantgen").glob("staging-*"))


def test_a_full_disk_while_committing_is_finished_by_the_next_run(tree_copy: Path, tmp_path: Path) -> None:
    from tenantgen.write import recover

    out, expected = _render_then_edit(tree_copy, tmp_path)
    with first_move_after_journal_fails(lambda src, dst: OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), src, None, dst)):
        result = run_cli(["render", str(tree_copy), "-o", str(out)])
    assert result.exit_code == 1
    assert f"writing into the output directory {out} stopped part way: No space left on device" in result.stderr
    assert "the next tenantgen render into it finishes what this one started" in result.stderr
    assert cluster_files(out) != cluster_files(expected)
    # The staged files stayed for the roll-forward: it alone (no render) completes the output.
    recover(out)
    assert cluster_files(out) == cluster_files(expected)
    assert not (out / ".tenantgen" / "journal.json").exists()


def test_a_new_cluster_moves_in_whole_and_the_others_stay_untouched(tree_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    render(tree_copy, out)
    before = {path: path.stat().st_mtime_ns for path in out.rglob("*.yaml")}
    cluster = tree_copy / "prod" / "prod-aws" / "prod-euw1"
    new = cluster.with_name("prod-euw2")
    shutil.copytree(cluster, new)
    for path in new.rglob("*.yaml"):
        path.write_text(path.read_text().replace("prod-euw1", "prod-euw2"))
    render(tree_copy, out)
    assert {path: path.stat().st_mtime_ns for path in before} == before
    fresh = tmp_path / "fresh"
    render(tree_copy, fresh)
    assert cluster_files(out) == cluster_files(fresh)
    assert any(rel.startswith("prod/prod-aws/prod-euw2/manifests/") for rel in cluster_files(out))


def test_selection_renders_only_the_chosen_tenant(tree_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    render(tree_copy, out)
    cluster = out / "prod" / "prod-aws" / "prod-euw1"
    for name in ("search.yaml", "payments.yaml"):
        path = tree_copy / "prod" / "prod-aws" / "prod-euw1" / "tenants" / name
        path.write_text(path.read_text().replace("quota: ", "quota: 1 #"))
    before = read_tree(out)
    summary = render(tree_copy, out, "--cluster", "prod-euw1", "--tenant", "sea*")
    assert "1 tenant(s)" in summary
    after = read_tree(out)
    changed = {rel for rel in after if after[rel] != before.get(rel) and not rel.startswith(".tenantgen/")}
    assert changed and all("search" in rel for rel in changed), changed
    # payments changed too, but was not selected: its files are as they were.
    assert after["prod/prod-aws/prod-euw1/manifests/payments-tenant/tenant-payments.yaml"] == before[
        "prod/prod-aws/prod-euw1/manifests/payments-tenant/tenant-payments.yaml"]
    assert (cluster / "manifests" / "apps-nodepool").is_dir()  # unselected node pools are not pruned


def test_selection_by_tier(tree_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    summary = render(tree_copy, out, "--tier", "playground")
    assert "1 cluster(s)" in summary
    assert (out / "playground").is_dir() and not (out / "prod").exists()
    result = run_cli(["render", str(tree_copy), "-o", str(out), "--cluster", "nope"])
    assert result.exit_code == 2 and "matches no cluster" in result.stderr


@pytest.mark.parametrize(("selection", "message"), [
    (["--tenant", "nosuch"], "error: --tenant 'nosuch' matches no tenant of the tree"),
    (["--tenant", "search", "--tier", "playground"],
     "error: --tenant 'search' matches no tenant of the selected clusters"),
])
@pytest.mark.parametrize("check", [False, True], ids=["render", "check"])
def test_a_tenant_selection_that_matches_no_tenant_is_a_usage_error(
        selection: list[str], message: str, check: bool, tree_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli(["render", str(tree_copy), "-o", str(out), *selection, *(["--check"] if check else [])])
    assert (result.exit_code, result.stderr.strip(), result.stdout) == (2, message, "")
    assert not out.exists()


def test_invalid_tree_renders_nothing(tree_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    render(tree_copy, out)
    before = read_tree(out)
    pool = tree_copy / "prod" / "prod-aws" / "prod-euw1" / "tenants" / "search.yaml"
    pool.write_text(pool.read_text().replace("nodePool: ", "nodePool: missing-"))
    result = run_cli(["render", str(tree_copy), "-o", str(out)])
    assert result.exit_code == 1
    assert "tenants/search.yaml" in result.stdout and "does not exist" in result.stdout
    assert read_tree(out) == before


def test_output_inside_tree_is_refused(tree_copy: Path) -> None:
    result = run_cli(["render", str(tree_copy), "-o", str(tree_copy / "out")])
    assert result.exit_code == 2 and "must not contain each other" in result.stderr


@pytest.fixture()
def stand_in_helm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    helm = bin_dir / "helm"
    script = REPO_ROOT / "tests" / "support" / "fake_helm.py"
    helm.write_text(f"#!{sys.executable}\nimport runpy, sys\nsys.argv[0] = 'helm'\n"
                    f"runpy.run_path({str(script)!r}, run_name='__main__')\n")
    helm.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return helm


def test_helm_binary_engine_gives_the_same_output(example_out: Path, tmp_path: Path, stand_in_helm: Path,
                                                  upstream_crds: Path) -> None:
    out = tmp_path / "out"
    render(EXAMPLE_TREE, out, "--engine", "helm", *scoped_crds_args(upstream_crds))
    assert cluster_files(out) == cluster_files(example_out)


def test_helm_engine_without_binary_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    result = run_cli(["render", str(EXAMPLE_TREE), "-o", str(tmp_path / "out"), "--engine", "helm"])
    assert result.exit_code == 2 and "helm binary on PATH" in result.stderr


def test_an_output_path_that_is_a_file_is_a_usage_error(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.write_text("not a folder\n")
    result = run_cli(["render", str(EXAMPLE_TREE), "-o", str(target)])
    assert result.exit_code == 2
    assert "exists and is not a directory" in result.stderr + result.stdout
    assert target.read_text() == "not a folder\n"


def test_a_staged_file_that_is_not_written_does_not_move_in_with_its_folder(tmp_path: Path) -> None:
    from tenantgen.fast.early_staging import EarlyStaging
    from tenantgen.fast.out_record import Signatures
    from tenantgen.render.output_set import OutputFile
    from tenantgen.write import Owned, write_output

    out = tmp_path / "out"
    with EarlyStaging(out, Signatures(None)) as early:
        early.add([("c/kept.yaml", b"kept"), ("c/stale.yaml", b"staged while rendering, then dropped")])
        early.add([("c/changed.yaml", b"first bytes")])
        write_output(out, {"c/kept.yaml": OutputFile(b"kept", "c"), "c/changed.yaml": OutputFile(b"final", "c")},
                     Owned(), early=early)
    assert {path.name: path.read_bytes() for path in (out / "c").iterdir()} == {
        "kept.yaml": b"kept", "changed.yaml": b"final"}
    assert not list((out / ".tenantgen").glob("staging-*"))


@pytest.mark.parametrize("rel", ["c/x.yaml", "c/new/deeper/x.yaml"])
def test_a_symbolic_link_planted_in_out_is_not_written_through(tmp_path: Path, rel: str) -> None:
    from tenantgen.errors import TenantgenError
    from tenantgen.render.output_set import OutputFile
    from tenantgen.write import Owned, write_output

    out, outside = tmp_path / "out", tmp_path / "outside"
    out.mkdir()
    outside.mkdir()
    (out / "c").symlink_to(outside)
    with pytest.raises(TenantgenError, match="through a symbolic link"):
        write_output(out, {rel: OutputFile(b"payload", "c")}, Owned())
    assert list(outside.iterdir()) == []
    assert (out / "c").is_symlink()
    assert not list((out / ".tenantgen").glob("staging-*"))


def test_a_file_that_is_a_symbolic_link_is_not_written_through(tmp_path: Path) -> None:
    from tenantgen.errors import TenantgenError
    from tenantgen.render.output_set import OutputFile
    from tenantgen.write import Owned, write_output

    out, secret = tmp_path / "out", tmp_path / "secret.txt"
    secret.write_text("keep me\n")
    (out / "c" / "sub").mkdir(parents=True)
    (out / "c" / "sub" / "x.yaml").symlink_to(secret)
    with pytest.raises(TenantgenError, match="through a symbolic link"):
        write_output(out, {"c/sub/x.yaml": OutputFile(b"payload", "c"), "d/new.yaml": OutputFile(b"new", "d")},
                     Owned())
    assert secret.read_text() == "keep me\n"
    assert not (out / "d").exists()


@pytest.mark.parametrize("rel", ["../escape.yaml", "/abs.yaml", "c//x.yaml", "c/./x.yaml", "c/../../x.yaml", "c/"])
def test_a_path_that_is_not_plain_is_refused(tmp_path: Path, rel: str) -> None:
    from tenantgen.errors import TenantgenError
    from tenantgen.render.output_set import OutputFile
    from tenantgen.write import Owned, write_output

    out = tmp_path / "out"
    with pytest.raises(TenantgenError, match="not a plain path inside the output directory"):
        write_output(out, {rel: OutputFile(b"payload", "c"), "c/ok.yaml": OutputFile(b"ok", "c")}, Owned())
    assert not (out / "c").exists()
    assert not (tmp_path / "escape.yaml").exists()


def test_a_first_render_writes_into_folders_that_do_not_exist_yet(tmp_path: Path) -> None:
    from tenantgen.render.output_set import OutputFile
    from tenantgen.write import Owned, write_output

    out = tmp_path / "out"
    files = {"a/b/c/x.yaml": OutputFile(b"x", "a"), "a/b/y.yaml": OutputFile(b"y", "a"), "top.yaml": OutputFile(b"t", "")}
    write_output(out, files, Owned())
    assert {rel: (out / rel).read_bytes() for rel in files} == {rel: file.data for rel, file in files.items()}


def test_a_second_render_into_an_output_directory_being_written_is_refused(tree_copy: Path, tmp_path: Path) -> None:
    # Two renders at once would each remove the other's staging and commit over each other.
    import fcntl

    out = tmp_path / "out"
    render(tree_copy, out)
    (tree_copy / "prod" / "prod-aws" / "prod-euw1" / "tenants" / "payments.yaml").write_text(
        (tree_copy / "prod" / "prod-aws" / "prod-euw1" / "tenants" / "payments.yaml").read_text().replace(
            "quota: 10", "quota: 11"))
    before = read_tree(out)
    other = os.open(out, os.O_RDONLY)  # the lock a render in another process holds while it writes
    try:
        fcntl.flock(other, fcntl.LOCK_EX)
        result = run_cli(["render", str(tree_copy), "-o", str(out)])
        assert (result.exit_code, result.stderr) == (1, (
            f"error: another tenantgen render is writing into the output directory {out}; wait for it to end and "
            "render again (nothing was written)\n"))
        assert read_tree(out) == before
    finally:
        os.close(other)
    assert "2 file(s) written" in render(tree_copy, out)


def test_a_selection_prunes_only_within_what_it_selects(tree_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    render(tree_copy, out)
    cluster, other = "prod/prod-aws/prod-euw1", "prod/prod-aws/prod-euc1"
    stale = {name: out / name for name in (
        f"{cluster}/manifests/search-tenant/stale.yaml", f"{cluster}/manifests/payments-tenant/stale.yaml",
        f"{cluster}/values/stale.yaml", f"{other}/manifests/stale/x.yaml", "charts/stale/Chart.yaml")}
    for path in stale.values():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("stale\n")
    check = run_cli(["render", str(tree_copy), "-o", str(out), "--check", "--cluster", "prod-euw1", "--tenant", "search"])
    assert check.exit_code == 1
    assert [line for line in check.stdout.splitlines() if line.startswith("extra: ")] == [
        f"extra: {out.as_posix()}/{cluster}/manifests/search-tenant/stale.yaml"]
    render(tree_copy, out, "--cluster", "prod-euw1", "--tenant", "search")  # only search's release files
    assert {name for name, path in stale.items() if path.exists()} == set(stale) - {
        f"{cluster}/manifests/search-tenant/stale.yaml"}
    render(tree_copy, out, "--cluster", "prod-euw1")  # the whole cluster, not the others nor charts/
    assert {name for name, path in stale.items() if path.exists()} == {
        f"{other}/manifests/stale/x.yaml", "charts/stale/Chart.yaml"}
    render(tree_copy, out)
    assert not any(path.exists() for path in stale.values())
    assert not (out / "charts" / "stale").exists() and not (out / other / "manifests" / "stale").exists()
