"""A fast path for the YAML tenantgen reads most, with ruamel's results or none at all.

ruamel (``yamlio``) stays the reference; this module only makes the common cases cheaper. Reading
uses ruamel's own C parser (so exactly the same texts are valid YAML) but a lean constructor in
place of ruamel's general one (which costs most of the time), and the resolver ruamel's path uses
(``versions.plain_tag``). It accepts only plain strings, ``true``/``false``, nulls, decimal integers,
simple decimal floats, timestamps (as their text), lists and maps with unique string keys; anything
else (a scalar Helm reads otherwise, merge keys, hex or octal numbers, tags, a ``%YAML`` directive,
duplicate keys, aliases, a ":" inside a flow scalar, which ruamel's libyaml refuses) gives ``None`` and
the caller asks ruamel. With ``Limits`` it also
enforces the caller's bounds while it builds (depth, node count, integer range, refused characters),
so that accepted data needs no second walk: a document outside them gives ``None`` too, and the
caller's slow path words the problem. Rendered output (Helm's, read by the hundred thousand) goes
first to yaml_rs, a YAML 1.2 parser in Rust, when the text and the data it gives show nothing the
two could read differently (``_load_rust``); so do the files of the tree. ``tests/test_fastyaml.py`` checks the agreement on
generated data. (Writing is ``yamlemit``'s.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

from tenantgen.yamlio.versions import YAML11_BOOLEANS, plain_tag

try:  # ruamel's own libyaml binding: the parser that decides what is valid YAML stays ruamel's
    from _ruamel_yaml import CParser as _RuamelParser
except ImportError:  # pragma: no cover - ruamel without its C extension
    _RuamelParser = None

try:  # PyYAML with libyaml, for the parser of rendered output
    import yaml as _pyyaml
    from yaml._yaml import CParser as _PyyamlParser
except ImportError:  # pragma: no cover - PyYAML without libyaml
    _pyyaml = None
    _PyyamlParser = None

_yaml_rs: Any
try:  # a YAML 1.2 parser in Rust (see ``_load_rust``)
    import yaml_rs as _yaml_rs
except ImportError:  # pragma: no cover - a platform without its wheel
    _yaml_rs = None

_INT = re.compile(r"^[-+]?[0-9]+$")
_FLOAT = re.compile(r"^-?[0-9]+\.[0-9]+$")
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_STR, _NULL, _BOOL = "tag:yaml.org,2002:str", "tag:yaml.org,2002:null", "tag:yaml.org,2002:bool"
_INT_TAG, _FLOAT_TAG = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_MAP, _SEQ = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"

class Fallback(Exception):
    """The data needs ruamel: the fast path cannot promise the same result."""


@dataclass(frozen=True)
class Limits:
    """What loaded data must keep to (see ``yamlio``): anything beyond gives ``None``."""

    max_depth: int
    max_nodes: int
    max_int: int
    refused_text: re.Pattern[str]  # characters no string may contain: never printable ASCII

    def __post_init__(self) -> None:
        if self.refused_text.search(bytes(range(0x20, 0x7F)).decode("ascii")):
            raise ValueError("refused_text must not match printable ASCII (see _rust_may_read)")


def _scalar(tag: str, value: str) -> Any:
    if tag == _STR or tag == _TIMESTAMP_TAG:  # timestamps: the text as written (see ``yamlio``)
        return value
    if tag == _NULL:
        return None
    if tag == _BOOL and value in _BOOLS:
        return _BOOLS[value]
    if tag == _INT_TAG and _INT.match(value) and len(value) < 25:
        return int(value)  # as ruamel reads YAML 1.2 decimals: "012" is 12
    if tag == _FLOAT_TAG and _FLOAT.match(value) and len(value) < 25:
        return float(value)  # short enough to be finite
    raise Fallback


class _Builder:
    """Plain data from the nodes ruamel's C parser composed (the parser calls ``resolve``)."""

    limits: Limits | None = None
    check_strings = False  # whether strings may hold refused characters (the text has some, or escapes)
    budget = 0  # nodes left under ``limits.max_nodes``
    scalar_node: Any = ScalarNode
    mapping_node: Any = MappingNode
    sequence_node: Any = SequenceNode

    @staticmethod
    def tag_of(node: Any) -> str:
        tag = node.ctag
        return str(tag.suffix) if tag.handle is None else str(tag)

    def resolve(self, kind: Any, value: str | None, implicit: Any) -> str:
        if kind is self.scalar_node:
            # A tag ``_scalar`` does not know (a scalar Helm reads otherwise) sends the text to ruamel's
            # path, which words the refusal.
            return plain_tag(value or "") if implicit[0] else _STR
        return _MAP if kind is self.mapping_node else _SEQ

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        pass

    def ascend_resolver(self) -> None:
        pass

    def build(self, node: Any, memo: dict[int, Any], depth: int = 0) -> Any:
        limits = self.limits
        if limits is not None:
            self.budget -= 1
            if self.budget < 0 or depth > limits.max_depth:
                raise Fallback
        kind = type(node)
        if kind is self.scalar_node:  # immutable: an alias of a scalar needs no identity
            scalar = _scalar(self.tag_of(node), node.value)
            if limits is not None:
                if self.check_strings and type(scalar) is str and limits.refused_text.search(scalar):
                    raise Fallback
                if type(scalar) is int and not -limits.max_int - 1 <= scalar <= limits.max_int:
                    raise Fallback
            return scalar
        known = memo.get(id(node), memo)
        if known is not memo:
            if limits is not None:
                raise Fallback  # an alias: the caller's walk counts it expanded
            return known  # an alias: the same object, as ruamel gives it
        tag = self.tag_of(node)
        value: Any
        if kind is self.sequence_node and tag == _SEQ:
            value = memo[id(node)] = []
            value.extend(self.build(item, memo, depth + 1) for item in node.value)
        elif kind is self.mapping_node and tag == _MAP:
            value = memo[id(node)] = {}
            for key_node, value_node in node.value:
                if (type(key_node) is not self.scalar_node or self.tag_of(key_node) != _STR
                        or key_node.value in value):
                    raise Fallback  # merge keys, non-string or duplicate keys: ruamel's message
                if self.check_strings and limits is not None and limits.refused_text.search(key_node.value):
                    raise Fallback
                value[key_node.value] = self.build(value_node, memo, depth + 1)
        else:
            raise Fallback
        memo[id(node)] = value
        return value


def load_all(text: str, limits: Limits | None = None, *, rendered: bool = False) -> list[Any] | None:
    """Every document of ``text`` as plain data, or ``None`` when only ruamel can say.

    With ``limits``, a single document goes to yaml_rs first, when the text and the data show that
    it reads as the libyaml path does (``_load_rust``): four times faster than ruamel's parser.

    ``rendered``: the text is Helm's output, not a file of the tree. It is then parsed by PyYAML's
    libyaml binding, whose nodes cost half as much to build as ruamel's: rendered objects are
    parsed by the hundred thousand, and what decides whether they are valid is the API server's
    YAML reader anyway, not ruamel's. The files of the tree stay with ruamel's parser where yaml_rs
    declines, and a flow collection yaml_rs might read otherwise (``_flow_may_read_otherwise``) is not
    given to it.
    """
    loader_class = _output_loader_class() if rendered else _loader_class()
    if loader_class is None or text.startswith("%") or "\n%" in text:
        return None  # a %YAML 1.1 directive changes how scalars resolve
    if limits is not None and (rendered or not _flow_may_read_otherwise(text)):
        fast = _load_rust(text, limits)
        if fast is not None:
            return fast
    loader = loader_class(text)
    if limits is not None:
        loader.limits = limits
        # Only an escape in a double-quoted string can make a character the text does not hold.
        loader.check_strings = "\\" in text or limits.refused_text.search(text) is not None
    try:
        documents = []
        while loader.check_node():
            if limits is not None:
                loader.budget = limits.max_nodes  # per document, as the caller counts
            documents.append(loader.build(loader.get_node(), {}))
        return documents
    except Exception:  # noqa: BLE001 - any doubt (syntax, types, recursion): ruamel decides
        return None
    finally:
        loader.dispose()


# Where yaml_rs and ruamel read a text differently, or where its result could not show what ruamel
# refuses. Each is looked for only when a cheap test of the text says it may be there (regular
# expressions that start with a character class or a look-behind scan slowly: each below is led by
# the literal it is about, and looks behind from there).
# Tags, anchors and aliases: "&", "*" or "!" at the start or after a space, "[", "{" or ",", then more.
_NODE_PROPERTY = {mark: re.compile(re.escape(mark) + r"(?<![^\s\[{,]" + re.escape(mark) + r")\S") for mark in "&*"}
# A tag, the non-specific "!" alone too ("! 0": ruamel resolves the scalar, yaml_rs keeps it text).
_NODE_PROPERTY["!"] = re.compile(r"!(?<![^\s\[{,]!)")
# Anything shaped like a date: ruamel resolves "2024-13-45" or "2024-1-2 3:4:5" as a timestamp (and
# refuses the impossible ones), where yaml_rs gives a string. Led by the literal "-", so that it
# scans quickly.
_TIMESTAMP = re.compile(r"-(?<=[0-9]{4}-)[0-9][0-9]?-[0-9]")
# A plain scalar that starts with "0" and another digit or "_", alone or after a sign ("0755", "-010"):
# an octal number to Helm that yaml_rs reads as a decimal, where tenantgen refuses it (``versions``).
# Led by the literal "0", then looking behind for where a scalar can start.
_LEADING_ZERO = re.compile(r"0(?:(?<![^\s\[{,]0)|(?<=[\s\[{,][-+]0)|(?<=^[-+]0))[0-7_]")
# Numbers with a leading underscore (yaml_rs reads "_1" as 1, "-_1" as -1): an "_" before a digit or
# "_" that follows no word character or "." (a sign is neither, so "-_1" is found by its "_").
_UNDERSCORE_NUMBER = re.compile(r"_(?<![\w.]_)[0-9_]")
# An "_" next to a digit or "." ("1_000", "1e1_0", "_._1"), or a "." that starts a number (".5e1"):
# readers differ on where such numbers end (yaml_rs, ruamel and Go each have their own rules), and
# tenantgen refuses those Helm reads otherwise (``versions``). Led by their literals, like the rest.
_NUMBER_UNDERSCORE = re.compile(r"_(?:(?<=[0-9.]_)|(?=[0-9.]))")
_DOT_NUMBER = re.compile(r"\.(?<![^\s\[{,+-]\.)[0-9]")
# A backslash that is not one of the escapes \\, \", \n, \t: other escapes could make characters the
# text does not hold (and would need the same reading in both parsers). Regexes in rendered objects
# are written with "\\."; a backslash in a plain or single-quoted scalar lands here too (by chance).
_OTHER_ESCAPE = re.compile(r'\\[^"nt]')
_BLOCK_SCALAR_STARTS = tuple(before + after for before in (": ", "- ", "? ") for after in "|>")
# Characters a scalar may not start with in libyaml (":" and "?" only in flow collections), after a
# space, a line break, "[", "{" or ",".
_INDICATORS = ":?|>@`%"
_INDICATOR_STARTS = {mark: re.compile(re.escape(mark) + r"(?<=[ \n\[{,]" + re.escape(mark) + ")") for mark in _INDICATORS}
# The ASCII characters no refused-character pattern of ``yamlio`` matches: tab, line breaks, printable.
_ASCII_ALLOWED = bytes([9, 10, 13, *range(0x20, 0x7F)])


# What yaml_rs may read otherwise than tenantgen's parsers inside a flow collection: any "?"; a ":"
# followed by a character that could end or start something ("[a:]", "{a:#b}", "{a::b}"); a ":" right
# after a quoted key ('{"a":b}'). A ":" inside a scalar, before a letter, digit or one of / . _ ~ % + = @ -
# ("[https://example.com/org]", "[oidc:team.devs]"), is read alike by yaml_rs, YAML 1.2 and Helm.
_INNER_INDICATOR = re.compile(r":[^\s0-9A-Za-z/._~%+=@-]|\?|[\"']:")


def _flow_may_read_otherwise(text: str) -> bool:
    """Whether yaml_rs may read a flow collection of ``text`` otherwise than tenantgen's parsers
    (libyaml, and ruamel's Python parser where libyaml refuses a ":" inside a flow scalar), or accept
    what they refuse. Flow collections are looked at line by line, from their first bracket on; one
    that does not close on its line (or a stray bracket) counts as a "maybe"."""
    start = 0
    while True:  # from one line's first bracket to its end, for each line with one (the rest is skipped)
        found = [index for index in (text.find("[", start), text.find("{", start)) if index >= 0]
        if not found:
            return False
        end = text.find("\n", min(found))
        flow = text[min(found):end if end >= 0 else len(text)]
        if flow.count("[") != flow.count("]") or flow.count("{") != flow.count("}"):
            return True
        if _INNER_INDICATOR.search(flow):
            return True
        if end < 0:
            return False
        start = end + 1


def _rust_may_read(text: str, limits: Limits) -> bool:
    """Whether yaml_rs reads ``text`` as ruamel does, as far as the text alone tells.

    What it tells only once read (timestamps, which yaml_rs then gives as dates; out-of-range
    numbers; non-string keys) ``_nodes`` finds in the data.
    """
    if "<<" in text or "\n---" in text or "\n..." in text or text.startswith(("---", "...")):
        return False  # a merge key or a document marker
    if "0X" in text or "0O" in text or "0B" in text:
        return False  # yaml_rs reads upper-case radix prefixes as numbers
    if "\t" in text:
        return False  # YAML 1.2 allows tabs in places libyaml (and Go's reader) refuses them
    if ("|" in text or ">" in text) and (any(start in text for start in _BLOCK_SCALAR_STARTS)
                                         or text.startswith(("|", ">"))):
        return False  # yaml_rs reads an empty "|" block as "\n" (libyaml: ""); rare in rendered objects
    flow = "{" in text or "[" in text
    for indicator in _INDICATORS if flow else _INDICATORS[2:]:
        if indicator in text and _INDICATOR_STARTS[indicator].search(text):
            return False  # "[|]", "{:x: 1}": YAML 1.2 lets some scalars start so, libyaml does not
    if flow and (":," in text or ":]" in text or ":}" in text):
        return False  # "[a:, x]": YAML 1.2 reads "a:" as a key, libyaml refuses it
    if any(mark in text and pattern.search(text) for mark, pattern in _NODE_PROPERTY.items()):
        return False
    if "0" in text and _LEADING_ZERO.search(text):
        return False
    if "_" in text and (_UNDERSCORE_NUMBER.search(text) or _NUMBER_UNDERSCORE.search(text)):
        return False
    if "." in text and _DOT_NUMBER.search(text):
        return False
    if "-" in text and _TIMESTAMP.search(text):
        return False
    # Escapes pair up left to right: without the "\\\\" pairs, any backslash left must start \", \n or \t.
    if "\\" in text and _OTHER_ESCAPE.search(text.replace("\\\\", "")):
        return False
    if text.isascii():  # refused characters can only be in the text itself; bytes.translate is quick
        return not text.encode("ascii").translate(None, _ASCII_ALLOWED)
    if any(char in text for char in "\x85\u2028\u2029\ufeff"):
        return False  # line breaks (and a byte order mark) to libyaml, ordinary characters to yaml_rs
    return limits.refused_text.search(text) is None


def _load_rust(text: str, limits: Limits) -> list[Any] | None:
    """One document read by yaml_rs, when its data is exactly what ruamel would give.

    The text is screened first (``_rust_may_read``), the data after: string keys only, the depth,
    node count and integer range of ``limits``, finite floats, nothing but plain types (a timestamp
    comes back as a date: ruamel's path reads it). A "no" anywhere gives ``None`` (the libyaml path
    decides).
    """
    if _yaml_rs is None or not _rust_may_read(text, limits):
        return None
    try:
        data = _yaml_rs.loads(text)
        if data is None or _nodes(data, 0, limits) > limits.max_nodes:
            return None
    except Exception:  # noqa: BLE001 - a syntax error, duplicate key or anything outside the limits
        return None
    return [data]


def _nodes(node: Any, depth: int, limits: Limits) -> int:
    """How many nodes ``node`` holds; raises ``Fallback`` on anything ruamel's path would not give."""
    kind = type(node)
    if kind is dict or kind is list:
        if depth >= limits.max_depth:
            raise Fallback
        count = 1
        for key in node if kind is dict else ():
            if type(key) is not str or key in YAML11_BOOLEANS:
                raise Fallback
        for item in node.values() if kind is dict else node:
            count += _nodes(item, depth + 1, limits)
        return count
    if kind is str:
        if node in YAML11_BOOLEANS:
            raise Fallback  # "yes" may have been plain (refused) or quoted: the other path can tell
        return 1
    if kind is bool or node is None:
        return 1
    if kind is int and -limits.max_int - 1 <= node <= limits.max_int:
        return 1
    if kind is float and node - node == 0:  # finite
        return 1
    raise Fallback


@cache
def _loader_class() -> Any:
    return type("_Loader", (_RuamelParser, _Builder), {}) if _RuamelParser is not None else None


@cache
def _output_loader_class() -> Any:
    if _pyyaml is None or _PyyamlParser is None:
        return None
    nodes = _pyyaml.nodes
    return type("_OutputLoader", (_PyyamlParser, _Builder), {
        "scalar_node": nodes.ScalarNode, "mapping_node": nodes.MappingNode, "sequence_node": nodes.SequenceNode,
        "tag_of": staticmethod(lambda node: node.tag)})
