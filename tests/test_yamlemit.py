"""What tenantgen writes as YAML reads back as the same data in tenantgen (ruamel, YAML 1.2) and in
Helm, helmfile and Kubernetes (Go's YAML reader, which keeps YAML 1.1's booleans and numbers)."""

from __future__ import annotations

import datetime
import json
import shutil
from pathlib import Path
from typing import Any

import helm_python
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from tenantgen.yamlio import emit as yamlemit
from tenantgen.yamlio import reader as yamlio
from tests.helpers import EXAMPLE_TREE, read_tree, run_cli
from tests.support.yaml_data import TRICKY, documents, keys, same


def go_reads(text: str) -> Any:
    """The values file as Helm reads it (the engine's own values reader: sigs.k8s.io/yaml)."""
    return helm_python.values_from_yaml(text)


@settings(max_examples=400, deadline=None)
@given(documents)
def test_tenantgen_reads_back_what_it_wrote(document: dict[str, Any]) -> None:
    text = yamlio.dump(document)
    [read] = YAML(typ="safe", pure=True).load_all(text)
    assert same(read, document), text


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(keys, st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2**53, 2**53), st.sampled_from(TRICKY),
              st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=20)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(keys, inner, max_size=3)),
    max_leaves=20), max_size=6))
def test_helm_reads_back_what_tenantgen_wrote(document: dict[str, Any]) -> None:
    text = yamlio.dump(document)
    assert same(go_reads(text), document, ordered=False), text


@pytest.mark.parametrize("value", ["on", "off", "yes", "no", "y", "Y", "n", "N", "true", "null", "~", "0o17", "0x1F",
                                   "1_000", "12:30", "1e3", ".inf", "2001-12-14", "=", "<<", "0777", "+1"])
def test_strings_a_reader_would_take_for_something_else_are_quoted(value: str) -> None:
    text = yamlio.dump({"label": value, value: "key"})
    assert text == f"label: '{value}'\n'{value}': key\n"
    assert go_reads(text) == {"label": value, value: "key"}
    assert yamlio.load_all(text.encode()) == [{"label": value, value: "key"}]


def test_common_values_stay_plain_and_readable() -> None:
    values = {"cpu": "100m", "memory": "1.5Gi", "kubeVersion": "1.32.0", "dns": "172.20.0.10", "team": "Team Platform",
              "url": "https://git.example.com/org/repo.git", "regex": r"^(a\.example\.com)$", "city": "Zürich",
              "id": "111111111111", "host": "*.apps.example.com", "quote": "it's", "text": "two\nlines",
              "odd": "\u2028", "count": 3, "ratio": 0.5, "big": 1e20, "flag": False, "none": None, "empty": {}, "list": [],
              "nested": [{"a": [1, [2, 3]]}, "x"]}
    assert yamlio.dump(values) == (
        "cpu: 100m\nmemory: 1.5Gi\nkubeVersion: 1.32.0\ndns: 172.20.0.10\nteam: Team Platform\n"
        "url: https://git.example.com/org/repo.git\nregex: ^(a\\.example\\.com)$\ncity: Zürich\n"
        "id: '111111111111'\nhost: '*.apps.example.com'\nquote: \"it's\"\ntext: \"two\\nlines\"\n"
        "odd: \"\\u2028\"\ncount: 3\nratio: 0.5\nbig: 1.0e+20\nflag: false\nnone: null\nempty: {}\nlist: []\n"
        "nested:\n- a:\n  - 1\n  - - 2\n    - 3\n- x\n")
    assert same(go_reads(yamlio.dump(values)), values, ordered=False)


def test_what_the_fast_writer_cannot_write_goes_to_ruamel_with_the_same_quoting() -> None:
    data = {"day": datetime.date(2026, 1, 2), "backup": "yes", "1": {2: "on"}}
    assert yamlemit.dump_all([data]) is None
    assert yamlio.dump(data) == "day: 2026-01-02\nbackup: 'yes'\n'1':\n  2: 'on'\n"
    cycle: dict[str, Any] = {}
    cycle["self"] = cycle
    assert yamlemit.dump_all([cycle]) is None


def test_a_values_file_helmfile_applies_gives_helm_the_rendered_values(tmp_path: Path) -> None:
    tree = tmp_path / "tiers"
    shutil.copytree(EXAMPLE_TREE, tree)
    tenant = tree / "prod" / "prod-aws" / "prod-euc1" / "tenants" / "mobile-api.yaml"
    tenant.write_text(tenant.read_text().replace(
        "spec:\n", "spec:\n  additionalMetadata:\n    labels:\n      backup: \"yes\"\n      \"on\": \"off\"\n", 1))
    out = tmp_path / "out"
    result = run_cli(["render", str(tree), "-o", str(out)])
    assert result.exit_code == 0, result.stdout + result.stderr
    files = read_tree(out)
    values = files["prod/prod-aws/prod-euc1/values/mobile-api-tenant.yaml"].decode()
    assert "      backup: 'yes'\n      'on': 'off'\n" in values
    assert json.dumps(go_reads(values), sort_keys=True) == json.dumps(yamlio.load_all(values.encode())[0],
                                                                      sort_keys=True)
