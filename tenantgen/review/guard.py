"""Guardrails for self-service pull requests: may a tenant make this change without the platform team?

Pure: the inputs are both sides' validated trees (documents and effective specs), the paths that
changed and the head's rendered output; the answer is a list of violations, each with a file and a
reason. Which files and fields changed is decided on the input documents; where Argo CD may deploy
is read from the rendered AppProjects and Applications, because that is what the cluster obeys.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tenantgen.load import Document, cluster_of, cluster_parts
from tenantgen.render.output_set import OutputSet
from tenantgen.validate import WILDCARDS, Validation, too_broad
from tenantgen.yamlio import YamlProblem, load_all

DEFAULT_TENANT_FIELDS = ("readers", "contact", "costCenter", "ingress.hostnames", "namespaces.default",
                         "limitRange", "additionalMetadata")
DEFAULT_ARGO_PROJECT_FIELDS = ("sourceRepos", "rootApp", "roles", "repository")
RULES = {
    "a": "tenant-scope", "b": "foreign-group", "c": "source-repos", "d": "destination",
    "e": "platform-file", "f": "guardrail", "g": "field", "h": "new-file",
}
TENANT_FOLDERS = {"tenants": "tenant", "argo-projects": "argo-project"}
PLATFORM_FILES = {"tier": 2, "account": 3, "cluster": 4}  # kind file stem -> depth of its path


@dataclass(frozen=True, order=True)
class Violation:
    rule: str  # "a" to "h", see RULES
    file: str  # as the user would type it; "" when it is about the change as a whole
    reason: str

    @property
    def code(self) -> str:
        return RULES[self.rule]

    def format(self) -> str:
        return f"{self.file}: {self.reason} [{self.code}]" if self.file else f"{self.reason} [{self.code}]"

    def to_json(self) -> dict[str, str]:
        return {"rule": self.rule, "code": self.code, "file": self.file, "reason": self.reason}


@dataclass(frozen=True)
class Place:
    """What a tree file is: a tenant's own file (tenant, argo-project) or a platform file."""

    kind: str  # "tenant", "argo-project", or the platform kind: "tier", "node-pool", "config", "file", ...
    cluster: str = ""  # "<tier>/<account>/<cluster>" for files inside a cluster
    name: str = ""

    @property
    def tenant_owned(self) -> bool:
        return self.kind in ("tenant", "argo-project")


def classify(rel: str) -> Place:
    parts = rel.split("/")
    cluster = cluster_of(rel)
    if cluster is not None and len(parts) == 5 and parts[3] in TENANT_FOLDERS and parts[4].endswith((".yaml", ".yml")):
        return Place(TENANT_FOLDERS[parts[3]], cluster, parts[4].rsplit(".", 1)[0])
    stem, _, suffix = parts[-1].rpartition(".")
    if PLATFORM_FILES.get(stem) == len(parts) and suffix in ("yaml", "yml"):
        return Place(stem)
    if "config" in parts[:-1]:
        return Place("config")
    if len(parts) == 5 and parts[3] == "node-pools":
        return Place("node-pool")
    return Place("file")


def _platform_noun(kind: str) -> str:
    if kind == "file":
        return "other files (not tenant or argo-project YAML)"
    return f"{kind} files"


def changed_files(base: Mapping[str, bytes], head: Mapping[str, bytes]) -> dict[str, str]:
    """rel path -> "added", "removed" or "modified", for every file whose bytes differ."""
    changes = {}
    for rel in sorted(base.keys() | head.keys()):
        if rel not in base:
            changes[rel] = "added"
        elif rel not in head:
            changes[rel] = "removed"
        elif base[rel] != head[rel]:
            changes[rel] = "modified"
    return changes


@dataclass(frozen=True)
class GuardInput:
    base: Validation
    head: Validation
    changes: Mapping[str, str]  # from changed_files
    head_files: OutputSet | None  # the head's render; None when it failed
    head_problems: Sequence[str] = ()  # release failures of the head's render


def check_guard(data: GuardInput) -> list[Violation]:
    checker = _Checker(data)
    return sorted(set(checker.run()))


class _Checker:
    def __init__(self, data: GuardInput) -> None:
        self.data = data
        self.shown = data.head.tree.display_root
        self.base_docs = {doc.rel: doc for doc in data.base.tree.documents()}
        self.head_docs = {doc.rel: doc for doc in data.head.tree.documents()}

    def path(self, rel: str) -> str:
        return f"{self.shown}/{rel}"

    def run(self) -> Iterator[Violation]:
        touched: dict[tuple[str, str], str] = {}  # (cluster, tenant) -> a file of it that changed
        for rel, status in self.data.changes.items():
            place = classify(rel)
            if not place.tenant_owned:
                yield Violation("e", self.path(rel), f"{_platform_noun(place.kind)} belong to the platform team; "
                                                     "a tenant changes only its own tenant and argo-project files")
                continue
            if status != "modified":
                noun = place.kind.replace("-", " ")
                yield Violation("h", self.path(rel), f"{status} {noun} file: a new or deleted {noun} needs the "
                                                     "platform team")
            tenants = self.owners_of(rel, place)
            if len(tenants) > 1:
                yield Violation("a", self.path(rel), f"moves argo project {place.name} from tenant "
                                                     f"{tenants[0]} to tenant {tenants[1]}")
            for tenant in tenants:
                touched.setdefault((place.cluster, tenant), rel)
            if status == "modified":
                yield from self.fields(rel, place)
        yield from self.scope(touched)
        for (cluster, tenant), rel in sorted(touched.items()):
            yield from self.groups(cluster, tenant, rel)
            yield from self.destinations(cluster, tenant, rel)
        for rel in self.data.changes:
            if classify(rel).kind == "argo-project" and rel in self.head_docs:
                yield from self.source_repos(rel)
        for finding in self.data.head.findings:
            where = f"line {finding.line}: " if finding.line else ""
            field = f"{finding.field}: " if finding.field else ""
            yield Violation("f", finding.file, f"{where}{field}{finding.message}")
        for problem in self.data.head_problems:
            yield Violation("f", "", problem)

    def owners_of(self, rel: str, place: Place) -> list[str]:
        """The tenants a changed file belongs to: two when an argo project changes hands."""
        if place.kind == "tenant":
            return [place.name]
        names = []
        for docs in (self.base_docs, self.head_docs):
            doc = docs.get(rel)
            tenant = doc.spec.get("tenant") if doc else None
            if isinstance(tenant, str) and tenant not in names:
                names.append(tenant)
        return names or [place.name]

    # (a) one tenant per change
    def scope(self, touched: Mapping[tuple[str, str], str]) -> Iterator[Violation]:
        names = sorted({tenant for _, tenant in touched})
        if len(names) > 1:
            yield Violation("a", "", f"the change touches the files of {len(names)} tenants ({', '.join(names)}); "
                                     "a self-service change stays within one tenant's files")
        for name in names:
            instances = sorted(cluster for cluster, tenant in touched if tenant == name)
            owner_sets = {frozenset(self.own_groups(cluster, name)) for cluster in instances}
            if len(owner_sets) > 1:
                yield Violation("a", "", f"tenant {name} has different owners in {', '.join(instances)}: they are "
                                         "different teams' tenants")

    # (b) no foreign groups
    def own_groups(self, cluster: str, tenant: str) -> list[str]:
        spec = self.effective(self.data.base, cluster, tenant)
        return [str(o.get("name")) for o in spec.get("owners") or [] if isinstance(o, dict) and o.get("kind") == "Group"]

    def groups(self, cluster: str, tenant: str, rel: str) -> Iterator[Violation]:
        base = self.effective(self.data.base, cluster, tenant)
        head = self.effective(self.data.head, cluster, tenant)
        if not base or not head:
            return  # a new or deleted tenant: rule (h) already stops it
        own = set(self.own_groups(cluster, tenant))
        where = self.path(f"{cluster}/tenants/{tenant}.yaml")
        old_owners = {_subject(o) for o in base.get("owners") or []}
        for owner in head.get("owners") or []:
            if _subject(owner) not in old_owners:
                yield Violation("b", where, f"adds owner {_subject(owner)}: owners change only with the platform team")
        for reader in head.get("readers") or []:
            if reader not in (base.get("readers") or []) and reader not in own:
                yield Violation("b", where, f"adds reader {reader}, which is not one of the tenant's own groups "
                                            f"({', '.join(sorted(own)) or 'none'})")
        for project_rel, doc in sorted(self.head_docs.items()):
            if doc.kind != "ArgoProject" or doc.spec.get("tenant") != tenant or not project_rel.startswith(
                    cluster + "/"):
                continue
            before = self.base_docs.get(project_rel)
            old = _role_grants(before.spec) if before else set()
            for group, role, _ in sorted(grant for grant in _role_grants(doc.spec) - old if grant[0] not in own):
                yield Violation("b", self.path(project_rel), f"gives group {group} role {role} (new or changed "
                                                             f"since the base ref), but it is not one of the "
                                                             f"tenant's own groups ({', '.join(sorted(own))})")

    @staticmethod
    def effective(side: Validation, cluster: str, tenant: str) -> dict[str, Any]:
        for model in side.fleet.clusters:
            if model.rel == cluster and tenant in model.tenants:
                return model.tenants[tenant].spec
        for docs in side.tree.clusters:  # not in the fleet (schema findings): its own document
            if docs.rel == cluster and tenant in docs.tenants:
                return docs.tenants[tenant].spec
        return {}

    # (c) sourceRepos that match everything
    def source_repos(self, rel: str) -> Iterator[Violation]:
        repos = self.head_docs[rel].spec.get("sourceRepos")
        for pattern in repos if isinstance(repos, list) else []:
            problem = too_broad(str(pattern))
            if problem:
                yield Violation("c", self.path(rel), f"sourceRepos {pattern!r} {problem}; list the tenant's "
                                                     "own repositories")

    # (d) destinations within the tenant's namespaces, read from the rendered objects
    def destinations(self, cluster: str, tenant: str, rel: str) -> Iterator[Violation]:
        files = self.data.head_files
        if files is None:
            return
        others = [name for model in self.data.head.fleet.clusters if model.rel == cluster
                  for name in model.tenants if name != tenant and name.startswith(f"{tenant}-")]
        for path in sorted(files):
            file = files[path]
            if file.cluster != cluster or file.tenant != tenant or "/manifests/" not in path:
                continue
            for obj in _objects(file.data):
                for problem in destination_problems(obj, tenant, others):
                    yield Violation("d", f"{path} (rendered)", problem)

    # (g) only self-service fields
    def fields(self, rel: str, place: Place) -> Iterator[Violation]:
        before, after = self.base_docs.get(rel), self.head_docs.get(rel)
        if after is None:
            return  # unreadable in the working tree: rule (f) reports it
        if before is None:
            yield Violation("g", self.path(rel), "the file cannot be read at the base ref, so the fields this "
                                                 "change touches cannot be checked")
            return
        allowed = self.allowed_fields(place)
        for field in changed_fields(before.data, after.data):
            inside = field.removeprefix("spec.") if field.startswith("spec.") else None
            if inside is not None and any(inside == f or inside.startswith(f + ".") for f in allowed):
                continue
            yield Violation("g", self.path(rel), f"changes {inside or field}, which is not a self-service field "
                                                 f"of tier {cluster_parts(place.cluster)[0]} (a tenant may change: "
                                                 f"{', '.join(allowed)})")

    def allowed_fields(self, place: Place) -> tuple[str, ...]:
        tier = cluster_parts(place.cluster)[0]
        doc: Document | None = self.data.base.tree.tiers.get(tier) or self.data.head.tree.tiers.get(tier)
        service = (doc.spec.get("selfService") if doc else None) or {}
        key, default = (("tenantFields", DEFAULT_TENANT_FIELDS) if place.kind == "tenant"
                        else ("argoProjectFields", DEFAULT_ARGO_PROJECT_FIELDS))
        fields = service.get(key) if isinstance(service, dict) else None
        return tuple(str(f) for f in fields) if isinstance(fields, list) else default


def _subject(owner: Any) -> str:
    return f"{owner.get('kind')} {owner.get('name')}" if isinstance(owner, dict) else str(owner)


def _role_grants(spec: Mapping[str, Any]) -> set[tuple[str, str, str]]:
    """(group, role name, what the role may do) for every group of every role."""
    roles = spec.get("roles")
    grants: set[tuple[str, str, str]] = set()
    for role in roles if isinstance(roles, list) else []:
        if not isinstance(role, dict):
            continue
        # Comparing the permissions too makes a role that grows stronger count as a new grant;
        # the description grants nothing.
        powers = json.dumps({k: v for k, v in role.items() if k not in ("groups", "description")},
                            sort_keys=True, default=str)
        grants.update((str(group), str(role.get("name")), powers) for group in role.get("groups") or [])
    return grants


_MISSING: Any = object()


def changed_fields(before: Any, after: Any, path: str = "") -> list[str]:
    """Dotted paths of every leaf that differs; lists count as leaves, absent maps as empty ones."""
    if isinstance(before, dict) or isinstance(after, dict):
        old = before if isinstance(before, dict) else {} if before is _MISSING else None
        new = after if isinstance(after, dict) else {} if after is _MISSING else None
        if old is not None and new is not None:
            fields = []
            for key in [*new, *(k for k in old if k not in new)]:
                fields.extend(changed_fields(old.get(key, _MISSING), new.get(key, _MISSING),
                                             f"{path}.{key}" if path else str(key)))
            return fields
    return [] if before == after else [path]


def _objects(data: bytes) -> list[dict[str, Any]]:
    try:
        return [doc for doc in load_all(data) if isinstance(doc, dict)]
    except YamlProblem:
        return []


def _inside(namespace: str, tenant: str) -> bool:
    """Whether every namespace the (glob) ``namespace`` can name is one of the tenant's: "<tenant>-..."."""
    literal = re.split(r"[*?\[{]", namespace, maxsplit=1)[0]  # the fixed part before any wildcard
    if not literal.startswith(f"{tenant}-"):
        return False
    return literal != namespace or len(namespace) > len(tenant) + 1


def _reaches_other(namespace: str, others: Collection[str]) -> str | None:
    # "pay-*" also names the namespaces of a tenant called "pay-ments": Capsule's prefix is no fence there.
    for other in sorted(others):
        if fnmatch.fnmatchcase(f"{other}-zz-other", namespace) or namespace.startswith(f"{other}-"):
            return other
    return None


def destination_problems(obj: Mapping[str, Any], tenant: str, others: Collection[str] = ()) -> list[str]:
    """What lets a rendered AppProject or Application deploy outside ``tenant``'s namespaces."""
    kind, spec = obj.get("kind"), obj.get("spec")
    name = (obj.get("metadata") or {}).get("name") if isinstance(obj.get("metadata"), dict) else None
    if not isinstance(spec, dict):
        return []
    problems = []
    if kind == "AppProject":
        for destination in spec.get("destinations") or []:
            if not isinstance(destination, dict):
                continue
            namespace = str(destination.get("namespace", ""))
            if not namespace.startswith("!") and not _inside(namespace, tenant):
                problems.append(f"AppProject {name} may deploy to namespace {namespace!r}, outside the tenant's "
                                f"namespaces ({tenant}-*)")
            elif not namespace.startswith("!") and (other := _reaches_other(namespace, others)):
                problems.append(f"AppProject {name} may deploy to namespace {namespace!r}, which also names the "
                                f"namespaces of tenant {other}")
            for key in ("server", "name"):
                if any(c in str(destination.get(key, "")) for c in WILDCARDS):
                    problems.append(f"AppProject {name} may deploy to any cluster ({key}: {destination[key]!r})")
        if spec.get("clusterResourceWhitelist"):
            problems.append(f"AppProject {name} allows cluster-scoped resources (clusterResourceWhitelist)")
    elif kind == "Application":
        destination = spec.get("destination") or {}
        namespace = str(destination.get("namespace", "")) if isinstance(destination, dict) else ""
        if namespace and (not _inside(namespace, tenant) or _reaches_other(namespace, others)):
            problems.append(f"Application {name} deploys to namespace {namespace!r}, outside the tenant's "
                            f"namespaces ({tenant}-*)")
    return problems
