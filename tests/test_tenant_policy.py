"""Tenant policy (issue 21): host names beyond Ingress, cluster facts in every tenant namespace,
PriorityClasses/StorageClasses and Pod Security, from the tree to the rendered objects and the
rules the API server and Capsule apply to them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tenantgen.validate.hostnames import hostname_regex
from tenantgen.yamlio import load_all
from tests.helpers import run_cli
from tests.support.admission import refusals, resource_matched, selector_matches
from tests.support.upstream_crds import scoped_crds_args
from tests.test_charts import load_values, one, render
from tests.test_guard import guard, rules
from tests.trees import (
    ALPHA,
    BETA,
    CLUSTER,
    CLUSTER_YAML,
    TIER,
    TIER_YAML,
    build_tree,
    findings,
    pos,
    shown,
    tenant_yaml,
)

# The tenant's own names, a wildcard, and the name the tier authorizes for every tenant.
OWNED = ["a.example.com", "*.b.example.com", "payments.tenants.prod-euw1.k8s.example.com"]


def policy() -> dict[str, Any]:
    return one(render("cluster-shared", load_values("cluster-shared")), "ValidatingAdmissionPolicy")


def tenant_objects(hostnames: list[str]) -> list[dict[str, Any]]:
    values = load_values("tenant-full")
    values["tenant"]["ingress"]["hostnames"] = hostnames
    values["tenant"]["ingress"]["hostnameRegex"] = hostname_regex(hostnames)
    return render("tenant", values)


def params(hostnames: list[str]) -> dict[str, Any]:
    return one(tenant_objects(hostnames), "ConfigMap")


def certificate(**spec: Any) -> dict[str, Any]:
    return {"apiVersion": "cert-manager.io/v1", "kind": "Certificate", "metadata": {"name": "web", "namespace": "payments-api"},
            "spec": {"secretName": "web-tls", "issuerRef": {"name": "letsencrypt"}, **spec}}


def route(kind: str, hostnames: list[str]) -> dict[str, Any]:
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": kind, "metadata": {"name": "web", "namespace": "payments-api"},
            "spec": {"parentRefs": [{"name": "gateway", "namespace": "ingress"}], "hostnames": hostnames}}


ROUTES = ["HTTPRoute", "GRPCRoute", "TLSRoute"]
ADMITTED_NAMES = ["a.example.com", "x.b.example.com", "*.b.example.com", "payments.tenants.prod-euw1.k8s.example.com"]
# What the Ingress regex refuses: look-alike suffixes and prefixes, a wildcard over two labels, the bare
# parent of a wildcard, another tenant's name, another wildcard, case and trailing-dot variants.
REFUSED_NAMES = ["a.example.com.evil.com", "xa.example.com", "x.a.example.com", "y.x.b.example.com", "b.example.com",
                 "checkout.example.com", "*.example.com", "A.example.com", "a.example.com.", "aXexample.com",
                 "checkout.tenants.prod-euw1.k8s.example.com", ""]


# --- 1. host names beyond Ingress -------------------------------------------------------------------


@pytest.mark.parametrize("name", ADMITTED_NAMES)
def test_owned_names_are_admitted_on_certificates_and_routes(name: str) -> None:
    rule, param = policy(), params(OWNED)
    assert refusals(rule, param, certificate(dnsNames=[name])) == []
    if not name.startswith("*"):
        assert refusals(rule, param, certificate(commonName=name, dnsNames=[name])) == []
    for kind in ROUTES:
        assert refusals(rule, param, route(kind, [name])) == [], kind


@pytest.mark.parametrize("name", REFUSED_NAMES)
def test_names_the_tenant_does_not_own_are_refused(name: str) -> None:
    rule, param = policy(), params(OWNED)
    expected = [f"Certificate web names a host name that is not one of the tenant's: {', '.join(OWNED)}"]
    assert refusals(rule, param, certificate(dnsNames=["a.example.com", name])) == expected
    assert refusals(rule, param, certificate(commonName=name)) == expected
    for kind in ROUTES:
        assert refusals(rule, param, route(kind, ["a.example.com", name])) == [
            f"{kind} web names a host name that is not one of the tenant's: {', '.join(OWNED)}"]


@pytest.mark.parametrize(("uri", "admitted"), [
    ("spiffe://a.example.com/ns/payments-api/sa/web", True),
    ("https://x.b.example.com", True),
    ("https://a.example.com:8443/path?q=1#f", True),
    ("https://user@a.example.com/", True),
    ("https://a.example.com.evil.com/", False),
    ("https://xa.example.com/", False),
    ("https://evil.com/a.example.com", False),
    ("https://a.example.com@evil.com/", False),
    ("https://evil.com?a.example.com", False),
    ("spiffe://cluster.local/ns/payments-api/sa/web", False),
    ("urn:a.example.com", False),
])
def test_certificate_uris_are_judged_by_their_host(uri: str, admitted: bool) -> None:
    found = refusals(policy(), params(OWNED), certificate(uris=[uri]))
    assert found == ([] if admitted else [
        f"Certificate web has a URI whose host is not one of the tenant's: {', '.join(OWNED)}"])


def test_a_tenant_without_host_names_may_name_none() -> None:
    rule, param = policy(), params([])
    assert param["data"]["hostnameRegex"] == ""
    assert refusals(rule, param, certificate(dnsNames=["a.example.com"])) == [
        "Certificate web names a host name that is not one of the tenant's: none"]
    assert refusals(rule, param, route("HTTPRoute", ["a.example.com"])) != []
    # Objects that name no host (a route for any host is the Gateway's listener's to limit) pass.
    assert refusals(rule, param, certificate()) == []


def test_policy_covers_the_kinds_and_the_binding_names_it_with_the_tenants_parameter() -> None:
    rule = policy()
    for group, resource in [("cert-manager.io", "certificates"), ("gateway.networking.k8s.io", "httproutes"),
                            ("gateway.networking.k8s.io", "grpcroutes"), ("gateway.networking.k8s.io", "tlsroutes")]:
        assert resource_matched(rule, group, resource, "CREATE") and resource_matched(rule, group, resource, "UPDATE")
    assert rule["spec"]["failurePolicy"] == "Fail"
    assert rule["spec"]["paramKind"] == {"apiVersion": "v1", "kind": "ConfigMap"}
    objects = tenant_objects(OWNED)
    binding, param = one(objects, "ValidatingAdmissionPolicyBinding"), one(objects, "ConfigMap")
    assert binding["spec"]["policyName"] == rule["metadata"]["name"]
    assert binding["spec"]["validationActions"] == ["Deny"]
    # The parameter sits in the release namespace, which no tenant owns; without it, everything is refused.
    assert binding["spec"]["paramRef"] == {"name": param["metadata"]["name"], "namespace": "argocd",
                                           "parameterNotFoundAction": "Deny"}
    selector = binding["spec"]["matchResources"]["namespaceSelector"]
    assert selector_matches(selector, {"capsule.clastix.io/tenant": "payments"})
    assert not selector_matches(selector, {"capsule.clastix.io/tenant": "checkout"})
    assert not selector_matches(selector, {"kubernetes.io/metadata.name": "kube-system"})


# --- the tree, rendered with each policy engine ---------------------------------------------------------


def rendered(tmp_path: Path, changes: dict[str, str | bytes | None],
             crds: Path | None = None) -> dict[str, list[dict[str, Any]]]:
    """The objects of a render of the test tree, by OUT path of their file; with ``crds``, the render also
    checks every custom object against those CRDs (core kinds are always checked)."""
    tree = build_tree(tmp_path, changes)
    out = tmp_path / "out"
    result = run_cli(["render", str(tree), "-o", str(out), *(scoped_crds_args(crds) if crds else [])])
    assert result.exit_code == 0, result.stderr
    return {path.relative_to(out).as_posix(): [o for o in load_all(path.read_bytes()) if isinstance(o, dict)]
            for path in sorted(out.rglob("*.yaml")) if "/manifests/" in path.as_posix()}


def objects_of(files: dict[str, list[dict[str, Any]]], kind: str) -> list[dict[str, Any]]:
    return [obj for objects in files.values() for obj in objects if obj["kind"] == kind]


POLICY_TIER = TIER_YAML.replace("  defaults:\n", "  podSecurity: baseline\n  defaults:\n").replace(
    "    requiredFields:", "    allowedPriorityClasses: [tenant-low, tenant-high]\n    allowedStorageClasses: [gp3]\n"
                          "    requiredFields:")


@pytest.mark.parametrize("engine", ["gatekeeper", "kyverno"])
def test_every_new_object_renders_for_both_policy_engines(tmp_path: Path, engine: str, upstream_crds: Path) -> None:
    tier = POLICY_TIER.replace("  labelPrefix: platform.example.com\n",
                               f"  labelPrefix: platform.example.com\n  policyEngine: {engine}\n")
    files = rendered(tmp_path, {TIER: tier, ALPHA: tenant_yaml("alpha", "api.alpha.example.com", (
        "podSecurity: restricted\npriorityClasses:\n  allowed: [tenant-low]\n  default: tenant-low\n"))},
                     crds=upstream_crds)
    shared = "dev/dev-aws/dev-euw1/manifests/dev-euw1-shared/"
    assert sorted(path.removeprefix(shared) for path in files if path.startswith(shared)) == [
        "globaltenantresource-tenantgen-cluster-facts.yaml",
        "validatingadmissionpolicy-tenantgen-authorized-hostnames.yaml"]
    for tenant in ("alpha", "beta"):
        kinds = sorted(obj["kind"] for path, objects in files.items()
                       if f"/manifests/{tenant}-tenant/" in path for obj in objects)
        assert kinds == ["ConfigMap", "GlobalTenantResource", "Tenant", "ValidatingAdmissionPolicyBinding"]
    tenants = {obj["metadata"]["name"]: obj["spec"] for obj in objects_of(files, "Tenant")}
    assert tenants["alpha"]["priorityClasses"] == {"allowed": ["tenant-low"], "default": "tenant-low"}
    # A tenant that sets no list gets exactly the tier's.
    assert tenants["beta"]["priorityClasses"] == {"allowed": ["tenant-low", "tenant-high"]}
    assert tenants["alpha"]["storageClasses"] == tenants["beta"]["storageClasses"] == {"allowed": ["gp3"]}
    pod_security = {name: {key.rpartition("/")[2]: value
                           for key, value in spec["namespaceOptions"]["additionalMetadata"]["labels"].items()
                           if key.startswith("pod-security.kubernetes.io/")} for name, spec in tenants.items()}
    assert pod_security == {"alpha": {"enforce": "restricted", "warn": "restricted", "audit": "restricted"},
                            "beta": {"enforce": "baseline", "warn": "restricted", "audit": "restricted"}}


def test_cluster_pod_security_overrides_the_tiers(tmp_path: Path) -> None:
    cluster = CLUSTER_YAML.replace("  kubeVersion:", "  podSecurity: privileged\n  kubeVersion:")
    files = rendered(tmp_path, {TIER: POLICY_TIER, CLUSTER: cluster})
    for tenant in objects_of(files, "Tenant"):
        labels = tenant["spec"]["namespaceOptions"]["additionalMetadata"]["labels"]
        assert labels["pod-security.kubernetes.io/enforce"] == "privileged"


# --- 2. cluster facts in every tenant namespace ----------------------------------------------------------


def replicated_into(resource: dict[str, Any], tenants: list[dict[str, Any]], namespace: dict[str, str]) -> bool:
    """Capsule's rule for a GlobalTenantResource: a namespace gets the items when its Tenant matches
    tenantSelector and the namespace matches the item's namespaceSelector."""
    tenant = next((t for t in tenants if t["metadata"]["name"] == namespace.get("capsule.clastix.io/tenant")), None)
    if tenant is None or not selector_matches(resource["spec"]["tenantSelector"], tenant["metadata"]["labels"]):
        return False
    return all(selector_matches(item["namespaceSelector"], namespace) for item in resource["spec"]["resources"])


def test_cluster_facts_reach_every_namespace_of_every_tenant_created_later_too(tmp_path: Path) -> None:
    files = rendered(tmp_path, {})
    tenants = objects_of(files, "Tenant")
    (facts,) = [r for r in objects_of(files, "GlobalTenantResource") if r["metadata"]["name"] == "tenantgen-cluster-facts"]
    assert facts["spec"]["scope"] == "Namespace"
    (item,) = facts["spec"]["resources"]
    (config_map,) = item["rawItems"]
    assert config_map["metadata"]["name"] == "cluster-facts"
    assert config_map["data"] == {"tier": "dev", "account": "dev-aws", "provider": "aws", "region": "eu-west-1",
                                  "cluster": "dev-euw1", "clusterHostname": "dev-euw1.k8s.example.com",
                                  "kubeVersion": "1.31.0"}
    for tenant in tenants:
        name = tenant["metadata"]["name"]
        # Capsule labels every namespace of a tenant, the default one and those created after the render.
        for namespace in (f"{name}-default", f"{name}-made-after-the-render"):
            assert replicated_into(facts, tenants, {"capsule.clastix.io/tenant": name,
                                                    "kubernetes.io/metadata.name": namespace})
    assert not replicated_into(facts, tenants, {"kubernetes.io/metadata.name": "kube-system"})


def test_tenant_facts_reach_only_the_tenants_own_namespaces(tmp_path: Path) -> None:
    files = rendered(tmp_path, {})
    tenants = objects_of(files, "Tenant")
    resources = {r["metadata"]["name"]: r for r in objects_of(files, "GlobalTenantResource")}
    alpha = resources["alpha-tenant-facts"]
    (item,) = alpha["spec"]["resources"]
    assert item["rawItems"][0]["data"] == {"tenant": "alpha", "defaultNamespace": "alpha-default",
                                           "tenantHostname": "alpha.apps.dev-euw1.k8s.example.com",
                                           "nodePool": "apps", "podSecurity": ""}
    assert replicated_into(alpha, tenants, {"capsule.clastix.io/tenant": "alpha"})
    assert not replicated_into(alpha, tenants, {"capsule.clastix.io/tenant": "beta"})


# --- 3. and 4. a tenant narrows, never widens ---------------------------------------------------------


def test_widening_a_class_list_names_the_tenant_file_and_line(tmp_path: Path) -> None:
    extra = "priorityClasses:\n  allowed: [tenant-low, system-cluster-critical]\nstorageClasses:\n  default: io2\n"
    alpha = tenant_yaml("alpha", "api.alpha.example.com", extra)
    found = [f.format() for f in findings(build_tree(tmp_path, {TIER: POLICY_TIER, ALPHA: alpha}))]
    line, col = pos(alpha, "system-cluster-critical")
    default_line, default_col = pos(alpha, "default: io2")
    assert found == [
        f"{shown(ALPHA)}:{line}:{col}: $.spec.priorityClasses.allowed[1]: priority class 'system-cluster-critical' "
        "widens tier 'dev' guardrails.allowedPriorityClasses; a tenant may only narrow it; allowed: tenant-low, "
        "tenant-high",
        f"{shown(ALPHA)}:{default_line}:{default_col}: $.spec.storageClasses.default: default storage class 'io2' is not "
        "among the allowed ones (tier 'dev' guardrails.allowedStorageClasses: gp3)",
    ]


def test_lowering_pod_security_names_the_tenant_file_and_line(tmp_path: Path) -> None:
    beta = tenant_yaml("beta", "*.beta.example.com", "podSecurity: privileged\n")
    found = [f.format() for f in findings(build_tree(tmp_path, {TIER: POLICY_TIER, BETA: beta}))]
    line, col = pos(beta, "podSecurity: privileged")
    tier_line, _ = pos(POLICY_TIER, "podSecurity")
    assert found == [
        f"{shown(BETA)}:{line}:{col}: $.spec.podSecurity: podSecurity 'privileged' is looser than 'baseline', the "
        f"level of cluster 'dev-euw1' ({shown(TIER)}:{tier_line}); a tenant may only make it stricter "
        "(privileged < baseline < restricted)"]
    # The same level, or a stricter one, is the tenant's to ask for.
    for level in ("baseline", "restricted"):
        stricter = tenant_yaml("beta", "*.beta.example.com", f"podSecurity: {level}\n")
        assert findings(build_tree(tmp_path / level, {TIER: POLICY_TIER, BETA: stricter})) == []


@pytest.mark.parametrize("extra", ["priorityClasses:\n  allowed: [tenant-low, system-cluster-critical]\n",
                                   "podSecurity: privileged\n"])
def test_a_tenant_pull_request_widening_classes_or_loosening_pod_security_fails_the_guard(
        tmp_path: Path, extra: str) -> None:
    # Even a tier that opens these fields to self-service keeps its guardrails: rule (f).
    tier = POLICY_TIER + "  selfService:\n    tenantFields: [priorityClasses, podSecurity]\n"
    violations = guard(tmp_path, {ALPHA: tenant_yaml("alpha", "api.alpha.example.com", extra)},
                       base_changes={TIER: tier})
    assert rules(violations) == ["f"]
    assert violations[0].file == shown(ALPHA) and violations[0].reason.startswith("line ")
    # Narrowing or tightening within those fields passes.
    narrower = "priorityClasses:\n  allowed: [tenant-low]\n" if "priority" in extra else "podSecurity: restricted\n"
    assert guard(tmp_path / "ok", {ALPHA: tenant_yaml("alpha", "api.alpha.example.com", narrower)},
                 base_changes={TIER: tier}) == []
    # Without selfService, the fields are the platform team's to change: rule (g) too.
    assert sorted(set(rules(guard(tmp_path / "closed", {ALPHA: tenant_yaml("alpha", "api.alpha.example.com", extra)},
                                  base_changes={TIER: POLICY_TIER})))) == ["f", "g"]


def test_the_new_tier_guardrails_are_platform_only(tmp_path: Path) -> None:
    wider = POLICY_TIER.replace("[tenant-low, tenant-high]", "[tenant-low, tenant-high, system-cluster-critical]")
    violations = guard(tmp_path, {TIER: wider}, base_changes={TIER: POLICY_TIER})
    assert [(v.rule, v.file) for v in violations] == [("e", shown(TIER))]


def test_a_cluster_older_than_1_30_is_a_finding_at_its_kube_version(tmp_path: Path) -> None:
    cluster = CLUSTER_YAML.replace('kubeVersion: "1.31"', 'kubeVersion: "1.29"')
    line, col = pos(cluster, "kubeVersion")
    assert [f.format() for f in findings(build_tree(tmp_path, {CLUSTER: cluster}))] == [
        f"{shown(CLUSTER)}:{line}:{col}: $.spec.kubeVersion: kubeVersion '1.29' is older than 1.30: tenantgen holds "
        "tenants' Certificates and Gateway API routes to their host names with a ValidatingAdmissionPolicy "
        "(admissionregistration.k8s.io/v1), which Kubernetes serves from 1.30 on"]


def test_explain_shows_the_enforced_level_and_the_tiers_class_lists_with_their_lines(tmp_path: Path) -> None:
    tree = build_tree(tmp_path, {TIER: POLICY_TIER})
    result = run_cli(["explain", "beta", str(tree), "--no-render", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    (section,) = result.json()["clusters"]
    computed = {line["path"]: (line["value"], line["line"]) for line in section["computed"]}
    assert computed["podSecurity (enforced)"] == ("baseline", pos(POLICY_TIER, "podSecurity")[0])
    assert computed["priorityClasses.allowed (the tier's guardrail)"] == (
        ["tenant-low", "tenant-high"], pos(POLICY_TIER, "allowedPriorityClasses")[0])
