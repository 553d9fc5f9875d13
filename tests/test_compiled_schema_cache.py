"""Compiled schema checks kept in the user cache (``fast.schema_compile.CachedCompiler``): what is
loaded from the cache gives exactly the verdicts of a fresh compile, and a bad entry is made again."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from tenantgen.fast import schema_compile
from tenantgen.fast.schema_compile import SCHEMAS, CachedCompiler, compile_exact

DEFINITIONS = "https://example.test/definitions.json"
SCHEMA = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"$ref": f"{DEFINITIONS}#/$defs/dnsLabel", "maxLength": 12},
        "replicas": {"type": "integer", "minimum": 1},
    },
    "additionalProperties": False,
}
DOCUMENTS = {DEFINITIONS: {"$id": DEFINITIONS, "$defs": {"dnsLabel": {"type": "string", "pattern": "^[a-z]+$"}}}}
VALUES = [{"name": "web"}, {"name": "web", "replicas": 0}, {"name": "Web"}, {"name": "averyveryverylongname"},
          {"name": "web", "extra": 1}, {}, {"name": "web", "replicas": 3}]


def verdicts(compiler: object) -> list[bool]:
    predicate = compiler(SCHEMA, DOCUMENTS)  # type: ignore[operator]
    assert predicate is not None
    return [predicate(value) for value in VALUES]


def test_a_cached_check_gives_the_verdicts_of_a_fresh_compile(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    expected = verdicts(compile_exact)
    assert expected == [True, False, False, False, False, False, True]
    assert verdicts(CachedCompiler(tmp_path)) == expected  # made and stored
    assert len(list((tmp_path / SCHEMAS).iterdir())) == 1

    def no_compiling(*args: object, **kwargs: object) -> None:
        raise AssertionError("compiled again instead of loaded")

    monkeypatch.setattr(schema_compile, "_generate", no_compiling)
    assert verdicts(CachedCompiler(tmp_path)) == expected  # loaded (a new process would do the same)


def test_the_compiler_reaches_a_worker_as_its_folder(tmp_path: Path) -> None:
    compiler = CachedCompiler(tmp_path)
    verdicts(compiler)
    copy = pickle.loads(pickle.dumps(compiler))
    assert copy.folder == tmp_path and verdicts(copy) == verdicts(compile_exact)


def test_a_schema_beyond_the_compiler_is_remembered_as_such(tmp_path: Path) -> None:
    schema = {"type": "array", "prefixItems": [{"type": "string"}]}  # a 2020-12 keyword fastjsonschema ignores
    assert compile_exact(schema) is None
    assert CachedCompiler(tmp_path)(schema) is None
    assert CachedCompiler(tmp_path)(schema) is None


@pytest.mark.parametrize("damage", [b"garbage", b""])
def test_a_damaged_entry_is_made_again(tmp_path: Path, damage: bytes) -> None:
    verdicts(CachedCompiler(tmp_path))
    (entry,) = (tmp_path / SCHEMAS).iterdir()
    entry.write_bytes(entry.read_bytes()[:60] + damage)
    assert verdicts(CachedCompiler(tmp_path)) == verdicts(compile_exact)
    assert verdicts(CachedCompiler(tmp_path)) == verdicts(compile_exact)


def test_a_schema_that_changes_gets_an_entry_of_its_own(tmp_path: Path) -> None:
    compiler = CachedCompiler(tmp_path)
    verdicts(compiler)
    stricter = {**SCHEMA, "properties": {**SCHEMA["properties"], "replicas": {"type": "integer", "minimum": 5}}}
    predicate = CachedCompiler(tmp_path)(stricter, DOCUMENTS)
    assert predicate is not None and not predicate({"name": "web", "replicas": 3})
    assert len(list((tmp_path / SCHEMAS).iterdir())) == 2


def test_a_schema_s_validity_is_remembered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = {"type": "object", "properties": {"name": {"type": "text"}}}  # no such type
    assert CachedCompiler(tmp_path).valid_schema(SCHEMA) and not CachedCompiler(tmp_path).valid_schema(broken)

    def no_checking(self: object, schema: object) -> bool:
        raise AssertionError("checked again instead of remembered")

    monkeypatch.setattr(schema_compile.ExactCompiler, "valid_schema", no_checking)
    assert CachedCompiler(tmp_path).valid_schema(SCHEMA) and not CachedCompiler(tmp_path).valid_schema(broken)
