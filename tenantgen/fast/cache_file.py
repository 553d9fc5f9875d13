"""The one format of tenantgen's binary cache files (the parse cache, the tree's file signatures).

A magic line naming what the file holds, the code fingerprint (see ``fingerprint``: a tenantgen,
library or schema change starts over), the SHA-256 of the payload, then the payload. A file that
does not check out (another kind, older code, truncated or altered) is not believed: its reader
gets nothing, and the cache is only slower this once.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from tenantgen.fast.fingerprint import code_fingerprint
from tenantgen.files import write_atomic

_CHECKSUM_BYTES = 32  # a SHA-256 digest


def _header(magic: bytes) -> bytes:
    return magic + code_fingerprint().encode() + b"\n"


def write_cache_file(path: Path, magic: bytes, payload: bytes) -> None:
    """Write ``payload`` to ``path`` (its folder made if need be) under the header; raises OSError
    when it cannot be written (callers decide what that costs)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, _header(magic) + hashlib.sha256(payload).digest() + payload)


def read_cache_file(path: Path, magic: bytes) -> bytes | None:
    """The payload of the cache file at ``path``, or None when there is none that checks out."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    header = _header(magic)
    start = len(header) + _CHECKSUM_BYTES
    if not data.startswith(header) or len(data) < start:
        return None
    payload = data[start:]
    if hashlib.sha256(payload).digest() != data[len(header):start]:
        return None  # truncated or altered
    return payload
