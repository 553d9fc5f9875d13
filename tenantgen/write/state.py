"""Write stage: where tenantgen keeps its own state inside OUT (``OUT/.tenantgen/``).

It holds only what a run needs while it writes: the journal of a commit under way and the staging
folders of runs (see ``commit`` and ``staging``). Nothing in it is output, and after a run it is
empty: what makes the next run fast is this machine's, and lives in the user cache (see ``fast``).
"""

from __future__ import annotations

import os
from pathlib import Path

STATE_DIR = ".tenantgen"
# Local state older versions kept here (an index with modification times, the cluster records): removed.
LEGACY_STATE = ("index.json", "index", "clusters.json")
STAGING_PREFIX = "staging-"  # a run's staging folder: <STATE_DIR>/staging-<process id>


def state_dir(out: Path) -> Path:
    return out / STATE_DIR


def journal_path(out: Path) -> Path:
    """The journal of the moves of a commit: it exists from the commit point until all are done."""
    return state_dir(out) / "journal.json"


def commit_pending(out: Path) -> bool:
    """Whether a commit into OUT was started and not finished (the next run's ``recover`` ends it)."""
    return journal_path(out).exists()


def staging_folder(out: Path) -> Path:
    """This process's staging folder in OUT: files wait there, at their paths in OUT, for the commit."""
    return state_dir(out) / f"{STAGING_PREFIX}{os.getpid()}"
