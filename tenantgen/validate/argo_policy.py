"""Argo CD's rule for the policy lines of a project role: a role grants rights inside its own project.

The same checks, in the same order, as ``validatePolicy`` in argo-cd's
``pkg/apis/application/v1alpha1/types.go`` (v3). Argo CD runs them when a project is edited through its
API; an AppProject synced from Git skips them, so tenantgen runs them on the tenant's file.
"""

from __future__ import annotations

import re

# util/rbac ProjectScoped: the resources whose objects belong to a project.
PROJECT_RESOURCES = ("applications", "applicationsets", "clusters", "exec", "logs", "repositories")
ACTIONS = ("get", "create", "update", "delete", "sync", "override", "*")
# Resource actions (action/<group>/<kind>/<name>) and the fine-grained update/delete of managed objects.
ACTION_PREFIXES = ("action/", "update/", "delete/")
EFFECTS = ("allow", "deny")
# What follows "<project>/": "<app>" or "<namespace>/<app>", globs allowed (Go's \w is ASCII only,
# Python's is not). One pattern for every project: a pattern per project would be compiled again for
# each of a large fleet's projects (Python caches 512).
_IN_PROJECT = re.compile(r"(?:[*A-Za-z0-9_.-]+/)?[*A-Za-z0-9_.-]+")


def policy_problem(project: str, role: str, policy: str) -> str | None:
    """What is wrong with one policy line of ``role`` in ``project`` (the first problem), or None."""
    subject = f"proj:{project}:{role}"
    # Argo CD splits on every comma and trims spaces only: a tab stays part of its field.
    fields = [field.strip(" ") for field in policy.split(",")]
    if len(fields) != 6 or fields[0] != "p":
        return (f"not an Argo CD policy line; allowed: 'p, {subject}, <resource>, <action>, {project}/<object>, "
                "allow|deny'")
    _, given_subject, resource, action, target, effect = fields
    if given_subject != subject:
        return f"policy subject {given_subject!r} must be {subject!r}: a role grants rights to itself only"
    if resource not in PROJECT_RESOURCES:
        return (f"policy resource {resource!r} cannot be granted by a project role; allowed: "
                f"{', '.join(PROJECT_RESOURCES)}")
    if not is_valid_action(action):
        return (f"policy action {action!r} is not an Argo CD action; allowed: {', '.join(ACTIONS)}, "
                f"{', '.join(prefix + '...' for prefix in ACTION_PREFIXES)}")
    if not is_in_project(project, target):
        return (f"policy object {target!r} is outside project {project!r}; the object must be in this project: "
                f"{project}/*, {project}/<app> or {project}/<namespace>/<app>")
    if effect not in EFFECTS:
        return f"policy effect {effect!r} is not allowed; allowed: {', '.join(EFFECTS)}"
    return None


def is_valid_action(action: str) -> bool:
    # Argo CD matches "action/.*" anywhere in the string; a prefix is what it means.
    return action in ACTIONS or action.startswith(ACTION_PREFIXES)


def is_in_project(project: str, target: str) -> bool:
    """``<project>/<app>`` or ``<project>/<namespace>/<app>`` (globs allowed), for this project only."""
    head, slash, rest = target.partition("/")
    return head == project and bool(slash) and _IN_PROJECT.fullmatch(rest) is not None
