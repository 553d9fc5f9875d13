"""The ``tenantgen`` command's first code (``python -m tenantgen`` runs it too).

Loading the command line takes about half a second (typer, rich, jsonschema, ...), most of a short
run. A Ctrl-C in that time used to end the process with a KeyboardInterrupt traceback (and a
SIGTERM without a word), so this module imports nothing heavy before it holds both back: from here
on, either at any moment ends in one line and exit 130 or 143. A held signal is raised when a
command is ready to answer it (``signals.raise_held_signals``, called by ``cli.errors.run_guarded``),
or answered here if none was.

Held rather than raised during the imports: a KeyboardInterrupt raised inside some library's import
could meet an ``except:`` there and be lost, and the command would run on as if never interrupted.

Standard output and error are also made to escape what the console's encoding cannot show
(``PYTHONIOENCODING=ascii``, a Latin-1 terminal): a finding quoting ``é日`` is still a finding.
"""

from __future__ import annotations

import signal
import sys

from tenantgen import signals

TYPE_CHECKING = False  # (mypy reads it as typing's; importing typing would widen the window this module closes)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import NoReturn


def run() -> NoReturn:
    """The ``tenantgen`` command: hold Ctrl-C and SIGTERM, load the command line, run it, answer a
    held signal that no command took."""
    signals.hold_at_start()
    _escape_unprintable_output()
    from tenantgen.cli.app import main  # the slow part of starting
    from tenantgen.fast.helpers import run_then_exit

    run_then_exit(lambda: _answering_interrupts(main))


def _answering_interrupts(main: Callable[[], int]) -> int:
    try:
        code = main()
    except KeyboardInterrupt:  # in the instant between a command's end and the process's
        return signals.stopped_by(signal.SIGINT)
    held = signals.held_at_start()  # held, and no command took it: ``--help``, a usage error
    return code if held is None else signals.stopped_by(held)


def _escape_unprintable_output() -> None:
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)  # None: no stream at all (a closed descriptor)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
