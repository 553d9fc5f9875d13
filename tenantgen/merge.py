"""Merge stage: tier defaults <- cluster defaults <- tenant spec, with provenance.

The rules, in one place:
- maps merge deeply, key by key;
- lists replace the inherited list as a whole (no element-wise merging: a tenant's hostnames are
  its own, not the tier's plus its own);
- ``null`` removes the inherited key;
- any other value replaces the inherited one.

Every value of the result remembers the layer, file and path that set it, so ``explain`` and the
guardrail findings can point at the line a user has to change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tenantgen.documents import Document
from tenantgen.findings import JsonPath


@dataclass(frozen=True)
class Layer:
    """One source of settings: ``data`` was read from ``doc`` at ``base`` (e.g. spec.defaults)."""

    name: str  # "tier default", "cluster default", "tenant"
    doc: Document
    base: JsonPath
    data: Mapping[str, Any]


@dataclass(frozen=True)
class Origin:
    layer: str
    doc: Document
    path: JsonPath  # within doc

    def location(self) -> str:
        line, col = self.doc.locate(self.path)
        return f"{self.doc.display_path}:{line}:{col}"


@dataclass(frozen=True)
class Merged:
    value: dict[str, Any]
    origins: dict[JsonPath, Origin]  # keyed by the path within ``value``

    def origin(self, path: JsonPath) -> Origin | None:
        """Who set ``path``, or the nearest ancestor that was set as a whole (a list, say)."""
        for end in range(len(path), 0, -1):
            found = self.origins.get(path[:end])
            if found:
                return found
        return None


def merge_layers(layers: Sequence[Layer]) -> Merged:
    value: dict[str, Any] = {}
    origins: dict[JsonPath, Origin] = {}
    for layer in layers:
        _merge_into(value, layer.data, (), layer, origins)
    return Merged(value, origins)


def _merge_into(target: dict[str, Any], source: Mapping[str, Any], path: JsonPath, layer: Layer,
                origins: dict[JsonPath, Origin]) -> None:
    for key, incoming in source.items():
        child = (*path, key)
        if incoming is None:
            target.pop(key, None)
            _forget(origins, child)
            continue
        current = target.get(key)
        if isinstance(incoming, Mapping) and isinstance(current, dict):
            origins[child] = Origin(layer.name, layer.doc, (*layer.base, *child))
            _merge_into(current, incoming, child, layer, origins)
            continue
        _forget(origins, child)
        target[key] = _copy_without_nulls(incoming)
        _record(origins, target[key], child, layer)


def _copy_without_nulls(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _copy_without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_copy_without_nulls(item) for item in value]
    return value


def _record(origins: dict[JsonPath, Origin], value: Any, path: JsonPath, layer: Layer) -> None:
    origins[path] = Origin(layer.name, layer.doc, (*layer.base, *path))
    if isinstance(value, dict):
        for key, item in value.items():
            _record(origins, item, (*path, key), layer)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _record(origins, item, (*path, index), layer)


def _forget(origins: dict[JsonPath, Origin], path: JsonPath) -> None:
    depth = len(path)
    for known in [known for known in origins if known[:depth] == path]:
        del origins[known]


def leaves(value: Any, path: JsonPath = ()) -> list[tuple[JsonPath, Any]]:
    """Every scalar of ``value`` with its path, in document order."""
    if isinstance(value, dict):
        return [leaf for key, item in value.items() for leaf in leaves(item, (*path, key))]
    if isinstance(value, list):
        if not value:
            return [(path, [])]
        return [leaf for index, item in enumerate(value) for leaf in leaves(item, (*path, index))]
    return [(path, value)]
