"""``tenantgen diff``: against a git ref (a real repository) and an output directory; reports; redaction."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tenantgen.render.output_set import OutputFile
from tenantgen.report.diff import GITHUB_COMMENT_LIMIT, DiffReport, markdown, report_text
from tenantgen.review.diff import compare
from tenantgen.review.redaction import SecretRedactor
from tests.helpers import CliResult, read_tree, run_cli
from tests.trees import ALPHA, APPS_POOL, BETA, POOL_YAML, POOLS, PROJECTS, TENANTS, build_tree, tenant_yaml

CLUSTER = "dev/dev-aws/dev-euw1"
PLANTED = "hunter2-PLANTED-s3cr3t"
PLANTED_DATA = base64.b64encode(b"PLANTED-binary-secret").decode()


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
                          capture_output=True, text=True, check=True)
    return done.stdout


def change_working_copy(tree: Path) -> None:
    """alpha: a hostname and a CPU limit; beta removed; gamma new; node pool gpu new."""
    alpha = tenant_yaml("alpha", "api.alpha.example.com", extra='resources:\n  limits: {cpu: "12"}\n')
    alpha = alpha.replace("      - 'api.alpha.example.com'\n",
                          "      - 'api.alpha.example.com'\n      - api2.alpha.example.com\n")
    (tree / ALPHA).write_text(alpha)
    (tree / BETA).unlink()
    (tree / PROJECTS / "beta.yaml").unlink()
    (tree / TENANTS / "gamma.yaml").write_text(tenant_yaml("gamma", "gamma.example.com"))
    (tree / POOLS / "gpu.yaml").write_text(POOL_YAML.replace("name: apps", "name: gpu"))


def plant_secret(out: Path) -> None:
    secret = out / CLUSTER / "manifests" / "alpha-argocd" / "secret-alpha-repo.yaml"
    text = secret.read_text()
    assert "stringData:" in text
    secret.write_text(text.replace("stringData:\n", f"data:\n  token: {PLANTED_DATA}\nstringData:\n"
                                                   f"  password: {PLANTED}\n"))


@dataclass
class Scenario:
    repo: Path
    text: CliResult
    markdown: CliResult
    json: CliResult
    exit_code: CliResult
    against: CliResult
    against_formats: list[CliResult]
    status_before: str
    status_after: str
    index_before: bytes
    index_after: bytes
    files_before: dict[str, bytes]
    files_after: dict[str, bytes]


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    repo = tmp_path_factory.mktemp("diff") / "repo"
    tree = build_tree(repo)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(repo.parent / "cache"))  # shared by the runs below only
        patch.chdir(repo)
        assert run_cli(["render", "tree", "-o", str(repo.parent / "out")]).exit_code == 0
        plant_secret(repo.parent / "out")
        change_working_copy(tree)
        status_before = git(repo, "status", "--porcelain")  # refreshes the index's stat data first
        index_before, files_before = (repo / ".git" / "index").read_bytes(), read_tree(repo)
        text = run_cli(["diff", "tree", "--base", "HEAD"])
        as_markdown = run_cli(["diff", "tree", "--base", "HEAD", "--format", "markdown"])
        as_json = run_cli(["diff", "tree", "--base", "HEAD", "--format", "json"])
        exit_code = run_cli(["diff", "tree", "--base", "HEAD", "--exit-code"])
        index_after, files_after = (repo / ".git" / "index").read_bytes(), read_tree(repo)
        against = run_cli(["diff", "tree", "--against", str(repo.parent / "out")])
        formats = [run_cli(["diff", "tree", "--against", str(repo.parent / "out"), "--format", f])
                   for f in ("markdown", "json")]
        yield Scenario(repo, text, as_markdown, as_json, exit_code, against, formats, status_before,
                       git(repo, "status", "--porcelain"), index_before, index_after, files_before, files_after)


def test_summary_says_what_changed_per_tenant(scenario: Scenario) -> None:
    out = scenario.text.stdout
    assert scenario.text.exit_code == 0, scenario.text.stderr
    assert out.startswith("tenantgen diff: tree at HEAD (")
    assert f"alpha ({CLUSTER}): quota limits.cpu 8 -> 12; + hostname api2.alpha.example.com\n" in out
    assert f"beta ({CLUSTER}): removed\n" in out
    assert f"new tenant gamma ({CLUSTER})\n" in out
    assert f"cluster {CLUSTER}: node pool gpu added\n" in out
    assert "tenants: 1 changed, 1 added, 1 removed; objects: " in out
    # The summary comes before the diff.
    assert out.index("alpha (") < out.index("--- a/")


def test_object_level_unified_diff(scenario: Scenario) -> None:
    out = scenario.text.stdout
    tenant = f"{CLUSTER}/manifests/alpha-tenant/tenant-alpha.yaml"
    assert f"--- a/{tenant}\n+++ b/{tenant}\n" in out
    assert '+        - "api2.alpha.example.com"\n' in out
    assert '-          "limits.cpu": "8"\n+          "limits.cpu": "12"\n' in out
    # Removed and added objects diff against /dev/null.
    assert f"--- a/{CLUSTER}/manifests/beta-tenant/tenant-beta.yaml\n+++ /dev/null\n" in out
    assert f"--- /dev/null\n+++ b/{CLUSTER}/manifests/gamma-tenant/tenant-gamma.yaml\n" in out
    assert "\x1b[" not in out  # plain text when not on a terminal


def test_working_copy_and_index_are_untouched(scenario: Scenario) -> None:
    assert scenario.index_after == scenario.index_before
    assert scenario.files_after == scenario.files_before
    assert scenario.status_after == scenario.status_before
    assert "D  " not in scenario.status_after and "?? tree/" in scenario.status_after


def test_exit_code_when_something_changed(scenario: Scenario) -> None:
    assert scenario.exit_code.exit_code == 1
    summary = scenario.text.stdout.split("\n--- ")[0]
    assert scenario.exit_code.stdout.startswith(summary)


def test_markdown_report_is_a_pr_comment(scenario: Scenario) -> None:
    out = scenario.markdown.stdout
    assert scenario.markdown.exit_code == 0
    assert out.startswith("<!-- tenantgen-diff -->\n### tenantgen diff: `tree`\n")
    assert "| Cluster | Tenant | Change | Details |" in out
    assert (f"| `{CLUSTER}` | alpha | changed | quota limits.cpu 8 -> 12; + hostname api2.alpha.example.com |"
            in out)
    assert f"| `{CLUSTER}` | beta | removed |" in out
    assert f"<details><summary><code>{CLUSTER}</code>:" in out
    assert "```diff\n--- a/" in out and out.rstrip().endswith("</details>")
    assert len(out) <= GITHUB_COMMENT_LIMIT
    assert "Guard" not in out  # not asked for


def test_json_report_structure(scenario: Scenario) -> None:
    report = scenario.json.json()
    assert report["changed"] is True and report["guard"] is None and report["problems"] == []
    assert report["counts"]["tenants_added"] == 1 and report["counts"]["tenants_removed"] == 1
    alpha = next(s for s in report["summary"] if s["tenant"] == "alpha")
    assert alpha == {"scope": "tenant", "cluster": CLUSTER, "tenant": "alpha", "status": "changed",
                     "changes": ["quota limits.cpu 8 -> 12", "+ hostname api2.alpha.example.com"],
                     "summary": f"alpha ({CLUSTER}): quota limits.cpu 8 -> 12; + hostname api2.alpha.example.com"}
    tenant = next(o for o in report["objects"] if o["object"] == "Tenant alpha")
    assert tenant["status"] == "changed" and tenant["tenant"] == "alpha"
    assert '+        - "api2.alpha.example.com"' in tenant["diff"]
    assert {o["status"] for o in report["objects"]} == {"added", "removed", "changed"}


def test_against_output_directory(scenario: Scenario) -> None:
    out = scenario.against.stdout
    assert scenario.against.exit_code == 0, scenario.against.stderr
    assert "at the output directory " in out
    assert f"alpha ({CLUSTER}): quota limits.cpu 8 -> 12; + hostname api2.alpha.example.com\n" in out
    assert f"beta ({CLUSTER}): removed\n" in out


def test_secret_data_is_redacted_in_every_format(scenario: Scenario) -> None:
    outputs = [scenario.against, *scenario.against_formats]
    for result in outputs:
        assert PLANTED not in result.stdout and PLANTED_DATA not in result.stdout
        assert hashlib.sha256(PLANTED.encode()).hexdigest()[:8] not in result.stdout  # keyed, not a plain hash
        assert "<redacted sha256:" in result.stdout
    # The change is still visible: the planted keys are gone on the working-tree side.
    assert re.search(r"^-  password: <redacted sha256:[0-9a-f]{8}>$", scenario.against.stdout, re.MULTILINE)
    assert re.search(r"^-  token: <redacted sha256:[0-9a-f]{8}>$", scenario.against.stdout, re.MULTILINE)


def test_unknown_ref_and_bad_option_combinations(scenario: Scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(scenario.repo)
    missing = run_cli(["diff", "tree", "--base", "no-such-branch"])
    assert missing.exit_code == 2 and "git ref 'no-such-branch' not found" in missing.stderr
    both = run_cli(["diff", "tree"])
    assert both.exit_code == 2 and "--base REF" in both.stderr
    guard = run_cli(["diff", "tree", "--against", "out", "--guard"])
    assert guard.exit_code == 2 and "use it with --base" in guard.stderr


def test_no_changes_and_exit_code_zero(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build_tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert run_cli(["render", "tree", "-o", "out"]).exit_code == 0
    same = run_cli(["diff", "tree", "--against", "out", "--exit-code"])
    assert same.exit_code == 0, same.stdout + same.stderr
    assert "no changes" in same.stdout
    (tmp_path / "tree" / APPS_POOL).write_text(POOL_YAML.replace("CC-1000", "CC-2000"))
    changed = run_cli(["diff", "tree", "--against", "out", "--exit-code"])
    assert changed.exit_code == 1
    assert f"cluster {CLUSTER}: node pool apps: costCode CC-1000 -> CC-2000" in changed.stdout


# -- pure: reporters and redaction on hand-made output sets ------------------------------------------

def configmap(lines: int, marker: str) -> OutputFile:
    data = "\n".join(f"  key{n}: {marker}-{n}" for n in range(lines))
    text = f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\n  namespace: alpha-web\ndata:\n{data}\n"
    return OutputFile(text.encode(), CLUSTER, "alpha", "alpha-post-install")


def test_markdown_is_cut_to_githubs_comment_limit() -> None:
    path = f"{CLUSTER}/manifests/alpha-post-install/configmap-big.yaml"
    other = "dev/dev-aws/dev-euw2/manifests/alpha-post-install/configmap-big.yaml"
    base = {path: configmap(8_000, "old"), other: OutputFile(b"", "dev/dev-aws/dev-euw2")}
    head = {path: configmap(8_000, "new"), other: configmap(50, "x")}
    result = compare(base, head)
    text = markdown(DiffReport("tree", "main (abc)", "the working tree", result))
    assert len(text) <= GITHUB_COMMENT_LIMIT
    assert "Diff truncated" in text and "diff line(s) not shown" in text
    assert text.count("<details>") == text.count("</details>")
    assert text.count("```") % 2 == 0


def test_text_is_coloured_on_a_terminal() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    path = f"{CLUSTER}/manifests/alpha-post-install/configmap-big.yaml"
    result = compare({path: configmap(3, "old")}, {path: configmap(3, "new")})
    stream = Terminal()
    report_text(DiffReport("tree", "main (abc)", "the working tree", result), stream)
    assert "\x1b[32m+  key0: new-0" in stream.getvalue() or "\x1b[32m+" in stream.getvalue()
    assert "\x1b[31m-" in stream.getvalue()


def test_redactor_tokens_show_changes_but_not_values() -> None:
    redactor = SecretRedactor()
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
              "data": {"a": "c2VjcmV0", "b": "c2VjcmV0"}, "stringData": "not-a-map"}
    redacted = redactor.hide_secret_values(secret)
    assert redacted["data"]["a"] == redacted["data"]["b"] != redactor.token("other")
    assert redacted["stringData"].startswith("<redacted sha256:") and "c2VjcmV0" not in json.dumps(redacted)
    listed = redactor.hide_secret_values({"apiVersion": "v1", "kind": "List", "items": [secret]})
    assert "c2VjcmV0" not in json.dumps(listed)
    assert SecretRedactor().token("x") != redactor.token("x")  # a fresh key per run
    unparsable = redactor.hide_unparsable_secret(b"kind: Secret\ndata: {a: [unclosed\n")
    assert unparsable is not None and "unclosed" not in unparsable


def test_unparsable_secret_file_is_hidden() -> None:
    path = f"{CLUSTER}/config/secret.yaml"
    raw = f"apiVersion: v1\nkind: Secret\nmetadata: {{name: x}}\nstringData: {{password: {PLANTED}\n"
    result = compare({}, {path: OutputFile(raw.encode(), CLUSTER)})
    assert PLANTED not in "\n".join(line for change in result.objects for line in change.diff)
