"""`tenantgen validate`: exit codes, text and JSON output, the default tree, no tracebacks."""

from __future__ import annotations

from pathlib import Path

import pytest

from tenantgen.cli import app as cli
from tenantgen.errors import UsageError
from tenantgen.report import DIFF_REPORTERS, EXPLAIN_REPORTERS, FINDINGS_REPORTERS
from tests.helpers import EXAMPLE_TREE, run_cli, run_cli_process
from tests.trees import (
    ACCOUNT,
    ACCOUNT_YAML,
    ALPHA,
    BETA,
    PROJECTS,
    TENANTS,
    base_files,
    build_tree,
    tenant_yaml,
)

# Three files, four problems of different stages: all of them in one run.
BAD = {
    ACCOUNT: ACCOUNT_YAML.replace("provider: aws", "provider: gcp"),
    ALPHA: "spec: [\n",
    BETA: tenant_yaml("beta", "*.beta.example.com", "namespaces:\n  quota: 11\n") + "status: {}\n",
}


def test_example_tree_is_valid() -> None:
    result = run_cli(["validate", str(EXAMPLE_TREE)])
    assert result.exit_code == 0, result.stdout
    assert result.stdout.startswith("valid: ")
    assert "no findings" in result.stdout


def test_example_tree_as_json() -> None:
    payload = run_cli(["validate", str(EXAMPLE_TREE), "--format", "json"]).json()
    assert payload["valid"] is True
    assert payload["findings"] == []
    assert payload["files_checked"] == len([p for p in EXAMPLE_TREE.rglob("*.y*ml") if p.is_file()])


def test_findings_of_several_files_in_one_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build_tree(tmp_path, BAD)
    monkeypatch.chdir(tmp_path)
    result = run_cli(["validate", "tree"])
    assert result.exit_code == 1
    out = result.stdout.splitlines()
    assert out[:-1] == [
        'tree/dev/dev-aws/account.yaml:6:3: $.spec.provider: "gcp" is not allowed; allowed: "aws", "azure"',
        ("tree/dev/dev-aws/dev-euw1/tenants/alpha.yaml:2:1: invalid YAML: did not find expected node content "
        "(while parsing a flow node)"),
        ("tree/dev/dev-aws/dev-euw1/tenants/beta.yaml:17:1: $.status: unknown field 'status'; "
        "allowed: apiVersion, kind, metadata, spec"),
    ]
    assert out[-1] == f"3 finding(s) in 3 file(s); {len(base_files())} file(s) checked"
    assert result.stderr == ""


def test_cross_file_findings_are_reported_for_schema_clean_files(tmp_path: Path) -> None:
    root = build_tree(tmp_path, {ACCOUNT: BAD[ACCOUNT], BETA: tenant_yaml("beta", None, "namespaces:\n  quota: 11\n")})
    result = run_cli(["validate", str(root)])
    assert result.exit_code == 1
    assert [line.split(": ", 2)[1] for line in result.stdout.splitlines()[:-1]] == [
        "$.spec.provider", "$.spec.namespaces.quota"]


def test_json_output(tmp_path: Path) -> None:
    root = build_tree(tmp_path, BAD)
    result = run_cli(["validate", str(root), "--format", "json"])
    assert result.exit_code == 1
    payload = result.json()
    assert set(payload) == {"valid", "files_checked", "findings"}
    assert payload["valid"] is False
    assert payload["files_checked"] == len(base_files())
    assert payload["findings"][0] == {
        "file": f"{root.as_posix()}/{ACCOUNT}",
        "line": 6,
        "col": 3,
        "field": "$.spec.provider",
        "message": '"gcp" is not allowed; allowed: "aws", "azure"',
        "code": "schema",
    }
    assert [(f["file"].removeprefix(root.as_posix() + "/"), f["code"]) for f in payload["findings"]] == [
        (ACCOUNT, "schema"), (ALPHA, "yaml-syntax"), (BETA, "schema")]
    for finding in payload["findings"]:
        assert set(finding) == {"file", "line", "col", "field", "message", "code"}


def test_json_finding_without_a_line(tmp_path: Path) -> None:
    root = build_tree(tmp_path, {f"{TENANTS}/notes.json": "{}"})
    [finding] = run_cli(["validate", str(root), "--format", "json"]).json()["findings"]
    assert (finding["line"], finding["col"], finding["field"], finding["code"]) == (0, 0, "", "stray")


def test_default_tree_is_tiers_in_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build_tree(tmp_path).rename(tmp_path / "tiers")
    monkeypatch.chdir(tmp_path)
    result = run_cli(["validate"])
    assert result.exit_code == 0, result.stdout
    assert result.stdout == f"valid: {len(base_files())} file(s) checked, no findings\n"


def test_default_tree_paths_are_shown_relative(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build_tree(tmp_path, {f"{PROJECTS}/gamma.yaml": tenant_yaml("gamma")}).rename(tmp_path / "tiers")
    monkeypatch.chdir(tmp_path)
    result = run_cli(["validate"])
    assert result.exit_code == 1
    assert result.stdout.startswith(f"tiers/{PROJECTS}/gamma.yaml:2:1: $.kind: a Tenant belongs in a cluster's "
                                    "tenants/ folder, not where a ArgoProject is")


def test_missing_default_tree_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run_cli(["validate"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "error: tree 'tiers' does not exist" in result.stderr


def test_missing_tree_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli(["validate", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_a_file_is_not_a_tree(tmp_path: Path) -> None:
    (tmp_path / "tier.yaml").write_text("a: 1\n")
    result = run_cli(["validate", str(tmp_path / "tier.yaml")])
    assert result.exit_code == 2
    assert "is not a folder" in result.stderr


@pytest.mark.parametrize("args", [["validate", "--bogus"], ["validate", "--format", "xml"],
                                  ["validate", "a", "b"]])
def test_bad_options_are_usage_errors(tmp_path: Path, args: list[str]) -> None:
    result = run_cli(args)
    assert result.exit_code == 2
    assert result.stdout == ""


def test_empty_tree_has_a_finding(tmp_path: Path) -> None:
    result = run_cli(["validate", str(tmp_path)])
    assert result.exit_code == 1
    assert "no tiers found" in result.stdout


HOSTILE = {
    "dev/tier.yaml": "a: &a [*a, *a]\n",
    "dev/dev-aws/account.yaml": "x: " + "[" * 200 + "]" * 200 + "\n",
    "dev/dev-aws/dev-euw1/cluster.yaml": b"\xff\xfe\x00k\x00i\x00n\x00d",
    "dev/dev-aws/dev-euw1/tenants/a.yaml": "? [a, b]\n: c\n",
    "dev/dev-aws/dev-euw1/tenants/b.yaml": "!!python/object:os.system {}\n",
    "dev/dev-aws/dev-euw1/tenants/c.yaml": "kind: Tenant\napiVersion: tenantgen.io/v1alpha1\nmetadata: 3\nspec: []\n",
    "dev/dev-aws/dev-euw1/tenants/d.yaml": "lots: " + "&x " * 2 + "1\n",
    "dev/dev-aws/dev-euw1/tenants/e.yaml": "a: !!binary aGVsbG8=\n",
    "dev/dev-aws/dev-euw1/tenants/f.yaml": "a: .nan\n",
    "dev/dev-aws/dev-euw1/node-pools/g.yaml": "\t- tab\n",
}


def test_no_traceback_on_hostile_input(tmp_path: Path) -> None:
    root = build_tree(tmp_path, HOSTILE)
    result = run_cli_process(["validate", str(root)])
    assert result.exit_code == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "internal error" not in result.stderr
    reported = {line.split(":", 1)[0].removeprefix(root.as_posix() + "/") for line in result.stdout.splitlines()}
    assert reported >= set(HOSTILE)


def test_every_format_option_offers_exactly_its_reporters() -> None:
    assert tuple(choice.value for choice in cli.FindingsFormat) == FINDINGS_REPORTERS.names()
    assert tuple(choice.value for choice in cli.ExplainFormat) == EXPLAIN_REPORTERS.names()
    assert tuple(choice.value for choice in cli.DiffFormat) == DIFF_REPORTERS.names()
    with pytest.raises(UsageError, match=r"^--format 'xml': choose one of text, markdown, json$"):
        DIFF_REPORTERS.pick("xml")
