"""A cluster's helmfile.yaml, from a Jinja2 template (the bundled one or the user's)."""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import Any

from jinja2 import TemplateError

from tenantgen import __version__
from tenantgen.errors import TenantgenError
from tenantgen.jinja_env import environment
from tenantgen.plan.planner import ClusterPlan, Release
from tenantgen.yamlio.reader import YamlProblem, load_all

TEMPLATE = "helmfile.yaml.j2"


def template_files(templates_dir: Path) -> list[Path]:
    """The helmfile template and every file it may include, import or extend: the loader serves the
    whole folder, so an edit anywhere in it counts."""
    found = sorted(path for path in templates_dir.rglob("*") if path.is_file()) if templates_dir.is_dir() else []
    return found or [templates_dir / TEMPLATE]


def release_entry(release: Release, to_root: str) -> dict[str, Any]:
    """``to_root``: the path from the helmfile's folder to OUT (charts are copied to OUT/charts/, and
    referred to relatively, so that OUT can move)."""
    return {
        "name": release.name,
        "namespace": release.namespace,
        "chart": f"{to_root}/charts/{release.chart.key}",
        "version": release.chart.version,
        "values_file": f"values/{release.name}.yaml",
        "labels": release.labels,
        "needs": [f"{release.namespace}/{need}" for need in release.needs],
    }


def render_helmfile(cp: ClusterPlan, tree_name: str, templates_dir: Path | None = None) -> str:
    cluster = cp.cluster
    to_root = posixpath.relpath(".", cp.rel)  # once per cluster: relpath costs ~80 µs
    context = {
        "version": __version__,
        "source": f"{tree_name}/{cp.rel}",
        "cluster": {"name": cluster.name, "tier": cluster.tier, "account": cluster.account,
                    "kubeVersion": cp.kube_version},
        "releases": [release_entry(release, to_root) for release in cp.releases],
    }
    try:
        text = environment(templates_dir).get_template(TEMPLATE).render(context)
    except TemplateError as exc:
        line = getattr(exc, "lineno", None)
        where = f" (line {line})" if line else ""
        raise TenantgenError(f"template {TEMPLATE}{where}: {exc.message or exc}") from None
    if templates_dir is None:
        # The bundled template writes every value through the ``yaml`` filter (JSON): its output is
        # valid YAML whatever the values are (tests hold it to that). Parsing a big cluster's helmfile
        # costs more than rendering it, so only a user's template is checked on every render.
        return text
    try:
        load_all(text.encode())
    except YamlProblem as problem:
        raise TenantgenError(f"template {TEMPLATE} produced invalid YAML for cluster {cp.rel}: "
                             f"{problem.message} (line {problem.line})") from None
    return text
