"""Engine failures: a template error, a failing `required`, an engine that crashes or hangs.

Broken copies of the tenant chart are offered with ``--charts DIR`` and pinned by the tier; they break
for tenant ``alpha`` only, so every run also proves that the other releases still render. Each failure
must name the chart, the tenant, the release and its source file (and the template and line where Helm
knows them), end the run with exit 1 and no traceback, and leave OUT as the good render left it. A crash
of the native engine or a hang must not take tenantgen down: the worker is isolated, reported and
replaced, and no worker or temporary file outlives the run.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tenantgen.render import RenderJob, WorkerConfig, WorkerPool
from tenantgen.render.workers.pool import BATCH
from tenantgen.render.workers.process import RESULTS_PER_MESSAGE
from tests.helpers import (
    REPO_ROOT,
    CliResult,
    read_tree,
    render_good_copy,
    run_cli_process,
    tenant_chart_variant,
)
from tests.support.isolation import marked_env, marked_processes

BASE = REPO_ROOT / "tests" / "bad_trees" / "_base"
ALPHA_SOURCE = "tree/dev/dev-aws/dev-euw1/tenants/alpha.yaml"
ONLY_ALPHA = '{{- if eq .Values.tenant.name "alpha" }}\n'

# version suffix -> the template added to the tenant chart (rendered for tenant alpha only)
BROKEN = {
    "template-error": ONLY_ALPHA + "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: broken\ndata:\n"
                                   "  x: {{ .Values.tenant.nope.deeper | quote }}\n{{- end }}\n",
    "required": ONLY_ALPHA + "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: broken\ndata:\n"
                             '  x: {{ required "tenant.mustHave is required" .Values.tenant.mustHave | quote }}\n'
                             "{{- end }}\n",
    # Go's strings.Repeat asks for 100 GB at once: "fatal error: runtime: out of memory", SIGABRT, no exception.
    "crash": ONLY_ALPHA + '{{ repeat 100000000000 "x" }}\n{{- end }}\n',
    # Ten billion empty iterations: the render never returns on its own.
    "hang": ONLY_ALPHA + "{{- range until 100000 }}{{- range until 100000 }}{{- end }}{{- end }}\n{{- end }}\n",
}


@pytest.fixture(scope="module")
def broken_charts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("charts")
    for kind, template in BROKEN.items():
        tenant_chart_variant(folder, kind, {"broken.yaml": template})
    return folder


@pytest.fixture(scope="module")
def good_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render_good_copy(tmp_path_factory.mktemp("good"), BASE)


def render_broken(kind: str, tmp_path: Path, good_out: Path, charts: Path, monkeypatch: pytest.MonkeyPatch,
                  *extra: str) -> CliResult:
    shutil.copytree(BASE, tmp_path / "tree")
    tier = tmp_path / "tree" / "dev" / "tier.yaml"
    tier.write_text(tier.read_text().replace("spec:\n", f"spec:\n  charts:\n    tenant: 0.1.0-{kind}\n", 1))
    shutil.copytree(good_out, tmp_path / "out")
    before = read_tree(tmp_path / "out")
    (tmp_path / "beside").mkdir()
    marker, private_tmp = marked_env(monkeypatch, tmp_path)
    result = run_cli_process(["render", "tree", "-o", "out", "--charts", str(charts), "--no-cache", *extra],
                             tmp_path, timeout=120)
    shown = result.stdout + result.stderr
    assert result.exit_code == 1, shown
    assert "Traceback" not in shown and "internal error" not in shown, shown
    assert "render failed; the output directory was not changed" in result.stdout
    assert read_tree(tmp_path / "out") == before
    assert not list((tmp_path / "beside").iterdir())
    assert not list(private_tmp.iterdir()), "temporary files left behind"
    assert marked_processes(marker) == [], "render workers outlived the run"
    # Only alpha's tenant release failed: the others rendered, and are not reported.
    assert "1 release problem(s)" in result.stdout, shown
    assert "beta-tenant" not in result.stdout and "alpha-post-install" not in result.stdout
    return result


def failure_line(result: CliResult) -> str:
    [line] = [line for line in result.stdout.splitlines() if "release alpha-tenant" in line]
    return line


def test_template_error_names_chart_template_line_tenant_and_source(
        tmp_path: Path, good_out: Path, broken_charts: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = render_broken("template-error", tmp_path, good_out, broken_charts, monkeypatch)
    line = failure_line(result)
    assert line.startswith("dev/dev-aws/dev-euw1: tenant alpha, release alpha-tenant (chart tenant "
                           f"0.1.0-template-error, from {ALPHA_SOURCE}): ")
    assert "tenant/templates/broken.yaml:7:" in line
    assert "nil pointer evaluating interface {}.deeper" in result.stdout


def test_failing_required_names_chart_template_line_and_tenant(
        tmp_path: Path, good_out: Path, broken_charts: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = render_broken("required", tmp_path, good_out, broken_charts, monkeypatch)
    assert failure_line(result) == (
        "dev/dev-aws/dev-euw1: tenant alpha, release alpha-tenant (chart tenant 0.1.0-required, from "
        f"{ALPHA_SOURCE}): execution error at (tenant/templates/broken.yaml:7:8): tenant.mustHave is required")


def test_engine_crash_is_isolated_and_reported(
        tmp_path: Path, good_out: Path, broken_charts: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = render_broken("crash", tmp_path, good_out, broken_charts, monkeypatch)
    assert failure_line(result) == (
        "dev/dev-aws/dev-euw1: tenant alpha, release alpha-tenant (chart tenant 0.1.0-crash, from "
        f"{ALPHA_SOURCE}): the Helm engine crashed (killed by signal SIGABRT: fatal error: runtime: out of memory) "
        "while rendering release 'alpha-tenant'")
    # The Go runtime's dump (hundreds of goroutine lines) stays in the worker's log, not on the terminal.
    assert "goroutine" not in result.stderr and "runtime stack" not in result.stderr
    assert result.stderr.strip() == ""


def test_engine_hang_ends_at_the_timeout(
        tmp_path: Path, good_out: Path, broken_charts: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = render_broken("hang", tmp_path, good_out, broken_charts, monkeypatch, "--timeout", "2")
    assert failure_line(result) == (
        "dev/dev-aws/dev-euw1: tenant alpha, release alpha-tenant (chart tenant 0.1.0-hang, from "
        f"{ALPHA_SOURCE}): rendering release 'alpha-tenant' did not finish within 2 s; the engine was stopped")


# A chart whose release "<name>" renders a ConfigMap, and breaks (as BROKEN does) for the one named bad.
POOL_CHART = {
    "Chart.yaml": "apiVersion: v2\nname: pooled\nversion: 0.1.0\n",
    "templates/configmap.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n"
                                "{{- if eq .Release.Name \"bad\" }}\n{{ BREAK }}\n{{- end }}\n",
}


@pytest.mark.parametrize(("kind", "break_with", "message"), [
    ("crash", '{{ repeat 100000000000 "x" }}', "the Helm engine crashed"),
    ("hang", "{{- range until 100000 }}{{- range until 100000 }}{{- end }}{{- end }}", "did not finish within 3 s"),
])
def test_pool_names_the_release_that_broke_its_worker_mid_batch(kind: str, break_with: str, message: str,
                                                                 tmp_path: Path) -> None:
    """Results come back a few at a time: the release that killed (or hung) the worker is still the one
    named, though several before it were rendered and not yet sent; they and the rest render anyway."""
    chart = tmp_path / "pooled"
    for rel, text in POOL_CHART.items():
        (chart / rel).parent.mkdir(parents=True, exist_ok=True)
        (chart / rel).write_text(text.replace("{{ BREAK }}", break_with))
    # Enough jobs for full batches: "bad" is in the middle of the first one, after a full message.
    names = [f"r{number}" for number in range(RESULTS_PER_MESSAGE + 2)] + ["bad"] + [f"s{n}" for n in range(3 * BATCH)]
    jobs = [RenderJob(name, "default", str(chart), {}, "v1.31.0") for name in names]
    with WorkerPool(WorkerConfig("embedded", "helm", (), False), 1, timeout=3) as pool:
        outputs = pool.run(jobs)
    assert len(outputs) == len(names)
    for name, output in zip(names, outputs, strict=True):
        if name == "bad":
            assert message in output.error and "release 'bad'" in output.error, output.error
        else:
            assert output.error == "", f"{name}: {output.error}"
            assert dict(output.files) == {f"configmap-{name}.yaml": dict(output.files)[f"configmap-{name}.yaml"]}


def test_workers_let_go_exit_on_their_own_and_a_later_run_starts_new_ones(tmp_path: Path) -> None:
    chart = tmp_path / "pooled"
    for rel, text in POOL_CHART.items():
        (chart / rel).parent.mkdir(parents=True, exist_ok=True)
        (chart / rel).write_text(text.replace("{{ BREAK }}", ""))
    jobs = [RenderJob(f"r{number}", "default", str(chart), {}, "v1.31.0") for number in range(50)]
    with WorkerPool(WorkerConfig("embedded", "helm", (), False), 2) as pool:
        assert [output.error for output in pool.run(jobs)] == [""] * 50
        first = [worker.process for worker in pool._workers]
        assert len(first) == 2
        pool.let_go()
        for process in first:
            process.join(30)  # they stop without close() having to tell them
            assert process.exitcode == 0
        again = pool.run(jobs[:30])
        assert [output.error for output in again] == [""] * 30
        assert not set(worker.process for worker in pool._workers) & set(first)
    assert not any(process.is_alive() for process in first)
