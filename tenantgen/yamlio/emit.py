"""Block-style YAML that both of its readers read back as the data that was written.

tenantgen's files have two kinds of readers: tenantgen itself (ruamel, YAML 1.2) and Helm, helmfile,
Argo CD and the API server (Go's YAML reader, which keeps YAML 1.1's implicit types: ``on``, ``yes``,
``y`` and ``N`` are booleans there, ``0o17`` and ``1_000`` numbers). A values file that says
``backup: yes`` gives Helm ``true`` where tenantgen rendered the string ``"yes"``. So a string is
written plain only when it is a string under *both* readings and cannot be taken for anything else
(an indicator, a comment, a key); otherwise it is quoted: single quotes when it is printable on one
line, double quotes (JSON's escapes, which YAML shares) when not.

It is also the fast way to write: a direct walk of plain data (dicts, lists, strings, integers,
booleans, finite floats, ``None``) with a cached decision per string. Anything else (another type, a
non-string key, a cycle) gives ``None`` and ``yamlio`` writes it through ruamel, with the same quoting
rule for strings.
"""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from typing import Any

import yaml as _pyyaml

from tenantgen.yamlio.versions import ResolverTable, resolve12, resolved_tag

_STR = "tag:yaml.org,2002:str"
MAX_KEY = 1000  # YAML's simple keys stop at 1024 characters; longer ones are left to ruamel

# Words Go's YAML reader (go-yaml v2, behind sigs.k8s.io/yaml) resolves to booleans or null, beyond
# what PyYAML's YAML 1.1 table already knows (it has no single-letter booleans).
_GO_WORDS = frozenset({"y", "Y", "n", "N"})
# A plain scalar that is safe to write in block context: it starts with a letter, one of _ / ^ $ ( < = ;
# or a backslash (or any non-ASCII character), holds no quote, "#", tab or line break, and a ":" or a
# space is always followed by a character that cannot start a comment or end the scalar.
_PLAIN_TEXT = re.compile(r"(?:[A-Za-z_/^$(<=;\\]|[^\x00-\x7f])(?:[^\s:#'\"]|:(?=[^\s:])| (?=[^\s#:]))*")
# Strings that start like a number may still be plain when no reader can take them for one:
# quantities ("100m", "1.5Gi"; no exponent letter, no "0x"/"0o"/"0b" prefix) and dotted versions or
# addresses ("1.32.0", "10.0.0.1").
_PLAIN_NUMBERLIKE = re.compile(r"(?:[1-9][0-9]*(?:\.[0-9]+)?|0\.[0-9]+)[a-df-zA-DF-Z][A-Za-z]*"
                               r"|[0-9]+(?:\.[0-9]+){2,}")
_NOT_PRINTABLE = re.compile(r"[^\x20-\x7e]")

# PyYAML's YAML 1.1 implicit resolvers: first character -> [(tag, regexp)].
_TABLE11: ResolverTable = {
    char: [(str(tag), regexp) for tag, regexp in resolvers]
    for char, resolvers in _pyyaml.resolver.Resolver.yaml_implicit_resolvers.items() if char is not None}


class _Decline(Exception):
    """The data needs ruamel's writer."""


def plain_ok(value: str) -> bool:
    """Whether ``value`` may be written as a plain scalar: both readers take it as this very string."""
    if not value.isprintable() or value in _GO_WORDS:
        return False
    if not (_PLAIN_TEXT.fullmatch(value) or _PLAIN_NUMBERLIKE.fullmatch(value)):
        return False
    return resolve12(value) == _STR and resolved_tag(_TABLE11, value) == _STR


def quote_style(value: str) -> str | None:
    """How ``value`` is written: plain (None), single-quoted ("'") or double-quoted ('"')."""
    if plain_ok(value):
        return None
    return "'" if value.isprintable() and "'" not in value else '"'


@lru_cache(maxsize=1 << 16)  # keys and common values repeat across every release of a fleet
def string_text(value: str) -> str:
    """``value`` as a YAML scalar on one line, quoted only when it must be."""
    style = quote_style(value)
    if style is None:
        return value
    if style == "'":
        return f"'{value}'"
    quoted = json.dumps(value, ensure_ascii=False)  # every JSON escape is a YAML escape
    return _NOT_PRINTABLE.sub(_escape, quoted)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char.isprintable():  # most of Unicode: written as it is
        return char
    code = ord(char)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _scalar(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return string_text(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(value)
    if value is None:
        return "null"
    if kind is float and math.isfinite(value):
        text = repr(value)
        if "." not in text:  # "1e+20": a float in YAML 1.2 but a string in YAML 1.1
            mantissa, _, exponent = text.partition("e")
            text = f"{mantissa}.0e{exponent}"
        return text
    raise _Decline


def _key(key: Any) -> str:
    if type(key) is not str or len(key) > MAX_KEY:
        raise _Decline
    return string_text(key)


def _mapping(data: dict[Any, Any], indent: int, out: list[str]) -> None:
    pad = " " * indent
    for key, value in data.items():
        kind = type(value)
        if kind is dict and value:
            out.append(f"{pad}{_key(key)}:\n")
            _mapping(value, indent + 2, out)
        elif kind is list and value:
            out.append(f"{pad}{_key(key)}:\n")
            _sequence(value, indent, out)  # "- " under the key, as ruamel and libyaml write it
        else:
            out.append(f"{pad}{_key(key)}: {_collection_or_scalar(value)}\n")


def _sequence(data: list[Any], indent: int, out: list[str]) -> None:
    pad = " " * indent
    for item in data:
        kind = type(item)
        if (kind is dict or kind is list) and item:
            start = len(out)
            if kind is dict:
                _mapping(item, indent + 2, out)
            else:
                _sequence(item, indent + 2, out)
            out[start] = f"{pad}- {out[start][indent + 2:]}"  # the first line shares the dash's line
        else:
            out.append(f"{pad}- {_collection_or_scalar(item)}\n")


def _collection_or_scalar(value: Any) -> str:
    kind = type(value)
    if kind is dict:
        return "{}"  # empty: non-empty ones are written in block style by the caller
    if kind is list:
        return "[]"
    return _scalar(value)


def dump_all(documents: list[Any]) -> str | None:
    """The documents as block-style YAML, or ``None`` when they hold what only ruamel writes."""
    texts = []
    for data in documents:
        if type(data) is not dict:
            return None  # a bare scalar or list document: ruamel's way
        if not data:
            texts.append("{}\n")
            continue
        out: list[str] = []
        try:
            _mapping(data, 0, out)
        except (_Decline, RecursionError):
            return None
        texts.append("".join(out))
    return "---\n".join(texts)
