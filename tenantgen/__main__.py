from __future__ import annotations

from tenantgen.entry import run

run()
