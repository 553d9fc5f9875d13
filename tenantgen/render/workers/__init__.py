"""The worker processes that render releases, away from the CLI's process: what one does with a
release (``release``), one process's life (``process``) and the pool that schedules them (``pool``)."""

from __future__ import annotations

from tenantgen.render.workers.pool import DEFAULT_TIMEOUT, WorkerPool, default_workers
from tenantgen.render.workers.release import ReleaseOutput, WorkerConfig

__all__ = ["DEFAULT_TIMEOUT", "ReleaseOutput", "WorkerConfig", "WorkerPool", "default_workers"]
