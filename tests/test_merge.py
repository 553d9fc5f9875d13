"""The layered merge: maps merge deeply, lists replace, null removes; provenance of every leaf.

Most tests call ``merge.merge_layers`` on plain data; the last ones read a real tree to check that
provenance points at the right line of the right file.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tenantgen.load.documents import Document
from tenantgen.merge.layers import Layer, Merged, leaves, merge_layers, merge_onto
from tests.trees import (
    ALPHA,
    BETA,
    CLUSTER,
    CLUSTER_YAML,
    TIER,
    TIER_YAML,
    build_tree,
    pos,
    shown,
    tenant_yaml,
    validate,
)


def doc(name: str) -> Document:
    return Document("Tenant", name, f"{name}.yaml", f"{name}.yaml", b"", {})


TIER_DOC, CLUSTER_DOC, TENANT_DOC = doc("tier"), doc("cluster"), doc("tenant")


def merge(tier: dict[str, Any], cluster: dict[str, Any], tenant: dict[str, Any]) -> Merged:
    return merge_layers([
        Layer("tier default", TIER_DOC, ("spec", "defaults"), tier),
        Layer("cluster default", CLUSTER_DOC, ("spec", "defaults"), cluster),
        Layer("tenant", TENANT_DOC, ("spec",), tenant),
    ])


def who(merged: Merged, *path: str | int) -> tuple[str, str, tuple[str | int, ...]]:
    origin = merged.origins[path]
    return origin.layer, origin.doc.name, origin.path


def test_maps_merge_deeply() -> None:
    merged = merge(
        {"limitRange": {"default": {"cpu": "500m", "memory": "512Mi"}}},
        {"limitRange": {"default": {"memory": "1Gi"}, "defaultRequest": {"cpu": "100m"}}},
        {"limitRange": {"default": {"cpu": "1"}}},
    )
    assert merged.value == {
        "limitRange": {"default": {"cpu": "1", "memory": "1Gi"}, "defaultRequest": {"cpu": "100m"}},
    }
    assert who(merged, "limitRange", "default", "cpu") == ("tenant", "tenant", ("spec", "limitRange", "default", "cpu"))
    assert who(merged, "limitRange", "default", "memory") == (
        "cluster default", "cluster", ("spec", "defaults", "limitRange", "default", "memory"))
    assert who(merged, "limitRange", "defaultRequest", "cpu")[0] == "cluster default"


def test_lists_replace() -> None:
    merged = merge({"readers": ["sre", "auditors"]}, {}, {"readers": ["payments-dev"]})
    assert merged.value == {"readers": ["payments-dev"]}


def test_replaced_list_keeps_only_the_later_origins() -> None:
    merged = merge({"ingress": {"classes": ["a", "b", "c"]}}, {"ingress": {"classes": ["x"]}}, {})
    assert merged.value == {"ingress": {"classes": ["x"]}}
    assert who(merged, "ingress", "classes") == (
        "cluster default", "cluster", ("spec", "defaults", "ingress", "classes"))
    assert who(merged, "ingress", "classes", 0)[0] == "cluster default"
    assert ("ingress", "classes", 1) not in merged.origins
    assert ("ingress", "classes", 2) not in merged.origins


def test_lists_of_maps_replace_as_a_whole() -> None:
    merged = merge({"owners": [{"kind": "Group", "name": "platform", "clusterRoles": ["admin"]}]}, {},
                   {"owners": [{"kind": "User", "name": "alice"}]})
    assert merged.value == {"owners": [{"kind": "User", "name": "alice"}]}
    assert ("owners", 0, "clusterRoles") not in merged.origins
    assert ("owners", 0, "clusterRoles", 0) not in merged.origins
    assert who(merged, "owners", 0, "name")[0] == "tenant"


def test_null_removes_an_inherited_key() -> None:
    merged = merge(
        {"limitRange": {"max": {"cpu": "4", "memory": "8Gi"}, "default": {"cpu": "1"}}, "nodePool": "apps"},
        {},
        {"limitRange": {"max": None}, "nodePool": None},
    )
    assert merged.value == {"limitRange": {"default": {"cpu": "1"}}}


def test_removed_keys_lose_provenance() -> None:
    merged = merge({"limitRange": {"max": {"cpu": "4"}}, "nodePool": "apps"}, {},
                   {"limitRange": {"max": None}, "nodePool": None})
    for path in [("nodePool",), ("limitRange", "max"), ("limitRange", "max", "cpu")]:
        assert path not in merged.origins
    # What is left of the map was last touched by the tenant: the nearest place to add it back.
    assert merged.origin(("limitRange", "max", "cpu")) == merged.origins[("limitRange",)]
    assert merged.origin(("nodePool",)) is None


def test_null_for_a_key_nobody_set_is_harmless() -> None:
    merged = merge({}, {"services": None}, {"contact": {"slack": None, "email": "a@example.com"}})
    assert merged.value == {"contact": {"email": "a@example.com"}}


def test_a_later_layer_can_set_a_removed_key_again() -> None:
    merged = merge({"nodePool": "apps"}, {"nodePool": None}, {"nodePool": "batch"})
    assert merged.value == {"nodePool": "batch"}
    assert who(merged, "nodePool") == ("tenant", "tenant", ("spec", "nodePool"))


def test_scalars_replace() -> None:
    merged = merge({"namespaces": {"quota": 5}, "costCenter": "CC-1"}, {"namespaces": {"quota": 8}},
                   {"costCenter": "CC-2"})
    assert merged.value == {"namespaces": {"quota": 8}, "costCenter": "CC-2"}
    assert who(merged, "namespaces", "quota") == (
        "cluster default", "cluster", ("spec", "defaults", "namespaces", "quota"))
    assert who(merged, "costCenter") == ("tenant", "tenant", ("spec", "costCenter"))


@pytest.mark.parametrize(("earlier", "later"), [
    ({"a": {"b": 1}}, {"a": "scalar"}),
    ({"a": "scalar"}, {"a": {"b": 1}}),
    ({"a": [1, 2]}, {"a": {"b": 1}}),
    ({"a": {"b": 1}}, {"a": [3]}),
])
def test_a_value_of_another_shape_replaces_the_inherited_one(earlier: dict[str, Any], later: dict[str, Any]) -> None:
    merged = merge(earlier, {}, later)
    assert merged.value == later
    assert all(origin.layer == "tenant" for origin in merged.origins.values())


def test_every_leaf_has_an_origin_in_the_layer_that_set_it() -> None:
    tier = {"namespaces": {"quota": 5}, "services": {"nodePort": False}, "readers": ["sre"]}
    cluster = {"nodePool": "apps", "ingress": {"classes": ["internal"]}}
    tenant = {"owners": [{"kind": "Group", "name": "t"}], "readers": [], "namespaces": {"default": "t-api"}}
    merged = merge(tier, cluster, tenant)
    expected = {
        ("namespaces", "quota"): "tier default",
        ("namespaces", "default"): "tenant",
        ("services", "nodePort"): "tier default",
        ("readers",): "tenant",
        ("nodePool",): "cluster default",
        ("ingress", "classes", 0): "cluster default",
        ("owners", 0, "kind"): "tenant",
        ("owners", 0, "name"): "tenant",
    }
    assert {path: merged.origins[path].layer for path, _ in leaves(merged.value)} == expected


def test_origin_path_is_within_the_layers_document() -> None:
    merged = merge({"contact": {"email": "a@example.com"}}, {}, {})
    origin = merged.origins[("contact", "email")]
    assert origin.doc is TIER_DOC
    assert origin.path == ("spec", "defaults", "contact", "email")


def test_layers_are_not_modified() -> None:
    tier = {"limitRange": {"default": {"cpu": "1"}}, "readers": ["sre"]}
    tenant = {"limitRange": {"default": {"cpu": "2"}, "max": None}, "readers": ["x"]}
    merged = merge(tier, {}, tenant)
    merged.value["readers"].append("y")
    merged.value["limitRange"]["default"]["cpu"] = "3"
    assert tier == {"limitRange": {"default": {"cpu": "1"}}, "readers": ["sre"]}
    assert tenant == {"limitRange": {"default": {"cpu": "2"}, "max": None}, "readers": ["x"]}


def test_leaves_in_document_order() -> None:
    assert leaves({"a": {"b": 1, "c": [2, {"d": 3}]}, "e": []}) == [
        (("a", "b"), 1), (("a", "c", 0), 2), (("a", "c", 1, "d"), 3), (("e",), []),
    ]


# -- provenance through a real tree ----------------------------------------------------------------

def _tenant(tmp_path: Path, name: str, changes: dict[str, str | bytes | None] | None = None) -> Merged:
    result = validate(build_tree(tmp_path, changes))
    assert result.findings == []
    return result.fleet.clusters[0].tenants[name].merged


def test_provenance_lines_point_at_the_file_that_set_each_value(tmp_path: Path) -> None:
    merged = _tenant(tmp_path, "alpha")
    alpha = tenant_yaml("alpha", "api.alpha.example.com")

    def at(rel: str, text: str, needle: str) -> str:
        line, col = pos(text, needle)
        return f"{shown(rel)}:{line}:{col}"

    location = {path: merged.origins[path].location() for path, _ in leaves(merged.value)}
    assert location[("namespaces", "quota")] == at(TIER, TIER_YAML, "quota") == f"{shown(TIER)}:10:7"
    assert location[("resources", "limits", "memory")] == at(TIER, TIER_YAML, "memory: 32Gi")
    assert location[("nodePool",)] == at(CLUSTER, CLUSTER_YAML, "nodePool") == f"{shown(CLUSTER)}:17:5"
    assert location[("ingress", "classes", 0)] == at(CLUSTER, CLUSTER_YAML, "nginx-internal")
    assert location[("costCenter",)] == at(ALPHA, alpha, "costCenter") == f"{shown(ALPHA)}:9:3"
    assert location[("ingress", "hostnames", 0)] == at(ALPHA, alpha, "'api.alpha")
    assert location[("owners", 0, "name")] == at(ALPHA, alpha, "name: alpha-admins")


def test_a_tenant_override_moves_provenance_to_the_tenant_line(tmp_path: Path) -> None:
    beta = tenant_yaml("beta", extra="namespaces:\n  quota: 3\nnodePool: apps\n")
    merged = _tenant(tmp_path, "beta", {BETA: beta})
    assert merged.value["namespaces"] == {"quota": 3}
    assert merged.origins[("namespaces", "quota")].location() == f"{shown(BETA)}:{pos(beta, 'quota')[0]}:5"
    assert merged.origins[("nodePool",)].location() == f"{shown(BETA)}:{pos(beta, 'nodePool')[0]}:3"
    # Untouched values still come from the tier.
    assert merged.origins[("services", "nodePort")].doc.rel == TIER


def test_tenant_lists_replace_cluster_default_lists(tmp_path: Path) -> None:
    beta = tenant_yaml("beta", extra="ingress:\n  classes: [nginx-public]\n")
    merged = _tenant(tmp_path, "beta", {BETA: beta})
    assert merged.value["ingress"]["classes"] == ["nginx-public"]
    assert merged.origins[("ingress", "classes", 0)].doc.rel == BETA


_KEYS = st.sampled_from(["a", "b", "c", "quota", "limits"])
_LEAVES = st.one_of(st.none(), st.integers(0, 3), st.sampled_from(["x", "y"]), st.lists(st.integers(0, 2), max_size=2))
_SPEC = st.recursive(_LEAVES, lambda inner: st.dictionaries(_KEYS, inner, max_size=3), max_leaves=10)
_MAPS = st.dictionaries(_KEYS, _SPEC, max_size=4)


@settings(max_examples=300, deadline=None)
@given(_MAPS, _MAPS, _MAPS)
def test_merging_onto_merged_defaults_is_merging_all_layers(tier: dict[str, Any], cluster: dict[str, Any],
                                                            tenant: dict[str, Any]) -> None:
    # build_fleet merges a cluster's defaults once and each tenant onto a copy of them.
    layers = [Layer("tier default", TIER_DOC, ("spec", "defaults"), tier),
              Layer("cluster default", CLUSTER_DOC, ("spec", "defaults"), cluster),
              Layer("tenant", TENANT_DOC, ("spec",), tenant)]
    whole = merge_layers(layers)
    defaults = merge_layers(layers[:2])
    before = (copy.deepcopy(defaults.value), dict(defaults.sets), dict(defaults.touched))
    onto = merge_onto(defaults, layers[2:])
    assert (onto.value, onto.sets, onto.touched, onto.origins) == (whole.value, whole.sets, whole.touched,
                                                                   whole.origins)
    assert list(onto.value) == list(whole.value)
    assert (defaults.value, defaults.sets, defaults.touched) == before  # shared by every tenant: untouched
