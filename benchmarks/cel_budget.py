"""What the CRDs' CEL rules cost a cold render: the same render with and without them, in pairs.

    python benchmarks/cel_budget.py --crds ../shared/crds/capsule ... --crds aws=../shared/crds/karpenter

Generates the fleet of ``run.py`` (``--clusters`` x ``--tenants``, 50 x 200 by default), then renders
it cold (an empty OUT, ``--no-cache``) with the CRDs given, ``--pairs`` times each way, taking turns:
once as tenantgen is ("with rules"), once with its CEL evaluation switched off ("without": the
``cel_shim`` folder on ``PYTHONPATH`` for that run's processes, in its mode ``off``; tenantgen itself
has no such switch).
Everything else is the same: the CRDs' schemas are checked either way. Each pair's ratio (with /
without) is taken on its own, so that the machine's drift between pairs cancels; the medians are
printed, and written to ``benchmarks/results/<name>.json``. The budget is at most 1.10.

On a shared virtual machine the same cold render varies by 10-20 % from one run to the next, more than
the rules cost, so ``--timed`` also measures them from inside: one more render with the rules, each
process timing the CEL work it does with its thread's CPU clock (``cel_shim`` in its mode ``timed``),
summed over the processes and set against the render's whole CPU time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import fleet  # noqa: E402
from machine import machine  # noqa: E402
from run import Measure, measure  # noqa: E402

BUDGET = 1.10


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--crds", action="append", required=True, metavar="[CLOUD=]DIR")
    parser.add_argument("--clusters", "-n", type=int, default=50)
    parser.add_argument("--tenants", "-m", type=int, default=200, help="tenants per cluster")
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--workdir", type=Path, help="where the fleet and the outputs go (default: a temp dir)")
    parser.add_argument("--name", default="cel-budget")
    parser.add_argument("--timed", action="store_true", help="also time the CEL work inside one more render")
    args = parser.parse_args(argv)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="tenantgen-cel-"))
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    tree = work / "fleet"
    counts = fleet.generate(tree, args.clusters, args.tenants)
    base = {**os.environ, "XDG_CACHE_HOME": str(work / "cache")}
    base.pop("PYTHONDONTWRITEBYTECODE", None)
    shim = os.pathsep.join(filter(None, [str(HERE / "cel_shim"), base.get("PYTHONPATH")]))
    without = {**base, "PYTHONPATH": shim, "TENANTGEN_BENCH_CEL": "off"}
    crds = [option for folder in args.crds for option in ("--crds", folder)]

    def render(env: dict[str, str], label: str) -> Measure:
        out = work / f"out-{label}"
        shutil.rmtree(out, ignore_errors=True)
        os.sync()
        command = [sys.executable, "-m", "tenantgen", "render", str(tree), "-o", str(out), "--no-cache", *crds]
        result = measure(label, command, env)
        if result.exit_code != 0:
            raise SystemExit(f"{label}: tenantgen render exited {result.exit_code}")
        print(f"  {label}: {result.seconds:.1f} s wall, {result.cpu_seconds:.1f} CPU s", flush=True)
        return result

    pairs: list[tuple[Measure, Measure]] = []
    for index in range(args.pairs):
        print(f"pair {index + 1} of {args.pairs}", flush=True)
        # Which goes first alternates: the second of a pair meets a page cache the first warmed.
        first, second = ("with", base), ("without", without)
        if index % 2:
            first, second = second, first
        done = {label: render(env, label) for label, env in (first, second)}
        pairs.append((done["with"], done["without"]))
    timed: dict[str, float] = {}
    if args.timed:
        print("timed render, with rules", flush=True)
        times = work / "cel-times"
        shutil.rmtree(times, ignore_errors=True)
        times.mkdir()
        env = {**base, "PYTHONPATH": shim, "TENANTGEN_BENCH_CEL": "timed", "TENANTGEN_BENCH_CEL_TIMES": str(times)}
        whole = render(env, "timed")
        spent = [float(line.split()[0]) for path in times.iterdir() for line in path.read_text().splitlines()]
        timed = {"cel_cpu_seconds": sum(spent), "processes": len(spent), "render_cpu_seconds": whole.cpu_seconds,
                 "render_seconds": whole.seconds, "share": sum(spent) / whole.cpu_seconds}
        print(f"CEL rules: {timed['cel_cpu_seconds']:.1f} CPU s in {len(spent)} processes, "
              f"{100 * timed['share']:.1f} % of the render's {whole.cpu_seconds:.1f} CPU s", flush=True)
    results: dict[str, Any] = {
        "name": args.name, "date": time.strftime("%Y-%m-%d"), "machine": machine(), "fleet": counts,
        "crds": args.crds,
        "pairs": [{"with": vars(a), "without": vars(b)} for a, b in pairs],
        "wall_ratio": statistics.median(a.seconds / b.seconds for a, b in pairs),
        "cpu_ratio": statistics.median(a.cpu_seconds / b.cpu_seconds for a, b in pairs),
        "wall_with": statistics.median(a.seconds for a, _ in pairs),
        "wall_without": statistics.median(b.seconds for _, b in pairs),
        "cpu_with": statistics.median(a.cpu_seconds for a, _ in pairs),
        "cpu_without": statistics.median(b.cpu_seconds for _, b in pairs),
    } if pairs else {"name": args.name, "date": time.strftime("%Y-%m-%d"), "machine": machine(), "fleet": counts,
                     "crds": args.crds}
    results["timed"] = timed
    if pairs:
        print(f"cold render with / without CEL rules, median of {len(pairs)} pairs: "
              f"wall {results['wall_ratio']:.3f} ({results['wall_with']:.1f} / {results['wall_without']:.1f} s), "
              f"CPU {results['cpu_ratio']:.3f} ({results['cpu_with']:.1f} / {results['cpu_without']:.1f} s); "
              f"budget {BUDGET:.2f}")
    target = HERE / "results" / f"{args.name}.json"
    target.parent.mkdir(exist_ok=True)
    target.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
