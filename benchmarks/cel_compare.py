"""Compare two Python CEL libraries on every x-kubernetes-validations rule of a folder of CRDs.

    python benchmarks/cel_compare.py ../shared/crds            # needs cel-python installed beside tenantgen

For each CRD version: how many rules compile, and how many evaluate to a boolean on a sample object
made from the schema, with common-expression-language alone, with the Kubernetes functions tenantgen
registers on it (render/checks/cel_library.py), and with cel-python; which functions each lacks; and
the time of one evaluation. Transition rules (oldSelf) get ``oldSelf`` bound to the same sample.
The result went into docs/cel.md.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import cel

from tenantgen.render.checks.cel_library import compile_rule, new_context
from tenantgen.render.checks.schemas import load_crds

_MISSING = re.compile(r"(?:Undefined variable or function: |undeclared reference to )'([^']+)'")
_DEPTH = 8


def sample(schema: Any, depth: int = 0) -> Any:
    """A value that fits ``schema``: every property present, one element per list or map."""
    if not isinstance(schema, Mapping) or depth > _DEPTH:
        return None
    if "default" in schema:
        return schema["default"]
    if schema.get("enum"):
        return schema["enum"][0]
    if schema.get("x-kubernetes-int-or-string"):
        return "1"
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        value = {name: sample(sub, depth + 1) for name, sub in (schema.get("properties") or {}).items()}
        if isinstance(schema.get("additionalProperties"), Mapping):
            value["key"] = sample(schema["additionalProperties"], depth + 1)
        return {k: v for k, v in value.items() if v is not None}
    if kind == "array":
        item = sample(schema.get("items"), depth + 1)
        return [] if item is None else [item]
    return {"integer": 1, "number": 1.0, "boolean": True, "string": "1"}.get(str(kind), "1")


def located_rules(schema: Any, depth: int = 0) -> Iterator[tuple[str, Any]]:
    """(rule, the schema node it sits on), for every rule under ``schema``."""
    if not isinstance(schema, Mapping) or depth > 40:
        return
    for entry in schema.get("x-kubernetes-validations") or []:
        yield entry["rule"], schema
    for sub in (schema.get("properties") or {}).values():
        yield from located_rules(sub, depth + 1)
    for key in ("items", "additionalProperties"):
        yield from located_rules(schema.get(key), depth + 1)


# The Kubernetes CEL libraries (and CEL features) a CRD rule may use, each with a probe that is true
# when the library has it; ``self`` is {"a": 1}.
PROBES = {
    "has(), macros (all/exists/filter)": "has(self.a) && [1, 2].all(x, x > 0) && [1, 2].filter(x, x > 1).size() == 1",
    "matches (regex)": "'abc'.matches('^a.c$')",
    "strings: split": "'a@b'.split('@')[1] == 'b'",
    "strings: lowerAscii": "'AB'.lowerAscii() == 'ab'",
    "strings: indexOf": "'abc'.indexOf('c') == 2",
    "strings: join": "['a', 'b'].join('-') == 'a-b'",
    "regex: find": "'ab/c'.find('^([^/]+)') == 'ab'",
    "regex: findAll": "'a1b2'.findAll('[0-9]') == ['1', '2']",
    "lists: isSorted, sum, min": "[1, 2].isSorted() && [1, 2].sum() == 3 && [2, 1].min() == 1",
    "lists: indexOf": "[1, 2].indexOf(2) == 1",
    "quantity": "quantity('1Gi').isGreaterThan(quantity('1Mi'))",
    "url": "url('https://a.b/c').getHost() == 'a.b'",
    "format": "!format.dns1123Label().validate('abc').hasValue()",
    "optional fields ?. / orValue": "self.?b.orValue(1) == 1",
    "duration, timestamp": "duration('1h') > duration('1m') && timestamp('2024-01-01T00:00:00Z') < "
                           "timestamp('2025-01-01T00:00:00Z')",
    "trailing comma in a list": "[1, 2, ].size() == 2",
}
Outcome = tuple[str, str]  # ("compile" | "ok" | "missing" | "error", detail)
Runner = Callable[[Any], Outcome]


def cel_runner(rule: str, with_kubernetes: bool) -> Runner | Outcome:
    """common-expression-language: a function that evaluates ``rule`` on a value, or why it cannot."""
    try:
        program = cel.compile(rule)
    except Exception as exc:  # noqa: BLE001 - any failure is the answer
        return "compile", str(exc).splitlines()[0]
    if with_kubernetes and compile_rule(rule).unusable:
        return "missing", compile_rule(rule).unusable
    context = new_context() if with_kubernetes else cel.Context()

    def run(value: Any) -> Outcome:
        context.add_variable("self", value)
        context.add_variable("oldSelf", value)
        try:
            result = program.execute(context)
        except Exception as exc:  # noqa: BLE001
            found = _MISSING.search(str(exc))
            return ("missing", found.group(1)) if found else ("error", str(exc).splitlines()[0])
        return ("ok", "") if isinstance(result, bool) else ("error", f"gave {result!r}")

    return run


def celpy_runner(rule: str) -> Runner | Outcome:
    """cel-python: as ``cel_runner``."""
    import celpy

    environment = celpy.Environment()
    try:
        program = environment.program(environment.compile(rule))
    except Exception as exc:  # noqa: BLE001
        return "compile", str(exc).splitlines()[0]

    def run(value: Any) -> Outcome:
        try:
            result = program.evaluate({"self": celpy.json_to_cel(value), "oldSelf": celpy.json_to_cel(value)})
        except Exception as exc:  # noqa: BLE001
            result = exc
        if isinstance(result, Exception):
            found = _MISSING.search(str(result))
            return ("missing", found.group(1)) if found else ("error", str(result).splitlines()[0][:80])
        return ("ok", "") if isinstance(result, bool) or type(result).__name__ == "BoolType" else ("error", "")

    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("crds", type=Path, help="a folder of folders of CRDs (each indexed on its own)")
    args = parser.parse_args()
    try:
        import celpy  # noqa: F401
    except ImportError:
        print("cel-python is not installed: pip install cel-python", file=sys.stderr)
        return 2
    libraries: dict[str, Callable[[str], Runner | Outcome]] = {
        "cel": lambda rule: cel_runner(rule, False),
        "cel+k8s": lambda rule: cel_runner(rule, True),
        "celpy": celpy_runner,
    }
    print("| feature | " + " | ".join(libraries) + " |")
    print("|---|" + "---|" * len(libraries))
    for feature, probe in PROBES.items():
        cells = []
        for prepare in libraries.values():
            runner = prepare(probe)
            outcome = runner if isinstance(runner, tuple) else runner({"a": 1})
            cells.append("yes" if outcome[0] == "ok" else "no")
        print(f"| {feature} | " + " | ".join(cells) + " |")
    print()
    print("| CRD (folder) | rules | " + " | ".join(f"{name} compiles / evaluates" for name in libraries) + " |")
    print("|---|---|" + "---|" * len(libraries))
    missing: dict[str, Counter[str]] = defaultdict(Counter)
    errors: dict[str, Counter[str]] = defaultdict(Counter)
    seconds: dict[str, list[float]] = defaultdict(list)  # one evaluation of a compiled rule
    folders = sorted(p for p in args.crds.resolve().iterdir() if p.is_dir())
    for folder in folders:
        for (group, kind), versions in sorted(load_crds((folder,)).items()):
            for version, crd in sorted(versions.items()):
                rules = [(rule, sample(node)) for rule, node in located_rules(crd.schema)]
                if not rules:
                    continue
                cells = []
                for name, prepare in libraries.items():
                    outcomes = []
                    for rule, value in rules:
                        runner = prepare(rule)
                        if isinstance(runner, tuple):
                            outcomes.append(runner)
                            continue
                        outcomes.append(runner(value))
                        started = time.perf_counter()
                        for _ in range(20):
                            runner(value)
                        seconds[name].append((time.perf_counter() - started) / 20)
                    compiled = sum(1 for outcome, _ in outcomes if outcome != "compile")
                    evaluated = sum(1 for outcome, _ in outcomes if outcome == "ok")
                    cells.append(f"{compiled} / {evaluated}")
                    for outcome, detail in outcomes:
                        if outcome == "missing":
                            missing[name][detail] += 1
                        elif outcome in ("error", "compile"):
                            errors[name][f"{outcome}: {detail[:70]}"] += 1
                print(f"| {kind} ({group}/{version}, {folder.name}) | {len(rules)} | " + " | ".join(cells) + " |")
    for name in libraries:
        times = sorted(seconds[name])
        print(f"\n{name}: median {times[len(times) // 2] * 1e6:.0f} us per evaluation of a compiled rule; "
              f"missing functions: {dict(missing[name])}")
        for detail, count in errors[name].most_common(8):
            print(f"  {count:3} x {detail}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
