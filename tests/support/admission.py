"""What the API server does with tenantgen's admission objects, for tests: CEL expressions of a
ValidatingAdmissionPolicy evaluated by a real CEL engine, and Kubernetes label selectors.

The CEL engine is the ``common-expression-language`` package (import ``cel``); ``evaluate_cel`` is the one
place that calls it, so that another engine is a change of one function.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import cel


def evaluate_cel(expression: str, activation: Mapping[str, Any]) -> Any:
    """The value of one CEL expression with ``activation``'s variables (object, params, variables)."""
    return cel.evaluate(expression, dict(activation))


def refusals(policy: Mapping[str, Any], params: Mapping[str, Any], obj: Mapping[str, Any]) -> list[str]:
    """The messages of every validation of ``policy`` that refuses ``obj`` with ``params``, as the API
    server computes them: the variables first, in order (each may use the earlier ones), then each
    validation; a false validation yields its messageExpression (or its message). [] means admitted."""
    spec = policy["spec"]
    variables: dict[str, Any] = {}
    activation: dict[str, Any] = {"object": obj, "params": params, "variables": variables}
    for variable in spec.get("variables") or []:
        variables[variable["name"]] = evaluate_cel(variable["expression"], activation)
    found = []
    for validation in spec["validations"]:
        if evaluate_cel(validation["expression"], activation) is not True:
            message = validation.get("messageExpression")
            found.append(str(evaluate_cel(message, activation)) if message else validation.get("message", ""))
    return found


def resource_matched(policy: Mapping[str, Any], group: str, resource: str, operation: str) -> bool:
    """Whether the policy's matchConstraints.resourceRules cover ``resource`` of ``group`` on ``operation``."""
    for rule in policy["spec"]["matchConstraints"]["resourceRules"]:
        if (group in rule["apiGroups"] and resource in rule["resources"]
                and (operation in rule["operations"] or "*" in rule["operations"])):
            return True
    return False


def selector_matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """Kubernetes label-selector semantics: an empty selector selects everything; matchLabels and every
    matchExpressions requirement must hold (In, NotIn, Exists, DoesNotExist)."""
    if selector is None:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for requirement in selector.get("matchExpressions") or []:
        key, operator, values = requirement["key"], requirement["operator"], requirement.get("values") or []
        present = key in labels
        holds = {
            "In": present and labels.get(key) in values,
            "NotIn": not present or labels.get(key) not in values,
            "Exists": present,
            "DoesNotExist": not present,
        }[operator]
        if not holds:
            return False
    return True
