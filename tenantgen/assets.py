"""Where the non-Python assets (schemas, templates, charts) live.

An installed wheel carries them under ``tenantgen/_assets``; a source checkout (editable install,
tests) has them at the repository root. Nothing else in the package knows about the difference.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path


@cache
def assets_root() -> Path:
    packaged = Path(str(files("tenantgen"))) / "_assets"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent


def schemas_dir() -> Path:
    return assets_root() / "schemas"


def templates_dir() -> Path:
    return assets_root() / "templates"


def charts_dir() -> Path:
    return assets_root() / "charts"
