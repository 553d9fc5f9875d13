"""The command line: parse, call one function, map the outcome to an exit code. Nothing else.

Commands other than validate and render import their module when they run: start-up time is part
of every ``tenantgen render``, and most of a no-op render is start-up.
"""

from __future__ import annotations

import gc
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from tenantgen import __version__
from tenantgen.cli.commands.render import run_render
from tenantgen.cli.errors import run_guarded
from tenantgen.fast.render_cache import default_cache_dir
from tenantgen.pipeline.crd_folders import parse_crds_option
from tenantgen.pipeline.results import RenderOptions
from tenantgen.pipeline.validate import validate_tree
from tenantgen.plan import Selection, parse_shard
from tenantgen.render import DEFAULT_TIMEOUT
from tenantgen.report import FINDINGS_REPORTERS, FindingsReport

app = typer.Typer(
    name="tenantgen",
    help="Validate a tiered multi-tenant tree and render it into a GitOps output directory.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


# The --format choices, for typer to list and check: the names of each report's reporters (a test
# keeps them in step); the command picks its reporter by that name.
class FindingsFormat(str, Enum):
    text = "text"
    json = "json"


class ExplainFormat(str, Enum):
    text = "text"
    json = "json"


TreeArg = Annotated[Path, typer.Argument(help="The tiered tree to read.", show_default=True)]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tenantgen {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """tenantgen: tiers -> clusters -> tenants, rendered with Helm."""


@app.command()
def validate(
    tree: TreeArg = Path("tiers"),
    output_format: Annotated[FindingsFormat, typer.Option("--format", help="text for people, json for CI.")] = (
        FindingsFormat.text),
    cache: Annotated[bool, typer.Option(
        "--cache/--no-cache", help="Reuse what was parsed and checked from unchanged files.")] = True,
) -> None:
    """Check every file of TREE: YAML, schemas, references, hostnames and tier guardrails."""

    def run() -> int:
        result = validate_tree(tree, cache_dir=default_cache_dir() if cache else None)
        report = FindingsReport(result.findings, result.tree.file_count())
        FINDINGS_REPORTERS.pick(output_format.value)(report, sys.stdout)
        return 0 if result.ok else 1

    raise typer.Exit(run_guarded(run))


class EngineName(str, Enum):
    embedded = "embedded"
    helm = "helm"


EngineOption = Annotated[EngineName, typer.Option(
    "--engine", help="embedded: the Helm SDK shipped with tenantgen; helm: a helm binary on PATH.")]
CrdsOption = Annotated[list[str], typer.Option(
    "--crds", metavar="[aws=|azure=]DIR", help=(
        "Folder of CRDs to validate custom objects against (repeatable); aws=DIR / azure=DIR: only for the "
        "clusters on that cloud, before the folders for every cluster."))]
ChartsOption = Annotated[list[Path], typer.Option(
    "--charts", metavar="DIR", help="Folder with other chart versions a tier may pin (repeatable).")]
TemplatesOption = Annotated[Path | None, typer.Option("--templates", metavar="DIR", help="Folder with your own helmfile.yaml.j2.")]
ValidateOutputOption = Annotated[bool, typer.Option(
    "--validate-output/--no-validate-output", help="Check every rendered object against its schema.")]
JobsOption = Annotated[int, typer.Option("--jobs", "-j", min=0, help="Worker processes; 0 = one per core.")]
TimeoutOption = Annotated[float, typer.Option(
    "--timeout", min=1, help="Seconds one release may take before its render is stopped.")]
CacheOption = Annotated[bool, typer.Option("--cache/--no-cache", help="Reuse renders of unchanged releases.")]


def _render_options(tree: Path, engine: EngineName, crds: list[str], charts: list[Path], templates: Path | None,
                    validate_output: bool, jobs: int, timeout: float, cache: bool,
                    selection: Selection | None = None) -> RenderOptions:
    crd_dirs, provider_crd_dirs = parse_crds_option(crds)
    return RenderOptions(
        tree=tree, engine=engine.value, crd_dirs=crd_dirs, provider_crd_dirs=provider_crd_dirs,
        chart_dirs=tuple(charts), templates_dir=templates,
        validate_output=validate_output, jobs=jobs, timeout=timeout, selection=selection or Selection(),
        cache_dir=default_cache_dir() if cache else None,
    )


@app.command()
def render(
    tree: TreeArg = Path("tiers"),
    out: Annotated[Path, typer.Option("--out", "-o", help="The GitOps output directory.")] = Path("out"),
    check: Annotated[bool, typer.Option("--check", help="Render in memory; exit 1 when OUT is out of date.")] = False,
    tier: Annotated[str | None, typer.Option("--tier", help="Only clusters of this tier (glob).")] = None,
    cluster: Annotated[str | None, typer.Option(
        "--cluster", help="Only this cluster: its name or <tier>/<account>/<cluster> (glob).")] = None,
    tenant: Annotated[str | None, typer.Option("--tenant", help="Only the releases of these tenants (glob).")] = None,
    shard: Annotated[str | None, typer.Option(
        "--shard", metavar="K/N", help="Only the clusters of shard K of N (a stable hash of each cluster's path).")] = None,
    engine: EngineOption = EngineName.embedded,
    crds: CrdsOption = [],  # noqa: B006 - typer copies list defaults
    charts: ChartsOption = [],  # noqa: B006
    templates: TemplatesOption = None,
    validate_output: ValidateOutputOption = True,
    jobs: JobsOption = 0,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
    cache: CacheOption = True,
) -> None:
    """Render every tenant of TREE into OUT: helmfile.yaml, values and one file per object."""
    def run() -> int:
        selection = Selection(tier=tier, cluster=cluster, tenant=tenant,
                              shard=parse_shard(shard) if shard is not None else None)
        options = _render_options(tree, engine, crds, charts, templates, validate_output, jobs, timeout, cache,
                                  selection)
        return run_render(options, out, check)

    raise typer.Exit(run_guarded(run))


@app.command()
def lint(
    charts: Annotated[list[Path], typer.Option(
        "--charts", help="Folder with other chart versions to lint too (repeatable).")] = [],  # noqa: B006
    engine: EngineOption = EngineName.embedded,
) -> None:
    """helm lint (strict) of the charts tenantgen renders."""
    from tenantgen.cli.commands.lint import run_lint

    raise typer.Exit(run_guarded(lambda: run_lint(tuple(charts), engine.value)))


@app.command()
def explain(
    tenant: Annotated[str, typer.Argument(help="The tenant to explain.")],
    tree: TreeArg = Path("tiers"),
    cluster: Annotated[str | None, typer.Option(
        "--cluster", help="Only the tenant of this cluster: its name or <tier>/<account>/<cluster> (glob).")] = None,
    output_format: Annotated[ExplainFormat, typer.Option("--format", help="text for people, json for machines.")] = (
        ExplainFormat.text),
    render_objects: Annotated[bool, typer.Option(
        "--render/--no-render", help="Render the tenant's releases to list the objects they make.")] = True,
    charts: ChartsOption = [],  # noqa: B006
) -> None:
    """TENANT's effective spec, the file:line that set each value, and the releases and objects it renders to."""
    from tenantgen.cli.commands.explain import ExplainOptions, run_explain

    options = ExplainOptions(tenant=tenant, tree=tree, cluster=cluster, output_format=output_format.value,
                             render=render_objects, chart_dirs=tuple(charts))
    raise typer.Exit(run_guarded(lambda: run_explain(options)))


class ScaffoldKind(str, Enum):
    tenant = "tenant"
    argo_project = "argo-project"
    node_pool = "node-pool"
    cluster = "cluster"


@app.command()
def new(
    kind: Annotated[ScaffoldKind, typer.Argument(help="What to create.")],
    name: Annotated[str, typer.Argument(help="Its name: a DNS label.")],
    folder: Annotated[Path, typer.Option(
        "--in", help="The cluster folder (tenant, argo-project, node-pool) or the account folder (cluster).")],
    owner: Annotated[str | None, typer.Option("--owner", help="Tenants: the group that administers it.")] = None,
    assignments: Annotated[list[str], typer.Option(
        "--set", help="A value under spec, dotted key (repeatable): --set contact.slack=#team-a")] = [],  # noqa: B006
) -> None:
    """Create a file from a template, validated with the tree before it is written; never overwrites."""
    from tenantgen.cli.commands.new import NewOptions, run_new

    options = NewOptions(kind.value, name, folder, owner, tuple(assignments))
    raise typer.Exit(run_guarded(lambda: run_new(options)))


@app.command()
def schema(
    kind: Annotated[str | None, typer.Argument(
        help="tier, account, cluster, tenant, argo-project or node-pool (any case).")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Write the schema files (with common.schema.json) to this folder.")] = None,
) -> None:
    """Print KIND's JSON Schema, or write all of them to a folder, for editors and other tools."""
    from tenantgen.cli.commands.schema import run_schema

    raise typer.Exit(run_guarded(lambda: run_schema(kind, out)))


class DiffFormat(str, Enum):
    text = "text"
    markdown = "markdown"
    json = "json"


@app.command()
def diff(
    tree: TreeArg = Path("tiers"),
    base: Annotated[str | None, typer.Option(
        "--base", help="Compare with the tree at this git ref (e.g. origin/main), read straight from git.")] = None,
    against: Annotated[Path | None, typer.Option(
        "--against", help="Compare with the files tenantgen wrote into this output directory.")] = None,
    output_format: Annotated[DiffFormat, typer.Option(
        "--format", help="text for people, markdown for a PR comment, json for machines.")] = DiffFormat.text,
    exit_code: Annotated[bool, typer.Option("--exit-code", help="Exit 1 when anything changed.")] = False,
    guard: Annotated[bool, typer.Option(
        "--guard", help="Exit 1 when the change goes past what a tenant may change on its own (needs --base).")] = (
        False),
    engine: EngineOption = EngineName.embedded,
    crds: CrdsOption = [],  # noqa: B006 - typer copies list defaults
    charts: ChartsOption = [],  # noqa: B006
    templates: TemplatesOption = None,
    validate_output: ValidateOutputOption = True,
    jobs: JobsOption = 0,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
    cache: CacheOption = True,
) -> None:
    """Compare TREE's render with a git ref or an output directory: per-tenant summary, then object diff."""
    from tenantgen.cli.commands.diff import DiffOptions, run_diff

    def run() -> int:
        render_options = _render_options(tree, engine, crds, charts, templates, validate_output, jobs, timeout, cache)
        return run_diff(DiffOptions(render_options, base, against, output_format.value, exit_code, guard))

    raise typer.Exit(run_guarded(run))


# Placeholders that show the shape of an owner. Kept here rather than in review/: importing that
# package for two strings would load the diff and the guard at the start of every render.
DEFAULT_PLATFORM_TEAM = "@example-org/platform"
DEFAULT_TEAM_FORMAT = "@example-org/{group}"


@app.command()
def codeowners(
    tree: TreeArg = Path("tiers"),
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the file here instead of printing it.")] = (
        None),
    platform_team: Annotated[str, typer.Option(
        "--platform-team", help="Owner of everything that is not a tenant's own file.")] = DEFAULT_PLATFORM_TEAM,
    team_format: Annotated[str, typer.Option(
        "--team-format", help="The owner for a tenant's group; {group} is the group name.")] = DEFAULT_TEAM_FORMAT,
    path_prefix: Annotated[str | None, typer.Option(
        "--path-prefix", help="TREE's path in the repository (default: found with git, else TREE as given).")] = None,
) -> None:
    """Print a CODEOWNERS file: tenants' groups own their own files, the platform team the rest."""
    from tenantgen.cli.commands.codeowners import run_codeowners

    raise typer.Exit(run_guarded(lambda: run_codeowners(tree, out, platform_team, team_format, path_prefix)))


def main() -> int:
    """Entry point: click handles usage errors (exit 2); commands return their own exit codes."""
    try:
        app()
    except SystemExit as done:
        code = done.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    finally:
        gc.unfreeze()  # (see ``speed.collector_paused``): a process that goes on collects as usual
    return 0
