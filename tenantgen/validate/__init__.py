"""Validate stage: each document on its own (JSON Schema, credential screening), then the merged fleet
across files (references, uniqueness, hostnames, Argo CD policies, the tier's guardrails, the class lists
and Pod Security level a tenant may only tighten).

``validate_loaded(tree, findings, check=...)`` is the stage in one call; ``check`` is how each
document is checked (the pipeline hands in a faster check of the same verdicts).
"""

from __future__ import annotations

from tenantgen.validate.checks import check_credentials, claimed_hostnames
from tenantgen.validate.placing import get
from tenantgen.validate.policy import (
    POD_SECURITY_LEVELS,
    platform_pod_security,
    tenant_classes,
    tenant_pod_security,
)
from tenantgen.validate.providers import AWS, AZURE, DEFAULT_PROVIDER, provider_of
from tenantgen.validate.schema import (
    SCHEMA_FILE_OF_KIND,
    check_document,
    schema_documents,
    schema_files,
    schema_of,
    schema_problems,
    strip_nulls,
    validator_for,
)
from tenantgen.validate.source_repos import WILDCARDS, too_broad
from tenantgen.validate.tree_check import DocumentCheck, Validation, check_documents, validate_loaded

__all__ = [
    "AWS",
    "AZURE",
    "DEFAULT_PROVIDER",
    "POD_SECURITY_LEVELS",
    "SCHEMA_FILE_OF_KIND",
    "WILDCARDS",
    "DocumentCheck",
    "Validation",
    "check_credentials",
    "check_document",
    "check_documents",
    "claimed_hostnames",
    "get",
    "platform_pod_security",
    "provider_of",
    "schema_documents",
    "schema_files",
    "schema_of",
    "schema_problems",
    "strip_nulls",
    "tenant_classes",
    "tenant_pod_security",
    "too_broad",
    "validate_loaded",
    "validator_for",
]
