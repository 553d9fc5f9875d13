"""Measure tenantgen on a synthetic fleet, against one Helm process per release.

    python benchmarks/run.py --clusters 50 --tenants 200            # 10,000 tenants, ~35,000 releases
    python benchmarks/run.py --clusters 10 --tenants 100 --name small

One run measures, each as its own `tenantgen` process (so start-up is included, as a user sees it):

1. cold render: empty render cache, empty output directory;
2. no-op re-render: nothing changed;
3. one tenant changed: one tenant file edited (a quota and a reader), then render;
4. validate alone (with the caches the renders left), and validate with an empty cache;

and, as the baseline, what `helmfile template` does: one fresh process per release that loads the
Helm engine and the chart and renders it. There is no `helm` binary here, so that process is
`python -c` importing helm_python (the same Go engine) and rendering the release's chart with its
values; it is timed on a sample of releases and extrapolated to all of them, run one after another.
Beside it, what a peer would really run: `helmfile template` with the real helm 3 on a sample of
OUT's clusters, per release, extrapolated too (benchmarks/peer_tools.py).

Peak RSS is that of the whole process tree (tenantgen and its worker processes together): /proc is
sampled every 100 ms (a scan of /proc costs a few ms: sampling faster would slow the measured run)
and the resident sizes of the process and all its descendants are summed. The
kernel's own maximum (ru_maxrss, read with wait4 for exactly that command) is the largest *single*
process of the tree, not their sum, so it is reported beside it as "max single process". Sampling can
miss a spike shorter than the interval; the kernel's maximum cannot. (getrusage(RUSAGE_CHILDREN) is
not used: it is a running maximum over every child the script has waited for, so later, smaller
commands would inherit the cold render's figure.)

Each step also reports its CPU time (user and system, of tenantgen and the children it waited for:
its workers and helpers) and the CPU time the hypervisor gave other guests while it ran ("stolen",
from /proc/stat, the whole machine): on a shared virtual machine the same work does not take the
same time from one run to the next, and these two show how much of a difference is the machine's.

The table is printed, written as JSON to benchmarks/results/<name>.json and, with --markdown, into
that file between <!-- benchmark:<name> --> markers.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))

import fleet  # noqa: E402
import peer_tools  # noqa: E402
from machine import file_creation_probe, machine  # noqa: E402

SUMMARY = re.compile(r"(\d+) release\(s\) \((\d+) rendered, (\d+) cached\)")
PAGE = os.sysconf("SC_PAGE_SIZE")

# One release, rendered the way `helm template` does it: a fresh process loads the engine and the
# chart, renders with the release's values and Kubernetes version, and prints the manifests.
HELM_PROCESS = r"""
import json, sys
import helm_python
from helm_python import _native
chart_dir, values_file, name, namespace, kube = sys.argv[1:6]
chart = helm_python.Chart.load(chart_dir)
values = open(values_file, encoding="utf-8").read()
options = json.dumps({"name": name, "namespace": namespace, "kube_version": kube, "is_install": True})
rendered = json.loads(_native.call_string("helm_render", chart._raw(), values, options))
sys.stdout.write("".join("---\n# Source: %s\n%s" % (path, text) for path, text in sorted(rendered.items())
                         if not path.endswith("NOTES.txt")))
"""


@dataclass
class Measure:
    name: str
    seconds: float
    peak_rss_mib: float  # the process tree, sampled
    max_single_rss_mib: float  # the largest single process (kernel maximum)
    releases: int = 0
    rendered: int = 0
    exit_code: int = 0
    cpu_seconds: float = 0.0  # user + system time of the command and the children it waited for
    stolen_seconds: float | None = None  # the machine's, all cores: time the hypervisor ran other guests
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def releases_per_second(self) -> float:
        return self.releases / self.seconds if self.seconds and self.releases else 0.0


class TreeSampler(threading.Thread):
    """Peak summed RSS of a process and all its descendants, from /proc."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak = 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            self.peak = max(self.peak, self._tree_rss())
            self._done.wait(self.interval)

    def stop(self) -> None:
        self._done.set()
        self.join()

    def _tree_rss(self) -> int:
        children: dict[int, list[int]] = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as stat:
                    fields = stat.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
        total, todo = 0, [self.pid]
        while todo:
            pid = todo.pop()
            try:
                with open(f"/proc/{pid}/statm", "rb") as statm:
                    total += int(statm.read().split()[1]) * PAGE
            except OSError:
                continue
            todo.extend(children.get(pid, []))
        return total


def stolen_seconds() -> float | None:
    """CPU time the hypervisor has given other guests since boot, summed over cores (Linux: the
    ``steal`` column of /proc/stat); None where it is not known. On a shared virtual machine, what
    makes the same work take longer from one run to the next is partly this."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = stat.readline().split()
        return int(fields[8]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def measure(name: str, command: list[str], env: dict[str, str]) -> Measure:
    """Run ``command``; wall time, CPU time, peak tree RSS and the largest single process's RSS."""
    stolen_before = stolen_seconds()
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = TreeSampler(process.pid)
    sampler.start()
    streams: dict[str, str] = {}
    readers = [threading.Thread(target=lambda key=key, pipe=pipe: streams.__setitem__(key, pipe.read()))
               for key, pipe in (("out", process.stdout), ("err", process.stderr))]
    for reader in readers:
        reader.start()
    # wait4, not getrusage(RUSAGE_CHILDREN): the latter is a running maximum over every child this
    # script ever waited for; wait4 gives this command's own (it and its waited-for workers).
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    for reader in readers:
        reader.join()
    sampler.stop()
    stdout, stderr = streams.get("out", ""), streams.get("err", "")
    stolen_after = stolen_seconds()
    result = Measure(name, seconds, sampler.peak / 2**20, usage.ru_maxrss / 1024, exit_code=process.returncode,
                     cpu_seconds=usage.ru_utime + usage.ru_stime,
                     stolen_seconds=stolen_after - stolen_before
                     if stolen_before is not None and stolen_after is not None else None)
    found = SUMMARY.search(stdout)
    if found:
        result.releases, result.rendered = int(found.group(1)), int(found.group(2))
    if process.returncode != 0:
        print(f"{name}: exit {process.returncode}\n{stdout[-3000:]}\n{stderr[-3000:]}", file=sys.stderr)
    return result


def sample_releases(tree: Path, count: int) -> tuple[list[dict[str, Any]], int]:
    """``count`` releases spread over the fleet (with their chart and values) and the total number."""
    from tenantgen.pipeline.validate import validate_tree
    from tenantgen.plan.charts import ChartCatalog
    from tenantgen.plan.planner import plan_fleet

    validation = validate_tree(tree)
    catalog = ChartCatalog.discover(())
    charts = {tier: catalog.resolve(doc)[0] for tier, doc in validation.tree.tiers.items()}
    plan = plan_fleet(validation.fleet, charts, tree.name)
    releases = [(cp, release) for cp in plan.clusters for release in cp.releases]
    step = max(1, len(releases) // count)
    chosen = releases[::step][:count]
    return [{"chart": str(release.chart.path), "values": release.values, "name": release.name,
             "namespace": release.namespace, "kube": cp.kube_version} for cp, release in chosen], len(releases)


def helm_per_release(tree: Path, count: int, env: dict[str, str]) -> dict[str, Any]:
    sample, total = sample_releases(tree, count)
    times = []
    with tempfile.TemporaryDirectory(prefix="tenantgen-bench-") as tmp:
        for number, release in enumerate(sample):
            values = Path(tmp) / f"values-{number}.json"
            values.write_text(json.dumps(release["values"]), encoding="utf-8")
            command = [sys.executable, "-c", HELM_PROCESS, release["chart"], str(values), release["name"],
                       release["namespace"], release["kube"]]
            started = time.perf_counter()
            done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                  check=False)
            times.append(time.perf_counter() - started)
            if done.returncode != 0:
                raise SystemExit(f"baseline render of {release['name']} failed: {done.stderr[-2000:]}")
    mean = statistics.mean(times)
    return {"sample": len(times), "mean_seconds": mean, "median_seconds": statistics.median(times),
            "releases": total, "extrapolated_seconds": mean * total}


def edit_one_tenant(tree: Path) -> Path:
    """Raise one tenant's quota by one and give it one more reader: both of its charts change."""
    cluster = sorted(p for p in tree.glob("prod/*/*") if p.is_dir())[0]
    path = sorted((cluster / "tenants").glob("*.yaml"))[7]
    text = path.read_text(encoding="utf-8")
    quota = re.search(r"quota: (\d+)", text)
    assert quota is not None
    new = max(2, int(quota.group(1)) - 1) if int(quota.group(1)) >= 20 else int(quota.group(1)) + 1
    text = text.replace(quota.group(0), f"quota: {new}", 1)
    if "  readers: [" in text:
        text = text.replace("  readers: [", "  readers: [benchmark-auditors, ", 1)
    else:
        text = text.replace("  costCenter:", "  readers: [benchmark-auditors]\n  costCenter:", 1)
    path.write_text(text, encoding="utf-8")
    return path


def table(results: dict[str, Any]) -> str:
    targets = {"cold render": "<= 60 s", "no-op re-render": "<= 2 s", "one tenant changed": "<= 2 s",
               "validate": "<= 10 s"}
    lines = ["| step | wall s | CPU s | stolen s | peak RSS (tree) MiB | max single process MiB | releases | rendered "
             "| releases/s | target |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for row in results["measures"]:
        rate = f"{row['releases_per_second']:,.0f}" if row["releases_per_second"] else ""
        releases = f"{row['releases']:,}" if row["releases"] else ""
        rendered = f"{row['rendered']:,}" if row["releases"] else ""
        stolen = f"{row['stolen_seconds']:.1f}" if row.get("stolen_seconds") is not None else ""
        lines.append(f"| {row['name']} | {row['seconds']:.1f} | {row.get('cpu_seconds', 0):.1f} | {stolen} | "
                     f"{row['peak_rss_mib']:,.0f} | {row['max_single_rss_mib']:,.0f} | {releases} | {rendered} | "
                     f"{rate} | {targets.get(row['name'], '')} |")
    base = results.get("baseline")
    if base:
        lines.append(f"| one Helm process per release (mean of {base['sample']}, extrapolated) | "
                     f"{base['extrapolated_seconds']:,.0f} | | | | | {base['releases']:,} | | "
                     f"{base['releases'] / base['extrapolated_seconds']:.1f} | |")
    lines += peer_tools.table_rows(results)
    lines.append("")
    lines.append("CPU s: user and system time of tenantgen and its workers; stolen s: CPU time the hypervisor "
                 "gave other guests meanwhile (the whole machine, all cores).")
    if base:
        lines.append("")
        lines.append(f"Cold render is **{results['speedup']:,.0f}x** faster than one Helm process per release "
                     f"({base['mean_seconds'] * 1000:.0f} ms per release) (target: >= 50x). "
                     f"Peak RSS target: <= 1,536 MiB.")
    if peer_tools.summary(results):
        lines += ["", peer_tools.summary(results)]
    return "\n".join(lines)


def write_markdown(path: Path, name: str, results: dict[str, Any], command: str) -> None:
    info = results["machine"]
    fleet_info = results["fleet"]
    section = "\n".join([
        f"<!-- benchmark:{name} -->",
        f"**{fleet_info['clusters']} clusters x {fleet_info['tenants_per_cluster']} tenants** "
        f"({fleet_info['tenants']:,} tenants, {fleet_info['node_pools']:,} node pools, "
        f"{fleet_info['files']:,} files, {results['releases']:,} releases), measured {results['date']} on "
        f"{info['cores']} cores ({info['cpu'] or 'unknown CPU'}, {info['memory']}), Python {info['python']}; "
        f"creating a file took {info.get('file_creation_us', '?')} µs (see `file_creation_probe`):",
        "",
        table(results),
        "",
        f"Reproduce: `{command}`",
        f"<!-- /benchmark:{name} -->",
    ])
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"<!-- benchmark:{re.escape(name)} -->.*?<!-- /benchmark:{re.escape(name)} -->", re.S)
    text = pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clusters", "-n", type=int, default=50)
    parser.add_argument("--tenants", "-m", type=int, default=200, help="tenants per cluster")
    parser.add_argument("--name", help="results name (default: <clusters>x<tenants>)")
    parser.add_argument("--workdir", type=Path, help="where the tree, output and cache go (default: a temp dir)")
    parser.add_argument("--jobs", "-j", type=int, default=0, help="render workers (0: one per core)")
    parser.add_argument("--sample", type=int, default=30, help="releases timed for the Helm baseline")
    parser.add_argument("--helmfile-clusters", type=int, default=3, help="clusters timed for the helmfile baseline")
    parser.add_argument("--skip-baseline", action="store_true", help="measure neither baseline")
    parser.add_argument("--markdown", type=Path, help="write the table into this markdown file too")
    parser.add_argument("--crds", action="append", default=[], metavar="[CLOUD=]DIR",
                        help="passed to every render (as `tenantgen render --crds`): objects are then also "
                             "checked against these CRDs and their CEL rules")
    args = parser.parse_args(argv)
    name = args.name or f"{args.clusters}x{args.tenants}"
    work = args.workdir or Path(tempfile.mkdtemp(prefix="tenantgen-bench-"))
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    tree, out, cache = work / "fleet", work / "out", work / "cache"
    print(f"generating {args.clusters} x {args.tenants} in {tree} ...", flush=True)
    counts = fleet.generate(tree, args.clusters, args.tenants)
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    # As an installed package is: byte-compiled. Otherwise every measured process (and each of its
    # workers) would compile tenantgen's modules again, a fixed ~0.5 s that is not tenantgen's work.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "tenantgen")], check=True)
    tenantgen = [sys.executable, "-m", "tenantgen"]
    render = [*tenantgen, "render", str(tree), "-o", str(out), "--jobs", str(args.jobs),
              *(option for crds in args.crds for option in ("--crds", crds))]
    measures = []
    os.sync()
    probe = file_creation_probe(work / "probe")
    print(f"file creation: {probe:.0f} µs per file", flush=True)
    for step, before in (("cold render", None), ("no-op re-render", None), ("one tenant changed", edit_one_tenant)):
        if before:
            before(tree)
        # The previous step's files reach the disk first (a cold render leaves ~300 MB to write
        # back): otherwise the next step measures the kernel's write-back of the last one.
        os.sync()
        print(f"{step} ...", flush=True)
        measures.append(measure(step, render, env))
        print(f"  {measures[-1].seconds:.1f} s", flush=True)
    print("validate ...", flush=True)
    measures.append(measure("validate", [*tenantgen, "validate", str(tree)], env))
    cold_env = {**env, "XDG_CACHE_HOME": str(work / "empty-cache")}
    measures.append(measure("validate, empty cache", [*tenantgen, "validate", str(tree)], cold_env))
    results: dict[str, Any] = {
        "name": name, "date": time.strftime("%Y-%m-%d"), "machine": {**machine(), "file_creation_us": round(probe)},
        "fleet": {**counts, "tenants_per_cluster": args.tenants}, "crds": args.crds,
        "releases": measures[0].releases,
        "measures": [{**asdict(m), "releases_per_second": m.releases_per_second} for m in measures],
    }
    if not args.skip_baseline:
        print(f"one Helm process per release, {args.sample} sampled ...", flush=True)
        results["baseline"] = helm_per_release(tree, args.sample, env)
        results["speedup"] = results["baseline"]["extrapolated_seconds"] / measures[0].seconds
        print(f"helmfile template (helm 3), {args.helmfile_clusters} clusters sampled ...", flush=True)
        peer = results["helmfile"] = peer_tools.helmfile_template_baseline(out, args.helmfile_clusters,
                                                                           measures[0].releases)
        if "skipped" not in peer:
            results["helmfile_speedup"] = peer["extrapolated_seconds"] / measures[0].seconds
    rendered = table(results)
    print(rendered)
    target = HERE / "results" / f"{name}.json"
    target.parent.mkdir(exist_ok=True)
    target.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {target}")
    if args.markdown:
        command = f"python benchmarks/run.py --clusters {args.clusters} --tenants {args.tenants}" + (
            f" --name {args.name}" if args.name else "") + (f" --sample {args.sample}" if args.sample != 30 else "") + (
            f" --helmfile-clusters {args.helmfile_clusters}" if args.helmfile_clusters != 3 else "") + (
            f" --workdir {args.workdir}" if args.workdir else "") + "".join(
            f" --crds {crds}" for crds in args.crds) + f" --markdown {args.markdown}"
        write_markdown(args.markdown, name, results, command)
        print(f"wrote {args.markdown}")
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if all(m.exit_code == 0 for m in measures) else 1


if __name__ == "__main__":
    sys.exit(main())
