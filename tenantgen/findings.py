"""Findings: problems in the user's tree, collected as data and reported together.

A finding points at a place (file, line, column, JSON path) and says what is wrong and what is
allowed. Stages return findings instead of raising, so one run reports every bad file.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from tenantgen.credentials import redact
from tenantgen.json_path import JsonPath

MAX_FIELD = 200
MAX_MESSAGE = 1000


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def format_json_path(path: JsonPath) -> str:
    """``("spec", "owners", 0, "kind")`` -> ``$.spec.owners[0].kind``."""
    out = "$"
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.replace("-", "").replace("_", "").isalnum():
            out += f".{part}"
        else:
            out += f"[{part!r}]"
    return out


@dataclass(frozen=True, order=True)
class Finding:
    file: str
    line: int
    col: int
    field: str
    message: str
    code: str

    def __post_init__(self) -> None:
        # Findings quote values from the tree: a credential in it must not reach a CI log, and a
        # 5,000-character key must not make a 5,000-character line.
        object.__setattr__(self, "field", _clip(redact(self.field), MAX_FIELD))
        object.__setattr__(self, "message", _clip(redact(self.message), MAX_MESSAGE))

    def format(self) -> str:
        where = self.file
        if self.line:
            where += f":{self.line}:{self.col}"
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.message}"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    # Several checks can reach the same conclusion through different routes; report it once.
    return sorted(set(findings))
