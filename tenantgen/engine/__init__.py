"""The Helm engine, behind one narrow interface.

``Engine.render(job)`` takes one release and returns Helm's output per template file. Two
implementations: the embedded Helm SDK (default) and a ``helm`` binary on PATH. Renders always run in
worker processes (``pool``), never in the CLI's own process: the embedded engine can hang on fork,
cannot be interrupted and can abort its whole process.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


class EngineError(Exception):
    """Helm refused or failed to render a release; the message says where (template:line:col)."""


@dataclass(frozen=True)
class RenderJob:
    release: str
    namespace: str
    chart_dir: str
    values: dict[str, Any]
    kube_version: str  # "v1.31.0"


class Engine(Protocol):
    name: str

    def version(self) -> str:
        """Identifies the engine's output: part of every render cache key."""
        ...

    def render(self, job: RenderJob) -> dict[str, str]:
        """``{"<chart>/templates/<file>": text}`` for every template that produced output."""
        ...


ENGINE_NAMES = ("embedded", "helm")


def create_engine(name: str, helm_binary: str = "helm") -> Engine:
    if name == "helm":
        from tenantgen.engine.binary import BinaryEngine

        return BinaryEngine(helm_binary)
    from tenantgen.engine.embedded import EmbeddedEngine

    return EmbeddedEngine()
