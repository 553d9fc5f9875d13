"""The one format of tenantgen's binary cache files (the parse cache, the tree's file signatures).

A magic line naming what the file holds, the code fingerprint (see ``fingerprint``: a tenantgen,
library or schema change starts over), the SHA-256 of the payload, then the payload: a table
(``dict``) in ``marshal``'s format, the fastest Python has to read back. A file that
does not check out (another kind, older code, truncated or altered) is not believed: its reader
gets nothing, and the cache is only slower this once.
"""

from __future__ import annotations

import hashlib
import marshal
from pathlib import Path
from typing import Any

from tenantgen.fast.fingerprint import code_fingerprint
from tenantgen.files import write_atomic

_CHECKSUM_BYTES = 32  # a SHA-256 digest


def _header(magic: bytes) -> bytes:
    return magic + code_fingerprint().encode() + b"\n"


def write_cache_file(path: Path, magic: bytes, table: dict[Any, Any]) -> None:
    """Write ``table`` to ``path`` (its folder made if need be) under the header; raises OSError
    when it cannot be written (callers decide what that costs)."""
    payload = marshal.dumps(table)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, _header(magic) + hashlib.sha256(payload).digest() + payload)


def read_cache_file(path: Path, magic: bytes) -> dict[Any, Any]:
    """The table of the cache file at ``path``; empty when there is none that checks out (its
    entries are the caller's to check)."""
    try:
        data = path.read_bytes()
    except OSError:
        return {}
    header = _header(magic)
    start = len(header) + _CHECKSUM_BYTES
    if not data.startswith(header) or len(data) < start:
        return {}
    payload = data[start:]
    if hashlib.sha256(payload).digest() != data[len(header):start]:
        return {}  # truncated or altered
    try:
        table = marshal.loads(payload)
    except (ValueError, EOFError, TypeError):
        return {}
    return table if isinstance(table, dict) else {}
