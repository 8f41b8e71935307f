"""The renderer: outputs files, placeholder filling, file preservation, all-or-nothing writes, locks."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from dativo_infra.config.loader import load_jobs
from dativo_infra.contract import OUTPUTS
from dativo_infra.errors import ErrorReport, JobError
from dativo_infra.render import (
    LOCK_NAME,
    directory_locks,
    find_placeholders,
    load_jobs_for_render,
    parse_outputs,
    read_outputs,
    render_batch,
    render_one,
    render_text,
    unrendered_errors,
)

FIXTURES = Path("tests/fixtures/render")
GOLDEN_JOB = FIXTURES / "golden_job.yaml"
GOLDEN_OUTPUTS = FIXTURES / "golden_outputs.json"
GOLDEN_CDKTF = FIXTURES / "golden_cdktf_outputs.json"
CLI = [sys.executable, "-m", "dativo_infra.cli"]
_safe = YAML(typ="safe", pure=True)


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=120)


def tf_outputs(values: dict[str, Any], sensitive: tuple[str, ...] = ()) -> str:
    """A `terraform output -json` text for ``values``."""
    return json.dumps(
        {k: {"sensitive": k in sensitive, "type": "string", "value": v} for k, v in values.items()}
    )


def outputs_of(values: dict[str, Any], sensitive: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    return parse_outputs(tf_outputs(values, sensitive), "outputs.json").for_stack("any")


def load(text: str) -> Any:
    return _safe.load(io.StringIO(text))


@pytest.fixture
def golden(tmp_path: Path) -> Path:
    """A writable copy of the golden job."""
    target = tmp_path / "jobs" / "acme" / GOLDEN_JOB.name
    target.parent.mkdir(parents=True)
    shutil.copyfile(GOLDEN_JOB, target)
    return target


def write_example_outputs(directory: Path, skip: tuple[str, ...] = ()) -> dict[str, dict[str, str]]:
    """One `terraform output -json` file per example job (every contract output); return the values."""
    directory.mkdir(parents=True, exist_ok=True)
    values: dict[str, dict[str, str]] = {}
    for job in load_jobs(["jobs"]):
        if job.stack_name in skip:
            continue
        values[job.stack_name] = {
            name: f"{name}-of-{job.stack_name}" for name in OUTPUTS[job.config.runtime.type]
        }
        (directory / f"{job.stack_name}.json").write_text(tf_outputs(values[job.stack_name]))
    return values


# --- outputs files ------------------------------------------------------------------------------


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


# --- golden files ---------------------------------------------------------------------------------


@pytest.mark.parametrize("outputs", [GOLDEN_OUTPUTS, GOLDEN_CDKTF], ids=["terraform", "cdktf"])
def test_golden_render_is_byte_for_byte(golden: Path, outputs: Path, tmp_path: Path) -> None:
    target = tmp_path / "out" / "rendered.yaml"
    result = render_one(golden, outputs, out=target)
    assert result.written
    assert target.read_bytes() == (FIXTURES / "golden_job.yaml.golden").read_bytes()
    assert golden.read_bytes() == GOLDEN_JOB.read_bytes()  # the source is untouched


def test_golden_render_values_are_data() -> None:
    text, filled = render_text(GOLDEN_JOB.read_text(), "golden", read_outputs(GOLDEN_OUTPUTS).for_stack("s"))
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


def test_crlf_and_bom_are_kept(golden: Path) -> None:
    crlf = GOLDEN_JOB.read_text().replace("\n", "\r\n")
    golden.write_bytes(b"\xef\xbb\xbf" + crlf.encode())
    render_one(golden, GOLDEN_OUTPUTS, in_place=True)
    expected = (FIXTURES / "golden_job.yaml.golden").read_text().replace("\n", "\r\n")
    assert golden.read_bytes() == b"\xef\xbb\xbf" + expected.encode()


def test_legacy_job_renders_with_the_files_own_paths(tmp_path: Path) -> None:
    job = tmp_path / "legacy.yaml"
    shutil.copyfile(FIXTURES / "legacy_job.yaml", job)
    outputs = tmp_path / "o.json"
    outputs.write_text(tf_outputs({"log_group_name": "/l"}))
    with pytest.raises(ErrorReport) as err:
        render_one(job, outputs, in_place=True)
    assert [str(e) for e in err.value] == [
        f"{os.path.relpath(job)}:20: infrastructure.terraform.resource_refs.cluster: output 'cluster_name' not in "
        f"{os.path.relpath(outputs)}, got '{{{{terraform_outputs.cluster_name}}}}'; expected one of log_group_name"
    ]
    outputs.write_text(tf_outputs({"log_group_name": "/l", "cluster_name": "c"}))
    render_one(job, outputs, in_place=True)
    expected = (FIXTURES / "legacy_job.yaml").read_text()
    expected = expected.replace("{{terraform_outputs.log_group_name}}", "/l").replace(
        "{{terraform_outputs.cluster_name}}", "c"
    )
    assert job.read_text() == expected


# --- values ---------------------------------------------------------------------------------------


def test_inner_spaces_and_several_placeholders_in_one_value() -> None:
    text = 'a: "{{  terraform_outputs.x }}-{{terraform_outputs.y}}"\n'
    assert render_text(text, "f", outputs_of({"x": "1", "y": "2"})) == ('a: "1-2"\n', 2)


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
    value: Any, whole: str, embedded: str
) -> None:
    text = 'a: "{{terraform_outputs.v}}"\nb: "x {{terraform_outputs.v}}"\n'
    rendered, _ = render_text(text, "f", outputs_of({"v": value}))
    assert rendered == f'a: {whole}\nb: "x {embedded}"\n'
    assert load(rendered) == {"a": value, "b": f"x {embedded}"}


def test_list_or_map_inside_text_is_a_positioned_error() -> None:
    text = "x: 1\nsrc:\n  urls:\n    - pre-{{terraform_outputs.l}}\n"
    with pytest.raises(ErrorReport) as err:
        render_text(text, "job.yaml", outputs_of({"l": ["a"]}))
    assert [str(e) for e in err.value] == [
        "job.yaml:4: src.urls[0]: output 'l' is a list and cannot be part of a text, "
        "got '{{terraform_outputs.l}}'; expected the placeholder alone as the whole value, "
        "or a text/number/bool output"
    ]


def test_every_missing_null_and_sensitive_placeholder_is_reported() -> None:
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


def test_sensitive_output_is_written_only_when_allowed() -> None:
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


def test_placeholder_in_a_key_is_an_error() -> None:
    with pytest.raises(ErrorReport) as err:
        render_text('m:\n  "{{terraform_outputs.k}}": v\n', "f", outputs_of({"k": "x"}))
    assert str(err.value) == (
        "f:2: m.{{terraform_outputs.k}}: placeholder in a mapping key cannot be rendered, "
        "got '{{terraform_outputs.k}}'; expected placeholders in values only"
    )


def test_style_falls_back_to_double_quotes_when_the_value_needs_it() -> None:
    text = (
        "a: pre-{{terraform_outputs.v}}\nb: 'x {{terraform_outputs.v}}'\nc: [ 'x{{terraform_outputs.w}}' ]\n"
    )
    rendered, _ = render_text(text, "f", outputs_of({"v": "it's: #1\nnext", "w": "a, 'b'"}))
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
def test_plain_text_that_would_read_as_something_else_is_quoted(prefix: str, value: str) -> None:
    rendered, _ = render_text(f"k: {prefix}{{{{terraform_outputs.v}}}}  # c\n", "f", outputs_of({"v": value}))
    assert rendered.startswith('k: "') and rendered.endswith('"  # c\n')
    assert load(rendered) == {"k": prefix + value}


def test_plain_text_stays_plain_when_safe() -> None:
    rendered, _ = render_text("k: s3://{{terraform_outputs.v}}/x y\n", "f", outputs_of({"v": "b-1.a_b"}))
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
def test_any_text_value_reads_back_exactly(value: str) -> None:
    rendered, filled = render_text(TEMPLATE, "f", outputs_of({"v": value}))
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
def test_any_json_value_as_a_whole_placeholder_reads_back_as_data(value: Any) -> None:
    text = 'top: "{{terraform_outputs.v}}"\nflow: [ "{{terraform_outputs.v}}" ]\n'
    rendered, _ = render_text(text, "f", outputs_of({"v": value}))
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


def test_escaped_placeholder_in_double_quotes_is_found() -> None:
    rendered, _ = render_text('a: "{{terraform_\\x6futputs.v}}"\n', "f", outputs_of({"v": "ok"}))
    assert rendered == 'a: "ok"\n'


# --- files: all or nothing, atomic, locked, idempotent ---------------------------------------------


def test_nothing_is_written_when_a_placeholder_is_missing(golden: Path, tmp_path: Path) -> None:
    outputs = tmp_path / "o.json"
    outputs.write_text(tf_outputs({"cluster_name": "c"}))
    with pytest.raises(ErrorReport) as err:
        render_one(golden, outputs, in_place=True)
    missing = {e.problem.split("'")[1] for e in err.value}
    assert missing == {
        "bucket",
        "labels",
        "log_group_name",
        "logging_enabled",
        "retention_days",
        "service_endpoint",
        "subnet_ids",
        "task_definition_arn",
        "template",
    }
    assert golden.read_bytes() == GOLDEN_JOB.read_bytes()
    assert not list(golden.parent.glob(".*.tmp"))


def test_failed_replace_leaves_the_original_and_no_temp_file(
    golden: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*_args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(JobError) as err:
        render_one(golden, GOLDEN_OUTPUTS, in_place=True)
    assert str(err.value) == (
        f"{os.path.relpath(golden)}: cannot write (No space left on device); "
        "expected a writable file path whose parent is a directory"
    )
    assert golden.read_bytes() == GOLDEN_JOB.read_bytes()
    assert sorted(p.name for p in golden.parent.iterdir()) == [LOCK_NAME, golden.name]


def test_an_out_path_under_a_regular_file_is_a_clean_error(golden: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("not a directory")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "dativo_infra.cli",
            "render",
            "--job",
            str(golden),
            "--outputs",
            str(GOLDEN_OUTPUTS),
            "--out",
            str(blocker / "x.yaml"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert f"{os.path.relpath(blocker)}: cannot write (File exists)" in result.stderr
    assert blocker.read_text() == "not a directory"


def test_rendering_twice_is_a_no_op(golden: Path) -> None:
    first = render_one(golden, GOLDEN_OUTPUTS, in_place=True)
    assert first.written and first.filled == 18
    before = golden.stat()
    second = render_one(golden, GOLDEN_OUTPUTS, in_place=True)
    assert not second.written and second.filled == 0
    after = golden.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert golden.read_bytes() == (FIXTURES / "golden_job.yaml.golden").read_bytes()


@pytest.mark.parametrize(
    "value",
    [
        "{{terraform_outputs.cluster_name}}-x",
        ["ok", "{{ terraform_outputs.x }}"],
        {"k": "{{terraform_output.typo}}"},
    ],
)
def test_an_output_value_holding_placeholder_text_is_refused(
    golden: Path, tmp_path: Path, value: Any
) -> None:
    """Written once, it would be expanded by the next render: rendering would not be idempotent."""
    outputs = json.loads(GOLDEN_OUTPUTS.read_text())
    outputs["template"]["value"] = value
    (tmp_path / "o.json").write_text(json.dumps(outputs))
    with pytest.raises(ErrorReport) as err:
        render_one(golden, tmp_path / "o.json", in_place=True)
    [error] = err.value.errors
    assert (error.line, error.path, error.problem) == (
        30,
        "logging.literal_value",
        "output 'template' holds placeholder text",
    )
    assert golden.read_bytes() == GOLDEN_JOB.read_bytes()


def test_identical_out_file_is_not_rewritten(golden: Path, tmp_path: Path) -> None:
    target = tmp_path / "copy.yaml"
    assert render_one(golden, GOLDEN_OUTPUTS, out=target).written
    inode = target.stat().st_ino
    assert not render_one(golden, GOLDEN_OUTPUTS, out=target).written
    assert target.stat().st_ino == inode


def test_out_directory_gets_the_job_file_name_and_its_permissions(golden: Path, tmp_path: Path) -> None:
    golden.chmod(0o640)
    result = render_one(golden, GOLDEN_OUTPUTS, out=str(tmp_path / "new-dir") + "/")
    assert result.target == tmp_path / "new-dir" / golden.name
    assert result.target.stat().st_mode & 0o777 == 0o640


def test_second_writer_fails_clearly_while_the_lock_is_held(golden: Path) -> None:
    with directory_locks([golden.parent]):
        start = time.monotonic()
        with pytest.raises(JobError) as err:
            render_one(golden, GOLDEN_OUTPUTS, in_place=True, lock_timeout=0.3)
        assert time.monotonic() - start >= 0.3
    assert "another render is writing files in this directory" in str(err.value)
    assert str(err.value).startswith(os.path.relpath(golden.parent / LOCK_NAME))
    assert golden.read_bytes() == GOLDEN_JOB.read_bytes()


def test_second_writer_waits_for_the_lock(golden: Path) -> None:
    held, release = threading.Event(), threading.Event()

    def holder() -> None:
        with directory_locks([golden.parent]):
            held.set()
            release.wait(10)

    thread = threading.Thread(target=holder)
    thread.start()
    held.wait(10)
    threading.Timer(0.5, release.set).start()
    start = time.monotonic()
    result = render_one(golden, GOLDEN_OUTPUTS, in_place=True, lock_timeout=10)
    waited = time.monotonic() - start
    thread.join()
    assert result.written and waited >= 0.4
    assert golden.read_bytes() == (FIXTURES / "golden_job.yaml.golden").read_bytes()


def test_lock_excludes_another_process(golden: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from dativo_infra.render import directory_locks\n"
        f"with directory_locks([Path({str(golden.parent)!r})]):\n"
        "    print('locked', flush=True); sys.stdin.read()\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(JobError, match="another render is writing"):
            render_one(golden, GOLDEN_OUTPUTS, in_place=True, lock_timeout=0.3)
        assert golden.read_bytes() == GOLDEN_JOB.read_bytes()
    finally:
        holder.communicate("", timeout=30)
    assert render_one(golden, GOLDEN_OUTPUTS, in_place=True, lock_timeout=5).written


# --- batch -------------------------------------------------------------------------------------------


def test_batch_from_a_directory_of_per_job_files(tmp_path: Path) -> None:
    values = write_example_outputs(tmp_path / "outputs")
    results = render_batch(Path("jobs"), tmp_path / "outputs", out_dir=tmp_path / "rendered")
    assert len(results) == 8 and all(r.written for r in results)
    for job in load_jobs(["jobs"]):
        rendered = tmp_path / "rendered" / job.path.relative_to("jobs")
        data = load(rendered.read_text())
        for key, placeholder in job.config.infrastructure.resource_identifiers.items():
            name = placeholder.strip("{} ").split(".")[1]
            assert data["infrastructure"]["resource_identifiers"][key] == values[job.stack_name][name]
    assert not any(find_placeholders(p.read_text(), str(p)) for p in (tmp_path / "rendered").rglob("*.yaml"))
    jobs = load_jobs_for_render([str(tmp_path / "rendered")])  # rendered jobs still load
    assert sorted(j.stack_name for j in jobs) == sorted(values)


def test_batch_from_one_cdktf_file(tmp_path: Path) -> None:
    values = write_example_outputs(tmp_path / "per-job")
    cdktf = tmp_path / "outputs.json"
    cdktf.write_text(json.dumps(values))
    render_batch(Path("jobs"), cdktf, out_dir=tmp_path / "rendered")
    data = load((tmp_path / "rendered" / "acme" / "orders_cdc_stream.yaml").read_text())
    assert (
        data["infrastructure"]["resource_identifiers"]["service_endpoint"]
        == "service_endpoint-of-acme-orders-cdc-stream"
    )


def test_batch_lists_every_job_without_outputs_and_writes_nothing(tmp_path: Path) -> None:
    write_example_outputs(
        tmp_path / "outputs", skip=("acme-orders-cdc-stream", "initech-clickstream-collector")
    )
    with pytest.raises(ErrorReport) as err:
        render_batch(Path("jobs"), tmp_path / "outputs", out_dir=tmp_path / "rendered")
    outputs_dir = os.path.relpath(tmp_path / "outputs")
    assert [str(e) for e in err.value] == [
        f"jobs/acme/orders_cdc_stream.yaml: no outputs for stack 'acme-orders-cdc-stream' in {outputs_dir}; "
        f"expected a file {outputs_dir}/acme-orders-cdc-stream.json (terraform output -json or cdktf outputs)",
        f"jobs/initech/clickstream_collector.yaml: no outputs for stack 'initech-clickstream-collector' in "
        f"{outputs_dir}; expected a file {outputs_dir}/initech-clickstream-collector.json "
        "(terraform output -json or cdktf outputs)",
    ]
    assert not (tmp_path / "rendered").exists()


def test_batch_is_all_or_nothing_across_jobs(tmp_path: Path) -> None:
    jobs_dir = tmp_path / "jobs"
    shutil.copytree("jobs", jobs_dir)
    values = write_example_outputs(tmp_path / "outputs")
    broken = dict(values["initech-salesforce-accounts-to-bq"])
    del broken["project_id"]
    (tmp_path / "outputs" / "initech-salesforce-accounts-to-bq.json").write_text(tf_outputs(broken))
    before = {p: p.read_bytes() for p in jobs_dir.rglob("*.yaml")}
    with pytest.raises(ErrorReport) as err:
        render_batch(jobs_dir, tmp_path / "outputs", in_place=True)
    assert [e.path for e in err.value] == ["infrastructure.resource_identifiers.project_id"]
    assert {p: p.read_bytes() for p in jobs_dir.rglob("*.yaml")} == before
    assert not list(jobs_dir.rglob(LOCK_NAME))  # nothing at all was created


def test_batch_refuses_a_single_stack_terraform_file(tmp_path: Path) -> None:
    with pytest.raises(ErrorReport, match="holds the outputs of one stack"):
        render_batch(Path("jobs"), GOLDEN_OUTPUTS, out_dir=tmp_path / "rendered")


# --- CLI ---------------------------------------------------------------------------------------------


def test_cli_render_prints_without_out_and_validate_rendered(golden: Path, tmp_path: Path) -> None:
    printed = cli("render", "--job", str(golden), "--outputs", str(GOLDEN_OUTPUTS))
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout == (FIXTURES / "golden_job.yaml.golden").read_text()

    unrendered = cli("validate", "--rendered", "jobs/acme")
    assert unrendered.returncode == 2
    assert unrendered.stderr.splitlines()[0] == (
        "jobs/acme/orders_cdc_stream.yaml:35: infrastructure.resource_identifiers.cluster_name: "
        "placeholder not rendered, got '{{terraform_outputs.cluster_name}}'; expected a value"
    )
    assert unrendered.stderr.splitlines()[-1] == "6 error(s) in 2 file(s)"

    write_example_outputs(tmp_path / "outputs")
    batch = cli(
        "render", "--jobs", "jobs", "--outputs", str(tmp_path / "outputs"), "--out", str(tmp_path / "r")
    )
    assert batch.returncode == 0, batch.stderr
    assert cli("validate", "--rendered", str(tmp_path / "r")).returncode == 0


def test_cli_render_errors_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('["not", "outputs"]')
    result = cli("render", "--job", str(GOLDEN_JOB), "--outputs", str(bad))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "outputs file is not a JSON object, got a list" in result.stderr
    usage = cli("render", "--jobs", "jobs", "--outputs", str(bad))
    assert usage.returncode == 2 and "--jobs needs --out DIR or --in-place" in usage.stderr


def test_no_cdktf_or_jsii_import(golden: Path, tmp_path: Path) -> None:
    code = (
        "import sys; from pathlib import Path\n"
        "from dativo_infra.render import render_one\n"
        "from dativo_infra.tfvars import render_tfvars\n"
        "from dativo_infra.config.loader import load_jobs\n"
        f"result = render_one(Path({str(golden)!r}), Path({str(GOLDEN_OUTPUTS)!r}), out=Path({str(tmp_path / 'o.yaml')!r}))\n"
        "assert result.written\n"
        "render_tfvars(load_jobs(['jobs/acme/orders_cdc_stream.yaml'])[0], 'hcl')\n"
        "import dativo_infra.cli\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('cdktf', 'jsii', 'constructs'))\n"
        "assert not bad, bad\n"
        "print('clean')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "clean"


def test_rendered_values_load_but_other_resource_identifier_errors_still_count(golden: Path) -> None:
    golden.write_text(
        GOLDEN_JOB.read_text().replace(
            'cluster_name: "{{terraform_outputs.cluster_name}}"', "cluster_name: 12"
        )
    )
    assert [j.stack_name for j in load_jobs_for_render([str(golden)])] == ["acme-golden-render"]
    with pytest.raises(ErrorReport, match="output 'ingress_url' is not exported by aws_fargate"):
        load_jobs_for_render(["tests/fixtures/jobs/invalid/unknown_output.yaml"])


# --- the rendered job stays a valid job --------------------------------------------------------


def test_a_number_rendered_into_a_text_field_is_refused_and_nothing_is_written(
    golden: Path, tmp_path: Path
) -> None:
    text = golden.read_text().replace(
        '      CLUSTER: "{{terraform_outputs.cluster_name}}"\n',
        '      CLUSTER: "{{terraform_outputs.cluster_name}}"\n'
        '      PORT: "{{terraform_outputs.retention_days}}"\n',
    )
    golden.write_text(text)
    with pytest.raises(ErrorReport) as err:
        render_one(golden, GOLDEN_OUTPUTS, in_place=True)
    assert [str(e) for e in err.value] == [
        f"{os.path.relpath(golden)}:44: infrastructure.runtime.env.PORT: after rendering: must be a string, got 30; "
        "expected a string (quote numbers, dates and booleans); to insert the output as text, write the "
        'placeholder as !!str "{{terraform_outputs.<name>}}"'
    ]
    assert golden.read_text() == text


def test_a_str_tagged_placeholder_inserts_a_number_output_as_text(golden: Path) -> None:
    golden.write_text(
        golden.read_text().replace(
            '      CLUSTER: "{{terraform_outputs.cluster_name}}"\n',
            '      CLUSTER: "{{terraform_outputs.cluster_name}}"\n      PORT: !!str "{{terraform_outputs.retention_days}}"\n',
        )
    )
    render_one(golden, GOLDEN_OUTPUTS, in_place=True)
    assert '      PORT: !!str "30"\n' in golden.read_text()
    [job] = load_jobs_for_render([str(golden)])
    assert job.config.runtime.env["PORT"] == "30"
    assert unrendered_errors([job]) == []


def test_a_list_output_rendered_into_a_resource_identifier_is_refused(golden: Path) -> None:
    golden.write_text(
        golden.read_text().replace(
            "    log_group_name: '{{terraform_outputs.log_group_name}}'\n",
            "    log_group_name: '{{terraform_outputs.log_group_name}}'\n"
            "    security_group_id: '{{terraform_outputs.security_group_id}}'\n",
        )
    )
    outputs = json.loads(GOLDEN_OUTPUTS.read_text())
    outputs["security_group_id"] = {"sensitive": False, "type": ["list", "string"], "value": ["sg-1", "sg-2"]}
    with pytest.raises(ErrorReport) as err:
        render_one(golden, _write_json(golden.parent / "o.json", outputs), in_place=True)
    [error] = err.value.errors
    assert (error.path, error.problem, error.got) == (
        "infrastructure.resource_identifiers.security_group_id",
        "after rendering: a resource identifier must be text",
        "a list",
    )


def _write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data))
    return path


# --- malformed placeholders ---------------------------------------------------------------------


def test_a_malformed_placeholder_in_resource_identifiers_is_not_taken_for_a_rendered_value(
    golden: Path,
) -> None:
    golden.write_text(
        golden.read_text().replace(
            '    cluster_name: "{{terraform_outputs.cluster_name}}"',
            '    cluster_name: "{{terraform_output.cluster_name}}"',
        )
    )
    with pytest.raises(ErrorReport) as err:
        render_one(golden, GOLDEN_OUTPUTS, in_place=True)
    assert [(e.path, e.problem) for e in err.value] == [
        ("infrastructure.resource_identifiers.cluster_name", "not a terraform_outputs placeholder")
    ]


def test_validate_rendered_reports_malformed_placeholders_left_anywhere(golden: Path) -> None:
    render_one(golden, GOLDEN_OUTPUTS, in_place=True)
    golden.write_text(
        golden.read_text().replace("  level: INFO\n", "  level: '{{ terraform_outputs.log-level }}'\n")
    )
    jobs = load_jobs_for_render([str(golden)])
    assert [str(e) for e in unrendered_errors(jobs)] == [
        f"{os.path.relpath(golden)}:15: logging.level: malformed placeholder left, got "
        "'{{ terraform_outputs.log-level }}'; expected {{terraform_outputs.<name>}} (then render it) or a value"
    ]
    result = cli("validate", "--rendered", str(golden))
    assert result.returncode == 2 and "malformed placeholder left" in result.stderr


def test_an_entry_with_only_a_value_is_not_taken_for_terraform_output() -> None:
    outputs = parse_outputs('{"mystack": {"value": "x"}}', "o.json")
    assert outputs.shape == "cdktf"
    assert outputs.for_stack("mystack").values["value"].value == "x"


# --- batch: every problem in one run -------------------------------------------------------------


def test_batch_reports_missing_stacks_and_unresolved_placeholders_together(tmp_path: Path) -> None:
    values = write_example_outputs(tmp_path / "outputs", skip=("acme-orders-cdc-stream",))
    broken = dict(values["initech-salesforce-accounts-to-bq"])
    del broken["project_id"]
    (tmp_path / "outputs" / "initech-salesforce-accounts-to-bq.json").write_text(tf_outputs(broken))
    with pytest.raises(ErrorReport) as err:
        render_batch(Path("jobs"), tmp_path / "outputs", out_dir=tmp_path / "rendered")
    problems = sorted((e.file, e.problem.split(" in ")[0]) for e in err.value)
    assert ("jobs/acme/orders_cdc_stream.yaml", "no outputs for stack 'acme-orders-cdc-stream'") in problems
    assert ("jobs/initech/salesforce_accounts_to_bq.yaml", "output 'project_id' not") in problems
    assert not (tmp_path / "rendered").exists()


def test_a_file_changed_under_the_lock_is_rendered_again_and_reported_as_written(
    golden: Path, tmp_path: Path
) -> None:
    from dativo_infra.render import render_job, write_results

    [job] = load_jobs_for_render([str(golden)])
    result = render_job(job, read_outputs(GOLDEN_OUTPUTS).for_stack("s"), golden)
    assert result.filled == 18
    # another writer renders the file between our render and our write
    render_one(golden, GOLDEN_OUTPUTS, in_place=True)
    assert write_results([result]) == []
    assert result.filled == 0  # what this run did to the file it found


def test_text_rendered_into_a_modelled_field_is_validated_again(golden: Path) -> None:
    golden.write_text(
        golden.read_text().replace(
            "    cpu_millicores: 1000\n",
            '    image: "{{terraform_outputs.image}}"\n    cpu_millicores: 1000\n',
        )
    )
    outputs = json.loads(GOLDEN_OUTPUTS.read_text())
    outputs["image"] = {"sensitive": False, "type": "string", "value": ""}
    with pytest.raises(ErrorReport) as err:
        render_one(golden, _write_json(golden.parent / "o.json", outputs), in_place=True)
    assert [(e.line, e.path, e.problem) for e in err.value] == [
        (40, "infrastructure.runtime.image", "after rendering: must not be empty")
    ]
    outputs["image"]["value"] = "registry.example/ingest:2"
    render_one(golden, _write_json(golden.parent / "o.json", outputs), in_place=True)
    assert '    image: "registry.example/ingest:2"\n' in golden.read_text()
