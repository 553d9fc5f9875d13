"""Output validation evaluates the CRDs' CEL rules (x-kubernetes-validations) as the API server would:
each rule a bundled chart's object can reach is caught with its message when broken and passes when
kept; rules that cannot be evaluated are counted and said, never passed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tenantgen.fast.schema_compile import compile_exact
from tenantgen.render import ManifestValidator
from tenantgen.render.checks.cel_library import compile_rule, find, find_all
from tenantgen.render.checks.cel_rules import CrdRules
from tests.support.cel_cases import (
    AKSNODECLASS_CASES,
    AWS_NODEPOOL_CASES,
    AZURE_NODEPOOL_CASES,
    DELETE,
    EC2NODECLASS_CASES,
    EC2NODECLASS_REACHED,
    HELMRELEASE_CASES,
    Case,
    aksnodeclass,
    changed,
    ec2nodeclass,
    helmrelease,
    nodepool,
)

KUBE = "1.31.0"


@pytest.fixture(scope="module")
def aws(upstream_crds: Path) -> ManifestValidator:
    return ManifestValidator.create([upstream_crds / "karpenter", upstream_crds / "flux"], KUBE, compile_exact)


@pytest.fixture(scope="module")
def azure(upstream_crds: Path) -> ManifestValidator:
    # Its own folder: the Azure and AWS NodePool CRDs are the same kind with different rules.
    return ManifestValidator.create([upstream_crds / "karpenter-azure"], KUBE, compile_exact)


# (validator fixture, a valid object, the cases, the rule locations the cases must cover: None = all)
KINDS: dict[str, tuple[str, Callable[[], dict[str, Any]], list[Case], frozenset[str] | None]] = {
    "NodePool (AWS)": ("aws", lambda: nodepool("karpenter.k8s.aws", "EC2NodeClass"), AWS_NODEPOOL_CASES, None),
    "NodePool (Azure)": ("azure", lambda: nodepool("karpenter.azure.com", "AKSNodeClass"), AZURE_NODEPOOL_CASES,
                         None),
    "EC2NodeClass": ("aws", ec2nodeclass, EC2NODECLASS_CASES, EC2NODECLASS_REACHED),
    "AKSNodeClass": ("azure", aksnodeclass, AKSNODECLASS_CASES, None),
    "HelmRelease": ("aws", helmrelease, HELMRELEASE_CASES, None),
}
CASES = [pytest.param(kind, case, id=f"{kind}: {case.name}") for kind, (_, _, cases, _) in KINDS.items()
         for case in cases]


def _rules(validator: ManifestValidator, obj: dict[str, Any]) -> CrdRules:
    rules = validator.rules(obj["apiVersion"], obj["kind"])
    assert rules is not None
    return rules


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_valid_object_keeps_every_rule(kind: str, request: pytest.FixtureRequest) -> None:
    fixture, make, _, _ = KINDS[kind]
    validator: ManifestValidator = request.getfixturevalue(fixture)
    assert validator.check(make()) == []


@pytest.mark.parametrize(("kind", "case"), CASES)
def test_a_broken_rule_is_caught_with_its_message_and_a_kept_one_passes(
        kind: str, case: Case, request: pytest.FixtureRequest) -> None:
    fixture, make, _, _ = KINDS[kind]
    validator: ManifestValidator = request.getfixturevalue(fixture)
    broken = changed(make(), case.breaks)
    problems = validator.check(broken)
    assert problems, f"{case.name}: not caught"
    assert any(case.message in problem.message for problem in problems), problems
    assert validator.check(changed(make(), case.keeps)) == []


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_cases_reach_every_rule_the_chart_can(kind: str, request: pytest.FixtureRequest) -> None:
    fixture, make, cases, reached = KINDS[kind]
    validator: ManifestValidator = request.getfixturevalue(fixture)
    rules = _rules(validator, make())
    broken = {(failure.location, failure.rule) for case in cases for failure in rules.check(changed(make(), case.breaks))}
    wanted = {(location, rule) for location, rule in rules.located()
              if not compile_rule(rule.rule).transition and (reached is None or location in reached)}
    assert wanted - broken == set()


def test_failures_name_the_field_path(aws: ManifestValidator) -> None:
    obj = changed(nodepool("karpenter.k8s.aws", "EC2NodeClass"),
                  {("spec", "template", "spec", "requirements", 1, "key"): "kubernetes.io/hostname"})
    problems = aws.check(obj)
    assert [(p.path, p.message) for p in problems] == [
        ("$.spec.template.spec.requirements[1].key", 'label "kubernetes.io/hostname" is restricted')]


def test_transition_rules_are_skipped_and_counted(aws: ManifestValidator) -> None:
    rules = _rules(aws, nodepool("karpenter.k8s.aws", "EC2NodeClass"))
    assert rules.counts.transition == 3  # the static/dynamic switch and nodeClassRef's group and kind
    # Offline there is no stored object to compare with: a static pool neither passes nor fails them.
    static = {("spec", "replicas"): 1, ("spec", "limits"): DELETE, ("spec", "weight"): DELETE}
    assert aws.check(changed(nodepool("karpenter.k8s.aws", "EC2NodeClass"), static)) == []


def _crd(tmp_path: Path, validations: list[dict[str, Any]], field_schema: dict[str, Any] | None = None,
         root: list[dict[str, Any]] | None = None) -> Path:
    """A CRD of kind Widget (example.com/v1) whose spec has ``validations`` (and its root ``root``)."""
    import json

    spec = {"type": "object", "properties": {"size": {"type": "integer"}, "name": {"type": "string"},
                                             **({"extra": field_schema} if field_schema else {})},
            "x-kubernetes-validations": validations}
    crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
           "metadata": {"name": "widgets.example.com"},
           "spec": {"group": "example.com", "names": {"kind": "Widget", "plural": "widgets"}, "scope": "Namespaced",
                    "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                        "type": "object", "properties": {"spec": spec},
                        **({"x-kubernetes-validations": root} if root else {})}}}]}}
    (tmp_path / "widget.yaml").write_text(json.dumps(crd), encoding="utf-8")
    return tmp_path


def _widget(**spec: Any) -> dict[str, Any]:
    return {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": spec}


def test_message_expression_reason_and_field_path(tmp_path: Path) -> None:
    validator = ManifestValidator.create([_crd(tmp_path, [
        {"rule": "self.size <= 3", "messageExpression": "'size ' + string(self.size) + ' is over 3'",
         "reason": "FieldValueForbidden", "fieldPath": ".size"},
        {"rule": "self.name != 'x'"},
        {"rule": "self.size != 7", "message": "not seven", "messageExpression": "self.nothere"},
    ])], KUBE)
    assert [(p.path, p.message) for p in validator.check(_widget(size=7, name="x"))] == [
        ("$.spec.size", "Forbidden: size 7 is over 3"),
        ("$.spec", "failed rule: self.name != 'x'"),
        ("$.spec", "not seven"),  # a failing messageExpression falls back to the message
    ]
    assert validator.check(_widget(size=2, name="y")) == []


def test_a_rule_the_engine_lacks_is_counted_and_noted_never_passed(tmp_path: Path) -> None:
    validator = ManifestValidator.create([_crd(tmp_path, [
        {"rule": "quantity(string(self.size)).isGreaterThan(quantity('1'))"},
        {"rule": "self.size > 0"},
    ])], KUBE)
    assert [p.message for p in validator.check(_widget(size=0))] == ["failed rule: self.size > 0"]
    rules = validator.rules("example.com/v1", "Widget")
    assert rules is not None and rules.counts.evaluated == 1 and len(rules.counts.not_evaluable) == 1
    assert validator.rule_notes([_widget(size=0)]) == [
        "1 CEL rule(s) of Widget (example.com/v1) not evaluated: uses isGreaterThan, quantity, which the CEL "
        "engine lacks"]


def test_rules_see_the_schemas_defaults_and_formats(tmp_path: Path) -> None:
    validator = ManifestValidator.create([_crd(tmp_path, [
        {"rule": "!has(self.extra) || self.extra.wait > duration('1m')", "message": "wait too short"},
    ], {"type": "object", "properties": {"wait": {"type": "string", "format": "duration", "default": "5m"}}})], KUBE)
    assert validator.check(_widget(extra={})) == []  # the default, 5m, is what the API server checks
    assert [p.message for p in validator.check(_widget(extra={"wait": "30s"}))] == ["wait too short"]
    assert validator.check(_widget(extra={"wait": "1h30m"})) == []


def test_a_rule_at_the_root_sees_the_object_but_only_the_name_of_its_metadata(tmp_path: Path) -> None:
    validator = ManifestValidator.create([_crd(tmp_path, [], root=[
        {"rule": "self.spec.size > 0", "message": "size must be positive"},
        {"rule": "self.metadata.name.startsWith('w') && !has(self.metadata.labels)", "message": "metadata"},
    ])], KUBE)
    labelled = _widget(size=1)
    labelled["metadata"]["labels"] = {"a": "b"}
    assert validator.check(labelled) == []  # labels are not visible to a rule at the root
    assert [(p.path, p.message) for p in validator.check(_widget(size=0))] == [("$", "size must be positive")]


def test_the_kubernetes_regex_library() -> None:
    assert find("karpenter.sh/capacity-type", "^([^/]+)") == "karpenter.sh"
    assert find("abc", "[0-9]+") == ""
    assert find_all("a1b22c333", "[0-9]+") == ["1", "22", "333"]
    assert find_all("a1b22c333", "[0-9]+", 2) == ["1", "22"]


# The CRDs the bundled charts' objects are validated against: no rule of theirs may go unevaluated.
BUNDLED = [
    ("karpenter", "karpenter.sh/v1", "NodePool"),
    ("karpenter", "karpenter.k8s.aws/v1", "EC2NodeClass"),
    ("karpenter-azure", "karpenter.sh/v1", "NodePool"),
    ("karpenter-azure", "karpenter.azure.com/v1beta1", "AKSNodeClass"),
    ("capsule", "capsule.clastix.io/v1beta2", "Tenant"),
    ("argo-cd", "argoproj.io/v1alpha1", "AppProject"),
    ("argo-cd", "argoproj.io/v1alpha1", "Application"),
    ("flux", "helm.toolkit.fluxcd.io/v2", "HelmRelease"),
    ("flux", "kustomize.toolkit.fluxcd.io/v1", "Kustomization"),
    ("flux", "source.toolkit.fluxcd.io/v1", "GitRepository"),
]


def test_summary_of_the_rules_per_crd(upstream_crds: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = []
    for folder, api_version, kind in BUNDLED:
        validator = ManifestValidator.create([upstream_crds / folder], KUBE)
        assert validator.has_schema({"apiVersion": api_version, "kind": kind}), (folder, kind)
        rules = validator.rules(api_version, kind)
        counts = (0, 0, ()) if rules is None else (rules.counts.evaluated, rules.counts.transition,
                                                    rules.counts.not_evaluable)
        rows.append((f"{kind} ({api_version}, {folder})", *counts))
    with capsys.disabled():
        print("\nCEL rules per CRD: evaluated, skipped (transition), not evaluable")
        for name, evaluated, transition, unusable in rows:
            print(f"  {name:62} {evaluated:3} {transition:3} {len(unusable):3}")
    assert [(name, unusable) for name, _, _, unusable in rows if unusable] == []
    assert sum(evaluated for _, evaluated, _, _ in rows) > 100
