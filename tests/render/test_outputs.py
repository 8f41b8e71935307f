"""Outputs files: both shapes, picking a stack, and what is rejected (:mod:`dativo_infra.render.outputs`)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dativo_infra.errors import JobError
from dativo_infra.render import outputs as outputs_module
from dativo_infra.render.outputs import parse_outputs, read_outputs
from tests.cli import in_process
from tests.render import GOLDEN_CDKTF, GOLDEN_JOB, GOLDEN_OUTPUTS


def test_terraform_shape_keeps_values_types_and_sensitivity() -> None:
    outputs = read_outputs(GOLDEN_OUTPUTS)
    assert outputs.shape == "terraform"
    stack = outputs.for_stack("whatever-stack")  # one unnamed stack
    assert stack.values["retention_days"].value == 30
    assert stack.values["subnet_ids"].value == ["subnet-1", "subnet-2"]
    assert stack.values["db_password"].sensitive is True
    assert stack.values["cluster_name"].sensitive is False


def test_cdktf_shape_picks_the_jobs_stack() -> None:
    outputs = read_outputs(GOLDEN_CDKTF)
    assert outputs.shape == "cdktf"
    assert outputs.for_stack("acme-golden-render").values["cluster_name"].value == "dativo-acme-golden"
    assert outputs.for_stack("acme-other-job").values["cluster_name"].value == "someone-else"
    with pytest.raises(JobError) as err:
        outputs.for_stack("acme-missing")
    assert str(err.value) == (
        "tests/fixtures/render/golden_cdktf_outputs.json: no outputs for stack 'acme-missing', "
        "got 'acme-golden-render, acme-other-job'; expected a top-level key 'acme-missing' "
        "(cdktf deploy acme-missing --outputs-file ...)"
    )


def test_cdktf_map_valued_output_is_a_value() -> None:
    outputs = parse_outputs('{"s": {"labels": {"a": "b"}, "n": 1}}', "o.json")
    assert outputs.shape == "cdktf"
    assert outputs.for_stack("s").values["labels"].value == {"a": "b"}


def test_empty_outputs_object_is_a_stack_without_outputs() -> None:
    outputs = parse_outputs("{}", "o.json")
    assert outputs.shape == "terraform"
    assert dict(outputs.for_stack("s").values) == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1, 2]", "o.json:1: (document): outputs file is not a JSON object, got a list; expected "),
        (
            '{\n  "a": {"value": 1, "type": "number", "sensitive": false},\n  "b": "x"\n}',
            "o.json:3: b: not a `terraform output -json` entry like the other keys, got 'x'; expected ",
        ),
        (
            '{"s": {"a": 1},\n "a": {"value": 1, "type": "number", "sensitive": false}}',
            "o.json:1: s: not a `terraform output -json` entry like the other keys, got a mapping; expected ",
        ),
        ('{"s": {"a": 1},\n "t": 5}', "o.json:2: t: not a mapping of a stack's outputs, got 5; expected "),
        ('{"a": ', "o.json:1: outputs file is not valid JSON (Expecting value); expected "),
    ],
)
def test_unknown_shapes_are_rejected_with_what_is_allowed(text: str, message: str) -> None:
    with pytest.raises(JobError) as err:
        parse_outputs(text, "o.json")
    assert str(err.value).startswith(message)
    assert str(err.value).endswith(
        "`terraform output -json` ({name: {value, type, sensitive}}) "
        "or `cdktf deploy --outputs-file` ({stack: {name: value}})"
    )


def test_an_entry_with_only_a_value_is_not_taken_for_terraform_output() -> None:
    outputs = parse_outputs('{"mystack": {"value": "x"}}', "o.json")
    assert outputs.shape == "cdktf"
    assert outputs.for_stack("mystack").values["value"].value == "x"


# --- bounded: depth, size, file type ----------------------------------------------------------------

TOO_DEEP = (
    "outputs file nests too deeply, got more than 64 levels of arrays/objects; expected at most 64 levels"
)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("[" * 100_000, 1),  # deeper than the JSON parser's recursion: never a RecursionError
        ('{"a":\n' + "[" * 100_000 + "]" * 100_000 + "}", 2),
        ('{"a": {"value": ' + "[" * 70 + "]" * 70 + ', "type": "x"}}', 1),  # parsed, then measured
        (
            '{"s": "' + "[" * 70 + '",\n "t": ' + "[" * 70 + "]" * 70 + "}",
            2,
        ),  # brackets in strings do not count
    ],
)
def test_outputs_nesting_too_deeply_is_an_error(text: str, line: int) -> None:
    with pytest.raises(JobError) as err:
        parse_outputs(text, "o.json")
    assert str(err.value) == f"o.json:{line}: {TOO_DEEP}"


def test_outputs_at_the_depth_limit_are_read() -> None:
    value = "[" * 62 + "]" * 62
    outputs = parse_outputs('{"a": {"value": ' + value + ', "type": "x"}}', "o.json")
    assert outputs.shape == "terraform"


def test_a_number_too_long_to_convert_is_an_error() -> None:
    with pytest.raises(JobError) as err:
        parse_outputs('{"a": ' + "1" * 5000 + "}", "o.json")
    assert str(err.value).startswith("o.json: outputs file is not valid JSON (a number with too many digits)")


@pytest.mark.parametrize("target", ["/dev/zero", "fifo", "dir"])
def test_outputs_that_are_not_regular_files_are_refused(tmp_path: Path, target: str) -> None:
    if target == "fifo":
        os.mkfifo(tmp_path / "fifo")
    elif target == "dir":
        (tmp_path / "dir").mkdir()
    link = tmp_path / "o.json"
    link.symlink_to(target if target.startswith("/") else tmp_path / target)
    with pytest.raises(
        JobError, match=r"o.json: not a regular file \(a (device|FIFO|directory)\); expected a regular file"
    ):
        read_outputs(link)


def test_outputs_file_size_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert outputs_module.MAX_OUTPUTS_BYTES == 16 * 1024 * 1024
    monkeypatch.setattr(outputs_module, "MAX_OUTPUTS_BYTES", 10)
    path = tmp_path / "o.json"
    path.write_text('{"a": {"value": 1, "type": "number"}}')
    with pytest.raises(JobError, match="file is too large, got 37 bytes; expected at most 10 bytes"):
        read_outputs(path)


def test_cli_render_of_hostile_outputs_exits_2(tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000)
    zero = tmp_path / "zero.json"
    zero.symlink_to("/dev/zero")
    for outputs, message in ((deep, TOO_DEEP), (zero, "not a regular file (a device)")):
        result = in_process("render", "--job", str(GOLDEN_JOB), "--outputs", str(outputs))
        assert result.returncode == 2, result.stderr
        assert message in result.stderr and "Traceback" not in result.stderr
