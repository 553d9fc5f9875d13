"""Which chart (and which version of it) each release uses.

The charts bundled with tenantgen are always available; ``--charts DIR`` adds folders holding other
versions (one chart folder per version, any folder name). A tier that pins a version gets exactly
that version or a finding.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tenantgen.assets import charts_dir
from tenantgen.errors import UsageError
from tenantgen.findings import Finding
from tenantgen.load import Document
from tenantgen.yamlio import YamlProblem, load_all

CHART_NAMES = ("cluster-shared", "tenant", "tenant-post-install", "argocd-project", "karpenter-nodepool")


@dataclass(frozen=True)
class ChartRef:
    name: str
    version: str
    path: Path
    digest: str  # of every file in the chart: part of the render cache key
    bundled: bool

    @property
    def key(self) -> str:
        return f"{self.name}-{self.version}"


def chart_digest(path: Path) -> str:
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(file.relative_to(path).as_posix().encode() + b"\0")
        digest.update(file.read_bytes() + b"\0")
    return digest.hexdigest()


def _read_chart(path: Path, bundled: bool) -> ChartRef | None:
    try:
        documents = load_all((path / "Chart.yaml").read_bytes())
    except (OSError, YamlProblem):
        return None
    meta = documents[0] if documents else None
    if not isinstance(meta, dict) or not meta.get("name") or not meta.get("version"):
        return None
    return ChartRef(str(meta["name"]), str(meta["version"]), path, chart_digest(path), bundled)


@dataclass(frozen=True)
class ChartCatalog:
    charts: Mapping[tuple[str, str], ChartRef]
    bundled: Mapping[str, ChartRef]

    @classmethod
    def discover(cls, extra_dirs: Sequence[Path] = ()) -> ChartCatalog:
        bundled = {name: ref for name in CHART_NAMES if (ref := _read_chart(charts_dir() / name, True))}
        charts = {(ref.name, ref.version): ref for ref in bundled.values()}
        for folder in extra_dirs:
            if not folder.is_dir():
                raise UsageError(f"--charts {str(folder)!r} is not a folder")
            for candidate in _chart_folders(folder):
                ref = _read_chart(candidate, False)
                if ref and ref.name in CHART_NAMES:
                    charts.setdefault((ref.name, ref.version), ref)
        return cls(charts, bundled)

    def available(self, name: str) -> list[str]:
        return sorted(version for chart, version in self.charts if chart == name)

    def resolve(self, tier_doc: Document) -> tuple[dict[str, ChartRef], list[Finding]]:
        """The chart of every kind for one tier: its pin, or the bundled chart."""
        pins = tier_doc.spec.get("charts") or {}
        chosen: dict[str, ChartRef] = {}
        findings: list[Finding] = []
        for name in CHART_NAMES:
            version = pins.get(name)
            if version is None:
                chosen[name] = self.bundled[name]
            elif (name, version) in self.charts:
                chosen[name] = self.charts[(name, version)]
            else:
                findings.append(tier_doc.finding(
                    ("spec", "charts", name),
                    f"chart {name} version {version} is not available; available: "
                    f"{', '.join(self.available(name))} (add folders with --charts DIR)", "chart"))
        return chosen, findings


def _chart_folders(folder: Path) -> Iterable[Path]:
    if (folder / "Chart.yaml").is_file():
        yield folder
        return
    for child in sorted(folder.iterdir()):
        if (child / "Chart.yaml").is_file():
            yield child
