"""A ``helm`` binary on PATH, run as ``helm template`` (for users who want their CLI's output)."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from functools import cached_property

from tenantgen.errors import UsageError
from tenantgen.render.engine.interface import EngineError, RenderJob

_SOURCE = re.compile(r"^# Source: (.+)$", re.MULTILINE)
MAX_MESSAGE = 2000


class BinaryEngine:
    name = "helm"

    def __init__(self, binary: str = "helm") -> None:
        path = shutil.which(binary)
        if path is None:
            raise UsageError(f"--engine helm needs a helm binary on PATH; {binary!r} was not found")
        self.binary = path

    @cached_property
    def _version(self) -> str:
        result = subprocess.run([self.binary, "version", "--short"], capture_output=True, text=True, check=False)
        return f"helm {result.stdout.strip() or 'unknown'}"

    def version(self) -> str:
        return self._version

    def render(self, job: RenderJob, values: str) -> dict[str, str]:
        with tempfile.NamedTemporaryFile("w", suffix=".json", prefix="tenantgen-values-") as file:
            file.write(values)  # JSON is YAML: no second serializer to trust
            file.flush()
            command = [self.binary, "template", job.release, job.chart_dir, "--namespace", job.namespace,
                       "--kube-version", job.kube_version, "--values", file.name]
            result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            message = (result.stderr or result.stdout).strip()
            raise EngineError(message[:MAX_MESSAGE] or f"helm template exited with {result.returncode}")
        return split_sources(result.stdout)


def split_sources(stream: str) -> dict[str, str]:
    """``helm template`` output -> ``{"<chart>/templates/<file>": text}``, as the SDK returns it."""
    sources: dict[str, list[str]] = {}
    matches = list(_SOURCE.finditer(stream))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(stream)
        body = stream[match.end():end].strip("\n")
        body = body.removesuffix("---").rstrip("\n")
        sources.setdefault(match.group(1), []).append(body + "\n")
    return {source: "---\n".join(parts) for source, parts in sorted(sources.items())}
