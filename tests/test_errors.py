"""Messages are one printable line each, whatever text a hostile job file puts into them."""

from __future__ import annotations

import dataclasses
import json
import pickle

from hypothesis import given
from hypothesis import strategies as st

from dativo_infra.errors import ErrorReport, JobError, printable_json, safe_line, safe_text, show_value

#: Text with the characters that matter here: line breaks, ESC, NUL, Unicode separators, '::'.
hostile = st.text(
    alphabet=st.sampled_from(["a", ":", " ", "\n", "\r", "\x1b", "\x00", "\u2028", "\x85", "\t", "é", "\\"])
    | st.characters(),
    max_size=60,
)


@given(hostile, st.integers(0, 10**6), hostile, hostile, hostile | st.none(), hostile | st.none())
def test_a_message_is_one_printable_line_that_no_ci_runner_executes(
    file: str, line: int, path: str, problem: str, got: str | None, expected: str | None
) -> None:
    text = str(JobError(file, line, path, problem, got, expected))
    assert text.isprintable()
    assert not text.lstrip().startswith("::")


@given(hostile)
def test_safe_text_escapes_exactly_the_unprintable_characters(text: str) -> None:
    shown = safe_text(text)
    assert shown.isprintable()
    if text.isprintable():
        assert shown == text
    assert safe_line(text).isprintable()
    assert not safe_line(text).lstrip().startswith("::")


def test_escapes_read_like_python_and_long_text_is_cut() -> None:
    assert safe_text("a\nb\x1b[31m\u2028\x00") == "a\\nb\\x1b[31m\\u2028\\x00"
    assert safe_text("x" * 100, 10) == "xxxxxxx..."
    assert safe_line("::add-mask::secret") == "./::add-mask::secret"
    assert show_value("k" * 200).endswith("...") and len(show_value("k" * 200)) == 80


def test_a_file_named_like_a_workflow_command_is_shown_as_a_relative_path() -> None:
    error = JobError("::error file=x::boom\n::add-mask::y", 1, "tags.a\nb", "bad")
    assert str(error) == "./::error file=x::boom\\n::add-mask::y:1: tags.a\\nb: bad"


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | hostile,
        lambda inner: st.lists(inner) | st.dictionaries(hostile, inner),
        max_leaves=20,
    )
)
def test_printable_json_reads_back_the_same_and_prints_as_is(value: object) -> None:
    text = printable_json(value)
    assert json.loads(text) == value
    assert all(line.isprintable() for line in text.splitlines())


def test_an_error_pickles_with_every_field_however_it_was_made() -> None:
    """A render worker process sends its errors back pickled (:mod:`dativo_infra.render.parallel`)."""
    made = [
        JobError("a.yaml", 3, "x.y", "bad", "1", "2"),
        JobError("a.yaml", 0, "", "bad", expected="something"),
        JobError.at("a.yaml", 1, "x", "bad", [1], "a list"),
        dataclasses.replace(JobError("a.yaml", 1, "x", "bad"), problem="worse", got="g"),
    ]
    for error in made:
        again = pickle.loads(pickle.dumps(error))
        assert type(again) is JobError and again == error and str(again) == str(error)
    report = pickle.loads(pickle.dumps(ErrorReport(made)))
    assert report.errors == made
