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
import os
from pathlib import Path
from typing import Any

# Nothing else of tenantgen at import: the process that checks OUT (``fast.intact``) reads these
# files and must start in a few hundredths of a second; the fingerprint alone loads package metadata.

_CHECKSUM_BYTES = 32  # a SHA-256 digest


def cache_header(magic: bytes) -> bytes:
    """The first bytes of a cache file of kind ``magic`` written by this very code."""
    from tenantgen.fast.fingerprint import code_fingerprint

    return magic + code_fingerprint().encode() + b"\n"


def write_cache_file(path: Path, magic: bytes, table: dict[Any, Any]) -> None:
    """Write ``table`` to ``path`` (its folder made if need be) under the header; raises OSError
    when it cannot be written (callers decide what that costs)."""
    write_table(path, cache_header(magic), table)


def write_table(path: Path, header: bytes, table: dict[Any, Any]) -> None:
    """``write_cache_file`` for a caller that has the header (``cache_header``) at hand."""
    from tenantgen.files import write_atomic

    payload = marshal.dumps(table)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, header + hashlib.sha256(payload).digest() + payload)


def read_cache_file(path: Path, magic: bytes) -> dict[Any, Any]:
    """The table of the cache file at ``path``; empty when there is none that checks out (its
    entries are the caller's to check)."""
    return read_table(path, cache_header(magic))


def read_table(path: str | os.PathLike[str], header: bytes) -> dict[Any, Any]:
    """``read_cache_file`` for a caller that has the header (``cache_header``) at hand."""
    try:
        with open(path, "rb") as file:
            data = file.read()
    except OSError:
        return {}
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
