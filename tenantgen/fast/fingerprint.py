"""What tenantgen's own behaviour depends on, as one digest: part of every cache key.

A cache entry is only as good as the code that made it. Versions alone are not enough (a source
checkout changes without a version bump), so the digest covers tenantgen's source files and schemas,
the Python version and the versions of the libraries that parse and validate. Reading them takes a
few milliseconds.
"""

from __future__ import annotations

import hashlib
import sys
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from tenantgen import __version__
from tenantgen.assets import schemas_dir

# Every library whose version can change what a cached entry holds: parsing (ruamel, libyaml through
# PyYAML, yaml-rs for rendered objects), checks and their verdicts (jsonschema and referencing, the
# compiled checks of fastjsonschema, whose generated code is cached too, CEL rules), the Kubernetes
# schemas, the Helm engine and the helmfile template (Jinja).
_LIBRARIES = ("ruamel.yaml", "ruamel.yaml.clib", "PyYAML", "yaml-rs", "jsonschema", "referencing", "fastjsonschema",
              "common-expression-language", "kubernetes-validate", "helm-python-sdk", "jinja2")


def _library_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "-"


@cache
def code_fingerprint() -> str:
    digest = hashlib.sha256()
    digest.update(f"tenantgen {__version__}\0python {sys.version}\0".encode())
    for name in _LIBRARIES:
        digest.update(f"{name} {_library_version(name)}\0".encode())
    package = Path(__file__).resolve().parents[1]  # the whole tenantgen package
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    for path in sorted(schemas_dir().glob("*.json")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
