"""Generated YAML *text* (not data): plain scalars with ":", "#", "-" and "?" inside, URLs, group
names, numbers and words in flow and block style, for the tests that hold tenantgen's reading to
Helm's. Every plain scalar is written where both YAML 1.2 and Go's reader take it as one scalar; what
they then make of it (text, number, boolean) is the question the tests ask."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from tenantgen.yamlio.versions import TEXT, helm_reads, tenantgen_reads

_WORD = st.text("abcxyzABZ019", min_size=1, max_size=5)
_SAFE = "abcxyzABZ0189/._~%+=@-"  # may follow a ":" inside a flow scalar


def _joined(parts: list[str], separators: list[str]) -> str:
    text = parts[0]
    for part, separator in zip(parts[1:], separators, strict=False):
        text += separator + part
    return text


# Words joined by what a plain scalar may hold inside: ":" before a safe character, "#" after a
# non-space, "-", ".", "/", and (block style only) "?" and single spaces.
_FLOW_INNER = st.builds(_joined, st.lists(_WORD, min_size=1, max_size=4),
                        st.lists(st.sampled_from([":", "#", "-", ".", "/", "::", "-#", ":/", "_"]), max_size=3))
_BLOCK_INNER = st.builds(_joined, st.lists(_WORD, min_size=1, max_size=4),
                         st.lists(st.sampled_from([":", "#", "-", "?", " ", "?=", ":/", " -", " ?"]), max_size=3))
URLS = st.builds("{}://{}.example.com{}/{}".format, st.sampled_from(["https", "http", "ssh", "oci", "git+ssh"]),
                 _WORD, st.sampled_from(["", ":8443", ":22"]), _WORD)
GROUPS = st.builds("{}:{}.{}".format, st.sampled_from(["oidc", "sso", "github", "system:serviceaccount"]), _WORD, _WORD)
NUMBERS = st.one_of(st.integers(-(2**53), 2**53).map(str), st.sampled_from(
    ["1.5", "-2.25", "0.5", "+1", "1e3", "1E3", "-1.e2", "0x1F", "0o17", "0b101", "1_000", "08", "00", "-0", "12:30"]))
WORDS = st.sampled_from(["true", "False", "null", "NULL", "~", "yes", "No", "on", "OFF", "y", "N", "0755", "-012",
                         "0X1F", "=", "2001-12-14", "2001-12-14 21:59:43.10 -5", "a-b", "-x", "x-", "1.32.0",
                         "100m", "1.5Gi", "10.0.0.1"])


def _starts_plain(text: str) -> bool:
    return bool(text) and text[0] not in "-?:,[]{}#&*!|>'\"%@`" or text[:1] == "-" and text[1:2] not in ("", " ")


def is_plain(text: str) -> bool:
    """Whether ``text``, written plain after ``key: ``, is one plain scalar to any reader (in block style)."""
    return (_starts_plain(text) and text.isprintable() and ": " not in text and " #" not in text
            and not text.endswith((":", " ")) and not text.startswith(" "))


def scalar(flow: bool) -> st.SearchStrategy[str]:
    """Plain scalars that both readers take as one scalar in flow (``flow``) or block style."""
    inner = _FLOW_INNER if flow else _BLOCK_INNER
    return st.one_of(inner, URLS, GROUPS, NUMBERS, WORDS).filter(
        lambda text: _starts_plain(text) and not text.endswith((":", "#", " ", "?")))


def agreed(text: str) -> bool:
    """Whether Helm reads the plain scalar ``text`` as tenantgen does (tenantgen refuses the others)."""
    helm, ours = helm_reads(text), tenantgen_reads(text)
    return json_of(text, helm) == json_of(text, ours)


def json_of(text: str, reading: Any) -> str:
    """A reading as a chart's ``toJson`` shows it: integral floats are integers there (Go's JSON)."""
    if isinstance(reading, float) and reading.is_integer() and abs(reading) < 2**53:
        reading = int(reading)
    return json.dumps(text if reading is TEXT else reading)


def _keys(flow: bool) -> st.SearchStrategy[str]:
    return st.one_of(_WORD.map(lambda word: "k" + word), GROUPS, scalar(flow)).filter(
        lambda key: helm_reads(key) is TEXT and tenantgen_reads(key) is TEXT and ": " not in key
        and not key.startswith("?") and " #" not in key)


def _node(flow: bool) -> st.SearchStrategy[Any]:
    """A tree of ("scalar", text) / ("list", [...]) / ("map", [(key, node)]) with agreed plain scalars."""
    leaves = scalar(flow).filter(agreed).map(lambda text: ("scalar", text))
    return st.recursive(leaves, lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(lambda items: ("list", items)),
        st.lists(st.tuples(_keys(flow), inner), max_size=3, unique_by=lambda pair: pair[0]).map(
            lambda pairs: ("map", pairs))), max_leaves=8)


def flow_text(node: Any) -> str:
    kind, body = node
    if kind == "scalar":
        return str(body)
    if kind == "list":
        return "[" + ", ".join(flow_text(item) for item in body) + "]"
    return "{" + ", ".join(f"{key}: {flow_text(value)}" for key, value in body) + "}"


def block_lines(node: Any, indent: int) -> list[str]:
    """``node`` in block style, each line indented by ``indent`` (the caller puts it under its key)."""
    kind, body = node
    pad = " " * indent
    if kind == "scalar" or not body:
        return [pad + flow_text(node)]
    if kind == "list":
        lines = []
        for item in body:
            if item[0] == "scalar" or not item[1]:
                lines.append(f"{pad}- {flow_text(item)}")
            else:
                lines.append(f"{pad}-")
                lines.extend(block_lines(item, indent + 2))
        return lines
    lines = []
    for key, value in body:
        if value[0] == "scalar" or not value[1]:
            lines.append(f"{pad}{key}: {flow_text(value)}")
        else:
            lines.append(f"{pad}{key}:")
            lines.extend(block_lines(value, indent + 2))
    return lines


def document(entries: list[tuple[bool, Any]]) -> str:
    """One values file: key ``d<i>`` holds the i-th node, in flow or block style."""
    text = ""
    for index, (flow, node) in enumerate(entries):
        if flow or node[0] == "scalar" or not node[1]:
            text += f"d{index}: {flow_text(node)}\n"
        else:
            text += f"d{index}:\n" + "\n".join(block_lines(node, 2)) + "\n"
    return text


# (flow style?, node) pairs: the documents of one values file.
entries = st.lists(st.one_of(_node(True).map(lambda node: (True, node)), _node(False).map(lambda node: (False, node))),
                   min_size=1, max_size=12)
