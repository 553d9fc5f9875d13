"""``tenantgen explain``: one tenant's effective spec, where each value comes from, what it renders to."""

from __future__ import annotations

import sys
from typing import TextIO

from tenantgen.pipeline.explain import ExplainOptions, explain_tenant
from tenantgen.report import EXPLAIN_REPORTERS

__all__ = ["ExplainOptions", "run_explain"]


def run_explain(options: ExplainOptions, stdout: TextIO | None = None) -> int:
    explained = explain_tenant(options)
    # (standard output looked up per call: tests redirect it)
    EXPLAIN_REPORTERS.pick(options.output_format)(explained.explanation, stdout or sys.stdout)
    return 0 if explained.ok else 1
