"""A stand-in ``helm`` executable that is itself a real Helm engine (the embedded Helm SDK).

It speaks the slice of the helm CLI that tenantgen's binary engine uses (``template``, ``version
--short``, ``lint``) and prints what ``helm template`` prints: ``---`` separators and ``# Source:``
lines, NOTES.txt left out. Tests install it as ``helm`` on PATH.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def template(args: argparse.Namespace) -> int:
    import helm_python
    from helm_python import _native

    values: dict[str, object] = {}
    for path in args.values or []:
        loaded = helm_python.values_from_yaml(Path(path).read_text())
        values.update(loaded)
    chart = helm_python.Chart.load(args.chart)
    try:
        options = {"name": args.name, "namespace": args.namespace, "is_install": True}
        if args.kube_version:
            options["kube_version"] = args.kube_version
        rendered = json.loads(_native.call_string("helm_render", chart._raw(), json.dumps(values),
                                                  json.dumps(options)))
    except helm_python.HelmError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    finally:
        chart.close()
    for source in sorted(rendered):
        if source.endswith("NOTES.txt") or not rendered[source].strip():
            continue
        for document in rendered[source].split("\n---\n"):
            if document.strip():
                sys.stdout.write(f"---\n# Source: {source}\n{document.strip(chr(10))}\n")
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="helm")
    commands = parser.add_subparsers(dest="command", required=True)
    tpl = commands.add_parser("template")
    tpl.add_argument("name")
    tpl.add_argument("chart")
    tpl.add_argument("--namespace", default="default")
    tpl.add_argument("--kube-version", dest="kube_version")
    tpl.add_argument("--values", "-f", action="append")
    version = commands.add_parser("version")
    version.add_argument("--short", action="store_true")
    lint = commands.add_parser("lint")
    lint.add_argument("chart")
    lint.add_argument("--strict", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "version":
        import helm_python

        print(f"v{helm_python.helm_sdk_version()}+stand-in")
        return 0
    if args.command == "lint":
        import helm_python

        report = helm_python.lint(args.chart, strict=args.strict, quiet=True)
        for message in report.get("messages") or []:
            severity = {1: "INFO", 2: "WARNING", 3: "ERROR"}.get(int(message.get("severity", 0)), "UNKNOWN")
            print(f"[{severity}] {message.get('path')}: {message.get('error')}")
        return 1 if report.get("errors") else 0
    return template(args)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
