"""The fast path of the positioned YAML loader (:mod:`dativo_infra.config.yamlpos`) against the loader
it replaced (:mod:`tests.config.yamlpos_reference`: ruamel's own composer, every tag read as text, the
alias-aware size count on every document). For generated documents — YAML 1.2 resolution (``on``,
``yes``, ``0o17``, ``017``, dates, ``.inf``), explicit tags, duplicate keys, anchors, aliases, merge
keys, nesting, broken indentation, several documents — both give the same value (types included),
the same line for every path, or the same error, byte for byte."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode

from dativo_infra.config import yamlpos
from dativo_infra.config.yamlpos import MAX_DEPTH, PositionedDocument, compose_all, parse_positioned
from dativo_infra.errors import JobError
from tests.config import yamlpos_reference as reference

PROPERTY = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

#: Plain scalars whose meaning depends on the YAML version or on the resolver's rules.
PLAIN = [
    "on", "off", "On", "OFF", "yes", "no", "Yes", "NO", "y", "n", "true", "True", "TRUE", "tRue",
    "false", "False", "null", "Null", "NULL", "~", "nULL", "0o17", "-0o17", "+0o17", "0o8", "017", "08",
    "0x1F", "0X1f", "-0x1f", "0b101", "-0b11", "1_000", "_1", "1__0", "12", "-12", "+12", "0", "-0",
    "1.5", "1.", ".5", "-.5", "1e3", "1E-3", "1.5e+3", "1_0.5", ".inf", "-.inf", "+.inf", ".Inf",
    "-.INF", ".nan", ".NaN", ".NAN", "nan", "inf", "2001-12-14", "2001-12-14t21:59:43.10-05:00",
    "2001-12-14 21:59:43.10", "2002-1-1", "1:20", "190:20:30", "=", "<<", "a b", "x:y", "-", "e",
    "0o", "0x", "1e", "12abc", "9" * 400,
]  # fmt: skip
QUOTED = ["'on'", '"0o17"', "'1'", '"true"', "''", '"null"', "'<<'", '"a\\tb"', "'it''s'"]
TAGGED = [
    "!!str 1", "!!str on", '!!int "3"', "!!int x", "!!bool yes", "!!bool true", "!!float 1",
    "!!float x", "!!null ''", "!!null x", "!!binary aGk=", "!!timestamp 2001-01-01", "!custom x",
    "!foo:null x", "!!merge x", "!<tag:yaml.org,2002:int> 7", "!!set {a, b}", "!!seq [1]",
]  # fmt: skip
KEYS = ["a", "b", "c", "d", "on", "1", "true", "null", "~", "'a'", "0o17", "2001-01-01"]
SCALAR = st.sampled_from(PLAIN + QUOTED + TAGGED)


@st.composite
def documents(draw: st.DrawFn) -> str:
    """A block mapping of keys, scalars, nested block/flow mappings and sequences, anchors, aliases to
    them and merge keys (keys mostly distinct: a duplicate now and then)."""
    anchors: list[str] = []  # defined
    names: list[str] = []  # given to a node being written
    maps: list[str] = []  # defined on a mapping

    def mapping(depth: int, indent: int) -> list[str]:
        pad = " " * indent
        lines = []
        keys = draw(st.lists(st.sampled_from(KEYS), min_size=1, max_size=4, unique=draw(st.booleans())))
        for key in keys:
            form = draw(st.sampled_from(["scalar", "scalar", "nested", "sequence", "alias", "merge", "flow"]))
            anchor = f"&a{len(anchors) + len(names)} " if draw(st.integers(0, 3)) == 0 else ""
            if anchor:
                names.append(anchor[1:-1])  # each name once, whatever is nested in this node
            if form in ("alias", "merge") and not anchors:
                form = "scalar"
            if form in ("nested", "sequence") and depth >= 3:
                form = "flow"
            if form == "scalar":
                lines.append(f"{pad}{key}: {anchor}{draw(SCALAR)}")
            elif form == "nested":
                lines.append(f"{pad}{key}: {anchor}".rstrip())
                lines += mapping(depth + 1, indent + 2)
            elif form == "sequence":
                lines.append(f"{pad}{key}: {anchor}".rstrip())
                for _ in range(draw(st.integers(1, 3))):
                    if draw(st.booleans()):
                        lines.append(f"{pad}  - {draw(SCALAR)}")
                    else:
                        inner = mapping(depth + 1, indent + 4)
                        lines.append(f"{pad}  - {inner[0].strip()}")
                        lines += inner[1:]
            elif form == "alias":
                lines.append(f"{pad}{key}: *{draw(st.sampled_from(anchors))}")
            elif form == "merge":
                some = draw(st.lists(st.sampled_from(maps or anchors), min_size=1, max_size=2))
                target = draw(
                    st.sampled_from([f"*{some[0]}", f"[{', '.join('*' + a for a in some)}]", "{m: 1}", "1"])
                )
                lines.append(f"{pad}<<: {target}")
            else:
                items = draw(st.lists(SCALAR, max_size=3))
                pairs = draw(st.lists(st.tuples(st.sampled_from(KEYS[:6]), SCALAR), max_size=3))
                flow = (
                    f"[{', '.join(items)}]"
                    if draw(st.booleans())
                    else "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"
                )
                lines.append(f"{pad}{key}: {anchor}{flow}")
            if anchor:  # defined once its node is written: later aliases may use it
                anchors.append(anchor[1:-1])
                names.remove(anchor[1:-1])
                if form == "nested" or lines[-1].endswith("}"):
                    maps.append(anchor[1:-1])
        return lines

    return "\n".join(mapping(0, 0)) + "\n"


#: Fragments of YAML syntax, glued at random: mostly invalid documents (every error path).
FRAGMENTS = [
    "a: ", "b:", "- ", "  ", "\n", "\t", ": ", "&x ", "*x", "*z", "<<: ", "[", "]", "{", "}", ",",
    "'", '"', "---\n", "...\n", "%YAML 1.1\n", "%YAML 1.2\n---\n", "%TAG ! tag:x,2000:\n---\n",
    "? ", "!!str ", "!x ", "#c", "|\n  t", ">-\n  t", "on", "0o17", "2001-01-01", "\x00", "\x85",
    "\ufeff", "\u2028", "\x1b", "x\n",
]  # fmt: skip
SOUP = st.lists(st.sampled_from(FRAGMENTS), max_size=30).map("".join)


def typed(value: Any) -> Any:
    """``value`` with the type of every leaf (``True`` is not ``1``, ``1.0`` is not ``1``; NaN equals NaN)."""
    if isinstance(value, dict):
        return {"dict": [(key, typed(item)) for key, item in value.items()]}
    if isinstance(value, list):
        return {"list": [typed(item) for item in value]}
    if isinstance(value, float) and math.isnan(value):
        return ("float", "nan")
    return (type(value).__name__, value)


def outcome(parse: Any, text: str) -> tuple[str, Any]:
    try:
        document: PositionedDocument = parse(text, "f.yaml")
    except JobError as error:
        return "error", str(error)
    except RecursionError:  # neither loader may overflow the stack, but report it as a difference
        return "recursion", None
    return "value", (typed(document.value), document.lines)


def assert_same(text: str) -> None:
    assert outcome(parse_positioned, text) == outcome(reference.parse_positioned, text), text


@PROPERTY
@given(documents())
@example("a: on\nb: yes\nc: 0o17\nd: 017\ne: 2001-12-14\nf: .inf\ng: ~\n")
@example("a: 1\na: 2\n")
@example("base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  x: 3\n")
@example("c:\n  x: 3\n  <<: [*b]\n")
@example("s: &s [1, 2]\nt: *s\n")
@example("a: {b: 1, b: 2}\n")
@example("? [1]\n: 2\n")
def test_generated_documents_load_as_before(text: str) -> None:
    assert_same(text)


@PROPERTY
@given(SOUP)
@example("a: [1, 2\n")
@example("a: *z\n")
@example("---\na: 1\n---\nb: 2\n")
@example("- 1\n- 2\n")
@example("just text")
@example("a: \x00\n")
@example("%YAML 1.1\n---\na: on\n")
def test_arbitrary_fragments_load_or_fail_as_before(text: str) -> None:
    assert_same(text)


def test_every_job_file_of_the_repository_loads_as_before() -> None:
    files = sorted(Path("jobs").rglob("*.y*ml")) + sorted(Path("tests/fixtures").rglob("*.y*ml"))
    assert len(files) > 50
    for path in files:
        assert_same(path.read_text(encoding="utf-8", errors="replace"))


def test_nesting_too_deep_is_the_same_first_node_with_and_without_anchors() -> None:
    deep = "a:\n" + "".join(f"{' ' * (2 * i)}- x: {i}\n{' ' * (2 * i)}  y:\n" for i in range(1, 40))
    assert_same(deep)
    assert_same("k: &k v\n" + deep)  # an anchor: the alias-aware count
    with pytest.raises(JobError, match=f"more than {MAX_DEPTH} levels"):
        parse_positioned(deep, "f.yaml")


def test_too_many_nodes_through_aliases_is_the_same_error() -> None:
    bomb = "a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(5)
    )
    assert_same(bomb)
    with pytest.raises(JobError, match="too many nodes"):
        parse_positioned(bomb, "f.yaml")


def same_tree(ours: Node, theirs: Node, seen: dict[int, int]) -> None:
    """Equal node trees: type, tag, value, position, anchor, and aliases at the same places."""
    assert type(ours) is type(theirs)
    assert (ours.tag, ours.start_mark.line, ours.start_mark.column, ours.anchor) == (
        theirs.tag,
        theirs.start_mark.line,
        theirs.start_mark.column,
        theirs.anchor,
    )
    if seen.setdefault(id(ours), id(theirs)) != id(theirs):
        raise AssertionError("an alias resolves to another node")
    if isinstance(ours, ScalarNode):
        assert (ours.value, ours.style) == (theirs.value, theirs.style)
        return
    pairs = zip(ours.value, theirs.value, strict=True)
    if isinstance(ours, MappingNode):
        for (our_key, our_value), (their_key, their_value) in pairs:
            same_tree(our_key, their_key, seen)
            same_tree(our_value, their_value, seen)
    else:
        for our_item, their_item in pairs:
            same_tree(our_item, their_item, seen)


@PROPERTY
@given(st.one_of(documents(), SOUP))
def test_the_memoised_composer_builds_ruamels_nodes(text: str) -> None:
    try:
        theirs = reference.compose_all(text)
    except Exception as error:
        with pytest.raises(type(error)) as caught:
            compose_all(text)
        assert str(caught.value) == str(error)
        return
    ours = compose_all(text)
    assert len(ours) == len(theirs)
    seen: dict[int, int] = {}
    for our_node, their_node in zip(ours, theirs, strict=True):
        same_tree(our_node, their_node, seen)
        for node in _walk(our_node):  # the kind the builder reads off the shared tags
            assert yamlpos._node_kind(node) == yamlpos._kind(yamlpos._tag(node))


def _walk(node: Node) -> list[Node]:
    if isinstance(node, ScalarNode):
        return [node]
    children = [n for pair in node.value for n in pair] if isinstance(node, MappingNode) else node.value
    return [node, *(n for child in children for n in _walk(child))]


def test_a_long_scalar_is_resolved_but_not_remembered() -> None:
    long = "1" * (yamlpos._RESOLVED_TEXT + 1)
    (node,) = compose_all(f"a: {long}\n")
    assert yamlpos._node_kind(node.value[0][1]) == "int"
    assert all(key[1] != long for key in yamlpos._RESOLVED)
