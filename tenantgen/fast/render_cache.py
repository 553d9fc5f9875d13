"""Render cache: a release's output, keyed by everything that can change it.

The key covers the release's values, name and namespace, the chart's digest, the engine and its
version, the Kubernetes version, the CRDs used for validation and tenantgen's own code (see
``fingerprint``). Entries carry a checksum of their payload; a cache that cannot be read or whose
entry does not check out is ignored (and the release rendered again), never believed. A database
file that is not a database is replaced.

The cache does not grow without end. Every entry belongs to a *generation*: the parts of its key all
releases of a run share (tenantgen's code, the engine and its version, the CRDs, whether output is
validated). An upgrade of tenantgen or of the engine starts a new generation, and a run records the
day it used its own. Generations no run has used for ``UNUSED_DAYS`` days are removed, with their
entries, when a render next opens the cache, and the file gives the space back.

Location: ``$XDG_CACHE_HOME/tenantgen`` (``~/.cache/tenantgen``); ``render --no-cache`` bypasses it.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import sqlite3
import time
from collections.abc import Iterable, Mapping, Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

from tenantgen.fast.fingerprint import code_fingerprint
from tenantgen.render import ReleaseOutput

DB_NAME = "renders-v3.sqlite3"
LEGACY_DB_NAMES = ("renders.sqlite3",)  # earlier formats, never pruned: removed when this one opens
TABLE = "renders"
SCHEMA = (
    # ``generation``: a row of ``generations`` (its number: the digest once, not in every entry).
    f"CREATE TABLE IF NOT EXISTS {TABLE} (key TEXT PRIMARY KEY, generation INTEGER NOT NULL, checksum BLOB NOT NULL, "
    "payload BLOB NOT NULL)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_by_generation ON {TABLE} (generation)",
    "CREATE TABLE IF NOT EXISTS generations (id INTEGER PRIMARY KEY, digest TEXT NOT NULL UNIQUE, "
    "used INTEGER NOT NULL)",
)
UNUSED_DAYS = 14
PAYLOAD_VERSION = 3
CHUNK = 500  # keys per SELECT: below SQLite's limit on bound parameters


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "tenantgen"


_KEY_ENCODER = json.JSONEncoder(separators=(",", ":")).encode  # built once (json.dumps builds one a call)


class KeyMaker:
    """Cache keys for the releases of one run: the parts every release shares are hashed once."""

    def __init__(self, shared: Mapping[str, Any]) -> None:
        text = json.dumps({"code": code_fingerprint(), **shared}, sort_keys=True, separators=(",", ":"))
        self._shared = hashlib.sha256(text.encode()).digest()
        self.generation = self._shared.hex()  # (see the module's docstring)

    def key(self, release: str, namespace: str, kube_version: str, chart_digest: str, values: str) -> str:
        """``values``: ``engine.values_digest`` of the values (in their order: the values file keeps
        it, so a reordering is a harmless change). A worker sends it back with the release's output."""
        text = _KEY_ENCODER([release, namespace, kube_version, chart_digest, values])
        return hashlib.sha256(self._shared + text.encode()).hexdigest()


def files_digest(folders: Sequence[Path]) -> str:
    digest = hashlib.sha256()
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            digest.update(path.as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _encode(output: ReleaseOutput) -> bytes:
    return marshal.dumps((PAYLOAD_VERSION, output.files, output.objects, output.values, output.notes))


def _decode(payload: bytes) -> ReleaseOutput:
    version, files, objects, values, notes = marshal.loads(payload)
    if version != PAYLOAD_VERSION or not isinstance(values, str) or not isinstance(objects, int):
        raise ValueError("not a render cache entry")
    if not isinstance(notes, tuple) or not all(isinstance(note, str) for note in notes):
        raise ValueError("not a render cache entry")
    if not isinstance(files, tuple) or not all(
            isinstance(file, tuple) and len(file) == 2 and isinstance(file[0], str) and isinstance(file[1], str)
            for file in files):
        raise ValueError("not a render cache entry")
    return ReleaseOutput(files, objects, (), "", values, notes=notes)


def _today() -> int:
    return int(time.time() // 86400)


class RenderCache:
    """Successful renders only: a failure is always tried again. ``generation``: the run's
    (``KeyMaker.generation``), which the entries it saves belong to."""

    def __init__(self, folder: Path | None, generation: str) -> None:
        self._db: sqlite3.Connection | None = None
        self._generation = -1  # its number in the database, once opened
        if folder is None:
            return
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            return  # no cache is better than a broken one
        path = folder / DB_NAME
        self._db = _open(path)
        if self._db is None and path.is_file():
            # Not a database (a truncated copy, a stray file): start a new one rather than never caching.
            try:
                path.unlink()
            except OSError:
                return
            self._db = _open(path)
        if self._db is not None:
            _remove_legacy(folder)
            number = _use_generation(self._db, generation)
            if number is None:
                self._db.close()
                self._db = None
            else:
                self._generation = number

    @property
    def enabled(self) -> bool:
        return self._db is not None

    def has_entries(self) -> bool:
        if self._db is None:
            return False
        try:
            return self._db.execute(f"SELECT 1 FROM {TABLE} LIMIT 1").fetchone() is not None
        except sqlite3.Error:
            return False

    def get_many(self, keys: Iterable[str]) -> dict[str, ReleaseOutput]:
        found: dict[str, ReleaseOutput] = {}
        if self._db is None:
            return found
        wanted = list(keys)
        try:
            for start in range(0, len(wanted), CHUNK):
                chunk = wanted[start:start + CHUNK]
                rows = self._db.execute(
                    f"SELECT key, checksum, payload FROM {TABLE} WHERE key IN ({','.join('?' * len(chunk))})", chunk)
                for key, checksum, payload in rows:
                    if not isinstance(payload, bytes) or hashlib.sha256(payload).digest() != checksum:
                        continue
                    try:
                        found[key] = _decode(payload)
                    except (ValueError, TypeError, EOFError):
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
            rows.append((key, self._generation, hashlib.sha256(payload).digest(), payload))
        try:
            with closing(self._db.cursor()) as cursor:
                cursor.executemany(f"INSERT OR REPLACE INTO {TABLE} VALUES (?, ?, ?, ?)", rows)
            self._db.commit()
        except sqlite3.Error:
            pass

    def close(self) -> None:
        if self._db is not None:
            self._db.close()


def _open(path: Path) -> sqlite3.Connection | None:
    try:
        db = sqlite3.connect(path, timeout=30)
        db.execute("PRAGMA auto_vacuum=INCREMENTAL")  # (takes effect in a new file only: before any table)
        db.execute("PRAGMA journal_mode=WAL")  # readers do not wait for a concurrent run's writes
        db.execute("PRAGMA synchronous=NORMAL")  # a cache may lose its last commit on power loss
        for statement in SCHEMA:
            db.execute(statement)
        return db
    except sqlite3.Error:
        return None


def _use_generation(db: sqlite3.Connection, digest: str) -> int | None:
    """Record that the generation ``digest`` is used today and drop those unused for too long;
    its number in the database (None: the database cannot be written)."""
    today = _today()
    try:
        with db:
            db.execute("INSERT INTO generations (digest, used) VALUES (?, ?) ON CONFLICT (digest) "
                       "DO UPDATE SET used = excluded.used WHERE used < excluded.used", (digest, today))
            (number,) = db.execute("SELECT id FROM generations WHERE digest = ?", (digest,)).fetchone()
            stale = [row[0] for row in db.execute("SELECT id FROM generations WHERE used < ?",
                                                  (today - UNUSED_DAYS,))]
            for old in stale:
                db.execute(f"DELETE FROM {TABLE} WHERE generation = ?", (old,))
                db.execute("DELETE FROM generations WHERE id = ?", (old,))
    except sqlite3.Error:
        return None
    if stale:
        try:
            # The file gives the freed pages back. (executescript: ``execute`` steps the pragma once,
            # which frees one page.)
            db.executescript("PRAGMA incremental_vacuum;")
        except sqlite3.Error:
            pass  # the pages stay free for later entries
    return int(number)


def _remove_legacy(folder: Path) -> None:
    for name in LEGACY_DB_NAMES:
        for path in (folder / name, folder / f"{name}-wal", folder / f"{name}-shm"):
            try:
                path.unlink(missing_ok=True)
            except OSError:
                pass
