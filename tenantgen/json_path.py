"""A place in a YAML or JSON document: the keys and list indexes that lead to it, from the top.

A shared basic: findings point at such places, the credential check reports them, and the stages
locate values by them.
"""

from __future__ import annotations

JsonPath = tuple[str | int, ...]
