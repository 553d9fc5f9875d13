"""Cross-file checks: references, uniqueness, hostname overlap, Argo CD role policies, the tier's guardrails, reserved label/annotation keys and the policy a tenant may only tighten (policy.py).

Each check reads the effective fleet and returns findings that point at the line that set the
offending value: the tenant's file, or the tier or cluster default it inherited.
"""

from __future__ import annotations

import string
from collections.abc import Iterator, Sequence
from typing import Any

from tenantgen.credentials import find_credentials
from tenantgen.findings import Finding, format_json_path
from tenantgen.json_path import JsonPath
from tenantgen.load import ConfigFile, Document
from tenantgen.merge import ClusterModel, Fleet, TenantModel, config_name
from tenantgen.validate.argo_policy import policy_problem
from tenantgen.validate.delivery import check_delivery
from tenantgen.validate.hostnames import find_overlaps, has_allowed_suffix
from tenantgen.validate.placing import at, get
from tenantgen.validate.policy import check_cluster_policy, check_tenant_policy
from tenantgen.validate.providers import AZURE, check_providers, provider_of
from tenantgen.validate.quantity import parse_quantity

RESOURCE_KEYS = (("requests", "cpu"), ("requests", "memory"), ("limits", "cpu"), ("limits", "memory"))
SERVICE_TYPES = ("nodePort", "loadBalancer", "externalName")
PLACEHOLDERS = ("tenant", "tier", "cluster.name", "cluster.hostname")
# Key prefixes of the systems that act on namespace labels and annotations (each with its
# subdomains), and whose they are; the tier's labelPrefix is added per cluster.
RESERVED_PREFIXES = {
    "kubernetes.io": "Kubernetes' own",
    "k8s.io": "Kubernetes' own",
    "capsule.clastix.io": "Capsule's own",
    "argoproj.io": "Argo CD's own",
    "karpenter.sh": "Karpenter's own",
    "karpenter.k8s.aws": "Karpenter's own",
    "karpenter.azure.com": "Karpenter's own",
    "kubernetes.azure.com": "AKS's own",
}
# Kubernetes' recommended labels (app.kubernetes.io/name, /part-of, ...) are meant for everyone.
OPEN_PREFIXES = ("app.kubernetes.io",)
METADATA_FIELDS = (("labels", "label"), ("annotations", "annotation"))


def check_fleet(fleet: Fleet) -> list[Finding]:
    findings: list[Finding] = []
    seen_tiers: set[str] = set()
    delivery: dict[tuple[str, int, str], Finding] = {}  # a tier's mistake is one finding, not one per cluster
    for cluster in fleet.clusters:
        for finding in check_delivery(cluster):
            delivery.setdefault((finding.file, finding.line, finding.message), finding)
        if cluster.tier not in seen_tiers:
            seen_tiers.add(cluster.tier)
            findings.extend(check_tier_hostname(cluster))
        findings.extend(check_references(cluster))
        findings.extend(check_cluster_policy(cluster))
        findings.extend(check_argo_policies(cluster))
        findings.extend(check_node_pools(cluster))
        findings.extend(check_providers(cluster, fleet.tree.accounts))
        findings.extend(check_namespaces(cluster))
        findings.extend(check_hostnames(cluster))
        for tenant in cluster.tenants.values():
            findings.extend(check_guardrails(cluster, tenant))
            findings.extend(check_consistency(tenant))
            findings.extend(check_reserved_metadata(cluster, tenant))
            findings.extend(check_tenant_policy(cluster, tenant))
    findings.extend(delivery.values())
    return findings


def check_tier_hostname(cluster: ClusterModel) -> Iterator[Finding]:
    pattern = cluster.tier_spec.get("tenantHostname")
    if not isinstance(pattern, str):
        return
    allowed = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(pattern) if name is not None]
    except ValueError:  # an unbalanced brace; the schema's pattern already reported it
        return
    for name in fields:
        if name not in PLACEHOLDERS:
            yield cluster.tier_doc.finding(("spec", "tenantHostname"),
                                           f"unknown placeholder {{{name}}}; allowed: {allowed}", "placeholder")


def check_references(cluster: ClusterModel) -> Iterator[Finding]:
    pools = sorted(cluster.docs.node_pools)
    for tenant in cluster.tenants.values():
        pool = tenant.spec.get("nodePool")
        if pool and pool not in cluster.docs.node_pools and ("NodePool", pool) not in cluster.docs.unreadable:
            yield at(tenant, ("nodePool",), f"node pool {pool!r} does not exist in cluster {cluster.name!r}; "
                                            f"defined here: {', '.join(pools) or 'none'}", "reference")
    tenants = sorted(cluster.docs.tenants)
    for project in cluster.argo_projects.values():
        owner = project.spec.get("tenant")
        if owner and owner not in cluster.docs.tenants and ("Tenant", owner) not in cluster.docs.unreadable:
            yield project.finding(("spec", "tenant"), f"tenant {owner!r} does not exist in cluster "
                                                      f"{cluster.name!r}; defined here: {', '.join(tenants) or 'none'}",
                                  "reference")


def check_argo_policies(cluster: ClusterModel) -> Iterator[Finding]:
    # Argo CD applies this rule only to projects edited through its API, not to an AppProject synced
    # from Git: checked here, a tenant's pull request cannot grant a role rights in another's project.
    for name in sorted(cluster.argo_projects):
        project = cluster.argo_projects[name]
        for role_index, role in enumerate(project.spec.get("roles") or []):
            for index, policy in enumerate(role.get("policies") or []):
                problem = policy_problem(name, role["name"], policy)
                if problem:
                    yield project.finding(("spec", "roles", role_index, "policies", index), problem, "argo-policy")


def check_node_pools(cluster: ClusterModel) -> Iterator[Finding]:
    # tenantgen renders every node pool as a Karpenter NodePool + node class (EC2NodeClass on aws,
    # AKSNodeClass on azure), which need the cluster's Karpenter settings; on azure `{}` will do.
    if isinstance(cluster.spec.get("karpenter"), dict):
        return
    needs = ("{} or imageFamily, osDiskSizeGB, vnetSubnetID, maxPods, tags" if provider_of(cluster) == AZURE
             else "role or instanceProfile, subnetSelector, securityGroupSelector, amiAlias")
    for name in sorted(cluster.node_pools):
        yield cluster.node_pools[name].finding(
            ("kind",),
            f"node pool {name!r} needs spec.karpenter in {cluster.cluster_doc.display_path} ({needs}): "
            "tenantgen renders node pools as Karpenter NodePools", "reference")


def check_namespaces(cluster: ClusterModel) -> Iterator[Finding]:
    # Capsule prefixes every namespace with "<tenant>-"; a tenant named like another's prefix
    # ("team" and "team-a") could create namespaces the other one's Argo CD project may deploy to.
    names = sorted(cluster.tenants)
    for other in names:
        # Each '-' of a name ends one prefix another tenant could be called: linear, not pairwise.
        for name in [other[:index] for index, char in enumerate(other) if char == "-"]:
            if name in cluster.tenants:
                yield cluster.tenants[other].doc.finding(
                    ("metadata", "name"),
                    f"tenant name {other!r} starts with tenant {name!r} + '-': namespaces '{other}-*' would also "
                    f"match '{name}-*'; rename one of them", "namespace-overlap")
    owners: dict[str, str] = {}
    for name in names:
        tenant = cluster.tenants[name]
        namespace = tenant.default_namespace
        if not namespace.startswith(name + "-"):
            yield at(tenant, ("namespaces", "default"),
                     f"default namespace {namespace!r} must start with the tenant name: '{name}-...'", "namespace")
        if namespace in owners:
            yield at(tenant, ("namespaces", "default"),
                     f"default namespace {namespace!r} is already the default of tenant {owners[namespace]!r}",
                     "namespace")
        owners.setdefault(namespace, name)


def claimed_hostnames(cluster: ClusterModel, tenant: TenantModel) -> list[str]:
    hosts = list(get(tenant.spec, ("ingress", "hostnames")) or [])
    auto = cluster.tenant_hostname(tenant.name) if _placeholders_ok(cluster) else ""
    return [*hosts, auto] if auto else hosts


def _placeholders_ok(cluster: ClusterModel) -> bool:
    return not list(check_tier_hostname(cluster))


def check_hostnames(cluster: ClusterModel) -> Iterator[Finding]:
    claims = {name: claimed_hostnames(cluster, tenant) for name, tenant in cluster.tenants.items()}
    for (name, host), others in _overlaps_by_claim(cluster, find_overlaps(claims)).items():
        tenant = cluster.tenants[name]
        explicit = _explicit(tenant)
        path: JsonPath = ("ingress", "hostnames", explicit.index(host)) if host in explicit else (
            "ingress", "hostnames")
        yield at(tenant, path, f"hostname {host!r} overlaps {_overlapped(cluster, others)} in cluster "
                               f"{cluster.name!r}; hostnames must be unique per cluster", "hostname-overlap")
    suffixes = get(cluster.tier_spec, ("guardrails", "hostnameSuffixes"))
    if suffixes is None:
        return
    for tenant in cluster.tenants.values():
        for index, host in enumerate(get(tenant.spec, ("ingress", "hostnames")) or []):
            if not has_allowed_suffix(host, suffixes):
                yield at(tenant, ("ingress", "hostnames", index),
                         f"hostname {host!r} is outside the domains of tier {cluster.tier!r}; allowed: "
                         f"{', '.join(suffixes) or 'none'}", "guardrail")


def _explicit(tenant: TenantModel) -> list[str]:
    return list(get(tenant.spec, ("ingress", "hostnames")) or [])


Claim = tuple[str, str]  # (tenant, hostname)


def _overlaps_by_claim(cluster: ClusterModel, pairs: list[tuple[str, str, str, str]]) -> dict[Claim, list[Claim]]:
    """Each claim to report -> the claims it overlaps. Both sides of an overlap are reported, each
    naming the other: which of the two files a pull request just changed (a new wildcard, or a new
    name below another team's wildcard) cannot be told from the tree, and that file must get a
    finding. A tenant's automatic tenantHostname is written in no file of its own: it is reported
    only when the other side is automatic too."""
    found: dict[Claim, list[Claim]] = {}
    for owner, host, other, other_host in pairs:
        written = (host in _explicit(cluster.tenants[owner]), other_host in _explicit(cluster.tenants[other]))
        if written[0] or not written[1]:
            found.setdefault((owner, host), []).append((other, other_host))
        if written[1] or not written[0]:
            found.setdefault((other, other_host), []).append((owner, host))
    return found


MAX_NAMED_OVERLAPS = 3  # a wildcard over thousands of names: the message names a few and counts the rest


def _overlapped(cluster: ClusterModel, others: list[Claim]) -> str:
    named = [f"{host!r} of tenant {name!r} ({_written_at(cluster, name, host)})"
             for name, host in others[:MAX_NAMED_OVERLAPS]]
    rest = len(others) - len(named)
    if rest:
        named.append(f"{rest} more")
    return named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]


def _written_at(cluster: ClusterModel, name: str, host: str) -> str:
    """file:line of the tenant's hostname (an inherited default's line, the tier's tenantHostname)."""
    tenant = cluster.tenants[name]
    explicit = _explicit(tenant)
    if host not in explicit:
        line, _ = cluster.tier_doc.locate(("spec", "tenantHostname"))
        return f"tenantHostname of tier {cluster.tier!r}, {cluster.tier_doc.display_path}:{line}"
    origin = tenant.merged.origin(("ingress", "hostnames", explicit.index(host)))
    doc, path = (origin.doc, origin.path) if origin is not None else (tenant.doc, ("spec", "ingress", "hostnames"))
    line, _ = doc.locate(path)
    return f"{doc.display_path}:{line}"


def check_guardrails(cluster: ClusterModel, tenant: TenantModel) -> Iterator[Finding]:
    rails = cluster.tier_spec.get("guardrails") or {}
    spec = tenant.spec
    tier = cluster.tier
    limit = rails.get("maxNamespaces")
    if limit is not None:
        quota = tenant.namespace_quota
        unset = get(spec, ("namespaces", "quota")) is None
        if quota > limit:
            value = f"is unset and defaults to {quota}, which" if unset else str(quota)
            yield at(tenant, ("namespaces", "quota"),
                     f"namespaces.quota {value} exceeds tier {tier!r} guardrail maxNamespaces {limit}", "guardrail")
    for key in RESOURCE_KEYS:
        maximum = get(rails, ("maxResources", *key))
        if maximum is None:
            continue
        value = get(spec, ("resources", *key))
        dotted = "resources." + ".".join(key)
        if value is None:
            yield at(tenant, ("resources", *key),
                     f"{dotted} is unset (unlimited); tier {tier!r} allows at most {maximum}", "guardrail")
        elif parse_quantity(value) > parse_quantity(maximum):
            yield at(tenant, ("resources", *key),
                     f"{dotted} {value} exceeds tier {tier!r} guardrail {maximum}", "guardrail")
    classes = rails.get("allowedIngressClasses")
    if classes is not None:
        for index, name in enumerate(get(spec, ("ingress", "classes")) or []):
            if name not in classes:
                yield at(tenant, ("ingress", "classes", index),
                         f"ingress class {name!r} is not allowed in tier {tier!r}; allowed: "
                         f"{', '.join(classes) or 'none'}", "guardrail")
    allowed_services = rails.get("allowedServices") or {}
    for service in SERVICE_TYPES:
        if get(spec, ("services", service)) and not allowed_services.get(service, False):
            yield at(tenant, ("services", service),
                     f"services.{service} is not allowed in tier {tier!r} (guardrails.allowedServices)", "guardrail")
    for dotted in rails.get("requiredFields") or []:
        path = tuple(dotted.split("."))
        if get(spec, path) in (None, "", [], {}):
            # Placed at the nearest written ancestor (e.g. contact:), named after the missing field.
            yield tenant.doc.finding(("spec", *path), f"{dotted} is required by tier {tier!r} "
                                                      "(guardrails.requiredFields) but not set", "required")


def check_consistency(tenant: TenantModel) -> Iterator[Finding]:
    """Values that contradict each other: a request above its limit can never be scheduled."""
    spec = tenant.spec
    pairs = [
        (("resources", "requests", kind), ("resources", "limits", kind)) for kind in ("cpu", "memory")
    ] + [
        (("limitRange", low, kind), ("limitRange", high, kind))
        for kind in ("cpu", "memory")
        for low, high in (("defaultRequest", "default"), ("default", "max"))
    ]
    for low_path, high_path in pairs:
        low, high = get(spec, low_path), get(spec, high_path)
        if low is not None and high is not None and parse_quantity(low) > parse_quantity(high):
            yield at(tenant, low_path, f"{'.'.join(low_path)} {low} is greater than "
                                       f"{'.'.join(high_path)} {high}", "consistency")


def check_reserved_metadata(cluster: ClusterModel, tenant: TenantModel) -> Iterator[Finding]:
    # Capsule stamps additionalMetadata on every namespace of the tenant, and the chart lets these
    # keys override the platform's: pod-security.kubernetes.io/enforce would turn Pod Security off,
    # capsule.clastix.io/tenant pull the namespaces under another tenant's rules. The tier and
    # cluster defaults are the platform's own layers, so only the keys the tenant's own file names
    # are refused, a null that would remove an inherited one included.
    owners = {**RESERVED_PREFIXES, cluster.tier_spec["labelPrefix"]: "the platform's own: the tier's labelPrefix"}
    spec = tenant.doc.data.get("spec") if isinstance(tenant.doc.data, dict) else None
    own = spec.get("additionalMetadata") if isinstance(spec, dict) else None
    if not isinstance(own, dict):
        return
    for field, noun in METADATA_FIELDS:
        keys = own.get(field)
        if not isinstance(keys, dict):
            continue
        for key in keys:
            owner = _reserved_owner(key, owners)
            if owner is not None:
                action = "removes" if keys[key] is None else "sets"
                yield tenant.doc.finding(("spec", "additionalMetadata", field, key), (
                    f"{noun} {key!r} uses the reserved prefix {key.partition('/')[0]!r} ({owner}); reserved: "
                    f"{', '.join(owners)} and their subdomains (but {', '.join(OPEN_PREFIXES)}); the platform "
                    f"sets these, a tenant's file never {action} one"), "reserved-metadata")


def _reserved_owner(key: str, owners: dict[str, str]) -> str | None:
    """Whose ``key`` is when its prefix is a reserved domain or below one; a few lookups per key."""
    prefix, slash, _ = key.partition("/")
    if not slash or prefix in OPEN_PREFIXES:
        return None
    labels = prefix.split(".")
    for start in range(len(labels)):
        owner = owners.get(".".join(labels[start:]))
        if owner:
            return owner
    return None


def _credential_message(what: str) -> str:
    return (f"looks like {what}; credentials never go into the tree: keep them in a Secret and reference it "
            "(an ArgoProject's repository.credentialsSecret)")


def check_credentials(doc: Document) -> list[Finding]:
    """Credential-looking keys and values of one document; the finding never quotes the value."""
    return [doc.finding(path, _credential_message(what), "credential") for path, what in find_credentials(doc.data)]


def check_config_credentials(config: ConfigFile) -> list[Finding]:
    """The same for a pass-through manifest file, which is copied into OUT as it is."""
    text = config.raw.decode("utf-8", "replace")
    findings = []
    for number, obj in enumerate(config.objects):
        for path, what in find_credentials(obj):
            value: Any = obj
            for part in path:
                if isinstance(value, dict):
                    value = value.get(part)
                elif isinstance(value, list) and isinstance(part, int):
                    value = value[part]
            needle = value.splitlines()[0] if isinstance(value, str) and value.strip() else str(path[-1])
            offset = text.find(needle)
            line = text.count("\n", 0, offset) + 1 if offset >= 0 else 0
            field = format_json_path(path) if len(config.objects) == 1 else f"document {number + 1}: " + (
                format_json_path(path))
            findings.append(Finding(config.display_path, line, 1 if line else 0, field,
                                    _credential_message(what), "credential"))
    return findings


def check_config_names(tier_files: Sequence[ConfigFile], cluster_files: Sequence[ConfigFile]) -> list[Finding]:
    """A cluster config file replaces the tier's file of the same name. One whose name differs only in
    its suffix (``shared.yml`` against the tier's ``shared.yaml``) would be copied beside it, both
    applied to the cluster, and which of the two was meant cannot be told: a finding."""
    tier_names = {config_name(config) for config in tier_files}
    tier_by_stem: dict[str, ConfigFile] = {}
    for config in tier_files:
        tier_by_stem.setdefault(_stem(config_name(config)), config)
    findings = []
    for config in cluster_files:
        name = config_name(config)
        tier_file = tier_by_stem.get(_stem(name))
        if tier_file is None or name in tier_names:
            continue
        findings.append(Finding(config.display_path, 0, 0, "", (
            f"same name as the tier's config file {tier_file.display_path} but another suffix, so both would be "
            "copied to the cluster; a cluster config file replaces the tier's only under the very same file "
            f"name: rename it {config_name(tier_file)} to replace the tier's file, or give it a name of its own "
            "to add to it"), "config"))
    return findings


def _stem(file_name: str) -> str:
    return file_name.rsplit(".", 1)[0]
