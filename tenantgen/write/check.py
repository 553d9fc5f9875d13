"""Write stage, for ``render --check``: what writing an output set would change in OUT, by its bytes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tenantgen.plan.selection import Selection
from tenantgen.render.output_set import OutputSet
from tenantgen.write.index import read_index


@dataclass(frozen=True)
class Difference:
    path: str
    state: str  # "changed", "missing", "extra"


def check_output(out: Path, files: OutputSet, selection: Selection) -> list[Difference]:
    """What ``write_output`` would change, comparing against the bytes on disk."""
    differences = []
    for rel in sorted(files):
        try:
            current = (out / rel).read_bytes()
        except OSError:
            differences.append(Difference(rel, "missing"))
            continue
        if current != files[rel].data:
            differences.append(Difference(rel, "changed"))
    for rel, entry in sorted(read_index(out).items()):
        if rel not in files and selection.owns(entry) and (out / rel).exists():
            differences.append(Difference(rel, "extra"))
    return differences
