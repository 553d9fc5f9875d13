"""Secrets: repository credentials only by reference, and no credential ever comes out.

A credential-looking marker (every one contains ``PLANTED``) is planted in every input field that
could carry one; validate, render, diff and explain must reject the tree without the marker appearing
in their output, in OUT, in the render cache or in a temporary file.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tenantgen import credentials
from tenantgen.cli.errors import run_guarded
from tenantgen.credentials import find_credentials, looks_like, redact
from tenantgen.errors import TenantgenError
from tenantgen.findings import Finding
from tenantgen.render.output_files import ReleaseFailure
from tenantgen.validate.schema import schema_problems
from tenantgen.yamlio.reader import YamlProblem, dump, load_all
from tests.helpers import EXAMPLE_TREE, REPO_ROOT, read_tree, render_good_copy, run_cli, run_cli_process
from tests.support.isolation import marked_env

BASE = REPO_ROOT / "tests" / "bad_trees" / "_base"
CLUSTER = "dev/dev-aws/dev-euw1"
TOKEN = "ghp_PLANTEDSECRET0123456789abcdefghijklmn"
AWS_KEY = "AKIAPLANTEDSECRET123"
PASSWORD = "hunter2-PLANTED"  # looks like nothing: only its field name gives it away
URL_PASSWORD = "https://planted-user:PLANTEDPASSWORD@github.com/example-org/alpha-deploy.git"
URL_TOKEN = f"https://{TOKEN}@github.com/example-org/alpha-deploy.git"
PRIVATE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEPLANTED\n-----END OPENSSH PRIVATE KEY-----\n"


def planted_tree(root: Path) -> Path:
    shutil.copytree(BASE, root)
    tenant = {
        "apiVersion": "tenantgen.io/v1alpha1", "kind": "Tenant",
        "metadata": {"name": "alpha", "labels": {"team": TOKEN}, "annotations": {"example.com/token": TOKEN}},
        "spec": {
            "owners": [{"kind": "Group", "name": TOKEN, "clusterRoles": [AWS_KEY]}],
            "readers": [URL_PASSWORD],
            "costCenter": AWS_KEY,
            "contact": {"slack": f"#{TOKEN}", "email": f"{TOKEN}@example.com"},
            "additionalMetadata": {"labels": {"cost": AWS_KEY, TOKEN: "x"},
                                   "annotations": {"example.com/password": f"password={PASSWORD}",
                                                   "example.com/key": PRIVATE_KEY}},
        },
    }
    project = {
        "apiVersion": "tenantgen.io/v1alpha1", "kind": "ArgoProject", "metadata": {"name": "alpha"},
        "spec": {
            "tenant": "alpha", "description": f"deploy token {TOKEN}",
            "sourceRepos": ["https://github.com/example-org/alpha-*", URL_TOKEN],
            "repository": {"url": URL_PASSWORD, "username": "planted-user", "password": PASSWORD,
                           "sshPrivateKey": PRIVATE_KEY, "tlsClientCertKey": PASSWORD, "token": PASSWORD,
                           "credentialsSecret": "alpha-repo-creds"},
            "rootApp": {"repoURL": URL_TOKEN, "path": TOKEN, "targetRevision": AWS_KEY},
            "roles": [{"name": "deployer", "description": TOKEN, "groups": [URL_PASSWORD]}],
        },
    }
    (root / CLUSTER / "tenants" / "alpha.yaml").write_text(dump(tenant))
    (root / CLUSTER / "argo-projects" / "alpha.yaml").write_text(dump(project))
    pool = root / CLUSTER / "node-pools" / "apps.yaml"
    [pool_doc] = load_all(pool.read_bytes())
    pool_doc["spec"]["tags"] = {"deploy-key": AWS_KEY}
    pool.write_text(dump(pool_doc))
    (root / CLUSTER / "config").mkdir()
    (root / CLUSTER / "config" / "configmap-ci.yaml").write_text(dump(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ci", "namespace": "ci"},
         "data": {"GITHUB_TOKEN": TOKEN}}))
    return root


# Every planted field, as validate reports it (file, JSON path): each one must be a finding.
EXPECTED = [
    ("tenants/alpha.yaml", "$.metadata.labels.team"),
    ("tenants/alpha.yaml", "$.metadata.annotations['example.com/token']"),
    ("tenants/alpha.yaml", "$.spec.owners[0].name"),
    ("tenants/alpha.yaml", "$.spec.owners[0].clusterRoles[0]"),
    ("tenants/alpha.yaml", "$.spec.readers[0]"),
    ("tenants/alpha.yaml", "$.spec.costCenter"),
    ("tenants/alpha.yaml", "$.spec.contact.slack"),
    ("tenants/alpha.yaml", "$.spec.contact.email"),
    ("tenants/alpha.yaml", "$.spec.additionalMetadata.labels.cost"),
    ("tenants/alpha.yaml", "$.spec.additionalMetadata.annotations['example.com/password']"),
    ("tenants/alpha.yaml", "$.spec.additionalMetadata.annotations['example.com/key']"),
    ("argo-projects/alpha.yaml", "$.spec.description"),
    ("argo-projects/alpha.yaml", "$.spec.sourceRepos[1]"),
    ("argo-projects/alpha.yaml", "$.spec.repository"),  # unknown fields: username, password, ...
    ("argo-projects/alpha.yaml", "$.spec.repository.url"),
    ("argo-projects/alpha.yaml", "$.spec.rootApp.repoURL"),
    ("argo-projects/alpha.yaml", "$.spec.rootApp.path"),
    ("argo-projects/alpha.yaml", "$.spec.rootApp.targetRevision"),
    ("argo-projects/alpha.yaml", "$.spec.roles[0].description"),
    ("argo-projects/alpha.yaml", "$.spec.roles[0].groups[0]"),
    ("node-pools/apps.yaml", "$.spec.tags.deploy-key"),
    ("config/configmap-ci.yaml", "$.data.GITHUB_TOKEN"),
]


@pytest.fixture(scope="module")
def good_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render_good_copy(tmp_path_factory.mktemp("good"), BASE)


def test_planted_credentials_never_come_out(tmp_path: Path, good_out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    planted_tree(tmp_path / "tree")
    shutil.copytree(good_out, tmp_path / "out")
    before = read_tree(tmp_path / "out")
    _, private_tmp = marked_env(monkeypatch, tmp_path)
    cache = Path(os.environ["XDG_CACHE_HOME"])

    runs = {
        "validate": run_cli_process(["validate", "tree"], tmp_path),
        "validate-json": run_cli_process(["validate", "tree", "--format", "json"], tmp_path),
        "render": run_cli_process(["render", "tree", "-o", "out"], tmp_path),
        "render-check": run_cli_process(["render", "tree", "-o", "out", "--check"], tmp_path),
        "diff": run_cli_process(["diff", "tree", "--against", "out"], tmp_path),
        "diff-json": run_cli_process(["diff", "tree", "--against", "out", "--format", "json"], tmp_path),
        "diff-markdown": run_cli_process(["diff", "tree", "--against", "out", "--format", "markdown"], tmp_path),
        "explain": run_cli_process(["explain", "alpha", "tree"], tmp_path),
    }
    for name, result in runs.items():
        shown = f"{name}:\n{result.stdout}{result.stderr}"
        assert "PLANTED" not in result.stdout + result.stderr, shown
        assert "Traceback" not in result.stdout + result.stderr, shown
        assert result.exit_code != 0, shown
    assert runs["validate"].exit_code == runs["render"].exit_code == 1

    # Every planted field was refused with a finding (never silently rendered).
    findings = {(finding["file"].split(f"{CLUSTER}/", 1)[-1], finding["field"])
                for finding in runs["validate-json"].json()["findings"]}
    missing = [expected for expected in EXPECTED if expected not in findings]
    assert not missing, f"no finding for {missing}; findings: {sorted(findings)}"

    assert read_tree(tmp_path / "out") == before
    for root in (tmp_path / "out", cache, private_tmp):
        for path, data in read_tree(root).items():
            if root == cache and path.startswith("tenantgen/parse/"):
                continue  # the parse cache holds what was read from the tree: the input, by design
            assert b"PLANTED" not in data, f"{root}/{path}"


def test_credentials_by_reference_are_fine(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    shutil.copytree(BASE, root)
    project = root / CLUSTER / "argo-projects" / "alpha.yaml"
    text = project.read_text().replace("url: https://github.com/example-org/alpha-deploy.git",
                                       "url: ssh://git@github.com/example-org/alpha-deploy.git")
    project.write_text(text.replace("https://github.com/example-org/alpha-*", "git@github.com:example-org/alpha-*"))
    result = run_cli(["validate", str(root)])
    assert result.exit_code == 0, result.stdout


@pytest.mark.parametrize("text", [
    "https://github.com/example-org/payments-deploy.git", "ssh://git@github.com/example-org/x.git",
    "git@github.com:example-org/x.git", "oci://registry.example.com/charts", "payments-team@example.com",
    "p, proj:payments:deployer, applications, sync, payments/*, allow", "payments-repo-creds",
    "KarpenterNodeRole-prod-euw1", "{tenant}.apps.{cluster.hostname}", "sha256:4f1c2e", "#team-payments",
])
def test_ordinary_values_do_not_look_like_credentials(text: str) -> None:
    assert looks_like(text) is None


def test_the_example_tree_has_no_credential_findings() -> None:
    result = run_cli(["validate", str(EXAMPLE_TREE), "--format", "json"])
    assert not [f for f in result.json()["findings"] if f["code"] == "credential"]


@pytest.mark.parametrize(("text", "what"), [
    (TOKEN, "a GitHub token"), ("github_pat_11PLANTED0123456789abcdefghij", "a GitHub token"),
    ("glpat-PLANTED0123456789abcd", "a GitLab token"), ("xoxb-123456-PLANTED", "a Slack token"),
    (AWS_KEY, "an AWS access key"), (PRIVATE_KEY, "a private key"), ("db password: PLANTEDpw", "a password"),
    (URL_PASSWORD, "a URL with a user and password"), (URL_TOKEN, "a URL with a user and password"),
    ("https://PLANTED@github.com/x", "a URL with credentials (user or token before '@')"),
    ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJQTEFOVEVEIn0.c2lnbmF0dXJlUExBTlRFRA", "a JSON Web Token"),
])
def test_credential_shapes_are_recognised_and_masked(text: str, what: str) -> None:
    found = looks_like(text)
    assert found == what or (what.startswith("a URL") and str(found).startswith("a URL"))
    assert "PLANTED" not in redact(f"before {text} after")
    assert redact(f"before {text} after").startswith("before ")


def test_schema_messages_never_quote_a_secret_named_field() -> None:
    data = {"apiVersion": "tenantgen.io/v1alpha1", "kind": "ArgoProject", "metadata": {"name": "alpha"},
            "spec": {"tenant": "alpha", "sourceRepos": ["x"], "rootApp": {"repoURL": "https://h/x", "path": "x"},
                     "repository": {"url": URL_PASSWORD, "password": PASSWORD}}}
    messages = [message for _, message in schema_problems("ArgoProject", data)]
    assert messages and not any("PLANTED" in message for message in messages), messages
    # A wrong type under a secret-looking name is still reported, with the value blanked.
    tenant = {"apiVersion": "tenantgen.io/v1alpha1", "kind": "Tenant", "metadata": {"name": "alpha"},
              "spec": {"owners": [{"kind": "Group", "name": "x"}],
                       "additionalMetadata": {"annotations": {"example.com/api-token": 12345}}}}
    [(path, message)] = list(schema_problems("Tenant", tenant))
    assert path[-1] == "example.com/api-token" and "12345" not in message and "<redacted>" in message


def test_messages_from_the_engine_and_from_errors_are_masked(capsys: pytest.CaptureFixture[str]) -> None:
    failure = ReleaseFailure("alpha-argocd", "dev/a/c", "tree/x.yaml", f"at '/project/url': '{URL_PASSWORD}' is bad")
    assert "PLANTED" not in failure.format()
    finding = Finding("f.yaml", 1, 1, f"$.x['{TOKEN}']", f"value {TOKEN}", "c")
    assert "PLANTED" not in finding.format() + json.dumps(finding.to_json())

    def fail() -> int:
        raise TenantgenError(f"cannot fetch {URL_PASSWORD}")

    assert run_guarded(fail) == 1
    captured = capsys.readouterr()
    assert "PLANTED" not in captured.err and "cannot fetch https://<redacted>@github.com/" in captured.err


def test_find_credentials_reports_paths_not_values() -> None:
    found: list[tuple[Any, ...]] = list(find_credentials({"a": [{"b": TOKEN}], TOKEN: 1}))
    assert found == [(("a", 0, "b"), "a GitHub token"), ((TOKEN,), "a GitHub token")]


def _looks_like_unscreened(text: str) -> str | None:
    """``looks_like`` without its quick screen: every pattern searched."""
    if credentials._URL_PASSWORD.search(text):
        return "a URL with a user and password"
    if credentials._URL_TOKEN.search(text):
        return "a URL with credentials (user or token before '@')"
    return next((what for what, pattern in credentials._TOKENS if pattern.search(text)), None)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(
    st.sampled_from(["ghp_" + "a" * 36, "github_pat_" + "B" * 22, "glpat-" + "c" * 20, "xoxb-" + "1" * 12,
                     "AKIA" + "A" * 16, "eyJ" + "a" * 10 + ".eyJ" + "b" * 10 + "." + "c" * 10,
                     "-----BEGIN RSA PRIVATE KEY-----\nx\n-----END RSA PRIVATE KEY-----", "PassWord: hunter22",
                     "PWD=abcd", "https://user:pw@git.example.com", "oci://tok@r.example.com", " ", "@", "://",
                     "pa\u017f\u017fword: hunter22", "gh", "ghp", "passw", "\n", "ASIA" + "B" * 16,
                     *(f"gh{kind}_" + "d" * 36 for kind in "pousr")]),
    st.text(max_size=12)), max_size=5).map("".join))
def test_the_quick_screen_never_hides_a_credential(text: str) -> None:
    assert credentials.looks_like(text) == _looks_like_unscreened(text)


_FRAGMENTS = st.lists(st.one_of(st.sampled_from([
    "ghp_" + "a" * 36, "AKIA" + "A" * 16, "password", "passwd", "pwd", ":", "=", " ", "\n", "hunter22", "@", "://",
    "https", "user:pw", "git.example.com", "-----BEGIN EC PRIVATE KEY-----", "eyJ", "a" * 10, ".", "\u017f", "xoxb-",
]), st.text(max_size=6)), max_size=4).map("".join)
_VALUES = st.recursive(st.one_of(_FRAGMENTS, st.integers(), st.none(), st.booleans()),
                       lambda inner: st.one_of(st.lists(inner, max_size=4),
                                               st.dictionaries(_FRAGMENTS, inner, max_size=4)), max_leaves=12)


@settings(max_examples=800, deadline=None)
@given(_VALUES)
def test_the_one_text_screen_agrees_with_looking_at_each_string(value: Any) -> None:
    # Strings split across keys and items ("password" in one, ": hunter22" in the next) must not
    # count as one credential, and no credential may hide in the joined text.
    assert credentials.any_credential(value) == (next(find_credentials(value), None) is not None)


def _yaml_texts(value: Any) -> list[str]:
    """``value`` written the ways a YAML file may hold it: block style, and every scalar style with
    lines folded at a narrow width (so that strings span lines)."""
    from io import StringIO

    from ruamel.yaml import YAML, YAMLError

    texts = [dump({"value": value})]
    for style in (None, '"', "'", "|", ">"):
        writer = YAML(typ="safe", pure=True)
        writer.width = 12
        writer.default_style = style
        buffer = StringIO()
        try:
            writer.dump({"value": value}, buffer)
        except (YAMLError, IndexError):
            # A control character that style cannot hold (ruamel's folded style even fails with an
            # IndexError on BEL); tenantgen refuses such a file before any check anyway.
            continue
        texts.append(buffer.getvalue())
    return texts


@settings(max_examples=400, deadline=None)
@given(_VALUES)
def test_a_file_whose_text_shows_no_credential_holds_none(value: Any) -> None:
    # The parse helpers skip the credential look at the strings of a file when its text alone rules
    # one out: that must never let a credential through, whichever way the file writes its strings.
    for text in _yaml_texts(value):
        try:
            [data] = load_all(text.encode())
        except YamlProblem:
            continue  # (a control character: such a file is refused before any check)
        if credentials.any_credential(data):
            assert credentials.text_may_hold_credential(text.encode()), text


@pytest.mark.parametrize("text", [
    "key: -----BEGIN\n  RSA PRIVATE KEY-----\n  abc\n",  # folded: "-----BEGIN RSA PRIVATE KEY-----"
    "key: \"db\n  password: hunter22\"\n",
    "key: PWD=abcd1234\n",
    "key: 'https://user:pw@git.example.com'\n",
    "key: >\n  AKIA\n  AAAAAAAAAAAAAAAAAAAA\n",  # no token once folded, but the mark is in the text
    "key: \"\\x41KIAAAAAAAAAAAAAAAAA\"\n",  # an escape: the text does not say
    "key: pa\u017f\u017fword=hunter22\n",  # beyond ASCII: the text does not say
])
def test_the_text_screen_answers_maybe_for_credential_shapes(text: str) -> None:
    assert credentials.text_may_hold_credential(text.encode())


def test_the_text_screen_clears_ordinary_files() -> None:
    cleared = 0
    for path in sorted(EXAMPLE_TREE.rglob("*.yaml")):
        raw = path.read_bytes()
        if not raw.isascii() or b"\\" in raw:
            continue
        documents = load_all(raw)
        assert not any(document is not None and credentials.any_credential(document) for document in documents)
        assert not credentials.text_may_hold_credential(raw), path  # contact e-mails and repository URLs included
        cleared += 1
    assert cleared > 20
    assert not credentials.text_may_hold_credential(b"spec:\n  contact:\n    email: team@example.com\n"
                                                    b"  repo: https://git.example.com/team/app.git\n")
