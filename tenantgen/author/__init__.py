"""Author: help people write the tree, beside the render pipeline.

``scaffold`` (``tenantgen new``) drafts new documents, ``explain`` builds a tenant's effective spec
with the origin of every value, ``lint`` runs helm lint on the charts.
"""

from __future__ import annotations

from tenantgen.author.explain import (
    ClusterSection,
    Explanation,
    ObjectLine,
    ReleaseLine,
    ValueLine,
    clusters_holding,
    computed_values,
    effective_spec,
    provenance,
    release_lines,
    tenant_section,
    unknown_tenant_message,
)
from tenantgen.author.lint import LintMessage, lint_charts
from tenantgen.author.scaffold import (
    KIND_OF_COMMAND,
    Missing,
    Target,
    account_provider,
    derive,
    document_data,
    existing_file,
    initial_spec,
    locate,
    missing_values,
    new_findings,
    render_document,
)
from tenantgen.author.scaffold_values import ValueProblem, coerce, set_value

__all__ = [
    "clusters_holding",
    "tenant_section",
    "KIND_OF_COMMAND",
    "ClusterSection",
    "Explanation",
    "LintMessage",
    "Missing",
    "ObjectLine",
    "ReleaseLine",
    "Target",
    "ValueLine",
    "ValueProblem",
    "coerce",
    "computed_values",
    "derive",
    "document_data",
    "effective_spec",
    "existing_file",
    "initial_spec",
    "lint_charts",
    "locate",
    "missing_values",
    "new_findings",
    "provenance",
    "release_lines",
    "account_provider",
    "render_document",
    "set_value",
    "unknown_tenant_message",
]
