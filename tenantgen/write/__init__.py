"""Write stage: put a rendered output set into OUT (or compare it with OUT), touching only what
tenantgen wrote there, atomically.

- ``write_output`` writes, ``check_output`` compares, ``recover`` finishes a commit cut short.
- ``read_index`` / ``safe_target``: what tenantgen wrote into OUT, and where it may write.
- Staging and the lock on OUT, for files staged while the render still goes on (``StagedEarly``:
  the pipeline's speed machinery stages them and hands them to ``write_output``).
"""

from __future__ import annotations

from tenantgen.write.changes import WrittenFiles
from tenantgen.write.check import Difference, check_output
from tenantgen.write.commit import WriteStats, recover, unlisted_note, write_output
from tenantgen.write.index import read_index
from tenantgen.write.staging import OutLock, Staged, StagedEarly, StagingLayout, drop_staging
from tenantgen.write.state import STATE_DIR, commit_pending, staging_folder, state_dir
from tenantgen.write.targets import plain_path, safe_target

__all__ = [
    "STATE_DIR",
    "Difference",
    "OutLock",
    "Staged",
    "StagedEarly",
    "StagingLayout",
    "WriteStats",
    "WrittenFiles",
    "check_output",
    "commit_pending",
    "drop_staging",
    "plain_path",
    "read_index",
    "recover",
    "safe_target",
    "staging_folder",
    "state_dir",
    "unlisted_note",
    "write_output",
]
