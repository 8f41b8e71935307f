"""Rendering job files: golden files byte for byte, all or nothing, atomic, locked, idempotent, batches
and the ``render`` command (:mod:`dativo_infra.render.write`)."""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dativo_infra.config.loader import load_jobs
from dativo_infra.errors import ErrorReport, JobError
from dativo_infra.render.jobs import render_job
from dativo_infra.render.outputs import read_outputs
from dativo_infra.render.splice import find_placeholders
from dativo_infra.render.write import directory_locks, render_batch, render_one, write_results
from tests.cli import in_new_process
from tests.render import FIXTURES, GOLDEN_CDKTF, GOLDEN_JOB, GOLDEN_OUTPUTS

# --- golden files ---------------------------------------------------------------------------------


@pytest.mark.parametrize("outputs", [GOLDEN_OUTPUTS, GOLDEN_CDKTF], ids=["terraform", "cdktf"])
def test_golden_render_is_byte_for_byte(golden: Path, outputs: Path, tmp_path: Path) -> None:
    target = tmp_path / "out" / "rendered.yaml"
    result = render_one(golden, outputs, out=target)
    assert result.written
    assert target.read_bytes() == (FIXTURES / "golden_job.yaml.golden").read_bytes()
    assert golden.read_bytes() == GOLDEN_JOB.read_bytes()  # the source is untouched


def test_crlf_and_bom_are_kept(golden: Path) -> None:
    crlf = GOLDEN_JOB.read_text().replace("\n", "\r\n")
    golden.write_bytes(b"\xef\xbb\xbf" + crlf.encode())
    render_one(golden, GOLDEN_OUTPUTS, in_place=True)
    expected = (FIXTURES / "golden_job.yaml.golden").read_text().replace("\n", "\r\n")
    assert golden.read_bytes() == b"\xef\xbb\xbf" + expected.encode()


def test_legacy_job_renders_with_the_files_own_paths(tmp_path: Path, tf_outputs: Callable[..., str]) -> None:
    job = tmp_path / "legacy.yaml"
    shutil.copyfile(FIXTURES / "legacy_job.yaml", job)
    outputs = tmp_path / "o.json"
    outputs.write_text(tf_outputs({"log_group_name": "/l"}))
    with pytest.raises(ErrorReport) as err:
        render_one(job, outputs, in_place=True)
    assert [str(e) for e in err.value] == [
        f"{os.path.relpath(job)}:20: infrastructure.terraform.variables.cluster: output 'cluster_name' not in "
        f"{os.path.relpath(outputs)}, got '{{{{terraform_outputs.cluster_name}}}}'; expected one of log_group_name"
    ]
    outputs.write_text(tf_outputs({"log_group_name": "/l", "cluster_name": "c"}))
    render_one(job, outputs, in_place=True)
    expected = (FIXTURES / "legacy_job.yaml").read_text()
    expected = expected.replace("{{terraform_outputs.log_group_name}}", "/l").replace(
        "{{terraform_outputs.cluster_name}}", "c"
    )
    assert job.read_text() == expected


# --- files: all or nothing, atomic, locked, idempotent ---------------------------------------------


def test_nothing_is_written_when_a_placeholder_is_missing(
    golden: Path, tmp_path: Path, tf_outputs: Callable[..., str]
) -> None:
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
    assert sorted(p.name for p in golden.parent.iterdir()) == [golden.name]


def test_an_out_path_under_a_regular_file_is_a_clean_error(golden: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("not a directory")
    # the installed CLI: a file system error exits 2 without a traceback
    result = in_new_process(
        "render", "--job", str(golden), "--outputs", str(GOLDEN_OUTPUTS), "--out", str(blocker / "x.yaml")
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
    assert str(err.value).startswith(os.path.relpath(golden.parent) + ": ")
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
        "import sys; from pathlib import Path; from dativo_infra.render.write import directory_locks\n"
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


def test_a_file_changed_under_the_lock_is_rendered_again_and_reported_as_written(
    golden: Path, tmp_path: Path
) -> None:
    [job] = load_jobs([str(golden)], rendered=True)
    result = render_job(job, read_outputs(GOLDEN_OUTPUTS).for_stack("s"), golden)
    assert result.filled == 18
    # another writer renders the file between our render and our write
    render_one(golden, GOLDEN_OUTPUTS, in_place=True)
    assert write_results([result]) == []
    assert result.filled == 0  # what this run did to the file it found


# --- batch -------------------------------------------------------------------------------------------


def test_batch_from_a_directory_of_per_job_files(
    tmp_path: Path,
    load: Callable[[str], Any],
    write_example_outputs: Callable[..., dict[str, dict[str, str]]],
) -> None:
    values = write_example_outputs(tmp_path / "outputs")
    results = render_batch(Path("jobs"), tmp_path / "outputs", out_dir=tmp_path / "rendered")
    assert len(results) == 11 and all(r.written for r in results)
    for job in load_jobs(["jobs"]):
        rendered = tmp_path / "rendered" / job.path.relative_to("jobs")
        data = load(rendered.read_text())
        for key, placeholder in job.config.infrastructure.resource_identifiers.items():
            name = placeholder.strip("{} ").split(".")[1]
            assert data["infrastructure"]["resource_identifiers"][key] == values[job.stack_name][name]
    assert not any(find_placeholders(p.read_text(), str(p)) for p in (tmp_path / "rendered").rglob("*.yaml"))
    jobs = load_jobs([str(tmp_path / "rendered")], rendered=True)  # rendered jobs still load
    assert sorted(j.stack_name for j in jobs) == sorted(values)


def test_batch_from_one_cdktf_file(
    tmp_path: Path,
    load: Callable[[str], Any],
    write_example_outputs: Callable[..., dict[str, dict[str, str]]],
) -> None:
    values = write_example_outputs(tmp_path / "per-job")
    cdktf = tmp_path / "outputs.json"
    cdktf.write_text(json.dumps(values))
    render_batch(Path("jobs"), cdktf, out_dir=tmp_path / "rendered")
    data = load((tmp_path / "rendered" / "acme" / "orders_cdc_stream.yaml").read_text())
    assert (
        data["infrastructure"]["resource_identifiers"]["service_endpoint"]
        == "service_endpoint-of-acme-orders-cdc-stream"
    )


def test_batch_lists_every_job_without_outputs_and_writes_nothing(
    tmp_path: Path, write_example_outputs: Callable[..., dict[str, dict[str, str]]]
) -> None:
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


def test_batch_is_all_or_nothing_across_jobs(
    tmp_path: Path,
    tf_outputs: Callable[..., str],
    write_example_outputs: Callable[..., dict[str, dict[str, str]]],
) -> None:
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
    # nothing was created (the locks, taken before the jobs are loaded, are on the directories)
    assert not list(jobs_dir.rglob(".*"))


def test_batch_refuses_a_single_stack_terraform_file(tmp_path: Path) -> None:
    with pytest.raises(ErrorReport, match="holds the outputs of one stack"):
        render_batch(Path("jobs"), GOLDEN_OUTPUTS, out_dir=tmp_path / "rendered")


def test_batch_reports_missing_stacks_and_unresolved_placeholders_together(
    tmp_path: Path,
    tf_outputs: Callable[..., str],
    write_example_outputs: Callable[..., dict[str, dict[str, str]]],
) -> None:
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


# --- CLI ---------------------------------------------------------------------------------------------


def test_cli_render_prints_without_out_and_validate_rendered(
    golden: Path,
    tmp_path: Path,
    cli: Callable[..., subprocess.CompletedProcess[str]],
    write_example_outputs: Callable[..., dict[str, dict[str, str]]],
) -> None:
    printed = cli("render", "--job", str(golden), "--outputs", str(GOLDEN_OUTPUTS))
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout == (FIXTURES / "golden_job.yaml.golden").read_text()

    unrendered = cli("validate", "--rendered", "jobs/acme")
    assert unrendered.returncode == 2
    assert unrendered.stderr.splitlines()[0] == (
        "jobs/acme/catalog_orders_to_dynamodb.yaml:52: infrastructure.resource_identifiers.cluster_name: "
        "placeholder not rendered, got '{{terraform_outputs.cluster_name}}'; expected a value"
    )
    assert unrendered.stderr.splitlines()[-1] == "9 error(s) in 3 file(s)"

    write_example_outputs(tmp_path / "outputs")
    batch = cli(
        "render", "--jobs", "jobs", "--outputs", str(tmp_path / "outputs"), "--out", str(tmp_path / "r")
    )
    assert batch.returncode == 0, batch.stderr
    assert cli("validate", "--rendered", str(tmp_path / "r")).returncode == 0


def test_cli_render_errors_exit_2(
    tmp_path: Path, cli: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
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
        "from dativo_infra.cdk import SYNTH_ONLY_MODULES\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in SYNTH_ONLY_MODULES)\n"
        "assert not bad, bad\n"
        "print('clean')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "clean"


# --- in place: links, read-only jobs, concurrent renders ----------------------------------------------


def test_in_place_writes_through_a_link_to_its_target(golden: Path, tmp_path: Path) -> None:
    link = tmp_path / "link.yaml"
    link.symlink_to(golden)
    result = render_one(link, GOLDEN_OUTPUTS, in_place=True)
    assert result.written and result.target == golden.resolve()
    assert link.is_symlink() and os.readlink(link) == str(golden)
    assert golden.read_bytes() == (FIXTURES / "golden_job.yaml.golden").read_bytes()
    assert not list(tmp_path.glob(".*.tmp")) and not list(golden.parent.glob(".*.tmp"))


def test_in_place_batch_writes_through_links(
    tmp_path: Path, write_example_outputs: Callable[..., dict[str, dict[str, str]]]
) -> None:
    jobs_dir = tmp_path / "jobs"
    shutil.copytree("jobs", jobs_dir)
    real = jobs_dir / "acme" / "stripe_customers_to_iceberg.yaml"
    moved = jobs_dir / "acme" / "real_stripe.yaml"
    real.rename(moved)
    real.symlink_to(moved.name)
    write_example_outputs(tmp_path / "outputs")
    results = render_batch(jobs_dir, tmp_path / "outputs", in_place=True)
    assert len(results) == 11
    assert real.is_symlink() and "{{terraform_outputs." not in moved.read_text()


def test_a_read_only_job_is_refused_before_anything_is_written(
    tmp_path: Path, write_example_outputs: Callable[..., dict[str, dict[str, str]]]
) -> None:
    jobs_dir = tmp_path / "jobs"
    shutil.copytree("jobs", jobs_dir)
    read_only = jobs_dir / "umbrella" / "shipments_api_to_s3.yaml"
    read_only.chmod(0o444)
    write_example_outputs(tmp_path / "outputs")
    before = {p: p.read_bytes() for p in jobs_dir.rglob("*.yaml")}
    with pytest.raises(ErrorReport) as err:
        render_batch(jobs_dir, tmp_path / "outputs", in_place=True)
    assert [str(e) for e in err.value] == [
        f"{os.path.relpath(read_only)}: job file is read-only, got mode 0444; expected a job file its owner "
        "may write (chmod u+w) to render it in place, or --out"
    ]
    assert {p: p.read_bytes() for p in jobs_dir.rglob("*.yaml")} == before
    with pytest.raises(ErrorReport, match="job file is read-only"):
        render_one(read_only, tmp_path / "outputs", in_place=True)
    assert render_batch(jobs_dir, tmp_path / "outputs", out_dir=tmp_path / "r")  # --out still works


def test_an_out_target_that_is_not_a_regular_file_is_never_replaced(golden: Path, tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.yaml")
    with pytest.raises(ErrorReport, match=r"not a regular file \(a FIFO\)"):
        render_one(golden, GOLDEN_OUTPUTS, out=tmp_path / "pipe.yaml")
    assert (tmp_path / "pipe.yaml").is_fifo()


def _render_in_child(job: str, outputs: str, queue: Any) -> None:
    try:
        result = render_one(Path(job), Path(outputs), in_place=True, lock_timeout=60)
        queue.put((result.filled, result.written))
    except BaseException as exc:  # reported to the parent, which fails the test
        queue.put(repr(exc))


def in_place_render(job: Path, outputs: Path, **popen: Any) -> subprocess.Popen[str]:
    """A real CLI process rendering ``job`` in place with ``outputs`` (``popen``: its pipes)."""
    command = [
        sys.executable,
        "-m",
        "dativo_infra.cli",
        "render",
        "--job",
        str(job),
        "--outputs",
        str(outputs),
    ]
    return subprocess.Popen([*command, "--in-place"], **popen)


def variant_outputs(directory: Path, count: int) -> list[Path]:
    """``count`` outputs files like the golden one, every string value suffixed with its number."""
    data = json.loads(GOLDEN_OUTPUTS.read_text())
    paths = []
    for index in range(count):
        variant = {
            name: {**entry, "value": f"{entry['value']}-{index}"}
            if isinstance(entry["value"], str)
            else entry
            for name, entry in data.items()
        }
        path = directory / f"outputs-{index}.json"
        path.write_text(json.dumps(variant))
        paths.append(path)
    return paths


def test_concurrent_in_place_renders_each_report_what_they_did(golden: Path, tmp_path: Path) -> None:
    """Ten processes render one file with different outputs: the lock covers load, render and write,
    so one fills the placeholders and the nine others find none left (and say so)."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    outputs = variant_outputs(tmp_path, 10)
    children = [
        context.Process(target=_render_in_child, args=(str(golden), str(path), queue)) for path in outputs
    ]
    for child in children:
        child.start()
    reports = sorted((queue.get(timeout=120) for _ in children), key=str)
    for child in children:
        child.join(60)
    assert reports == [(0, False)] * 9 + [(18, True)]
    assert not find_placeholders(golden.read_text(), "golden")
    assert sorted(p.name for p in golden.parent.iterdir()) == [golden.name]


def test_cli_in_place_renders_report_truthfully(golden: Path, tmp_path: Path) -> None:
    outputs = variant_outputs(tmp_path, 2)
    runs = [in_place_render(golden, path, stderr=subprocess.PIPE, text=True) for path in outputs]
    lines = sorted(run.communicate(timeout=120)[1].strip().rsplit(": ", 1)[-1] for run in runs)
    assert [run.returncode for run in runs] == [0, 0]
    assert lines == [
        "0 placeholder(s), unchanged",
        "18 placeholder(s), written",
    ]


@pytest.mark.slow
def test_render_stress_with_kill_9_leaves_old_or_new_files(golden: Path, tmp_path: Path) -> None:
    """Rounds of concurrent in-place renders (CLI processes, different outputs), some killed with
    SIGKILL at random points: each file is then the original or one complete rendering, and nothing
    but the temp files of killed writers (dot files, never read as jobs) is left."""
    rng = random.Random(12)
    outputs = variant_outputs(tmp_path, 4)
    [job] = load_jobs([str(golden)], rendered=True)
    complete = {GOLDEN_JOB.read_text()} | {
        render_job(job, read_outputs(path).for_stack("s"), None).text for path in outputs
    }
    deadline = time.monotonic() + 40
    rounds = 0
    while time.monotonic() < deadline and rounds < 12:
        rounds += 1
        shutil.copyfile(GOLDEN_JOB, golden)
        runs = [
            in_place_render(golden, path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for path in outputs
        ]
        time.sleep(rng.uniform(0.3, 1.5))
        for run in runs:
            if rng.random() < 0.5:
                run.send_signal(signal.SIGKILL)
        for run in runs:
            assert run.wait(timeout=120) in (0, -signal.SIGKILL)
        assert golden.read_text() in complete
        left = {p.name for p in golden.parent.iterdir()} - {golden.name}
        assert all(name.startswith(f".{golden.name}.") and name.endswith(".tmp") for name in left), left
    assert rounds >= 3
