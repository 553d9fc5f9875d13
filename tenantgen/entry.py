"""The ``tenantgen`` command's first code (``python -m tenantgen`` runs it too).

Loading the command line takes about half a second (typer, rich, jsonschema, ...), most of a short
run. A Ctrl-C in that time used to end the process with a KeyboardInterrupt traceback, so this
module imports nothing heavy before it holds Ctrl-C back: from here on, an interrupt at any moment
ends in one line and exit 130. A held Ctrl-C is raised when a command is ready to answer it
(``raise_interrupts``, called by ``errors_cli.run_guarded``), or answered here if none was.

Held rather than raised during the imports: a KeyboardInterrupt raised inside some library's import
could meet an ``except:`` there and be lost, and the command would run on as if never interrupted.

Standard output and error are also made to escape what the console's encoding cannot show
(``PYTHONIOENCODING=ascii``, a Latin-1 terminal): a finding quoting ``é日`` is still a finding.
"""

from __future__ import annotations

import signal
import sys

TYPE_CHECKING = False  # (mypy reads it as typing's; importing typing would widen the window this module closes)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import NoReturn

INTERRUPTED = "interrupted; nothing was written"
TERMINATED = "terminated; nothing was written"
INTERRUPTED_EXIT = 130

_held: list[int] = []  # Ctrl-Cs that came before a command was ready for them


def _hold(signum: int, frame: object) -> None:
    _held.append(signum)


def run() -> NoReturn:
    """The ``tenantgen`` command: hold Ctrl-C, load the command line, run it, answer a held Ctrl-C."""
    _hold_interrupts()
    _escape_unprintable_output()
    from tenantgen.cli import main  # the slow part of starting
    from tenantgen.speed import run_then_exit

    run_then_exit(lambda: _answering_interrupts(main))


def _answering_interrupts(main: Callable[[], int]) -> int:
    try:
        code = main()
    except KeyboardInterrupt:  # in the instant between a command's end and the process's
        return _interrupted()
    return _interrupted() if _held else code  # held, and no command took it: ``--help``, a usage error


def raise_interrupts() -> None:
    """From now on Ctrl-C raises KeyboardInterrupt, and one held since the start is raised now.

    Does nothing where ``run`` did not hold Ctrl-C (``cli.main`` called in a test's process, say).
    """
    if signal.getsignal(signal.SIGINT) is not _hold:
        return
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if _held:
        _held.clear()
        raise KeyboardInterrupt


def _hold_interrupts() -> None:
    # Only over Python's own handler: Ctrl-C ignored from the start (a shell's background job) stays so.
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _hold)


def _escape_unprintable_output() -> None:
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)  # None: no stream at all (a closed descriptor)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")


def _interrupted() -> int:
    _held.clear()
    try:
        print(INTERRUPTED, file=sys.stderr)
    except (OSError, ValueError, AttributeError):
        pass  # no standard error to say it on: the exit code says it
    return INTERRUPTED_EXIT
