"""Load stage: what a path in the tree says by where it is, and how the tree itself is named.

A tree is ``<tier>/<account>/<cluster>/...``; a cluster is known everywhere by its rel,
"<tier>/<account>/<cluster>", and a tier's own ``config/`` folder is the only folder at the account
level that is not an account.
"""

from __future__ import annotations

from pathlib import Path

TIER_CONFIG_FOLDER = "config"


def cluster_of(rel: str) -> str | None:
    """The cluster ("<tier>/<account>/<cluster>") whose folder holds the file at ``rel`` (a path in the
    tree), or None for a file of no cluster: a tier's or an account's own file, a tier's config."""
    parts = rel.split("/", 3)
    if len(parts) < 4 or parts[1] == TIER_CONFIG_FOLDER:
        return None
    return "/".join(parts[:3])


def tier_config_of(rel: str) -> str | None:
    """The tier's config folder ("<tier>/config") that holds the file at ``rel``, if one does."""
    parts = rel.split("/", 2)
    if len(parts) < 3 or parts[1] != TIER_CONFIG_FOLDER:
        return None
    return f"{parts[0]}/{TIER_CONFIG_FOLDER}"


def cluster_parts(cluster: str) -> tuple[str, str, str]:
    """(tier, account, name) of a cluster's rel. For a malformed one (from a hand-edited file) the tier
    is still its first part and the name its last."""
    tier, _, rest = cluster.partition("/")
    return tier, rest.rpartition("/")[0], cluster.rpartition("/")[2]


def display_root_of(root: Path) -> str:
    """How the tree at ``root`` is shown in messages and ``source`` annotations: as given, in posix form,
    without a trailing slash."""
    return root.as_posix().rstrip("/") or "/"


def tree_name_of(display_root: str) -> str:
    """The tree's name in every ``source`` path of the output: the last part of how it is shown."""
    return display_root.rstrip("/").rsplit("/", 1)[-1] or "tree"
