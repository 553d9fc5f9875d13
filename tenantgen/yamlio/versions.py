"""The plain scalars that Helm and YAML 1.2 read differently, and what to write instead.

tenantgen reads YAML 1.2 (ruamel's resolver). Helm, helmfile and Kubernetes read values with Go's
YAML reader (sigs.k8s.io/yaml over go-yaml v2), which keeps YAML 1.1's booleans (``yes``, ``on``,
``y`` ...), its octal integers (``0755``) and Go's number syntax (``0X1F``). A file copied between the
two worlds would silently change meaning, so tenantgen reads such a scalar neither way: written
plain, it is refused with a message that says how to write each meaning. Quoted, or with a ``!!str``
tag, it is text for every reader and passes.

Everything both read alike (``true``, ``null``, ``~``, ``0x1F``, ``0o17``, ``1_000``, ``1e3``, URLs and
``a:b`` inside flow collections) is read as both read it. Timestamps are text to both (tenantgen's
constructor keeps the text as written). ``helm_reads`` is go-yaml v2's resolver for plain scalars, as
far as its result reaches a chart through JSON; ``tests/test_yaml_as_helm.py`` holds it to Helm's
own reader.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Any

from ruamel.yaml import resolver as _ruamel_resolver

_STR, _NULL, _BOOL = "tag:yaml.org,2002:str", "tag:yaml.org,2002:null", "tag:yaml.org,2002:bool"
_INT, _FLOAT = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"

# ruamel's implicit resolvers for YAML 1.2 (its default): first character -> (tag, regexp).
ResolverTable = dict[str, list[tuple[str, re.Pattern[str]]]]  # first character -> [(tag, regexp)]
TABLE12: ResolverTable = {}
for _versions, _tag_name, _regexp, _first in _ruamel_resolver.implicit_resolvers:
    if (1, 2) in _versions:
        for _char in _first:
            TABLE12.setdefault(_char, []).append((_tag_name, re.compile(_regexp.pattern, _regexp.flags)))


def resolved_tag(table: ResolverTable, value: str) -> str:
    """The tag a YAML reader with these implicit resolvers gives the plain scalar ``value``."""
    for tag, regexp in table.get(value[:1], ()):
        if regexp.match(value):
            return tag
    return _STR


def resolve12(value: str) -> str:
    """The tag ruamel gives the plain scalar ``value`` under YAML 1.2."""
    return resolved_tag(TABLE12, value)


# go-yaml v2's resolve table (resolve.go): words first, then numbers by their first character.
YAML11_BOOLEANS: dict[str, bool] = {
    **dict.fromkeys(("y", "Y", "yes", "Yes", "YES", "on", "On", "ON"), True),
    **dict.fromkeys(("n", "N", "no", "No", "NO", "off", "Off", "OFF"), False),
}
_GO_WORDS: dict[str, Any] = {
    **YAML11_BOOLEANS, **dict.fromkeys(("true", "True", "TRUE"), True),
    **dict.fromkeys(("false", "False", "FALSE"), False), **dict.fromkeys(("", "~", "null", "Null", "NULL")),
    **dict.fromkeys((".nan", ".NaN", ".NAN"), math.nan), **dict.fromkeys((".inf", ".Inf", ".INF"), math.inf),
    **dict.fromkeys(("+.inf", "+.Inf", "+.INF"), math.inf), **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), -math.inf),
}
_GO_INT = re.compile(r"([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)")
_GO_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")  # yamlStyleFloat
_GO_DOT_FLOAT = re.compile(r"\.[0-9]+(?:[eE][-+]?[0-9]+)?")  # what Go's ParseFloat takes after a "."
_INT64 = 2**63
TEXT = object()  # what ``helm_reads`` gives for a scalar Go reads as a string
# The first characters of anything Go reads as other than text: the one test most text pays.
_GO_FIRST = frozenset("yYnNoOtTfF~.+-0123456789")
CONFLICT_TAG = "tag:tenantgen,2026:yaml-version-conflict"
_LONGEST = 64  # no number of 64 bits, in any notation, is longer (with a sign, a prefix and "_"s, nearly)  # tenantgen's resolvers' tag for a refused scalar


def _go_int(text: str) -> int | None:
    """Go's strconv.ParseInt(text, 0, 64), then ParseUint(text, 0, 64): the value, or None."""
    found = _GO_INT.fullmatch(text)
    if found is None:
        return None
    sign, digits = found.groups()
    if digits[:2].lower() in ("0x", "0o", "0b"):
        number = int(digits[2:], {"x": 16, "o": 8, "b": 2}[digits[1].lower()])
    else:
        number = int(digits, 8 if digits.startswith("0") else 10)  # a leading 0 is octal to Go
    number = -number if sign == "-" else number
    limit = 2 * _INT64 if sign == "" else _INT64  # ParseUint takes no sign
    return number if -_INT64 <= number < limit else None


def helm_reads(plain: str) -> Any:
    """What a chart sees for the plain scalar ``plain`` in a values file: a bool, None, an int, a
    float (non-finite ones make Helm refuse the file), or ``TEXT``."""
    if plain in _GO_WORDS:
        return _GO_WORDS[plain]
    first = plain[:1]
    if first == ".":
        return float(plain) if _GO_DOT_FLOAT.fullmatch(plain) and math.isfinite(float(plain)) else TEXT
    if first not in "+-0123456789":
        return TEXT  # timestamps too: go-yaml gives a chart the text they were written as
    digits = plain.replace("_", "")
    number = _go_int(digits)
    if number is not None:
        return number
    if _GO_FLOAT.fullmatch(digits) and math.isfinite(float(digits)):
        return float(digits)
    return TEXT


def tenantgen_reads(plain: str) -> Any:
    """What tenantgen reads for the plain scalar ``plain`` (ruamel's YAML 1.2 resolver), in the same
    terms as ``helm_reads``; a number ruamel's resolver matches but cannot convert (``-_``) is ``TEXT``."""
    tag = resolve12(plain)
    if tag == _NULL:
        return None
    if tag == _BOOL:
        return plain.lower() == "true"
    try:
        if tag == _INT:
            digits = plain.replace("_", "")
            sign = -1 if digits.startswith("-") else 1
            digits = digits.lstrip("+-")
            prefixes = {"0x": 16, "0o": 8, "0b": 2}
            base = prefixes.get(digits[:2], 10)
            return sign * int(digits[2:] if base != 10 else digits, base)
        if tag == _FLOAT:
            return float(plain.replace("_", ""))
    except ValueError:
        return TEXT
    return TEXT


def _same(helm: Any, tenantgen: Any) -> bool:
    if helm is TEXT or tenantgen is TEXT or isinstance(helm, bool) or isinstance(tenantgen, bool):
        return helm is tenantgen or (type(helm) is type(tenantgen) and helm == tenantgen)
    if helm is None or tenantgen is None:
        return helm is tenantgen
    # Numbers reach a chart through JSON: 1000 and 1000.0 are one number; a non-finite one is refused
    # by both (Helm cannot convert it; tenantgen says it is not a finite number).
    return bool(helm == tenantgen or (math.isnan(helm) and math.isnan(tenantgen)))


@lru_cache(maxsize=1 << 14)  # the same scalars recur in every file of a fleet
def plain_tag(plain: str) -> str:
    """The tag tenantgen's readers give the plain scalar ``plain``: ruamel's YAML 1.2 tag; ``CONFLICT_TAG``
    where Helm reads it otherwise; text where ruamel's resolver takes it for a number it cannot read."""
    if version_conflict(plain):
        return CONFLICT_TAG
    tag = resolve12(plain)
    if (tag == _INT or tag == _FLOAT) and len(plain) <= _LONGEST and tenantgen_reads(plain) is TEXT:
        return _STR
    return tag


def version_conflict(plain: str) -> str | None:
    """Why the plain scalar ``plain`` is refused, or None when Helm reads it as tenantgen does."""
    if plain[:1] not in _GO_FIRST or len(plain) > _LONGEST:
        return None  # a longer number is out of range to both, and refused as that
    helm, ours = helm_reads(plain), tenantgen_reads(plain)
    if _same(helm, ours):
        return None
    quoted = "'" + plain + "'"
    if isinstance(helm, bool):
        meaning = str(helm).lower()
        return (f"{plain!r} is {meaning} to Helm and Kubernetes (YAML 1.1) but the text {quoted} to YAML 1.2 "
                f"readers; write {meaning} for the boolean, or quote it ({quoted}) for the text")
    if ours is TEXT:
        return (f"{plain!r} is the number {_number(helm)} to Helm and Kubernetes but text to YAML 1.2 readers; "
                f"write {_number(helm)} for the number, or quote it ({quoted}) for the text")
    if helm is TEXT and not math.isfinite(ours):
        return (f"{plain!r} is text to Helm and Kubernetes but an infinite number to YAML 1.2 readers; "
                f"quote it ({quoted}) for the text")
    if helm is TEXT:
        return (f"{plain!r} is text to Helm and Kubernetes but the number {_number(ours)} to YAML 1.2 readers; "
                f"quote it ({quoted}) for the text, or write {_number(ours)} for the number")
    return (f"{plain!r} is {_number(helm)} to Helm and Kubernetes (YAML 1.1 reads a leading 0 as octal) but "
            f"{_number(ours)} to YAML 1.2 readers; write {_number(helm)} or {_number(ours)}, the number you mean, "
            f"or quote it ({quoted}) for the text")


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return str(value)
