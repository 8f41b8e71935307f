"""Job text stays literal in Terraform: ``literal`` escapes ``${``/``%{`` exactly as Terraform unescapes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dativo_infra.literal import deep_literal, literal
from tests.terraform_text import contains_unescaped, unliteral


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("plain", "plain"),
        ("${var.x}", "$${var.x}"),
        ("%{if true}y%{endif}", "%%{if true}y%%{endif}"),
        ("$${already}", "$$${already}"),  # typed $${ means the literal text $${
        ("$ {not} % {either}", "$ {not} % {either}"),
        ("cost $5 {x} 100%", "cost $5 {x} 100%"),
        ("${a}${b}", "$${a}$${b}"),
        ("", ""),
    ],
)
def test_literal_examples(text: str, escaped: str) -> None:
    assert literal(text) == escaped
    assert unliteral(escaped) == text


@pytest.mark.parametrize(
    ("text", "unescaped"),
    [
        ("${x}", True),
        ("%{x}", True),
        ("$${x}", False),
        ("%%{x}", False),
        ("$$${x}", False),  # a lone "$" then the escape "$${": Terraform reads "$${x}", evaluates nothing
        ("$$$${x}", False),  # HCL: a "$" before "${" always makes it the escape "$${"
        ("$${a}${b}", True),
        ("%%{a}%{b}", True),
        ("a $ b { c", False),
        ("ends with $", False),
        ("", False),
    ],
)
def test_contains_unescaped_examples(text: str, unescaped: bool) -> None:
    assert contains_unescaped(text) is unescaped


def test_deep_literal_escapes_keys_values_and_nested_lists() -> None:
    data = {"${k}": ["%{v}", {"n": "${x}"}], "num": 1}
    assert deep_literal(data) == {"$${k}": ["%%{v}", {"n": "$${x}"}], "num": 1}


# Text biased toward the characters that matter, plus arbitrary unicode.
TEXT = st.text(alphabet=st.sampled_from("${}%ab \\\n") | st.characters(), max_size=40)


@settings(max_examples=1000, deadline=None)
@given(TEXT)
def test_literal_never_leaves_an_unescaped_sequence_and_round_trips(text: str) -> None:
    escaped = literal(text)
    assert not contains_unescaped(escaped)
    assert unliteral(escaped) == text
