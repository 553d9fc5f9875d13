"""The validate stage on a loaded tree: each document on its own (schema, credentials), then the
merged fleet across files (references, uniqueness, hostnames, guardrails).

How each document is checked is a parameter: the pipeline hands in a faster check of the same
verdicts (a parse cache's verdicts, compiled schemas, helper processes; see ``fast``), ``new`` and
tests use the plain one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tenantgen.findings import Finding, sort_findings
from tenantgen.load import Document, TreeDocs
from tenantgen.merge import Fleet, build_fleet
from tenantgen.validate.checks import (
    check_config_credentials,
    check_config_names,
    check_credentials,
    check_fleet,
)
from tenantgen.validate.schema import check_document

# For each document: its findings (schema, credentials), in the documents' order.
DocumentCheck = Callable[[list[Document]], list[list[Finding]]]


@dataclass(frozen=True)
class Validation:
    tree: TreeDocs
    fleet: Fleet
    findings: list[Finding]

    @property
    def ok(self) -> bool:
        return not self.findings


def check_documents(docs: list[Document]) -> list[list[Finding]]:
    """Schema and credential findings of each document, on its own."""
    return [check_document(doc) + check_credentials(doc) for doc in docs]


def validate_loaded(tree: TreeDocs, findings: list[Finding], check: DocumentCheck = check_documents) -> Validation:
    """Schema, merge and cross-file checks of a loaded tree (``new`` adds its document to it first);
    ``findings``: the loader's."""
    findings = list(findings)
    broken: set[Document] = set()
    docs = tree.documents()
    for doc, problems in zip(docs, check(docs), strict=True):
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
