from __future__ import annotations

from tenantgen.cli.entry import run

run()
