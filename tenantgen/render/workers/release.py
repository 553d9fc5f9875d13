"""What a worker process does with one release: render, split into objects, check them.

Runs in spawn-started processes only (see ``process``); the engine is created once per process.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tenantgen.render.engine import (
    Engine,
    EngineError,
    RenderJob,
    create_engine,
    object_text,
    split_objects,
    values_digest,
    values_json,
)
from tenantgen.render.schema_compiler import SchemaCompiler
from tenantgen.yamlio.reader import dump

if TYPE_CHECKING:  # imported where it is used: the CLI's process imports this module for its records only
    from tenantgen.render.checks import ManifestValidator


@dataclass(frozen=True)
class WorkerConfig:
    engine: str
    helm_binary: str
    crd_dirs: tuple[str, ...]
    validate: bool
    # The speed path for the values and object checks (see ``schema_compiler``); None: jsonschema's.
    schema_compiler: SchemaCompiler | None = None
    # (provider, folder): CRDs for the clusters of one cloud only, before ``crd_dirs`` (``--crds aws=DIR``).
    provider_crd_dirs: tuple[tuple[str, str], ...] = ()

    @property
    def has_crds(self) -> bool:
        return bool(self.crd_dirs or self.provider_crd_dirs)


@dataclass(frozen=True)
class ReleaseOutput:
    files: tuple[tuple[str, str], ...]  # (file name, text), in render order
    objects: int
    problems: tuple[str, ...]  # "<file name>: $.field: message"
    error: str  # the engine's message when it failed, else ""
    values: str = ""  # the release's values file (YAML), written here so the parent does not have to
    values_digest: str = ""  # ``values_digest`` of the values rendered, for the render cache's key
    # Said once per run: e.g. CEL rules of a CRD the objects were checked against that could not be evaluated.
    notes: tuple[str, ...] = ()


class ReleaseRenderer:
    def __init__(self, config: WorkerConfig) -> None:
        self.config = config
        self.engine: Engine = create_engine(config.engine, config.helm_binary, config.schema_compiler)
        self._validators: dict[tuple[str, str], ManifestValidator] = {}

    def validator(self, kube_version: str, provider: str = "") -> ManifestValidator:
        key = (kube_version, provider)
        if key not in self._validators:
            # Loaded in the worker that checks objects, not at start-up of the CLI (see above).
            from tenantgen.render.checks import ManifestValidator

            dirs: Sequence[Path] = [Path(folder) for folder in self.config.crd_dirs]
            own = [Path(folder) for scope, folder in self.config.provider_crd_dirs if scope == provider]
            self._validators[key] = ManifestValidator.create(dirs, kube_version, self.config.schema_compiler, own)
        return self._validators[key]

    def __call__(self, job: RenderJob) -> ReleaseOutput:
        encoded = values_json(job.values)
        try:
            objects = split_objects(self.engine.render(job, encoded))
        except EngineError as exc:
            return ReleaseOutput((), 0, (), str(exc))
        problems: list[str] = []
        if self.config.validate:
            validator = self.validator(job.kube_version, job.provider)
            for obj in objects:
                if not self.config.has_crds and not validator.has_schema(obj.body):
                    continue  # custom kinds are checked only against CRDs the user gave
                problems.extend(f"{obj.file_name}: {p.path}: {p.message}" for p in validator.check(obj.body))
        notes = tuple(self.validator(job.kube_version, job.provider).rule_notes(obj.body for obj in objects)) \
            if self.config.validate else ()
        files = tuple((obj.file_name, object_text(obj)) for obj in objects)
        return ReleaseOutput(files, len(objects), tuple(problems), "", dump(job.values), values_digest(encoded),
                             notes)
