"""Write stage, for ``render --check``: what writing an output set would change in OUT, by its bytes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tenantgen.render.output_set import OutputSet
from tenantgen.write.layout import EVERYTHING, Owned, stale_files


@dataclass(frozen=True)
class Difference:
    path: str
    state: str  # "changed", "missing", "extra"


def check_output(out: Path, files: OutputSet, owned: Owned = EVERYTHING) -> list[Difference]:
    """What ``write_output`` would change, comparing against the bytes on disk: files that differ or
    are missing, and the owned files the run answers for that it did not produce (``extra``)."""
    differences = []
    for rel in sorted(files):
        try:
            current = (out / rel).read_bytes()
        except OSError:
            differences.append(Difference(rel, "missing"))
            continue
        if current != files[rel].data:
            differences.append(Difference(rel, "changed"))
    differences.extend(Difference(rel, "extra") for rel in stale_files(out, files.keys(), owned))
    return differences
