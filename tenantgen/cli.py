"""The command line: parse, call one function, map the outcome to an exit code. Nothing else."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from tenantgen import __version__
from tenantgen.errors_cli import run_guarded
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


def main() -> int:
    try:
        app(standalone_mode=False)
    except typer.Exit as done:
        return done.exit_code
    except SystemExit as done:  # click's own exits
        return int(done.code or 0)
    except Exception as exc:  # click usage errors arrive here in non-standalone mode
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            return exc.exit_code
        if isinstance(exc, click.exceptions.Abort):
            return 130
        raise
    return 0
