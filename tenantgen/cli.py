"""The command line: parse, call one function, map the outcome to an exit code. Nothing else."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from tenantgen import __version__
from tenantgen.cache import default_cache_dir
from tenantgen.commands.lint import run_lint
from tenantgen.commands.render import run_render
from tenantgen.engine.pool import DEFAULT_TIMEOUT
from tenantgen.errors_cli import run_guarded
from tenantgen.output import Selection
from tenantgen.render import RenderOptions
from tenantgen.report import FINDINGS_REPORTERS
from tenantgen.validate import validate_tree

app = typer.Typer(
    name="tenantgen",
    help="Validate a tiered multi-tenant tree and render it into a GitOps output directory.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class FindingsFormat(str, Enum):
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
) -> None:
    """Check every file of TREE: YAML, schemas, references, hostnames and tier guardrails."""

    def run() -> int:
        result = validate_tree(tree)
        FINDINGS_REPORTERS[output_format.value](result.findings, result.tree.file_count(), sys.stdout)
        return 0 if result.ok else 1

    raise typer.Exit(run_guarded(run))


class EngineName(str, Enum):
    embedded = "embedded"
    helm = "helm"


@app.command()
def render(
    tree: TreeArg = Path("tiers"),
    out: Annotated[Path, typer.Option("--out", "-o", help="The GitOps output directory.")] = Path("out"),
    check: Annotated[bool, typer.Option("--check", help="Render in memory; exit 1 when OUT is out of date.")] = False,
    tier: Annotated[str | None, typer.Option("--tier", help="Only clusters of this tier (glob).")] = None,
    cluster: Annotated[str | None, typer.Option(
        "--cluster", help="Only this cluster: its name or <tier>/<account>/<cluster> (glob).")] = None,
    tenant: Annotated[str | None, typer.Option("--tenant", help="Only the releases of these tenants (glob).")] = None,
    engine: Annotated[EngineName, typer.Option(
        "--engine", help="embedded: the Helm SDK shipped with tenantgen; helm: a helm binary on PATH.")] = (
        EngineName.embedded),
    crds: Annotated[list[Path], typer.Option(
        "--crds", help="Folder of CRDs to validate custom objects against (repeatable).")] = [],  # noqa: B006
    charts: Annotated[list[Path], typer.Option(
        "--charts", help="Folder with other chart versions a tier may pin (repeatable).")] = [],  # noqa: B006
    templates: Annotated[Path | None, typer.Option(
        "--templates", help="Folder with your own helmfile.yaml.j2.")] = None,
    validate_output: Annotated[bool, typer.Option(
        "--validate-output/--no-validate-output", help="Check every rendered object against its schema.")] = True,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=0, help="Worker processes; 0 = one per core.")] = 0,
    timeout: Annotated[float, typer.Option(
        "--timeout", min=1, help="Seconds one release may take before its render is stopped.")] = DEFAULT_TIMEOUT,
    cache: Annotated[bool, typer.Option("--cache/--no-cache", help="Reuse renders of unchanged releases.")] = True,
) -> None:
    """Render every tenant of TREE into OUT: helmfile.yaml, values and one file per object."""
    options = RenderOptions(
        tree=tree, engine=engine.value, crd_dirs=tuple(crds), chart_dirs=tuple(charts), templates_dir=templates,
        validate_output=validate_output, jobs=jobs, timeout=timeout,
        selection=Selection(tier=tier, cluster=cluster, tenant=tenant),
        cache_dir=default_cache_dir() if cache else None,
    )
    raise typer.Exit(run_guarded(lambda: run_render(options, out, check)))


@app.command()
def lint(
    charts: Annotated[list[Path], typer.Option(
        "--charts", help="Folder with other chart versions to lint too (repeatable).")] = [],  # noqa: B006
    engine: Annotated[EngineName, typer.Option("--engine", help="embedded or a helm binary on PATH.")] = (
        EngineName.embedded),
) -> None:
    """helm lint (strict) of the charts tenantgen renders."""
    raise typer.Exit(run_guarded(lambda: run_lint(tuple(charts), engine.value)))


def main() -> int:
    """Entry point: click handles usage errors (exit 2); commands return their own exit codes."""
    try:
        app()
    except SystemExit as done:
        code = done.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    return 0
