"""Review: what a change to the tree does, for the people who review it.

``diff`` compares two renders per Kubernetes object and ``diff_summary`` says what that means per
tenant and cluster (records in ``changes``; Secret values hidden by ``redaction``); ``guard`` tells
whether a tenant may make the change on its own; ``codeowners`` gives each tenant's group its files;
``git`` reads the base side of a change straight from a repository.
"""

from __future__ import annotations

from tenantgen.review import git
from tenantgen.review.changes import ObjectChange, SubjectChange
from tenantgen.review.codeowners import render_codeowners
from tenantgen.review.diff import DiffResult, compare
from tenantgen.review.guard import GuardInput, Violation, changed_files, check_guard
from tenantgen.review.redaction import SecretRedactor

__all__ = [
    "DiffResult",
    "GuardInput",
    "ObjectChange",
    "SecretRedactor",
    "SubjectChange",
    "Violation",
    "changed_files",
    "check_guard",
    "compare",
    "git",
    "render_codeowners",
]
