"""Compare two output sets (what ``render`` produced on two sides) into data: objects and meaning.

Pure: no I/O. Output files are cut into units before comparing, so the diff is per Kubernetes
object (matched by cluster, API group, kind, namespace and name, whatever file it sits in) rather
than per file; values files and helmfile.yaml are units of their own, and every chart folder under
``charts/`` is one unit listing its files' hashes (its templates are tenantgen's, not the tree's).
Secret data is redacted while cutting, before anything is compared or shown.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tenantgen.render.output_set import OutputFile, OutputSet, sha256
from tenantgen.review.changes import ObjectChange, SubjectChange
from tenantgen.review.diff_summary import summarize
from tenantgen.review.redaction import SecretRedactor, is_secret
from tenantgen.yamlio import YamlProblem, dump, load_all

CONTEXT_LINES = 3
OBJECT_FOLDERS = ("manifests", "config", "flux", "argocd")


@dataclass(frozen=True)
class Unit:
    key: str  # identity across the two sides
    path: str  # the output file it comes from
    cluster: str
    tenant: str | None
    title: str  # what a reviewer calls it: "Tenant payments", "values/payments-tenant.yaml"
    text: str  # redacted, ready to diff
    shared_file: bool = False  # the file holds other units too


@dataclass
class DiffResult:
    subjects: list[SubjectChange] = field(default_factory=list)
    objects: list[ObjectChange] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.objects or self.subjects)

    def counts(self) -> dict[str, int]:
        tenants = [s for s in self.subjects if s.scope == "tenant"]
        return {
            "tenants_changed": sum(1 for s in tenants if s.status == "changed"),
            "tenants_added": sum(1 for s in tenants if s.status == "added"),
            "tenants_removed": sum(1 for s in tenants if s.status == "removed"),
            "objects_changed": sum(1 for o in self.objects if o.status == "changed"),
            "objects_added": sum(1 for o in self.objects if o.status == "added"),
            "objects_removed": sum(1 for o in self.objects if o.status == "removed"),
            "clusters": len({o.cluster for o in self.objects if o.cluster}),
        }


def compare(base: OutputSet, head: OutputSet, redactor: SecretRedactor | None = None) -> DiffResult:
    """What changed from ``base`` to ``head``: a per-tenant summary, then every object that differs."""
    redactor = redactor or SecretRedactor()
    memo: dict[tuple[str, OutputFile], list[Unit]] = {}  # a file both sides share is cut once
    base_units, head_units = cut_units(base, redactor, memo), cut_units(head, redactor, memo)
    objects = []
    for key in sorted(base_units.keys() | head_units.keys(), key=lambda k: _order(base_units, head_units, k)):
        old, new = base_units.get(key), head_units.get(key)
        if old is not None and new is not None and old.text == new.text:
            continue
        shown = new or old
        assert shown is not None
        status = "added" if old is None else "removed" if new is None else "changed"
        objects.append(ObjectChange(key, shown.cluster, shown.tenant or (old.tenant if old else None), shown.title,
                                    shown.path, status, tuple(_unified(old, new))))
    return DiffResult(summarize(base, head, objects), objects)


def _order(base: Mapping[str, Unit], head: Mapping[str, Unit], key: str) -> tuple[int, str, str, str]:
    unit = head.get(key) or base[key]
    # Fleet-wide files (charts) last; within a cluster, by file and then by object.
    return (0 if unit.cluster else 1, unit.cluster, unit.path, unit.title)


def _unified(old: Unit | None, new: Unit | None) -> list[str]:
    def name(side: str, unit: Unit | None) -> str:
        if unit is None:
            return "/dev/null"
        return f"{side}/{unit.path} ({unit.title})" if unit.shared_file else f"{side}/{unit.path}"

    return list(difflib.unified_diff(
        old.text.splitlines() if old else [], new.text.splitlines() if new else [],
        fromfile=name("a", old), tofile=name("b", new), n=CONTEXT_LINES, lineterm=""))


def cut_units(files: OutputSet, redactor: SecretRedactor,
              memo: dict[tuple[str, OutputFile], list[Unit]] | None = None) -> dict[str, Unit]:
    """Every unit of an output set by key; Secret data already redacted."""
    memo = {} if memo is None else memo
    units: dict[str, Unit] = {}
    charts: dict[str, list[str]] = {}
    for path in sorted(files):
        file = files[path]
        parts = path.split("/")
        if parts[0] == "charts" and len(parts) > 2:
            charts.setdefault(parts[1], []).append(f"{'/'.join(parts[2:])}  sha256:{sha256(file.data)[:12]}")
            continue
        found = memo.get((path, file))
        if found is None:
            folder = parts[3] if len(parts) > 4 else ""
            found = (_object_units(path, file, redactor) if folder in OBJECT_FOLDERS else None) or [
                _file_unit(path, file, redactor)]
            memo[(path, file)] = found
        for unit in found:
            key, number = unit.key, 2
            while key in units:  # the same object twice (a config file and a chart): keep both
                key, number = f"{unit.key}#{number}", number + 1
            units[key] = Unit(key, unit.path, unit.cluster, unit.tenant, unit.title, unit.text, unit.shared_file)
    for chart, lines in charts.items():
        units[f"charts/{chart}"] = Unit(f"charts/{chart}", f"charts/{chart}/", "", None, f"chart {chart}",
                                        "\n".join(lines) + "\n")
    return units


def _parse(data: bytes) -> list[Any] | None:
    try:
        return [doc for doc in load_all(data) if doc is not None]
    except YamlProblem:
        return None


_SEPARATOR = re.compile(r"^---[ \t]*(?:#.*)?$", re.MULTILINE)


def _chunks(text: str) -> list[str]:
    """The text of each non-empty document of a YAML stream, as written."""
    chunks = _SEPARATOR.split(text)
    return [chunk.strip("\n") + "\n" for chunk in chunks
            if any(line.strip() and not line.lstrip().startswith("#") for line in chunk.splitlines())]


def _object_units(path: str, file: OutputFile, redactor: SecretRedactor) -> list[Unit] | None:
    documents = _parse(file.data)
    if not documents or not all(isinstance(doc, dict) and isinstance(doc.get("metadata"), dict)
                                and doc.get("kind") for doc in documents):
        return None
    # Objects are shown as written (re-dumping is slow on big outputs); Secrets always re-dumped, redacted.
    chunks = _chunks(file.data.decode("utf-8", "replace"))
    written = len(chunks) == len(documents)
    units = []
    for number, doc in enumerate(documents):
        meta = doc["metadata"]
        group = str(doc.get("apiVersion", "")).rpartition("/")[0]  # the version may change; the object stays
        namespace, name = str(meta.get("namespace") or ""), str(meta.get("name") or "")
        title = f"{doc['kind']} {namespace + '/' if namespace else ''}{name}"
        text = chunks[number] if written and not is_secret(doc) else dump(redactor.hide_secret_values(doc))
        units.append(Unit(f"{file.cluster}|{group}|{doc['kind']}|{namespace}|{name}", path, file.cluster,
                          file.tenant, title, text, len(documents) > 1))
    return units


def _file_unit(path: str, file: OutputFile, redactor: SecretRedactor) -> Unit:
    documents = _parse(file.data)
    title = path.removeprefix(f"{file.cluster}/") if file.cluster else path
    if documents is None:
        hidden = redactor.hide_unparsable_secret(file.data)
        text = hidden if hidden is not None else file.data.decode("utf-8", "replace")
    elif any(is_secret(doc) for doc in documents):
        text = "---\n".join(dump(redactor.hide_secret_values(doc)) for doc in documents)
    else:
        text = file.data.decode("utf-8", "replace")
    return Unit(path, path, file.cluster, file.tenant, title, text)
