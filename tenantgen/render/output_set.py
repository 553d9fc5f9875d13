"""The output set: every file a render produces, by its path in OUT, with what it belongs to.

The render stage makes it; the write stage puts it into OUT, ``diff`` compares two of them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class OutputFile:
    data: bytes
    cluster: str  # "<tier>/<account>/<cluster>", or "" for fleet-wide files (charts/)
    tenant: str | None = None
    release: str | None = None


OutputSet = Mapping[str, OutputFile]  # path relative to OUT (posix) -> file


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
