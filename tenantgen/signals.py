"""Signal policy, in one place: what Ctrl-C (SIGINT) and SIGTERM do at each moment of a run.

- From the process's first line until a command is ready, both are held (``hold_at_start``) and
  raised once it is (``raise_held_signals``): a Ctrl-C inside some library's import could meet an
  ``except:`` there and be lost.
- While a command runs, SIGTERM unwinds like Ctrl-C does (``terminate_as_exception``), so temporary
  files and workers are cleaned up; either ends in one line and exit 130 or 143.
- A moment that must not be cut short (starting a child process, committing OUT) holds both back and
  delivers them afterwards (``signals_held``).
- Child processes (render workers, helpers) ignore Ctrl-C: it is the parent's to handle
  (``child_started``).

Only ``signal`` and ``sys`` are imported here: the console script imports this module before it can
hold anything, so the window it leaves open is as short as it can be.
"""

from __future__ import annotations

import signal
import sys

TYPE_CHECKING = False  # (mypy reads it as typing's; importing typing would widen the window this module closes)
if TYPE_CHECKING:
    from types import TracebackType

INTERRUPTED = "interrupted; nothing was written"
TERMINATED = "terminated; nothing was written"
INTERRUPTED_EXIT = 130
TERMINATED_EXIT = 143
HELD = (signal.SIGINT, signal.SIGTERM)

_held_at_start: list[int] = []  # Ctrl-C / SIGTERM that came before a command was ready for them


class Terminated(BaseException):
    """SIGTERM arrived; raised from the signal handler so clean-up code runs.

    Not an ``Exception``, for the reason ``KeyboardInterrupt`` is not one: the handler raises it wherever
    the program happens to be, and an ``except Exception`` there (a parser that falls back to another on
    any error, say) would swallow it and the run would go on as if no SIGTERM had come.
    """


def _hold(signum: int, frame: object) -> None:
    _held_at_start.append(signum)


def hold_at_start() -> None:
    """Hold Ctrl-C and SIGTERM until a command is ready for them (``raise_held_signals``).

    Only over the default handlers: a signal ignored from the start (Ctrl-C in a shell's background
    job) stays ignored."""
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _hold)
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _hold)


def raise_held_signals() -> None:
    """From now on Ctrl-C raises KeyboardInterrupt (and SIGTERM does what the caller has set up);
    a signal held since the start is raised now: SIGTERM as ``Terminated``, Ctrl-C as KeyboardInterrupt.

    Does nothing where ``hold_at_start`` did not hold them (``cli.main`` called in a test's process, say).
    """
    if signal.getsignal(signal.SIGINT) is _hold:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if signal.getsignal(signal.SIGTERM) is _hold:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    held = set(_held_at_start)
    _held_at_start.clear()
    if signal.SIGTERM in held:
        raise Terminated()
    if signal.SIGINT in held:
        raise KeyboardInterrupt


def held_at_start() -> int | None:
    """The signal held since the start that no command took (``--help``, a usage error), if any."""
    if not _held_at_start:
        return None
    return signal.SIGTERM if signal.SIGTERM in _held_at_start else signal.SIGINT


def stopped_by(signum: int) -> int:
    """Say that the run was stopped by ``signum`` (if standard error is still there); its exit code."""
    _held_at_start.clear()
    terminated = signum == signal.SIGTERM
    try:
        print(TERMINATED if terminated else INTERRUPTED, file=sys.stderr)
    except (OSError, ValueError, AttributeError):
        pass  # no standard error to say it on: the exit code says it
    return TERMINATED_EXIT if terminated else INTERRUPTED_EXIT


class terminate_as_exception:  # noqa: N801 - used as a context manager, like contextlib's
    """SIGTERM unwinds like Ctrl-C does (raises ``Terminated``), so temporary files and workers are
    cleaned up."""

    def __enter__(self) -> None:
        self._previous = signal.signal(signal.SIGTERM, _raise_terminated)

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        signal.signal(signal.SIGTERM, self._previous)


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated()


class signals_held:  # noqa: N801 - used as a context manager, like contextlib's
    """Hold SIGINT/SIGTERM back for a moment that must not be cut short; deliver them afterwards.

    The handlers are swapped (a signal may reach any thread, and Python runs its handler in the main
    one), and the signals are also blocked in this thread, so that a child process started meanwhile
    starts with them blocked. Only in the main thread; elsewhere this does nothing.
    """

    def __enter__(self) -> None:
        import threading

        self._active = threading.current_thread() is threading.main_thread()
        if not self._active:
            return
        self._received: list[int] = []
        self._previous = {sig: signal.signal(sig, self._hold) for sig in HELD}
        self._masked = hasattr(signal, "pthread_sigmask")
        self._mask = signal.pthread_sigmask(signal.SIG_BLOCK, set(HELD)) if self._masked else set()

    def _hold(self, signum: int, frame: object) -> None:
        self._received.append(signum)

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if not self._active:
            return
        if self._masked:
            signal.pthread_sigmask(signal.SIG_SETMASK, self._mask)  # what arrived meanwhile goes to ``_hold``
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        for signum in self._received:
            signal.raise_signal(signum)


def child_started() -> None:
    """In a worker or helper process, first thing: Ctrl-C is the parent's to handle (it stops its
    children); SIGTERM, blocked while the parent started it (``signals_held``), stops it as usual."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, set(HELD))
