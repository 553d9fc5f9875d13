"""Parse cache: a tree file's parsed documents and schema verdicts, keyed by the file's content.

Reading a tree of 25,000 files costs little (~0.5 s); parsing and schema-checking them costs much
more. So every file is read and hashed (SHA-256 of its bytes) on every run, and what was parsed from
the same bytes before is reused: a file that changed is simply a different key. Alongside the parsed
data the cache remembers which kinds a document passed the schema of, so only new or changed files
are checked again. A file that fails to parse is never cached, and one that fails its checks has no
verdict cached: their findings are always computed afresh.

One file per tree (``<cache>/parse/<hash of the tree's path>.bin``), in the format of every cache
file (see ``cache_file``: the code fingerprint, a checksum, then the payload, here ``marshal``). A
file that does not check out is ignored. Entries a run did not use are dropped when the file is
written back.

A cold run (most files unknown) parses in parallel: the tree scan (``fast.reuse.scan_tree``) hands
each file to ``offer`` as it reads it, and the unknown ones go to spawn-started helper processes
while the scan goes on; the loader takes each result when it comes to that file (``send_rest``).
"""

from __future__ import annotations

import hashlib
import marshal
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from tenantgen.credentials import text_may_hold_credential
from tenantgen.fast.cache_file import read_cache_file, write_cache_file
from tenantgen.fast.document_check import clean_as
from tenantgen.fast.helpers import HelperPool
from tenantgen.yamlio import YamlProblem, load_all

MAGIC = b"tenantgen-parse-cache 1\n"
PREFETCH_MIN = 1000  # unknown files below which parsing in other processes is not worth starting them
CHUNK = 250  # files per task sent to a worker


def tree_key(tree: Path) -> str:
    """A tree's name in the cache folder: its absolute path, hashed."""
    return hashlib.sha256(str(tree.resolve()).encode()).hexdigest()[:24]


def digest_of(raw: bytes) -> bytes:
    return hashlib.sha256(raw).digest()


class ParseCache:
    def __init__(self, folder: Path | None, tree: Path) -> None:
        """``folder``: the cache directory; None keeps the cache in memory for this run only."""
        self._path: Path | None = None
        # digest -> (marshal of the documents, kinds whose schema the document passed)
        self._entries: dict[bytes, tuple[bytes, tuple[str, ...]]] = {}
        self._used: set[bytes] = set()
        self._changed = False
        self._offered: set[bytes] = set()  # digests handed to ``offer`` that the cache did not know
        self._waiting: list[tuple[bytes, bytes, str | None]] = []  # (digest, bytes, kind) offered, not sent yet
        self._parsing: dict[bytes, Future[list[tuple[bytes, bytes | None, tuple[str, ...]]]]] = {}  # digest -> task
        self._tasks: set[Future[list[tuple[bytes, bytes | None, tuple[str, ...]]]]] = set()  # not taken yet
        self._parsed: Callable[[], None] | None = None
        if folder is None:
            return
        self._path = folder / "parse" / f"{tree_key(tree)}.bin"
        self._entries = _read(self._path)

    def parse(self, raw: bytes) -> list[Any]:
        """``yamlio.load_all(raw)``, from the cache when these bytes were parsed before."""
        digest = digest_of(raw)
        entry = self._entries.get(digest) or self._settle(digest)
        if entry is not None:
            try:
                documents = marshal.loads(entry[0])  # a fresh copy each time: callers may keep it
            except (ValueError, EOFError, TypeError):
                documents = None
            if isinstance(documents, list):
                self._used.add(digest)
                return documents
        documents = load_all(raw)  # YamlProblem propagates, and nothing is cached
        self.remember(digest, documents)
        return documents

    def remember(self, digest: bytes, documents: list[Any], clean: tuple[str, ...] = ()) -> None:
        self._entries[digest] = (marshal.dumps(documents), clean)
        self._used.add(digest)
        self._changed = True

    def schema_clean(self, raw: bytes, kind: str) -> bool:
        """Whether a document with exactly these bytes passed the per-document checks (schema,
        credentials) as a ``kind`` before."""
        digest = digest_of(raw)
        entry = self._entries.get(digest) or self._settle(digest)
        return entry is not None and kind in entry[1]

    def mark_schema_clean(self, raw: bytes, kind: str) -> None:
        digest = digest_of(raw)
        entry = self._entries.get(digest)
        if entry is not None and kind not in entry[1]:
            self._entries[digest] = (entry[0], (*entry[1], kind))
            self._changed = True

    def known(self, digest: bytes) -> bool:
        return digest in self._entries or self._settle(digest) is not None

    def cold(self) -> bool:
        """Whether the cache knows too little for a warm run (then files are worth offering to helper
        processes as they are read, see ``offer``)."""
        return len(self._entries) < PREFETCH_MIN

    def touch(self, digests: Iterable[bytes]) -> None:
        """Keep these entries when saving although this run did not parse them (skipped clusters)."""
        self._used.update(digest for digest in digests if digest in self._entries)

    def offer(self, digest: bytes, raw: bytes, pool: HelperPool, kind: str | None = None) -> None:
        """Parse ``raw`` in a helper process if this cache does not know it, once enough such files
        came to pay for the helpers (until then they wait; see ``send_rest``). Files that fail to parse
        are left to the normal, sequential path (it reports them). ``kind``: what the file is loaded
        as; the helper then also runs the per-document checks on the data it has just parsed, so
        they are not a step of their own later (see ``schema_clean``)."""
        if digest in self._entries or digest in self._offered:
            return
        self._offered.add(digest)
        self._waiting.append((digest, raw, kind))
        if len(self._offered) >= PREFETCH_MIN and len(self._waiting) >= CHUNK:
            self._submit(pool)

    def send_rest(self, pool: HelperPool) -> None:
        """Hand what was offered and not sent yet to the helpers (when there were enough files to
        start them; otherwise the files are parsed here, as they are asked for).

        Nothing waits here: a file's result is taken when it is asked for (``parse``, ``known``,
        ``schema_clean``), so the tree is loaded while the helpers still parse its last files;
        ``settle`` takes all of them.
        """
        if len(self._offered) >= PREFETCH_MIN and self._waiting:
            self._submit(pool)
        self._waiting = []

    def settle(self) -> None:
        """Wait for every file sent to the helpers and keep what they found."""
        for future in list(self._tasks):
            self._take(future)

    def when_parsed(self, hook: Callable[[], None]) -> None:
        """Call ``hook`` (once, from ``parse`` and the like) as soon as the helpers have parsed every
        file sent to them, though the loader may not have taken all their results yet: their cores
        are free from then on."""
        self._parsed = hook

    def _submit(self, pool: HelperPool) -> None:
        future = pool.submit(parse_chunk, self._waiting)
        for digest, _, _ in self._waiting:
            self._parsing[digest] = future
        self._tasks.add(future)
        self._waiting = []

    def _settle(self, digest: bytes) -> tuple[bytes, tuple[str, ...]] | None:
        """The entry of ``digest`` once the helper task parsing it (if any) is done."""
        future = self._parsing.get(digest)
        if future is None:
            return None
        self._take(future)
        return self._entries.get(digest)

    def _take(self, future: Future[list[tuple[bytes, bytes | None, tuple[str, ...]]]]) -> None:
        for digest, blob, clean in future.result():
            self._parsing.pop(digest, None)
            if blob is not None:
                self._entries[digest] = (blob, clean)
                self._changed = True
        self._tasks.discard(future)
        if self._parsed is not None and all(task.done() for task in self._tasks):
            hook, self._parsed = self._parsed, None
            hook()

    def save(self) -> None:
        if self._path is None:
            return
        unused = self._entries.keys() - self._used
        if not self._changed and not unused:
            return
        entries = {digest: self._entries[digest] for digest in self._used if digest in self._entries}
        try:
            write_cache_file(self._path, MAGIC, entries)
        except OSError:
            pass  # a cache that cannot be written is only slower next time


def parse_chunk(items: Iterable[tuple[bytes, bytes, str | None]]) -> list[tuple[bytes, bytes | None, tuple[str, ...]]]:
    """Per (digest, bytes, kind or None): (digest, marshal of the documents or None when the file does
    not parse cleanly, the kinds whose per-document checks the file passed)."""
    results: list[tuple[bytes, bytes | None, tuple[str, ...]]] = []
    for digest, raw, kind in items:
        clean: tuple[str, ...] = ()
        try:
            documents = load_all(raw)
            blob: bytes | None = marshal.dumps(documents)
        except (YamlProblem, ValueError, RecursionError):
            blob = None
        else:
            if kind is not None and clean_as(kind, documents, text_may_hold_credential(raw)):
                clean = (kind,)
        results.append((digest, blob, clean))
    return results


def _read(path: Path) -> dict[bytes, tuple[bytes, tuple[str, ...]]]:
    return {digest: entry for digest, entry in read_cache_file(path, MAGIC).items()
            if isinstance(digest, bytes) and isinstance(entry, tuple) and len(entry) == 2
            and isinstance(entry[0], bytes) and isinstance(entry[1], tuple)}
