"""The reporters' common base: named ways to show one kind of subject on a stream.

Every report (findings, a diff, a tenant's explanation) has a registry of reporters, one per
``--format`` name; the CLI picks one by that name and hands it the subject and the stream.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Generic, TextIO, TypeVar

from rich.console import Console

from tenantgen.errors import UsageError

Subject = TypeVar("Subject")
Reporter = Callable[[Subject, TextIO], None]


class Reporters(Generic[Subject]):
    """The reporters of one kind of subject, by format name, in the order they are offered."""

    def __init__(self, reporters: Mapping[str, Reporter[Subject]]) -> None:
        self._reporters = dict(reporters)

    def names(self) -> tuple[str, ...]:
        return tuple(self._reporters)

    def pick(self, name: str) -> Reporter[Subject]:
        """The reporter called ``name``; a usage error naming the choices when there is none."""
        try:
            return self._reporters[name]
        except KeyError:
            raise UsageError(f"--format {name!r}: choose one of {', '.join(self._reporters)}") from None


def console_for(stream: TextIO) -> Console:
    """The rich console every reporter and command prints to ``stream`` with."""
    # Colour only on a terminal; CI logs and tests get plain text at a fixed width.
    return Console(file=stream, highlight=False, soft_wrap=True, width=200 if not stream.isatty() else None)
