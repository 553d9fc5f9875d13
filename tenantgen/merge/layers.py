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
from functools import cached_property
from typing import Any

from tenantgen.json_path import JsonPath
from tenantgen.load import Document


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
    # Provenance is kept where it was decided, not copied onto every leaf (10,000 tenants would
    # mean a million records): ``sets`` holds where a layer set a value as a whole, ``touched``
    # where a layer merged into a map. Every other path inherits from its nearest ``sets`` ancestor.
    sets: dict[JsonPath, Origin]
    touched: dict[JsonPath, Origin]

    def origin(self, path: JsonPath) -> Origin | None:
        """Who set ``path``, or the nearest ancestor that was set as a whole (a list, say)."""
        existing = _existing_prefix(self.value, path)
        if existing in self.touched:
            return self.touched[existing]
        for end in range(len(existing), 0, -1):
            found = self.sets.get(existing[:end])
            if found:
                return _below(found, existing[end:])
        return None

    @cached_property
    def origins(self) -> dict[JsonPath, Origin]:
        """The origin of every path of ``value`` (expanded on demand)."""
        expanded: dict[JsonPath, Origin] = {}
        for path in sorted(self.sets, key=len):  # deeper sets are later ones: they win
            origin = self.sets[path]
            expanded[path] = origin
            for below, _ in _paths(_at(self.value, path)):
                expanded[(*path, *below)] = _below(origin, below)
        expanded.update(self.touched)
        return expanded


def _below(origin: Origin, rest: JsonPath) -> Origin:
    return Origin(origin.layer, origin.doc, (*origin.path, *rest)) if rest else origin


def _at(value: Any, path: JsonPath) -> Any:
    for part in path:
        value = value[part]
    return value


def _existing_prefix(value: Any, path: JsonPath) -> JsonPath:
    """The longest prefix of ``path`` that exists in ``value``."""
    for depth, part in enumerate(path):
        if isinstance(value, dict) and isinstance(part, str) and part in value:
            value = value[part]
        elif isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value):
            value = value[part]
        else:
            return path[:depth]
    return path


def _paths(value: Any) -> list[tuple[JsonPath, Any]]:
    """Every path below ``value`` (containers and leaves), relative to it."""
    found: list[tuple[JsonPath, Any]] = []
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return found
    for key, item in items:
        found.append(((key,), item))
        found.extend(((key, *below), leaf) for below, leaf in _paths(item))
    return found


def merge_layers(layers: Sequence[Layer]) -> Merged:
    return merge_onto(Merged({}, {}, {}), layers)


def merge_onto(base: Merged, layers: Sequence[Layer]) -> Merged:
    """``base`` (the merge of some first layers) with ``layers`` merged on top, as ``merge_layers``
    of all of them would give it; ``base`` is left as it was. Every tenant of a cluster shares its
    first two layers (tier and cluster defaults): they are merged once, not once per tenant."""
    # A merged value holds no nulls, so copying it without nulls is a plain deep copy.
    merged = Merged(_copy_without_nulls(base.value), dict(base.sets), dict(base.touched))
    for layer in layers:
        _merge_into(merged.value, layer.data, (), layer, merged)
    return merged


def _merge_into(target: dict[str, Any], source: Mapping[str, Any], path: JsonPath, layer: Layer,
                merged: Merged) -> None:
    for key, incoming in source.items():
        child = (*path, key)
        current = target.get(key)
        if type(current) is dict and _is_map(incoming):
            # Keys below that this layer does not mention keep the origin of whoever set them.
            merged.touched[child] = Origin(layer.name, layer.doc, (*layer.base, *child))
            _merge_into(current, incoming, child, layer, merged)
            continue
        if key in target:
            _forget(merged, child, current)
        if incoming is None:
            target.pop(key, None)
            continue
        target[key] = _copy_without_nulls(incoming)
        merged.sets[child] = Origin(layer.name, layer.doc, (*layer.base, *child))


def _is_map(value: Any) -> bool:
    return type(value) is dict or isinstance(value, Mapping)  # the exact type first: ABC checks are slow


def _copy_without_nulls(value: Any) -> Any:
    kind = type(value)
    if kind is str or kind is int or kind is bool:
        return value
    if _is_map(value):
        return {key: _copy_without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_copy_without_nulls(item) for item in value]
    return value


def _forget(merged: Merged, path: JsonPath, current: Any) -> None:
    """Drop the provenance of ``path`` and (for a map, the only kind merged into) below it."""
    merged.sets.pop(path, None)
    merged.touched.pop(path, None)
    if isinstance(current, dict):
        depth = len(path)
        for records in (merged.sets, merged.touched):
            for known in [known for known in records if len(known) > depth and known[:depth] == path]:
                del records[known]


def leaves(value: Any, path: JsonPath = ()) -> list[tuple[JsonPath, Any]]:
    """Every scalar of ``value`` with its path, in document order."""
    if isinstance(value, dict):
        return [leaf for key, item in value.items() for leaf in leaves(item, (*path, key))]
    if isinstance(value, list):
        if not value:
            return [(path, [])]
        return [leaf for index, item in enumerate(value) for leaf in leaves(item, (*path, index))]
    return [(path, value)]
