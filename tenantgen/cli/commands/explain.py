"""``tenantgen explain``: one tenant's effective spec, where each value comes from, what it renders to."""

from __future__ import annotations

import sys
from typing import TextIO

from tenantgen.author.explain import EXPLAIN_FORMATTERS
from tenantgen.pipeline.explain import ExplainOptions, explain_tenant

__all__ = ["ExplainOptions", "run_explain"]


def run_explain(options: ExplainOptions, stdout: TextIO | None = None) -> int:
    explained = explain_tenant(options)
    EXPLAIN_FORMATTERS[options.output_format](explained.explanation, stdout or sys.stdout)  # (per call: tests redirect it)
    return 0 if explained.ok else 1
