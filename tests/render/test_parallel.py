"""Batches rendered by worker processes (:mod:`dativo_infra.render.parallel`): the same files, byte for
byte, the same errors in the same order, and nothing written when a job or a worker fails.

The examples are too few for the workers (they start at ``PARALLEL_MIN_JOBS`` job files); the tests
lower the threshold and the share size, so two workers split a batch of ~40 jobs into eight tasks."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dativo_infra.config.loader import load_jobs
from dativo_infra.config.settings import load_settings
from dativo_infra.contract import OUTPUTS
from dativo_infra.errors import ErrorReport, JobError
from dativo_infra.render import parallel
from dativo_infra.render.jobs import JobRef, RenderResult
from dativo_infra.render.outputs import OutputsSource
from dativo_infra.render.write import render_batch, render_one, write_results
from tests.render import GOLDEN_OUTPUTS

sys.path.insert(0, str(Path("benchmarks").resolve()))
from common import generate_jobs

WORKERS = parallel.WORKERS_ENV


@pytest.fixture
def small_shares(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers for any batch of two or more jobs, one job per share at least."""
    monkeypatch.setattr(parallel, "PARALLEL_MIN_JOBS", 2)
    monkeypatch.setattr(parallel, "MIN_SHARE", 1)


@pytest.fixture
def batch(tmp_path: Path, tf_outputs: Callable[..., str]) -> tuple[Path, Path]:
    """A jobs directory (the examples, their asset definitions and 30 generated jobs) and a directory
    with one `terraform output -json` file per job."""
    jobs_dir, outputs_dir = tmp_path / "jobs", tmp_path / "outputs"
    shutil.copytree("jobs", jobs_dir, ignore=shutil.ignore_patterns("platform.yaml"))
    generate_jobs(jobs_dir / "generated", 30)
    outputs_dir.mkdir()
    for job in load_jobs([str(jobs_dir)]):
        values = {name: f"{name}-of-{job.stack_name}" for name in OUTPUTS[job.config.runtime.type]}
        (outputs_dir / f"{job.stack_name}.json").write_text(tf_outputs(values))
    return jobs_dir, outputs_dir


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _render(
    monkeypatch: pytest.MonkeyPatch, workers: int, *args: Any, **kwargs: Any
) -> list[RenderResult] | ErrorReport:
    """``render_batch(*args, **kwargs)`` with ``workers`` processes: its results, or the report it raised."""
    monkeypatch.setenv(WORKERS, str(workers))
    try:
        results = render_batch(*args, **kwargs)
    except ErrorReport as report:
        return report
    assert all(isinstance(r.job, JobRef) == (workers > 1) for r in results)  # the path asked for
    return results


def _summary(results: list[RenderResult] | ErrorReport, root: Path) -> list[tuple[str, str, int, bool]]:
    assert not isinstance(results, ErrorReport), str(results)
    return [(r.job.file, os.path.relpath(r.target or "", root), r.filled, r.written) for r in results]


# --- the setting ------------------------------------------------------------------------------------


def test_workers_follow_the_setting_the_cores_and_the_batch_size() -> None:
    cores = len(os.sched_getaffinity(0))
    assert parallel.render_workers(parallel.PARALLEL_MIN_JOBS - 1, {WORKERS: "8"}) == 1
    assert parallel.render_workers(1000, {}) == min(cores, 1000 // parallel.MIN_SHARE)
    assert parallel.render_workers(1000, {WORKERS: " 4 "}) == 4
    assert parallel.render_workers(1000, {WORKERS: "1"}) == 1
    assert parallel.render_workers(250, {WORKERS: "8"}) == 250 // parallel.MIN_SHARE  # 100 jobs a worker


@pytest.mark.parametrize("raw", ["0", "-1", "two", "1.5", "99999"])
def test_a_bad_worker_count_is_an_error_naming_the_variable(
    raw: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, cli: Callable[..., Any]
) -> None:
    with pytest.raises(JobError) as info:
        parallel.render_workers(1000, {WORKERS: raw})
    assert str(info.value) == (
        f"environment: {WORKERS}: not a worker or batch count, got {raw!r}; expected an integer 1..10000"
    )
    run = cli(
        "render",
        "--jobs",
        "jobs",
        "--outputs",
        str(GOLDEN_OUTPUTS),
        "--out",
        str(tmp_path / "o"),
        env={**os.environ, WORKERS: raw},
    )
    assert run.returncode == 2 and f"{WORKERS}: not a worker or batch count" in run.stderr
    assert not (tmp_path / "o").exists()


def test_shares_are_contiguous_near_equal_and_never_empty() -> None:
    paths = [Path(str(i)) for i in range(10)]
    assert [len(s) for s in parallel._shares(paths, 4)] == [3, 3, 2, 2]
    assert [p for s in parallel._shares(paths, 4) for p in s] == paths
    assert [len(s) for s in parallel._shares(paths[:3], 8)] == [1, 1, 1]


# --- the same files ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("small_shares")
def test_workers_write_the_same_bytes_as_one_process(
    batch: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    jobs_dir, outputs_dir = batch
    serial = _render(monkeypatch, 1, jobs_dir, outputs_dir, out_dir=tmp_path / "serial")
    workers = _render(monkeypatch, 2, jobs_dir, outputs_dir, out_dir=tmp_path / "workers")
    assert _summary(workers, tmp_path / "workers") == _summary(serial, tmp_path / "serial")
    assert len(_summary(serial, tmp_path)) == 41
    written = _tree(tmp_path / "workers")
    assert written == _tree(tmp_path / "serial")
    assert any(name.startswith("acme/assets/") for name in written)  # asset definitions copied too
    # again into the same directory: nothing changes, nothing is rewritten
    again = _render(monkeypatch, 2, jobs_dir, outputs_dir, out_dir=tmp_path / "workers")
    assert not any(r.written for r in again if isinstance(r, RenderResult))
    # in place
    for name in ("in-place-1", "in-place-2"):
        shutil.copytree(jobs_dir, tmp_path / name)
    _render(monkeypatch, 1, tmp_path / "in-place-1", outputs_dir, in_place=True)
    _render(monkeypatch, 2, tmp_path / "in-place-2", outputs_dir, in_place=True)
    assert _tree(tmp_path / "in-place-2") == _tree(tmp_path / "in-place-1")
    assert {k: v for k, v in _tree(tmp_path / "in-place-2").items() if "/assets/" not in k} == {
        k: v for k, v in written.items() if "/assets/" not in k
    }


@pytest.mark.usefixtures("small_shares")
def test_cli_reports_the_same_lines(
    batch: tuple[Path, Path], tmp_path: Path, cli: Callable[..., Any]
) -> None:
    jobs_dir, outputs_dir = batch
    runs = [
        cli(
            "render",
            "--jobs",
            str(jobs_dir),
            "--outputs",
            str(outputs_dir),
            "--out",
            str(tmp_path / name),
            env={**os.environ, WORKERS: workers},
        )
        for name, workers in (("a", "1"), ("b", "2"))
    ]
    assert [r.returncode for r in runs] == [0, 0]
    assert runs[1].stderr.replace(str(tmp_path / "b"), "OUT") == runs[0].stderr.replace(
        str(tmp_path / "a"), "OUT"
    )
    assert runs[0].stderr.count("placeholder(s), written") == 41


# --- the same errors, nothing written ------------------------------------------------------------------


def _break(case: str, jobs_dir: Path, outputs_dir: Path, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """Break the batch as ``case`` says; return the outputs path to render with and the environment."""
    acme = jobs_dir / "acme"
    if case == "load":  # a schema error, invalid YAML, an unreadable asset, in three files
        text = (acme / "orders_cdc_stream.yaml").read_text()
        (acme / "orders_cdc_stream.yaml").write_text(text.replace("cpu_millicores: 500", "cpu_millicores: 3"))
        (jobs_dir / "globex" / "events_api_service.yaml").write_text("tenant_id: [unclosed\n")
        for asset in (acme / "assets").iterdir():
            asset.write_text("- not: [a mapping\n")
    elif case == "duplicate stack":
        shutil.copyfile(acme / "orders_cdc_stream.yaml", acme / "orders_copy.yaml")
        shutil.copyfile(acme / "orders_cdc_stream.yaml", jobs_dir / "generated" / "zz_copy.yaml")
    elif case == "tags":  # a finops block of the wrong shape: found by check_tags
        path = jobs_dir / "initech" / "clickstream_collector.yaml"
        path.write_text(path.read_text() + "finops: [1, 2]\n")
    elif case == "settings":  # invalid platform settings: reported with the jobs' errors
        settings = tmp_path / "platform.yaml"
        settings.write_text("default_tags: [1]\n")
        (acme / "orders_cdc_stream.yaml").write_text("tenant_id: acme\n")
        return outputs_dir, {"DATIVO_PLATFORM_SETTINGS": str(settings)}
    elif case == "outputs":  # a stack without outputs, a missing output, an unreadable outputs file
        files = sorted(outputs_dir.iterdir())
        files[0].unlink()
        files[1].write_text("{}")
        files[2].write_text("{not json")
    elif case == "one terraform file":
        return GOLDEN_OUTPUTS, {}
    elif case == "bad outputs file":
        (tmp_path / "all.json").write_text("[1, 2]")
        return tmp_path / "all.json", {}
    return outputs_dir, {}


CASES = ["load", "duplicate stack", "tags", "settings", "outputs", "one terraform file", "bad outputs file"]


@pytest.mark.usefixtures("small_shares")
@pytest.mark.parametrize("case", CASES)
def test_workers_raise_the_same_errors_and_write_nothing(
    case: str, batch: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    jobs_dir, outputs_dir = batch
    outputs, env = _break(case, jobs_dir, outputs_dir, tmp_path)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    before = _tree(jobs_dir)
    runs: list[int] = []
    run = parallel._run
    monkeypatch.setattr(parallel, "_run", lambda *args: runs.append(1) or run(*args))
    reports = []
    for workers in (1, 2):
        for in_place in (False, True):
            out_dir = None if in_place else tmp_path / f"out-{workers}"
            report = _render(monkeypatch, workers, jobs_dir, outputs, out_dir=out_dir, in_place=in_place)
            assert isinstance(report, ErrorReport)
            reports.append(report.errors)
            assert out_dir is None or not out_dir.exists()
            assert _tree(jobs_dir) == before and not list(jobs_dir.rglob(".*"))
    assert reports[0] and all(errors == reports[0] for errors in reports), reports
    assert len(runs) == 2  # the workers did load and render (in both runs with two)


# --- a failing worker --------------------------------------------------------------------------------


@pytest.mark.usefixtures("small_shares")
@pytest.mark.parametrize("how", ["raises", "dies"])
def test_a_failing_worker_stops_the_run_before_anything_is_written(
    how: str,
    batch: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    cli: Callable[..., Any],
) -> None:
    jobs_dir, outputs_dir = batch
    check_tags = parallel.check_tags

    def failing(job: Any) -> list[JobError]:
        if job.path.name == "stripe_customers_to_iceberg.yaml":
            if how == "dies":
                os._exit(3)
            raise RuntimeError("a bug in one worker")
        return check_tags(job)

    monkeypatch.setattr(parallel, "check_tags", failing)
    before = _tree(jobs_dir)
    expected = (
        "a bug in one worker" if how == "raises" else "a render worker process died .*; nothing was written"
    )
    with pytest.raises(RuntimeError, match=expected):
        _render(monkeypatch, 2, jobs_dir, outputs_dir, out_dir=tmp_path / "out")
    with pytest.raises(RuntimeError, match=expected):
        _render(monkeypatch, 2, jobs_dir, outputs_dir, in_place=True)
    assert not (tmp_path / "out").exists()
    assert _tree(jobs_dir) == before and not list(jobs_dir.rglob(".*"))
    if how == "dies":  # the CLI says so in one line, exit 1 (not the files' fault)
        args = (
            "render",
            "--jobs",
            str(jobs_dir),
            "--outputs",
            str(outputs_dir),
            "--out",
            str(tmp_path / "o"),
        )
        run = cli(*args, env={**os.environ, WORKERS: "2"})
        assert run.returncode == 1 and "Traceback" not in run.stderr
        assert run.stderr.startswith("render: a render worker process died") and run.stderr.count("\n") == 1
        assert not (tmp_path / "o").exists()


# --- a file changed under the lock -------------------------------------------------------------------


def test_a_job_of_a_worker_changed_before_the_write_is_loaded_and_rendered_again(golden: Path) -> None:
    source = OutputsSource(GOLDEN_OUTPUTS)
    [(ref, result)] = parallel.load_and_render([golden], load_settings(), source, False, 2, ErrorReport())
    assert isinstance(ref, JobRef) and isinstance(result, RenderResult) and result.filled == 18
    result.target = golden
    render_one(golden, GOLDEN_OUTPUTS, in_place=True)  # another writer renders it first
    rendered = golden.read_bytes()
    assert write_results([result]) == []  # loaded again from the text the worker read, rendered again
    assert result.filled == 0 and golden.read_bytes() == rendered
    job, outputs = result.loaded()
    assert (
        job.stack_name == ref.stack_name
        and job.file == ref.file
        and outputs is source.for_stack(job.stack_name)
    )


def test_the_parent_keeps_what_it_needs_of_each_job(golden: Path) -> None:
    [loaded] = load_jobs([str(golden)], rendered=True)
    [(ref, _result)] = parallel.load_and_render(
        [golden], load_settings(), OutputsSource(GOLDEN_OUTPUTS), False, 2, ErrorReport()
    )
    assert (ref.path, ref.file, ref.stack_name, ref.job_name_line, ref.asset_file) == (
        loaded.path,
        loaded.file,
        loaded.stack_name,
        loaded.job_name_line,
        loaded.asset_file,
    )
