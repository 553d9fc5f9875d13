"""The one exception family of tenantgen.

Findings about the user's tree are data (see ``findings``); exceptions are for runs that cannot go
on at all. They carry a message and never print: the CLI maps them to exit codes in one place.
"""

from __future__ import annotations


class TenantgenError(Exception):
    """A failure the user can fix; exit code 1."""

    exit_code = 1


class UsageError(TenantgenError):
    """The command line asked for something impossible (missing tree, bad option); exit code 2."""

    exit_code = 2
