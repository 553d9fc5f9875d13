"""Hostname rules: suffix checks, overlap between tenants, and the anchored regex Capsule enforces.

A wildcard stands for exactly one leftmost label, as in TLS certificates and Capsule's own matching:
``*.a.example.com`` covers ``x.a.example.com`` but neither ``a.example.com`` nor ``x.y.a.example.com``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

_HOSTNAME = re.compile(r"^(\*\.)?[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")


def is_wildcard(hostname: str) -> bool:
    return hostname.startswith("*.")


def parent(hostname: str) -> str:
    return hostname.split(".", 1)[1] if "." in hostname else ""


def has_allowed_suffix(hostname: str, suffixes: Iterable[str]) -> bool:
    """True when ``hostname`` lies within one of ``suffixes`` on a label boundary.

    ``example.com`` allows the domain itself and every name below it; ``.example.com`` only the
    names below it.
    """
    host = hostname.removeprefix("*.") if not hostname.startswith("*.") else hostname[1:]
    for suffix in suffixes:
        below = suffix if suffix.startswith(".") else "." + suffix
        if host.endswith(below) or (not suffix.startswith(".") and host == suffix):
            return True
    return False


def find_overlaps(claims: Mapping[str, Sequence[str]]) -> list[tuple[str, str, str, str]]:
    """Pairs of (owner, hostname, other owner, other hostname) whose hostnames overlap.

    Linear in the number of hostnames: literal hosts and wildcards are indexed by the name they
    cover, so thousands of tenants in one cluster cost no pairwise comparison.
    """
    literal: dict[str, list[str]] = {}
    wildcard_parent: dict[str, list[str]] = {}
    for owner in sorted(claims):
        for host in dict.fromkeys(claims[owner]):
            if is_wildcard(host):
                wildcard_parent.setdefault(parent(host), []).append(owner)
            else:
                literal.setdefault(host, []).append(owner)
    found: list[tuple[str, str, str, str]] = []
    for host, owners in sorted(literal.items()):
        for other in owners[1:]:
            found.append((owners[0], host, other, host))
        for owner in wildcard_parent.get(parent(host), []):
            found.extend((owner, "*." + parent(host), other, host) for other in owners if other != owner)
    for host_parent, owners in sorted(wildcard_parent.items()):
        for other in owners[1:]:
            found.append((owners[0], "*." + host_parent, other, "*." + host_parent))
    return found


def hostname_regex(hostnames: Sequence[str]) -> str:
    """An anchored regex matching exactly ``hostnames`` (wildcards as one label), "" for none."""
    if not hostnames:
        return ""
    parts = []
    for host in dict.fromkeys(hostnames):
        if not _HOSTNAME.match(host):
            raise ValueError(f"{host!r} is not a hostname")
        literal = parent(host) if is_wildcard(host) else host
        # Hostnames are [a-z0-9.-] only: the dot is the one character to escape, which keeps the
        # regex readable and identical in Python's and Go's (RE2) syntax.
        escaped = literal.replace(".", r"\.")
        parts.append(r"[^.]+\." + escaped if is_wildcard(host) else escaped)
    return "^(" + "|".join(parts) + ")$"
