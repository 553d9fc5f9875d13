"""The engine a worker process renders with, by its name on the command line (``--engine``)."""

from __future__ import annotations

from tenantgen.render.engine.binary import BinaryEngine
from tenantgen.render.engine.interface import Engine
from tenantgen.render.schema_compiler import SchemaCompiler


def create_engine(name: str, helm_binary: str = "helm", schema_compiler: SchemaCompiler | None = None) -> Engine:
    """``schema_compiler``: the embedded engine's speed path for checking values (see ``values_check``)."""
    if name == "helm":
        return BinaryEngine(helm_binary)
    # Imported here, in the worker process that asks for it: the Helm library must never load in the
    # CLI's process (see ``render.engine``), and workers of the binary engine need not load it at all.
    from tenantgen.render.engine.embedded import EmbeddedEngine

    return EmbeddedEngine(schema_compiler)
