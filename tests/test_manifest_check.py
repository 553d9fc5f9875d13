"""Output validation: the compiled quick check (the compiler the pipeline hands in) never changes a
verdict jsonschema would give."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tenantgen.fast.schema_compile import compile_exact
from tenantgen.render import ManifestValidator, SchemaCompiler
from tenantgen.yamlio.reader import load_all
from tests.helpers import REPO_ROOT
from tests.support.upstream_crds import PROVIDER_CRD_FOLDERS, shared_crd_dirs

GOLDEN = REPO_ROOT / "tests" / "golden" / "example"
OBJECTS = [doc for path in sorted(GOLDEN.rglob("manifests/*/*.yaml")) for doc in load_all(path.read_bytes())]
scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=False, width=32),
                    st.text(max_size=8), st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=4),
                                                                                                  st.integers(), max_size=2))


@pytest.fixture(scope="module")
def validator(upstream_crds: Path) -> ManifestValidator:
    return _every_kind(upstream_crds, compile_exact)


@pytest.fixture(scope="module")
def plain_validator(upstream_crds: Path) -> ManifestValidator:
    """What jsonschema alone says: no compiler handed in."""
    return _every_kind(upstream_crds, None)


def _every_kind(upstream_crds: Path, compiler: SchemaCompiler | None) -> ManifestValidator:
    """Every kind of the example has a schema: Azure's Karpenter folder for every cluster (its
    AKSNodeClass), AWS's in front of it (the one NodePool CRD of the run: the two differ)."""
    return ManifestValidator.create([*shared_crd_dirs(upstream_crds), upstream_crds / PROVIDER_CRD_FOLDERS["azure"]],
                                    "1.31.0", compiler, [upstream_crds / PROVIDER_CRD_FOLDERS["aws"]])


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*path, index))
    return found


def test_every_kind_of_the_example_gets_a_quick_check(validator: ManifestValidator) -> None:
    kinds = {(obj["apiVersion"], obj["kind"]) for obj in OBJECTS}
    for api_version, kind in kinds:
        schema = validator._validator(api_version, kind)
        assert schema is not None and validator._quick_check(api_version, kind, schema) is not None, kind


@settings(max_examples=300, deadline=None)
@given(st.integers(0, len(OBJECTS) - 1), st.data(), scalars, st.booleans())
def test_quick_and_full_checks_agree_on_mutated_objects(
        validator: ManifestValidator, plain_validator: ManifestValidator, number: int, data: st.DataObject, value: Any,
        add: bool) -> None:
    obj = copy.deepcopy(OBJECTS[number])
    path = data.draw(st.sampled_from(_paths(obj)[1:]))
    parent = obj
    for part in path[:-1]:
        parent = parent[part]
    if add and isinstance(parent, dict):
        parent[f"{path[-1]}x"] = value  # an unknown field next to a known one
    else:
        parent[path[-1]] = value
    assert validator.check(obj) == plain_validator.check(obj)


def test_a_valid_object_passes_and_a_broken_one_is_worded(validator: ManifestValidator) -> None:
    namespace = next(obj for obj in OBJECTS if obj["kind"] == "Namespace")
    assert validator.check(namespace) == []
    broken = copy.deepcopy(namespace) | {"spec": {"finalizers": "kubernetes"}}
    problems = validator.check(broken)
    assert [(p.path, p.message) for p in problems] == [("$.spec.finalizers", "expected array or null, got 'kubernetes'")]


def test_without_a_compiler_there_is_no_quick_check(plain_validator: ManifestValidator) -> None:
    schema = plain_validator._validator("v1", "Namespace")
    assert schema is not None and plain_validator._quick_check("v1", "Namespace", schema) is None
