"""The object checks: each rendered Kubernetes object against its kind's schema, offline (``manifest``),
with the schemas of core kinds and of the user's CRDs (``schemas``), and against the CRDs' CEL rules
(``cel_rules``, evaluated with the engine and Kubernetes functions of ``cel_library``)."""

from __future__ import annotations

from tenantgen.render.checks.manifest import ManifestValidator, ObjectProblem
from tenantgen.render.checks.schemas import CrdConflict, load_crds

__all__ = ["CrdConflict", "ManifestValidator", "ObjectProblem", "load_crds"]
