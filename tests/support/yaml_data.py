"""Generated YAML-like data with the scalars YAML readers disagree on, for the reader and writer tests."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

TRICKY = ["yes", "no", "on", "off", "y", "n", "true", "True", "FALSE", "null", "Null", "~", "", "0", "-0", "+1",
          "012", "0o17", "0x1F", "0b11", "1_000", "1e3", "1.5", "-2.50", ".5", "1.", ".inf", "-.Inf", ".NaN",
          "12:30", "190:20:30", "2001-12-14", "2001-12-14t21:59:43.10-05:00", "=", "<<", "- a", "a: b", "a #b",
          "#c", "@x", "`x", "%x", "!x", "&x", "*x", "|", ">", "?", "? x", "[a]", "{a}", "a, b", "'q'", '"d"',
          "a\tb", "multi\nline", "trailing ", " leading", "é", "x" * 130, "*.example.com", "https://a.b/c?d=e",
          "p, proj:x:y, applications, get, x/*, allow", "{{ .Values.x }}", "$.spec[0]",
          # what Go's YAML reader (go-yaml v2) takes for numbers or booleans, and what it does not
          "Y", "N", "0X1F", "0O17", "_1", "1_", "0xFF", "-0b1", "+.5", "1:2", "inf", "NaN", "Infinity",
          "100m", "1.5Gi", "2h30m", "1e", "1.32.0", "10.0.0.1", "^(a|b)$", "a:", "a::b", "a :b", "\u2028x", "\x85",
          # timestamps in the forms the readers disagree on
          "2002-1-1", "2002-1-1T10:00:00Z", "2002-1-1 10:00:00", "2001-12-14 21:59:43.10 -5", "2001-12-14T21:59:43Z",
          "2001-12-14T21:59:43", "2001-12-14 21:59:43.5", "2002-12-1t1:2:3", "2002-1-12 1:02:03.5 +1",
          # numbers Go, ruamel and yaml_rs each end or read their own way
          "._5", "-._5", "_._1", "1e1_0", ".5e1", "-_", "+_", "._", "0b_", "0X", "0B00", "-0O17", "0_10", "1e+309",
          "08", "0o8", "-0x1F", "+_1", "1__", "1.e3",
          # what Helm and YAML 1.2 read alike inside flow collections too
          "oidc:team.devs", "https://github.com/org/repo", "a:b:c", "x#y", "-x", "a?b"]
scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20),
                    st.floats(allow_nan=False, allow_infinity=False), st.sampled_from(TRICKY),
                    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=20),
                    st.text("ab:-# '\"\n{}[],*&!|>?%@`=~.0123456789", max_size=12))
keys = st.one_of(st.sampled_from(TRICKY), st.text("abc-_./: ", min_size=0, max_size=8))
data = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                    st.dictionaries(keys, inner, max_size=4)), max_leaves=25)
documents = st.dictionaries(keys, data, max_size=6)


def same(left: Any, right: Any, ordered: bool = True) -> bool:
    """Equal, and of the same kinds (Python's ``True == 1`` and ``1 == 1.0`` would hide a misreading).

    ``ordered``: mappings also keep their keys in the same order (Go's maps have none)."""
    if isinstance(left, dict) and isinstance(right, dict):
        return ((list(left) == list(right)) if ordered else (set(left) == set(right))) and all(
            same(left[key], right[key], ordered) for key in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(same(a, b, ordered) for a, b in zip(left, right, strict=True))
    if isinstance(left, bool) or isinstance(right, bool) or isinstance(left, str) or isinstance(right, str):
        return type(left) is type(right) and left == right
    if isinstance(left, int | float) and isinstance(right, int | float):
        return left == right and (ordered is False or type(left) is type(right))
    return left is None and right is None
