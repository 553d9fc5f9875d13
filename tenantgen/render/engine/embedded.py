"""The embedded Helm SDK (helm-python-sdk): Helm's Go engine through ctypes.

Imported only inside worker processes. A chart is read once per process. Loading it into the engine
costs about half a render, so a loaded chart is kept and rendered again, but only when it has no
subcharts: rendering a chart whose subchart is disabled removes that subchart from the loaded chart
for good (a measured hazard of the engine), so such charts are loaded afresh for every render.

When the worker's own values check vouches for a release's values (see ``values_check``), the
release renders from a lean copy of the chart that leaves Helm only the templates: no schema (the
check stands in for Helm's), no default values (the check merged them into the values, as Helm
would) and, when no template can read ``.Files``, no other files. Each costs Helm time on every
render (together ~7 % of it) and none changes what the templates produce.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import helm_python
from helm_python import _native

from tenantgen.render.engine.interface import EngineError, RenderJob, values_json
from tenantgen.render.engine.values_check import ValuesCheck
from tenantgen.render.schema_compiler import SchemaCompiler

MAX_MESSAGE = 2000  # a self-including template produces a 100 KB message
SCHEMA_FILE = "values.schema.json"
VALUES_FILE = "values.yaml"
# A template that names neither can read no file of the chart but its own (``tpl`` would let values
# name ``.Files``): then the lean chart leaves out every file but Chart.yaml and the templates.
_FILE_ACCESS = ("Files", "tpl")


def _short(message: str) -> str:
    message = message.strip()
    return message if len(message) <= MAX_MESSAGE else message[:MAX_MESSAGE] + " ... (truncated)"


class EmbeddedEngine:
    name = "embedded"

    def __init__(self, schema_compiler: SchemaCompiler | None = None) -> None:
        self._schema_compiler = schema_compiler  # for the values check (see ``values_check``)
        self._archives: dict[str, bytes] = {}
        # chart_dir -> (the chart without values.schema.json, the check that allows using it)
        self._lean: dict[str, tuple[bytes, ValuesCheck] | None] = {}
        self._loaded: dict[bytes, Any] = {}  # archive -> its loaded chart, for charts without subcharts
        self._flat: dict[str, bool] = {}  # chart_dir -> has no subcharts

    def version(self) -> str:
        return f"helm-python-sdk {helm_python.helm_sdk_version()}"

    def _archive(self, chart_dir: str) -> bytes:
        archive = self._archives.get(chart_dir)
        if archive is None:
            chart = _load(lambda: helm_python.Chart.load(chart_dir), chart_dir)
            try:
                self._flat[chart_dir] = not chart.dependencies and not (Path(chart_dir) / "charts").exists()
                with tempfile.TemporaryDirectory(prefix="tenantgen-chart-") as tmp:
                    archive = Path(chart.save(tmp)).read_bytes()
            finally:
                chart.close()
            self._archives[chart_dir] = archive
        return archive

    def _chart(self, chart_dir: str, archive: bytes) -> tuple[Any, bool]:
        """A loaded chart for one render, and whether the caller must close it afterwards."""
        self._archive(chart_dir)  # learns whether the chart has subcharts
        if not self._flat[chart_dir]:
            return _load(lambda: helm_python.Chart.load_archive(archive), chart_dir), True
        chart = self._loaded.get(archive)
        if chart is None:
            chart = self._loaded[archive] = _load(lambda: helm_python.Chart.load_archive(archive), chart_dir)
        return chart, False

    def _lean_chart(self, chart_dir: str) -> tuple[bytes, ValuesCheck] | None:
        """The lean copy of the chart (see the module's docstring) and the Python check of values
        that must vouch for a release's values before it may render from it."""
        if chart_dir not in self._lean:
            self._lean[chart_dir] = None
            chart = _load(lambda: helm_python.Chart.load(chart_dir), chart_dir)
            try:
                check = ValuesCheck.build(chart.schema, chart.values,
                                          bool(chart.dependencies) or (Path(chart_dir) / "charts").exists(),
                                          self._schema_compiler)
            finally:
                chart.close()
            if check is not None and (Path(chart_dir) / SCHEMA_FILE).is_file():
                with tempfile.TemporaryDirectory(prefix="tenantgen-chart-") as tmp:
                    copy = Path(tmp) / "chart"
                    shutil.copytree(chart_dir, copy, symlinks=False)
                    _strip_to_templates(copy)
                    lean = _load(lambda: helm_python.Chart.load(str(copy)), chart_dir)
                    try:
                        archive = Path(lean.save(tmp)).read_bytes()
                    finally:
                        lean.close()
                self._lean[chart_dir] = (archive, check)
        return self._lean[chart_dir]

    def render(self, job: RenderJob, values: str) -> dict[str, str]:
        lean = self._lean_chart(job.chart_dir)
        merged = lean[1].merged_if_valid(job.values) if lean is not None else None
        if lean is not None and merged is not None:
            # Helm's own schema check would pass: skipped (it costs more than the render), and the
            # chart's defaults are already in.
            archive, values = lean[0], values_json(merged)
        else:
            archive = self._archive(job.chart_dir)
        chart, fresh = self._chart(job.chart_dir, archive)
        options = {"name": job.release, "namespace": job.namespace, "kube_version": job.kube_version,
                   "is_install": True}
        try:
            # kube_version is not a parameter of Chart.render; the native call takes it as an option
            # (private API of the exact pinned version, covered by a test).
            rendered = _native.call_string("helm_render", chart._raw(), values, json.dumps(options))
        except helm_python.HelmError as exc:
            raise EngineError(_short(str(exc))) from None
        finally:
            if fresh:
                chart.close()
        manifests: dict[str, Any] = json.loads(rendered)
        return {path: text for path, text in manifests.items() if isinstance(text, str)}


def _strip_to_templates(chart: Path) -> None:
    """Make a copy of a chart (without subcharts) the lean chart."""
    (chart / SCHEMA_FILE).unlink()
    (chart / VALUES_FILE).unlink(missing_ok=True)
    templates = [path for path in (chart / "templates").rglob("*") if path.is_file()]
    if any(word in path.read_text(encoding="utf-8", errors="replace") for path in templates for word in _FILE_ACCESS):
        return
    for path in chart.iterdir():
        if path.name not in ("Chart.yaml", "templates"):
            shutil.rmtree(path) if path.is_dir() else path.unlink()


def _load(loader: Any, chart_dir: str) -> Any:
    try:
        return loader()
    except helm_python.HelmError as exc:
        raise EngineError(f"cannot load chart {chart_dir}: {_short(str(exc))}") from None
