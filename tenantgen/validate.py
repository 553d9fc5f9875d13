"""The input side of the pipeline in one call: load -> schema -> merge -> cross-file checks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tenantgen.checks import check_fleet
from tenantgen.documents import Document, TreeDocs
from tenantgen.findings import Finding, sort_findings
from tenantgen.fleet import Fleet, build_fleet
from tenantgen.schema import check_document
from tenantgen.tree import load_tree


@dataclass(frozen=True)
class Validation:
    tree: TreeDocs
    fleet: Fleet
    findings: list[Finding]

    @property
    def ok(self) -> bool:
        return not self.findings


def validate_tree(root: Path, display_root: str | None = None) -> Validation:
    tree, findings = load_tree(root, display_root)
    return validate_loaded(tree, findings)


def validate_loaded(tree: TreeDocs, findings: list[Finding]) -> Validation:
    """Schema, merge and cross-file checks of a loaded tree (``new`` adds its document to it first)."""
    findings = list(findings)
    broken: set[Document] = set()
    for doc in tree.documents():
        problems = check_document(doc)
        if problems:
            broken.add(doc)
            findings.extend(problems)
    fleet = build_fleet(tree, broken)
    findings.extend(check_fleet(fleet))
    return Validation(tree, fleet, sort_findings(findings))
