"""A small valid tree that tests copy, mutate and build under tmp_path.

One tier (``dev``), one account (``dev-aws``), one cluster (``dev-euw1``) with two tenants
(``alpha``, ``beta``), their Argo projects and one node pool (``apps``). ``base_files()`` returns
a fresh ``{relative path: text}`` dict; set a path to ``None`` to leave that file out.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path

from tenantgen.findings import Finding
from tenantgen.pipeline.validate import validate_tree
from tenantgen.validate.tree_check import Validation
from tests.helpers import build_file_tree

TIER = "dev/tier.yaml"
ACCOUNT = "dev/dev-aws/account.yaml"
CLUSTER_DIR = "dev/dev-aws/dev-euw1"
CLUSTER = f"{CLUSTER_DIR}/cluster.yaml"
TENANTS = f"{CLUSTER_DIR}/tenants"
PROJECTS = f"{CLUSTER_DIR}/argo-projects"
POOLS = f"{CLUSTER_DIR}/node-pools"
ALPHA = f"{TENANTS}/alpha.yaml"
BETA = f"{TENANTS}/beta.yaml"
APPS_POOL = f"{POOLS}/apps.yaml"

# The display root every test validates with: findings read "tree/dev/tier.yaml:3:1: ...".
SHOWN = "tree"

TIER_YAML = """\
apiVersion: tenantgen.io/v1alpha1
kind: Tier
metadata:
  name: dev
spec:
  labelPrefix: platform.example.com
  tenantHostname: "{tenant}.apps.{cluster.hostname}"
  defaults:
    namespaces:
      quota: 2
    resources:
      requests: {cpu: "4", memory: 16Gi}
      limits: {cpu: "8", memory: 32Gi}
    services:
      nodePort: false
  guardrails:
    maxNamespaces: 10
    maxResources:
      requests: {cpu: "64", memory: 256Gi}
      limits: {cpu: "128", memory: 512Gi}
    allowedIngressClasses: [nginx-internal, nginx-public]
    hostnameSuffixes: [example.com]
    requiredFields: [costCenter, contact.email]
"""

ACCOUNT_YAML = """\
apiVersion: tenantgen.io/v1alpha1
kind: Account
metadata:
  name: dev-aws
spec:
  provider: aws
  id: "111111111111"
  region: eu-west-1
"""

CLUSTER_YAML = """\
apiVersion: tenantgen.io/v1alpha1
kind: Cluster
metadata:
  name: dev-euw1
spec:
  hostname: dev-euw1.k8s.example.com
  region: eu-west-1
  kubeVersion: "1.31"
  karpenter:
    role: KarpenterNodeRole-dev-euw1
    subnetSelector:
      karpenter.sh/discovery: dev-euw1
    securityGroupSelector:
      karpenter.sh/discovery: dev-euw1
    amiAlias: al2023@latest
  defaults:
    nodePool: apps
    ingress:
      classes: [nginx-internal]
"""

POOL_YAML = """\
apiVersion: tenantgen.io/v1alpha1
kind: NodePool
metadata:
  name: apps
spec:
  instances:
    capacityTypes: [on-demand]
    architectures: [amd64]
  costCode: CC-1000
"""


def tenant_yaml(name: str, hostname: str | None = None, extra: str = "") -> str:
    """A valid Tenant; ``extra`` is YAML appended under ``spec`` (indented by two spaces)."""
    host = f"  ingress:\n    hostnames:\n      - {hostname!r}\n" if hostname else ""
    return (
        "apiVersion: tenantgen.io/v1alpha1\n"
        "kind: Tenant\n"
        "metadata:\n"
        f"  name: {name}\n"
        "spec:\n"
        "  owners:\n"
        "    - kind: Group\n"
        f"      name: {name}-admins\n"
        "  costCenter: CC-1\n"
        "  contact:\n"
        f"    email: {name}@example.com\n"
        f"{host}"
        f"{textwrap.indent(textwrap.dedent(extra), '  ') if extra else ''}"
    )


def project_yaml(name: str, tenant: str | None = None) -> str:
    return (
        "apiVersion: tenantgen.io/v1alpha1\n"
        "kind: ArgoProject\n"
        "metadata:\n"
        f"  name: {name}\n"
        "spec:\n"
        f"  tenant: {tenant or name}\n"
        "  sourceRepos:\n"
        f"    - https://github.com/example-org/{name}-*\n"
        "  repository:\n"
        f"    url: https://github.com/example-org/{name}-deploy.git\n"
        f"    credentialsSecret: {name}-repo-creds\n"
        "  rootApp:\n"
        f"    repoURL: https://github.com/example-org/{name}-deploy.git\n"
        "    path: clusters/dev-euw1\n"
    )


def base_files() -> dict[str, str | bytes | None]:
    return {
        TIER: TIER_YAML,
        ACCOUNT: ACCOUNT_YAML,
        CLUSTER: CLUSTER_YAML,
        ALPHA: tenant_yaml("alpha", "api.alpha.example.com"),
        BETA: tenant_yaml("beta", "*.beta.example.com"),
        f"{PROJECTS}/alpha.yaml": project_yaml("alpha"),
        f"{PROJECTS}/beta.yaml": project_yaml("beta"),
        APPS_POOL: POOL_YAML,
    }


def build_tree(tmp_path: Path, changes: Mapping[str, str | bytes | None] | None = None) -> Path:
    """The base tree with ``changes`` applied (path -> new text, or None to leave it out) at tmp_path/tree."""
    files = base_files()
    files.update(changes or {})
    root = tmp_path / "tree"
    root.mkdir(parents=True, exist_ok=True)
    return build_file_tree(root, {rel: text for rel, text in files.items() if text is not None})


def validate(root: Path) -> Validation:
    return validate_tree(root, SHOWN)


def findings(root: Path) -> list[Finding]:
    return validate(root).findings


def lines(root: Path) -> list[str]:
    """Every finding of the tree, formatted as the CLI prints it."""
    return [finding.format() for finding in findings(root)]


def pos(text: str, needle: str, occurrence: int = 1) -> tuple[int, int]:
    """1-based (line, column) of the ``occurrence``-th ``needle`` in ``text``."""
    start = -1
    for _ in range(occurrence):
        start = text.index(needle, start + 1)
    line = text.count("\n", 0, start) + 1
    col = start - (text.rfind("\n", 0, start) + 1) + 1
    return line, col


def shown(rel: str) -> str:
    return f"{SHOWN}/{rel}"
