"""``tenantgen diff --guard``: each rule (a)-(h) with its reason, a clean self-service change, the CLI."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from tenantgen.pipeline.review import read_files
from tenantgen.render.output_set import OutputFile
from tenantgen.review.guard import (
    GuardInput,
    Violation,
    changed_files,
    check_guard,
    destination_problems,
    too_broad,
)
from tests.helpers import CliResult, run_cli
from tests.trees import (
    ALPHA,
    APPS_POOL,
    BETA,
    CLUSTER,
    CLUSTER_YAML,
    POOL_YAML,
    PROJECTS,
    TENANTS,
    TIER,
    TIER_YAML,
    build_tree,
    project_yaml,
    shown,
    tenant_yaml,
    validate,
)

CLUSTER_REL = "dev/dev-aws/dev-euw1"
ALPHA_PROJECT = f"{PROJECTS}/alpha.yaml"
Changes = Mapping[str, str | bytes | None]


def alpha(extra: str = "", hostname: str = "api.alpha.example.com") -> str:
    return tenant_yaml("alpha", hostname, extra)


def guard(tmp_path: Path, changes: Changes, base_changes: Changes | None = None,
          head_files: Mapping[str, OutputFile] | None = None) -> list[Violation]:
    base = build_tree(tmp_path / "base", base_changes)
    head = build_tree(tmp_path / "head", {**(base_changes or {}), **changes})
    data = GuardInput(validate(base), validate(head), changed_files(read_files(base), read_files(head)),
                      head_files if head_files is not None else {})
    return check_guard(data)


def rules(violations: list[Violation]) -> list[str]:
    return [v.rule for v in violations]


def test_clean_self_service_change_passes(tmp_path: Path) -> None:
    changed = alpha("readers: [alpha-admins]\nlimitRange:\n  max: {cpu: '2'}\n",
                    hostname="api2.alpha.example.com").replace("alpha@example.com", "alpha-team@example.com")
    project = project_yaml("alpha").replace("path: clusters/dev-euw1", "path: clusters/dev-euw1-v2")
    assert guard(tmp_path, {ALPHA: changed, ALPHA_PROJECT: project}) == []


def test_a_files_of_two_tenants(tmp_path: Path) -> None:
    violations = guard(tmp_path, {ALPHA: alpha("readers: [alpha-admins]\n"),
                                  BETA: tenant_yaml("beta", "*.beta.example.com", "readers: [beta-admins]\n")})
    assert rules(violations) == ["a"]
    assert violations[0].file == ""
    assert violations[0].reason.startswith("the change touches the files of 2 tenants (alpha, beta)")


def test_a_argo_project_moved_to_another_tenant(tmp_path: Path) -> None:
    violations = guard(tmp_path, {ALPHA_PROJECT: project_yaml("alpha", tenant="beta")})
    assert Violation("a", shown(ALPHA_PROJECT), "moves argo project alpha from tenant alpha to tenant beta") in violations
    assert any(v.rule == "a" and "2 tenants (alpha, beta)" in v.reason for v in violations)
    assert any(v.rule == "g" and v.reason.startswith("changes tenant,") for v in violations)


def test_b_readers_owners_and_roles_of_other_groups(tmp_path: Path) -> None:
    violations = guard(tmp_path, {ALPHA: alpha("readers: [alpha-admins, beta-admins]\n")})
    assert violations == [Violation("b", shown(ALPHA), "adds reader beta-admins, which is not one of the tenant's "
                                                       "own groups (alpha-admins)")]
    owner = alpha().replace("      name: alpha-admins\n", "      name: alpha-admins\n    - kind: Group\n"
                                                             "      name: intruders\n")
    violations = guard(tmp_path / "owner", {ALPHA: owner})
    assert Violation("b", shown(ALPHA), "adds owner Group intruders: owners change only with the platform team") in (
        violations)
    assert any(v.rule == "g" and v.reason.startswith("changes owners,") for v in violations)
    project = project_yaml("alpha") + "  roles:\n    - name: deploy\n      groups: [beta-admins]\n"
    violations = guard(tmp_path / "roles", {ALPHA_PROJECT: project})
    assert rules(violations) == ["b"]
    assert violations[0].reason.startswith("gives group beta-admins role deploy")


# alpha-developers reads alpha and holds the read-only role: it is a group of the tenant, not an owner.
DEPLOYER = ("    - name: deployer\n      groups: [alpha-admins]\n      policies:\n"
            "        - p, proj:alpha:deployer, applications, sync, alpha/*, allow\n")
READ_ONLY = ("    - name: read-only\n      groups: [alpha-developers]\n      policies:\n"
             "        - p, proj:alpha:read-only, applications, get, alpha/*, allow\n")
WITH_READERS = {ALPHA: alpha("readers: [alpha-developers]\n"),
                ALPHA_PROJECT: project_yaml("alpha") + "  roles:\n" + DEPLOYER + READ_ONLY}


def role_violation(group: str, role: str) -> Violation:
    return Violation("b", shown(ALPHA_PROJECT), f"gives group {group} role {role} (new or changed since the base "
                                                "ref), but it is not one of the tenant's own groups (alpha-admins)")


@pytest.mark.parametrize(("roles", "role"), [
    (DEPLOYER.replace("[alpha-admins]", "[alpha-admins, alpha-developers]") + READ_ONLY, "deployer"),
    (DEPLOYER + READ_ONLY + "    - name: dev-sync\n      groups: [alpha-developers]\n      policies:\n"
                            "        - p, proj:alpha:dev-sync, applications, sync, alpha/*, allow\n", "dev-sync"),
    (DEPLOYER + READ_ONLY + "        - p, proj:alpha:read-only, applications, sync, alpha/*, allow\n", "read-only"),
])
def test_b_a_group_that_already_holds_a_role_gains_another(tmp_path: Path, roles: str, role: str) -> None:
    project = project_yaml("alpha") + "  roles:\n" + roles
    violations = guard(tmp_path, {ALPHA_PROJECT: project}, base_changes=WITH_READERS)
    assert violations == [role_violation("alpha-developers", role)]


def test_b_roles_the_groups_held_at_the_base_ref_stay_self_service(tmp_path: Path) -> None:
    described = READ_ONLY.replace("      groups:", "      description: Look, do not touch\n      groups:")
    project = project_yaml("alpha") + "  roles:\n" + DEPLOYER.replace("alpha/*", "alpha/web-*") + described
    assert guard(tmp_path, {ALPHA_PROJECT: project}, base_changes=WITH_READERS) == []


def test_c_source_repos_matching_everything(tmp_path: Path) -> None:
    project = project_yaml("alpha").replace("    - https://github.com/example-org/alpha-*\n",
                                            "    - https://github.com/example-org/alpha-*\n    - '*'\n")
    violations = guard(tmp_path, {ALPHA_PROJECT: project})
    assert violations == [Violation("c", shown(ALPHA_PROJECT), "sourceRepos '*' matches every repository; list the "
                                                               "tenant's own repositories")]


@pytest.mark.parametrize(("pattern", "problem"), [
    ("*", "matches every repository"),
    ("**", "matches every repository"),
    ("https://*", "matches every repository"),
    ("*/*", "matches every repository"),
    ("*.git", "matches every repository"),
    ("{*,x}", "matches every repository"),
    ("https://github.com/*", "matches every repository on github.com"),
    ("git@github.com:*", "matches every repository on github.com"),
    ("https://github.com/example-org/alpha-*", None),
    ("https://github.com/*/alpha-deploy.git", None),
    ("!*", None),
    # Argo CD lowercases pattern and URL alike (NormalizeGitURL), and keeps an ssh:// user
    ("HTTPS://GITHUB.COM/*/*", "matches every repository on github.com"),
    ("ssh://git@github.com/*/*", "matches every repository on github.com"),
    ("https://gitlab.com/*/*/*", "matches every repository on gitlab.com"),
    ("https://github.com/{example-org,*}/*", "matches every repository on github.com"),
    ("HTTPS://GitHub.com/Example-Org/alpha-*", None),
    ("git@github.com:example-org/alpha-*", None),
    ("ssh://git@github.com/example-org/alpha-*", None),
    ("https://charts.example.com/platform", None),
    (" !https://github.com/example-org/alpha-x", "matches every repository (Argo CD reads it as a deny rule that "
                                                 "allows all the others)"),
])
def test_too_broad_source_repos(pattern: str, problem: str | None) -> None:
    assert too_broad(pattern) == problem


# A wildcard before the path can reach other hosts (or every repository on one), whatever follows it.
HOST_WILDCARDS = ["ssh://*@github.com/**", "https://gith?b.com/*/*", "https://github.*/*/*",
                  "https://[g]ithub.com/*/*", "https://{github.com,x.y}/*/*", "*://github.com/*/*",
                  "https://*github.com/*/*", "*@github.com:example-org/alpha-*", "https://github.com:*/*/*"]
BROAD_REPOS = ["HTTPS://GITHUB.COM/*/*", "ssh://git@github.com/*/*", *HOST_WILDCARDS]


@pytest.mark.parametrize("pattern", HOST_WILDCARDS)
def test_too_broad_wildcards_in_scheme_user_or_host(pattern: str) -> None:
    assert too_broad(pattern) == "has a wildcard in its scheme, user or host, so it can match repositories on " \
                                 "other hosts"


@pytest.mark.parametrize("pattern", ["github.com/example-org/*", "https:/**/example-org/*"])
def test_too_broad_globs_without_a_fixed_host(pattern: str) -> None:
    assert too_broad(pattern) == "fixes no scheme and host, so it can match repositories on any host"


def add_source_repos(*patterns: str) -> str:
    return project_yaml("alpha").replace("    - https://github.com/example-org/alpha-*\n", "".join(
        f"    - {pattern!r}\n" for pattern in ["https://github.com/example-org/alpha-*", *patterns]))


@pytest.mark.parametrize("pattern", BROAD_REPOS)
def test_c_every_bypass_found_by_qa_is_a_violation(tmp_path: Path, pattern: str) -> None:
    violations = guard(tmp_path, {ALPHA_PROJECT: add_source_repos(pattern)})
    assert violations == [Violation("c", shown(ALPHA_PROJECT), f"sourceRepos {pattern!r} {too_broad(pattern)}; list "
                                                               "the tenant's own repositories")]


APP_PROJECT = """\
apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata:
  name: alpha
  namespace: argocd
spec:
  destinations:
  - server: https://kubernetes.default.svc
    namespace: {namespace}
  clusterResourceWhitelist: []
"""


def test_d_rendered_destinations_outside_the_tenants_namespaces(tmp_path: Path) -> None:
    path = f"{CLUSTER_REL}/manifests/alpha-argocd/appproject-alpha.yaml"
    rendered = {path: OutputFile(APP_PROJECT.format(namespace="kube-system").encode(), CLUSTER_REL, "alpha",
                                 "alpha-argocd")}
    violations = guard(tmp_path, {ALPHA: alpha("readers: [alpha-admins]\n")}, head_files=rendered)
    assert violations == [Violation("d", f"{path} (rendered)", "AppProject alpha may deploy to namespace "
                                                              "'kube-system', outside the tenant's namespaces (alpha-*)")]


@pytest.mark.parametrize(("namespace", "others", "ok"), [
    ("alpha-*", [], True),
    ("alpha-web", [], True),
    ("alpha-", [], False),
    ("*", [], False),
    ("alph*", [], False),
    ("kube-system", [], False),
    ("alpha-*", ["alpha-eu"], False),  # also names tenant alpha-eu's namespaces
    ("!kube-*", [], True),
])
def test_destination_namespaces(namespace: str, others: list[str], ok: bool) -> None:
    obj = {"kind": "AppProject", "metadata": {"name": "alpha"},
           "spec": {"destinations": [{"server": "https://kubernetes.default.svc", "namespace": namespace}]}}
    assert (destination_problems(obj, "alpha", others) == []) is ok


def test_destination_any_cluster_and_cluster_scoped_resources() -> None:
    obj = {"kind": "AppProject", "metadata": {"name": "alpha"},
           "spec": {"destinations": [{"server": "*", "namespace": "alpha-*"}],
                    "clusterResourceWhitelist": [{"group": "*", "kind": "*"}]}}
    assert destination_problems(obj, "alpha") == [
        "AppProject alpha may deploy to any cluster (server: '*')",
        "AppProject alpha allows cluster-scoped resources (clusterResourceWhitelist)"]
    app = {"kind": "Application", "metadata": {"name": "alpha-root"},
           "spec": {"destination": {"namespace": "default"}}}
    assert destination_problems(app, "alpha") == [
        "Application alpha-root deploys to namespace 'default', outside the tenant's namespaces (alpha-*)"]


def test_e_platform_files(tmp_path: Path) -> None:
    violations = guard(tmp_path, {
        APPS_POOL: POOL_YAML.replace("CC-1000", "CC-2000"),
        TIER: TIER_YAML.replace("maxNamespaces: 10", "maxNamespaces: 11"),
        CLUSTER: CLUSTER_YAML.replace("eu-west-1", "eu-west-1 "),
        f"{CLUSTER_REL}/config/extra.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: extra\n",
    })
    assert rules(violations) == ["e"] * 4
    reasons = {v.file: v.reason for v in violations}
    assert reasons[shown(APPS_POOL)].startswith("node-pool files belong to the platform team")
    assert reasons[shown(TIER)].startswith("tier files belong to the platform team")
    assert reasons[shown(CLUSTER)].startswith("cluster files belong to the platform team")
    assert reasons[shown(f"{CLUSTER_REL}/config/extra.yaml")].startswith("config files belong")


def test_e_stray_file_next_to_the_tenants(tmp_path: Path) -> None:
    violations = guard(tmp_path, {f"{TENANTS}/NOTES.md": "notes\n"})
    assert Violation("e", shown(f"{TENANTS}/NOTES.md"), "other files (not tenant or argo-project YAML) belong to the "
                                                        "platform team; a tenant changes only its own tenant and "
                                                        "argo-project files") in violations


def test_f_past_the_tiers_guardrails(tmp_path: Path) -> None:
    violations = guard(tmp_path, {ALPHA: alpha(hostname="api.alpha.evil.org")})
    assert rules(violations) == ["f"]
    assert violations[0].file == shown(ALPHA)
    assert "api.alpha.evil.org" in violations[0].reason and violations[0].reason.startswith("line ")


def test_g_fields_the_tier_does_not_open(tmp_path: Path) -> None:
    tier = TIER_YAML + "  selfService:\n    tenantFields: [readers]\n    argoProjectFields: [rootApp.path]\n"
    changed = alpha().replace("costCenter: CC-1", "costCenter: CC-2")
    violations = guard(tmp_path, {ALPHA: changed}, base_changes={TIER: tier})
    assert violations == [Violation("g", shown(ALPHA), "changes costCenter, which is not a self-service field of "
                                                       "tier dev (a tenant may change: readers)")]
    project = project_yaml("alpha").replace("path: clusters/dev-euw1", "path: x").replace(
        "    url: https://github.com/example-org/alpha-deploy.git\n", "    url: https://example.com/other.git\n")
    violations = guard(tmp_path / "project", {ALPHA_PROJECT: project}, base_changes={TIER: tier})
    assert [v.reason.split(",")[0] for v in violations] == ["changes repository.url"]
    # Without selfService in the tier, the safe defaults apply: costCenter yes, nodePool no.
    assert guard(tmp_path / "default", {ALPHA: changed}) == []
    pool = guard(tmp_path / "pool", {ALPHA: alpha("nodePool: apps\n")})
    assert [v.reason.split(" (")[0] for v in pool] == [
        "changes nodePool, which is not a self-service field of tier dev"]


def test_h_new_and_deleted_files(tmp_path: Path) -> None:
    violations = guard(tmp_path, {f"{TENANTS}/gamma.yaml": tenant_yaml("gamma", "gamma.example.com")})
    assert violations == [Violation("h", shown(f"{TENANTS}/gamma.yaml"),
                                    "added tenant file: a new or deleted tenant needs the platform team")]
    violations = guard(tmp_path / "deleted", {ALPHA_PROJECT: None})
    assert violations == [Violation("h", shown(ALPHA_PROJECT),
                                    "removed argo project file: a new or deleted argo project needs the platform team")]


# -- the command: real git, real renders -------------------------------------------------------------

@dataclass
class Runs:
    clean: CliResult
    violating: CliResult
    markdown: CliResult
    broad_repos: CliResult
    foreign_roles: CliResult


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
                   capture_output=True, check=True)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    repo = tmp_path_factory.mktemp("guard")
    tree = build_tree(repo)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(repo / ".cache"))
        patch.chdir(repo)
        (tree / ALPHA).write_text(alpha("readers: [alpha-admins]\n", hostname="api2.alpha.example.com"))
        clean = run_cli(["diff", "tree", "--base", "HEAD", "--guard"])
        (tree / ALPHA).write_text(alpha("readers: [beta-admins]\nnodePool: apps\n"))
        (tree / APPS_POOL).write_text(POOL_YAML.replace("CC-1000", "CC-2000"))
        violating = run_cli(["diff", "tree", "--base", "HEAD", "--guard", "--format", "json"])
        as_markdown = run_cli(["diff", "tree", "--base", "HEAD", "--guard", "--format", "markdown"])
        (tree / ALPHA).write_text(alpha())
        (tree / APPS_POOL).write_text(POOL_YAML)
        (tree / ALPHA_PROJECT).write_text(add_source_repos(*BROAD_REPOS))
        broad_repos = run_cli(["diff", "tree", "--base", "HEAD", "--guard", "--format", "json"])
        (tree / ALPHA_PROJECT).write_text(project_yaml("alpha") + "  roles:\n" + DEPLOYER.replace(
            "[alpha-admins]", "[alpha-admins, beta-admins]"))
        foreign_roles = run_cli(["diff", "tree", "--base", "HEAD", "--guard", "--format", "json"])
    yield Runs(clean, violating, as_markdown, broad_repos, foreign_roles)


def test_cli_clean_change_passes_the_guard(runs: Runs) -> None:
    assert runs.clean.exit_code == 0, runs.clean.stdout + runs.clean.stderr
    assert "guard: passed" in runs.clean.stdout
    assert f"alpha ({CLUSTER_REL}): + reader alpha-admins; + hostname api2.alpha.example.com" in runs.clean.stdout


def test_cli_violations_fail_with_reasons_in_every_format(runs: Runs) -> None:
    assert runs.violating.exit_code == 1
    report = runs.violating.json()
    assert report["guard"]["passed"] is False
    assert {(v["rule"], v["code"], v["file"]) for v in report["guard"]["violations"]} == {
        ("b", "foreign-group", shown(ALPHA)), ("e", "platform-file", shown(APPS_POOL)), ("g", "field", shown(ALPHA))}
    assert runs.markdown.exit_code == 1
    assert "**Guard: :x: 3 violation(s)**" in runs.markdown.stdout
    assert f"`{shown(APPS_POOL)}`: node-pool files belong to the platform team" in runs.markdown.stdout
    assert "(b: foreign-group)" in runs.markdown.stdout


def test_cli_source_repos_bypasses_fail(runs: Runs) -> None:
    assert runs.broad_repos.exit_code == 1
    violations = runs.broad_repos.json()["guard"]["violations"]
    assert {(v["rule"], v["code"]) for v in violations} == {("c", "source-repos")}
    assert sorted(v["reason"].split("'")[1] for v in violations) == sorted(BROAD_REPOS)


def test_cli_role_for_a_foreign_group_fails(runs: Runs) -> None:
    assert runs.foreign_roles.exit_code == 1
    assert [(v["rule"], v["reason"].split(" (")[0]) for v in runs.foreign_roles.json()["guard"]["violations"]] == [
        ("b", "gives group beta-admins role deployer")]


def test_a_file_under_a_tiers_config_is_the_platforms_even_where_a_tenant_file_would_be() -> None:
    from tenantgen.review.guard import Place, classify

    assert classify("dev/config/x/tenants/a.yaml").kind == "config"
    assert classify("dev/dev-aws/dev-euw1/tenants/a.yaml") == Place("tenant", "dev/dev-aws/dev-euw1", "a")
