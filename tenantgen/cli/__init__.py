"""The command line: ``entry`` (the console script's first code), ``app`` (options), ``errors`` (the one
handler of failures), ``commands/`` (one plain function per command)."""


def run() -> None:
    """The ``tenantgen`` command of installs made before it moved to ``cli.entry.run`` (which see)."""
    from tenantgen.cli.entry import run as run_command

    run_command()
