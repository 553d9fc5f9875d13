"""The render stage: planned releases in, checked Kubernetes objects out, as files of the output set.

- ``engine``: Helm (embedded, or a binary) behind one interface, and its output split into objects;
- ``checks``: each rendered object against its kind's schema (core kinds and the user's CRDs);
- ``workers``: the processes that render releases (engine, objects, checks) and the pool that feeds them;
- ``helmfile``: a cluster's helmfile.yaml; ``output_set``: the files a render produces.

Imports run that way only: ``workers`` uses ``engine`` and ``checks``, which use neither. The stage
builds no speed machinery: a schema compiler (``SchemaCompiler``) may be handed in through
``WorkerConfig``.

This face loads a name's module when the name is first used (see ``tenantgen.faces``): a worker
process imports this package before its own modules, and should not load the helmfile's Jinja2 and
the planner with it (a tenth of a second and more for every worker started).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tenantgen.faces import lazy_names

if TYPE_CHECKING:
    from tenantgen.render.checks import CrdConflict, ManifestValidator, ObjectProblem, load_crds
    from tenantgen.render.engine import BinaryEngine, EngineError, RenderJob, values_digest, values_json
    from tenantgen.render.helmfile import TEMPLATE as HELMFILE_TEMPLATE
    from tenantgen.render.helmfile import render_helmfile
    from tenantgen.render.output_set import OutputFile, OutputSet, sha256
    from tenantgen.render.schema_compiler import SchemaCompiler
    from tenantgen.render.workers import (
        DEFAULT_TIMEOUT,
        ReleaseOutput,
        WorkerConfig,
        WorkerPool,
        default_workers,
    )

# name -> (module, its name there)
_HOMES = {
    "BinaryEngine": ("tenantgen.render.engine", "BinaryEngine"),
    "EngineError": ("tenantgen.render.engine", "EngineError"),
    "RenderJob": ("tenantgen.render.engine", "RenderJob"),
    "values_digest": ("tenantgen.render.engine", "values_digest"),
    "values_json": ("tenantgen.render.engine", "values_json"),
    "HELMFILE_TEMPLATE": ("tenantgen.render.helmfile", "TEMPLATE"),
    "render_helmfile": ("tenantgen.render.helmfile", "render_helmfile"),
    "CrdConflict": ("tenantgen.render.checks", "CrdConflict"),
    "load_crds": ("tenantgen.render.checks", "load_crds"),
    "ManifestValidator": ("tenantgen.render.checks", "ManifestValidator"),
    "ObjectProblem": ("tenantgen.render.checks", "ObjectProblem"),
    "OutputFile": ("tenantgen.render.output_set", "OutputFile"),
    "OutputSet": ("tenantgen.render.output_set", "OutputSet"),
    "sha256": ("tenantgen.render.output_set", "sha256"),
    "SchemaCompiler": ("tenantgen.render.schema_compiler", "SchemaCompiler"),
    "DEFAULT_TIMEOUT": ("tenantgen.render.workers", "DEFAULT_TIMEOUT"),
    "ReleaseOutput": ("tenantgen.render.workers", "ReleaseOutput"),
    "WorkerConfig": ("tenantgen.render.workers", "WorkerConfig"),
    "WorkerPool": ("tenantgen.render.workers", "WorkerPool"),
    "default_workers": ("tenantgen.render.workers", "default_workers"),
}

__all__ = [
    "DEFAULT_TIMEOUT",
    "HELMFILE_TEMPLATE",
    "BinaryEngine",
    "CrdConflict",
    "EngineError",
    "ManifestValidator",
    "ObjectProblem",
    "OutputFile",
    "OutputSet",
    "ReleaseOutput",
    "RenderJob",
    "SchemaCompiler",
    "WorkerConfig",
    "WorkerPool",
    "default_workers",
    "load_crds",
    "render_helmfile",
    "sha256",
    "values_digest",
    "values_json",
]

__getattr__ = lazy_names(__name__, _HOMES)
