"""The one handler that turns failures into messages and exit codes.

1: user errors (findings, bad input), 2: usage errors, 130/143: interrupted, 3: a bug in tenantgen,
whose traceback goes to a log file for the bug report instead of at the user.
"""

from __future__ import annotations

import errno
import sys
import tempfile
import traceback
from collections.abc import Callable

from rich.console import Console

from tenantgen import __version__
from tenantgen.credentials import redact
from tenantgen.errors import TenantgenError
from tenantgen.signals import (
    INTERRUPTED,
    INTERRUPTED_EXIT,
    TERMINATED,
    TERMINATED_EXIT,
    Terminated,
    raise_held_signals,
    terminate_as_exception,
)

BUG_EXIT = 3
# Failures of the machine, not of tenantgen: a full disk or quota, an I/O error, a read-only file system.
_ENVIRONMENT_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EROFS, errno.EFBIG}


def run_guarded(work: Callable[[], int]) -> int:
    err = Console(file=sys.stderr, highlight=False, soft_wrap=True)
    try:
        with terminate_as_exception():
            raise_held_signals()  # the command is ready for them now (held since the process started)
            return work()
    except TenantgenError as exc:
        err.print(f"error: {redact(str(exc))}", markup=False)
        return exc.exit_code
    except BrokenPipeError:
        # `tenantgen ... | head`: the reader left; not an error worth a message or a crash log.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except KeyboardInterrupt:
        err.print(INTERRUPTED, markup=False)
        return INTERRUPTED_EXIT
    except Terminated:
        err.print(TERMINATED, markup=False)
        return TERMINATED_EXIT
    except OSError as exc:
        if exc.errno not in _ENVIRONMENT_ERRORS:
            return _report_bug(err)
        # Not a bug, and nothing to add to the system's reason. Output files report their own errors
        # (naming the folder); one without a file name is standard output (`tenantgen ... > /dev/full`).
        where = f" ({exc.filename})" if exc.filename else " (writing the command's output)"
        _print_quietly(err, f"error: {exc.strerror or exc}{where}")
        return 1
    except Exception:  # noqa: BLE001 - the last line of defence: a bug, reported as one
        return _report_bug(err)


def _report_bug(err: Console) -> int:
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", errors="backslashreplace", prefix="tenantgen-crash-",
                                     suffix=".log", delete=False) as log:
        log.write(redact(f"tenantgen {__version__}\n{' '.join(sys.argv)}\n\n{traceback.format_exc()}"))
    err.print(f"internal error in tenantgen {__version__}: {redact(repr(sys.exc_info()[1]))}\n"
              f"This is a bug. Details are in {log.name}; please attach it to a bug report.", markup=False)
    return BUG_EXIT


def _print_quietly(err: Console, message: str) -> None:
    try:
        err.print(message, markup=False)
    except OSError:
        pass  # standard error is gone too: the exit code says it
