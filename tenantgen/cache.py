"""Render cache: a release's output, keyed by everything that can change it.

The key covers the release's values, name and namespace, the chart's digest, the engine and its
version, the Kubernetes version, the CRDs used for validation and tenantgen's own version. Entries
carry a checksum of their payload; a cache that cannot be read or whose entry does not check out is
ignored (and the release rendered again), never believed.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from contextlib import closing
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tenantgen import __version__
from tenantgen.engine.worker import ReleaseOutput

SCHEMA = "CREATE TABLE IF NOT EXISTS renders (key TEXT PRIMARY KEY, checksum TEXT NOT NULL, payload BLOB NOT NULL)"


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "tenantgen"


def release_key(parts: Mapping[str, Any]) -> str:
    text = json.dumps({"tenantgen": __version__, **parts}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def files_digest(folders: Sequence[Path]) -> str:
    digest = hashlib.sha256()
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            digest.update(path.as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _encode(output: ReleaseOutput) -> bytes:
    return json.dumps(asdict(output), separators=(",", ":")).encode()


def _decode(payload: bytes) -> ReleaseOutput:
    data = json.loads(payload)
    return ReleaseOutput(tuple((str(name), str(text)) for name, text in data["files"]), int(data["objects"]),
                         tuple(str(p) for p in data["problems"]), str(data["error"]))


class RenderCache:
    """Successful renders only: a failure is always tried again."""

    def __init__(self, folder: Path | None) -> None:
        self._db: sqlite3.Connection | None = None
        if folder is None:
            return
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(folder / "renders.sqlite3")
            self._db.execute(SCHEMA)
        except (OSError, sqlite3.Error):
            self._db = None  # no cache is better than a broken one

    def get_many(self, keys: Iterable[str]) -> dict[str, ReleaseOutput]:
        found: dict[str, ReleaseOutput] = {}
        if self._db is None:
            return found
        wanted = list(keys)
        try:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start:start + 500]
                rows = self._db.execute(
                    f"SELECT key, checksum, payload FROM renders WHERE key IN ({','.join('?' * len(chunk))})", chunk)
                for key, checksum, payload in rows:
                    if hashlib.sha256(payload).hexdigest() != checksum:
                        continue
                    try:
                        found[key] = _decode(payload)
                    except (ValueError, KeyError, TypeError):
                        continue
        except sqlite3.Error:
            return {}
        return found

    def put_many(self, entries: Mapping[str, ReleaseOutput]) -> None:
        if self._db is None or not entries:
            return
        rows = []
        for key, output in entries.items():
            if output.error or output.problems:
                continue
            payload = _encode(output)
            rows.append((key, hashlib.sha256(payload).hexdigest(), payload))
        try:
            with closing(self._db.cursor()) as cursor:
                cursor.executemany("INSERT OR REPLACE INTO renders VALUES (?, ?, ?)", rows)
            self._db.commit()
        except sqlite3.Error:
            pass

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
