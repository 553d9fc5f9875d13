"""The five Helm charts under charts/, rendered with the embedded engine, and the manifest validator.

Value sets live in charts/<chart>/ci/*-values.yaml (the chart-testing convention; `tenantgen lint` uses them too). Every render loads a fresh chart and closes it (a render
mutates the loaded chart, see docs of the embedded engine).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import helm_python
import pytest
from ruamel.yaml import YAML

from tenantgen.render import ManifestValidator, ObjectProblem
from tenantgen.yamlio.reader import load_rendered
from tests.support.upstream_crds import PROVIDER_CRD_FOLDERS, provider_crd_dirs

REPO_ROOT = Path(__file__).resolve().parents[1]
CHARTS = REPO_ROOT / "charts"
KUBE_VERSION = "1.31.0"
PREFIX = "platform.example.com"
POOL_KEY = f"{PREFIX}/node-pool"
CHART_NAMES = ["cluster-shared", "tenant", "tenant-post-install", "argocd-project", "karpenter-nodepool"]

# (chart, value set) pairs; every value file belongs to exactly one chart.
CASES = [
    ("tenant", "tenant-full"),
    ("tenant", "tenant-minimal"),
    ("tenant-post-install", "post-install-gatekeeper"),
    ("tenant-post-install", "post-install-kyverno"),
    ("tenant-post-install", "post-install-minimal"),
    ("argocd-project", "argocd-project-repo"),
    ("argocd-project", "argocd-project-no-repo"),
    ("argocd-project", "argocd-project-helm-repo"),
    ("karpenter-nodepool", "nodepool-role"),
    ("karpenter-nodepool", "nodepool-instance-profile"),
    ("karpenter-nodepool", "nodepool-azure"),
    ("cluster-shared", "cluster-shared"),
]

_yaml = YAML(typ="safe", pure=True)


def load_values(name: str) -> dict[str, Any]:
    (path,) = CHARTS.glob(f"*/ci/{name}-values.yaml")
    data = _yaml.load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def render_text(chart: str, values: dict[str, Any]) -> dict[str, str]:
    loaded = helm_python.Chart.load(CHARTS / chart)
    try:
        return loaded.render(copy.deepcopy(values), name="release", namespace="argocd")
    finally:
        loaded.close()


def render(chart: str, values: dict[str, Any]) -> list[dict[str, Any]]:
    """All objects the chart renders, in template-file order; empty documents dropped."""
    objects: list[dict[str, Any]] = []
    for path, text in sorted(render_text(chart, values).items()):
        if path.endswith("NOTES.txt"):
            continue
        objects.extend(doc for doc in _yaml.load_all(text) if doc)
    return objects


def by_kind(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objects if o["kind"] == kind]


def one(objects: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    found = by_kind(objects, kind)
    assert len(found) == 1, f"expected one {kind}, got {[o['metadata']['name'] for o in found]}"
    return found[0]


@pytest.fixture(scope="session")
def validator(upstream_crds: Path) -> ManifestValidator:
    return ManifestValidator.create(provider_crd_dirs(upstream_crds, "aws"), KUBE_VERSION)


@pytest.fixture(scope="session")
def provider_validators(upstream_crds: Path) -> dict[str, ManifestValidator]:
    """One validator per cloud: each loads its own provider's NodePool CRD (both define nodepools.karpenter.sh)."""
    return {provider: ManifestValidator.create(provider_crd_dirs(upstream_crds, provider), KUBE_VERSION)
            for provider in PROVIDER_CRD_FOLDERS}


# --- every chart, every value set -------------------------------------------------------------


def test_every_value_file_has_a_case() -> None:
    assert sorted(p.name.removesuffix("-values.yaml") for p in CHARTS.glob("*/ci/*-values.yaml")) == sorted(
        v for _, v in CASES)


@pytest.mark.parametrize(("chart", "values_name"), CASES)
def test_objects_validate_against_schemas(provider_validators: dict[str, ManifestValidator], chart: str,
                                         values_name: str) -> None:
    values = load_values(values_name)
    validator = provider_validators[values["context"]["account"]["provider"]]
    objects = render(chart, values)
    assert objects
    problems = {f"{o['kind']}/{o['metadata']['name']}": validator.check(o) for o in objects}
    assert {name: found for name, found in problems.items() if found} == {}


@pytest.mark.parametrize(("chart", "values_name"), CASES)
def test_objects_carry_common_labels(chart: str, values_name: str) -> None:
    values = load_values(values_name)
    for obj in render(chart, values):
        labels = obj["metadata"]["labels"]
        assert labels["app.kubernetes.io/managed-by"] == "tenantgen"
        assert labels["app.kubernetes.io/part-of"] == "tenantgen"
        assert labels["helm.sh/chart"] == f"{chart}-0.1.0"
        if chart not in ("karpenter-nodepool", "cluster-shared"):  # shared, not a tenant's
            tenant = values["project"]["tenant"] if chart == "argocd-project" else values["tenant"]["name"]
            assert labels[f"{PREFIX}/tenant"] == tenant


@pytest.mark.parametrize(("chart", "values_name"), CASES)
def test_render_is_byte_deterministic(chart: str, values_name: str) -> None:
    values = load_values(values_name)
    assert render_text(chart, values) == render_text(chart, values)


@pytest.mark.parametrize("chart", CHART_NAMES)
def test_lint_reports_no_errors(chart: str) -> None:
    report = helm_python.lint(CHARTS / chart, quiet=True)
    errors = [m for m in report["messages"] if m["severity"] >= 3]
    assert errors == [] and report["errors"] == []


@pytest.mark.parametrize(("chart", "values_name"), CASES)
def test_lint_with_values_reports_no_warnings(chart: str, values_name: str) -> None:
    report = helm_python.lint(CHARTS / chart, load_values(values_name), strict=True, quiet=True)
    assert [m for m in report["messages"] if m["severity"] >= 2] == []
    assert report["errors"] == []


def test_charts_share_the_context_schema_and_common_helpers() -> None:
    schemas = [json.loads((CHARTS / c / "values.schema.json").read_text()) for c in CHART_NAMES]
    shared = ["context", "dnsLabel", "labelValue", "stringMap", "quantity", "cpuMemory"]
    for name in shared:
        assert all(s["$defs"][name] == schemas[0]["$defs"][name] for s in schemas), name

    def common_block(chart: str) -> str:
        text = (CHARTS / chart / "templates" / "_helpers.tpl").read_text()
        return text.split("{{/*\nHelpers of the ")[0]

    assert len({common_block(c) for c in CHART_NAMES}) == 1


@pytest.mark.parametrize("chart", CHART_NAMES)
def test_chart_metadata(chart: str) -> None:
    meta = _yaml.load((CHARTS / chart / "Chart.yaml").read_text())
    assert (meta["apiVersion"], meta["name"], meta["version"], meta["appVersion"]) == (
        "v2",
        chart,
        "0.1.0",
        "0.1.0",
    )


# --- values contract: schema and required values ----------------------------------------------


@pytest.mark.parametrize(("chart", "values_name"), [CASES[0], CASES[2], CASES[5], CASES[8], CASES[10]])
def test_schema_rejects_unknown_keys_and_nulls(chart: str, values_name: str) -> None:
    values = load_values(values_name)
    values["context"]["cluster"]["kubeVersoin"] = "1.31.0"
    with pytest.raises(helm_python.HelmValuesError, match="kubeVersoin"):
        render(chart, values)
    values = load_values(values_name)
    values["context"]["source"] = None
    with pytest.raises(helm_python.HelmValuesError, match="source"):
        render(chart, values)


@pytest.mark.parametrize(
    ("chart", "values_name", "path", "message"),
    [
        ("tenant", "tenant-full", ("tenant", "name"), "tenant.name is required"),
        ("tenant", "tenant-full", ("context", "labelPrefix"), "context.labelPrefix is required"),
        ("tenant-post-install", "post-install-kyverno", ("tenant", "defaultNamespace"), "is required"),
        ("argocd-project", "argocd-project-repo", ("project", "rootApp", "repoURL"), "repoURL is required"),
        ("karpenter-nodepool", "nodepool-role", ("nodePool", "costCode"), "costCode is required"),
        ("karpenter-nodepool", "nodepool-role", ("karpenter", "amiAlias"), "amiAlias is required"),
    ],
)
def test_missing_required_value_names_it(
    chart: str, values_name: str, path: tuple[str, ...], message: str
) -> None:
    values = load_values(values_name)
    parent = values
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = ""
    with pytest.raises(helm_python.HelmRenderError, match=re.escape(message)):
        render(chart, values)


def test_optional_values_may_be_omitted() -> None:
    """tenantgen leaves optional keys out (never null: the schema rejects null)."""
    values = load_values("tenant-minimal")
    for key in ("resources", "limitRange", "contact", "additionalMetadata", "costCenter", "nodePool"):
        del values["tenant"][key]
    assert "nodeSelector" not in one(render("tenant", values), "Tenant")["spec"]

    values = load_values("argocd-project-repo")
    del values["project"]["roles"][0]["description"]
    assert len(render("argocd-project", values)) == 3

    values = load_values("nodepool-role")
    for key in ("weight", "labels", "tags", "limits"):
        del values["nodePool"][key]
    pool = one(render("karpenter-nodepool", values), "NodePool")
    assert "weight" not in pool["spec"] and "limits" not in pool["spec"]


# --- tenant -------------------------------------------------------------------------------------


def test_tenant_full_renders_every_option() -> None:
    values = load_values("tenant-full")
    tenant = one(render("tenant", values), "Tenant")
    spec = tenant["spec"]
    assert tenant["apiVersion"] == "capsule.clastix.io/v1beta2"
    assert "namespace" not in tenant["metadata"]  # cluster-scoped
    assert spec["forceTenantPrefix"] is True
    assert spec["nodeSelector"] == {POOL_KEY: "apps"}
    assert spec["namespaceOptions"]["quota"] == 10

    owners = spec["owners"]
    assert [(o["kind"], o["name"]) for o in owners] == [
        ("Group", "payments-admins"),
        ("User", "alice@example.com"),
    ]
    assert owners[0]["clusterRoles"] == ["admin", "capsule-namespace-deleter"]
    assert "clusterRoles" not in owners[1]  # Capsule's default applies
    for owner in owners:
        assert owner["proxySettings"] == [
            {"kind": kind, "operations": ["List"]} for kind in ("Nodes", "StorageClasses", "IngressClasses")
        ]

    ingress = spec["ingressOptions"]
    regex = values["tenant"]["ingress"]["hostnameRegex"]
    assert ingress["allowedHostnames"]["allowedRegex"] == regex
    assert regex.startswith("^") and regex.endswith("$")
    assert re.fullmatch(regex, "foo.payments.example.com")
    assert not re.search(regex, "evil.com.payments.example.com.attacker.net")
    assert ingress["allowedHostnames"]["allowed"] == values["tenant"]["ingress"]["hostnames"]
    assert ingress["allowedClasses"] == {"allowed": ["nginx-internal"]}
    assert ingress["hostnameCollisionScope"] == "Cluster"
    assert spec["serviceOptions"]["allowedServices"] == {
        "nodePort": False,
        "loadBalancer": True,
        "externalName": False,
    }

    assert spec["resourceQuotas"] == {
        "scope": "Tenant",
        "items": [
            {
                "hard": {
                    "requests.cpu": "8",
                    "requests.memory": "16Gi",
                    "limits.cpu": "16",
                    "limits.memory": "32Gi",
                }
            }
        ],
    }
    (limit,) = spec["limitRanges"]["items"][0]["limits"]
    assert limit["type"] == "Container"
    assert limit["default"] == {"cpu": "500m", "memory": "512Mi"}
    assert limit["max"] == {"cpu": "4", "memory": "8Gi"}


def test_tenant_metadata_is_stamped_on_namespaces_and_services() -> None:
    spec = one(render("tenant", load_values("tenant-full")), "Tenant")["spec"]
    on_namespaces = spec["namespaceOptions"]["additionalMetadata"]
    on_services = spec["serviceOptions"]["additionalMetadata"]
    assert on_services["annotations"] == on_namespaces["annotations"]
    assert on_services["labels"] == {
        f"{PREFIX}/tenant": "payments",  # the user's attempt to override it is ignored
        f"{PREFIX}/cost-center": "CC-4711",
        "team": "payments",
    }
    # Namespaces also get the Pod Security labels (tests/test_tenant_policy.py).
    assert on_namespaces["labels"] == {**on_services["labels"], "pod-security.kubernetes.io/enforce": "restricted",
                                       "pod-security.kubernetes.io/warn": "restricted",
                                       "pod-security.kubernetes.io/audit": "restricted"}
    assert on_namespaces["annotations"] == {
        f"{PREFIX}/contact-slack": "#payments",
        f"{PREFIX}/contact-email": "payments@example.com",
        f"{PREFIX}/generated-by": "tenantgen 0.1.0",
        f"{PREFIX}/source": "tiers/prod/prod-aws/prod-euw1/tenants/payments.yaml",
        "example.com/runbook": "https://runbooks.example.com/payments",
    }


# Strings YAML could read as something else, or not at all, written bare: each must come back as itself.
TRICKY_STRINGS = ["yes", "on", "NO", "null", "~", "", "123", "0x1F", "1e3", "0o17", ".inf", "2024-01-02",
                  "12:30:00", "a: b", "# not a comment", "- dash", "? key", "[flow]", "{map}", "*alias", "&anchor",
                  "!tag", "@at", "`tick", "%percent", "|", ">", "'single'", 'say "hi"', "back\\slash",
                  "two\nlines", "tab\there", " padded ", "ünïcode ✓", "<&>", "\u2028"]


def test_maps_and_lists_of_strings_read_back_as_given() -> None:
    """Lists and maps are written with toJson per scalar (not toYaml): whatever a string holds, YAML
    readers give it back as the same string."""
    values = load_values("tenant-full")
    annotations = {f"example.com/a{number}": text for number, text in enumerate(TRICKY_STRINGS)}
    values["tenant"]["additionalMetadata"]["annotations"] = annotations
    roles = [text for text in TRICKY_STRINGS if text]  # (a role name is never empty)
    values["tenant"]["owners"][0]["clusterRoles"] = roles
    spec = one(render("tenant", values), "Tenant")["spec"]
    stamped = spec["namespaceOptions"]["additionalMetadata"]["annotations"]
    assert {key: stamped[key] for key in annotations} == annotations
    assert spec["owners"][0]["clusterRoles"] == roles
    # tenantgen's own reader of rendered output (yaml_rs or libyaml, by its screens) agrees.
    (text,) = (text for path, text in render_text("tenant", values).items() if path.endswith("tenant.yaml"))
    (body,) = load_rendered(text)
    assert body["spec"] == spec


def test_tenant_network_policy_admits_own_and_platform_namespaces_only() -> None:
    spec = one(render("tenant", load_values("tenant-full")), "Tenant")["spec"]
    (policy,) = spec["networkPolicies"]["items"]
    assert policy["policyTypes"] == ["Ingress"]
    assert policy["podSelector"] == {}
    (rule,) = policy["ingress"]
    assert rule["from"] == [
        {"namespaceSelector": {"matchLabels": {"capsule.clastix.io/tenant": "payments"}}},
        {
            "namespaceSelector": {
                "matchExpressions": [
                    {
                        "key": "kubernetes.io/metadata.name",
                        "operator": "In",
                        "values": ["ingress-nginx", "monitoring", "argocd"],
                    }
                ]
            }
        },
    ]


def test_tenant_minimal_renders_no_pinning_quota_or_hostnames() -> None:
    spec = one(render("tenant", load_values("tenant-minimal")), "Tenant")["spec"]
    assert "nodeSelector" not in spec
    assert "resourceQuotas" not in spec
    assert "limitRanges" not in spec
    labels = spec["namespaceOptions"]["additionalMetadata"]["labels"]
    assert labels == {f"{PREFIX}/tenant": "sandbox"}
    annotations = spec["namespaceOptions"]["additionalMetadata"]["annotations"]
    assert not any("contact" in key for key in annotations)
    # Fail closed: an absent list would let the tenant use any class or hostname.
    assert spec["ingressOptions"]["allowedHostnames"] == {"allowed": []}
    assert spec["ingressOptions"]["allowedClasses"] == {"allowed": []}
    # No platform namespaces on this cluster: only the tenant's own namespaces may connect.
    (rule,) = spec["networkPolicies"]["items"][0]["ingress"]
    assert rule["from"] == [{"namespaceSelector": {"matchLabels": {"capsule.clastix.io/tenant": "sandbox"}}}]


def test_tenant_partial_resources_render_only_what_is_set() -> None:
    values = load_values("tenant-minimal")
    values["tenant"]["resources"] = {"limits": {"memory": "4Gi"}}
    values["tenant"]["limitRange"] = {"defaultRequest": {"cpu": "50m"}}
    spec = one(render("tenant", values), "Tenant")["spec"]
    assert spec["resourceQuotas"]["items"] == [{"hard": {"limits.memory": "4Gi"}}]
    assert spec["limitRanges"]["items"][0]["limits"] == [
        {"type": "Container", "defaultRequest": {"cpu": "50m"}}
    ]


def test_tenant_rejects_unanchored_hostname_regex() -> None:
    values = load_values("tenant-full")
    values["tenant"]["ingress"]["hostnameRegex"] = r"api\.payments\.example\.com"
    with pytest.raises(helm_python.HelmRenderError, match="must be anchored"):
        render("tenant", values)


# --- tenant-post-install ------------------------------------------------------------------------


def test_post_install_gatekeeper_pins_pods_with_two_assigns() -> None:
    objects = render("tenant-post-install", load_values("post-install-gatekeeper"))
    assert by_kind(objects, "ClusterPolicy") == []
    assigns = {a["metadata"]["name"]: a["spec"] for a in by_kind(objects, "Assign")}
    assert sorted(assigns) == ["payments-node-pool-selector", "payments-node-pool-toleration"]
    for spec in assigns.values():
        assert spec["applyTo"] == [{"groups": [""], "kinds": ["Pod"], "versions": ["v1"]}]
        assert spec["match"]["namespaceSelector"] == {
            "matchLabels": {"capsule.clastix.io/tenant": "payments"}
        }
        assert spec["match"]["kinds"] == [{"apiGroups": [""], "kinds": ["Pod"]}]
    selector = assigns["payments-node-pool-selector"]
    assert selector["location"] == f'spec.nodeSelector."{POOL_KEY}"'
    assert selector["parameters"]["assign"]["value"] == "apps"
    toleration = assigns["payments-node-pool-toleration"]
    assert toleration["location"] == f'spec.tolerations[key: "{POOL_KEY}"]'
    assert toleration["parameters"]["assign"]["value"] == {
        "key": POOL_KEY,
        "operator": "Equal",
        "value": "apps",
        "effect": "NoSchedule",
    }


def test_post_install_kyverno_pins_pods_with_one_cluster_policy() -> None:
    objects = render("tenant-post-install", load_values("post-install-kyverno"))
    assert by_kind(objects, "Assign") == []
    policy = one(objects, "ClusterPolicy")
    assert policy["metadata"]["name"] == "payments-node-pool"
    # Only Pods are mutated: mutating Deployments & co. would show as drift in Argo CD.
    assert policy["metadata"]["annotations"]["pod-policies.kyverno.io/autogen-controllers"] == "none"
    rules = {r["name"]: r for r in policy["spec"]["rules"]}
    for rule in rules.values():
        (match,) = rule["match"]["any"]
        assert match["resources"]["kinds"] == ["Pod"]
        assert match["resources"]["namespaceSelector"] == {
            "matchLabels": {"capsule.clastix.io/tenant": "payments"}
        }
    merge = rules["node-selector"]["mutate"]["patchStrategicMerge"]
    assert merge == {"spec": {"nodeSelector": {POOL_KEY: "apps"}}}
    toleration_rule = rules["toleration"]
    (patch,) = _yaml.load(toleration_rule["mutate"]["patchesJson6902"])
    assert patch == {
        "op": "add",
        "path": "/spec/tolerations/-",
        "value": {"key": POOL_KEY, "operator": "Equal", "value": "apps", "effect": "NoSchedule"},
    }
    (condition,) = toleration_rule["preconditions"]["all"]
    assert condition["key"] == POOL_KEY
    # Kyverno's own variable survives Helm templating verbatim.
    assert condition["value"] == "{{ request.object.spec.tolerations[].key || `[]` }}"


def test_post_install_default_namespace_and_readers() -> None:
    objects = render("tenant-post-install", load_values("post-install-gatekeeper"))
    namespace = one(objects, "Namespace")
    assert namespace["metadata"]["name"] == "payments-default"
    assert namespace["metadata"]["labels"]["capsule.clastix.io/tenant"] == "payments"
    binding = one(objects, "RoleBinding")
    assert binding["metadata"]["name"] == "payments-readers"
    assert binding["metadata"]["namespace"] == "payments-default"
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": "view",
    }
    assert [(s["kind"], s["name"]) for s in binding["subjects"]] == [
        ("Group", "payments-readers"),
        ("Group", "auditors"),
    ]
    # The facts reach every tenant namespace through Capsule (tests/test_tenant_policy.py), not this chart.
    assert by_kind(objects, "ConfigMap") == []


def test_post_install_minimal_has_no_binding_and_no_pinning() -> None:
    objects = render("tenant-post-install", load_values("post-install-minimal"))
    assert sorted(o["kind"] for o in objects) == ["Namespace"]


def test_post_install_default_namespace_must_carry_tenant_prefix() -> None:
    values = load_values("post-install-gatekeeper")
    values["tenant"]["defaultNamespace"] = "default"
    with pytest.raises(helm_python.HelmRenderError, match='must start with "payments-"'):
        render("tenant-post-install", values)


def test_pinning_matches_the_node_pool_taint_and_tenant_selector() -> None:
    taints = one(render("karpenter-nodepool", load_values("nodepool-role")), "NodePool")["spec"]["template"][
        "spec"
    ]["taints"]
    assert taints == [{"key": POOL_KEY, "value": "apps", "effect": "NoSchedule"}]
    gatekeeper = render("tenant-post-install", load_values("post-install-gatekeeper"))
    toleration = next(
        a["spec"]["parameters"]["assign"]["value"]
        for a in by_kind(gatekeeper, "Assign")
        if a["metadata"]["name"].endswith("toleration")
    )
    assert {k: toleration[k] for k in ("key", "value", "effect")} == taints[0]
    tenant = one(render("tenant", load_values("tenant-full")), "Tenant")
    assert tenant["spec"]["nodeSelector"] == {taints[0]["key"]: taints[0]["value"]}


# --- argocd-project -----------------------------------------------------------------------------


def test_argocd_project_restricts_destinations_and_resources() -> None:
    objects = render("argocd-project", load_values("argocd-project-repo"))
    project = one(objects, "AppProject")
    assert project["metadata"]["namespace"] == "argocd"
    spec = project["spec"]
    assert spec["description"] == "Payments team"
    assert spec["sourceRepos"] == ["https://github.com/example-org/payments-*"]
    assert spec["destinations"] == [{"server": "https://kubernetes.default.svc", "namespace": "payments-*"}]
    # Apps in any namespace: the tenant's Applications, in its own namespaces, may use the project.
    assert spec["sourceNamespaces"] == ["payments-*"]
    assert spec["clusterResourceWhitelist"] == []
    assert spec["namespaceResourceBlacklist"] == [
        {"group": "", "kind": "ResourceQuota"},
        {"group": "", "kind": "LimitRange"},
        {"group": "networking.k8s.io", "kind": "NetworkPolicy"},
    ]
    assert spec["orphanedResources"] == {"warn": True}
    roles = {r["name"]: r for r in spec["roles"]}
    assert "description" not in roles["deployer"]
    assert roles["deployer"]["groups"] == ["payments-admins"]
    assert roles["viewer"]["description"] == "Read-only access"


def test_argocd_repository_secret_never_carries_credentials() -> None:
    objects = render("argocd-project", load_values("argocd-project-repo"))
    secret = one(objects, "Secret")
    assert secret["metadata"]["name"] == "payments-repo"
    assert secret["metadata"]["namespace"] == "argocd"
    assert secret["metadata"]["labels"]["argocd.argoproj.io/secret-type"] == "repository"
    assert secret["metadata"]["annotations"] == {f"{PREFIX}/credentials-secret": "payments-repo-creds"}
    assert "data" not in secret
    assert secret["stringData"] == {
        "type": "git",
        "url": "https://github.com/example-org/payments-deploy.git",
        "project": "payments",
    }
    text = "".join(render_text("argocd-project", load_values("argocd-project-repo")).values())
    for credential_key in ("password", "username", "sshPrivateKey", "githubAppPrivateKey", "bearerToken"):
        assert credential_key not in text


def test_argocd_helm_repository_has_a_name_and_no_credentials_annotation() -> None:
    secret = one(render("argocd-project", load_values("argocd-project-helm-repo")), "Secret")
    assert secret["stringData"]["name"] == "payments-charts"
    assert secret["stringData"]["type"] == "helm"
    assert "annotations" not in secret["metadata"]
    values = load_values("argocd-project-helm-repo")
    values["project"]["repository"]["name"] = ""
    with pytest.raises(helm_python.HelmRenderError, match="required for helm repositories"):
        render("argocd-project", values)


def test_argocd_project_without_repository_has_no_secret() -> None:
    objects = render("argocd-project", load_values("argocd-project-no-repo"))
    assert sorted(o["kind"] for o in objects) == ["AppProject", "Application"]
    spec = one(objects, "AppProject")["spec"]
    assert "description" not in spec and "roles" not in spec


def test_argocd_root_application_is_app_of_apps() -> None:
    app = one(render("argocd-project", load_values("argocd-project-repo")), "Application")
    assert app["metadata"]["name"] == "payments-root"
    # In the tenant's default namespace, not Argo CD's: the children it creates are the tenant's.
    assert app["metadata"]["namespace"] == "payments-default"
    assert app["metadata"]["finalizers"] == ["resources-finalizer.argocd.argoproj.io"]
    assert app["spec"] == {
        "project": "payments",
        "source": {
            "repoURL": "https://github.com/example-org/payments-deploy.git",
            "path": "clusters/prod-euw1",
            "targetRevision": "main",
        },
        "destination": {"server": "https://kubernetes.default.svc", "namespace": "payments-default"},
        "syncPolicy": {"automated": {"prune": True, "selfHeal": True}},
    }


def test_argocd_role_policy_must_name_its_own_role() -> None:
    values = load_values("argocd-project-repo")
    values["project"]["roles"][0]["policies"] = ["p, proj:other:deployer, applications, sync, other/*, allow"]
    with pytest.raises(helm_python.HelmRenderError, match="proj:payments:deployer"):
        render("argocd-project", values)


# --- karpenter-nodepool -------------------------------------------------------------------------


def test_nodepool_with_role() -> None:
    objects = render("karpenter-nodepool", load_values("nodepool-role"))
    pool = one(objects, "NodePool")
    assert pool["metadata"]["name"] == "apps"
    template = pool["spec"]["template"]
    # The pool's own labels win over nodePool.labels.
    assert template["metadata"]["labels"] == {
        POOL_KEY: "apps",
        f"{PREFIX}/cost-code": "CC-1000",
        "workload": "general",
    }
    assert template["spec"]["nodeClassRef"] == {
        "group": "karpenter.k8s.aws",
        "kind": "EC2NodeClass",
        "name": "apps",
    }
    assert template["spec"]["requirements"] == [
        {"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["on-demand"]},
        {"key": "node.kubernetes.io/instance-type", "operator": "In", "values": ["m6i.large", "m6i.xlarge"]},
        {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64", "arm64"]},
    ]
    assert template["spec"]["expireAfter"] == "720h"
    assert pool["spec"]["disruption"] == {
        "consolidationPolicy": "WhenEmptyOrUnderutilized",
        "consolidateAfter": "600s",
    }
    assert pool["spec"]["limits"] == {"cpu": "200", "memory": "800Gi"}
    assert pool["spec"]["weight"] == 10

    node_class = one(objects, "EC2NodeClass")["spec"]
    assert node_class["role"] == "KarpenterNodeRole-prod-euw1"
    assert "instanceProfile" not in node_class
    assert node_class["amiSelectorTerms"] == [{"alias": "al2023@latest"}]
    assert node_class["subnetSelectorTerms"] == [{"tags": {"karpenter.sh/discovery": "prod-euw1"}}]
    assert node_class["securityGroupSelectorTerms"] == [{"tags": {"karpenter.sh/discovery": "prod-euw1"}}]
    assert node_class["tags"] == {
        "CostCode": "CC-1000",
        "Project": "prod",
        "NodePool": "apps",
        "Team": "platform",
    }
    assert node_class["kubelet"] == {"clusterDNS": ["172.20.0.10"]}


def test_nodepool_with_instance_profile_and_no_optionals() -> None:
    objects = render("karpenter-nodepool", load_values("nodepool-instance-profile"))
    pool = one(objects, "NodePool")["spec"]
    keys = [r["key"] for r in pool["template"]["spec"]["requirements"]]
    assert keys == ["karpenter.sh/capacity-type", "kubernetes.io/arch"]
    assert "limits" not in pool and "weight" not in pool
    node_class = one(objects, "EC2NodeClass")["spec"]
    assert node_class["instanceProfile"] == "KarpenterNodeInstanceProfile-prod-euw1"
    assert "role" not in node_class and "kubelet" not in node_class


@pytest.mark.parametrize(("role", "profile"), [("r", "p"), ("", "")])
def test_nodepool_needs_exactly_one_of_role_and_instance_profile(role: str, profile: str) -> None:
    values = load_values("nodepool-role")
    values["karpenter"].update(role=role, instanceProfile=profile)
    with pytest.raises(helm_python.HelmRenderError, match="exactly one of karpenter.role"):
        render("karpenter-nodepool", values)


# --- the embedded engine's private kube_version option ------------------------------------------


def test_native_render_honours_kube_version(tmp_path: Path) -> None:
    chart_dir = tmp_path / "kv"
    (chart_dir / "templates").mkdir(parents=True)
    (chart_dir / "Chart.yaml").write_text("apiVersion: v2\nname: kv\nversion: 0.1.0\n")
    (chart_dir / "templates" / "cm.yaml").write_text(
        "kubeVersion: {{ .Capabilities.KubeVersion.Version }}\nrelease: {{ .Release.Name }}/{{ .Release.Namespace }}\n"
    )
    chart = helm_python.Chart.load(chart_dir)
    try:
        options = {"kube_version": "v1.31.0", "name": "rel", "namespace": "ns"}
        raw = helm_python._native.call_string(
            "helm_render", chart._raw(), json.dumps({}), json.dumps(options)
        )
    finally:
        chart.close()
    assert json.loads(raw) == {"kv/templates/cm.yaml": "kubeVersion: v1.31.0\nrelease: rel/ns\n"}


# --- ManifestValidator --------------------------------------------------------------------------


def _tenant(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "capsule.clastix.io/v1beta2",
        "kind": "Tenant",
        "metadata": {"name": "t"},
        "spec": spec,
    }


def test_validator_names_unknown_field_in_crd_object(validator: ManifestValidator) -> None:
    problems = validator.check(_tenant(owners=[{"kind": "Group", "name": "g", "clusterRolez": ["admin"]}]))
    assert len(problems) == 1
    assert problems[0].path == "$.spec.owners[0].clusterRolez"
    assert "unknown field" in problems[0].message and "clusterRoles" in problems[0].message


def test_validator_reports_wrong_enum_and_type(validator: ManifestValidator) -> None:
    problems = validator.check(_tenant(owners=[{"kind": "Team", "name": "g"}], forceTenantPrefix="yes"))
    by_path = {p.path: p.message for p in problems}
    assert "User" in by_path["$.spec.owners[0].kind"]
    assert by_path["$.spec.forceTenantPrefix"] == "expected boolean, got 'yes'"


def test_validator_reports_missing_required_field_at_its_path(validator: ManifestValidator) -> None:
    problems = validator.check(_tenant(owners=[{"kind": "Group"}]))
    assert problems == [ObjectProblem("$.spec.owners[0].name", "required field is missing")]


def test_validator_accepts_int_or_string_and_reports_both_types(validator: ManifestValidator) -> None:
    hard = {"requests.cpu": 8, "limits.memory": "1Gi"}
    assert validator.check(_tenant(resourceQuotas={"items": [{"hard": hard}]})) == []
    problems = validator.check(_tenant(resourceQuotas={"items": [{"hard": {"pods": [1]}}]}))
    assert problems == [
        ObjectProblem("$.spec.resourceQuotas.items[0].hard.pods", "expected integer or string, got [1]")
    ]


def test_validator_checks_metadata_of_custom_objects(validator: ManifestValidator) -> None:
    obj = _tenant()
    obj["metadata"]["labels"] = {"a.example.com/b": 1}
    (problem,) = validator.check(obj)
    assert problem.path == '$.metadata.labels["a.example.com/b"]'


def test_validator_rejects_core_object_with_wrong_type(validator: ManifestValidator) -> None:
    problems = validator.check(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": 5}
    )
    assert problems == [ObjectProblem("$.data", "expected object or null, got 5")]


def test_validator_is_strict_for_core_objects(validator: ManifestValidator) -> None:
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "lables": {}}, "data": {}}
    (problem,) = validator.check(obj)
    assert problem.path == "$.metadata.lables"


def test_validator_truncates_long_values(validator: ManifestValidator) -> None:
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": ["x" * 5000]}
    (problem,) = validator.check(obj)
    assert len(problem.message) < 300


def test_validator_reports_unknown_kind_and_where_it_looked(validator: ManifestValidator,
                                                            upstream_crds: Path) -> None:
    problems = validator.check({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}})
    assert len(problems) == 1
    assert problems[0].path == "$"
    assert "unknown kind Widget" in problems[0].message
    assert str(upstream_crds) in problems[0].message and "1.31" in problems[0].message
    # A look-alike of a core group is not mistaken for it.
    (look_alike,) = validator.check(
        {"apiVersion": "apps.example.com/v1", "kind": "Deployment", "metadata": {}}
    )
    assert "unknown kind Deployment" in look_alike.message


def test_validator_reports_unserved_crd_version(validator: ManifestValidator) -> None:
    (problem,) = validator.check({"apiVersion": "capsule.clastix.io/v1", "kind": "Tenant", "metadata": {}})
    assert "v1beta2" in problem.message and "capsule.clastix.io_tenants.yaml" in problem.message


def test_validator_picks_newest_bundled_minor_not_newer_than_cluster(tmp_path: Path) -> None:
    newer = ManifestValidator.create([tmp_path], "1.99.3")
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}
    assert newer.check(cm) == []
    with pytest.raises(ValueError, match="no schemas for Kubernetes 1.10"):
        ManifestValidator.create([tmp_path], "v1.10.0")
    with pytest.raises(ValueError, match="not like"):
        ManifestValidator.create([tmp_path], "latest")


def test_validator_reads_multi_document_crd_files(tmp_path: Path) -> None:
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "names": {"kind": "Widget", "plural": "widgets"},
            "scope": "Namespaced",
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {
                                "spec": {
                                    "type": "object",
                                    "properties": {
                                        "size": {"type": "integer", "nullable": True},
                                        "free": {
                                            "type": "object",
                                            "x-kubernetes-preserve-unknown-fields": True,
                                        },
                                    },
                                }
                            },
                        }
                    },
                }
            ],
        },
    }
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "crds.yml").write_text("kind: ConfigMap\n---\n" + json.dumps(crd) + "\n")
    checker = ManifestValidator.create([tmp_path], KUBE_VERSION)
    widget: dict[str, Any] = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    widget["spec"] = {"size": None, "free": {"anything": [1, 2]}}
    assert checker.check(widget) == []
    widget["spec"] = {"size": "big", "colour": "red"}
    problems = {p.path: p.message for p in checker.check(widget)}
    assert set(problems) == {"$.spec.size", "$.spec.colour"}
    assert problems["$.spec.size"] == "expected integer or null, got 'big'"


def iter_all_objects() -> Iterator[tuple[str, dict[str, Any]]]:
    for chart, values_name in CASES:
        for obj in render(chart, load_values(values_name)):
            yield values_name, obj


def test_object_names_are_unique_per_render() -> None:
    seen: dict[str, set[tuple[str, str, str]]] = {}
    for values_name, obj in iter_all_objects():
        key = (obj["kind"], obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
        assert key not in seen.setdefault(values_name, set())
        seen[values_name].add(key)


def test_validator_reports_missing_crd_directory_and_bad_yaml(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does-not-exist"):
        ManifestValidator.create([tmp_path / "does-not-exist"], KUBE_VERSION)
    (tmp_path / "broken.yaml").write_text("kind: [unclosed\n")
    with pytest.raises(ValueError, match="broken.yaml: not valid YAML"):
        ManifestValidator.create([tmp_path], KUBE_VERSION)


def test_validator_has_schema(validator: ManifestValidator, tmp_path: Path) -> None:
    tenant = _tenant()
    config_map = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}
    assert validator.has_schema(tenant) and validator.has_schema(config_map)
    assert not validator.has_schema({"apiVersion": "example.com/v1", "kind": "Widget"})
    assert not validator.has_schema({"kind": "ConfigMap"})
    core_only = ManifestValidator.create([], KUBE_VERSION)
    assert core_only.has_schema(config_map) and not core_only.has_schema(tenant)


def test_quantities_may_be_whole_numbers() -> None:
    values = load_values("tenant-minimal")
    values["tenant"]["resources"] = {"requests": {"cpu": 8}}
    spec = one(render("tenant", values), "Tenant")["spec"]
    assert spec["resourceQuotas"]["items"] == [{"hard": {"requests.cpu": 8}}]
    values["tenant"]["resources"] = {"requests": {"cpu": 0.5}}
    with pytest.raises(helm_python.HelmValuesError, match="requests/cpu"):
        render("tenant", values)
