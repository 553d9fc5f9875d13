"""The one YAML module: every YAML parser and emitter of tenantgen is built here.

``load_all`` reads a tree file safely (limits on size, depth, nodes and aliases; duplicate keys and
unsafe values refused; positions kept for messages), ``load_rendered`` reads Helm's output,
``load_all_trusted`` large trusted files (CRDs), ``dump`` writes YAML that Helm reads back as it was.
The fast reader (``fast``) and the emitter (``emit``) are inside.
"""

from __future__ import annotations

from tenantgen.yamlio.positions import PositionIndex
from tenantgen.yamlio.reader import (
    MAX_FILE_BYTES,
    YamlProblem,
    dump,
    dump_all,
    load_all,
    load_all_trusted,
    load_rendered,
)

__all__ = [
    "MAX_FILE_BYTES",
    "PositionIndex",
    "YamlProblem",
    "dump",
    "dump_all",
    "load_all",
    "load_all_trusted",
    "load_rendered",
]
