from __future__ import annotations

from tenantgen.cli import run

run()
