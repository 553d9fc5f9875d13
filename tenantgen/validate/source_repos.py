"""Whether an Argo CD ``sourceRepos`` glob reaches past the tenant's own repositories.

Argo CD lowercases and trims both the pattern and the repository URL (``NormalizeGitURL``) and
matches them as a glob with ``/`` as the separator (``IsSourcePermitted``). A pattern is too broad
when it can match a repository on another host, or every repository on its host: the guard then
sends the change to the platform team.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence

# Stand-ins for "any other repository": a pattern that matches one of them matches everything.
_PROBES = ("https://unrelated.invalid/zz-other/zz-other.git", "http://unrelated.invalid/zz-other",
           "git@unrelated.invalid:zz-other/zz-other.git", "ssh://git@unrelated.invalid/zz-other/zz-other.git",
           "oci://unrelated.invalid/zz-other/zz-other")
# Stand-ins for "any other repository on the same host", appended to the pattern's scheme, user and host.
_OTHER_PATHS = ("zz-other/zz-other", "zz-other/zz-other.git", "zz-other/zz-sub/zz-other")
# Where a URL's path begins: "scheme://[user@]host[:port]/" or scp-like "user@host:".
_AUTHORITY = re.compile(r"^(?:[^:/@]+://(?:[^/@]*@)?(?P<host>[^/]*)/|[^:/@]+@(?P<scp>[^:/]+):)")
WILDCARDS = "*?[{"


def too_broad(pattern: str) -> str | None:
    """Why an Argo CD sourceRepos glob is too broad (any host, or every repository on one); else None."""
    if pattern.startswith("!"):
        return None  # a deny rule narrows
    normalized = pattern.strip().lower()  # what Argo CD's NormalizeGitURL compares
    if normalized.startswith("!"):
        return "matches every repository (Argo CD reads it as a deny rule that allows all the others)"
    variants = _expand_braces(normalized)
    if _matches_any(variants, _PROBES):
        return "matches every repository"
    if not any(c in normalized for c in WILDCARDS):
        return None  # one exact repository
    authority = _AUTHORITY.match(normalized)
    if not authority:
        return "fixes no scheme and host, so it can match repositories on any host"
    if any(c in authority.group() for c in WILDCARDS):
        return "has a wildcard in its scheme, user or host, so it can match repositories on other hosts"
    if _matches_any(variants, [authority.group() + path for path in _OTHER_PATHS]):
        return f"matches every repository on {authority.group('host') or authority.group('scp')}"
    return None


def _matches_any(patterns: Sequence[str], urls: Sequence[str]) -> bool:
    # fnmatch's "*" also crosses "/", where Argo CD's does not: it errs on the side of "too broad".
    return any(fnmatch.fnmatchcase(url, pattern) for pattern in patterns for url in urls)


def _expand_braces(pattern: str) -> list[str]:
    # Argo CD's globs know {a,b} alternatives; fnmatch does not.
    match = re.search(r"\{([^{}]*)\}", pattern)
    if not match:
        return [pattern]
    out = []
    for option in match.group(1).split(","):
        out.extend(_expand_braces(pattern[:match.start()] + option + pattern[match.end():]))
    return out[:64]
