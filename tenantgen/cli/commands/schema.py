"""``tenantgen schema``: the JSON Schemas shipped with tenantgen, for editors and other tools."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from tenantgen.assets import schemas_dir
from tenantgen.errors import TenantgenError, UsageError
from tenantgen.validate import schema_files

COMMON_SCHEMA = "common.schema.json"


def kind_of(name: str) -> str:
    """``argo-project``, ``ArgoProject``, ``argoproject`` -> ``ArgoProject``; UsageError when unknown."""
    wanted = name.replace("-", "").replace("_", "").lower()
    for kind in schema_files():
        if kind.lower() == wanted:
            return kind
    raise UsageError(f"unknown kind {name!r}; kinds: {', '.join(_kind_names())}")


def _kind_names() -> list[str]:
    names = {"ArgoProject": "argo-project", "NodePool": "node-pool"}
    return [names.get(kind, kind.lower()) for kind in schema_files()]


def run_schema(kind: str | None, out: Path | None, stdout: TextIO | None = None) -> int:
    stdout = stdout or sys.stdout  # looked up per call: tests redirect it
    if out is None:
        if kind is None:
            raise UsageError(f"name a KIND to print its schema, or pass -o DIR to write all of them; "
                             f"kinds: {', '.join(_kind_names())}")
        stdout.write(schema_files()[kind_of(kind)].read_text(encoding="utf-8"))
        return 0
    # One kind with -o still needs the common definitions its $refs point at.
    paths = [schema_files()[kind_of(kind)]] if kind else list(schema_files().values())
    paths.append(schemas_dir() / COMMON_SCHEMA)
    try:
        out.mkdir(parents=True, exist_ok=True)
        for path in paths:
            (out / path.name).write_bytes(path.read_bytes())
    except OSError as exc:
        raise TenantgenError(f"cannot write the schemas to {str(out)!r}: {exc.strerror or exc}") from None
    stdout.write(f"wrote {len(paths)} schema file(s) to {out}: {', '.join(path.name for path in paths)}\n")
    return 0
