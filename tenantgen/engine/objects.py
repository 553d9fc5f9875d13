"""Helm's output -> one file per Kubernetes object, named ``<kind>-<name>.yaml``.

Both engines' output goes through here, so the files are the same whichever engine rendered them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tenantgen.engine import EngineError
from tenantgen.yamlio import YamlProblem, dump, load_all


@dataclass(frozen=True)
class RenderedObject:
    source: str  # "<chart>/templates/<file>"
    body: dict[str, Any]
    file_name: str = ""


def split_objects(rendered: dict[str, str]) -> list[RenderedObject]:
    objects: list[RenderedObject] = []
    for source in sorted(rendered):
        if source.endswith("NOTES.txt"):
            continue
        try:
            documents = load_all(rendered[source].encode("utf-8"))
        except YamlProblem as problem:
            raise EngineError(f"{source}: rendered output is not valid YAML: {problem.message} "
                              f"(line {problem.line})") from None
        for body in documents:
            if body is None:
                continue
            if not isinstance(body, dict) or not body.get("kind") or not isinstance(body.get("metadata"), dict):
                raise EngineError(f"{source}: rendered a document that is not a Kubernetes object")
            objects.append(RenderedObject(source, body))
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
        named.append(RenderedObject(obj.source, obj.body, candidate + ".yaml"))
    return named


def object_text(obj: RenderedObject) -> str:
    return f"# Source: {obj.source}\n{dump(obj.body)}"
