"""``tenantgen new``: scaffold a document, ask for what is missing (in a terminal), validate, write.

Nothing is written unless the tree, with the new document added in memory, has no finding the
tree did not already have.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import typer

from tenantgen.author import (
    KIND_OF_COMMAND,
    Missing,
    Target,
    ValueProblem,
    account_provider,
    coerce,
    derive,
    document_data,
    existing_file,
    initial_spec,
    locate,
    missing_values,
    new_findings,
    render_document,
    set_value,
)
from tenantgen.errors import TenantgenError
from tenantgen.load import load_tree
from tenantgen.report import console_for
from tenantgen.validate import schema_problems


@dataclass(frozen=True)
class NewOptions:
    kind: str  # as typed: tenant, argo-project, node-pool, cluster
    name: str
    folder: Path
    owner: str | None = None
    assignments: tuple[str, ...] = ()


def stdin_is_tty() -> bool:
    """Whether missing values may be asked for (tests replace this)."""
    return sys.stdin.isatty()


def ask(question: str) -> str:
    """One answer from the terminal (tests replace this); prompts go to stderr, stdout stays clean."""
    try:
        return str(typer.prompt(question, err=True))
    except typer.Abort:
        raise TenantgenError("no answer given; nothing was written") from None


def run_new(options: NewOptions, stdout: TextIO | None = None) -> int:
    stdout = stdout or sys.stdout  # looked up per call: tests redirect it
    target = locate(KIND_OF_COMMAND[options.kind], options.name, options.folder)
    clash = existing_file(target)
    if clash is not None:
        raise TenantgenError(f"{target.display_root}/{clash.relative_to(target.root).as_posix()} already exists; "
                             "tenantgen new never overwrites a file (edit it, or choose another name)")
    tree, load_findings = load_tree(target.root, target.display_root)
    spec = initial_spec(target, tree, options.owner, list(options.assignments))
    missing = missing_values(target, tree, spec)
    if missing:
        if not stdin_is_tty():
            raise TenantgenError(missing_message(target, missing))
        _prompt(target, spec, missing)
        derive(target, spec)
        still = missing_values(target, tree, spec)
        if still:
            raise TenantgenError(missing_message(target, still))
    text = render_document(target, spec, account_provider(tree, target))
    console = console_for(stdout)
    findings = new_findings(tree, load_findings, target, text)
    if findings:
        for finding in findings:
            console.print(finding.format(), markup=False)
        console.print(f"[bold red]refused[/]: {target.display_path} would bring {len(findings)} finding(s) to "
                      "the tree; nothing was written")
        return 1
    _write(target, text)
    console.print(f"[bold green]created[/] {target.display_path} ({target.kind} {target.name})")
    console.print(f"next: review it, then tenantgen validate {target.display_root}", markup=False)
    return 0


def missing_message(target: Target, missing: list[Missing]) -> str:
    width = max(len(m.field.dotted) for m in missing)
    hint_width = max(len(m.hint) for m in missing)
    lines = [f"  {m.field.dotted.ljust(width)}  {m.hint.ljust(hint_width)}  (required by {m.why})" for m in missing]
    return (f"cannot create {target.kind} {target.name!r}: {len(missing)} required value(s) missing and no "
            "terminal to ask for them; pass them on the command line:\n" + "\n".join(lines)
            + "\nnothing was written")


def _prompt(target: Target, spec: dict[str, Any], missing: list[Missing]) -> None:
    err = console_for(sys.stderr)
    err.print(f"{target.kind} {target.name}: {len(missing)} required value(s) to fill in", markup=False)
    for item in missing:
        field = item.field
        if field.path == ("owners",):
            err.print(f"owners: the group that administers the tenant (required by {item.why})", markup=False)
            group = ask("owners (group name)")
            set_value(spec, field.path, [{"kind": "Group", "name": group}])
            continue
        example = field.example()
        hint = f" (e.g. {example})" if example is not None and not isinstance(example, (dict, list)) else ""
        err.print(f"{field.dotted}: {field.description} (required by {item.why})", markup=False)
        while True:
            answer = ask(f"{field.dotted}{hint}")
            try:
                value = coerce(field, answer)
            except ValueProblem as problem:
                err.print(f"  {problem}", markup=False)
                continue
            problems = _problems_at(target, spec, field.path, value)
            if not problems:
                set_value(spec, field.path, value)
                break
            err.print(f"  {problems[0]}; try again", markup=False)


def _problems_at(target: Target, spec: dict[str, Any], path: tuple[str | int, ...], value: Any) -> list[str]:
    """Schema problems of ``value`` at ``path``, so a bad answer is asked again at once."""
    candidate = document_data(target, spec)
    set_value(candidate["spec"], path, value)
    prefix = ("spec", *path)
    return [message for where, message in schema_problems(target.kind, candidate)
            if where[:len(prefix)] == prefix]


def _write(target: Target, text: str) -> None:
    try:
        target.path.parent.mkdir(parents=True, exist_ok=True)
        with open(target.path, "x", encoding="utf-8") as file:  # "x": never replace a file created meanwhile
            file.write(text)
    except FileExistsError:
        raise TenantgenError(f"{target.display_path} already exists; nothing was written") from None
    except OSError as exc:
        raise TenantgenError(f"cannot write {target.display_path}: {exc.strerror or exc}") from None
