"""The per-document checks, fast: the same verdicts as ``validate.check_documents``, sooner.

- A document whose bytes passed before (as the same kind, with the same tenantgen) is not checked
  again: the parse cache remembers its verdict.
- A compiled schema (``schema_compile``) answers "valid?" ten times faster than jsonschema; only a
  "no" needs jsonschema's messages.
- Many documents are checked in helper processes, which answer "clean" or not: no document's bytes,
  path or findings cross the process boundary (that cost more than the checks). The few that are
  not clean are checked again here, for their findings.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator

from tenantgen.credentials import any_credential
from tenantgen.fast.helpers import HelperPool
from tenantgen.fast.schema_compile import compile_schema
from tenantgen.findings import Finding
from tenantgen.load import Document, contains_null, document_data
from tenantgen.validate import (
    SCHEMA_FILE_OF_KIND,
    check_credentials,
    check_document,
    schema_documents,
    schema_of,
    strip_nulls,
)

PARALLEL_MIN = 1000  # documents to check below which helper processes are not worth starting
CHUNK = 250


class CachedDocumentCheck:
    """A ``validate.DocumentCheck`` that asks ``verdicts`` (a parse cache) first and records what
    passes, and uses ``pool`` for many documents."""

    def __init__(self, verdicts: Any | None = None, pool: HelperPool | None = None) -> None:
        self.verdicts, self.pool = verdicts, pool

    def __call__(self, docs: list[Document]) -> list[list[Finding]]:
        verdicts = self.verdicts
        results: list[list[Finding] | None] = [
            [] if verdicts is not None and verdicts.schema_clean(doc.raw, doc.kind) else None for doc in docs]
        todo = [index for index, result in enumerate(results) if result is None]
        if self.pool is not None and len(todo) >= PARALLEL_MIN:
            chunks = [[(docs[index].kind, docs[index].data) for index in todo[start:start + CHUNK]]
                      for start in range(0, len(todo), CHUNK)]
            clean = [verdict for chunk in self.pool.map(documents_clean, chunks) for verdict in chunk]
            checked = [[] if ok else check_documents([docs[index]])[0] for index, ok in zip(todo, clean, strict=True)]
        else:
            checked = check_documents([docs[index] for index in todo])
        for index, problems in zip(todo, checked, strict=True):
            results[index] = problems
            if not problems and verdicts is not None:
                verdicts.mark_schema_clean(docs[index].raw, docs[index].kind)
        return [result or [] for result in results]


def check_documents(docs: list[Document]) -> list[list[Finding]]:
    """``validate.check_documents``, with the compiled schema's "valid" sparing jsonschema's walk."""
    return [([] if _schema_clean(doc.kind, doc.data) else check_document(doc)) + check_credentials(doc)
            for doc in docs]


def clean_as(kind: str, documents: list[Any], may_hold_credential: bool = True) -> bool:
    """Whether a file of these parsed documents, loaded as a ``kind``, passes the per-document checks
    (``documents_clean``): what a helper that parsed a file can tell right away (see ``parse_cache``).
    ``may_hold_credential``: False when the file's text shows that none of its strings can look like
    a credential (``credentials.text_may_hold_credential``): they are then not looked at one by one."""
    present = [document for document in documents if document is not None]
    if len(present) != 1 or not isinstance(present[0], dict):
        return False  # the loader reports it
    document = present[0]
    if contains_null(document):  # (rare: a null is a merge directive) the way the loader keeps it
        return documents_clean([(kind, document_data(kind, document))])[0]
    # Without a null, the data is checked as it is: nothing to drop, no second look for nulls.
    return _valid_as(kind, document) and not (may_hold_credential and any_credential(document))


def documents_clean(items: list[tuple[str, Any]]) -> list[bool]:
    """For each (kind, data): whether ``check_documents`` would find nothing (a helper process runs
    this on its share of a large tree)."""
    return [_schema_clean(kind, data) and not any_credential(data) for kind, data in items]


def _schema_clean(kind: str, data: Any) -> bool:
    return _valid_as(kind, strip_nulls(data))


def _valid_as(kind: str, data: Any) -> bool:
    """``data`` (without nulls) passes the schema of ``kind``. The compiled predicate answers "valid?"
    ten times faster; a "no" (or no predicate) needs the messages of the full check."""
    valid = schema_predicate(kind)
    return valid is not None and bool(valid(data))


@cache
def schema_predicate(kind: str) -> Callable[[Any], bool] | None:
    """``validator_for(kind).is_valid``, compiled (see ``schema_compile``); None if it cannot be."""
    if kind not in SCHEMA_FILE_OF_KIND:
        return None
    return compile_schema(schema_of(kind), schema_documents(), Draft202012Validator.FORMAT_CHECKER)
