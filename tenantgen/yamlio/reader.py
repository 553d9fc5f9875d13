"""The one place that configures the YAML library.

Reading is two-speed: every file is parsed with ruamel's fast safe loader (libyaml underneath), and
only files that need a line number (a finding, ``explain``) are parsed again for positions
(``positions``). ruamel's libyaml is older than YAML 1.2 and Helm's reader in one respect: it refuses
a ":" inside a plain scalar of a flow collection (``[https://example.com]``, ``[oidc:team.devs]``).
What it refuses is read again by ruamel's own pure-Python parser, which follows YAML 1.2 there.

Scalars are read as YAML 1.2 reads them, except that timestamps stay the text they were written as
(YAML 1.2's core schema has none, and Helm keeps them as text too), and a plain scalar that Helm
(YAML 1.1) reads otherwise, such as ``yes`` or ``0755``, is refused with advice (``versions``).

Input is hostile until proven otherwise: size, nesting depth and alias expansion are bounded, text
must be UTF-8, and anything that is not plain JSON-like data is refused with a message. The one
exception is a file the user vouches for, such as a CRD file (``load_all_trusted``).
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.parser import ParserError
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.representer import SafeRepresenter
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.scanner import ScannerError
from ruamel.yaml.tag import Tag

from tenantgen.yamlio import emit as yamlemit
from tenantgen.yamlio import fast as fastyaml
from tenantgen.yamlio.versions import CONFLICT_TAG, plain_tag, version_conflict

MAX_FILE_BYTES = 1024 * 1024
MAX_DEPTH = 64
# Counted with aliases expanded, so a "billion laughs" file is stopped long before it is walked.
MAX_NODES = 200_000
# libyaml's composer recurses in C: ~40,000 nested collections overflow the C stack (a segfault, not
# an exception), and parse time grows with the square of the depth. A cheap scan of the text refuses
# anything near that before the parser sees it; MAX_DEPTH is then enforced exactly on the data.
SCAN_DEPTH = 1000
# Kubernetes integers are int64; bigger ones (0x followed by 5,000 digits is legal YAML) cannot even
# be printed in an error message (Python refuses int->str beyond 4,300 digits).
MAX_INT = 2**63 - 1
# Leading indentation plus compact block indicators ("- - - x", "? "): each nesting level costs at least
# one of these characters, so their count bounds a line's block depth.
_BLOCK_PREFIX = re.compile(r"^[ \t]*(?:[-?:](?:[ \t]+|$))*", re.MULTILINE)
_FLOW_BRACKETS = re.compile(r"[\[\]{}]")
# A line that starts with more block-prefix characters than SCAN_DEPTH: what a too deep line needs.
_DEEP_LINE = re.compile(rf"^[ \t?:-]{{{SCAN_DEPTH + 1}}}", re.MULTILINE)
# Control characters (tab and line breaks aside) and the non-characters U+FFFE/U+FFFF. YAML lets them
# in escaped ("\x7F"); Helm's toYaml then fails and silently renders the whole value as empty, and in
# names they reach terminals. No tenantgen value needs them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


_LIMITS = fastyaml.Limits(MAX_DEPTH, MAX_NODES, MAX_INT, _CONTROL)


@dataclass(frozen=True)
class YamlProblem(Exception):
    message: str
    line: int = 0
    col: int = 0
    code: str = "yaml"

    def __str__(self) -> str:
        return self.message


class PlainScalarResolver(VersionedResolver):
    """ruamel's resolver, with plain scalars tagged by ``versions.plain_tag`` (the fast reader's too):
    YAML 1.2 whatever a ``%YAML`` directive says, and a tag of their own for the scalars Helm reads
    otherwise, which the constructor refuses with the scalar's position. Explicitly tagged scalars
    (``!!str yes``) are not resolved, so they pass; so does anything quoted."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is ScalarNode and implicit[0] and isinstance(value, str):
            return Tag(suffix=plain_tag(value))
        return super().resolve(kind, value, implicit)


class _Constructor(SafeConstructor):
    """The safe constructor, reading the plain scalars ``=`` and ``<<`` (as a value) as text, and
    timestamps as the text they were written as.

    YAML 1.1 tags ``=`` and ``<<`` "value" and "merge", which have no safe constructor; Kubernetes reads
    them as strings, and Helm's toYaml writes them unquoted (a cluster role "=" renders as ``- =``).
    Helm (go-yaml v2) and YAML 1.2's core schema read ``2001-12-14 21:59:43.10 -5`` as text too.
    """

    def construct_plain_text(self, node: Any) -> Any:
        return self.construct_scalar(node)

    def construct_version_conflict(self, node: Any) -> Any:
        raise YamlProblem(version_conflict(node.value) or "", node.start_mark.line + 1, node.start_mark.column + 1,
                          "yaml-version")


_Constructor.add_constructor("tag:yaml.org,2002:value", _Constructor.construct_plain_text)
_Constructor.add_constructor("tag:yaml.org,2002:merge", _Constructor.construct_plain_text)
_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _Constructor.construct_plain_text)
_Constructor.add_constructor(CONFLICT_TAG, _Constructor.construct_version_conflict)


def _safe_loader(*, pure: bool = False) -> YAML:
    """ruamel's safe loader with tenantgen's resolver and constructor; ``pure``: its Python parser."""
    yaml = YAML(typ="safe", pure=pure)
    yaml.Constructor = _Constructor
    yaml.Resolver = PlainScalarResolver
    yaml.allow_duplicate_keys = False
    return yaml


def _parsed(text: str, compose: bool = False) -> list[Any]:
    """Every document of ``text`` (or its node graph, ``compose``), by libyaml, or by ruamel's Python
    parser where libyaml refuses the syntax: it reads a ":" inside a flow scalar as YAML 1.2 and Helm
    do. A text both refuse gets libyaml's message, as before; any other problem is the reader's."""
    try:
        loader = _safe_loader()
        return list(loader.compose_all(text) if compose else loader.load_all(text))
    except (ScannerError, ParserError) as refused:
        try:
            loader = _safe_loader(pure=True)
            return list(loader.compose_all(text) if compose else loader.load_all(text))
        except (ScannerError, ParserError):
            raise refused from None


def decode(raw: bytes) -> str:
    if len(raw) > MAX_FILE_BYTES:
        raise YamlProblem(
            f"file is {len(raw):,} bytes; tenantgen files may be at most {MAX_FILE_BYTES:,} bytes",
            code="too-large",
        )
    if b"\x00" in raw:
        raise YamlProblem("file is binary (it contains NUL bytes); expected UTF-8 YAML text", code="encoding")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise YamlProblem(
            f"file is not valid UTF-8 (byte {exc.start}); save it as UTF-8", line=line, col=1, code="encoding"
        ) from None
    return text.removeprefix("\ufeff")


def load_all(raw: bytes) -> list[Any]:
    """Parse every document of a YAML file into plain, checked data."""
    text = decode(raw)
    _check_nesting(text)
    fast = fastyaml.load_all(text, _LIMITS)  # within the limits ``_checked`` enforces, or None
    if fast is not None:
        return fast
    try:
        documents = _parsed(text)
    except MarkedYAMLError as exc:
        raise _problem_from(exc) from None
    except ReaderError as exc:  # a raw control character: its message spans lines and has no line number
        offset = exc.position if isinstance(exc.position, int) else 0
        line = text.count("\n", 0, offset) + 1
        col = offset - (text.rfind("\n", 0, offset) + 1) + 1
        character = f"U+{exc.character:04X}" if isinstance(exc.character, int) else "a character"
        raise YamlProblem(f"invalid YAML: {character} is not allowed ({exc.reason})", line, col,
                          "yaml-syntax") from None
    except YAMLError as exc:
        raise YamlProblem(f"invalid YAML: {' '.join(str(exc).split())}") from None
    except RecursionError:
        raise YamlProblem(f"nesting is too deep; at most {MAX_DEPTH} levels are allowed", code="too-deep") from None
    except (ValueError, OverflowError) as exc:
        # A scalar YAML resolves to a type whose constructor refuses it: "2024-13-45", a 5,000-digit int.
        line, col = _first_bad_node(text)
        raise YamlProblem(f"value cannot be read: {exc}; quote it to keep it as text", line, col,
                          "yaml-type") from None
    try:
        return [_checked(doc) for doc in documents]
    except YamlProblem as problem:
        if problem.line:
            raise
        line, col = _first_bad_node(text)
        raise YamlProblem(problem.message, line, col, problem.code) from None


def load_rendered(text: str) -> list[Any]:
    """``load_all`` for Helm's output: the same data and checks, parsed the way that is cheapest for
    it (see ``fastyaml.load_all``); anything unusual goes the ``load_all`` way."""
    _check_nesting(text)
    fast = fastyaml.load_all(text, _LIMITS, rendered=True)
    return fast if fast is not None else load_all(text.encode("utf-8"))


def load_all_trusted(text: str) -> list[Any]:
    """Every document of a large YAML file the user vouches for (a CRD file), as ruamel's safe loader
    reads it, with the C loader: none of ``load_all``'s bounds and checks, which are for the tree's
    hostile input and would cost seconds on files of 20,000 lines. Raises ``YamlProblem`` with
    ruamel's own message."""
    try:
        return list(YAML(typ="safe").load_all(text))
    except YAMLError as exc:
        raise YamlProblem(str(exc)) from exc


def _check_text(text: str) -> None:
    found = _CONTROL.search(text)
    if found:
        raise YamlProblem(f"text contains the control character U+{ord(found.group()):04X}; only printable "
                          "characters, tabs and line breaks are allowed", code="yaml-type")


def _check_nesting(text: str) -> None:
    if _DEEP_LINE.search(text):  # without such a line no block prefix is long enough: skip the scan
        for match in _BLOCK_PREFIX.finditer(text):
            if match.end() - match.start() > SCAN_DEPTH:
                raise _too_deep(text, match.start())
    if text.count("[") + text.count("{") <= SCAN_DEPTH:
        return
    depth = 0
    for match in _FLOW_BRACKETS.finditer(text):  # brackets inside strings count too: an upper bound
        depth = depth + 1 if match.group() in "[{" else max(0, depth - 1)
        if depth > SCAN_DEPTH:
            raise _too_deep(text, match.start())


def _too_deep(text: str, offset: int) -> YamlProblem:
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return YamlProblem(f"nesting is too deep; at most {MAX_DEPTH} levels are allowed", line, col, "too-deep")


def _first_bad_node(text: str) -> tuple[int, int]:
    """(line, col) of the first node ``_checked`` or the constructor refuses; (0, 0) if none is found.

    Only called once a file has failed: it walks the composed node graph, which still has positions.
    """
    yaml = _safe_loader()
    try:
        roots = _parsed(text, compose=True)
    except (YAMLError, RecursionError, ValueError):
        return (0, 0)
    budget = MAX_NODES
    # (node, depth, is_key), popped in document order
    stack: list[tuple[Node, int, bool]] = [(root, 0, False) for root in reversed(roots) if root is not None]
    while stack:
        node, depth, is_key = stack.pop()
        budget -= 1
        if budget < 0:
            return (0, 0)  # an alias bomb: no single line is to blame
        if depth > MAX_DEPTH or (_key_refused(yaml, node) if is_key else _refused(yaml, node)):
            return (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, MappingNode):
            for key, value in reversed(node.value):
                stack.append((value, depth + 1, False))
                if not key.tag.endswith(":merge"):
                    stack.append((key, depth + 1, True))
        elif isinstance(node, SequenceNode):
            stack.extend((item, depth + 1, False) for item in reversed(node.value))
    return (0, 0)


def _refused(yaml: YAML, node: Node) -> bool:
    if not isinstance(node, ScalarNode):
        return not str(node.tag).endswith((":map", ":seq", ":omap", ":pairs"))
    try:
        value = yaml.constructor.construct_object(node, deep=True)
    except Exception:  # noqa: BLE001 - any refusal is the answer we are looking for
        return True
    if isinstance(value, str):
        return bool(_CONTROL.search(value))
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return not -MAX_INT - 1 <= value <= MAX_INT
    return not (value is None or isinstance(value, (str, bool, int)))


def _key_refused(yaml: YAML, key: Node) -> bool:
    if not isinstance(key, ScalarNode):
        return True
    try:
        value = yaml.constructor.construct_object(key, deep=True)
    except Exception:  # noqa: BLE001
        return True
    return not isinstance(value, str) or bool(_CONTROL.search(value))


def _problem_from(exc: MarkedYAMLError) -> YamlProblem:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
    problem = exc.problem or "invalid YAML"
    if "duplicate key" in problem:
        return YamlProblem(f"{problem}; each key may appear once in a mapping", line, col, "duplicate-key")
    context = f" ({exc.context})" if exc.context else ""
    return YamlProblem(f"invalid YAML: {problem}{context}", line, col, "yaml-syntax")


def _checked(document: Any) -> Any:
    """Copy ``document`` into plain dict/list/scalars, enforcing depth, size and value types."""
    budget = [MAX_NODES]

    def walk(node: Any, depth: int) -> Any:
        budget[0] -= 1
        if budget[0] < 0:
            raise YamlProblem(
                f"document expands to more than {MAX_NODES:,} values (anchors and aliases included)",
                code="too-large",
            )
        if depth > MAX_DEPTH:
            raise YamlProblem(f"nesting is too deep; at most {MAX_DEPTH} levels are allowed", code="too-deep")
        if isinstance(node, Mapping):
            out: dict[str, Any] = {}
            for key, value in node.items():
                if not isinstance(key, str):
                    raise YamlProblem(f"mapping key {key!r} is not a string; quote it", code="yaml-type")
                _check_text(key)
                out[key] = walk(value, depth + 1)
            return out
        if isinstance(node, str):
            _check_text(node)
            return node
        if isinstance(node, list):
            return [walk(item, depth + 1) for item in node]
        if isinstance(node, float) and not math.isfinite(node):
            raise YamlProblem(f"{node!r} is not a finite number", code="yaml-type")
        if isinstance(node, int) and not isinstance(node, bool) and not -MAX_INT - 1 <= node <= MAX_INT:
            raise YamlProblem("integer is out of range (64-bit); quote it if it is text", code="yaml-type")
        if node is None or isinstance(node, (str, bool, int, float)):
            return node
        if isinstance(node, bytes):
            raise YamlProblem("binary (!!binary) values are not allowed", code="yaml-type")
        raise YamlProblem(f"unsupported YAML value of type {type(node).__name__}", code="yaml-type")

    return walk(document, 0)


class _Representer(SafeRepresenter):
    """ruamel's writer, quoting strings by ``yamlemit``'s rule (both YAML readers agree on them)."""

    def represent_quoted_str(self, data: str) -> Any:
        return self.represent_scalar("tag:yaml.org,2002:str", data, style=yamlemit.quote_style(data))


_Representer.add_representer(str, _Representer.represent_quoted_str)


def _output_dumper() -> YAML:
    yaml = YAML(typ="safe", pure=True)
    yaml.Representer = _Representer
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]  # keep the order the data was built in
    yaml.width = 4096  # long strings (regexes, policies) stay on one line: stable diffs
    yaml.allow_unicode = True
    return yaml


def dump(data: Any) -> str:
    """Deterministic block-style YAML for files tenantgen writes (see ``yamlemit`` for the quoting)."""
    return dump_all([data])


def dump_all(documents: list[Any]) -> str:
    fast = yamlemit.dump_all(documents)
    if fast is not None:
        return fast
    stream = io.StringIO()
    _output_dumper().dump_all(documents, stream)
    return stream.getvalue()
