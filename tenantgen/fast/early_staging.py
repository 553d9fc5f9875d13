"""Staging output files while the render still goes on, in a thread of its own.

The parent mostly waits while the workers render, and creating tens of thousands of files is most
of a cold render's writing: done meanwhile, it is not done after. The pipeline builds an
``EarlyStaging``, feeds it each release's files and hands it to the write stage's ``write_output``
(as a ``StagedEarly``), which uses what was staged and stages the rest itself.
"""

from __future__ import annotations

import queue
import threading
from pathlib import Path

from tenantgen.fast.out_record import Signatures, up_to_date
from tenantgen.render.output_set import sha256
from tenantgen.write import (
    OutLock,
    Staged,
    StagingLayout,
    drop_staging,
    plain_path,
    recover,
    staging_folder,
    state_dir,
)

HAND_OVER = 64  # files per hand-over to the staging thread


class EarlyStaging:
    """Stages files while the render is still going, in a thread of its own.

    Only files that are not in OUT as this machine recorded them (``signatures``) are staged;
    staging is not output (it lives under ``OUT/.tenantgen/``), so a run that fails later leaves OUT
    as it was, exactly as before.
    ``write_output`` takes what was staged and stages the rest itself; anything staged that does not
    match the final bytes is not used.
    """

    def __init__(self, out: Path, signatures: Signatures) -> None:
        # What it creates, it removes again unless the run wrote output: a failed first render
        # leaves no empty OUT behind.
        self._created = [folder for folder in (*reversed(out.parents), out, state_dir(out)) if not folder.exists()]
        out.mkdir(parents=True, exist_ok=True)
        self._lock = OutLock(out)  # held until ``__exit__``: through the commit and the cluster records
        recover(out)
        self.out = out
        self.folder = staging_folder(out)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._signatures = signatures  # (a cluster's are read as files of it come)
        self._base = str(out)
        self._queue: queue.SimpleQueue[list[tuple[str, bytes]] | None] = queue.SimpleQueue()
        self._pending: list[tuple[str, bytes]] = []
        self._staged: dict[str, Staged] = {}
        self._failed = False
        self._thread = threading.Thread(target=self._run, name="tenantgen-staging", daemon=True)
        self._thread.start()

    def __enter__(self) -> EarlyStaging:
        return self

    def __exit__(self, *exc: object) -> None:
        self._failed = True  # an interrupted run does not wait for the files still queued
        self.finish()
        drop_staging(self.out, self.folder)
        self._lock.release()
        for folder in reversed(self._created):
            try:
                folder.rmdir()  # only if empty: a successful run has written into it
            except OSError:
                break

    def add(self, files: list[tuple[str, bytes]]) -> None:
        """Stage these files (a release's). They go to the thread a few dozen at a time: each hand-over
        wakes it, and waking it for every release cost more than the writing."""
        self._pending.extend(files)
        if len(self._pending) >= HAND_OVER:
            self._queue.put(self._pending)
            self._pending = []

    def finish(self) -> dict[str, Staged]:
        """What was staged, once everything added is; nothing if any write failed (then
        ``write_output`` stages again and reports the error itself)."""
        if self._thread.is_alive():
            if self._pending:
                self._queue.put(self._pending)
                self._pending = []
            self._queue.put(None)
            self._thread.join()
        return {} if self._failed else self._staged

    def _run(self) -> None:
        layout = StagingLayout(self.folder)
        while (files := self._queue.get()) is not None:
            for rel, data in files:
                if self._failed:
                    break
                digest = sha256(data)
                if not plain_path(rel) or up_to_date(self._base, rel, digest, self._signatures):
                    continue  # (``write_output`` refuses a path that is not plain, with a message)
                try:
                    path, size, mtime_ns = layout.write(rel, data)
                except OSError:
                    self._failed = True
                    continue
                self._staged[rel] = Staged(path, digest, size, mtime_ns, data)
