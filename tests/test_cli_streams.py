"""When standard output cannot take what a command prints: a reader that left, a full disk."""

from __future__ import annotations

import errno
import io
import os
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout

from tenantgen import cli


class FullStream(io.StringIO):
    """Standard output on a full disk (what `tenantgen ... > /dev/full` meets)."""

    def write(self, text: str) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_a_full_standard_output_is_an_error_not_a_bug() -> None:
    err = io.StringIO()
    argv, sys.argv = sys.argv, ["tenantgen", "schema", "tenant"]
    try:
        with redirect_stdout(FullStream()), redirect_stderr(err):
            code = cli.main()
    finally:
        sys.argv = argv
    assert code == 1
    assert err.getvalue().strip() == "error: No space left on device (writing the command's output)"


def test_a_reader_that_left_ends_the_command_quietly() -> None:
    # `tenantgen schema tenant | head -1`: head has gone before tenantgen writes.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run([sys.executable, "-m", "tenantgen", "schema", "tenant"], stdout=write_end,
                              stderr=subprocess.PIPE, text=True, timeout=60, check=False)
    finally:
        os.close(write_end)
    assert done.returncode == 141
    assert done.stderr == ""
