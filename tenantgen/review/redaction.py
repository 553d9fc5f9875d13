"""Secret redaction for anything tenantgen shows (diffs, PR comments, JSON reports).

Every value under ``data`` and ``stringData`` of a ``kind: Secret`` object is replaced by a token
``<redacted sha256:1a2b3c4d>``: a SHA-256 HMAC under a key drawn fresh for each run. Both sides of a
comparison share the run's key, so an unchanged value shows the same token and a changed one a
different token; a short unkeyed hash of a short password could be brute-forced from a PR comment.
(Credential-looking text in messages is another matter: ``tenantgen.credentials.redact`` masks it.)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
from typing import Any

SECRET_FIELDS = ("data", "stringData")
# Text that could not be parsed but mentions a Secret is hidden whole: better blind than leaking.
_SECRET_TEXT = re.compile(rb"kind\s*[:=]\s*[\"']?Secret\b|\"kind\"\s*:\s*\"Secret\"")


class SecretRedactor:
    """Hides the values of Secrets behind keyed tokens; one instance (one key) per comparison."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key if key is not None else os.urandom(32)

    def token(self, value: Any) -> str:
        text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
        digest = hmac.new(self._key, text.encode("utf-8", "surrogateescape"), hashlib.sha256).hexdigest()
        return f"<redacted sha256:{digest[:8]}>"

    def hide_secret_values(self, obj: Any) -> Any:
        """A copy of a Kubernetes object (or List) with Secret values replaced by tokens."""
        if not isinstance(obj, dict):
            return obj
        if obj.get("kind") == "Secret":
            out = dict(obj)
            for name in SECRET_FIELDS:
                if name not in out or out[name] is None:
                    continue
                value = out[name]
                out[name] = ({key: self.token(item) for key, item in value.items()} if isinstance(value, dict)
                             else self.token(value))
            return out
        items = obj.get("items")
        if isinstance(items, list):
            return {**obj, "items": [self.hide_secret_values(item) for item in items]}
        return obj

    def hide_unparsable_secret(self, raw: bytes) -> str | None:
        """A stand-in for text that could not be parsed, when it may hold a Secret; None when it cannot."""
        if _SECRET_TEXT.search(raw):
            return f"# unparsable file that mentions a Secret; content hidden: {self.token(raw.hex())}\n"
        return None


def is_secret(obj: Any) -> bool:
    return isinstance(obj, dict) and (obj.get("kind") == "Secret" or (
        isinstance(obj.get("items"), list) and any(is_secret(item) for item in obj["items"])))
