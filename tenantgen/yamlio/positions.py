"""Where each key and item of a tree file stands, for messages that name a line.

Only files that need a line number (a finding, ``explain``) are parsed for positions, with ruamel's
round-trip loader, whose nodes remember where each key and item stood.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import YAMLError

from tenantgen.json_path import JsonPath
from tenantgen.yamlio.reader import MAX_DEPTH, PlainScalarResolver, YamlProblem, decode


class _PositionConstructor(RoundTripConstructor):
    """ruamel's round-trip constructor, with timestamps kept as text as tenantgen reads them: an
    impossible date ("2024-13-45") is text to tenantgen, and must not fail here."""


_PositionConstructor.add_constructor("tag:yaml.org,2002:timestamp", RoundTripConstructor.construct_yaml_str)


def _round_trip_loader() -> YAML:
    yaml = YAML(typ="rt")
    yaml.Constructor = _PositionConstructor
    yaml.Resolver = PlainScalarResolver  # scalars resolve as tenantgen's reader resolves them ("-_" is text)
    yaml.allow_duplicate_keys = True  # positions only: duplicates were reported by the safe pass
    return yaml


class PositionIndex:
    """Line and column (1-based) of every key and item of one YAML document."""

    def __init__(self, positions: dict[JsonPath, tuple[int, int]]) -> None:
        self._positions = positions

    @classmethod
    def parse(cls, raw: bytes) -> PositionIndex:
        positions: dict[JsonPath, tuple[int, int]] = {}
        try:
            root = _round_trip_loader().load(io.StringIO(decode(raw)))
        except (YAMLError, YamlProblem, RecursionError, ValueError, OverflowError):
            return cls(positions)  # a file the reader refused: its finding has its own position
        for path, line, col in _walk_positions(root, ()):
            positions.setdefault(path, (line, col))
        return cls(positions)

    def locate(self, path: JsonPath) -> tuple[int, int]:
        """The position of ``path``, or of its nearest ancestor that is written in the file."""
        for end in range(len(path), 0, -1):
            found = self._positions.get(path[:end])
            if found:
                return found
        return (1, 1)

    def __contains__(self, path: JsonPath) -> bool:
        return path in self._positions


def _walk_positions(node: Any, path: JsonPath, depth: int = 0) -> Iterator[tuple[JsonPath, int, int]]:
    if depth > MAX_DEPTH:
        return
    if isinstance(node, CommentedMap):
        for key in node:
            line, col = node.lc.key(key)
            child = (*path, str(key))
            yield child, line + 1, col + 1
            yield from _walk_positions(node[key], child, depth + 1)
    elif isinstance(node, CommentedSeq):
        for index, item in enumerate(node):
            line, col = node.lc.item(index)
            child = (*path, index)
            yield child, line + 1, col + 1
            yield from _walk_positions(item, child, depth + 1)
