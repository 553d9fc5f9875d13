"""Helm's output -> one file per Kubernetes object, named ``<kind>-<name>.yaml``.

Both engines' output goes through here, so the files are the same whichever engine rendered them.
An object's file is Helm's own text for it, as ``helm template`` prints it (documents split and
trimmed the way Helm splits a manifest), under a ``# Source:`` line: what reviewers see in a diff is
what the chart wrote. Each document is still parsed, to name its file and to validate it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tenantgen.render.engine.interface import EngineError
from tenantgen.yamlio.reader import YamlProblem, load_rendered

# Helm's own document separator (releaseutil.SplitManifests): a line that starts with "---".
_SEPARATOR = re.compile(r"(?:^|\s*\n)---\s*")


@dataclass(frozen=True)
class RenderedObject:
    source: str  # "<chart>/templates/<file>"
    body: dict[str, Any]
    text: str  # Helm's text of this one document, trimmed
    file_name: str = ""


def split_documents(text: str) -> list[str]:
    """The documents of one rendered template, trimmed, empty ones dropped (as Helm does)."""
    text = text.strip()
    if not text.startswith("---") and "\n---" not in text:
        return [text] if text else []  # one document: the separator's regex is slow on long texts
    return [part for part in (piece.strip() for piece in _SEPARATOR.split(text)) if part]


def split_objects(rendered: dict[str, str]) -> list[RenderedObject]:
    objects: list[RenderedObject] = []
    for source in sorted(rendered):
        if source.endswith("NOTES.txt"):
            continue
        for document in split_documents(rendered[source]):
            try:
                parsed = load_rendered(document)
            except YamlProblem as problem:
                raise EngineError(f"{source}: rendered output is not valid YAML: {problem.message} "
                                  f"(line {problem.line})") from None
            bodies = [body for body in parsed if body is not None]
            if not bodies:
                continue  # only comments
            body = bodies[0]
            if (len(bodies) > 1 or not isinstance(body, dict) or not body.get("kind")
                    or not isinstance(body.get("metadata"), dict)):
                raise EngineError(f"{source}: rendered a document that is not a Kubernetes object")
            objects.append(RenderedObject(source, body, document))
    return _name_files(objects)


def _name_files(objects: list[RenderedObject]) -> list[RenderedObject]:
    named: list[RenderedObject] = []
    taken: set[str] = set()
    for obj in objects:
        kind = str(obj.body["kind"]).lower()
        meta = obj.body["metadata"]
        base = f"{kind}-{meta.get('name', 'unnamed')}"
        candidate = base
        if candidate in taken and meta.get("namespace"):
            candidate = f"{base}-{meta['namespace']}"
        counter = 2
        while candidate in taken:
            candidate = f"{base}-{counter}"
            counter += 1
        taken.add(candidate)
        named.append(RenderedObject(obj.source, obj.body, obj.text, candidate + ".yaml"))
    return named


def object_text(obj: RenderedObject) -> str:
    return f"# Source: {obj.source}\n{obj.text}\n"
