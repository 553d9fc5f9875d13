"""What a Helm engine takes and gives: one release (``RenderJob``) in, Helm's output per template out.

Both engines (``binary``, ``embedded``) implement ``Engine``; a refusal or failure is an ``EngineError``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol


class EngineError(Exception):
    """Helm refused or failed to render a release; the message says where (template:line:col)."""


@dataclass(frozen=True)
class RenderJob:
    release: str
    namespace: str
    chart_dir: str
    values: dict[str, Any]
    kube_version: str  # "v1.31.0"
    # The cloud of the release's cluster: its objects are checked against that cloud's CRDs first.
    provider: str = ""


# Built once: ``json.dumps`` with options builds an encoder on every call.
_VALUES_ENCODER = json.JSONEncoder(separators=(",", ":")).encode


def values_json(values: Mapping[str, Any]) -> str:
    """A release's values as the engine takes them (JSON is YAML), in their order.

    The same text is hashed for the render cache's key (``values_digest``): a worker encodes each
    release's values once, for both."""
    return _VALUES_ENCODER(values)


def values_digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class Engine(Protocol):
    name: str

    def version(self) -> str:
        """Identifies the engine's output: part of every render cache key."""
        ...

    def render(self, job: RenderJob, values: str) -> dict[str, str]:
        """``{"<chart>/templates/<file>": text}`` for every template that produced output;
        ``values``: ``values_json(job.values)``."""
        ...
