"""A fast path for the YAML that tenantgen reads and writes most: libyaml through PyYAML's C bindings.

ruamel (``yamlio``) stays the reference. The fast path gives exactly what ruamel would have given, or
nothing: whenever the data holds anything whose treatment could differ between the two libraries it
returns ``None`` and the caller takes ruamel's path. What makes the two agree:

- scalars are resolved with ruamel's own YAML 1.2 implicit-resolver table (so ``yes``, ``on`` and
  ``1:20`` are strings, as ruamel reads and writes them);
- reading accepts only plain strings, ``true``/``false``, nulls, decimal integers and simple decimal
  floats, maps with unique string keys and lists; anything else (timestamps, merge keys, hex, tags,
  a ``%YAML`` directive, duplicate keys) falls back;
- writing accepts only dicts, lists, ints, bools, ``None`` and printable ASCII strings without a single
  quote (ruamel prefers double quotes for those; libyaml single quotes), no shared sub-objects.

Both libraries wrap the same libyaml parser and emitter algorithm; ``tests/test_fastyaml.py`` checks
the agreement on generated data.
"""

from __future__ import annotations

import io
import re
from typing import Any

try:  # PyYAML with libyaml: without it there is no fast path, only ruamel
    import yaml as _yaml
    from yaml.cyaml import CEmitter as _CEmitter
    from yaml.cyaml import CParser as _CParser
except ImportError:  # pragma: no cover - PyYAML without libyaml
    _yaml = None  # type: ignore[assignment]

from ruamel.yaml import resolver as _ruamel_resolver
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

try:  # ruamel's own libyaml binding: the parser that decides what is valid YAML stays ruamel's
    from _ruamel_yaml import CParser as _RuamelParser
except ImportError:  # pragma: no cover - ruamel without its C extension
    _RuamelParser = None

MAX_STRING = 1000  # longer strings are folded at the line width: leave those to ruamel
_INT = re.compile(r"^[-+]?[0-9]+$")
_FLOAT = re.compile(r"^-?[0-9]+\.[0-9]+$")
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_STR, _NULL, _BOOL = "tag:yaml.org,2002:str", "tag:yaml.org,2002:null", "tag:yaml.org,2002:bool"
_INT_TAG, _FLOAT_TAG = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
_MAP, _SEQ = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"


class Fallback(Exception):
    """The data needs ruamel: the fast path cannot promise the same result."""


def available() -> bool:
    return _yaml is not None


if _yaml is not None:

    class _Resolver12(_yaml.resolver.BaseResolver):
        """What the emitter asks before writing a string plain: ruamel's YAML 1.2 answer."""

        def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
            if kind is _yaml.ScalarNode:
                return resolve12(value) if implicit[0] else _STR
            return _MAP if kind is _yaml.MappingNode else _SEQ

    class _Representer(_yaml.representer.BaseRepresenter):
        def represent_data(self, data: Any) -> Any:
            kind = type(data)
            if kind is str:
                if len(data) > MAX_STRING or "'" in data or not data.isascii():
                    raise Fallback
                if data.isprintable():
                    return _yaml.ScalarNode(_STR, data)
                if data.replace("\n", "").isprintable():
                    # Never plain; ruamel then prefers double quotes ("a\nb"), libyaml single ones.
                    return _yaml.ScalarNode(_STR, data, style='"')
                raise Fallback
            if kind is dict:
                if id(data) in self.represented_objects:
                    raise Fallback  # shared: ruamel would write an anchor
                self.represented_objects[id(data)] = None
                self.object_keeper.append(data)
                pairs = [(self._key(key), self.represent_data(value)) for key, value in data.items()]
                return _yaml.MappingNode(_MAP, pairs, flow_style=not pairs or None)
            if kind is list:
                if id(data) in self.represented_objects:
                    raise Fallback
                self.represented_objects[id(data)] = None
                self.object_keeper.append(data)
                items = [self.represent_data(item) for item in data]
                return _yaml.SequenceNode(_SEQ, items, flow_style=not items or None)
            if kind is bool:
                return _yaml.ScalarNode(_BOOL, "true" if data else "false")
            if kind is int:
                return _yaml.ScalarNode(_INT_TAG, str(data))
            if data is None:
                return _yaml.ScalarNode(_NULL, "null")
            raise Fallback  # floats (repr differs), tuples, subclasses, anything else

        def _key(self, key: Any) -> Any:
            if type(key) is str and "\n" in key:
                raise Fallback  # a multi-line key: a complex key, left to ruamel
            return self.represent_data(key)

    class _Dumper(_CEmitter, _Representer, _Resolver12):  # type: ignore[misc]
        def __init__(self, stream: Any) -> None:
            _CEmitter.__init__(self, stream, canonical=False, indent=None, width=4096, allow_unicode=True,
                               line_break=None, encoding=None, explicit_start=None, explicit_end=None,
                               version=None, tags=None)
            _Representer.__init__(self, default_style=None, default_flow_style=False, sort_keys=False)
            _Resolver12.__init__(self)


_TABLE12: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
for _versions, _tag, _regexp, _first in _ruamel_resolver.implicit_resolvers:
    if (1, 2) in _versions:
        _compiled = re.compile(_regexp.pattern, _regexp.flags)
        for _char in _first:
            _TABLE12.setdefault(_char, []).append((_tag, _compiled))


def resolve12(value: str) -> str:
    """The tag ruamel gives the plain scalar ``value`` under YAML 1.2."""
    for tag, regexp in _TABLE12.get(value[:1], ()):
        if regexp.match(value):
            return tag
    return _STR


def _scalar(tag: str, value: str) -> Any:
    if tag == _STR:
        return value
    if tag == _NULL:
        return None
    if tag == _BOOL and value in _BOOLS:
        return _BOOLS[value]
    if tag == _INT_TAG and _INT.match(value):
        return int(value)
    if tag == _FLOAT_TAG and _FLOAT.match(value):
        return float(value)
    raise Fallback


if _RuamelParser is not None:

    class _Loader(_RuamelParser):  # type: ignore[misc]
        """ruamel's C parser (so the same texts are valid), a lean resolver and constructor."""

        def resolve(self, kind: Any, value: str | None, implicit: Any) -> str:
            if kind is ScalarNode:
                return resolve12(value or "") if implicit[0] else _STR
            return _MAP if kind is MappingNode else _SEQ

        def descend_resolver(self, current_node: Any, current_index: Any) -> None:
            pass

        def ascend_resolver(self) -> None:
            pass

        def build(self, node: Any, memo: dict[int, Any]) -> Any:
            known = memo.get(id(node), memo)
            if known is not memo:
                return known  # an alias: the same object, as ruamel gives it
            tag = node.ctag.suffix if node.ctag.handle is None else str(node.ctag)
            if type(node) is ScalarNode:
                value = _scalar(tag, node.value)
            elif type(node) is SequenceNode and tag == _SEQ:
                value = []
                memo[id(node)] = value
                value.extend(self.build(item, memo) for item in node.value)
            elif type(node) is MappingNode and tag == _MAP:
                value = {}
                memo[id(node)] = value
                for key_node, value_node in node.value:
                    if type(key_node) is not ScalarNode:
                        raise Fallback
                    key_tag = key_node.ctag.suffix if key_node.ctag.handle is None else str(key_node.ctag)
                    if key_tag != _STR or key_node.value in value:
                        raise Fallback  # merge or non-string keys, duplicates: ruamel's message
                    value[key_node.value] = self.build(value_node, memo)
            else:
                raise Fallback
            memo[id(node)] = value
            return value


def load_all(text: str) -> list[Any] | None:
    """Every document of ``text`` as plain data, or ``None`` when only ruamel can say."""
    if _RuamelParser is None or text.startswith("%") or "\n%" in text:
        return None  # a %YAML 1.1 directive changes how scalars resolve
    loader = _Loader(text)
    try:
        documents = []
        while loader.check_node():
            documents.append(loader.build(loader.get_node(), {}))
        return documents
    except Exception:  # noqa: BLE001 - any doubt (syntax, types, recursion): ruamel decides
        return None
    finally:
        loader.dispose()


def dump_all(documents: list[Any]) -> str | None:
    """Block-style YAML identical to ``yamlio``'s ruamel output, or ``None`` when not sure it would be."""
    if _yaml is None:
        return None
    stream = io.StringIO()
    dumper = _Dumper(stream)
    try:
        dumper.open()
        for data in documents:
            if type(data) is not dict:
                return None  # a bare scalar document ends with "..." in ruamel
            dumper.represent(data)
        dumper.close()
        return stream.getvalue()
    except (Fallback, RecursionError):
        return None
    finally:
        dumper.dispose()
