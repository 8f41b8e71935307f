"""Filling one YAML text: values as data, quoting styles, every problem reported, placeholders found
with their paths (:mod:`dativo_infra.render.splice`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dativo_infra.errors import ErrorReport
from dativo_infra.render.outputs import StackOutputs, parse_outputs, read_outputs
from dativo_infra.render.splice import find_placeholders, render_text
from tests.render import GOLDEN_JOB, GOLDEN_OUTPUTS


def test_golden_render_values_are_data(load: Callable[[str], Any]) -> None:
    text, filled, _ = render_text(
        GOLDEN_JOB.read_text(), "golden", read_outputs(GOLDEN_OUTPUTS).for_stack("s")
    )
    assert filled == 18
    data = load(text)
    logging = data["logging"]
    assert logging["retention"] == 30 and logging["enabled"] is True
    assert logging["subnets"] == ["subnet-1", "subnet-2"]
    assert logging["labels"] == {"team": "data", "tier": "gold"}
    assert (
        logging["summary"] == "cluster dativo-acme-golden logs to\n/dativo/acme/golden_render for 30 days\n"
    )
    assert logging["folded"] == "runs on dativo-acme-golden (folded)"
    assert logging["literal_value"] == "{{ ds }}/${x}/%{y}"  # inserted as text, never read as a template
    assert data["source"]["endpoint"] == "https://ecs://dativo-acme-golden/acme-golden/v1"
    assert data["target"]["warehouse"] == "s3://acme-lake/warehouse"
    assert data["target"]["catalog"] == {"name": "glue", "cluster": "dativo-acme-golden"}
    env = data["infrastructure"]["runtime"]["env"]
    assert (
        env["TASK"] == env["TASK_AGAIN"] == "arn:aws:ecs:us-east-1:123456789012:task-definition/acme-golden:3"
    )
    assert "# {{terraform_outputs.not_an_output}} in a comment" in text  # comments are not values


def test_inner_spaces_and_several_placeholders_in_one_value(outputs_of: Callable[..., StackOutputs]) -> None:
    text = 'a: "{{  terraform_outputs.x }}-{{terraform_outputs.y}}"\n'
    assert render_text(text, "f", outputs_of({"x": "1", "y": "2"}))[:2] == ('a: "1-2"\n', 2)


@pytest.mark.parametrize(
    ("value", "whole", "embedded"),
    [
        (8080, "8080", "8080"),
        (True, "true", "true"),
        (False, "false", "false"),
        (1.5, "1.5", "1.5"),
        (1e100, "1.0e+100", "1e+100"),
    ],
)
def test_scalar_outputs_keep_their_type_when_whole_and_become_text_when_embedded(
    value: Any, whole: str, embedded: str, outputs_of: Callable[..., StackOutputs], load: Callable[[str], Any]
) -> None:
    text = 'a: "{{terraform_outputs.v}}"\nb: "x {{terraform_outputs.v}}"\n'
    rendered, _, _ = render_text(text, "f", outputs_of({"v": value}))
    assert rendered == f'a: {whole}\nb: "x {embedded}"\n'
    assert load(rendered) == {"a": value, "b": f"x {embedded}"}


def test_list_or_map_inside_text_is_a_positioned_error(outputs_of: Callable[..., StackOutputs]) -> None:
    text = "x: 1\nsrc:\n  urls:\n    - pre-{{terraform_outputs.l}}\n"
    with pytest.raises(ErrorReport) as err:
        render_text(text, "job.yaml", outputs_of({"l": ["a"]}))
    assert [str(e) for e in err.value] == [
        "job.yaml:4: src.urls[0]: output 'l' is a list and cannot be part of a text, "
        "got '{{terraform_outputs.l}}'; expected the placeholder alone as the whole value, "
        "or a text/number/bool output"
    ]


def test_every_missing_null_and_sensitive_placeholder_is_reported(
    outputs_of: Callable[..., StackOutputs],
) -> None:
    text = (
        "a: '{{terraform_outputs.gone}}'\n"
        'b:\n  - x\n  - "{{terraform_outputs.nothing}}"\n'
        'c: {d: "pw={{terraform_outputs.secret}}"}\n'
        'e: "{{terraform_outputs.gone}}"\n'
        'f: "{{terraform_outputs.ok}}"\n'
    )
    outputs = outputs_of({"nothing": None, "secret": "hunter2", "ok": "fine"}, sensitive=("secret",))
    with pytest.raises(ErrorReport) as err:
        render_text(text, "job.yaml", outputs)
    messages = [str(e) for e in err.value]
    assert messages == [
        "job.yaml:1: a: output 'gone' not in outputs.json, got '{{terraform_outputs.gone}}'; "
        "expected one of nothing, ok, secret",
        "job.yaml:4: b[1]: output 'nothing' is null in outputs.json, got '{{terraform_outputs.nothing}}'; "
        "expected a deployed value (is the stack applied?)",
        "job.yaml:5: c.d: output 'secret' is sensitive, got '{{terraform_outputs.secret}}'; "
        "expected --allow-sensitive to write it into the job file",
        "job.yaml:6: e: output 'gone' not in outputs.json, got '{{terraform_outputs.gone}}'; "
        "expected one of nothing, ok, secret",
    ]
    assert not any("hunter2" in m for m in messages)


def test_sensitive_output_is_written_only_when_allowed(outputs_of: Callable[..., StackOutputs]) -> None:
    outputs = outputs_of({"secret": "hunter2"}, sensitive=("secret",))
    assert (
        render_text('p: "{{terraform_outputs.secret}}"\n', "f", outputs, allow_sensitive=True)[0]
        == 'p: "hunter2"\n'
    )


def test_missing_output_in_a_cdktf_file_mentions_sensitive_outputs() -> None:
    outputs = parse_outputs('{"s": {"a": "1"}}', "o.json").for_stack("s")
    with pytest.raises(ErrorReport) as err:
        render_text('x: "{{terraform_outputs.pw}}"\n', "f", outputs)
    assert "--outputs-file-include-sensitive-outputs" in str(err.value)


def test_placeholder_in_a_key_is_an_error(outputs_of: Callable[..., StackOutputs]) -> None:
    with pytest.raises(ErrorReport) as err:
        render_text('m:\n  "{{terraform_outputs.k}}": v\n', "f", outputs_of({"k": "x"}))
    assert str(err.value) == (
        "f:2: m.{{terraform_outputs.k}}: placeholder in a mapping key cannot be rendered, "
        "got '{{terraform_outputs.k}}'; expected placeholders in values only"
    )


def test_style_falls_back_to_double_quotes_when_the_value_needs_it(
    outputs_of: Callable[..., StackOutputs], load: Callable[[str], Any]
) -> None:
    text = (
        "a: pre-{{terraform_outputs.v}}\nb: 'x {{terraform_outputs.v}}'\nc: [ 'x{{terraform_outputs.w}}' ]\n"
    )
    rendered, _, _ = render_text(text, "f", outputs_of({"v": "it's: #1\nnext", "w": "a, 'b'"}))
    assert rendered == "a: \"pre-it's: #1\\nnext\"\nb: \"x it's: #1\\nnext\"\nc: [ 'xa, ''b''' ]\n"
    assert load(rendered) == {"a": "pre-it's: #1\nnext", "b": "x it's: #1\nnext", "c": ["xa, 'b'"]}


@pytest.mark.parametrize(
    ("prefix", "value"),
    [
        ("y", "es"),
        ("n", "ull"),
        ("O", "ff"),
        ("1", "23"),
        ("1", ".5"),
        ("0", "x1F"),
        ("2024", "-01-01"),
        ("a", ": b"),
        ("a", " #c"),
        ("a", "  b"),
        ("a", " "),
    ],
)
def test_plain_text_that_would_read_as_something_else_is_quoted(
    prefix: str, value: str, outputs_of: Callable[..., StackOutputs], load: Callable[[str], Any]
) -> None:
    rendered, _, _ = render_text(
        f"k: {prefix}{{{{terraform_outputs.v}}}}  # c\n", "f", outputs_of({"v": value})
    )
    assert rendered.startswith('k: "') and rendered.endswith('"  # c\n')
    assert load(rendered) == {"k": prefix + value}


def test_plain_text_stays_plain_when_safe(outputs_of: Callable[..., StackOutputs]) -> None:
    rendered, _, _ = render_text("k: s3://{{terraform_outputs.v}}/x y\n", "f", outputs_of({"v": "b-1.a_b"}))
    assert rendered == "k: s3://b-1.a_b/x y\n"


TEMPLATE = """# property template
a: "{{terraform_outputs.v}}"
b: 'x {{terraform_outputs.v}} y'
c: pre-{{terraform_outputs.v}}
d: [ "{{terraform_outputs.v}}", k ]
e: |
  line {{terraform_outputs.v}}
f: >-
  fold {{terraform_outputs.v}}
g: {k: "{{terraform_outputs.v}}"}
h: unrelated  # kept
"""


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=40))
def test_any_text_value_reads_back_exactly(
    outputs_of: Callable[..., StackOutputs], load: Callable[[str], Any], value: str
) -> None:
    rendered, filled, _ = render_text(TEMPLATE, "f", outputs_of({"v": value}))
    assert filled == 7
    assert load(rendered) == {
        "a": value,
        "b": f"x {value} y",
        "c": f"pre-{value}",
        "d": [value, "k"],
        "e": f"line {value}\n",
        "f": f"fold {value}",
        "g": {"k": value},
        "h": "unrelated",
    }
    assert rendered.startswith("# property template\na: ") and rendered.endswith("h: unrelated  # kept\n")


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(json_values.filter(lambda v: v is not None))
def test_any_json_value_as_a_whole_placeholder_reads_back_as_data(
    outputs_of: Callable[..., StackOutputs], load: Callable[[str], Any], value: Any
) -> None:
    text = 'top: "{{terraform_outputs.v}}"\nflow: [ "{{terraform_outputs.v}}" ]\n'
    rendered, _, _ = render_text(text, "f", outputs_of({"v": value}))
    assert load(rendered) == {"top": value, "flow": [value]}


def test_find_placeholders_reports_paths_lines_and_styles() -> None:
    sites = find_placeholders(TEMPLATE, "f")
    assert [(s.path, s.line, s.style, s.flow) for s in sites] == [
        (("a",), 2, '"', False),
        (("b",), 3, "'", False),
        (("c",), 4, None, False),
        (("d", 0), 5, '"', True),
        (("e",), 6, "|", False),
        (("f",), 8, ">", False),
        (("g", "k"), 10, '"', True),
    ]


def test_escaped_placeholder_in_double_quotes_is_found(outputs_of: Callable[..., StackOutputs]) -> None:
    rendered, _, _ = render_text('a: "{{terraform_\\x6futputs.v}}"\n', "f", outputs_of({"v": "ok"}))
    assert rendered == 'a: "ok"\n'
