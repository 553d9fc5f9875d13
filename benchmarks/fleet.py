"""Generate a synthetic but realistic tenantgen tree: N clusters x M tenants.

    python benchmarks/fleet.py OUT_DIR --clusters 50 --tenants 200

Every tenant gets its Argo CD project; each cluster has about one Karpenter node pool per two tenants
(plus its default pool ``apps``), so most pools are shared by a few tenants. Clusters are spread over
two tiers (prod with strict guardrails and gatekeeper, playground with loose ones and kyverno) and a
few accounts. Values vary the way real trees do (quotas within the tier's guardrails, readers,
hostnames with and without wildcards, labels, limit-range overrides), deterministically: the same
arguments always give the same bytes. The tree is valid under ``tenantgen validate``.

50 x 200 gives 10,000 tenants, 10,000 Argo CD projects and ~5,000 node pools: ~35,000 releases from
~25,000 files.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
from pathlib import Path

API = "apiVersion: tenantgen.io/v1alpha1"
TEAMS = ("payments", "checkout", "search", "billing", "identity", "catalog", "ledger", "mobile", "growth",
         "fraud", "ml", "notify", "media", "ads", "reporting", "inventory", "shipping", "pricing", "support",
         "platform", "data", "web", "risk", "docs")
GROUP_SUFFIXES = ("developers", "oncall", "analysts", "sre", "auditors")
POOL_FAMILIES = (
    # (name, capacity types, instance types, architectures)
    ("general", ["on-demand"], ["m6i.large", "m6i.xlarge", "m7g.large", "m7g.xlarge"], ["amd64", "arm64"]),
    ("compute", ["on-demand"], ["c6i.xlarge", "c6i.2xlarge", "c7g.2xlarge"], ["amd64", "arm64"]),
    ("memory", ["on-demand"], ["r6i.xlarge", "r6i.2xlarge"], ["amd64"]),
    ("spot", ["spot"], ["c6i.xlarge", "c6i.2xlarge", "c6i.4xlarge", "m6i.2xlarge"], ["amd64"]),
    ("mixed", ["spot", "on-demand"], ["m7g.large", "m7g.xlarge", "m7g.2xlarge"], ["arm64"]),
)
REGIONS = ("eu-west-1", "eu-central-1", "us-east-1", "us-west-2", "ap-southeast-1")
KUBE_VERSIONS = ("1.30.4", "1.31.0", "1.32.0")


def tier_prod() -> str:
    return f"""\
{API}
kind: Tier
metadata:
  name: prod
  labels:
    environment: production
spec:
  labelPrefix: platform.example.com
  policyEngine: gatekeeper
  tenantHostname: "{{tenant}}.apps.{{cluster.hostname}}"
  defaults:
    namespaces:
      quota: 5
    resources:
      requests: {{cpu: "8", memory: 32Gi}}
      limits: {{cpu: "16", memory: 64Gi}}
    limitRange:
      default: {{cpu: 500m, memory: 512Mi}}
      defaultRequest: {{cpu: 100m, memory: 128Mi}}
      max: {{cpu: "4", memory: 8Gi}}
    services:
      nodePort: false
      loadBalancer: false
      externalName: false
    additionalMetadata:
      labels:
        platform.example.com/tier: prod
  guardrails:
    maxNamespaces: 20
    maxResources:
      requests: {{cpu: "64", memory: 256Gi}}
      limits: {{cpu: "128", memory: 512Gi}}
    allowedIngressClasses: [nginx-internal, nginx-public]
    hostnameSuffixes: [example.com]
    requiredFields: [costCenter, contact.email, contact.slack, nodePool]
  selfService:
    tenantFields: [readers, contact, ingress.hostnames, namespaces.default, limitRange, additionalMetadata]
    argoProjectFields: [sourceRepos, rootApp, roles, repository]
"""


def tier_playground() -> str:
    return f"""\
{API}
kind: Tier
metadata:
  name: playground
  labels:
    environment: sandbox
spec:
  labelPrefix: platform.example.com
  policyEngine: kyverno
  tenantHostname: "{{tenant}}.apps.{{cluster.hostname}}"
  defaults:
    namespaces:
      quota: 5
    resources:
      requests: {{cpu: "8", memory: 32Gi}}
      limits: {{cpu: "16", memory: 64Gi}}
    limitRange:
      default: {{cpu: 500m, memory: 512Mi}}
      defaultRequest: {{cpu: 50m, memory: 64Mi}}
      max: {{cpu: "4", memory: 8Gi}}
    services:
      nodePort: false
      loadBalancer: false
      externalName: false
    additionalMetadata:
      labels:
        platform.example.com/tier: playground
  guardrails:
    maxNamespaces: 50
    maxResources:
      requests: {{cpu: "32", memory: 128Gi}}
      limits: {{cpu: "64", memory: 256Gi}}
    allowedIngressClasses: [nginx]
    hostnameSuffixes: [sandbox.example.com]
    requiredFields: [owners]
    allowedServices:
      nodePort: true
      loadBalancer: false
      externalName: false
"""


TIERS = {
    # tier -> (tier.yaml, hostname domain, ingress classes, max cpu request, max namespaces)
    "prod": (tier_prod, "example.com", ["nginx-internal", "nginx-public"], 64, 20),
    "playground": (tier_playground, "sandbox.example.com", ["nginx"], 32, 50),
}


def account(name: str, provider_id: str, region: str) -> str:
    return f"""\
{API}
kind: Account
metadata:
  name: {name}
spec:
  provider: aws
  id: "{provider_id}"
  region: {region}
  description: Synthetic account {name}
"""


def cluster(name: str, domain: str, region: str, kube: str, classes: list[str]) -> str:
    return f"""\
{API}
kind: Cluster
metadata:
  name: {name}
spec:
  hostname: {name}.k8s.{domain}
  region: {region}
  kubeVersion: "{kube}"
  clusterDNS: 172.20.0.10
  platformNamespaces: [ingress-nginx, monitoring, argocd]
  argocd:
    namespace: argocd
  karpenter:
    role: KarpenterNodeRole-{name}
    subnetSelector:
      karpenter.sh/discovery: {name}
    securityGroupSelector:
      karpenter.sh/discovery: {name}
    amiAlias: al2023@latest
  defaults:
    nodePool: apps
    ingress:
      classes: [{classes[0]}]
"""


def node_pool(name: str, family: tuple[str, list[str], list[str], list[str]], rng: random.Random) -> str:
    _, capacity, types, arches = family
    cpu = rng.choice((64, 128, 256, 512))
    lines = [
        API, "kind: NodePool", "metadata:", f"  name: {name}", "spec:", "  instances:",
        f"    capacityTypes: [{', '.join(capacity)}]",
        f"    instanceTypes: [{', '.join(types)}]",
        f"    architectures: [{', '.join(arches)}]",
        f"  costCode: CC-{rng.randint(1000, 9999)}",
    ]
    if "spot" in capacity:
        lines.append("  consolidateAfter: 60s")
    else:
        lines += ["  consolidationPolicy: WhenEmptyOrUnderutilized", "  consolidateAfter: 600s", "  expireAfter: 720h"]
    lines += ["  limits:", f'    cpu: "{cpu}"', f"    memory: {cpu * 4}Gi", f"  weight: {rng.randint(1, 90)}"]
    return "\n".join(lines) + "\n"


def tenant(name: str, team: str, tier: str, cluster_name: str, pool: str | None, rng: random.Random) -> str:
    _, domain, classes, max_cpu, max_ns = TIERS[tier]
    requests_cpu = rng.choice([c for c in (2, 4, 8, 16, 24, 32, 48, 64) if c <= max_cpu])
    limits_cpu = min(requests_cpu * 2, max_cpu * 2)
    lines = [
        API, "kind: Tenant", "metadata:", f"  name: {name}", "  labels:", f"    team: {team}", "spec:",
        "  owners:", "    - kind: Group", f"      name: {name}-admins",
    ]
    if rng.random() < 0.3:
        lines += ["    - kind: User", f"      name: lead-{name}@example.com"]
    readers = rng.sample(GROUP_SUFFIXES, rng.randint(0, 3))
    if readers:
        lines.append(f"  readers: [{', '.join(f'{name}-{suffix}' for suffix in readers)}]")
    lines += [
        f"  costCenter: CC-{rng.randint(1000, 9999)}",
        "  contact:", f'    slack: "#team-{team}"', f"    email: {team}-team@example.com",
    ]
    if pool is not None:
        lines.append(f"  nodePool: {pool}")
    lines += ["  namespaces:", f"    quota: {rng.randint(2, max_ns)}", f"    default: {name}-apps"]
    lines += ["  resources:", f'    requests: {{cpu: "{requests_cpu}", memory: {requests_cpu * 4}Gi}}',
              f'    limits: {{cpu: "{limits_cpu}", memory: {limits_cpu * 4}Gi}}']
    if rng.random() < 0.2:
        lines += ["  limitRange:", "    max: null"]
    hosts = []
    host_base = f"{name}.{cluster_name}.{domain}"
    for _ in range(rng.randint(0, 3)):
        choice = rng.choice(("api", "www", "admin", "*"))
        host = f"{choice}.{host_base}"
        if host not in hosts:
            hosts.append(host)
    if hosts or rng.random() < 0.5:
        lines.append("  ingress:")
        if rng.random() < 0.5:
            lines.append(f"    classes: [{', '.join(classes)}]")
        if hosts:
            lines.append("    hostnames:")
            lines += [f'      - "{host}"' for host in hosts]
        elif lines[-1] == "  ingress:":
            lines.append(f"    classes: [{classes[0]}]")
    if tier == "playground" and rng.random() < 0.2:
        lines += ["  services:", "    nodePort: true"]
    if rng.random() < 0.4:
        lines += ["  additionalMetadata:", "    labels:", f"      data-classification: {rng.choice(('pci', 'internal', 'public'))}",
                  "    annotations:", f"      example.com/runbook: https://wiki.example.com/{team}/{name}"]
    return "\n".join(lines) + "\n"


def argo_project(name: str, team: str, cluster_name: str, rng: random.Random) -> str:
    repo = f"https://github.com/example-org/{name}-deploy.git"
    lines = [
        API, "kind: ArgoProject", "metadata:", f"  name: {name}", "spec:", f"  tenant: {name}",
        f"  description: {team} services of {name} in {cluster_name}",
        "  sourceRepos:", f"    - https://github.com/example-org/{name}-*",
    ]
    if rng.random() < 0.3:
        lines.append(f"    - https://charts.example.com/{team}")
    if rng.random() < 0.6:
        lines += ["  repository:", f"    url: {repo}", "    type: git", f"    credentialsSecret: {name}-repo-creds"]
    lines += ["  rootApp:", f"    repoURL: {repo}", f"    path: clusters/{cluster_name}",
              f"    targetRevision: {rng.choice(('main', 'HEAD', 'release'))}"]
    lines += ["  roles:", "    - name: deployer", f"      description: Sync and roll back {name} applications",
              f"      groups: [{name}-admins]", "      policies:",
              f"        - p, proj:{name}:deployer, applications, get, {name}/*, allow",
              f"        - p, proj:{name}:deployer, applications, sync, {name}/*, allow"]
    if rng.random() < 0.5:
        lines += ["    - name: read-only", f"      groups: [{name}-developers]", "      policies:",
                  f"        - p, proj:{name}:read-only, applications, get, {name}/*, allow"]
    return "\n".join(lines) + "\n"


STORAGE_CLASS = """\
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: gp3
  annotations:
    storageclass.kubernetes.io/is-default-class: "true"
provisioner: ebs.csi.aws.com
parameters:
  type: gp3
  encrypted: "true"
reclaimPolicy: Retain
volumeBindingMode: WaitForFirstConsumer
allowVolumeExpansion: true
"""

PRIORITY_CLASS = """\
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata:
  name: tenant-workloads
value: 1000
globalDefault: false
preemptionPolicy: PreemptLowerPriority
description: Default priority for tenant workloads.
"""


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def tier_of(index: int) -> str:
    # Roughly 70 % of clusters are production clusters.
    return "playground" if index % 10 in (3, 6, 9) else "prod"


def generate(root: Path, clusters: int, tenants: int, seed: int = 42) -> dict[str, int]:
    """Write the tree under ``root`` (which must not exist or be empty); returns what was written."""
    rng = random.Random(seed)
    counts = {"clusters": 0, "tenants": 0, "argo_projects": 0, "node_pools": 0, "files": 0}
    for tier, (tier_text, *_rest) in TIERS.items():
        write(root / tier / "tier.yaml", tier_text())
        write(root / tier / "config" / "priorityclass-tenant-workloads.yaml", PRIORITY_CLASS)
        counts["files"] += 2
    accounts_written: set[tuple[str, str]] = set()
    for index in range(clusters):
        tier = tier_of(index)
        _, domain, classes, _, _ = TIERS[tier]
        region = REGIONS[index % len(REGIONS)]
        account_name = f"{'prod' if tier == 'prod' else 'sandbox'}-aws-{index % 3 + 1}"
        account_dir = root / tier / account_name
        if (tier, account_name) not in accounts_written:
            accounts_written.add((tier, account_name))
            write(account_dir / "account.yaml", account(account_name, f"{100000000000 + index:012d}", region))
            counts["files"] += 1
        name = f"{tier[:4]}-{region.replace('-', '')[:6]}-{index:03d}"
        cluster_dir = account_dir / name
        write(cluster_dir / "cluster.yaml", cluster(name, domain, region, KUBE_VERSIONS[index % len(KUBE_VERSIONS)],
                                                    classes))
        write(cluster_dir / "config" / "storageclass-gp3.yaml", STORAGE_CLASS)
        counts["files"] += 2
        counts["clusters"] += 1
        # One pool per two tenants: "apps" (the cluster default) plus named pools, each shared by a few.
        pools = ["apps"] + [f"{POOL_FAMILIES[k % len(POOL_FAMILIES)][0]}-{k:03d}" for k in range(1, max(1, tenants // 2))]
        for k, pool in enumerate(pools):
            write(cluster_dir / "node-pools" / f"{pool}.yaml", node_pool(pool, POOL_FAMILIES[k % len(POOL_FAMILIES)], rng))
        counts["node_pools"] += len(pools)
        counts["files"] += len(pools)
        for number in range(tenants):
            team = TEAMS[(number + index) % len(TEAMS)]
            # Names end in a number, so no tenant name is another's name + "-" (a namespace overlap).
            tenant_name = f"{team}-{number:04d}"
            # A tenant in ten inherits the cluster default pool; the rest share named pools.
            pool = None if number % 10 == 0 else pools[min(len(pools) - 1, rng.randint(0, len(pools) - 1))]
            write(cluster_dir / "tenants" / f"{tenant_name}.yaml",
                  tenant(tenant_name, team, tier, name, pool, rng))
            write(cluster_dir / "argo-projects" / f"{tenant_name}.yaml", argo_project(tenant_name, team, name, rng))
            counts["tenants"] += 1
            counts["argo_projects"] += 1
            counts["files"] += 2
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="folder to write the tree into (replaced if it exists)")
    parser.add_argument("--clusters", "-n", type=int, default=50)
    parser.add_argument("--tenants", "-m", type=int, default=200, help="tenants per cluster")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    if args.out.exists():
        shutil.rmtree(args.out)
    counts = generate(args.out, args.clusters, args.tenants, args.seed)
    releases = counts["tenants"] * 3 + counts["node_pools"]
    print(f"{args.out}: {counts['clusters']} clusters, {counts['tenants']} tenants, {counts['node_pools']} node pools, "
          f"{counts['files']} files, {releases} releases")
    return 0


if __name__ == "__main__":
    sys.exit(main())
