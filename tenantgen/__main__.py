from __future__ import annotations

from tenantgen.cli import main

raise SystemExit(main())
