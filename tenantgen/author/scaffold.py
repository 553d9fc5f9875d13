"""``tenantgen new``: where a new document goes, what it holds, what is still missing, its text, and
whether the tree still validates with it.

Pure apart from reading templates and schemas: the command loads the tree, asks questions and
writes the file. The text comes from ``templates/scaffolds/<kind>.yaml.j2`` through the shared
sandboxed environment; every value goes through the ``yaml`` filter and the text is parsed back
and compared with the intended document, so no value can change the file's structure.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import TemplateError

from tenantgen import API_VERSION
from tenantgen.author.scaffold_values import (
    Field,
    apply_sets,
    order_like_schema,
    resolve_key,
    set_hint,
    spec_field,
)
from tenantgen.errors import TenantgenError, UsageError
from tenantgen.findings import Finding
from tenantgen.jinja_env import environment
from tenantgen.load import DNS_LABEL, FILE_OF_KIND, FOLDER_OF_KIND, ClusterDocs, Document, TreeDocs
from tenantgen.merge import Layer, merge_layers
from tenantgen.validate import DEFAULT_PROVIDER, SCHEMA_FILE_OF_KIND, get, validate_loaded
from tenantgen.yamlio import YamlProblem, load_all

KIND_OF_COMMAND = {"tenant": "Tenant", "argo-project": "ArgoProject", "node-pool": "NodePool", "cluster": "Cluster"}
SCHEMA_URL = "https://tenantgen.io/schemas/v1alpha1/"
# Plain YAML keys that read back as the same string under YAML 1.1 and 1.2; anything else is quoted.
_PLAIN_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_./-]*$")
_YAML11_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}
_SAFE_PATH = re.compile(r"^[A-Za-z0-9._/-]+$")


@dataclass(frozen=True)
class Target:
    """The document to create and the tree it joins."""

    kind: str
    name: str
    root: Path  # the tree root
    display_root: str
    tier: str
    account: str
    cluster: str  # the cluster it belongs to (the new cluster itself for kind Cluster)

    @property
    def cluster_rel(self) -> str:
        return f"{self.tier}/{self.account}/{self.cluster}"

    @property
    def rel(self) -> str:
        if self.kind == "Cluster":
            return f"{self.cluster_rel}/{FILE_OF_KIND['Cluster']}"
        return f"{self.cluster_rel}/{FOLDER_OF_KIND[self.kind]}/{self.name}.yaml"

    @property
    def path(self) -> Path:
        return self.root / self.rel

    @property
    def display_path(self) -> str:
        return f"{self.display_root}/{self.rel}"


def locate(kind: str, name: str, folder: Path) -> Target:
    """Check NAME and ``--in`` and work out the tree; UsageError when they do not fit together."""
    if not DNS_LABEL.match(name):
        raise UsageError(f"name {name!r} is not a DNS-1123 label (lowercase letters, digits and '-', "
                         "starting and ending with a letter or digit, at most 63 characters)")
    real = folder.resolve()
    if kind == "Cluster":
        if not real.is_dir() or not _has(real.parent, "tier"):
            raise UsageError(f"--in {str(folder)!r} is not an account folder: expected <tree>/<tier>/<account>, "
                             "whose tier folder holds tier.yaml")
        root, tier, account, cluster = real.parent.parent, real.parent.name, real.name, name
    else:
        if not real.is_dir() or not _has(real, "cluster") or not _has(real.parent.parent, "tier"):
            raise UsageError(f"--in {str(folder)!r} is not a cluster folder: expected "
                             "<tree>/<tier>/<account>/<cluster> with a cluster.yaml")
        root, tier, account, cluster = real.parents[2], real.parents[1].name, real.parent.name, real.name
    return Target(kind, name, root, _display(root), tier, account, cluster)


def _has(folder: Path, stem: str) -> bool:
    return any((folder / f"{stem}{suffix}").is_file() for suffix in (".yaml", ".yml"))


def _display(root: Path) -> str:
    try:
        shown = os.path.relpath(root)
    except ValueError:  # another drive on Windows
        shown = str(root)
    return Path(str(root) if shown.startswith("..") else shown).as_posix()


def existing_file(target: Target) -> Path | None:
    """The file (.yaml or .yml) the new document would clash with, if any."""
    stem = target.path.with_suffix("")
    for suffix in (".yaml", ".yml"):
        if stem.with_suffix(suffix).exists():
            return stem.with_suffix(suffix)
    return None


def cluster_docs(tree: TreeDocs, target: Target) -> ClusterDocs | None:
    return next((docs for docs in tree.clusters if docs.rel == target.cluster_rel), None)


def initial_spec(target: Target, tree: TreeDocs, owner: str | None, assignments: list[str]) -> dict[str, Any]:
    """Defaults for the kind, then ``--owner``, then ``--set`` (later wins), then derived defaults."""
    spec: dict[str, Any] = {}
    if target.kind == "Tenant":
        spec["namespaces"] = {"default": f"{target.name}-default"}
    elif target.kind == "ArgoProject":
        spec["tenant"] = target.name
        spec["rootApp"] = {"path": f"clusters/{target.cluster}"}
    elif target.kind == "NodePool":
        spec["instances"] = {"capacityTypes": ["on-demand"], "architectures": ["amd64"]}
    elif target.kind == "Cluster":
        account = tree.accounts.get((target.tier, target.account))
        if account is not None and isinstance(account.spec.get("region"), str):
            spec["region"] = account.spec["region"]
    if owner is not None:
        if target.kind != "Tenant":
            raise UsageError("--owner applies to tenants only")
        spec["owners"] = [{"kind": "Group", "name": owner}]
    apply_sets(target.kind, spec, assignments)
    derive(target, spec)
    return spec


def derive(target: Target, spec: dict[str, Any]) -> None:
    """Defaults that follow from other values: a project may deploy from its root app's repository."""
    repo = get(spec, ("rootApp", "repoURL"))
    if target.kind == "ArgoProject" and "sourceRepos" not in spec and isinstance(repo, str) and repo:
        spec["sourceRepos"] = [repo]


@dataclass(frozen=True)
class Missing:
    field: Field
    why: str  # "the Tenant schema", "tier 'prod', guardrails.requiredFields"

    @property
    def hint(self) -> str:
        return "--owner GROUP" if self.field.path == ("owners",) else set_hint(self.field)


def _unset(value: Any) -> bool:
    return value in (None, "", [], {})


def _required(field: Field) -> list[Field]:
    found: list[Field] = []
    for name in field.schema.get("required") or []:
        child = field.child(name)
        if child is None:
            continue
        if child.type == "object" and child.schema.get("required"):
            found.extend(_required(child))
        else:
            found.append(child)
    return found


def missing_values(target: Target, tree: TreeDocs, spec: dict[str, Any]) -> list[Missing]:
    """Required values not set yet: the schema's, and for tenants the tier's requiredFields after merging."""
    missing = [Missing(field, f"the {target.kind} schema") for field in _required(spec_field(target.kind))
               if _unset(get(spec, field.path))]
    if target.kind == "ArgoProject" and any(m.field.path == ("rootApp", "repoURL") for m in missing):
        missing = [m for m in missing if m.field.path != ("sourceRepos",)]  # derived from repoURL
    if target.kind == "Tenant":
        merged = merged_tenant_spec(target, tree, spec)
        tier = tree.tiers.get(target.tier)
        rails = (tier.spec.get("guardrails") or {}) if tier else {}
        for dotted in rails.get("requiredFields") or []:
            field = resolve_key("Tenant", dotted)
            if _unset(get(merged, field.path)) and all(m.field.path != field.path for m in missing):
                missing.append(Missing(field, f"tier {target.tier!r}, guardrails.requiredFields"))
    return missing


def merged_tenant_spec(target: Target, tree: TreeDocs, spec: dict[str, Any]) -> dict[str, Any]:
    tier = tree.tiers.get(target.tier)
    docs = cluster_docs(tree, target)
    layers = []
    if tier is not None:
        layers.append(Layer("tier default", tier, ("spec", "defaults"), tier.spec.get("defaults") or {}))
    if docs is not None and docs.cluster is not None:
        layers.append(Layer("cluster default", docs.cluster, ("spec", "defaults"),
                            docs.cluster.spec.get("defaults") or {}))
    placeholder = Document("Tenant", target.name, target.display_path, target.rel, b"", {"spec": spec})
    layers.append(Layer("tenant", placeholder, ("spec",), spec))
    return merge_layers(layers).value


def modeline(target: Target) -> str:
    """``# yaml-language-server: $schema=...``: the checkout's schemas/ beside the tree, else the URL."""
    schema = SCHEMA_FILE_OF_KIND[target.kind]
    local = target.root.resolve().parent / "schemas" / schema
    where = SCHEMA_URL + schema
    if local.is_file():
        relative = Path(os.path.relpath(local, target.path.resolve().parent)).as_posix()
        if _SAFE_PATH.match(relative):  # a path is text in a comment: nothing odd may reach the file
            where = relative
    return f"# yaml-language-server: $schema={where}"


@dataclass(frozen=True)
class Line:
    """One line of block YAML: the key (or list dash) is structure, the value goes through ``yaml``."""

    indent: int
    dash: bool
    key: str
    quote: bool
    leaf: bool
    value: Any = None


def block_lines(mapping: dict[str, Any], indent: int = 0) -> list[Line]:
    lines: list[Line] = []
    for key, value in mapping.items():
        quote = not _PLAIN_KEY.match(key) or key.lower() in _YAML11_WORDS
        if isinstance(value, dict) and value:
            lines.append(Line(indent, False, key, quote, False))
            lines.extend(block_lines(value, indent + 2))
        elif isinstance(value, list) and value and all(isinstance(item, dict) and item for item in value):
            lines.append(Line(indent, False, key, quote, False))
            for item in value:
                first, *rest = block_lines(item, indent + 4)
                lines.append(Line(indent + 2, True, first.key, first.quote, first.leaf, first.value))
                lines.extend(rest)
        else:
            lines.append(Line(indent, False, key, quote, True, value))
    return lines


def document_data(target: Target, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": API_VERSION, "kind": target.kind, "metadata": {"name": target.name},
            "spec": order_like_schema(spec, spec_field(target.kind))}


def account_provider(tree: TreeDocs, target: Target) -> str:
    """The cloud the new document's cluster runs on: its account's provider (aws without an account file)."""
    account = tree.accounts.get((target.tier, target.account))
    provider = account.spec.get("provider") if account is not None else None
    return provider if isinstance(provider, str) else DEFAULT_PROVIDER


def render_document(target: Target, spec: dict[str, Any], provider: str = DEFAULT_PROVIDER) -> str:
    """The file's text; ``provider`` picks the commented hints (aws or azure settings) it shows."""
    data = document_data(target, spec)
    template = f"scaffolds/{_template_stem(target.kind)}.yaml.j2"
    context = {"modeline": modeline(target), "api_version": API_VERSION, "name": target.name,
               "spec": data["spec"], "lines": block_lines(data["spec"], 2), "cluster": target.cluster,
               "tier": target.tier, "provider": provider}
    try:
        text = environment().get_template(template).render(context)
    except TemplateError as exc:
        raise TenantgenError(f"template {template}: {exc.message or exc}") from None
    try:
        parsed = load_all(text.encode("utf-8"))
    except YamlProblem as problem:
        raise TenantgenError(f"template {template} produced invalid YAML: {problem.message} "
                             f"(line {problem.line})") from None
    if parsed != [data]:
        raise TenantgenError(f"template {template} does not reproduce the document it was given; "
                             "nothing was written")
    return text


def _template_stem(kind: str) -> str:
    return {value: key for key, value in KIND_OF_COMMAND.items()}[kind]


def new_findings(tree: TreeDocs, load_findings: list[Finding], target: Target, text: str) -> list[Finding]:
    """Findings the new document brings to the tree (compared with the tree as it is)."""
    before = validate_loaded(tree, load_findings).findings
    data = load_all(text.encode("utf-8"))[0]
    doc = Document(target.kind, target.name, target.display_path, target.rel, text.encode("utf-8"), data)
    docs = cluster_docs(tree, target)
    if target.kind == "Cluster":
        if docs is None:
            docs = ClusterDocs(target.tier, target.account, target.cluster, target.cluster_rel)
            tree.clusters.append(docs)
        docs.cluster = doc
    elif docs is None:
        raise TenantgenError(f"cluster {target.cluster_rel} is not part of the tree (its folder or name is "
                             f"invalid); run tenantgen validate {target.display_root}")
    else:
        group = {"Tenant": docs.tenants, "ArgoProject": docs.argo_projects, "NodePool": docs.node_pools}
        group[target.kind][target.name] = doc
    after = validate_loaded(tree, load_findings).findings
    # Compared by place and code, not message: a new node pool changes the "defined here: ..." list
    # in an old finding, which is not a problem the new file brings.
    known = {_place(finding) for finding in before}
    return [finding for finding in after if _place(finding) not in known]


def _place(finding: Finding) -> tuple[str, int, int, str, str]:
    return (finding.file, finding.line, finding.col, finding.field, finding.code)
