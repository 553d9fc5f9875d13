"""Where a finding about a tenant's effective spec points: the line that set the value."""

from __future__ import annotations

from typing import Any

from tenantgen.findings import Finding
from tenantgen.json_path import JsonPath
from tenantgen.merge import TenantModel


def at(tenant: TenantModel, path: JsonPath, message: str, code: str) -> Finding:
    """A finding about ``path`` of the tenant's effective spec, placed where that value was set."""
    origin = tenant.merged.origin(path)
    if origin is None:
        return tenant.doc.finding(("spec", *path), message, code)
    if origin.layer != "tenant":
        message = f"tenant {tenant.name!r} (inherited from the {origin.layer}): {message}"
    return origin.doc.finding(origin.path, message, code)


def get(spec: Any, path: JsonPath) -> Any:
    for part in path:
        if isinstance(spec, dict):
            spec = spec.get(part)
        else:
            return None
    return spec
