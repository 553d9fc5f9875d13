"""Fast paths must not change what is written: render cache, parse cache, incremental render, workers.

The reference is a cold render in one worker without any cache (``--jobs 1 --no-cache``): every other
way of rendering the same tree must produce exactly its bytes.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tenantgen.fast.out_record import record_folder
from tenantgen.fast.render_cache import DB_NAME, TABLE, KeyMaker
from tenantgen.fast.reuse import MEMO_FILE
from tenantgen.render import RenderJob, WorkerConfig, values_digest, values_json
from tenantgen.render.workers.release import ReleaseRenderer
from tenantgen.write import STATE_DIR
from tenantgen.yamlio.reader import MAX_FILE_BYTES
from tests.helpers import EXAMPLE_TREE, REPO_ROOT, read_tree, run_cli

CLUSTER = Path("prod") / "prod-aws" / "prod-euw1"
RELEASES = 44  # in the example tree


def render(tree: Path, out: Path, *extra: str) -> str:
    result = run_cli(["render", str(tree), "-o", str(out), *extra])
    assert result.exit_code == 0, result.stdout + result.stderr
    return result.stdout


def rendered(summary: str) -> int:
    """How many releases the engine rendered (the rest came from the cache or were reused)."""
    found = re.search(r"\((\d+) rendered, (\d+) cached\)", summary)
    assert found, summary
    return int(found.group(1))


def output(out: Path) -> dict[str, bytes]:
    return {rel: data for rel, data in read_tree(out).items() if not rel.startswith(f"{STATE_DIR}/")}


def cache_dir() -> Path:
    return Path(os.environ["XDG_CACHE_HOME"]) / "tenantgen"


def record_of(out: Path) -> Path:
    """Where this machine keeps what it knows of ``out`` (never in OUT)."""
    return record_folder(cache_dir(), out)


def edit_payments(tree: Path) -> None:
    """A quota (tenant chart) and a reader (post-install chart) change; the Argo CD project does not."""
    path = tree / CLUSTER / "tenants" / "payments.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("quota: 10", "quota: 11").replace("readers: [payments-developers, sre]",
                                                          "readers: [payments-developers, sre, auditors]")
    path.write_text(text, encoding="utf-8")


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Counts of rendered releases depend on what the cache holds: each test starts with none.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The example tree rendered cold, in one worker, without any cache."""
    out = tmp_path_factory.mktemp("reference") / "out"
    render(EXAMPLE_TREE, out, "--jobs", "1", "--no-cache")
    return output(out)


@pytest.fixture(scope="module")
def edited_reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    tree = tmp_path_factory.mktemp("edited") / "tiers"
    shutil.copytree(EXAMPLE_TREE, tree)
    edit_payments(tree)
    out = tree.parent / "out"
    render(tree, out, "--jobs", "1", "--no-cache")
    return output(out)


@pytest.fixture(params=["inline", "process"])
def out_check(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Whether OUT is checked for intact clusters when asked, or a share of it in a process of its
    own while the tree is read (large outputs)."""
    if request.param == "process":
        monkeypatch.setattr("tenantgen.fast.reuse.PROCESS_MIN_FILES", 1)
        monkeypatch.setattr("tenantgen.fast.parse_cache.PREFETCH_MIN", 0)  # (a warm parse cache, however small)
    return str(request.param)


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    copy = tmp_path / "tiers"
    shutil.copytree(EXAMPLE_TREE, copy)
    return copy


def test_parallel_render_is_identical_to_a_single_cold_worker(tree: Path, tmp_path: Path,
                                                              reference: dict[str, bytes]) -> None:
    out = tmp_path / "out"
    assert rendered(render(tree, out, "--jobs", "2")) == RELEASES
    assert output(out) == reference


def test_cache_hits_give_identical_output(tree: Path, tmp_path: Path, reference: dict[str, bytes]) -> None:
    render(tree, tmp_path / "first")
    again = tmp_path / "second"  # a new OUT: nothing to reuse there, everything from the render cache
    assert rendered(render(tree, again)) == 0
    assert output(again) == reference


def test_a_corrupted_cache_entry_is_rendered_again(tree: Path, tmp_path: Path, reference: dict[str, bytes]) -> None:
    render(tree, tmp_path / "first")
    with sqlite3.connect(cache_dir() / DB_NAME) as db:
        (key,) = db.execute(f"SELECT key FROM {TABLE} LIMIT 1").fetchone()
        db.execute(f"UPDATE {TABLE} SET payload = ? WHERE key = ?", (b"\x00garbage", key))
    again = tmp_path / "second"
    assert rendered(render(tree, again)) == 1
    assert output(again) == reference


def test_a_corrupted_cache_database_is_ignored_and_replaced(tree: Path, tmp_path: Path,
                                                            reference: dict[str, bytes]) -> None:
    render(tree, tmp_path / "first")
    database = cache_dir() / DB_NAME
    for leftover in database.parent.glob(f"{DB_NAME}-*"):  # WAL files of the first run
        leftover.unlink()
    database.write_bytes(b"this is not a database" * 100)
    again = tmp_path / "second"
    assert rendered(render(tree, again)) == RELEASES
    assert output(again) == reference
    assert rendered(render(tree, tmp_path / "third")) == 0  # a working cache again


@pytest.mark.parametrize("blocked", ["tenantgen", "tenantgen/parse"])
def test_a_file_where_a_cache_folder_belongs_means_no_cache(blocked: str, tree: Path, tmp_path: Path,
                                                           reference: dict[str, bytes]) -> None:
    # As with a read-only cache folder: the run goes on without the cache, quietly, and never touches the file.
    blocker = cache_dir().parent / blocked
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("not a folder")
    for out in (tmp_path / "first", tmp_path / "second"):
        result = run_cli(["render", str(tree), "-o", str(out)])
        assert (result.exit_code, result.stderr) == (0, ""), result.stdout + result.stderr
        assert output(out) == reference
    assert run_cli(["render", str(tree), "-o", str(tmp_path / "second"), "--check"]).exit_code == 0
    assert run_cli(["validate", str(tree)]).exit_code == 0
    assert blocker.read_text() == "not a folder"


def test_the_render_cache_drops_generations_no_run_used_for_two_weeks(
        tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tenantgen.fast import render_cache as cache

    day = cache._today()
    render(tree, tmp_path / "a")  # generation 1 (validated output)
    render(tree, tmp_path / "b", "--no-validate-output")  # generation 2: another cache key for every release
    database = cache_dir() / DB_NAME

    def generations() -> int:
        with sqlite3.connect(database) as db:
            return int(db.execute(f"SELECT COUNT(DISTINCT generation) FROM {TABLE}").fetchone()[0])

    assert generations() == 2
    monkeypatch.setattr(cache, "_today", lambda: day + 10)  # both used within two weeks: both kept
    assert rendered(render(tree, tmp_path / "c", "--no-validate-output")) == 0
    monkeypatch.setattr(cache, "_today", lambda: day + 15)  # generation 1 unused for 15 days
    assert rendered(render(tree, tmp_path / "d", "--no-validate-output")) == 0
    assert generations() == 1
    with sqlite3.connect(database) as db:
        assert db.execute("PRAGMA freelist_count").fetchone()[0] == 0  # the space went back
    assert rendered(render(tree, tmp_path / "e")) == RELEASES  # its entries are gone


def test_an_earlier_render_cache_file_is_removed(tree: Path, tmp_path: Path) -> None:
    cache_dir().mkdir(parents=True)
    legacy = cache_dir() / "renders.sqlite3"
    legacy.write_bytes(b"an earlier format")
    render(tree, tmp_path / "out")
    assert not legacy.exists() and (cache_dir() / DB_NAME).is_file()


@pytest.mark.parametrize(("size", "taken"), [(100, 100), (100, 60), (100, 150), (0, 0), (MAX_FILE_BYTES, 10),
                                             (MAX_FILE_BYTES + 5, 10), (MAX_FILE_BYTES + 5, MAX_FILE_BYTES + 5)])
def test_the_scan_reads_a_file_whole_up_to_the_limit_whatever_size_it_was_taken_with(
        tmp_path: Path, size: int, taken: int) -> None:
    """``taken``: the size seen before the file was read (it may have grown or shrunk since)."""
    from tenantgen.fast.reuse import _read_up_to_limit

    data = bytes(index % 251 for index in range(size))
    path = tmp_path / "file.yaml"
    path.write_bytes(data)
    handle = os.open(path, os.O_RDONLY)
    try:
        raw = _read_up_to_limit(handle, taken)
    finally:
        os.close(handle)
    assert raw == data[:MAX_FILE_BYTES + 1]  # one byte over the limit says "too large"


def test_cache_key_covers_chart_values_and_release() -> None:
    maker = KeyMaker({"engine": "helm-python-sdk 0.2.2", "validate": True, "crds": ""})

    def digest(values: dict[str, Any]) -> str:
        return values_digest(values_json(values))

    values = digest({"tenant": {"name": "a", "namespaces": {"quota": 5}}})
    key = maker.key("a-tenant", "tenantgen-system", "v1.31.0", "chart-digest", values)
    assert key == maker.key("a-tenant", "tenantgen-system", "v1.31.0", "chart-digest",
                            digest({"tenant": {"name": "a", "namespaces": {"quota": 5}}}))
    changed = [
        maker.key("a-tenant", "tenantgen-system", "v1.31.0", "other-chart-digest", values),
        maker.key("a-tenant", "tenantgen-system", "v1.31.0", "chart-digest", digest({"tenant": {"name": "a", "namespaces": {
            "quota": 6}}})),
        maker.key("a-tenant", "tenantgen-system", "v1.31.0", "chart-digest", digest({"tenant": {"namespaces": {
            "quota": 5}, "name": "a"}})),  # the values file keeps their order
        maker.key("b-tenant", "tenantgen-system", "v1.31.0", "chart-digest", values),
        maker.key("a-tenant", "other", "v1.31.0", "chart-digest", values),
        maker.key("a-tenant", "tenantgen-system", "v1.32.0", "chart-digest", values),
        KeyMaker({"engine": "helm v4", "validate": True, "crds": ""}).key(
            "a-tenant", "tenantgen-system", "v1.31.0", "chart-digest", values),
        KeyMaker({"engine": "helm-python-sdk 0.2.2", "validate": False, "crds": ""}).key(
            "a-tenant", "tenantgen-system", "v1.31.0", "chart-digest", values),
    ]
    assert key not in changed and len(set(changed)) == len(changed)


def test_a_worker_sends_the_digest_of_the_values_it_rendered() -> None:
    """The parent keys a fresh render by the digest its worker sends, a cached one by the digest it
    makes itself: the two must agree, or a warm cache would never be found."""
    chart = REPO_ROOT / "charts" / "tenant"
    values = YAML(typ="safe").load((chart / "ci" / "tenant-full-values.yaml").read_text(encoding="utf-8"))
    job = RenderJob("a-tenant", "tenantgen-system", str(chart), values, "v1.31.0")
    output = ReleaseRenderer(WorkerConfig("embedded", "helm", (), False))(job)
    assert not output.error and output.values_digest == values_digest(values_json(job.values))


def test_a_changed_chart_renders_its_releases_again(tree: Path, tmp_path: Path) -> None:
    charts = tmp_path / "charts"
    shutil.copytree(Path(__file__).resolve().parent.parent / "charts" / "tenant-post-install", charts / "post")
    chart_yaml = charts / "post" / "Chart.yaml"
    chart_yaml.write_text(re.sub(r"(?m)^version: .*$", "version: 9.9.9", chart_yaml.read_text()))
    tier = tree / "prod" / "tier.yaml"
    tier.write_text(tier.read_text().replace("  policyEngine: gatekeeper",
                                             "  charts:\n    tenant-post-install: 9.9.9\n  policyEngine: gatekeeper"))
    out = tmp_path / "out"
    render(tree, out, "--charts", str(charts))
    assert rendered(render(tree, out, "--charts", str(charts))) == 0
    helpers = charts / "post" / "templates" / "_helpers.tpl"
    helpers.write_text(helpers.read_text() + "\n{{/* a change to the chart */}}\n")
    # Only the prod tier pins the changed chart: its post-install releases (8) are rendered again.
    assert rendered(render(tree, out, "--charts", str(charts))) == 8


def test_one_changed_tenant_renders_only_its_releases(tree: Path, tmp_path: Path, out_check: str,
                                                      edited_reference: dict[str, bytes]) -> None:
    out = tmp_path / "out"
    render(tree, out)
    mtimes = {path: path.stat().st_mtime_ns for path in out.rglob("*") if path.is_file()}
    records = {path: path.read_bytes() for path in record_of(out).iterdir()}
    edit_payments(tree)
    summary = render(tree, out)
    assert rendered(summary) == 2, summary  # payments-tenant and payments-post-install
    assert f"{RELEASES} release(s)" in summary
    assert output(out) == edited_reference
    changed = {path.relative_to(out).as_posix() for path, mtime in mtimes.items()
               if path.exists() and path.stat().st_mtime_ns != mtime}
    base = CLUSTER.as_posix()
    assert changed == {  # and nothing of tenantgen's own in OUT: what makes it fast is in the user cache
        f"{base}/values/payments-tenant.yaml", f"{base}/values/payments-post-install.yaml",
        f"{base}/manifests/payments-tenant/tenant-payments.yaml",
        f"{base}/manifests/payments-post-install/rolebinding-payments-readers.yaml",
    }
    assert not [path for path in out.rglob("*") if path.is_file() and STATE_DIR in path.parts]
    # The record of that one cluster changed (its files' signatures), and the cluster records.
    rewritten = {path.name for path in record_of(out).iterdir() if records.get(path) != path.read_bytes()}
    assert MEMO_FILE in rewritten and len(rewritten) == 2, rewritten
    assert rendered(render(tree, out)) == 0


def test_unchanged_clusters_are_reused_and_keep_their_files(tree: Path, tmp_path: Path, out_check: str,
                                                            reference: dict[str, bytes]) -> None:
    out = tmp_path / "out"
    render(tree, out)
    mtimes = {path: path.stat().st_mtime_ns for path in out.rglob("*") if path.is_file()}
    shutil.rmtree(cache_dir() / DB_NAME, ignore_errors=True)
    (cache_dir() / DB_NAME).unlink(missing_ok=True)  # nothing to render from: only reuse renders nothing
    summary = render(tree, out)
    assert rendered(summary) == 0 and "0 file(s) written" in summary
    assert f"4 cluster(s), 10 tenant(s), {RELEASES} release(s)" in summary  # counts of reused clusters too
    assert {path: path.stat().st_mtime_ns for path in out.rglob("*") if path.is_file()} == mtimes
    assert output(out) == reference


def test_a_hand_edited_output_file_is_restored(tree: Path, tmp_path: Path, out_check: str,
                                              reference: dict[str, bytes]) -> None:
    out = tmp_path / "out"
    render(tree, out)
    edited = out / CLUSTER / "manifests" / "payments-tenant" / "tenant-payments.yaml"
    edited.write_text("kind: Tampered\n")
    removed = out / CLUSTER / "values" / "search-tenant.yaml"
    removed.unlink()
    summary = render(tree, out)
    assert "2 file(s) written" in summary and rendered(summary) == 0, summary  # from the render cache
    assert output(out) == reference


def test_a_corrupted_signature_record_is_not_believed(tree: Path, tmp_path: Path, out_check: str,
                                                       reference: dict[str, bytes]) -> None:
    out = tmp_path / "out"
    render(tree, out)
    for path in record_of(out).iterdir():
        if path.name != MEMO_FILE:
            path.write_bytes(path.read_bytes()[:-3] + b"???")
    (out / "stray.yaml").write_text("mine\n")
    summary = render(tree, out)
    assert "0 file(s) written" in summary  # nothing reused, every file compared by its bytes
    assert output(out) == {**reference, "stray.yaml": b"mine\n"}
    assert rendered(render(tree, out)) == 0


def test_an_unreadable_cluster_record_means_a_full_render(tree: Path, tmp_path: Path,
                                                          reference: dict[str, bytes]) -> None:
    out = tmp_path / "out"
    render(tree, out)
    (record_of(out) / MEMO_FILE).write_bytes(b"{not a record")
    render(tree, out)
    assert output(out) == reference
    shutil.rmtree(record_of(out))  # without any record nothing can be reused, and every file is read
    summary = render(tree, out)
    unchanged = re.search(r"0 file\(s\) written, (\d+) unchanged", summary)
    assert unchanged and int(unchanged.group(1)) == len(reference), summary
    assert output(out) == reference
    assert rendered(render(tree, out)) == 0  # recorded again


def test_parse_cache_follows_file_changes(tree: Path) -> None:
    result = run_cli(["validate", str(tree)])
    assert result.exit_code == 0, result.stdout
    assert result.stdout == run_cli(["validate", str(tree)]).stdout  # from the cache: the same answer
    tenant = tree / CLUSTER / "tenants" / "search.yaml"
    tenant.write_text(tenant.read_text().replace("quota: 8", "quota: eight"))
    result = run_cli(["validate", str(tree)])
    assert result.exit_code == 1
    assert "search.yaml" in result.stdout and "quota" in result.stdout
    tenant.write_text(tenant.read_text().replace("quota: eight", "quota: 8"))
    assert run_cli(["validate", str(tree)]).exit_code == 0


def test_a_corrupted_parse_cache_is_ignored(tree: Path) -> None:
    assert run_cli(["validate", str(tree)]).exit_code == 0
    caches = list((cache_dir() / "parse").glob("*.bin"))
    assert caches
    for path in caches:
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2] + b"\xff" * 64)
    tenant = tree / CLUSTER / "tenants" / "search.yaml"
    tenant.write_text(tenant.read_text().replace("quota: 8", "quota: 800"))
    result = run_cli(["validate", str(tree)])
    assert result.exit_code == 1 and "quota" in result.stdout


def test_validate_without_cache_writes_none(tree: Path) -> None:
    assert run_cli(["validate", str(tree), "--no-cache"]).exit_code == 0
    assert not (cache_dir() / "parse").exists()


def test_a_file_changed_without_a_new_size_is_noticed(tree: Path, tmp_path: Path,
                                                      edited_reference: dict[str, bytes]) -> None:
    out = tmp_path / "out"
    render(tree, out)
    path = tree / CLUSTER / "tenants" / "payments.yaml"
    old_stat = path.stat()
    os.utime(path, ns=(old_stat.st_atime_ns - 10**10, old_stat.st_mtime_ns - 10**10))  # old enough to be trusted
    render(tree, out)  # records the file's signature
    edit_payments(tree)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("sre, auditors", "auditor"), encoding="utf-8")  # another size, then
    path.write_text(text, encoding="utf-8")  # the edited text again, within the same second
    summary = render(tree, out)
    assert rendered(summary) == 2, summary
    assert output(out) == edited_reference


def test_a_tenant_selection_does_not_leave_a_stale_cluster_record(tree: Path, tmp_path: Path,
                                                                  edited_reference: dict[str, bytes]) -> None:
    out = tmp_path / "out"
    render(tree, out)
    edit_payments(tree)
    # Only another tenant's releases are written: payments' files in OUT are now stale ...
    render(tree, out, "--tenant", "search")
    # ... and the next full render must notice, although the tree did not change since.
    summary = render(tree, out)
    assert rendered(summary) == 2, summary  # payments' two changed releases, not selected before
    assert output(out) == edited_reference


def test_the_state_older_versions_kept_in_out_goes(tree: Path, tmp_path: Path, reference: dict[str, bytes]) -> None:
    import json

    out = tmp_path / "out"
    render(tree, out)
    state = out / STATE_DIR
    (state / "index").mkdir(parents=True)
    (state / "index" / "0123abcd.json").write_text(json.dumps({"cluster": "", "files": {}}))
    (state / "index.json").write_text(json.dumps({"version": 2, "shards": {"": "0123abcd.json"}}))
    (state / "clusters.json").write_text("{}")
    (out / "stray.yaml").write_text("mine\n")
    render(tree, out)
    assert output(out) == {**reference, "stray.yaml": b"mine\n"}  # never tenantgen's: never touched
    assert list(state.iterdir()) == []


def test_files_offered_while_scanning_are_parsed_by_helpers(tmp_path: Path) -> None:
    from tenantgen.fast.helpers import HelperPool
    from tenantgen.fast.parse_cache import PREFETCH_MIN, ParseCache, digest_of
    from tenantgen.yamlio.reader import YamlProblem, load_all

    raws = [f"kind: Tenant\nmetadata:\n  name: t{number}\nspec:\n  quota: {number}\n".encode()
            for number in range(PREFETCH_MIN + 300)]
    raws.append(b"a: [unclosed\n")  # left to the sequential path, which reports it
    cache = ParseCache(None, tmp_path)
    with HelperPool(2) as pool:
        for raw in raws[:PREFETCH_MIN - 1]:
            cache.offer(digest_of(raw), raw, pool)
        assert pool._executor is None  # too few so far to start helpers for
        for raw in raws[PREFETCH_MIN - 1:]:
            cache.offer(digest_of(raw), raw, pool)
        cache.send_rest(pool)
        assert pool._executor is not None
        calls: list[bool] = []
        cache.when_parsed(lambda: calls.append(all(task.done() for task in cache._tasks)))
        # A file's result is there as soon as it is asked for, before the others are waited for.
        assert cache.parse(raws[PREFETCH_MIN + 100]) == load_all(raws[PREFETCH_MIN + 100])
        cache.settle()
    # Told once that the helpers were done, when they were (the render workers start then).
    assert calls == [True]
    # Parsed by the helpers: known before anything here parsed them; the broken one is not.
    assert all(cache.known(digest_of(raw)) for raw in raws[:-1]) and not cache.known(digest_of(raws[-1]))
    for raw in raws[:-1]:
        assert cache.parse(raw) == load_all(raw)
    with pytest.raises(YamlProblem):
        cache.parse(raws[-1])


def test_a_small_tree_starts_no_helpers(tmp_path: Path) -> None:
    from tenantgen.fast.helpers import HelperPool
    from tenantgen.fast.parse_cache import ParseCache, digest_of

    cache = ParseCache(None, tmp_path)
    with HelperPool(2) as pool:
        for number in range(50):
            raw = f"a: {number}\n".encode()
            cache.offer(digest_of(raw), raw, pool)
        cache.send_rest(pool)
        assert pool._executor is None


def test_render_leaves_a_parse_cache_whether_it_renders_or_reports_findings(tree: Path, tmp_path: Path) -> None:
    from tenantgen.fast.parse_cache import ParseCache, digest_of

    unchanged = (tree / CLUSTER / "tenants" / "payments.yaml").read_bytes()
    render(tree, tmp_path / "out")
    [saved] = list((cache_dir() / "parse").glob("*.bin"))
    assert ParseCache(cache_dir(), tree).known(digest_of(unchanged))
    saved.unlink()
    tenant = tree / CLUSTER / "tenants" / "search.yaml"
    tenant.write_text(tenant.read_text().replace("quota: 8", "quota: eight"))
    result = run_cli(["render", str(tree), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1 and "quota" in result.stdout
    assert ParseCache(cache_dir(), tree).known(digest_of(unchanged))  # saved although nothing rendered


def test_a_run_cut_short_after_its_commit_leaves_no_stale_cluster_record(
        tree: Path, tmp_path: Path, reference: dict[str, bytes], monkeypatch: pytest.MonkeyPatch) -> None:
    # A Ctrl-C held through the commit is delivered after it, before the run records what its
    # clusters were rendered from: the record of the old inputs must not survive, or undoing the
    # edit would make the next run reuse the edited output.
    from tenantgen.pipeline import output as render_pipeline

    out = tmp_path / "out"
    render(tree, out)
    original = (tree / CLUSTER / "tenants" / "payments.yaml").read_bytes()
    edit_payments(tree)

    def interrupted(out: Path, result: object) -> None:
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(render_pipeline, "record_clusters", interrupted)
        result = run_cli(["render", str(tree), "-o", str(out)])
    assert result.exit_code == 130
    (tree / CLUSTER / "tenants" / "payments.yaml").write_bytes(original)
    render(tree, out)
    assert output(out) == reference


def test_an_edit_to_a_file_the_helmfile_template_includes_is_rendered(tree: Path, tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(REPO_ROOT / "templates", templates)
    helmfile = templates / "helmfile.yaml.j2"
    helmfile.write_text('{% include "header.j2" %}\n' + helmfile.read_text(encoding="utf-8"), encoding="utf-8")
    (templates / "header.j2").write_text("# header v1", encoding="utf-8")
    out = tmp_path / "out"
    render(tree, out, "--templates", str(templates))
    (templates / "header.j2").write_text("# header v2", encoding="utf-8")
    render(tree, out, "--templates", str(templates))
    assert (out / CLUSTER / "helmfile.yaml").read_text(encoding="utf-8").startswith("# header v2")
