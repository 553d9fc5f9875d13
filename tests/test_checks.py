"""Cross-file checks on the effective (merged) fleet: references, uniqueness, hostnames, guardrails, Argo CD policies."""

from __future__ import annotations

from pathlib import Path

import pytest

from tenantgen.validate.argo_policy import policy_problem
from tenantgen.validate.hostnames import find_overlaps, has_allowed_suffix
from tests.helpers import run_cli
from tests.trees import (
    ALPHA,
    APPS_POOL,
    BETA,
    CLUSTER,
    CLUSTER_YAML,
    POOL_YAML,
    POOLS,
    PROJECTS,
    TENANTS,
    TIER,
    TIER_YAML,
    base_files,
    build_tree,
    findings,
    lines,
    pos,
    project_yaml,
    shown,
    tenant_yaml,
)

CLUSTER_NAME = "dev-euw1"


def beta(extra: str = "", hostname: str | None = "*.beta.example.com") -> dict[str, str | bytes | None]:
    return {BETA: tenant_yaml("beta", hostname, extra)}


def at(rel: str, text: str, needle: str, occurrence: int = 1) -> str:
    line, col = pos(text, needle, occurrence)
    return f"{shown(rel)}:{line}:{col}"


# -- references ------------------------------------------------------------------------------------

def test_unknown_node_pool_lists_the_pools_that_exist(tmp_path: Path) -> None:
    changes = beta("nodePool: batch\n")
    root = build_tree(tmp_path, {**changes, f"{POOLS}/ci.yaml": POOL_YAML.replace("name: apps", "name: ci")})
    assert lines(root) == [
        (f"{at(BETA, changes[BETA], 'nodePool')}: $.spec.nodePool: node pool 'batch' does not exist in cluster "
        "'dev-euw1'; defined here: apps, ci"),
    ]


def test_unknown_node_pool_from_cluster_default_names_each_tenant(tmp_path: Path) -> None:
    root = build_tree(tmp_path, {CLUSTER: CLUSTER_YAML.replace("nodePool: apps", "nodePool: spot")})
    where = at(CLUSTER, CLUSTER_YAML, "nodePool")
    assert lines(root) == [
        f"{where}: $.spec.defaults.nodePool: tenant '{name}' (inherited from the cluster default): node pool "
        "'spot' does not exist in cluster 'dev-euw1'; defined here: apps"
        for name in ("alpha", "beta")
    ]


def test_argo_project_for_an_unknown_tenant(tmp_path: Path) -> None:
    rel = f"{PROJECTS}/gamma.yaml"
    root = build_tree(tmp_path, {rel: project_yaml("gamma")})
    assert lines(root) == [
        (f"{shown(rel)}:6:3: $.spec.tenant: tenant 'gamma' does not exist in cluster 'dev-euw1'; "
        "defined here: alpha, beta"),
    ]


def test_argo_project_may_belong_to_a_tenant_with_schema_errors(tmp_path: Path) -> None:
    # The tenant exists; only its own schema error is reported.
    root = build_tree(tmp_path, beta("namespaces:\n  quota: lots\n"))
    assert [f.code for f in findings(root)] == ["schema"]


# -- Argo CD role policies: Argo CD's own rule (validatePolicy) ------------------------------------

ALPHA_PROJECT = f"{PROJECTS}/alpha.yaml"
OUTSIDE = "the object must be in this project: alpha/*, alpha/<app> or alpha/<namespace>/<app>"


def project_with_policies(*policies: str) -> str:
    items = "".join(f"        - {policy}\n" for policy in policies)
    return project_yaml("alpha") + f"  roles:\n    - name: deployer\n      groups: [alpha-admins]\n      policies:\n{items}"


@pytest.mark.parametrize("target", ["beta/*", "beta/web", "*/*", "*", "*/alpha-default/*", "alpha", "alpha-x/*",
                                    "alpha*/*", "alpha/ns/web/x", "alpha/{web}"])
def test_policy_object_outside_the_project(tmp_path: Path, target: str) -> None:
    policy = f"p, proj:alpha:deployer, applications, *, {target}, allow"
    text = project_with_policies("p, proj:alpha:deployer, applications, get, alpha/*, allow", policy)
    root = build_tree(tmp_path, {ALPHA_PROJECT: text})
    assert lines(root) == [
        (f"{at(ALPHA_PROJECT, text, policy)}: $.spec.roles[0].policies[1]: policy object {target!r} is outside "
         f"project 'alpha'; {OUTSIDE}"),
    ]


def test_policies_inside_the_project_are_fine(tmp_path: Path) -> None:
    text = project_with_policies(
        "p, proj:alpha:deployer, applications, *, alpha/*, allow",
        "p, proj:alpha:deployer, applications, sync, alpha/web, allow",
        "p, proj:alpha:deployer, applications, get, alpha/alpha-default/web, allow",
        "p, proj:alpha:deployer, applications, override, alpha/*/*, deny",
        "p, proj:alpha:deployer, applications, action/apps/Deployment/restart, alpha/web.v2, allow",
        "p, proj:alpha:deployer, applications, delete/*/Pod/*/*, alpha/*, allow",
        "p, proj:alpha:deployer, applicationsets, get, alpha/*, allow",
        "p, proj:alpha:deployer, logs, get, alpha/*, allow",
        "p, proj:alpha:deployer, exec, create, alpha/web_1, allow",
    )
    assert lines(build_tree(tmp_path, {ALPHA_PROJECT: text})) == []


@pytest.mark.parametrize(("policy", "message"), [
    ("p, proj:beta:deployer, applications, get, beta/*, allow",
     "policy subject 'proj:beta:deployer' must be 'proj:alpha:deployer': a role grants rights to itself only"),
    ("p, proj:alpha:deployer, projects, get, alpha/*, allow",
     "policy resource 'projects' cannot be granted by a project role; allowed: applications, applicationsets, "
     "clusters, exec, logs, repositories"),
    ("p, proj:alpha:deployer, *, get, alpha/*, allow",
     "policy resource '*' cannot be granted by a project role; allowed: applications, applicationsets, "
     "clusters, exec, logs, repositories"),
    ("p, proj:alpha:deployer, applications, admin, alpha/*, allow",
     "policy action 'admin' is not an Argo CD action; allowed: get, create, update, delete, sync, override, *, "
     "action/..., update/..., delete/..."),
])
def test_policy_subject_resource_and_action_follow_argo_cd(tmp_path: Path, policy: str, message: str) -> None:
    text = project_with_policies(policy)
    root = build_tree(tmp_path, {ALPHA_PROJECT: text})
    assert lines(root) == [f"{at(ALPHA_PROJECT, text, policy)}: $.spec.roles[0].policies[0]: {message}"]


@pytest.mark.parametrize(("policy", "problem"), [
    ("p, proj:alpha:deployer, applications, get, alpha/*", "not an Argo CD policy line; allowed: "
     "'p, proj:alpha:deployer, <resource>, <action>, alpha/<object>, allow|deny'"),
    ("g, proj:alpha:deployer, applications, get, alpha/*, allow", "not an Argo CD policy line; allowed: "
     "'p, proj:alpha:deployer, <resource>, <action>, alpha/<object>, allow|deny'"),
    ("p, proj:alpha:deployer, applications, get, alpha/*, grant", "policy effect 'grant' is not allowed; allowed: "
     "allow, deny"),
    ("p, proj:alpha:deployer, applications, get, alpha/*\n, allow", "policy object 'alpha/*\\n' is outside "
     f"project 'alpha'; {OUTSIDE}"),
    ("p, proj:alpha:deployer, applications, get, alpha/*, allow", None),
])
def test_policy_problem_the_schema_already_prevents(policy: str, problem: str | None) -> None:
    # Shapes the schema's pattern refuses first; the rule still stands on its own, as Argo CD's does.
    assert policy_problem("alpha", "deployer", policy) == problem


def test_validate_cli_reports_a_policy_outside_the_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    policy = "p, proj:alpha:deployer, applications, *, beta/*, allow"
    text = project_with_policies(policy)
    build_tree(tmp_path, {ALPHA_PROJECT: text})
    monkeypatch.chdir(tmp_path)
    result = run_cli(["validate", "tree"])
    assert result.exit_code == 1
    assert pos(text, policy) == (19, 11)
    assert result.stdout.splitlines() == [
        (f"tree/{ALPHA_PROJECT}:19:11: $.spec.roles[0].policies[0]: policy object 'beta/*' is outside project "
         f"'alpha'; {OUTSIDE}"),
        f"1 finding(s) in 1 file(s); {len(base_files())} file(s) checked",
    ]


# -- node pools need Karpenter ---------------------------------------------------------------------

def _without_karpenter() -> str:
    start, end = CLUSTER_YAML.index("  karpenter:"), CLUSTER_YAML.index("  defaults:")
    return CLUSTER_YAML[:start] + CLUSTER_YAML[end:]


def test_node_pools_need_karpenter_settings_in_cluster_yaml(tmp_path: Path) -> None:
    root = build_tree(tmp_path, {CLUSTER: _without_karpenter()})
    assert lines(root) == [
        (f"{shown(APPS_POOL)}:2:1: $.kind: node pool 'apps' needs spec.karpenter in {shown(CLUSTER)} (role or "
        "instanceProfile, subnetSelector, securityGroupSelector, amiAlias): tenantgen renders node pools as "
        "Karpenter NodePools"),
    ]


def test_a_cluster_without_node_pools_needs_no_karpenter(tmp_path: Path) -> None:
    cluster = _without_karpenter().replace("    nodePool: apps\n", "")
    assert lines(build_tree(tmp_path, {CLUSTER: cluster, APPS_POOL: None})) == []


# -- names and namespaces --------------------------------------------------------------------------

def test_duplicate_default_namespace(tmp_path: Path) -> None:
    text = tenant_yaml("alpha", "api.alpha.example.com", "namespaces:\n  default: alpha-api\n")
    beta_text = tenant_yaml("beta", None, "namespaces:\n  default: alpha-api\n")
    root = build_tree(tmp_path, {ALPHA: text, BETA: beta_text})
    where = at(BETA, beta_text, "default")
    assert lines(root) == [
        (f"{where}: $.spec.namespaces.default: default namespace 'alpha-api' is already the default of tenant "
        "'alpha'"),
        (f"{where}: $.spec.namespaces.default: default namespace 'alpha-api' must start with the tenant name: "
        "'beta-...'"),
    ]


def test_default_namespace_must_start_with_tenant_name(tmp_path: Path) -> None:
    changes = beta("namespaces:\n  default: betaapi\n")
    assert lines(build_tree(tmp_path, changes)) == [
        (f"{at(BETA, changes[BETA], 'default:')}: $.spec.namespaces.default: default namespace 'betaapi' must start with the tenant "
        "name: 'beta-...'"),
    ]


def test_default_namespace_from_a_default_is_reported_there(tmp_path: Path) -> None:
    cluster = CLUSTER_YAML.replace("    nodePool: apps\n", "    nodePool: apps\n    namespaces:\n      default: shared\n")
    result = lines(build_tree(tmp_path, {CLUSTER: cluster}))
    where = at(CLUSTER, cluster, "default: shared")
    assert result == [
        (f"{where}: $.spec.defaults.namespaces.default: tenant 'alpha' (inherited from the cluster default): "
        "default namespace 'shared' must start with the tenant name: 'alpha-...'"),
        (f"{where}: $.spec.defaults.namespaces.default: tenant 'beta' (inherited from the cluster default): "
        "default namespace 'shared' is already the default of tenant 'alpha'"),
        (f"{where}: $.spec.defaults.namespaces.default: tenant 'beta' (inherited from the cluster default): "
        "default namespace 'shared' must start with the tenant name: 'beta-...'"),
    ]


def test_tenant_name_that_prefixes_another(tmp_path: Path) -> None:
    root = build_tree(tmp_path, {f"{TENANTS}/team.yaml": tenant_yaml("team"),
                                 f"{TENANTS}/team-a.yaml": tenant_yaml("team-a")})
    assert lines(root) == [
        (f"{shown(TENANTS)}/team-a.yaml:4:3: $.metadata.name: tenant name 'team-a' starts with tenant 'team' + '-': "
        "namespaces 'team-a-*' would also match 'team-*'; rename one of them"),
    ]


def test_similar_names_without_the_dash_are_fine(tmp_path: Path) -> None:
    root = build_tree(tmp_path, {f"{TENANTS}/team.yaml": tenant_yaml("team"),
                                 f"{TENANTS}/teamb.yaml": tenant_yaml("teamb")})
    assert lines(root) == []


# -- hostnames -------------------------------------------------------------------------------------

UNIQUE = "hostnames must be unique per cluster"


def test_same_literal_hostname_in_two_tenants_is_reported_in_both_files(tmp_path: Path) -> None:
    # Which of the two a pull request just added cannot be told from the tree: each file names the other.
    root = build_tree(tmp_path, beta(hostname="api.alpha.example.com"))
    assert lines(root) == [
        (f"{shown(ALPHA)}:14:9: $.spec.ingress.hostnames[0]: hostname 'api.alpha.example.com' overlaps "
         f"'api.alpha.example.com' of tenant 'beta' ({shown(BETA)}:14) in cluster 'dev-euw1'; {UNIQUE}"),
        (f"{shown(BETA)}:14:9: $.spec.ingress.hostnames[0]: hostname 'api.alpha.example.com' overlaps "
         f"'api.alpha.example.com' of tenant 'alpha' ({shown(ALPHA)}:14) in cluster 'dev-euw1'; {UNIQUE}"),
    ]


def test_a_new_wildcard_is_blamed_on_its_own_line_naming_every_file_it_covers(tmp_path: Path) -> None:
    gamma = f"{TENANTS}/gamma.yaml"
    root = build_tree(tmp_path, {**beta(hostname="*.example.com"),
                                 ALPHA: tenant_yaml("alpha", "alpha.example.com"),
                                 gamma: tenant_yaml("gamma", "gamma.example.com")})
    assert lines(root) == [
        (f"{shown(ALPHA)}:14:9: $.spec.ingress.hostnames[0]: hostname 'alpha.example.com' overlaps "
         f"'*.example.com' of tenant 'beta' ({shown(BETA)}:14) in cluster 'dev-euw1'; {UNIQUE}"),
        (f"{shown(BETA)}:14:9: $.spec.ingress.hostnames[0]: hostname '*.example.com' overlaps "
         f"'alpha.example.com' of tenant 'alpha' ({shown(ALPHA)}:14) and 'gamma.example.com' of tenant 'gamma' "
         f"({shown(gamma)}:14) in cluster 'dev-euw1'; {UNIQUE}"),
        (f"{shown(gamma)}:14:9: $.spec.ingress.hostnames[0]: hostname 'gamma.example.com' overlaps "
         f"'*.example.com' of tenant 'beta' ({shown(BETA)}:14) in cluster 'dev-euw1'; {UNIQUE}"),
    ]


def test_a_wildcard_over_many_names_lists_a_few_and_counts_the_rest(tmp_path: Path) -> None:
    names = ["t1", "t2", "t3", "t4", "t5"]
    root = build_tree(tmp_path, {**beta(hostname="*.example.com"),
                                 **{f"{TENANTS}/{name}.yaml": tenant_yaml(name, f"{name}.example.com")
                                    for name in names}})
    wildcard = [line for line in lines(root) if line.startswith(f"{shown(BETA)}:")]
    assert wildcard == [
        (f"{shown(BETA)}:14:9: $.spec.ingress.hostnames[0]: hostname '*.example.com' overlaps "
         + ", ".join(f"'{name}.example.com' of tenant '{name}' ({shown(f'{TENANTS}/{name}.yaml')}:14)"
                     for name in names[:3])
         + f" and 2 more in cluster 'dev-euw1'; {UNIQUE}"),
    ]


def test_same_wildcard_in_two_tenants(tmp_path: Path) -> None:
    root = build_tree(tmp_path, {ALPHA: tenant_yaml("alpha", "*.beta.example.com")})
    assert lines(root) == [
        (f"{shown(ALPHA)}:14:9: $.spec.ingress.hostnames[0]: hostname '*.beta.example.com' overlaps "
         f"'*.beta.example.com' of tenant 'beta' ({shown(BETA)}:14) in cluster 'dev-euw1'; {UNIQUE}"),
        (f"{shown(BETA)}:14:9: $.spec.ingress.hostnames[0]: hostname '*.beta.example.com' overlaps "
         f"'*.beta.example.com' of tenant 'alpha' ({shown(ALPHA)}:14) in cluster 'dev-euw1'; {UNIQUE}"),
    ]


@pytest.mark.parametrize("hostname", ["x.y.beta.example.com", "beta.example.com", "*.x.beta.example.com"])
def test_a_wildcard_covers_one_label_only(tmp_path: Path, hostname: str) -> None:
    # *.beta.example.com matches x.beta.example.com, but not beta.example.com or x.y.beta.example.com.
    assert lines(build_tree(tmp_path, {ALPHA: tenant_yaml("alpha", hostname)})) == []


@pytest.mark.parametrize(("a", "b", "expected"), [
    ("a.example.com", "a.example.com", True),
    ("*.a.example.com", "x.a.example.com", True),
    ("x.a.example.com", "*.a.example.com", True),
    ("*.a.example.com", "*.a.example.com", True),
    ("*.a.example.com", "x.y.a.example.com", False),
    ("*.a.example.com", "a.example.com", False),
    ("*.a.example.com", "*.b.a.example.com", False),
    ("a.example.com", "b.example.com", False),
])
def test_overlaps(a: str, b: str, expected: bool) -> None:
    assert bool(find_overlaps({"one": [a], "other": [b]})) is expected


def test_explicit_hostname_colliding_with_another_tenants_automatic_hostname(tmp_path: Path) -> None:
    # alpha never wrote alpha.apps...: only beta's file is blamed, and it is told where the name comes from.
    root = build_tree(tmp_path, beta(hostname="alpha.apps.dev-euw1.k8s.example.com"))
    tier_line = pos(TIER_YAML, "tenantHostname")[0]
    assert lines(root) == [
        (f"{shown(BETA)}:14:9: $.spec.ingress.hostnames[0]: hostname 'alpha.apps.dev-euw1.k8s.example.com' "
         "overlaps 'alpha.apps.dev-euw1.k8s.example.com' of tenant 'alpha' (tenantHostname of tier 'dev', "
         f"{shown(TIER)}:{tier_line}) in cluster 'dev-euw1'; {UNIQUE}"),
    ]


def test_wildcard_covering_the_automatic_hostnames_is_reported_on_the_wildcard(tmp_path: Path) -> None:
    # alpha never wrote alpha.apps...: the finding belongs to beta's wildcard, not to alpha's file.
    root = build_tree(tmp_path, beta(hostname="*.apps.dev-euw1.k8s.example.com"))
    tier_line = pos(TIER_YAML, "tenantHostname")[0]
    assert lines(root) == [
        (f"{shown(BETA)}:14:9: $.spec.ingress.hostnames[0]: hostname '*.apps.dev-euw1.k8s.example.com' overlaps "
         f"'alpha.apps.dev-euw1.k8s.example.com' of tenant 'alpha' (tenantHostname of tier 'dev', "
         f"{shown(TIER)}:{tier_line}) in cluster 'dev-euw1'; {UNIQUE}"),
    ]


def test_hostnames_may_repeat_in_another_cluster(tmp_path: Path) -> None:
    other = "dev/dev-aws/dev-euw2"
    cluster = CLUSTER_YAML.replace("dev-euw1", "dev-euw2")
    root = build_tree(tmp_path, {f"{other}/cluster.yaml": cluster,
                                 f"{other}/node-pools/apps.yaml": POOL_YAML,
                                 f"{other}/tenants/gamma.yaml": tenant_yaml("gamma", "api.alpha.example.com")})
    assert lines(root) == []


@pytest.mark.parametrize("hostname", ["a.example.com.evil.com", "evilexample.com", "example.org"])
def test_hostname_outside_the_tiers_suffixes(tmp_path: Path, hostname: str) -> None:
    root = build_tree(tmp_path, beta(hostname=hostname))
    assert lines(root) == [
        (f"{shown(BETA)}:14:9: $.spec.ingress.hostnames[0]: hostname {hostname!r} is outside the domains of "
        "tier 'dev'; allowed: example.com"),
    ]


@pytest.mark.parametrize("hostname", ["example.com", "deep.below.example.com", "*.example.com"])
def test_hostname_within_the_tiers_suffixes(tmp_path: Path, hostname: str) -> None:
    assert lines(build_tree(tmp_path, beta(hostname=hostname))) == []


@pytest.mark.parametrize(("hostname", "suffixes", "allowed"), [
    ("example.com", [".example.com"], False),
    ("a.example.com", [".example.com"], True),
    ("*.example.com", [".example.com"], True),
    ("evilexample.com", ["example.com"], False),
    ("a.example.com.evil.com", ["example.com"], False),
    ("a.example.com", [], False),
])
def test_has_allowed_suffix(hostname: str, suffixes: list[str], allowed: bool) -> None:
    assert has_allowed_suffix(hostname, suffixes) is allowed


def test_unknown_placeholder_in_tenant_hostname(tmp_path: Path) -> None:
    tier = TIER_YAML.replace("{cluster.hostname}", "{cluster.domain}")
    root = build_tree(tmp_path, {TIER: tier})
    assert lines(root) == [
        (f"{shown(TIER)}:7:3: $.spec.tenantHostname: unknown placeholder {{cluster.domain}}; "
        "allowed: {tenant}, {tier}, {cluster.name}, {cluster.hostname}"),
    ]


def test_tenant_hostname_with_every_placeholder(tmp_path: Path) -> None:
    tier = TIER_YAML.replace('"{tenant}.apps.{cluster.hostname}"', '"{tenant}.{cluster.name}.{tier}.example.com"')
    assert lines(build_tree(tmp_path, {TIER: tier})) == []


# -- guardrails ------------------------------------------------------------------------------------

def test_max_namespaces_exceeded(tmp_path: Path) -> None:
    changes = beta("namespaces:\n  quota: 11\n")
    assert lines(build_tree(tmp_path, changes)) == [
        (f"{at(BETA, changes[BETA], 'quota')}: $.spec.namespaces.quota: namespaces.quota 11 exceeds tier 'dev' "
        "guardrail maxNamespaces 10"),
    ]


def test_max_namespaces_at_the_limit(tmp_path: Path) -> None:
    assert lines(build_tree(tmp_path, beta("namespaces:\n  quota: 10\n"))) == []


def test_max_namespaces_with_quota_removed(tmp_path: Path) -> None:
    # An unset quota is the documented default (10): above this tier's maximum of 5.
    tier = TIER_YAML.replace("maxNamespaces: 10", "maxNamespaces: 5")
    changes = beta("namespaces:\n  quota: null\n")
    root = build_tree(tmp_path, {TIER: tier, **changes})
    assert lines(root) == [
        (f"{at(BETA, changes[BETA], 'namespaces:')}: $.spec.namespaces: namespaces.quota is unset and defaults to "
        "10, which exceeds tier 'dev' guardrail maxNamespaces 5"),
    ]


def test_max_namespaces_with_quota_never_set(tmp_path: Path) -> None:
    tier = TIER_YAML.replace("    namespaces:\n      quota: 2\n", "").replace("maxNamespaces: 10", "maxNamespaces: 5")
    root = build_tree(tmp_path, {TIER: tier})
    assert lines(root) == [
        f"{shown(path)}:5:1: $.spec.namespaces.quota: namespaces.quota is unset and defaults to 10, which exceeds "
        "tier 'dev' guardrail maxNamespaces 5"
        for path in (ALPHA, BETA)
    ]


@pytest.mark.parametrize(("key", "value", "maximum"), [
    ("requests:\n    cpu", '"65"', "64"),
    ("requests:\n    memory", "300Gi", "256Gi"),
    ("limits:\n    cpu", "129000m", "128"),
    ("limits:\n    memory", "0.6Ti", "512Gi"),
])
def test_max_resources_exceeded_with_units(tmp_path: Path, key: str, value: str, maximum: str) -> None:
    # Requests get limits at the maximum, so only the guardrail (not requests <= limits) is broken.
    limits = "  limits: {cpu: '128', memory: 512Gi}\n" if key.startswith("requests") else ""
    text = tenant_yaml("beta", None, f"resources:\n  {key}: {value}\n{limits}")
    result = [f for f in findings(build_tree(tmp_path, {BETA: text})) if f.code == "guardrail"]
    dotted = "resources." + key.replace(":\n    ", ".")
    shown_value = value.strip('"')
    assert [(f.field, f.message) for f in result] == [
        (f"$.spec.{dotted}", f"{dotted} {shown_value} exceeds tier 'dev' guardrail {maximum}")]


@pytest.mark.parametrize("extra", [
    "resources:\n  requests: {cpu: '64', memory: 256Gi}\n  limits: {cpu: 128000m, memory: 512Gi}\n",
    "resources:\n  requests: {cpu: 64000m, memory: 262144Mi}\n  limits: {cpu: '128', memory: 0.5Ti}\n",
])
def test_max_resources_at_the_limit_are_fine(tmp_path: Path, extra: str) -> None:
    assert lines(build_tree(tmp_path, beta(extra))) == []


def test_max_resources_with_a_removed_limit(tmp_path: Path) -> None:
    changes = beta("resources:\n  limits: null\n")
    assert lines(build_tree(tmp_path, changes)) == [
        f"{at(BETA, changes[BETA], 'resources:')}: $.spec.resources: resources.limits.{key} is unset (unlimited); tier 'dev' allows at "
        f"most {maximum}"
        for key, maximum in (("cpu", "128"), ("memory", "512Gi"))
    ]


def test_ingress_class_not_allowed(tmp_path: Path) -> None:
    text = tenant_yaml("beta", None, "ingress:\n  classes: [nginx-internal, traefik]\n")
    root = build_tree(tmp_path, {BETA: text})
    assert lines(root) == [
        (f"{at(BETA, text, 'traefik')}: $.spec.ingress.classes[1]: ingress class 'traefik' is not allowed in tier "
        "'dev'; allowed: nginx-internal, nginx-public"),
    ]


def test_service_type_not_allowed(tmp_path: Path) -> None:
    changes = beta("services:\n  loadBalancer: true\n  nodePort: false\n")
    assert lines(build_tree(tmp_path, changes)) == [
        (f"{at(BETA, changes[BETA], 'loadBalancer')}: $.spec.services.loadBalancer: services.loadBalancer is not allowed in tier 'dev' "
        "(guardrails.allowedServices)"),
    ]


def test_service_type_allowed_by_the_tier(tmp_path: Path) -> None:
    tier = TIER_YAML + "    allowedServices:\n      loadBalancer: true\n"
    assert lines(build_tree(tmp_path, {TIER: tier, **beta("services:\n  loadBalancer: true\n")})) == []


def test_required_field_missing(tmp_path: Path) -> None:
    text = tenant_yaml("beta").replace("  contact:\n    email: beta@example.com\n", "  contact:\n    slack: '#beta'\n")
    root = build_tree(tmp_path, {BETA: text})
    assert lines(root) == [
        (f"{shown(BETA)}:10:3: $.spec.contact.email: contact.email is required by tier 'dev' "
        "(guardrails.requiredFields) but not set"),
    ]


def test_required_field_missing_with_its_parent(tmp_path: Path) -> None:
    text = tenant_yaml("beta").replace("  costCenter: CC-1\n  contact:\n    email: beta@example.com\n", "")
    root = build_tree(tmp_path, {BETA: text})
    assert lines(root) == [
        (f"{shown(BETA)}:5:1: $.spec.contact.email: contact.email is required by tier 'dev' "
        "(guardrails.requiredFields) but not set"),
        (f"{shown(BETA)}:5:1: $.spec.costCenter: costCenter is required by tier 'dev' "
        "(guardrails.requiredFields) but not set"),
    ]


def test_required_field_set_by_a_default(tmp_path: Path) -> None:
    cluster = CLUSTER_YAML.replace("    nodePool: apps\n", "    nodePool: apps\n    costCenter: CC-9\n")
    text = tenant_yaml("beta").replace("  costCenter: CC-1\n", "")
    assert lines(build_tree(tmp_path, {CLUSTER: cluster, BETA: text})) == []


def test_violation_inherited_from_cluster_default_is_reported_there(tmp_path: Path) -> None:
    cluster = CLUSTER_YAML + "    namespaces:\n      quota: 15\n"
    root = build_tree(tmp_path, {CLUSTER: cluster})
    where = at(CLUSTER, cluster, "quota")
    assert where == f"{shown(CLUSTER)}:21:7"
    assert lines(root) == [
        f"{where}: $.spec.defaults.namespaces.quota: tenant '{name}' (inherited from the cluster default): "
        "namespaces.quota 15 exceeds tier 'dev' guardrail maxNamespaces 10"
        for name in ("alpha", "beta")
    ]


def test_a_tenant_override_fixes_an_inherited_violation(tmp_path: Path) -> None:
    cluster = CLUSTER_YAML + "    namespaces:\n      quota: 15\n"
    root = build_tree(tmp_path, {CLUSTER: cluster, **beta("namespaces:\n  quota: 4\n")})
    assert [f.message.split(":")[0] for f in findings(root)] == [
        "tenant 'alpha' (inherited from the cluster default)"]


def test_violation_inherited_from_tier_default(tmp_path: Path) -> None:
    tier = TIER_YAML.replace('limits: {cpu: "8", memory: 32Gi}', 'limits: {cpu: "8", memory: 1Ti}')
    root = build_tree(tmp_path, {TIER: tier})
    where = at(TIER, tier, "memory: 1Ti")
    assert lines(root) == [
        f"{where}: $.spec.defaults.resources.limits.memory: tenant '{name}' (inherited from the tier default): "
        "resources.limits.memory 1Ti exceeds tier 'dev' guardrail 512Gi"
        for name in ("alpha", "beta")
    ]


# -- consistency -----------------------------------------------------------------------------------

def test_request_above_limit(tmp_path: Path) -> None:
    text = tenant_yaml("beta", None, "resources:\n  requests:\n    cpu: '9'\n")
    root = build_tree(tmp_path, {BETA: text})
    assert lines(root) == [
        (f"{at(BETA, text, 'cpu')}: $.spec.resources.requests.cpu: resources.requests.cpu 9 is greater than "
        "resources.limits.cpu 8"),
    ]


def test_limit_range_default_request_above_default(tmp_path: Path) -> None:
    text = tenant_yaml("beta", None, "limitRange:\n  default: {memory: 512Mi}\n  defaultRequest: {memory: 1Gi}\n")
    root = build_tree(tmp_path, {BETA: text})
    assert lines(root) == [
        (f"{at(BETA, text, 'memory: 1Gi')}: $.spec.limitRange.defaultRequest.memory: limitRange.defaultRequest.memory "
        "1Gi is greater than limitRange.default.memory 512Mi"),
    ]


def test_limit_range_default_above_max(tmp_path: Path) -> None:
    text = tenant_yaml("beta", None, "limitRange:\n  default: {cpu: '2'}\n  max: {cpu: 1500m}\n")
    [finding] = findings(build_tree(tmp_path, {BETA: text}))
    assert (finding.field, finding.message) == (
        "$.spec.limitRange.default.cpu", "limitRange.default.cpu 2 is greater than limitRange.max.cpu 1500m")


def test_quantities_parse_the_same_every_time_and_bad_ones_are_refused_every_time() -> None:
    from decimal import Decimal

    from tenantgen.validate.quantity import parse_quantity

    for _ in range(2):  # (the second time from the memo)
        assert parse_quantity("500m") == Decimal("0.5")
        assert parse_quantity("2Gi") == 2 * 2**30
        assert parse_quantity(3) == 3 and parse_quantity(1.5) == Decimal("1.5")
        with pytest.raises(ValueError, match="'12x' is not a Kubernetes quantity"):
            parse_quantity("12x")


# -- reserved label and annotation prefixes --------------------------------------------------------

RESERVED = ("reserved: kubernetes.io, k8s.io, capsule.clastix.io, argoproj.io, karpenter.sh, karpenter.k8s.aws, "
            "karpenter.azure.com, kubernetes.azure.com, platform.example.com and their subdomains (but app.kubernetes.io); the platform sets these, a tenant's "
            "file never sets one")


# A tier whose defaults set the platform's own label on every tenant's namespaces.
TIER_WITH_PLATFORM_LABEL = TIER_YAML.replace("    services:\n", (
    "    additionalMetadata:\n      labels:\n        platform.example.com/tier: dev\n    services:\n"))


@pytest.mark.parametrize(("field", "key", "prefix", "owner"), [
    ("labels", "pod-security.kubernetes.io/enforce", "pod-security.kubernetes.io", "Kubernetes' own"),
    ("labels", "capsule.clastix.io/tenant", "capsule.clastix.io", "Capsule's own"),
    ("labels", "platform.example.com/tier", "platform.example.com", "the platform's own: the tier's labelPrefix"),
    ("annotations", "scheduler.alpha.kubernetes.io/node-selector", "scheduler.alpha.kubernetes.io",
     "Kubernetes' own"),
    ("labels", "foo.kubernetes.io/bar", "foo.kubernetes.io", "Kubernetes' own"),
    ("annotations", "argocd.argoproj.io/managed-by", "argocd.argoproj.io", "Argo CD's own"),
    ("labels", "karpenter.sh/nodepool", "karpenter.sh", "Karpenter's own"),
    ("labels", "karpenter.azure.com/sku-family", "karpenter.azure.com", "Karpenter's own"),
    ("labels", "kubernetes.azure.com/mode", "kubernetes.azure.com", "AKS's own"),
])
def test_tenant_may_not_set_a_reserved_metadata_key(tmp_path: Path, field: str, key: str, prefix: str,
                                                    owner: str) -> None:
    text = tenant_yaml("beta", None, f"additionalMetadata:\n  {field}:\n    team: beta\n    {key}: x\n")
    noun = field[:-1]
    assert lines(build_tree(tmp_path, {BETA: text})) == [
        (f"{at(BETA, text, key)}: $.spec.additionalMetadata.{field}['{key}']: {noun} '{key}' uses the reserved "
         f"prefix '{prefix}' ({owner}); {RESERVED}"),
    ]


@pytest.mark.parametrize("key", ["example.com/runbook", "kubernetes.io.example.com/x", "notk8s.io/x", "tier",
                                 "platform.example.com.evil.com/x", "app.kubernetes.io/part-of"])
def test_keys_outside_the_reserved_prefixes_are_fine(tmp_path: Path, key: str) -> None:
    text = tenant_yaml("beta", None, f"additionalMetadata:\n  labels:\n    {key}: x\n")
    assert lines(build_tree(tmp_path, {BETA: text})) == []


def test_tier_and_cluster_defaults_may_set_reserved_keys(tmp_path: Path) -> None:
    tier = TIER_WITH_PLATFORM_LABEL
    cluster = CLUSTER_YAML + "    additionalMetadata:\n      annotations:\n        argocd.argoproj.io/managed-by: argocd\n"
    # The tenant adds its own label beside the inherited ones: only keys its file sets are its own.
    text = tenant_yaml("beta", None, "additionalMetadata:\n  labels:\n    team: beta\n")
    assert lines(build_tree(tmp_path, {TIER: tier, CLUSTER: cluster, BETA: text})) == []


def test_tenant_overriding_a_reserved_default_is_refused(tmp_path: Path) -> None:
    tier = TIER_WITH_PLATFORM_LABEL
    text = tenant_yaml("beta", None, "additionalMetadata:\n  labels:\n    platform.example.com/tier: playground\n")
    [finding] = findings(build_tree(tmp_path, {TIER: tier, BETA: text}))
    assert (finding.file, finding.code) == (shown(BETA), "reserved-metadata")


def test_validate_cli_fails_on_a_reserved_label(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = "pod-security.kubernetes.io/enforce"
    text = tenant_yaml("beta", None, f"additionalMetadata:\n  labels:\n    {key}: privileged\n")
    build_tree(tmp_path, {BETA: text})
    monkeypatch.chdir(tmp_path)
    result = run_cli(["validate", "tree"])
    assert result.exit_code == 1
    assert pos(text, key) == (14, 7)
    assert result.stdout.splitlines()[0].startswith(
        f"{at(BETA, text, key)}: $.spec.additionalMetadata.labels['{key}']: label '{key}' uses the reserved prefix")


def test_tenant_may_not_remove_an_inherited_reserved_key(tmp_path: Path) -> None:
    # A null in the tenant's file removes what the tier set: the platform's label is gone just the same.
    tier = TIER_WITH_PLATFORM_LABEL
    text = tenant_yaml("beta", None, "additionalMetadata:\n  labels:\n    platform.example.com/tier: null\n")
    [finding] = findings(build_tree(tmp_path, {TIER: tier, BETA: text}))
    assert (finding.file, finding.code) == (shown(BETA), "reserved-metadata")
    assert finding.message.endswith("the platform sets these, a tenant's file never removes one")
