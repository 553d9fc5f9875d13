"""The ``tenantgen`` command's first code (``python -m tenantgen`` runs it too).

Loading the command line takes about half a second (typer, rich, jsonschema, ...), most of a short
run. A Ctrl-C in that time used to end the process with a KeyboardInterrupt traceback (and a
SIGTERM without a word), so this module imports nothing heavy before it holds both back: from here
on, either at any moment ends in one line and exit 130 or 143. A held signal is raised when a
command is ready to answer it (``raise_held_signals``, called by ``errors_cli.run_guarded``), or
answered here if none was.

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
TERMINATED_EXIT = 143

_held: list[int] = []  # Ctrl-C / SIGTERM that came before a command was ready for them


def _hold(signum: int, frame: object) -> None:
    _held.append(signum)


def run() -> NoReturn:
    """The ``tenantgen`` command: hold Ctrl-C and SIGTERM, load the command line, run it, answer a
    held signal that no command took."""
    _hold_signals()
    _escape_unprintable_output()
    from tenantgen.cli.app import main  # the slow part of starting
    from tenantgen.fast.helpers import run_then_exit

    run_then_exit(lambda: _answering_interrupts(main))


def _answering_interrupts(main: Callable[[], int]) -> int:
    try:
        code = main()
    except KeyboardInterrupt:  # in the instant between a command's end and the process's
        return _stopped(signal.SIGINT)
    if _held:  # held, and no command took it: ``--help``, a usage error
        return _stopped(signal.SIGTERM if signal.SIGTERM in _held else signal.SIGINT)
    return code


def raise_held_signals(terminated: type[BaseException]) -> None:
    """From now on Ctrl-C raises KeyboardInterrupt (and SIGTERM does what the caller has set up);
    a signal held since the start is raised now: SIGTERM as ``terminated``, Ctrl-C as KeyboardInterrupt.

    Does nothing where ``run`` did not hold them (``cli.main`` called in a test's process, say).
    """
    if signal.getsignal(signal.SIGINT) is _hold:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if signal.getsignal(signal.SIGTERM) is _hold:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    held = set(_held)
    _held.clear()
    if signal.SIGTERM in held:
        raise terminated()
    if signal.SIGINT in held:
        raise KeyboardInterrupt


def _hold_signals() -> None:
    # Only over the default handlers: a signal ignored from the start (Ctrl-C in a shell's background
    # job) stays ignored.
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _hold)
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _hold)


def _escape_unprintable_output() -> None:
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)  # None: no stream at all (a closed descriptor)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")


def _stopped(signum: int) -> int:
    _held.clear()
    terminated = signum == signal.SIGTERM
    try:
        print(TERMINATED if terminated else INTERRUPTED, file=sys.stderr)
    except (OSError, ValueError, AttributeError):
        pass  # no standard error to say it on: the exit code says it
    return TERMINATED_EXIT if terminated else INTERRUPTED_EXIT
