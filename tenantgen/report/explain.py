"""Reporters for ``tenantgen explain``: a tenant's explanation as text for people or JSON for machines.

``author.explain`` builds the ``Explanation``; this module only shows it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, TextIO

from rich.console import Console

from tenantgen.report.reporters import Reporters, console_for

if TYPE_CHECKING:  # types only: every command loads report/, and only explain needs author/ itself
    from tenantgen.author import ClusterSection, Explanation, ObjectLine, ValueLine

MAX_VALUE_WIDTH = 60


def _shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _table(rows: Sequence[tuple[str, ...]], widths: Sequence[int]) -> list[str]:
    return ["  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]


def _value_rows(values: Sequence[ValueLine]) -> list[str]:
    rows = [(v.path, _shown(v.value), v.layer, v.where) for v in values]
    widths = [max((len(row[i]) for row in rows), default=0) for i in range(4)]
    widths[1] = min(widths[1], MAX_VALUE_WIDTH)
    return _table(rows, widths)


def report_text(explanation: Explanation, stream: TextIO) -> None:
    console = console_for(stream)
    count = len(explanation.sections)
    for number, section in enumerate(explanation.sections, 1):
        if number > 1:
            console.print()
        suffix = f" ({number} of {count})" if count > 1 else ""
        console.print(f"[bold]== tenant {explanation.tenant} in {section.cluster}{suffix} ==[/]")
        console.print(f"file: {section.file}", markup=False)
        if section.spec is not None:
            console.print("\n[bold]effective spec[/] (value, set by, at)")
            for row in _value_rows(section.values):
                console.print(row, markup=False)
        if section.computed:
            console.print("\n[bold]computed by tenantgen[/]")
            for row in _value_rows(section.computed):
                console.print(row, markup=False)
        _print_releases(console, section)
        for note in section.notes:
            console.print(f"\nnote: {note}", markup=False)
        if section.findings:
            console.print(f"\n[bold red]{len(section.findings)} finding(s)[/] about this tenant")
            for finding in section.findings:
                console.print("  " + finding.format(), markup=False)


def _print_releases(console: Console, section: ClusterSection) -> None:
    if not section.releases:
        return
    console.print(f"\n[bold]releases[/] ({len(section.releases)})")
    rows = [(r.name, f"{r.chart} {r.version}", f"from {r.source}") for r in section.releases]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for release, row in zip(section.releases, _table(rows, widths)):
        console.print(row, markup=False)
        if release.error:
            console.print(f"    render failed: {release.error}", markup=False)
        if release.objects is None:
            continue
        names = [_object_name(obj) for obj in release.objects]
        width = max((len(name) for name in names), default=0)
        for name, obj in zip(names, release.objects):
            console.print(f"    {name.ljust(width)}  {obj.path}", markup=False)


def _object_name(obj: ObjectLine) -> str:
    where = f" (namespace {obj.namespace})" if obj.namespace else ""
    return f"{obj.kind}/{obj.name}{where}"


def to_json(explanation: Explanation) -> dict[str, Any]:
    return {
        "tenant": explanation.tenant,
        "clusters": [
            {
                "cluster": section.cluster,
                "file": section.file,
                "spec": section.spec,
                "values": [asdict(value) for value in section.values],
                "computed": [asdict(value) for value in section.computed],
                "rendered": section.rendered,
                "releases": [
                    {"name": r.name, "chart": r.chart, "version": r.version, "namespace": r.namespace,
                     "source": r.source, "error": r.error,
                     "objects": None if r.objects is None else [asdict(obj) for obj in r.objects]}
                    for r in section.releases
                ],
                "notes": section.notes,
                "findings": [finding.to_json() for finding in section.findings],
            }
            for section in explanation.sections
        ],
    }


def report_json(explanation: Explanation, stream: TextIO) -> None:
    stream.write(json.dumps(to_json(explanation), indent=2, ensure_ascii=False) + "\n")


EXPLAIN_REPORTERS: Reporters[Explanation] = Reporters({"text": report_text, "json": report_json})
