"""Delivery: what Flux and Argo CD apply from OUT (``flux/``, ``argocd/``), checked against the CRDs,
the helmfile's needs, the repository OUT is committed to, and what the engine renders."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tenantgen.render import ManifestValidator, RenderJob
from tenantgen.render.engine.create import create_engine
from tenantgen.render.engine.objects import split_objects
from tenantgen.yamlio.reader import load_all
from tests.helpers import EXAMPLE_TREE, read_tree, run_cli
from tests.support.upstream_crds import scoped_crds_args
from tests.trees import CLUSTER, CLUSTER_YAML, TIER, TIER_YAML, build_tree, lines, pos, shown

REPO_PATH = "clusters/out"  # the example tree's delivery.path
PROD_EUW1 = "prod/prod-aws/prod-euw1"  # flux: helmrelease (the prod tier's)
PROD_EUC1 = "prod/prod-aws/prod-euc1"  # flux: manifests (its own)
PLAY_EUW1 = "playground/sandbox-aws/play-euw1"  # argocd: true, helmfile: false
FLUX_CRDS = "flux"
ARGOCD_CRDS = "argo-cd"


def objects_of(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in load_all(path.read_bytes()) if doc is not None]


def folder_objects(folder: Path) -> dict[str, dict[str, Any]]:
    """Every object of a cluster's flux/ or argocd/ by file name (kustomization.yaml left out)."""
    found = {}
    for path in sorted(folder.glob("*.yaml")):
        if path.name != "kustomization.yaml":
            (found[path.name],) = objects_of(path)
    return found


def helmfile_needs(cluster: Path) -> dict[str, list[str]]:
    (helmfile,) = objects_of(cluster / "helmfile.yaml")
    return {release["name"]: [need.split("/", 1)[1] for need in release.get("needs", [])]
            for release in helmfile["releases"]}


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory, upstream_crds: Path) -> Path:
    """A checkout of the GitOps repository: the example tree rendered into its ``clusters/out``, with
    the Flux and Argo CD CRDs given, so that every object of flux/ and argocd/ is checked on render.
    The prod tier also turns Argo CD on, so its clusters have helmfile.yaml, flux/ and argocd/ together."""
    base = tmp_path_factory.mktemp("delivery")
    tree = base / "tiers"
    shutil.copytree(EXAMPLE_TREE, tree)
    tier = tree / "prod" / "tier.yaml"
    tier.write_text(tier.read_text().replace("    flux: helmrelease\n", "    flux: helmrelease\n    argocd: true\n"))
    checkout = base / "repo"
    result = run_cli(["render", str(tree), "-o", str(checkout / REPO_PATH), *scoped_crds_args(upstream_crds)])
    assert result.exit_code == 0, result.stdout + result.stderr
    return checkout


def out_of(repo: Path) -> Path:
    return repo / REPO_PATH


def in_repo(repo: Path, path: str) -> Path:
    """A path a Flux or Argo CD object names (relative to the repository's root) in the checkout."""
    assert not path.startswith("/") and ".." not in path.split("/"), path
    return repo / path.removeprefix("./")


def test_every_flavour_renders_in_the_example_tree(repo: Path) -> None:
    out = out_of(repo)
    euw1 = folder_objects(out / PROD_EUW1 / "flux")
    assert sorted({obj["kind"] for obj in euw1.values()}) == ["GitRepository", "HelmRelease", "Kustomization"]
    euc1 = folder_objects(out / PROD_EUC1 / "flux")
    assert sorted({obj["kind"] for obj in euc1.values()}) == ["GitRepository", "Kustomization"]
    play = folder_objects(out / PLAY_EUW1 / "argocd")
    assert {obj["kind"] for obj in play.values()} == {"Application"}
    assert not (out / PLAY_EUW1 / "flux").exists()
    assert not (out / PLAY_EUW1 / "helmfile.yaml").exists()  # helmfile: false
    assert (out / PROD_EUW1 / "helmfile.yaml").is_file()


@pytest.mark.parametrize(("cluster", "folder", "crds"), [
    (PROD_EUW1, "flux", FLUX_CRDS), (PROD_EUC1, "flux", FLUX_CRDS),
    (PROD_EUW1, "argocd", ARGOCD_CRDS), (PLAY_EUW1, "argocd", ARGOCD_CRDS),
])
def test_objects_validate_against_the_upstream_crds(repo: Path, upstream_crds: Path, cluster: str, folder: str,
                                                    crds: str) -> None:
    validator = ManifestValidator.create([upstream_crds / crds], "1.31.0")
    objects = folder_objects(out_of(repo) / cluster / folder)
    assert objects
    for name, obj in objects.items():
        assert validator.has_schema(obj), name
        assert validator.check(obj) == [], name
    broken = dict(next(iter(objects.values())))
    broken["spec"] = {**broken["spec"], "unknownField": 1}
    assert validator.check(broken) != []  # (the check can fail)


def test_flux_objects_stay_in_one_namespace_with_a_service_account(repo: Path) -> None:
    for cluster in (PROD_EUW1, PROD_EUC1):
        objects = folder_objects(out_of(repo) / cluster / "flux")
        assert {obj["metadata"]["namespace"] for obj in objects.values()} == {"flux-system"}
        for obj in objects.values():
            if obj["kind"] != "GitRepository":
                assert obj["spec"]["serviceAccountName"] == "kustomize-controller"
                refs = [obj["spec"].get("sourceRef") or obj["spec"]["chart"]["spec"]["sourceRef"]]
                assert refs == [{"kind": "GitRepository", "name": "tenantgen"}]  # no namespace: no cross-namespace ref
        source = objects["source.yaml"]
        assert source["spec"]["url"] == "https://git.example.com/platform/gitops.git"
        assert source["spec"]["ref"] == {"branch": "main"}
        sync = objects["sync.yaml"]
        assert sync["spec"]["prune"] is True
        assert sync["spec"]["path"] == f"./{REPO_PATH}/{cluster}/flux"
        (listing,) = objects_of(out_of(repo) / cluster / "flux" / "kustomization.yaml")
        assert listing["resources"] == sorted(objects)


def test_depends_on_and_sync_waves_equal_helmfile_needs(repo: Path) -> None:
    for cluster, flavour in ((PROD_EUW1, "HelmRelease"), (PROD_EUC1, "Kustomization")):
        needs = helmfile_needs(out_of(repo) / cluster)
        flux = folder_objects(out_of(repo) / cluster / "flux")
        by_release = {obj["metadata"]["name"]: obj for obj in flux.values()
                      if obj["metadata"]["name"] in needs}
        assert sorted(by_release) == sorted(needs)
        assert {obj["kind"] for obj in by_release.values()} == {flavour}
        roots = [name for name in needs if not needs[name]]
        assert roots and (out_of(repo) / cluster / "config").is_dir()
        for name, obj in by_release.items():
            # A Kustomization that needs no release waits for config/ (a HelmRelease cannot).
            expected = needs[name] or (["tenantgen-config"] if flavour == "Kustomization" else [])
            assert [dep["name"] for dep in obj["spec"].get("dependsOn", [])] == expected, name
    needs = helmfile_needs(out_of(repo) / PROD_EUW1)
    apps = {obj["metadata"]["name"].removeprefix("prod-euw1-"): obj
            for obj in folder_objects(out_of(repo) / PROD_EUW1 / "argocd").values()
            if obj["metadata"]["name"] not in ("tenantgen-prod-euw1", "prod-euw1-tenantgen-config")}
    assert sorted(apps) == sorted(needs)
    wave = {name: int(app["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]) for name, app in apps.items()}
    for name in needs:
        assert wave[name] == 1 + max((wave[need] for need in needs[name]), default=-1), name
    assert sorted(set(wave.values())) == [0, 1, 2, 3]  # node pool -> tenant -> post-install -> project


def test_every_path_a_flux_or_argocd_object_names_exists_in_the_repository(repo: Path) -> None:
    out = out_of(repo)
    named = 0
    for cluster in (PROD_EUW1, PROD_EUC1, PLAY_EUW1):
        for folder in ("flux", "argocd"):
            for obj in folder_objects(out / cluster / folder).values() if (out / cluster / folder).is_dir() else []:
                spec = obj["spec"]
                if obj["kind"] == "HelmRelease":
                    chart = in_repo(repo, spec["chart"]["spec"]["chart"])
                    assert (chart / "Chart.yaml").is_file() and chart.parent == out / "charts"
                    for values in spec["chart"]["spec"]["valuesFiles"]:
                        assert in_repo(repo, values).is_file(), values
                    named += 1
                elif obj["kind"] == "Kustomization":
                    assert in_repo(repo, spec["path"]).is_dir(), spec["path"]
                    named += 1
                elif obj["kind"] == "Application":
                    assert obj["spec"]["source"]["repoURL"] == "https://git.example.com/platform/gitops.git"
                    assert in_repo(repo, spec["source"]["path"]).is_dir(), spec["source"]["path"]
                    named += 1
    assert named > 40


@pytest.mark.parametrize(("cluster", "folder"), [(PROD_EUW1, "flux"), (PROD_EUC1, "flux"), (PROD_EUW1, "argocd"),
                                                 (PLAY_EUW1, "argocd")])
def test_every_flavour_applies_the_clusters_config_folder(repo: Path, cluster: str, folder: str) -> None:
    # config/ holds the PriorityClass the tenants' Capsule Tenants name as their default: a flavour
    # that left it out would leave every tenant Pod refused for a missing class.
    out = out_of(repo)
    assert any(path.name.startswith("priorityclass-") for path in (out / cluster / "config").iterdir())
    objects = folder_objects(out / cluster / folder).values()
    paths = [obj["spec"]["path"] if obj["kind"] == "Kustomization" else obj["spec"]["source"]["path"]
             for obj in objects if obj["kind"] in ("Kustomization", "Application")]
    assert [path for path in paths if path.removeprefix("./") == f"{REPO_PATH}/{cluster}/config"], paths
    if folder == "argocd":  # before every release: node pools are wave 0
        (config_app,) = [obj for obj in objects if obj["spec"]["source"]["path"].endswith("/config")]
        assert config_app["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] == "-1"


def test_manifests_folders_hold_only_kubernetes_objects(repo: Path) -> None:
    """Flux applies every YAML file under a Kustomization's path (Argo CD every file of a directory source)."""
    out = out_of(repo)
    for cluster in (PROD_EUC1, PLAY_EUW1):
        for path in sorted((out / cluster).glob("manifests/**/*")) + sorted((out / cluster).glob("config/**/*")):
            if path.is_dir():
                continue
            assert path.suffix == ".yaml", path
            objects = objects_of(path)
            assert objects, path
            for obj in objects:
                assert obj["apiVersion"] and obj["kind"] and obj["metadata"]["name"], path


def _merged(files: list[Path]) -> dict[str, Any]:
    """Values files merged as Flux merges ``valuesFiles``: maps key by key, anything else replaced."""
    def merge(into: dict[str, Any], incoming: dict[str, Any]) -> None:
        for key, value in incoming.items():
            if isinstance(value, dict) and isinstance(into.get(key), dict):
                merge(into[key], value)
            else:
                into[key] = value

    merged: dict[str, Any] = {}
    for file in files:
        (values,) = objects_of(file)
        merge(merged, values or {})
    return merged


def _canonical(objects: list[dict[str, Any]]) -> list[str]:
    return sorted(json.dumps(obj, sort_keys=True) for obj in objects)


def test_a_helm_release_installs_exactly_the_objects_of_its_manifests(repo: Path) -> None:
    """The chart in OUT rendered through the engine with the values files the HelmRelease names gives
    the objects in that release's manifests/: what Flux installs is what review showed."""
    engine = create_engine("embedded")
    cluster = out_of(repo) / PROD_EUW1
    releases = [obj for obj in folder_objects(cluster / "flux").values() if obj["kind"] == "HelmRelease"]
    assert len(releases) == 16  # the cluster-shared release, 3 node pools, 4 tenants x 3
    for release in releases:
        spec = release["spec"]
        values = _merged([in_repo(repo, path) for path in spec["chart"]["spec"]["valuesFiles"]])
        kube_version = "v" + values["context"]["cluster"]["kubeVersion"]
        job = RenderJob(spec["releaseName"], spec["targetNamespace"], str(in_repo(repo, spec["chart"]["spec"]["chart"])),
                        values, kube_version)
        rendered = [obj.body for obj in split_objects(engine.render(job, json.dumps(values)))]
        shown = [obj for path in sorted((cluster / "manifests" / spec["releaseName"]).glob("*.yaml"))
                 for obj in objects_of(path)]
        assert rendered and _canonical(rendered) == _canonical(shown), spec["releaseName"]


def test_tenant_root_application_lives_in_its_default_namespace(repo: Path) -> None:
    manifests = out_of(repo) / PROD_EUW1 / "manifests" / "payments-argocd"
    (app,) = objects_of(manifests / "application-payments-root.yaml")
    (project,) = objects_of(manifests / "appproject-payments.yaml")
    assert app["metadata"]["namespace"] == app["spec"]["destination"]["namespace"] == "payments-api"
    assert project["spec"]["sourceNamespaces"] == ["payments-*"]
    assert project["metadata"]["namespace"] == "argocd"


# --- bad input ----------------------------------------------------------------------------------

DELIVERY = """\
  delivery:
    repoURL: https://git.example.com/platform/gitops.git
    flux: helmrelease
"""


def _tier(delivery: str) -> str:
    return TIER_YAML.replace("spec:\n", f"spec:\n{delivery}", 1)


@pytest.mark.parametrize(("delivery", "needle", "message"), [
    ("  delivery:\n    flux: helmrelease\n", "flux: helmrelease",
     "$.spec.delivery.flux: flux is 'helmrelease' but no repoURL is set"),
    ("  delivery:\n    argocd: true\n", "argocd: true", "$.spec.delivery.argocd: argocd is true but no repoURL is set"),
    (DELIVERY.replace("helmrelease", "kustomize"), "flux: kustomize",
     '$.spec.delivery.flux: "kustomize" is not allowed; allowed: "helmrelease", "manifests", "none"'),
    (DELIVERY + "    path: ../elsewhere\n", "path: ../elsewhere",
     "$.spec.delivery.path: '../elsewhere' has a '..': path must stay inside the repository"),
    (DELIVERY + "    path: /clusters/out\n", "path: /clusters/out",
     "$.spec.delivery.path: '/clusters/out' starts at '/'"),
    (DELIVERY + "    revision: my branch\n", "revision: my branch",
     '$.spec.delivery.revision: "my branch" is not allowed: must match pattern'),
    (DELIVERY.replace("https://", "https://deploy:hunter22@"), "repoURL:",
     "$.spec.delivery.repoURL: "),
    # Flux's GitRepository CRD refuses the scp-like form (url pattern ^(http|https|ssh)://).
    (DELIVERY.replace("https://git.example.com/", "git@git.example.com:"), "repoURL:",
     "$.spec.delivery.repoURL: 'git@git.example.com:platform/gitops.git' is the scp-like form, which Flux's "
     "GitRepository refuses (its url must be http://, https:// or ssh://); write it as "
     "ssh://git@git.example.com/platform/gitops.git"),
])
def test_bad_delivery_is_a_finding_at_its_line(tmp_path: Path, delivery: str, needle: str, message: str) -> None:
    tier = _tier(delivery)
    root = build_tree(tmp_path, {TIER: tier})
    found = lines(root)
    line, _ = pos(tier, needle)
    assert any(text.startswith(f"{shown(TIER)}:{line}:") and message in text for text in found), found
    assert not any("hunter22" in text for text in found)


def test_a_cluster_turning_flux_on_without_a_repository_is_named_at_its_line(tmp_path: Path) -> None:
    cluster = CLUSTER_YAML.replace("  defaults:\n", "  delivery:\n    flux: manifests\n  defaults:\n", 1)
    root = build_tree(tmp_path, {CLUSTER: cluster})
    line, _ = pos(cluster, "flux: manifests")
    assert any(text.startswith(f"{shown(CLUSTER)}:{line}:") and "no repoURL is set" in text
               for text in lines(root))
    # The tier's repository is enough for a cluster that turns Flux on.
    root = build_tree(tmp_path / "with-tier", {CLUSTER: cluster, TIER: _tier(
        "  delivery:\n    repoURL: https://git.example.com/platform/gitops.git\n")})
    assert lines(root) == []


@pytest.mark.parametrize(("revision", "ref"), [
    ("release/prod", {"branch": "release/prod"}),
    ("refs/tags/v1.2.0", {"name": "refs/tags/v1.2.0"}),  # as a branch, Flux would look for that literal name
    ("0123456789abcdef0123456789abcdef01234567", {"commit": "0123456789abcdef0123456789abcdef01234567"}),
])
def test_flux_follows_a_branch_a_full_ref_or_a_commit(tmp_path: Path, revision: str, ref: dict[str, str]) -> None:
    root = build_tree(tmp_path, {TIER: _tier(DELIVERY + f"    revision: {revision}\n")})
    out = tmp_path / "out"
    assert run_cli(["render", str(root), "-o", str(out)]).exit_code == 0
    (source,) = objects_of(next(out.glob("*/*/*/flux/source.yaml")))
    assert source["spec"]["ref"] == ref


def test_bad_delivery_leaves_out_untouched(tmp_path: Path) -> None:
    root = build_tree(tmp_path, {TIER: _tier(DELIVERY + "    path: ../elsewhere\n")})
    out = tmp_path / "out"
    (out / "dev" / "dev-aws" / "dev-euw1").mkdir(parents=True)
    (out / "dev" / "dev-aws" / "dev-euw1" / "helmfile.yaml").write_text("# an earlier render\n")
    before = read_tree(out)
    result = run_cli(["render", str(root), "-o", str(out)])
    assert result.exit_code == 1
    assert "path must stay inside the repository" in result.stdout + result.stderr
    assert read_tree(out) == before


def test_a_delivery_change_is_the_platform_teams(tmp_path: Path) -> None:
    from tenantgen.review.guard import GuardInput, changed_files, check_guard
    from tests.test_guard import read_files
    from tests.trees import validate

    base = build_tree(tmp_path / "base", {TIER: _tier(DELIVERY)})
    head = build_tree(tmp_path / "head", {TIER: _tier(DELIVERY.replace("helmrelease", "manifests")),
                                          CLUSTER: CLUSTER_YAML.replace("  defaults:\n", "  delivery:\n    argocd: true\n"
                                                                                         "  defaults:\n", 1)})
    violations = check_guard(GuardInput(validate(base), validate(head),
                                        changed_files(read_files(base), read_files(head)), {}))
    assert sorted((v.rule, v.file) for v in violations) == [("e", shown(CLUSTER)), ("e", shown(TIER))]


# --- OUT over time: pruning, --check, diff, explain -----------------------------------------------


def test_flux_and_argocd_files_are_owned_checked_diffed_and_explained(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    root = build_tree(tmp_path, {TIER: _tier(DELIVERY + "    argocd: true\n")})
    out = tmp_path / "out"
    cluster = out / "dev" / "dev-aws" / "dev-euw1"
    assert run_cli(["render", str(root), "-o", str(out)]).exit_code == 0
    assert (cluster / "flux" / "alpha-tenant.yaml").is_file() and (cluster / "argocd" / "alpha-tenant.yaml").is_file()
    assert (cluster / "helmfile.yaml").is_file()

    explained = run_cli(["explain", "alpha", str(root), "--format", "json"])
    [section] = explained.json()["clusters"]
    objects = {(obj["kind"], obj["path"]) for release in section["releases"] for obj in release["objects"]}
    assert ("HelmRelease", "dev/dev-aws/dev-euw1/flux/alpha-tenant.yaml") in objects
    assert ("Application", "dev/dev-aws/dev-euw1/argocd/alpha-tenant.yaml") in objects

    # Flux applies the manifests instead, Argo CD and helmfile go: the check names it all.
    (root / TIER).write_text(_tier(DELIVERY.replace("helmrelease", "manifests") + "    helmfile: false\n"))
    check = run_cli(["render", str(root), "-o", str(out), "--check"])
    assert check.exit_code == 1
    assert f"changed: {cluster}/flux/alpha-tenant.yaml" in check.stdout
    assert f"extra: {cluster}/argocd/alpha-tenant.yaml" in check.stdout
    assert f"extra: {cluster}/helmfile.yaml" in check.stdout

    diff = run_cli(["diff", str(root), "--against", str(out), "--format", "json"])
    changes = {(change["object"], change["status"], change["tenant"]) for change in diff.json()["objects"]}
    assert {("HelmRelease flux-system/alpha-tenant", "removed", "alpha"),
            ("Kustomization flux-system/alpha-tenant", "added", "alpha"),
            ("Application argocd/dev-euw1-alpha-tenant", "removed", "alpha"),
            ("Application argocd/tenantgen-dev-euw1", "removed", None)} <= changes
    assert not any(title.startswith("GitRepository") for title, _, _ in changes)  # the same source
    text = run_cli(["diff", str(root), "--against", str(out)]).stdout
    assert "+++ b/dev/dev-aws/dev-euw1/flux/alpha-tenant.yaml" in text
    comment = run_cli(["diff", str(root), "--against", str(out), "--format", "markdown"]).stdout  # the PR comment
    assert "+++ b/dev/dev-aws/dev-euw1/flux/alpha-tenant.yaml" in comment
    assert "--- a/dev/dev-aws/dev-euw1/argocd/alpha-tenant.yaml" in comment

    (cluster / "flux" / "by-hand.yaml").write_text("kind: ConfigMap\n")  # owned: a render removes it
    assert run_cli(["render", str(root), "-o", str(out)]).exit_code == 0
    assert not (cluster / "argocd").exists() and not (cluster / "helmfile.yaml").exists()
    assert not (cluster / "flux" / "by-hand.yaml").exists()
    (kustomization,) = objects_of(cluster / "flux" / "alpha-tenant.yaml")
    assert kustomization["kind"] == "Kustomization"
    assert kustomization["spec"]["path"] == "./dev/dev-aws/dev-euw1/manifests/alpha-tenant"  # path unset: the root

    # Flux off: its folder goes, and a --tenant render answers for the cluster's flux/ too.
    (root / TIER).write_text(_tier(DELIVERY))
    assert run_cli(["render", str(root), "-o", str(out), "--tenant", "alpha"]).exit_code == 0
    (release,) = objects_of(cluster / "flux" / "alpha-tenant.yaml")
    assert release["kind"] == "HelmRelease"
    (root / TIER).write_text(TIER_YAML)
    assert run_cli(["render", str(root), "-o", str(out), "--tenant", "alpha"]).exit_code == 0
    assert not (cluster / "flux").exists()
    assert run_cli(["render", str(root), "-o", str(out), "--check"]).exit_code == 0


@pytest.mark.parametrize(("path", "in_repository"), [
    ("", "./prod/a/c/flux"), ("clusters/out", "./clusters/out/prod/a/c/flux"),
    ("./clusters//out/", "./clusters/out/prod/a/c/flux"), (".", "./prod/a/c/flux"),
])
def test_a_delivery_path_is_spelled_one_way(path: str, in_repository: str) -> None:
    from tenantgen.merge.delivery import delivery_of
    from tenantgen.merge.layers import Merged

    delivery = delivery_of(Merged({"path": path}, {}, {}))
    assert delivery.in_repository("prod/a/c/flux") == in_repository
    assert (delivery.helmfile, delivery.flux, delivery.argocd, delivery.revision) == (True, "none", False, "main")


def test_flux_objects_are_checked_against_the_crds_given(tmp_path: Path, upstream_crds: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Like every rendered object: a CRD that wants what a HelmRelease lacks fails the render, OUT untouched."""
    from tenantgen.yamlio.reader import dump

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    crds = tmp_path / "crds"
    shutil.copytree(upstream_crds, crds)
    crd_file = crds / FLUX_CRDS / "helm.toolkit.fluxcd.io_helmreleases.yaml"
    (crd,) = objects_of(crd_file)
    for version in crd["spec"]["versions"]:
        spec = version["schema"]["openAPIV3Schema"]["properties"]["spec"]
        spec["required"] = [*spec.get("required", []), "postRenderers"]
    crd_file.write_text(dump(crd))
    root = build_tree(tmp_path, {TIER: _tier(DELIVERY)})
    out = tmp_path / "out"
    result = run_cli(["render", str(root), "-o", str(out), *scoped_crds_args(crds)])
    assert result.exit_code == 1
    assert ("dev/dev-aws/dev-euw1: tenant alpha, release alpha-tenant (from tree/dev/dev-aws/dev-euw1/cluster.yaml): "
            "object flux/alpha-tenant.yaml: $.spec.postRenderers: required field is missing") in result.stdout
    assert "8 release problem(s)" in result.stdout  # one per HelmRelease (the shared release too); the rendered objects pass
    assert not out.exists()
    assert run_cli(["render", str(root), "-o", str(out), *scoped_crds_args(upstream_crds)]).exit_code == 0
