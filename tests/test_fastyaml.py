"""The fast YAML reader gives exactly ruamel's result, or declines (and ruamel is asked)."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from tenantgen.yamlio import fast as fastyaml
from tenantgen.yamlio import reader as yamlio
from tests.helpers import REPO_ROOT
from tests.support.yaml_data import TRICKY, documents, same


def ruamel_dump(document: Any) -> str:
    stream = io.StringIO()
    yamlio._output_dumper().dump(document, stream)
    return stream.getvalue()


def ruamel_load(text: str) -> list[Any]:
    """ruamel's reading with tenantgen's resolver and constructor (the fast path's reference)."""
    return yamlio._parsed(text)


@pytest.mark.parametrize("rendered", [False, True], ids=["tree-parser", "rendered-output-parser"])
@settings(max_examples=400, deadline=None)
@given(document=documents)
def test_fast_load_is_ruamels_load_or_nothing(document: dict[str, Any], rendered: bool) -> None:
    for text in (ruamel_dump(document), _flow(document)):
        try:
            expected = ruamel_load(text)
        except Exception:  # noqa: BLE001 - ruamel refuses: the tree's fast path must not accept it
            # Rendered output is read with PyYAML's newer libyaml, which accepts a little more (a colon
            # inside a flow scalar, "{12:30: x}", as YAML 1.2 and Kubernetes' reader do).
            if not rendered:
                assert fastyaml.load_all(text) is None
            continue
        fast = fastyaml.load_all(text, rendered=rendered)
        if fast is not None:
            assert fast == expected


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(TRICKY + ["a", "b"]), st.sampled_from(TRICKY)), max_size=6))
def test_plain_scalars_resolve_as_ruamel_resolves_them(pairs: list[tuple[str, str]]) -> None:
    text = "".join(f"{key}: {value}\n" for key, value in pairs)
    try:
        expected = ruamel_load(text)
    except Exception:  # noqa: BLE001
        assert fastyaml.load_all(text) is None
        return
    fast = fastyaml.load_all(text)
    if fast is not None:
        assert fast == expected


def test_common_documents_take_the_fast_path() -> None:
    document = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "labels": {"on": "yes"}},
                "data": {"a": "1", "b": "multi\nline", "c": "", "d": "0777"}, "list": [1, True, None, []], "m": {}}
    assert fastyaml.load_all(ruamel_dump(document)) == [document]


def test_timestamps_are_the_text_written() -> None:
    assert fastyaml.load_all("a: 2001-12-14\nb: 2001-12-14 21:59:43.10 -5\n") == [
        {"a": "2001-12-14", "b": "2001-12-14 21:59:43.10 -5"}]


def test_what_ruamel_reports_is_left_to_ruamel() -> None:
    assert fastyaml.load_all("a: 1\na: 2\n") is None  # duplicate key
    assert fastyaml.load_all("a: yes\n") is None  # a scalar Helm reads otherwise
    assert fastyaml.load_all("a: [http://x]\n") is None  # a ":" inside a flow scalar: libyaml refuses
    assert fastyaml.load_all("%YAML 1.1\n---\na: yes\n") is None
    assert fastyaml.load_all("a: !!binary aGk=\n") is None
    assert fastyaml.load_all("a: [b\n") is None  # a syntax error


def test_rendered_output_takes_its_fast_path_and_keeps_the_limits() -> None:
    text = "kind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: 'yes'\n  b: 12\n  c: 2001-12-14\n"
    assert fastyaml.load_all(text, yamlio._LIMITS, rendered=True) == [
        {"kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"a": "yes", "b": 12, "c": "2001-12-14"}}]
    assert fastyaml.load_all("a: 012\n", yamlio._LIMITS, rendered=True) is None  # octal to Helm
    assert fastyaml.load_all("a: &x [1]\nb: *x\n", yamlio._LIMITS, rendered=True) is None  # an alias
    assert fastyaml.load_all('a: "\\x07"\n', yamlio._LIMITS, rendered=True) is None  # a control character
    with pytest.raises(yamlio.YamlProblem, match="control character"):
        yamlio.load_rendered('a: "\\x07"\n')


def rust_read_is_tenantgens_or_nothing(text: str) -> None:
    """What the yaml_rs path gives for rendered output is what the libyaml and ruamel paths give."""
    fast = fastyaml._load_rust(text, yamlio._LIMITS)
    if fast is None:
        return
    rust, fastyaml._yaml_rs = fastyaml._yaml_rs, None
    try:
        expected = yamlio.load_rendered(text)
    except yamlio.YamlProblem as problem:
        # ruamel's libyaml is older than PyYAML's, which reads ":" and "?" inside a flow scalar
        # ("{1:2: x}") as YAML 1.2 does; the libyaml path read such text before yaml_rs did, when nothing
        # else in the text sent it on to ruamel. Any other refusal must be the yaml_rs path's too.
        if problem.code != "yaml-syntax" or not _pyyaml_composes(text):
            pytest.fail(f"the yaml_rs path accepted what tenantgen refuses ({problem}): {text!r}")
        return
    finally:
        fastyaml._yaml_rs = rust
    assert same(fast, expected), text


def _pyyaml_composes(text: str) -> bool:
    try:
        list(yaml.compose_all(text, Loader=yaml.CSafeLoader))
    except yaml.YAMLError:
        return False
    return True


def _styled(document: dict[str, Any], style: str) -> str:
    stream = io.StringIO()
    yaml = YAML(typ="safe", pure=True)
    yaml.default_style = style  # '"': every escape YAML has; "|": block scalars, their chomping
    yaml.dump(document, stream)
    return stream.getvalue()


@settings(max_examples=400, deadline=None)
@given(documents)
def test_the_rust_reader_of_rendered_output_reads_as_tenantgen_or_declines(document: dict[str, Any]) -> None:
    for text in (ruamel_dump(document), _flow(document), _styled(document, '"'), _styled(document, "|")):
        rust_read_is_tenantgens_or_nothing(text)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(TRICKY + ["a", "b"]),
                          st.one_of(st.sampled_from(TRICKY), st.sampled_from(TRICKY).map(lambda v: f"[{v}, x]"),
                                    st.sampled_from(TRICKY).map(lambda v: '"' + v.replace("\\", "\\\\") + '"'))),
                max_size=6))
def test_the_rust_reader_resolves_plain_scalars_as_tenantgen_or_declines(pairs: list[tuple[str, str]]) -> None:
    rust_read_is_tenantgens_or_nothing("".join(f"{key}: {value}\n" for key, value in pairs))


@pytest.mark.parametrize("text", [
    'a: "\\x07"\n', "a: &x [1]\nb: *x\n", "a: !!str 1\n", "a: _1\n", "a: 0X1F\n", "a: 2001-12-14\n",
    "a: 2001-12-14t21:59:43.10-05:00\n", "a: 2024-13-45\n", "a: 2024-1-2 3:04:05\n", "a: 99999999999999999999\n", "a: .inf\n", "a: 1e400\n", "a: 1\na: 2\n",
    "1: a\n", "a: [b\n", "a:\n" + "".join(" " * (level + 1) + "- x:\n" for level in range(70)), "<<: {a: 1}\n",
    "a: 1\n...\n", "a: \"\\u2028\"\n", "a: \"\\N\"\n", "a: [:x]\n", "a:\tb\n", "a: -_1\n", "a: [x, |y]\n",
    "a: b\nc: [d, &e]\n"])
def test_the_rust_reader_declines_what_it_cannot_read_as_tenantgen(text: str) -> None:
    assert fastyaml._load_rust(text, yamlio._LIMITS) is None


def tree_read_is_ruamels_or_nothing(text: str) -> None:
    """A file of the tree reads through yaml_rs as through ruamel's parser: the same data, or the
    same refusal (ruamel's libyaml is older than yaml_rs and PyYAML's, and it is the one that decides)."""
    def read() -> Any:
        try:
            return yamlio.load_all(text.encode())
        except yamlio.YamlProblem as problem:
            return problem.message, problem.line, problem.code

    with_rust = read()
    rust, fastyaml._yaml_rs = fastyaml._yaml_rs, None
    try:
        without = read()
    finally:
        fastyaml._yaml_rs = rust
    if isinstance(without, tuple) or isinstance(with_rust, tuple):
        assert with_rust == without, text  # the same refusal
    else:
        assert same(with_rust, without), text


@settings(max_examples=300, deadline=None)
@given(documents)
def test_the_rust_reader_of_tree_files_reads_as_ruamel(document: dict[str, Any]) -> None:
    for text in (ruamel_dump(document), _flow(document), _styled(document, '"'), _styled(document, "|")):
        tree_read_is_ruamels_or_nothing(text)


@pytest.mark.parametrize("text", ["a: {1:2: x}\n", "a: [http://x]\n", "a: [a?b]\n", "a: b:c\n", "a: [x, y]\n",
                                  "a: [x, ! 0]\n", "a: [_._1, 1e1_0]\n", "a: [.5e1]\n", "a: [-_, ._]\n",
                                  "a: [a :]\n", "a: {a:}\n", "a: [?b]\n", 'a: ["d":x:y]\n'])
def test_flow_scalars_with_a_colon_read_alike_with_or_without_yaml_rs(text: str) -> None:
    tree_read_is_ruamels_or_nothing(text)


_FLOW_PIECES = ["a", "b", "1", "0", ":", "/", ".", "?", "#", "-", ",", "[", "]", "{", "}", " ", "_", "~", "%", "@",
                "=", "+", "https://x.y/z", "oidc:t.d", "'q:'", '"d"', "!", "&", "*", "|", ">", "yes", "0755", "1e3"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_FLOW_PIECES), min_size=1, max_size=7),
       st.sampled_from(["k: [%s]\n", "k: {%s}\n", "k: [x, %s, {a: b}]\n", "- {a: %s}\n", "k:\n  - [%s]\n  - c: d\n"]))
def test_flow_collections_read_alike_with_or_without_yaml_rs(pieces: list[str], frame: str) -> None:
    """Any text in a flow collection (":" and "?" inside scalars, indicators, quotes): the yaml_rs
    path gives what ruamel's parsers give (libyaml, or its Python parser where libyaml refuses)."""
    tree_read_is_ruamels_or_nothing(frame % "".join(pieces))


@pytest.mark.parametrize("text", ["a: [https://github.com/org/repo]\n", "readers: [oidc:team.devs, x]\n",
                                  "a: {url: https://x.example.com:8443/p}\n"])
def test_flow_scalars_with_a_colon_inside_take_the_rust_reader(text: str) -> None:
    assert not fastyaml._flow_may_read_otherwise(text)
    assert fastyaml._load_rust(text, yamlio._LIMITS) == yamlio._parsed(text)


def test_tree_files_of_the_example_take_the_rust_reader() -> None:
    texts = [path.read_text() for path in sorted((REPO_ROOT / "tiers").rglob("*.yaml"))]
    read = [text for text in texts if not fastyaml._flow_may_read_otherwise(text)
            and fastyaml._load_rust(text, yamlio._LIMITS) is not None]
    assert len(texts) > 20 and len(read) >= 0.8 * len(texts)
    for text in texts:
        tree_read_is_ruamels_or_nothing(text)


def test_rendered_objects_of_the_example_take_the_rust_reader() -> None:
    texts = [path.read_text().split("\n", 1)[1] for path in
             sorted((REPO_ROOT / "tests" / "golden" / "example").rglob("manifests/*/*.yaml"))]
    read = [text for text in texts if fastyaml._load_rust(text, yamlio._LIMITS) is not None]
    assert len(texts) > 50 and len(read) >= 0.85 * len(texts)
    for text in read:
        rust_read_is_tenantgens_or_nothing(text)


def test_yamlio_gives_the_same_answers_through_either_path() -> None:
    text = "a: 'yes'\nb: 12\nc: [1, {d: e}]\nf: null\ng: 2001-12-14 21:59:43.10 -5\n"
    assert yamlio.load_all(text.encode()) == [
        {"a": "yes", "b": 12, "c": [1, {"d": "e"}], "f": None, "g": "2001-12-14 21:59:43.10 -5"}]


def _flow(document: dict[str, Any]) -> str:
    stream = io.StringIO()
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = True
    yaml.dump(document, stream)
    return stream.getvalue()


# The screens as first written (a look-behind or character class first): slow on long texts, plain
# to read. The literal-led screens that replaced them must give the same verdict on any text.
_PLAIN_NODE_PROPERTY = re.compile(r"[&*](?<![^\s\[{,][&*])\S|!(?<![^\s\[{,]!)")
_PLAIN_UNDERSCORE_NUMBER = re.compile(r"(?<![\w.])[-+]?_[0-9_]")


def _plain_indicator_start(text: str, indicator: str) -> bool:
    return any(before + indicator in text for before in " \n[{,")


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet=" \n\u3000[{,&*!ax", max_size=8))
def test_the_literal_led_node_property_screen_finds_what_the_plain_one_finds(text: str) -> None:
    assert any(pattern.search(text) for pattern in fastyaml._NODE_PROPERTY.values()) == bool(
        _PLAIN_NODE_PROPERTY.search(text))


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet=" _-+.a0é", max_size=8))
def test_the_literal_led_underscore_screen_finds_what_the_plain_one_finds(text: str) -> None:
    assert bool(fastyaml._UNDERSCORE_NUMBER.search(text)) == bool(_PLAIN_UNDERSCORE_NUMBER.search(text))


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet=" \n\t[{,a:?|>@`%", max_size=8))
def test_the_literal_led_indicator_screen_finds_what_the_plain_one_finds(text: str) -> None:
    for indicator in fastyaml._INDICATORS:
        assert bool(fastyaml._INDICATOR_STARTS[indicator].search(text)) == _plain_indicator_start(text, indicator)


def _plain_flow_may_read_otherwise(text: str) -> bool:
    """``fastyaml._flow_may_read_otherwise`` as first written: every line looked at."""
    for line in text.split("\n"):
        starts = [index for index in (line.find("["), line.find("{")) if index >= 0]
        if not starts:
            continue
        flow = line[min(starts):]
        if flow.count("[") != flow.count("]") or flow.count("{") != flow.count("}"):
            return True
        if fastyaml._INNER_INDICATOR.search(flow):
            return True
    return False


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet="[]{}\n :?ab", max_size=16))
def test_the_flow_screen_that_skips_lines_without_brackets_says_what_the_plain_one_says(text: str) -> None:
    assert fastyaml._flow_may_read_otherwise(text) == _plain_flow_may_read_otherwise(text)
