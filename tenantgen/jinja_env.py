"""The one place that builds Jinja environments: sandboxed, StrictUndefined, YAML-safe output.

Values reach templates only through the ``yaml`` filter, which emits JSON: every JSON value is a
valid YAML flow value, so no tenant string (quotes, newlines, ``{{``, ``: ``, ``#``) can change the
structure of the file it lands in.
"""

from __future__ import annotations

import json
from functools import cache
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from tenantgen.assets import templates_dir

# One encoder for every call: ``json.dumps`` with options builds a new one each time, which cost
# more than encoding the short values a template writes. A string goes straight to the function the
# encoder would call for it (most values are strings).
_ENCODE = json.JSONEncoder(ensure_ascii=False).encode


# JSON leaves NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR raw, but YAML reads them as line breaks
# (folding them, or breaking a flow collection): they go out as YAML escapes instead.
_YAML_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def yaml_value(value: Any) -> str:
    text = encode_basestring(value) if type(value) is str else _ENCODE(value)
    return text if text.isascii() else text.translate(_YAML_BREAKS)


@cache  # one per folder: a template is compiled once per process, not once per cluster
def environment(folder: Path | None = None) -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(
        loader=FileSystemLoader(str(folder or templates_dir())),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["yaml"] = yaml_value
    return env
