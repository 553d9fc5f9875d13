"""Report: what the other stages found, shown to people (text, markdown) or machines (JSON).

One registry of named reporters per subject (findings, a diff, a tenant's explanation), all built on
``Reporters``; the CLI picks one by the ``--format`` name.
"""

from __future__ import annotations

from tenantgen.report.diff import COMMENT_MARKER, DIFF_REPORTERS, GITHUB_COMMENT_LIMIT, DiffReport, markdown
from tenantgen.report.explain import EXPLAIN_REPORTERS
from tenantgen.report.findings import FINDINGS_REPORTERS, FindingsReport
from tenantgen.report.reporters import Reporter, Reporters, console_for

__all__ = [
    "COMMENT_MARKER",
    "DIFF_REPORTERS",
    "EXPLAIN_REPORTERS",
    "FINDINGS_REPORTERS",
    "GITHUB_COMMENT_LIMIT",
    "DiffReport",
    "FindingsReport",
    "Reporter",
    "Reporters",
    "console_for",
    "markdown",
]
