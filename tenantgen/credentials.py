"""Credential-looking text: refused in the input, and masked in every message tenantgen prints.

Repository credentials are only ever referenced (``repository.credentialsSecret`` names a Secret that
exists outside tenantgen). A value that looks like a credential (a token format, a private key, a URL
with a user and password) is a mistake in a tree that is committed to Git and rendered into a
GitOps repository: it is reported as a finding that says what it looks like, never what it is.

Detection is by shape, so it is best effort: a random password in a free-text field looks like text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from tenantgen.json_path import JsonPath

REDACTED = "<redacted>"

# (what it looks like, pattern). URL patterns keep the scheme and host when masked (group "user").
_URL_PASSWORD = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^\s/@:]*:[^\s/@]*)@")
_URL_TOKEN = re.compile(r"(?P<scheme>\b(?:[Hh][Tt][Tt][Pp][Ss]?|[Oo][Cc][Ii])://)(?P<user>[^\s/@:]+)@")
_TOKENS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})")),
    ("a GitLab token", re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}")),
    ("a Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("an AWS access key", re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b")),
    ("a JSON Web Token", re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}")),
    # The whole block, up to its END line (or to the end of the text when that is missing).
    ("a private key", re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----(?:.*?-----END [A-Z0-9 ]*PRIVATE KEY-----|.*)",
                                 re.DOTALL)),
    ("a password", re.compile(r"(?i)\b(?:password|passwd|pwd)\s*[=:]\s*[^\s,;]{4,}")),
)
# Field names whose values are credentials whatever they look like.
_SECRET_NAME = re.compile(r"(?i)(passw|passphrase|token|secret|private.?key|api.?key|access.?key|credential|bearer)")
_REFERENCE_NAMES = frozenset({"credentialsSecret"})  # names a Secret; holds no credential


# Text none of ``_TOKENS`` can match without: every string of a tree is looked at, and looking for
# these fixed marks (``in``) costs a fraction of one regular expression with as many alternatives.
_TOKEN_MARKS = ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-", "xox", "AKIA", "ASIA", "eyJ",
                "-----BEGIN ")
_MAYBE_PASSWORD = re.compile(r"(?i:passw|pwd)")  # case-insensitive as the password pattern is


def _maybe_token(text: str) -> bool:
    for mark in _TOKEN_MARKS:
        if mark in text:
            return True
    if text.isascii():  # (beyond ASCII, Unicode case folding has its own pairs: the pattern decides)
        lower = text.lower()
        return "passw" in lower or "pwd" in lower
    return _MAYBE_PASSWORD.search(text) is not None


# The marks without whitespace ("-----BEGIN" without its space), for ``text_may_hold_credential``.
_PIECE_MARKS = tuple(mark.strip() for mark in _TOKEN_MARKS)
_AFTER_SCHEME_AT = re.compile(r"://[^\s/@]*@")


def text_may_hold_credential(raw: bytes) -> bool:
    """Whether some key or string of the YAML file ``raw`` may look like a credential: False only
    when none can, told from the text alone, before it is parsed (most files of a tree are told so).

    Without a backslash a YAML text has no escape, so each of its strings is made of pieces of its
    lines (a quoted ``''`` gives ``'``), joined by a space or a line break when a scalar spans lines.
    What ``looks_like`` looks for first holds no whitespace: a mark, "passw" or "pwd", or what the
    URL patterns match. Found in a string, it lies in one piece, so the file's text holds it too.
    """
    if not raw.isascii() or b"\\" in raw:
        return True  # an escape can make text the file does not hold; beyond ASCII, case folding has its own pairs
    text = raw.decode("ascii")
    lower = text.lower()
    if any(mark in text for mark in _PIECE_MARKS) or "passw" in lower or "pwd" in lower:
        return True
    # Both URL patterns end in "://", then no whitespace, "/" or "@", then "@": so does a match of this.
    return "@" in text and _AFTER_SCHEME_AT.search(text) is not None


def looks_like(text: str) -> str | None:
    """What ``text`` looks like ("a GitHub token", ...), or None when it does not look like a credential."""
    if "@" in text and "://" in text:
        if _URL_PASSWORD.search(text):
            return "a URL with a user and password"
        if _URL_TOKEN.search(text):
            return "a URL with credentials (user or token before '@')"
    if _maybe_token(text):
        for what, pattern in _TOKENS:
            if pattern.search(text):
                return what
    return None


def secret_name(name: str) -> bool:
    """Whether a field called ``name`` would hold a credential (password, token, sshPrivateKey, ...)."""
    return name not in _REFERENCE_NAMES and bool(_SECRET_NAME.search(name))


def redact(text: str) -> str:
    """``text`` with every credential-looking part replaced by ``<redacted>``."""
    text = _URL_PASSWORD.sub(lambda m: f"{m.group('scheme')}{REDACTED}@", text)
    text = _URL_TOKEN.sub(lambda m: f"{m.group('scheme')}{REDACTED}@", text)
    for _, pattern in _TOKENS:
        text = pattern.sub(REDACTED, text)
    return text


def redact_value(value: Any) -> Any:
    """A copy of ``value`` safe to quote: secret-named fields blanked, credential-looking text masked."""
    if isinstance(value, dict):
        return {redact(str(key)): REDACTED if secret_name(str(key)) and item is not None else redact_value(item)
                for key, item in value.items()}
    if isinstance(value, list):
        return [redact_value(item) for item in value]
    if isinstance(value, str):
        return redact(value)
    return value


def any_credential(value: Any) -> bool:
    """Whether ``find_credentials(value)`` finds anything, in a fraction of its time.

    Every key and string is looked at in one text, joined by line breaks. Whatever a pattern matches
    in one string it matches in the joined text (a line break is a word boundary, as the ends of a
    string are), so a "no" for the whole text is a "no" for each part. A "yes" may come from two
    parts together (the password pattern allows line breaks after "password"): then each part is
    looked at alone.
    """
    strings: list[str] = []
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            strings.extend(str(key) for key in node)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, str):
            strings.append(node)
    return looks_like("\n".join(strings)) is not None and any(looks_like(text) for text in strings)


def find_credentials(value: Any, path: JsonPath = ()) -> Iterator[tuple[JsonPath, str]]:
    """(path, what it looks like) for every key or string under ``value`` that looks like a credential."""
    if isinstance(value, dict):
        for key, item in value.items():
            what = looks_like(str(key))
            if what:
                yield (*path, key), what
            yield from find_credentials(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from find_credentials(item, (*path, index))
    elif isinstance(value, str):
        what = looks_like(value)
        if what:
            yield path, what
