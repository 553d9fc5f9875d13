"""Schema findings: each names file, line, column and field, says what is wrong and what is allowed."""

from __future__ import annotations

from pathlib import Path

from tests.trees import (
    ACCOUNT,
    ACCOUNT_YAML,
    ALPHA,
    BETA,
    CLUSTER,
    CLUSTER_YAML,
    PROJECTS,
    TENANTS,
    TIER,
    TIER_YAML,
    build_tree,
    findings,
    lines,
    pos,
    project_yaml,
    shown,
    tenant_yaml,
    validate,
)

PROJECT = f"{PROJECTS}/alpha.yaml"


def test_unknown_field_lists_the_allowed_ones(tmp_path: Path) -> None:
    text = project_yaml("alpha").replace("    credentialsSecret", "    password: hunter2\n    credentialsSecret")
    root = build_tree(tmp_path, {PROJECT: text})
    assert pos(text, "password") == (11, 5)
    assert lines(root) == [
        (f"{shown(PROJECT)}:11:5: $.spec.repository.password: unknown field 'password'; "
        "allowed: credentialsSecret, name, type, url"),
    ]


def test_several_unknown_fields_are_named_on_their_map(tmp_path: Path) -> None:
    text = project_yaml("alpha").replace("    credentialsSecret", "    password: x\n    username: z\n    credentialsSecret")
    root = build_tree(tmp_path, {PROJECT: text})
    assert lines(root) == [
        (f"{shown(PROJECT)}:9:3: $.spec.repository: unknown field 'password', 'username'; "
        "allowed: credentialsSecret, name, type, url"),
    ]


def test_unknown_top_level_field(tmp_path: Path) -> None:
    root = build_tree(tmp_path, {BETA: tenant_yaml("beta") + "status: {}\n"})
    assert lines(root) == [
        f"{shown(BETA)}:12:1: $.status: unknown field 'status'; allowed: apiVersion, kind, metadata, spec",
    ]


def test_enum_lists_the_allowed_values(tmp_path: Path) -> None:
    root = build_tree(tmp_path, {ACCOUNT: ACCOUNT_YAML.replace("provider: aws", "provider: gcp")})
    assert lines(root) == [f'{shown(ACCOUNT)}:6:3: $.spec.provider: "gcp" is not allowed; allowed: "aws", "azure"']


def test_enum_inside_a_list(tmp_path: Path) -> None:
    root = build_tree(tmp_path, {BETA: tenant_yaml("beta").replace("kind: Group", "kind: Team")})
    assert lines(root) == [
        (f'{shown(BETA)}:7:7: $.spec.owners[0].kind: "Team" is not allowed; allowed: "Group", "User", '
        '"ServiceAccount"'),
    ]


def test_wrong_type(tmp_path: Path) -> None:
    text = tenant_yaml("beta", extra="namespaces:\n  quota: many\nreaders: sre\n")
    root = build_tree(tmp_path, {BETA: text})
    assert lines(root) == [
        f'{shown(BETA)}:13:5: $.spec.namespaces.quota: expected integer, found string "many"',
        f'{shown(BETA)}:14:3: $.spec.readers: expected array, found string "sre"',
    ]


def test_unquoted_number_where_a_quantity_is_expected(tmp_path: Path) -> None:
    root = build_tree(tmp_path, {BETA: tenant_yaml("beta", extra="resources:\n  requests:\n    cpu: 2\n")})
    assert lines(root) == [f"{shown(BETA)}:14:7: $.spec.resources.requests.cpu: expected string, found integer 2"]


def test_bad_quantity_pattern_gives_examples(tmp_path: Path) -> None:
    root = build_tree(tmp_path, {BETA: tenant_yaml("beta", extra="resources:\n  limits:\n    memory: 2 gigs\n")})
    [finding] = findings(root)
    assert (finding.file, finding.line, finding.col, finding.field) == (
        shown(BETA), 14, 7, "$.spec.resources.limits.memory")
    assert finding.message == (
        '"2 gigs" is not allowed: must match pattern ^[0-9]+(\\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$ '
        '(e.g. "512Mi", "8Gi")')


def test_bad_hostname(tmp_path: Path) -> None:
    [finding] = findings(build_tree(tmp_path, {BETA: tenant_yaml("beta", "api.*.example.com")}))
    assert (finding.line, finding.col, finding.field) == (14, 9, "$.spec.ingress.hostnames[0]")
    assert finding.message.startswith('"api.*.example.com" is not allowed: must match pattern')
    assert '(e.g. "api.payments.example.com", "*.payments.example.com")' in finding.message


def test_a_field_failing_two_rules_is_reported_once(tmp_path: Path) -> None:
    # contact.email has both a format and a pattern: one mistake, one finding.
    root = build_tree(tmp_path, {BETA: tenant_yaml("beta").replace("beta@example.com", "beta-at-example")})
    assert lines(root) == [
        (f'{shown(BETA)}:11:5: $.spec.contact.email: "beta-at-example" is not allowed: must be a valid email '
        '(e.g. "payments-team@example.com")'),
    ]


def test_bad_label_key_says_it_is_the_key(tmp_path: Path) -> None:
    text = tenant_yaml("beta", extra="additionalMetadata:\n  labels:\n    'Bad Key!': x\n")
    [finding] = findings(build_tree(tmp_path, {BETA: text}))
    assert finding.field == "$.spec.additionalMetadata.labels"
    assert finding.message.startswith('key "Bad Key!" is not allowed: must match pattern')


def test_missing_required_field_points_at_its_parent(tmp_path: Path) -> None:
    text = tenant_yaml("beta").replace("  owners:\n    - kind: Group\n      name: beta-admins\n", "")
    root = build_tree(tmp_path, {BETA: text})
    assert lines(root) == [f"{shown(BETA)}:5:1: $.spec.owners: missing required field 'owners'"]


def test_every_missing_required_field_is_reported(tmp_path: Path) -> None:
    text = ACCOUNT_YAML.replace("  region: eu-west-1\n", "").replace('  id: "111111111111"\n', "")
    root = build_tree(tmp_path, {ACCOUNT: text})
    assert lines(root) == [
        f"{shown(ACCOUNT)}:5:1: $.spec.id: missing required field 'id'",
        f"{shown(ACCOUNT)}:5:1: $.spec.region: missing required field 'region'",
    ]


def test_missing_spec(tmp_path: Path) -> None:
    root = build_tree(tmp_path, {BETA: "apiVersion: tenantgen.io/v1alpha1\nkind: Tenant\nmetadata:\n  name: beta\n"})
    assert lines(root) == [f"{shown(BETA)}:1:1: $.spec: missing required field 'spec'"]


def test_wrong_api_version(tmp_path: Path) -> None:
    root = build_tree(tmp_path, {BETA: tenant_yaml("beta").replace("tenantgen.io/v1alpha1", "tenantgen.io/v1")})
    assert lines(root) == [
        f'{shown(BETA)}:1:1: $.apiVersion: "tenantgen.io/v1" is not allowed; expected "tenantgen.io/v1alpha1"',
    ]


def test_karpenter_with_both_role_and_instance_profile(tmp_path: Path) -> None:
    text = CLUSTER_YAML.replace("    role: KarpenterNodeRole-dev-euw1\n",
                                "    role: KarpenterNodeRole-dev-euw1\n    instanceProfile: KarpenterProfile\n")
    root = build_tree(tmp_path, {CLUSTER: text})
    assert lines(root) == [
        (f"{shown(CLUSTER)}:9:3: $.spec.karpenter: set exactly one of 'role' or 'instanceProfile', "
        "not 'role' and 'instanceProfile' together"),
    ]


def test_karpenter_with_neither_role_nor_instance_profile(tmp_path: Path) -> None:
    root = build_tree(tmp_path, {CLUSTER: CLUSTER_YAML.replace("    role: KarpenterNodeRole-dev-euw1\n", "")})
    assert lines(root) == [
        (f"{shown(CLUSTER)}:9:3: $.spec.karpenter: missing required field: set exactly one of 'role' or "
        "'instanceProfile'"),
    ]


def test_karpenter_with_instance_profile_only_is_valid(tmp_path: Path) -> None:
    text = CLUSTER_YAML.replace("    role: KarpenterNodeRole-dev-euw1\n", "    instanceProfile: KarpenterProfile\n")
    assert lines(build_tree(tmp_path, {CLUSTER: text})) == []


def test_null_in_a_tenant_spec_is_a_merge_directive(tmp_path: Path) -> None:
    tier = TIER_YAML.replace("    services:\n", "    limitRange:\n      max: {cpu: \"4\", memory: 8Gi}\n    services:\n")
    beta = tenant_yaml("beta", extra="nodePool: null\nlimitRange:\n  max: null\nservices: null\n")
    result = validate(build_tree(tmp_path, {TIER: tier, BETA: beta}))
    assert result.findings == []
    [cluster] = result.fleet.clusters
    assert "limitRange" in cluster.tenants["alpha"].spec
    spec = cluster.tenants["beta"].spec
    assert "nodePool" not in spec and "services" not in spec and "limitRange" not in spec.get("limitRange", {})
    assert spec.get("limitRange") in (None, {})


def test_null_in_cluster_defaults_is_a_merge_directive(tmp_path: Path) -> None:
    text = CLUSTER_YAML.replace("    nodePool: apps\n", "    nodePool: apps\n    services: null\n")
    result = validate(build_tree(tmp_path, {CLUSTER: text}))
    assert result.findings == []
    assert "services" not in result.fleet.clusters[0].tenants["alpha"].spec


def test_null_inside_a_list_is_not_a_directive(tmp_path: Path) -> None:
    root = build_tree(tmp_path, {BETA: tenant_yaml("beta", extra="readers: [sre, null]\n")})
    assert lines(root) == [f"{shown(BETA)}:12:18: $.spec.readers[1]: expected string, found null"]


def test_schema_errors_of_several_files_in_one_run(tmp_path: Path) -> None:
    root = build_tree(tmp_path, {
        ACCOUNT: ACCOUNT_YAML.replace("provider: aws", "provider: gcp"),
        ALPHA: tenant_yaml("alpha", extra="namespaces:\n  quota: 0\n"),
        TIER: TIER_YAML.replace("labelPrefix: platform.example.com", "labelPrefix: Platform"),
    })
    assert [(f.file, f.field) for f in findings(root)] == [
        (shown(ACCOUNT), "$.spec.provider"),
        (shown(ALPHA), "$.spec.namespaces.quota"),
        (shown(TIER), "$.spec.labelPrefix"),
    ]


def test_a_large_tree_is_checked_in_helper_processes_with_the_same_findings() -> None:
    import copy
    import dataclasses

    from tenantgen.fast.document_check import PARALLEL_MIN, CachedDocumentCheck
    from tenantgen.fast.helpers import HelperPool
    from tenantgen.load.tree import load_tree
    from tenantgen.validate.tree_check import check_documents
    from tests.helpers import EXAMPLE_TREE

    tree, _ = load_tree(EXAMPLE_TREE)
    docs = [dataclasses.replace(doc, data=copy.deepcopy(doc.data)) for _ in range(60) for doc in tree.documents()]
    assert len(docs) >= PARALLEL_MIN
    tenants = [doc for doc in docs if doc.kind == "Tenant"]
    tenants[3].data["spec"]["costCenter"] = 12  # a schema finding
    tenants[-1].data["metadata"]["labels"] = {"token": "xoxb-123456789012-abcdefghijkl"}  # a credential
    with HelperPool() as pool:
        parallel = CachedDocumentCheck(None, pool)(docs)
    assert parallel == check_documents(docs)
    assert [index for index, found in enumerate(parallel) if found] == [
        next(index for index, doc in enumerate(docs) if doc is broken) for broken in (tenants[3], tenants[-1])]


def test_a_cold_large_tree_checked_while_parsed_reports_what_a_sequential_check_does(tmp_path: Path) -> None:
    # A cold parse cache hands files to helper processes as the tree is read; they check each
    # document as they parse it. Their verdicts must hide no finding and invent none.
    import importlib.util

    from tenantgen.fast.parse_cache import PREFETCH_MIN
    from tenantgen.load.tree import load_tree
    from tenantgen.pipeline import validate
    from tenantgen.validate.tree_check import validate_loaded
    from tests.helpers import REPO_ROOT

    spec = importlib.util.spec_from_file_location("fleet_generator", REPO_ROOT / "benchmarks" / "fleet.py")
    assert spec is not None and spec.loader is not None
    fleet = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fleet)
    root = tmp_path / "tiers"
    fleet.generate(root, 2, 220)
    tenants = sorted(root.glob("prod/*/*/tenants/*.yaml"))
    assert len(list(root.rglob("*.yaml"))) >= PREFETCH_MIN
    bad_schema, bad_secret, null_directive = tenants[3], tenants[-1], tenants[10]
    bad_schema.write_text(bad_schema.read_text().replace("costCenter:", "costCenter: 12\n  x-was-costCenter:", 1))
    bad_secret.write_text(bad_secret.read_text().replace("  costCenter:", "  readers: [xoxb-123456789012-abcdefghijkl]\n"
                                                                            "  costCenter:", 1))
    null_directive.write_text(null_directive.read_text() + "  limitRange:\n    max: null\n")

    tree, loaded = load_tree(root)
    sequential = validate_loaded(tree, loaded).findings
    assert {Path(finding.file).name for finding in sequential} == {bad_schema.name, bad_secret.name}
    cache = tmp_path / "cache"
    cold = validate.validate_tree(root, cache_dir=cache)
    warm = validate.validate_tree(root, cache_dir=cache)
    assert [finding.to_json() for finding in cold.findings] == [finding.to_json() for finding in sequential]
    assert [finding.to_json() for finding in warm.findings] == [finding.to_json() for finding in sequential]


def test_a_name_over_forty_characters_is_refused(tmp_path: Path) -> None:
    # The limit sits beside a "$ref" in the schema: the compiled check must apply both (draft 2020-12).
    name = "a" * 41
    path = f"{TENANTS}/{name}.yaml"
    text = tenant_yaml(name)
    root = build_tree(tmp_path, {path: text})
    line, col = pos(text, "name:")
    assert lines(root) == [f'{shown(path)}:{line}:{col}: $.metadata.name: "{name}": too long (at most 40 characters)']
