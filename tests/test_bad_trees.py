"""The bad-tree corpus: hostile or broken input ends with a clear message, and nothing else happens.

Every folder of ``tests/bad_trees/`` except ``_base`` is one case, laid over the good tree in ``_base``
(see ``tests/bad_trees/README.md`` for the recipe format). Each case runs through ``tenantgen validate``
and ``tenantgen render`` as real processes and must end with exit 1, the expected messages (file, line
and what is wrong), no traceback, OUT exactly as a good render left it, nothing written beside OUT, no
temporary file left behind and the tree itself untouched. The ``injection-inert`` case is the one that
renders: its crafted strings are valid values and must come out as the same inert strings.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tenantgen.yamlio.reader import load_all
from tests.helpers import REPO_ROOT, CliResult, read_tree, render_good_copy, run_cli_process
from tests.support.upstream_crds import scoped_crds_args

CORPUS = REPO_ROOT / "tests" / "bad_trees"
BASE = CORPUS / "_base"


def _case(name: str) -> dict[str, Any]:
    [spec] = load_all((CORPUS / name / "case.yaml").read_bytes())
    assert isinstance(spec, dict) and spec.get("about"), f"{name}/case.yaml needs an 'about'"
    return spec


CASES = sorted(path.name for path in CORPUS.iterdir() if (path / "case.yaml").is_file())
FAILING = [name for name in CASES if _case(name).get("outcome", "fails") == "fails"]
RENDERED = [name for name in CASES if _case(name).get("outcome") == "rendered"]


def build_case(name: str, workdir: Path) -> Path:
    """``workdir/tree``: the base tree with the case applied; ``workdir/outside`` holds link targets."""
    spec = _case(name)
    tree, outside = workdir / "tree", workdir / "outside"
    shutil.copytree(BASE, tree)
    shutil.copytree(BASE / "dev" / "dev-aws" / "dev-euw1" / "tenants", outside)  # valid tenants, out of reach
    (outside / "alpha.yaml").rename(outside / "gamma.yaml")
    for source, target in (spec.get("move") or {}).items():
        (tree / target).parent.mkdir(parents=True, exist_ok=True)
        os.replace(tree / source, tree / target)
    for rel, text in (spec.get("files") or {}).items():
        path = tree / rel
        if text is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    overlay = CORPUS / name / "tree"
    if overlay.is_dir():
        shutil.copytree(overlay, tree, dirs_exist_ok=True)
    for item in spec.get("generate") or []:
        path = tree / item["path"]
        path.parent.mkdir(parents=True, exist_ok=True)
        if "symlink" in item:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            path.unlink(missing_ok=True)
            path.symlink_to(str(item["symlink"]).replace("{outside}", str(outside)))
            continue
        text = item.get("prefix", "") + item["repeat"] * item["times"] + item.get("suffix", "")
        with path.open("a" if item.get("append") else "w", encoding="utf-8") as file:
            file.write(text)
    return tree


def snapshot(root: Path) -> dict[str, tuple[str, int, int]]:
    """Every entry under ``root`` (links not followed): kind, size and mtime, to prove nothing changed."""
    entries = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            stat = path.lstat()
            kind = "link" if path.is_symlink() else "dir" if path.is_dir() else "file"
            entries[path.relative_to(root).as_posix()] = (kind, stat.st_size if kind == "file" else 0,
                                                          stat.st_mtime_ns)
    return entries


@pytest.fixture(scope="module")
def good_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """OUT as a good render of the base tree leaves it (rendered once, copied by each case)."""
    return render_good_copy(tmp_path_factory.mktemp("good"), BASE)


def run_both(workdir: Path) -> tuple[CliResult, CliResult]:
    # Relative paths, so messages read "tree/dev/...": the way a user in the repository sees them.
    with ThreadPoolExecutor(2) as pool:
        validate = pool.submit(run_cli_process, ["validate", "tree"], workdir)
        render = pool.submit(run_cli_process, ["render", "tree", "-o", "out"], workdir)
        return validate.result(), render.result()


def test_the_corpus_covers_the_issue() -> None:
    wanted = {"malformed-yaml", "alias-bomb", "huge-file", "deep-nesting", "non-utf8", "binary-file",
              "duplicate-keys", "wrong-types", "name-dotdot", "name-slash", "name-uppercase", "name-300-characters",
              "file-name-long", "folder-name-uppercase", "folder-name-long", "symlink-file-outside",
              "symlink-folder-outside", "tenant-in-wrong-folder", "injection-rejected", "injection-inert",
              "multiple-documents", "empty-file"}
    assert wanted <= set(CASES)
    assert all(_case(name).get("expect") for name in FAILING)


@pytest.mark.parametrize("case", FAILING)
def test_bad_tree_fails_cleanly(case: str, tmp_path: Path, good_out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree = build_case(case, tmp_path)
    out = tmp_path / "out"
    shutil.copytree(good_out, out)
    before_out, before_tree = read_tree(out), snapshot(tree)
    (tmp_path / "beside").mkdir()
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(private_tmp))

    validate, render = run_both(tmp_path)

    for command, result in (("validate", validate), ("render", render)):
        shown = f"{command} of {case}:\n{result.stdout}{result.stderr}"
        assert result.exit_code == 1, shown
        assert "Traceback" not in result.stdout + result.stderr, shown
        assert "internal error" not in result.stdout + result.stderr, shown
        for expected in _case(case)["expect"]:
            assert expected in result.stdout, f"missing {expected!r} in {shown}"
    assert "render failed; the output directory was not changed" in render.stdout
    assert read_tree(out) == before_out
    assert not list((tmp_path / "beside").iterdir())
    assert not list(private_tmp.iterdir())
    assert snapshot(tree) == before_tree
    assert sorted(path.name for path in tmp_path.iterdir()) == ["beside", "out", "outside", "tmp", "tree"]


# -- the case that renders: injected strings come out inert -------------------------------------------

def _walk(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, (*path, index))


def _objects(out: Path) -> dict[str, dict[str, Any]]:
    """Every rendered object by file (one object per file), helmfile and values files included."""
    objects = {}
    for rel, data in read_tree(out).items():
        if rel.startswith(("charts/", ".tenantgen/")):
            continue
        documents = load_all(data)
        assert len(documents) == 1, f"{rel} holds {len(documents)} documents"
        objects[rel] = documents[0]
    return objects


def _strings(document: Any) -> set[str]:
    return {value for _, value in _walk(document) if isinstance(value, str)}


@pytest.mark.parametrize("case", RENDERED)
def test_injected_strings_come_out_inert(case: str, tmp_path: Path, good_out: Path,
                                         upstream_crds: Path) -> None:
    payloads = _case(case)["payloads"]
    build_case(case, tmp_path)
    result = run_cli_process(["render", "tree", "-o", "out", *scoped_crds_args(upstream_crds)], tmp_path)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr

    objects, good = _objects(tmp_path / "out"), _objects(good_out)
    cluster = "dev/dev-aws/dev-euw1"
    # Structure: no key and no object the tenant did not ask for, and the helmfile is the good one.
    for rel, document in objects.items():
        for path, _ in _walk(document):
            assert not any(isinstance(part, str) and "evil" in part for part in path), f"{rel}: {path}"
    assert objects[f"{cluster}/helmfile.yaml"] == good[f"{cluster}/helmfile.yaml"]
    kinds = {(obj["kind"], obj["metadata"]["name"]) for rel, obj in objects.items() if "/manifests/" in rel}
    good_kinds = {(obj["kind"], obj["metadata"]["name"]) for rel, obj in good.items() if "/manifests/" in rel}
    assert kinds - good_kinds == {("RoleBinding", "alpha-readers")}  # the readers the case adds
    assert good_kinds <= kinds

    # Values: every crafted string is still exactly itself, in the values file and in the objects.
    readers = objects[f"{cluster}/values/alpha-post-install.yaml"]["tenant"]["readers"]
    assert readers == payloads
    binding = objects[f"{cluster}/manifests/alpha-post-install/rolebinding-alpha-readers.yaml"]
    assert [subject["name"] for subject in binding["subjects"]] == payloads
    tenant = objects[f"{cluster}/manifests/alpha-tenant/tenant-alpha.yaml"]
    assert [owner["name"] for owner in tenant["spec"]["owners"]] == [payloads[0], payloads[4]]
    assert tenant["spec"]["owners"][0]["clusterRoles"] == [payloads[3], payloads[1]]
    annotations = tenant["spec"]["namespaceOptions"]["additionalMetadata"]["annotations"]
    assert [annotations[f"example.com/{key}"] for key in "abcde"] == [
        payloads[0], payloads[3], payloads[6], payloads[8], payloads[2]]
    project = objects[f"{cluster}/manifests/alpha-argocd/appproject-alpha.yaml"]
    assert project["spec"]["description"] == payloads[0]
    assert project["spec"]["sourceRepos"][1:] == [payloads[3], payloads[8], payloads[1]]
    assert project["spec"]["roles"][0]["description"] == payloads[7]
    assert project["spec"]["roles"][0]["groups"] == payloads[9:12]
    root_app = objects[f"{cluster}/manifests/alpha-argocd/application-alpha-root.yaml"]
    assert root_app["spec"]["source"]["path"] == payloads[2]
    assert root_app["spec"]["source"]["targetRevision"] == payloads[6]
    secret = objects[f"{cluster}/manifests/alpha-argocd/secret-alpha-repo.yaml"]
    assert secret["stringData"]["url"] == "https://github.com/example-org/{{.Release.Name}}\"'${{a}}"
    everything = set().union(*(_strings(document) for document in objects.values()))
    assert set(payloads) <= everything
