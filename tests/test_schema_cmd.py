"""``tenantgen schema``: one kind's JSON Schema on stdout, or all of them written to a folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import REPO_ROOT, run_cli

SCHEMAS = REPO_ROOT / "schemas"


@pytest.mark.parametrize(("kind", "file"), [
    ("tier", "tier.schema.json"),
    ("Account", "account.schema.json"),
    ("CLUSTER", "cluster.schema.json"),
    ("tenant", "tenant.schema.json"),
    ("argo-project", "argoproject.schema.json"),
    ("ArgoProject", "argoproject.schema.json"),
    ("nodepool", "nodepool.schema.json"),
    ("node-pool", "nodepool.schema.json"),
])
def test_prints_one_kinds_schema(kind: str, file: str) -> None:
    result = run_cli(["schema", kind])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (SCHEMAS / file).read_text(encoding="utf-8")
    assert json.loads(result.stdout)["$id"].endswith("/" + file)


def test_unknown_kind_lists_the_kinds() -> None:
    result = run_cli(["schema", "namespace"])
    assert result.exit_code == 2
    assert "unknown kind 'namespace'; kinds: tier, account, cluster, tenant, argo-project, node-pool" in result.stderr
    assert result.stdout == ""


def test_no_kind_and_no_folder_is_a_usage_error() -> None:
    result = run_cli(["schema"])
    assert result.exit_code == 2
    assert "name a KIND" in result.stderr


def test_writes_every_schema_with_the_common_definitions(tmp_path: Path) -> None:
    out = tmp_path / "editor" / "schemas"
    result = run_cli(["schema", "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    expected = sorted(path.name for path in SCHEMAS.glob("*.json"))
    assert "common.schema.json" in expected and len(expected) == 7
    assert sorted(path.name for path in out.iterdir()) == expected
    for name in expected:
        assert (out / name).read_bytes() == (SCHEMAS / name).read_bytes()
    assert f"wrote 7 schema file(s) to {out}" in result.stdout


def test_one_kind_to_a_folder_brings_the_common_definitions(tmp_path: Path) -> None:
    result = run_cli(["schema", "tenant", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["common.schema.json", "tenant.schema.json"]
