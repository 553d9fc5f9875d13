"""Tree files read as Helm reads them: a ":" inside a flow scalar is accepted everywhere (validate,
render, ``new --set``), and a scalar Helm reads otherwise than YAML 1.2 is refused at its line."""

from __future__ import annotations

import marshal
from pathlib import Path
from typing import Any

import pytest

from tenantgen.fast.parse_cache import parse_chunk
from tenantgen.render.engine.interface import EngineError
from tenantgen.render.engine.objects import split_objects
from tenantgen.yamlio import YamlProblem, load_all
from tests.helpers import run_cli
from tests.trees import ALPHA, PROJECTS, build_tree, lines, pos, project_yaml, shown, tenant_yaml

CLUSTER_OUT = "dev/dev-aws/dev-euw1"
# The two examples of the issue, in flow style, as a Helm values file would have them.
ALPHA_PROJECT = project_yaml("alpha").replace(
    "  sourceRepos:\n    - https://github.com/example-org/alpha-*\n",
    "  sourceRepos: [https://github.com/example-org/alpha-deploy.git, https://github.com/org/repo]\n"
    "  roles: [{name: dev, groups: [oidc:team.devs, 'sso:ops'],\n"
    "           policies: ['p, proj:alpha:dev, applications, get, alpha/*, allow']}]\n")
ALPHA_TENANT = tenant_yaml("alpha", "api.alpha.example.com", "readers: [oidc:team.devs, sre]\n")


def documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in load_all(path.read_bytes()) if doc]


def test_the_issues_examples_read_as_strings() -> None:
    text = b"sourceRepos: [https://github.com/org/repo]\nreaders: [oidc:team.devs]\n"
    assert load_all(text) == [{"sourceRepos": ["https://github.com/org/repo"], "readers": ["oidc:team.devs"]}]


def test_flow_scalars_with_a_colon_validate_and_reach_the_rendered_objects(tmp_path: Path) -> None:
    tree = build_tree(tmp_path, {f"{PROJECTS}/alpha.yaml": ALPHA_PROJECT, ALPHA: ALPHA_TENANT})
    validated = run_cli(["validate", str(tree)])
    assert validated.exit_code == 0, validated.stdout + validated.stderr
    out = tmp_path / "out"
    rendered = run_cli(["render", str(tree), "-o", str(out)])
    assert rendered.exit_code == 0, rendered.stdout + rendered.stderr
    [project] = documents(out / CLUSTER_OUT / "manifests/alpha-argocd/appproject-alpha.yaml")
    assert project["kind"] == "AppProject"
    assert project["spec"]["sourceRepos"] == ["https://github.com/example-org/alpha-deploy.git",
                                              "https://github.com/org/repo"]
    assert [role["groups"] for role in project["spec"]["roles"]] == [["oidc:team.devs", "sso:ops"]]
    [binding] = documents(out / CLUSTER_OUT / "manifests/alpha-post-install/rolebinding-alpha-readers.yaml")
    assert [subject["name"] for subject in binding["subjects"]] == ["oidc:team.devs", "sre"]


@pytest.mark.parametrize(("written", "message"), [
    ("readers: [oidc:team.devs, yes]", "'yes' is true to Helm and Kubernetes (YAML 1.1) but the text 'yes' to "
                                       "YAML 1.2 readers; write true for the boolean, or quote it ('yes') for the text"),
    ("readers:\n  - on", "'on' is true to Helm and Kubernetes (YAML 1.1) but the text 'on' to YAML 1.2 readers"),
    ("costCenter: 0755", "'0755' is 493 to Helm and Kubernetes (YAML 1.1 reads a leading 0 as octal) but 755 to "
                         "YAML 1.2 readers; write 493 or 755, the number you mean, or quote it ('0755') for the text"),
    ("costCenter: 0X1F", "'0X1F' is the number 31 to Helm and Kubernetes but text to YAML 1.2 readers; write 31 "
                         "for the number, or quote it ('0X1F') for the text"),
])
def test_a_scalar_helm_reads_otherwise_is_refused_at_its_line(tmp_path: Path, written: str, message: str) -> None:
    text = tenant_yaml("alpha", extra=written + "\n").replace("  costCenter: CC-1\n", "")
    tree = build_tree(tmp_path, {ALPHA: text})
    scalar = written.split()[-1].rstrip("]")
    line, col = pos(text, scalar, occurrence=text.count(scalar))
    [finding] = [found for found in lines(tree) if found.startswith(shown(ALPHA))]
    assert finding.startswith(f"{shown(ALPHA)}:{line}:{col}: ") and message in finding
    result = run_cli(["validate", str(tree)])
    assert result.exit_code == 1 and message in result.stdout and "Traceback" not in result.stdout + result.stderr


def test_quoted_or_tagged_it_is_text_for_every_reader(tmp_path: Path) -> None:
    text = tenant_yaml("alpha", extra="readers: ['yes', \"on\", !!str off]\ncostCenter: '0755'\n").replace(
        "  costCenter: CC-1\n", "")
    tree = build_tree(tmp_path, {ALPHA: text})
    assert [found for found in lines(tree) if found.startswith(shown(ALPHA))] == []
    [tenant] = load_all(text.encode())
    assert tenant["spec"]["readers"] == ["yes", "on", "off"] and tenant["spec"]["costCenter"] == "0755"


def test_timestamps_stay_the_text_written() -> None:
    assert load_all(b"a: 2001-12-14 21:59:43.10 -5\nb: [2024-13-45]\nc: 2026-01-02\n") == [
        {"a": "2001-12-14 21:59:43.10 -5", "b": ["2024-13-45"], "c": "2026-01-02"}]


def test_a_file_with_dates_and_odd_numbers_as_text_gets_its_findings_placed(tmp_path: Path) -> None:
    """Text that YAML 1.2's resolver takes for a date or a number (2024-13-45, -_) is text to tenantgen
    and Helm; a finding elsewhere in the file still gets its line and column."""
    text = tenant_yaml("alpha", extra="readers: [2024-13-45, -_, 'oidc:x']\nnamespaces: {quota: many}\n")
    tree = build_tree(tmp_path, {ALPHA: text})
    line, col = pos(text, "quota")
    assert [found for found in lines(tree) if found.startswith(shown(ALPHA))] == [
        f"{shown(ALPHA)}:{line}:{col}: $.spec.namespaces.quota: expected integer, found string \"many\""]


def test_every_screen_still_holds_with_flow_scalars_inside() -> None:
    flow = "sourceRepos: [https://github.com/org/repo]\n"
    with pytest.raises(YamlProblem, match="duplicate key") as duplicate:
        load_all((flow + "sourceRepos: [oidc:team.devs]\n").encode())
    assert duplicate.value.line == 2
    laughs = "a: &a [oidc:x, oidc:x, oidc:x, oidc:x, oidc:x, oidc:x, oidc:x, oidc:x, oidc:x, oidc:x]\n" + "".join(
        f"{chr(98 + level)}: &{chr(98 + level)} [{', '.join(['*' + chr(97 + level)] * 10)}]\n" for level in range(6))
    with pytest.raises(YamlProblem, match="anchors and aliases included") as bomb:
        load_all((flow + laughs).encode())
    assert bomb.value.code == "too-large"
    with pytest.raises(YamlProblem, match="nesting is too deep"):
        load_all(("a: " + "[" * 70 + "oidc:x" + "]" * 70 + "\n").encode())
    with pytest.raises(YamlProblem, match="control character"):
        load_all((flow + 'b: [oidc:x, "\\x07"]\n').encode())
    with pytest.raises(YamlProblem, match="at most"):
        load_all(b"a: [" + b"https://x.example.com/y, " * 50_000 + b"]\n")


def test_credentials_in_a_flow_scalar_are_found_at_their_column(tmp_path: Path) -> None:
    text = project_yaml("alpha").replace(
        "  sourceRepos:\n    - https://github.com/example-org/alpha-*\n",
        "  sourceRepos: [https://deploy:s3cr3tpassw0rd@github.com/example-org/alpha-deploy.git]\n")
    tree = build_tree(tmp_path, {f"{PROJECTS}/alpha.yaml": text})
    line, col = pos(text, "https://deploy")
    [finding] = lines(tree)
    assert finding.startswith(f"{shown(PROJECTS)}/alpha.yaml:{line}:{col}: $.spec.sourceRepos[0]: looks like a URL "
                              "with a user and password; credentials never go into the tree")
    assert "s3cr3t" not in finding


def test_the_parse_cache_helpers_read_as_the_reader_does() -> None:
    good, bad = b"sourceRepos: [https://github.com/org/repo]\nreaders: [oidc:team.devs]\n", b"a: [x, yes]\n"
    [(_, blob, _), (_, refused, _)] = parse_chunk([(b"good", good, None), (b"bad", bad, None)])
    assert blob is not None and marshal.loads(blob) == load_all(good)
    assert refused is None  # the main process reads it again and reports the finding


PROD = "tiers/prod/prod-aws/prod-euw1"
TENANT_SETS = ["--set", "costCenter=CC-2000", "--set", "contact.email=team-a@example.com",
               "--set", "contact.slack=#team-a"]


def test_set_takes_flow_lists_with_a_colon_inside(example_checkout: Path) -> None:
    project = run_cli(["new", "argo-project", "payments-web", "--in", PROD, "--set", "tenant=payments",
                       "--set", "sourceRepos=[https://github.com/org/repo, https://github.com/example-org/payments-web.git]",
                       "--set", "rootApp.repoURL=https://github.com/example-org/payments-web.git"])
    assert project.exit_code == 0, project.stdout + project.stderr
    [written] = load_all((example_checkout / PROD / "argo-projects/payments-web.yaml").read_bytes())
    assert written["spec"]["sourceRepos"] == ["https://github.com/org/repo",
                                              "https://github.com/example-org/payments-web.git"]
    tenant = run_cli(["new", "tenant", "team-a", "--in", PROD, "--owner", "team-a-admins",
                      *TENANT_SETS,
                      "--set", "readers=[oidc:team.devs, sre]"])
    assert tenant.exit_code == 0, tenant.stdout + tenant.stderr
    [written] = load_all((example_checkout / PROD / "tenants/team-a.yaml").read_bytes())
    assert written["spec"]["readers"] == ["oidc:team.devs", "sre"]
    assert run_cli(["validate", "tiers"]).exit_code == 0


def test_set_refuses_a_scalar_helm_reads_otherwise(example_checkout: Path) -> None:
    result = run_cli(["new", "tenant", "team-a", "--in", PROD, "--owner", "team-a-admins",
                      *TENANT_SETS,
                      "--set", "readers=[oidc:team.devs, on]"])
    assert result.exit_code == 2  # a usage error, as every bad --set
    assert "--set readers: '[oidc:team.devs, on]' is not a YAML value: 'on' is true to Helm" in result.stderr
    assert not (example_checkout / PROD / "tenants/team-a.yaml").exists()


def test_a_rendered_object_is_read_by_the_same_rule() -> None:
    head = "kind: ConfigMap\nmetadata:\n  name: x\n"
    [read] = split_objects({"c/templates/x.yaml": head + "data: {url: [http://x:8080/y], a: 'on'}\n"})
    assert read.body["data"] == {"url": ["http://x:8080/y"], "a": "on"}
    with pytest.raises(EngineError, match=r"c/templates/x.yaml: rendered output is not valid YAML: 'on' is true "
                                          r"to Helm and Kubernetes .* \(line 4\)"):
        split_objects({"c/templates/x.yaml": head + "data: {a: on}\n"})
