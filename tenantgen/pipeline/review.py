"""The review side of the pipeline: render -> review, for the people who review a change.

``diff_tree`` renders the tree and the base side of a change (the tree at a git ref, or what an
output directory holds) and compares them, with the guard's verdict when asked; ``codeowners_file``
validates the tree and gives its CODEOWNERS file. Both return plain records: the commands report
them and choose the exit code.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from tenantgen.errors import TenantgenError, UsageError
from tenantgen.load import display_root_of, tree_files
from tenantgen.pipeline.render import render_tree
from tenantgen.pipeline.results import RenderOptions, RenderResult
from tenantgen.pipeline.validate import validate_tree
from tenantgen.render.output_set import OutputFile, OutputSet
from tenantgen.report import DiffReport
from tenantgen.review import (
    DiffResult,
    GuardInput,
    Violation,
    changed_files,
    check_guard,
    compare,
    git,
    render_codeowners,
)
from tenantgen.validate import Validation
from tenantgen.write import CHARTS, owned_files, safe_target
from tenantgen.yamlio import YamlProblem, load_all

MAX_PROBLEM_LINES = 50
WORKING_TREE = "the working tree"


@dataclass(frozen=True)
class DiffOutcome:
    """What ``diff_tree`` found: the comparison to report, and notes about how it was made."""

    report: DiffReport
    notes: tuple[str, ...] = ()


def diff_tree(options: RenderOptions, base: str | None = None, against: Path | None = None,
              guard: bool = False) -> DiffOutcome:
    """Render ``options.tree`` and compare it with its render at the git ref ``base``, or with the output
    directory ``against`` (exactly one of them); ``guard`` (with ``base``) adds the guard's verdict."""
    head = render_tree(options)
    problems = _problems(WORKING_TREE, head)
    if base is not None:
        return DiffOutcome(_against_ref(options, base, head, problems, guard), tuple(head.rule_notes))
    assert against is not None
    base_files, notes = read_output_dir(against, head.files)
    result = compare(base_files, head.files) if head.ok else DiffResult()
    report = DiffReport(display_root_of(options.tree), f"the output directory {against.as_posix()}", WORKING_TREE, result,
                        None, problems)
    return DiffOutcome(report, (*notes, *head.rule_notes))


def _against_ref(options: RenderOptions, ref: str, head: RenderResult, problems: list[str],
                 guard: bool) -> DiffReport:
    tree = options.tree
    repo = git.repository_root(tree)
    revision = git.resolve(repo, ref)
    folder = git.folder_in_repository(repo, tree)
    with tempfile.TemporaryDirectory(prefix="tenantgen-diff-") as tmp:
        base_tree = Path(tmp) / "tree"
        git.export_folder(repo, revision, folder, base_tree)
        base = render_tree(replace(options, tree=base_tree), display_root=display_root_of(tree))
        problems.extend(_problems(f"{ref} ({revision.short})", base))
        violations = None
        if guard:
            assert head.validation is not None and base.validation is not None
            violations = _guard_violations(base.validation, head.validation, read_files(base_tree),
                                           read_files(tree), head)
    result = compare(base.files, head.files) if head.ok and base.ok else DiffResult()
    return DiffReport(display_root_of(tree), f"{ref} ({revision.short})", WORKING_TREE, result, violations, problems)


def _guard_violations(base: Validation, head: Validation, base_files: dict[str, bytes],
                      head_files: dict[str, bytes], head_render: RenderResult) -> list[Violation]:
    data = GuardInput(base, head, changed_files(base_files, head_files),
                      head_render.files if head_render.ok else None,
                      [failure.format() for failure in head_render.failures])
    return check_guard(data)


def _problems(side: str, result: RenderResult) -> list[str]:
    if result.ok:
        return []
    lines = [(f"{side} does not render ({len(result.findings)} finding(s), {len(result.failures)} release "
              "failure(s)); nothing was compared")]
    details = [finding.format() for finding in result.findings] + [failure.format() for failure in result.failures]
    lines += details[:MAX_PROBLEM_LINES]
    if len(details) > MAX_PROBLEM_LINES:
        lines.append(f"… and {len(details) - MAX_PROBLEM_LINES} more")
    return lines


def read_files(root: Path) -> dict[str, bytes]:
    """Every file of a tree (posix rel path -> bytes), walked as the loader walks it."""
    files: dict[str, bytes] = {}
    for entry in tree_files(root):
        try:
            files[entry.rel] = Path(entry.path).read_bytes()
        except OSError:
            files[entry.rel] = b"\0unreadable"
    return files


def read_output_dir(out: Path, head: OutputSet | None = None) -> tuple[dict[str, OutputFile], tuple[str, ...]]:
    """The files tenantgen owns in ``out`` (``write.layout``: helmfile.yaml, values/, manifests/,
    config/, flux/ and argocd/ of each cluster folder, and charts/), with their cluster, release and tenant (as the
    render ``head`` names them, else as the cluster's helmfile.yaml in ``out`` labels them); and
    notes on how they were found."""
    if not out.is_dir():
        raise UsageError(f"--against {str(out)!r} is not a folder")
    tenants = {(file.cluster, file.release): file.tenant for file in (head or {}).values() if file.release}
    labelled: dict[str, dict[str, str]] = {}
    files: dict[str, OutputFile] = {}
    for rel in owned_files(out):
        try:
            data = safe_target(out, rel).read_bytes()
        except (OSError, TenantgenError):
            continue
        parts = rel.split("/")
        cluster = "/".join(parts[:3]) if parts[0] != CHARTS else ""
        release = None
        if cluster and parts[3] == "values" and len(parts) == 5 and parts[4].endswith(".yaml"):
            release = parts[4][:-len(".yaml")]
        elif cluster and parts[3] == "manifests" and len(parts) > 5:
            release = parts[4]
        elif cluster and parts[3] in ("flux", "argocd") and len(parts) == 5 and parts[4].endswith(".yaml"):
            release = parts[4][:-len(".yaml")]  # what applies a release is named after it (or is the folder's own)
        tenant = None
        if release is not None:
            tenant = tenants.get((cluster, release))
            if tenant is None:
                if cluster not in labelled:
                    labelled[cluster] = _tenants_labelled(out / cluster / "helmfile.yaml")
                tenant = labelled[cluster].get(release)
        files[rel] = OutputFile(data, cluster, tenant, release)
    return files, ()


def _tenants_labelled(helmfile: Path) -> dict[str, str]:
    """release -> tenant, as the labels of a helmfile.yaml tenantgen wrote say (nothing if it does not read)."""
    try:
        documents = load_all(helmfile.read_bytes())
    except (OSError, ValueError, YamlProblem):
        return {}
    found = {}
    for document in documents:
        for release in (document.get("releases") or []) if isinstance(document, dict) else []:
            labels = release.get("labels") if isinstance(release, dict) else None
            if isinstance(labels, dict) and isinstance(labels.get("tenant"), str):
                found[str(release.get("name"))] = labels["tenant"]
    return found


@dataclass(frozen=True)
class CodeownersOutcome:
    """What ``codeowners_file`` found: the validated tree, and the file's text (None: the tree has findings)."""

    validation: Validation
    text: str | None


def codeowners_file(tree: Path, platform_team: str, team_format: str, prefix: str | None = None) -> CodeownersOutcome:
    """The CODEOWNERS file of the tree at ``tree``; paths start at ``prefix`` (default: the tree's folder
    in its git repository, else ``tree`` as given)."""
    validation = validate_tree(tree)
    if not validation.ok:
        return CodeownersOutcome(validation, None)
    text = render_codeowners(validation, _folder_in_repository(tree) if prefix is None else prefix, platform_team,
                             team_format)
    return CodeownersOutcome(validation, text)


def _folder_in_repository(tree: Path) -> str:
    try:
        repo = git.repository_root(tree)
        return git.folder_in_repository(repo, tree)
    except UsageError:
        return tree.as_posix()
