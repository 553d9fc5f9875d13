"""The embedded Helm SDK (helm-python-sdk): Helm's Go engine through ctypes.

Imported only inside worker processes. Each render loads a fresh chart from bytes read once per
process: a render mutates the loaded chart (values are written back), so a chart object is never
used twice.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import helm_python
from helm_python import _native

from tenantgen.engine import EngineError, RenderJob

MAX_MESSAGE = 2000  # a self-including template produces a 100 KB message


def _short(message: str) -> str:
    message = message.strip()
    return message if len(message) <= MAX_MESSAGE else message[:MAX_MESSAGE] + " ... (truncated)"


class EmbeddedEngine:
    name = "embedded"

    def __init__(self) -> None:
        self._archives: dict[str, bytes] = {}

    def version(self) -> str:
        return f"helm-python-sdk {helm_python.helm_sdk_version()}"

    def _archive(self, chart_dir: str) -> bytes:
        archive = self._archives.get(chart_dir)
        if archive is None:
            chart = _load(lambda: helm_python.Chart.load(chart_dir), chart_dir)
            try:
                with tempfile.TemporaryDirectory(prefix="tenantgen-chart-") as tmp:
                    archive = Path(chart.save(tmp)).read_bytes()
            finally:
                chart.close()
            self._archives[chart_dir] = archive
        return archive

    def render(self, job: RenderJob) -> dict[str, str]:
        archive = self._archive(job.chart_dir)
        chart = _load(lambda: helm_python.Chart.load_archive(archive), job.chart_dir)
        options = {"name": job.release, "namespace": job.namespace, "kube_version": job.kube_version,
                   "is_install": True}
        try:
            # kube_version is not a parameter of Chart.render; the native call takes it as an option
            # (private API of the exact pinned version, covered by a test).
            rendered = _native.call_string("helm_render", chart._raw(), json.dumps(job.values), json.dumps(options))
        except helm_python.HelmError as exc:
            raise EngineError(_short(str(exc))) from None
        finally:
            chart.close()
        manifests: dict[str, Any] = json.loads(rendered)
        return {path: text for path, text in manifests.items() if isinstance(text, str)}


def _load(loader: Any, chart_dir: str) -> Any:
    try:
        return loader()
    except helm_python.HelmError as exc:
        raise EngineError(f"cannot load chart {chart_dir}: {_short(str(exc))}") from None
