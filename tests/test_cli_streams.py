"""When standard output cannot take what a command prints: a reader that left, a full disk, a console
that cannot show the characters."""

from __future__ import annotations

import errno
import io
import os
import shutil
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from tenantgen.cli import app as cli
from tests.helpers import EXAMPLE_TREE


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


def run_on_an_ascii_console(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """As on a console that cannot show anything past ASCII (a C locale of old, a Latin-1 terminal)."""
    return subprocess.run([sys.executable, "-m", "tenantgen", *args], cwd=cwd, capture_output=True,
                          encoding="ascii", env={**os.environ, "PYTHONIOENCODING": "ascii"}, timeout=300,
                          check=False)


@pytest.mark.parametrize("command", [["validate", "tiers"], ["render", "tiers", "-o", "out"]])
def test_a_finding_the_console_cannot_show_is_printed_escaped(command: list[str], tmp_path: Path) -> None:
    shutil.copytree(EXAMPLE_TREE, tmp_path / "tiers")
    tenant = tmp_path / "tiers" / "prod" / "prod-aws" / "prod-euw1" / "tenants" / "payments.yaml"
    tenant.write_text(tenant.read_text(encoding="utf-8").replace("quota: 10", 'quota: "é日"'), encoding="utf-8")
    done = run_on_an_ascii_console(command, tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert ("tiers/prod/prod-aws/prod-euw1/tenants/payments.yaml:19:5: $.spec.namespaces.quota: "
            'expected integer, found string "\\xe9\\u65e5"') in done.stdout
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr


def test_an_error_message_the_console_cannot_show_is_printed_escaped(tmp_path: Path) -> None:
    done = run_on_an_ascii_console(["validate", "bäume"], tmp_path)
    assert (done.returncode, done.stdout) == (2, "")
    assert "'b\\xe4ume'" in done.stderr and "Traceback" not in done.stderr
