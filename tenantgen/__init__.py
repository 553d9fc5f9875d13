"""tenantgen: render multi-tenant Kubernetes set-ups from a tiered Git tree.

The pipeline, one module per stage:
load (tree) -> validate (schema, checks) -> merge -> plan -> render (engine) -> write / diff -> report.
"""

from __future__ import annotations

__version__ = "0.1.0"
API_VERSION = "tenantgen.io/v1alpha1"
