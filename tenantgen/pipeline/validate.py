"""The input side of the pipeline in one call: load -> schema -> merge -> cross-file checks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from tenantgen.validate.checks import check_config_credentials, check_config_names, check_credentials, check_fleet
from tenantgen.credentials import any_credential
from tenantgen.load.documents import Document, TreeDocs, contains_null
from tenantgen.render.engine.schema_compile import compile_schema
from tenantgen.findings import Finding, sort_findings
from tenantgen.merge.fleet import Fleet, build_fleet
from tenantgen.fast.reuse import TreeScan, scan_tree
from tenantgen.fast.parse_cache import ParseCache
from tenantgen.validate.schema import SCHEMA_FILE_OF_KIND, _schemas, check_document, schema_of, strip_nulls
from tenantgen.fast.helpers import HelperPool, collector_paused
from tenantgen.load.tree import document_data, kind_at, load_tree

PARALLEL_MIN = 1000  # documents to check below which helper processes are not worth starting
CHUNK = 250


@dataclass(frozen=True)
class Validation:
    tree: TreeDocs
    fleet: Fleet
    findings: list[Finding]

    @property
    def ok(self) -> bool:
        return not self.findings


def validate_tree(root: Path, display_root: str | None = None, cache_dir: Path | None = None,
                  scan: TreeScan | None = None, skip_cluster: Callable[[str], bool] | None = None,
                  reading: Reading | None = None) -> Validation:
    """Load and check the tree at ``root``.

    ``cache_dir``: where the parse cache lives (None: none). ``scan``: the tree's files, read already
    (render needs them anyway). ``skip_cluster`` leaves clusters (by rel) out altogether: render skips
    those whose output it reuses. ``reading``: the parse cache and helper processes of a caller that
    offered the files to them while it scanned (else this call makes its own); that caller saves the
    parse cache when it suits it (``ParseCache.save``).
    """
    own = reading is None
    reading = reading or Reading(ParseCache(cache_dir, root), HelperPool())
    cache, pool = reading.cache, reading.pool
    skip = skip_cluster or (lambda rel: False)
    try:
        with collector_paused():
            if scan is None and cache.cold() and root.is_dir():
                # A cold cache: parse in parallel what will be loaded, starting while the files are read.
                scan = scan_tree(root, on_read=lambda rel, digest, raw: cache.offer(digest, raw, pool, kind_at(rel)))
            if scan is not None:
                cache.touch(scan.digests.values())
                for rel, raw in scan.raws.items():
                    if not skip("/".join(rel.split("/")[:3])):
                        cache.offer(scan.digests[rel], raw, pool, kind_at(rel))  # (offered already: skipped)
                cache.send_rest(pool)  # (the loader takes the helpers' results as it reaches each file)
            cache.when_parsed(reading.loaded)
            tree, findings = load_tree(root, display_root, parse=cache.parse, skip_cluster=skip,
                                       raws=scan.raws if scan is not None else None)
            reading.loaded()
            validation = validate_loaded(tree, findings, cache, pool)
            cache.settle()  # files of clusters that were not loaded: parsed all the same, for the cache
    finally:
        if own:
            pool.close()
    if own:
        cache.save()
    return validation


@dataclass
class Reading:
    """What reads the tree: the parse cache and the helper processes that fill it."""

    cache: ParseCache
    pool: HelperPool
    # Called once the helpers are done parsing the tree (their cores are free again), at the latest
    # once it is loaded; maybe twice.
    loaded: Callable[[], None] = lambda: None


def validate_loaded(tree: TreeDocs, findings: list[Finding], cache: ParseCache | None = None,
                    pool: HelperPool | None = None) -> Validation:
    """Schema, merge and cross-file checks of a loaded tree (``new`` adds its document to it first)."""
    findings = list(findings)
    broken: set[Document] = set()
    docs = tree.documents()
    for doc, problems in zip(docs, _document_findings(docs, cache, pool), strict=True):
        if problems:
            broken.add(doc)
            findings.extend(problems)
    configs = [config for folder in tree.tier_config.values() for config in folder]
    configs.extend(config for cluster in tree.clusters for config in cluster.config)
    for config in configs:
        findings.extend(check_config_credentials(config))
    for cluster in tree.clusters:
        findings.extend(check_config_names(tree.tier_config.get(cluster.tier, []), cluster.config))
    fleet = build_fleet(tree, broken)
    findings.extend(check_fleet(fleet))
    return Validation(tree, fleet, sort_findings(findings))


def _document_findings(docs: list[Document], cache: ParseCache | None,
                       pool: HelperPool | None) -> list[list[Finding]]:
    """The per-document checks of every document: a document whose bytes passed them before (as the
    same kind, with the same tenantgen) is not checked again; the rest are checked in helper
    processes when there are many of them."""
    results: list[list[Finding] | None] = [
        [] if cache is not None and cache.schema_clean(doc.raw, doc.kind) else None for doc in docs]
    todo = [index for index, result in enumerate(results) if result is None]
    if pool is not None and len(todo) >= PARALLEL_MIN:
        # Helpers get (kind, data) and say "clean" or not: no document's bytes, path or findings
        # cross the process boundary, which cost more than the checks. The few that are not clean are
        # checked again here, for their findings.
        chunks = [[(docs[index].kind, docs[index].data) for index in todo[start:start + CHUNK]]
                  for start in range(0, len(todo), CHUNK)]
        clean = [verdict for chunk in pool.map(documents_clean, chunks) for verdict in chunk]
        checked = [[] if ok else check_documents([docs[index]])[0] for index, ok in zip(todo, clean, strict=True)]
    else:
        checked = check_documents([docs[index] for index in todo])
    for index, problems in zip(todo, checked, strict=True):
        results[index] = problems
        if not problems and cache is not None:
            cache.mark_schema_clean(docs[index].raw, docs[index].kind)
    return [result or [] for result in results]


def clean_as(kind: str, documents: list[Any], may_hold_credential: bool = True) -> bool:
    """Whether a file of these parsed documents, loaded as a ``kind``, passes the per-document checks
    (``documents_clean``): what a helper that parsed a file can tell right away (see ``parsecache``).
    ``may_hold_credential``: False when the file's text shows that none of its strings can look like
    a credential (``credentials.text_may_hold_credential``): they are then not looked at one by one."""
    present = [document for document in documents if document is not None]
    if len(present) != 1 or not isinstance(present[0], dict):
        return False  # the loader reports it
    document = present[0]
    if contains_null(document):  # (rare: a null is a merge directive) the way the loader keeps it
        return documents_clean([(kind, document_data(kind, document))])[0]
    # Without a null, the data is checked as it is: nothing to drop, no second look for nulls.
    return _valid_as(kind, document) and not (may_hold_credential and any_credential(document))


def check_documents(docs: list[Document]) -> list[list[Finding]]:
    """Schema and credential findings of each document, on its own."""
    return [([] if _schema_clean(doc.kind, doc.data) else check_document(doc)) + check_credentials(doc)
            for doc in docs]


def documents_clean(items: list[tuple[str, Any]]) -> list[bool]:
    """For each (kind, data): whether ``check_documents`` would find nothing (a helper process runs
    this on its share of a large tree)."""
    return [_schema_clean(kind, data) and not any_credential(data) for kind, data in items]


def _schema_clean(kind: str, data: Any) -> bool:
    return _valid_as(kind, strip_nulls(data))


def _valid_as(kind: str, data: Any) -> bool:
    """``data`` (without nulls) passes the schema of ``kind``. The compiled predicate answers "valid?"
    ten times faster; a "no" (or no predicate) needs the messages of the full check."""
    valid = _schema_predicate(kind)
    return valid is not None and bool(valid(data))


@cache
def _schema_predicate(kind: str) -> Callable[[Any], bool] | None:
    """``validator_for(kind).is_valid``, compiled (see ``engine.schema_compile``); None if it cannot be."""
    if kind not in SCHEMA_FILE_OF_KIND:
        return None
    documents = {str(schema["$id"]): schema for schema in _schemas().values() if "$id" in schema}
    return compile_schema(schema_of(kind), documents, Draft202012Validator.FORMAT_CHECKER)
