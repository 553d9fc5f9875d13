"""Per-file findings of the load stage: where a file is, what it is called, whether it parses.

Every test builds the small valid tree of ``tests.trees`` under tmp_path, breaks one thing and
asserts the finding exactly as ``tenantgen validate`` prints it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.trees import (
    ACCOUNT,
    ALPHA,
    APPS_POOL,
    BETA,
    CLUSTER,
    CLUSTER_DIR,
    CLUSTER_YAML,
    POOL_YAML,
    PROJECTS,
    TENANTS,
    TIER,
    TIER_YAML,
    build_tree,
    findings,
    lines,
    pos,
    shown,
    tenant_yaml,
)

HEADER = "apiVersion: tenantgen.io/v1alpha1\nkind: Tenant\nmetadata:\n  name: beta\n"


def test_base_tree_is_valid(tmp_path: Path) -> None:
    assert lines(build_tree(tmp_path)) == []


def test_yaml_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    root = build_tree(tmp_path, {BETA: HEADER + "   team: x\nspec: {}\n"})
    assert lines(root) == [
        f"{shown(BETA)}:5:8: invalid YAML: mapping values are not allowed in this context",
    ]


def test_unclosed_flow_sequence(tmp_path: Path) -> None:
    root = build_tree(tmp_path, {BETA: HEADER + "spec:\n  readers: [sre\n  costCenter: CC-1\n"})
    [finding] = findings(root)
    assert (finding.file, finding.line, finding.code) == (shown(BETA), 7, "yaml-syntax")
    assert finding.message.startswith("invalid YAML: did not find expected ',' or ']'")


def test_broken_file_does_not_cascade_into_missing_references(tmp_path: Path) -> None:
    # argo-projects/beta.yaml names tenant beta: its file exists, so only the YAML error is reported.
    root = build_tree(tmp_path, {BETA: "spec: [\n", APPS_POOL: "spec: [\n"})
    assert [(f.file, f.code) for f in findings(root)] == [
        (shown(APPS_POOL), "yaml-syntax"),
        (shown(BETA), "yaml-syntax"),
    ]


def test_duplicate_key_is_reported_at_the_duplicate(tmp_path: Path) -> None:
    text = tenant_yaml("beta") + "  costCenter: CC-2\n"
    root = build_tree(tmp_path, {BETA: text})
    line, col = pos(text, "costCenter", 2)
    assert (line, col) == (12, 3)
    assert lines(root) == [
        (f'{shown(BETA)}:12:3: found duplicate key "costCenter" with value "CC-2" (original value: "CC-1"); '
        "each key may appear once in a mapping"),
    ]


def test_nested_duplicate_key(tmp_path: Path) -> None:
    text = tenant_yaml("beta").replace("    email: beta@example.com\n",
                                       "    email: beta@example.com\n    email: b@example.com\n")
    [finding] = findings(build_tree(tmp_path, {BETA: text}))
    assert (finding.line, finding.col, finding.code) == (12, 5, "duplicate-key")
    assert 'duplicate key "email"' in finding.message


def test_node_pool_in_tenants_folder(tmp_path: Path) -> None:
    rel = f"{TENANTS}/apps.yaml"
    root = build_tree(tmp_path, {rel: POOL_YAML})
    assert lines(root) == [
        f"{shown(rel)}:2:1: $.kind: a NodePool belongs in a cluster's node-pools/ folder, not where a Tenant is",
    ]


def test_tenant_in_place_of_cluster_yaml(tmp_path: Path) -> None:
    root = build_tree(tmp_path, {CLUSTER: tenant_yaml("dev-euw1")})
    assert lines(root) == [
        f"{shown(CLUSTER)}:2:1: $.kind: a Tenant belongs in a cluster's tenants/ folder, not where a Cluster is",
    ]


def test_cluster_in_tenants_folder_names_its_file(tmp_path: Path) -> None:
    rel = f"{TENANTS}/dev-euw1.yaml"
    root = build_tree(tmp_path, {rel: CLUSTER_YAML})
    assert lines(root) == [
        f"{shown(rel)}:2:1: $.kind: a Cluster belongs in a file named cluster.yaml, not where a Tenant is",
    ]


def test_name_must_match_file_stem(tmp_path: Path) -> None:
    rel = f"{TENANTS}/gamma.yaml"
    root = build_tree(tmp_path, {rel: tenant_yaml("delta")})
    assert lines(root) == [
        (f"{shown(rel)}:4:3: $.metadata.name: name 'delta' does not match its file name 'gamma'; "
        "rename one of them"),
    ]


def test_name_must_match_folder(tmp_path: Path) -> None:
    root = build_tree(tmp_path, {TIER: TIER_YAML.replace("name: dev", "name: develop")})
    assert lines(root) == [
        (f"{shown(TIER)}:4:3: $.metadata.name: name 'develop' does not match its folder name 'dev'; "
        "rename one of them"),
    ]


def test_stray_file_in_tenants_folder(tmp_path: Path) -> None:
    rel = f"{TENANTS}/notes.json"
    root = build_tree(tmp_path, {rel: "{}"})
    assert lines(root) == [f"{shown(rel)}: stray file in a managed folder; only .yaml and .yml files belong here"]


def test_notes_in_markdown_are_ignored(tmp_path: Path) -> None:
    root = build_tree(tmp_path, {f"{TENANTS}/README.md": "# tenants\n", f"{CLUSTER_DIR}/NOTES.txt": "x"})
    assert lines(root) == []


def test_unknown_folder_in_a_cluster(tmp_path: Path) -> None:
    root = build_tree(tmp_path, {f"{CLUSTER_DIR}/tenant/gamma.yaml": tenant_yaml("gamma")})
    assert lines(root) == [
        (f"{shown(CLUSTER_DIR + '/tenant')}: unknown folder 'tenant' in a cluster; "
        "allowed: config, tenants, argo-projects, node-pools"),
    ]


def test_stray_yaml_files_at_each_level(tmp_path: Path) -> None:
    root = build_tree(tmp_path, {
        "values.yaml": "a: 1\n",
        "dev/extra.yaml": "a: 1\n",
        "dev/dev-aws/extra.yaml": "a: 1\n",
        f"{CLUSTER_DIR}/extra.yaml": "a: 1\n",
        f"{TENANTS}/nested/gamma.yaml": tenant_yaml("gamma"),
    })
    got = {f.file: f.message for f in findings(root)}
    assert got == {
        shown("values.yaml"): "stray file: the top of the tree holds only tier folders (<tier>/tier.yaml)",
        shown("dev/extra.yaml"): "stray file: a tier folder holds tier.yaml, config/ and account folders",
        shown("dev/dev-aws/extra.yaml"): "stray file: an account folder holds account.yaml and cluster folders",
        shown(f"{CLUSTER_DIR}/extra.yaml"): "stray file: a cluster folder holds cluster.yaml and the folders "
                                            "config, tenants, argo-projects, node-pools",
        shown(f"{TENANTS}/nested"): "sub-folders are not read in tenants/; one Tenant per file",
    }


def test_missing_tier_yaml(tmp_path: Path) -> None:
    root = build_tree(tmp_path, {TIER: None})
    assert lines(root) == [f"{shown('dev')}: tier folder has no tier.yaml"]


def test_missing_cluster_yaml(tmp_path: Path) -> None:
    root = build_tree(tmp_path, {CLUSTER: None})
    assert lines(root) == [f"{shown(CLUSTER_DIR)}: cluster folder has no cluster.yaml"]


def test_account_yaml_is_optional_and_yml_is_accepted(tmp_path: Path) -> None:
    root = build_tree(tmp_path, {ACCOUNT: None, TIER: None, "dev/tier.yml": TIER_YAML})
    assert lines(root) == []


def test_two_files_for_one_tenant(tmp_path: Path) -> None:
    rel = f"{TENANTS}/alpha.yml"
    root = build_tree(tmp_path, {rel: tenant_yaml("alpha")})
    assert lines(root) == [
        f"{shown(rel)}: Tenant 'alpha' is defined twice in this folder (alpha.yaml and alpha.yml); keep one",
    ]


def test_two_files_for_one_tenant_even_when_the_first_is_broken(tmp_path: Path) -> None:
    rel = f"{TENANTS}/alpha.yml"
    root = build_tree(tmp_path, {ALPHA: "spec: [\n", rel: tenant_yaml("alpha")})
    assert [(f.file, f.code) for f in findings(root)] == [(shown(ALPHA), "yaml-syntax"), (shown(rel), "duplicate")]


def test_empty_file(tmp_path: Path) -> None:
    root = build_tree(tmp_path, {BETA: ""})
    assert lines(root) == [f"{shown(BETA)}:1:1: file is empty; expected one Tenant document"]


def test_file_with_only_comments_is_empty(tmp_path: Path) -> None:
    root = build_tree(tmp_path, {APPS_POOL: "# TODO\n---\n"})
    assert lines(root) == [f"{shown(APPS_POOL)}:1:1: file is empty; expected one NodePool document"]


def test_multiple_documents(tmp_path: Path) -> None:
    root = build_tree(tmp_path, {BETA: tenant_yaml("beta") + "---\n" + tenant_yaml("beta")})
    assert lines(root) == [
        f"{shown(BETA)}:1:1: file holds 2 YAML documents; a tenantgen file holds exactly one (Tenant)",
    ]


def test_document_markers_around_one_document_are_fine(tmp_path: Path) -> None:
    root = build_tree(tmp_path, {BETA: "---\n" + tenant_yaml("beta") + "---\n"})
    assert lines(root) == []


def test_not_a_mapping(tmp_path: Path) -> None:
    root = build_tree(tmp_path, {BETA: "- beta\n"})
    assert lines(root) == [
        (f"{shown(BETA)}:1:1: expected a Tenant document (a mapping with apiVersion, kind, metadata, spec), "
        "found list"),
    ]


def test_non_utf8_file(tmp_path: Path) -> None:
    raw = tenant_yaml("beta").encode().replace(b"CC-1", b"CC-\xe91")  # Latin-1 e-acute
    root = build_tree(tmp_path, {BETA: raw})
    [finding] = findings(root)
    assert (finding.file, finding.line, finding.col, finding.code) == (shown(BETA), 9, 1, "encoding")
    assert finding.message.startswith("file is not valid UTF-8 (byte ")
    assert finding.message.endswith("save it as UTF-8")


def test_binary_file(tmp_path: Path) -> None:
    [finding] = findings(build_tree(tmp_path, {BETA: b"\x00\x01\x02"}))
    assert finding.format() == f"{shown(BETA)}: file is binary (it contains NUL bytes); expected UTF-8 YAML text"


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    assert lines(build_tree(tmp_path, {BETA: "\ufeff" + tenant_yaml("beta")})) == []


def test_symlink_outside_the_tree(tmp_path: Path) -> None:
    root = build_tree(tmp_path)
    outside = tmp_path / "outside.yaml"
    outside.write_text(tenant_yaml("gamma"), encoding="utf-8")
    os.symlink(outside, root / TENANTS / "gamma.yaml")
    assert lines(root) == [
        f"{shown(TENANTS + '/gamma.yaml')}: symbolic link points outside the tree; only links within it are followed",
    ]


def test_symlink_inside_the_tree_is_followed(tmp_path: Path) -> None:
    root = build_tree(tmp_path, {"shared/gamma.yaml.txt": tenant_yaml("gamma")})
    os.symlink(root / "shared/gamma.yaml.txt", root / TENANTS / "gamma.yaml")
    result = findings(root)
    assert [f.file for f in result] == [shown("shared")]  # the shared folder is not a tier
    assert result[0].code == "missing-file"


def test_uppercase_folder_names(tmp_path: Path) -> None:
    root = build_tree(tmp_path, {
        "Dev/tier.yaml": TIER_YAML,
        "dev/Dev-AWS/account.yaml": "",
        "dev/dev-aws/Prod-1/cluster.yaml": CLUSTER_YAML,
    })
    assert lines(root) == [
        (f"{shown('Dev')}: tier folder name 'Dev' is not a DNS-1123 label "
        "(lowercase letters, digits and '-', at most 63 characters)"),
        (f"{shown('dev/Dev-AWS')}: account folder name 'Dev-AWS' is not a DNS-1123 label "
        "(lowercase letters, digits and '-', at most 63 characters)"),
        (f"{shown('dev/dev-aws/Prod-1')}: cluster folder name 'Prod-1' is not a DNS-1123 label "
        "(lowercase letters, digits and '-', at most 63 characters)"),
    ]


def test_config_folder_holds_kubernetes_objects(tmp_path: Path) -> None:
    good = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ingress-nginx\n"
    root = build_tree(tmp_path, {
        "dev/config/namespace.yaml": good + "---\n" + good.replace("ingress-nginx", "monitoring"),
        f"{CLUSTER_DIR}/config/bad.yaml": "just: a map\n",
        f"{CLUSTER_DIR}/config/deep/x.yaml": good,
    })
    assert lines(root) == [
        (f"{shown(CLUSTER_DIR + '/config/bad.yaml')}: every document in config/ must be a Kubernetes object with "
        "apiVersion, kind and metadata.name"),
        f"{shown(CLUSTER_DIR + '/config/deep')}: sub-folders are not read in config/; move the manifests up",
    ]


def test_a_cluster_config_file_that_differs_from_a_tier_file_only_in_its_suffix(tmp_path: Path) -> None:
    # shared.yaml (cluster) replaces the tier's shared.yaml; shared.yml would land beside it instead.
    good = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ingress-nginx\n"
    root = build_tree(tmp_path, {
        "dev/config/shared.yaml": good, "dev/config/other.yml": good,
        f"{CLUSTER_DIR}/config/shared.yml": good, f"{CLUSTER_DIR}/config/other.yml": good,
    })
    assert lines(root) == [
        (f"{shown(CLUSTER_DIR + '/config/shared.yml')}: same name as the tier's config file "
         f"{shown('dev/config/shared.yaml')} but another suffix, so both would be copied to the cluster; a cluster "
         "config file replaces the tier's only under the very same file name: rename it shared.yaml to replace "
         "the tier's file, or give it a name of its own to add to it"),
    ]


def test_an_empty_tree(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    assert lines(root) == ["tree: no tiers found: expected <tier>/tier.yaml folders in this tree"]


def test_null_outside_a_merge_means_unset(tmp_path: Path) -> None:
    # In a Cluster's own settings null is not a merge directive: the key is simply not set.
    text = CLUSTER_YAML.replace("  region: eu-west-1\n", "  region: null\n")
    root = build_tree(tmp_path, {CLUSTER: text})
    assert lines(root) == [f"{shown(CLUSTER)}:7:3: $.spec.region: missing required field 'region'"]


def test_every_bad_file_is_reported_in_one_run(tmp_path: Path) -> None:
    root = build_tree(tmp_path, {
        ALPHA: "spec: [\n",
        BETA: "",
        f"{PROJECTS}/notes.json": "{}",
        f"{TENANTS}/gamma.yaml": tenant_yaml("delta"),
    })
    assert sorted({f.file for f in findings(root)}) == sorted(
        shown(rel) for rel in (ALPHA, BETA, f"{PROJECTS}/notes.json", f"{TENANTS}/gamma.yaml"))


@pytest.mark.parametrize(("rel", "kind"), [
    ("prod/tier.yaml", "Tier"), ("prod/tier.yml", "Tier"), ("prod/prod-aws/account.yaml", "Account"),
    ("prod/prod-aws/prod-euw1/cluster.yaml", "Cluster"), ("prod/prod-aws/prod-euw1/tenants/search.yaml", "Tenant"),
    ("prod/prod-aws/prod-euw1/argo-projects/search.yml", "ArgoProject"),
    ("prod/prod-aws/prod-euw1/node-pools/apps.yaml", "NodePool"),
    ("prod/prod-aws/prod-euw1/config/quota.yaml", None), ("prod/config/x.yaml", None),
    ("prod/prod-aws/prod-euw1/tenants/notes.txt", None), ("prod/prod-aws/tier.yaml", None),
    ("prod/prod-aws/prod-euw1/tenants/deeper/x.yaml", None),
])
def test_the_kind_a_file_is_loaded_as_is_known_from_its_path(rel: str, kind: str | None) -> None:
    from tenantgen.load.tree import kind_at

    assert kind_at(rel) == kind


_json_like = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=3),
                          lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from("abspec"), inner,
                                                                                      max_size=3), max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(data=st.dictionaries(st.sampled_from(["spec", "metadata", "x"]), _json_like, max_size=3),
       kind=st.sampled_from(["Tenant", "Tier", "Cluster", "ArgoProject"]))
def test_dropping_nulls_gives_the_same_data_whether_or_not_any_is_there(data: dict[str, Any], kind: str) -> None:
    """Data without a null comes back as it is, not copied: it must equal the copy it stands for."""
    from tenantgen.load.tree import NULL_DIRECTIVE_PARTS, _unset_nulls, document_data
    from tenantgen.validate.schema import _without_nulls, strip_nulls

    assert document_data(kind, data) == _unset_nulls(data, NULL_DIRECTIVE_PARTS.get(kind))
    assert strip_nulls(data) == _without_nulls(data)
    assert (strip_nulls(data) is data) == (document_data(kind, data) is data) == ("None" not in repr(data))


@pytest.mark.parametrize(("rel", "cluster", "tier_config"), [
    ("prod/prod-aws/prod-euw1/tenants/search.yaml", "prod/prod-aws/prod-euw1", None),
    ("prod/prod-aws/prod-euw1/cluster.yaml", "prod/prod-aws/prod-euw1", None),
    ("prod/prod-aws/prod-euw1/config/sub/x.yaml", "prod/prod-aws/prod-euw1", None),
    ("prod/config/quota.yaml", None, "prod/config"), ("prod/config/sub/deeper/x.yaml", None, "prod/config"),
    ("prod/prod-aws/account.yaml", None, None), ("prod/tier.yaml", None, None), ("prod", None, None),
])
def test_the_cluster_a_file_belongs_to_is_known_from_its_path(rel: str, cluster: str | None,
                                                               tier_config: str | None) -> None:
    from tenantgen.load import cluster_of, tier_config_of

    assert (cluster_of(rel), tier_config_of(rel)) == (cluster, tier_config)


@pytest.mark.parametrize(("cluster", "parts"), [
    ("prod/prod-aws/prod-euw1", ("prod", "prod-aws", "prod-euw1")),
    ("prod", ("prod", "", "prod")), ("a/b/c/d", ("a", "b/c", "d")),  # (from a hand-edited index)
])
def test_a_cluster_rel_splits_into_tier_account_and_name(cluster: str, parts: tuple[str, str, str]) -> None:
    from tenantgen.load import cluster_parts

    assert cluster_parts(cluster) == parts


@pytest.mark.parametrize(("root", "shown", "name"), [
    ("tiers", "tiers", "tiers"), ("tiers/", "tiers", "tiers"), ("../x/tiers", "../x/tiers", "tiers"),
    ("/srv/tiers", "/srv/tiers", "tiers"), ("/", "/", "tree"), (".", ".", "."),
])
def test_the_tree_is_shown_as_given_and_named_by_its_last_part(root: str, shown: str, name: str) -> None:
    from tenantgen.load import display_root_of, tree_name_of

    assert (display_root_of(Path(root)), tree_name_of(display_root_of(Path(root)))) == (shown, name)
