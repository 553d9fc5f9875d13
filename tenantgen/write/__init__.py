"""Write stage: put a rendered output set into OUT (or compare it with OUT), touching only what
tenantgen owns there (``layout``), atomically.

- ``write_output`` writes, ``check_output`` compares, ``recover`` finishes a commit cut short.
- ``Owned`` / ``owned_files`` / ``cluster_folders``: what in OUT is tenantgen's, and what a run answers for.
- ``safe_target``: where it may write.
- Staging and the lock on OUT, for files staged while the render still goes on (``StagedEarly``:
  the pipeline's speed machinery stages them and hands them to ``write_output``).
"""

from __future__ import annotations

from tenantgen.write.changes import FileSignature, holds
from tenantgen.write.check import Difference, check_output
from tenantgen.write.commit import WriteStats, recover, write_output
from tenantgen.write.layout import CHARTS, OWNED_NAMES, Owned, cluster_folders, owned_files, stale_files
from tenantgen.write.staging import OutLock, Staged, StagedEarly, StagingLayout, drop_staging
from tenantgen.write.state import STATE_DIR, commit_pending, staging_folder, state_dir
from tenantgen.write.targets import plain_path, safe_target

__all__ = [
    "CHARTS",
    "OWNED_NAMES",
    "STATE_DIR",
    "Difference",
    "FileSignature",
    "OutLock",
    "Owned",
    "Staged",
    "StagedEarly",
    "StagingLayout",
    "WriteStats",
    "check_output",
    "cluster_folders",
    "commit_pending",
    "drop_staging",
    "holds",
    "owned_files",
    "plain_path",
    "recover",
    "safe_target",
    "stale_files",
    "staging_folder",
    "state_dir",
    "write_output",
]
