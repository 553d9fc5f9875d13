"""The Helm engine, behind one narrow interface.

``Engine.render(job)`` takes one release and returns Helm's output per template file; ``objects``
splits that output into one file per Kubernetes object, the same whichever engine rendered it. Two
engines: the embedded Helm SDK (default) and a ``helm`` binary on PATH. Renders always run in worker
processes (``render.workers``), never in the CLI's own process: the embedded engine can hang on fork,
cannot be interrupted and can abort its whole process. So this face leaves the embedded engine out:
``create_engine`` loads it in the worker that asks for it.
"""

from __future__ import annotations

from tenantgen.render.engine.binary import BinaryEngine
from tenantgen.render.engine.create import create_engine
from tenantgen.render.engine.interface import Engine, EngineError, RenderJob, values_digest, values_json
from tenantgen.render.engine.objects import RenderedObject, object_text, split_objects

__all__ = [
    "BinaryEngine",
    "Engine",
    "EngineError",
    "RenderJob",
    "RenderedObject",
    "create_engine",
    "object_text",
    "split_objects",
    "values_digest",
    "values_json",
]
