"""Reporters for ``tenantgen diff``: text for terminals and logs, markdown for PR comments, JSON.

All three show the same things in the same order: what was compared, problems, the per-tenant
summary, the guard's verdict (when asked for), then the object-level diff.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from tenantgen.report.reporters import Reporters, console_for

if TYPE_CHECKING:  # types only: every command loads report/, and only diff needs review/ itself
    from tenantgen.review import DiffResult, ObjectChange, Violation

GITHUB_COMMENT_LIMIT = 65_536
# First line of every markdown report: CI finds its previous comment by it and edits it in place.
COMMENT_MARKER = "<!-- tenantgen-diff -->"
# Room kept for the closing note when the diff is cut; the limit counts characters, with a margin.
_RESERVE = 600


@dataclass
class DiffReport:
    """What a diff reporter shows: which sides were compared, what changed, the guard's verdict, problems."""

    tree: str  # the tree as the user named it
    base: str  # "origin/main (3f2a1b0c9d8e)" or "the output directory out"
    head: str  # "the working tree"
    result: DiffResult
    guard: list[Violation] | None = None  # None: --guard was not asked for
    problems: list[str] = field(default_factory=list)  # why a side could not be rendered

    @property
    def failed(self) -> bool:
        return bool(self.problems) or bool(self.guard)


def _totals(result: DiffResult) -> str:
    c = result.counts()
    tenants = [f"{c[k]} {w}" for k, w in (("tenants_changed", "changed"), ("tenants_added", "added"),
                                          ("tenants_removed", "removed")) if c[k]]
    objects = [f"{c[k]} {w}" for k, w in (("objects_changed", "changed"), ("objects_added", "added"),
                                          ("objects_removed", "removed")) if c[k]]
    text = f"tenants: {', '.join(tenants)}" if tenants else "no tenant changed"
    if objects:
        text += f"; objects: {', '.join(objects)}"
    return text


# -- text ------------------------------------------------------------------------------------------

_STYLES = (("+++", "bold"), ("---", "bold"), ("+", "green"), ("-", "red"), ("@@", "cyan"))


def report_text(report: DiffReport, stream: TextIO) -> None:
    console = console_for(stream)
    color = stream.isatty()

    def say(line: str, style: str) -> None:
        if color:
            console.print(line, style=style or None, markup=False, highlight=False)
        else:  # plain: no per-line console overhead on long diffs in CI logs
            stream.write(line + "\n")
    say(f"tenantgen diff: {report.tree} at {report.base} -> {report.head}", "bold")
    for problem in report.problems:
        say(f"problem: {problem}", "bold red")
    result = report.result
    if not result.changed and not report.problems:
        say("no changes: both sides render the same objects", "green")
    elif result.changed:
        say(_totals(result), "bold")
        say("", "")
        for subject in result.subjects:
            say(subject.headline(), "")
    _guard_text(report.guard, say)
    for change in result.objects:
        say("", "")
        for line in change.diff:
            say(line, next((style for prefix, style in _STYLES if line.startswith(prefix)), ""))


def _guard_text(guard: Sequence[Violation] | None, say: Callable[[str, str], None]) -> None:
    if guard is None:
        return
    say("", "")
    if not guard:
        say("guard: passed (a tenant may make this change on its own)", "bold green")
        return
    say(f"guard: {len(guard)} violation(s); this change needs the platform team:", "bold red")
    for violation in guard:
        say(f"  {violation.format()}", "red")


# -- JSON ------------------------------------------------------------------------------------------

def report_json(report: DiffReport, stream: TextIO) -> None:
    payload: dict[str, Any] = {
        "tree": report.tree,
        "base": report.base,
        "head": report.head,
        "changed": report.result.changed,
        "problems": report.problems,
        "counts": report.result.counts(),
        "summary": [subject.to_json() for subject in report.result.subjects],
        "guard": None if report.guard is None else {
            "passed": not report.guard, "violations": [v.to_json() for v in report.guard]},
        "objects": [change.to_json() for change in report.result.objects],
    }
    stream.write(json.dumps(payload, indent=2) + "\n")


# -- markdown --------------------------------------------------------------------------------------

def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")


def _fence(lines: Sequence[str]) -> str:
    longest = max((len(line) - len(line.lstrip("`")) for line in lines), default=0)
    return "`" * max(3, longest + 1)


def markdown(report: DiffReport, limit: int = GITHUB_COMMENT_LIMIT) -> str:
    """The PR comment, at most ``limit`` characters: diffs are cut first, then summary rows."""
    budget = limit - _RESERVE
    outcome = "could not compare" if report.problems else _totals(report.result)
    head = [COMMENT_MARKER, f"### tenantgen diff: `{report.tree}`", "",
            f"Comparing **{_cell(report.base)}** with **{_cell(report.head)}**: {outcome}.", ""]
    head += [f"- :x: {_cell(problem)}" for problem in report.problems]
    if report.problems:
        head.append("")
    if not report.result.changed and not report.problems:
        head += ["No changes: both sides render the same objects.", ""]
    blocks = ["\n".join(head), _table(report, budget // 2), _guard_markdown(report.guard, budget // 4)]
    text = "\n".join(block for block in blocks if block)
    sections, cut = _sections(report.result.objects, budget - len(text))
    text += sections
    if cut:
        text += (f"\n> :scissors: **Diff truncated** to fit a comment ({limit:,} characters): {cut}. "
                 "Run `tenantgen diff` locally, or use `--format text`, for the full diff.\n")
    return text


def _guard_markdown(guard: Sequence[Violation] | None, budget: int) -> str:
    if guard is None:
        return ""
    if not guard:
        return "**Guard: :white_check_mark: passed** — the tenant may make this change on its own.\n"
    lines = [f"**Guard: :x: {len(guard)} violation(s)** — this change needs the platform team:", ""]
    size = len(lines[0])
    for number, v in enumerate(guard):
        line = f"- {'`' + _cell(v.file) + '`: ' if v.file else ''}{_cell(v.reason)} ({v.rule}: {v.code})"
        if size + len(line) > budget:
            lines.append(f"- … {len(guard) - number} more violation(s): run `tenantgen diff --guard` to see them")
            break
        lines.append(line)
        size += len(line) + 1
    return "\n".join(lines) + "\n"


def _table(report: DiffReport, budget: int) -> str:
    subjects = report.result.subjects
    if not subjects:
        return ""
    lines = ["| Cluster | Tenant | Change | Details |", "|---|---|---|---|"]
    size = sum(len(line) + 1 for line in lines)
    for number, subject in enumerate(subjects):
        who = subject.name or f"({subject.scope})"
        row = (f"| `{subject.cluster or '-'}` | {_cell(who)} | {subject.status} | "
               f"{_cell('; '.join(subject.details)) or ' '} |")
        if size + len(row) + 1 > budget:
            lines.append(f"| … | … | … | {len(subjects) - number} more row(s) not shown |")
            break
        lines.append(row)
        size += len(row) + 1
    return "\n".join(lines) + "\n"


def _sections(objects: Sequence[ObjectChange], budget: int) -> tuple[str, str]:
    """Collapsible sections per cluster within ``budget`` characters, and what was cut ("" if nothing)."""
    clusters: dict[str, list[ObjectChange]] = {}
    for change in objects:
        clusters.setdefault(change.cluster or "fleet-wide (charts)", []).append(change)
    out: list[str] = []
    used, cut_lines, cut_clusters = 0, 0, 0
    for cluster, changes in clusters.items():
        lines = [line for number, change in enumerate(changes) for line in ([""] if number else []) + list(change.diff)]
        states = ", ".join(f"{sum(1 for c in changes if c.status == s)} {s}" for s in ("changed", "added", "removed")
                           if any(c.status == s for c in changes))
        fence = _fence(lines)
        top = f"\n<details><summary><code>{cluster}</code>: {states}</summary>\n\n{fence}diff\n"
        bottom = f"{fence}\n\n</details>\n"
        room = budget - used - len(top) - len(bottom) - 100  # 100: the "more lines" note
        if room < 200:
            cut_clusters += 1
            cut_lines += len(lines)
            continue
        body, kept = [], 0
        for line in lines:
            if kept + len(line) + 1 > room:
                break
            body.append(line)
            kept += len(line) + 1
        if len(body) < len(lines):
            cut_lines += len(lines) - len(body)
            body.append(f"… {len(lines) - len(body)} more line(s) of {cluster} not shown")
        section = top + "\n".join(body) + "\n" + bottom
        out.append(section)
        used += len(section)
    notes = []
    if cut_lines:
        notes.append(f"{cut_lines:,} diff line(s) not shown")
    if cut_clusters:
        notes.append(f"{cut_clusters} cluster section(s) left out")
    return "".join(out), ", ".join(notes)


def report_markdown(report: DiffReport, stream: TextIO) -> None:
    stream.write(markdown(report))


DIFF_REPORTERS: Reporters[DiffReport] = Reporters(
    {"text": report_text, "markdown": report_markdown, "json": report_json})
