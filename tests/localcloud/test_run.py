"""The main job's provider check, progress display and report (the run itself is tested end to end in
tests/e2e)."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from rich.console import Console

from dativo_infra import tfcli
from dativo_infra.cdk import library
from dativo_infra.config.loader import load_job
from dativo_infra.config.settings import SETTINGS_ENV, load_settings
from dativo_infra.deploy import provider_error
from dativo_infra.localcloud import run as run_module
from dativo_infra.localcloud.run import ProgressDisplay, StackRun, print_report
from dativo_infra.localcloud.tagcheck import ResourceTags
from dativo_infra.tfcli import BoundProvider, _platform_dir
from tests.cli import in_new_process, in_process
from tests.test_tfcli import AWS, unpacked

JOB = load_job(Path("jobs/acme/orders_cdc_stream.yaml"))


def test_progress_prints_one_line_per_change_when_not_a_terminal() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=False, width=200)
    run = StackRun(JOB)
    with ProgressDisplay(console) as progress:
        run.status = "deploying"
        progress(run)
        run.status, run.error = "failed", "deploy: cdktf deploy exited 1; see log\ntail"
        progress(run)
    assert out.getvalue().splitlines() == [
        "  acme-orders-cdc-stream: deploying",
        "  acme-orders-cdc-stream: failed (deploy: cdktf deploy exited 1; see log)",
    ]


def test_progress_is_a_live_table_on_a_terminal() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120)
    run = StackRun(JOB, status="deploying")
    with ProgressDisplay(console) as progress:
        progress(run)
        snapshot = Console(file=io.StringIO(), width=120, force_terminal=False)
        snapshot.print(progress)
        text = snapshot.file.getvalue()  # type: ignore[attr-defined]
    assert "acme-orders-cdc-stream" in text and "deploying" in text and "main job" in text


def test_report_is_green_only_when_every_stack_is() -> None:
    good = StackRun(
        JOB,
        status="done",
        destroyed=True,
        tags=[ResourceTags("aws_ecs_cluster.c", "aws_ecs_cluster", True, {"a": "b"})],
    )
    console = Console(file=io.StringIO(), width=200)
    assert print_report(console, [good], []) is True
    assert "ALL GREEN" in console.file.getvalue()  # type: ignore[attr-defined]
    bad = StackRun(
        JOB,
        status="done",
        destroyed=True,
        tags=[ResourceTags("aws_ecs_cluster.c", "aws_ecs_cluster", True, missing=["team"])],
    )
    console = Console(file=io.StringIO(), width=200)
    assert print_report(console, [bad, good], []) is False
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert "missing team" in text
    assert "FAILED: 1 of 2 AWS stack(s) deployed, checked and destroyed" in text  # not "2 ... destroyed"


# --- before anything starts: can terraform init install the AWS provider the stacks require? ----

AWS_CDKTN = BoundProvider(AWS, "6.69.1")  # what cdktn-provider-aws 25.8.1 binds


def settings_file(tmp_path: Path, pin: str | None) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "platform.yaml"
    pinned = f'aws:\n  provider_version: "{pin}"\n' if pin else ""
    path.write_text("# platform settings\ndeploy_target: cloud\n" + pinned)
    return path


def test_unpinned_bindings_the_mirror_lacks_name_version_mirror_and_pin(tmp_path: Path) -> None:
    mirror = unpacked(tmp_path / "mirror", AWS, "5.100.0")
    settings = load_settings(settings_file(tmp_path, None))
    error = provider_error(settings, {AWS: mirror}, (False, "offline"), AWS_CDKTN)
    assert error is not None
    assert str(error) == (
        f"{settings.source_file}: aws.provider_version: unset, so every AWS stack requires hashicorp/aws 6.69.1 "
        f"(the version the installed {library().name} provider bindings were generated for), which terraform "
        f"init cannot install here: the filesystem mirror {mirror} holds only 5.100.0 for {_platform_dir()} "
        "(and a provider in a mirror is never taken from the registry); expected "
        f'"5.100.0" (the version the filesystem mirror {mirror} holds) as the pin, or hashicorp/aws 6.69.1 '
        "added to that mirror"
    )


def test_a_pin_the_mirror_holds_passes_and_one_it_lacks_is_shown_at_its_line(tmp_path: Path) -> None:
    mirror = unpacked(tmp_path / "mirror", AWS, "5.100.0")
    pinned = load_settings(settings_file(tmp_path / "ok", "5.100.0"))
    assert provider_error(pinned, {AWS: mirror}, (False, "offline"), AWS_CDKTN) is None
    wrong = load_settings(settings_file(tmp_path / "wrong", "~> 6.0"))
    error = provider_error(wrong, {AWS: mirror}, (True, "reachable"), AWS_CDKTN)
    assert error is not None
    assert (error.line, error.path, error.got) == (4, "aws.provider_version", "'~> 6.0'")
    assert error.problem.startswith(
        "every AWS stack requires hashicorp/aws ~> 6.0 (this pin), which terraform"
    )
    assert error.expected is not None and error.expected.endswith(
        "as the pin, or a hashicorp/aws version that ~> 6.0 admits added to that mirror"
    )


def test_the_bound_version_in_the_mirror_or_a_reachable_registry_passes(tmp_path: Path) -> None:
    settings = load_settings(settings_file(tmp_path, None))
    mirror = unpacked(tmp_path / "mirror", AWS, "6.69.1")
    assert provider_error(settings, {AWS: mirror}, (False, "offline"), AWS_CDKTN) is None
    assert provider_error(settings, {}, (True, "reachable"), AWS_CDKTN) is None
    error = provider_error(settings, {}, (False, "the registry is off (DATIVO_TF_REGISTRY=0)"), AWS_CDKTN)
    assert error is not None and "and the registry is off (DATIVO_TF_REGISTRY=0)" in error.problem


def jobs_copy(tmp_path: Path, pin: str) -> Path:
    """The example jobs with ``pin`` as the AWS provider version, and a mirror holding aws 5.100.0 only."""
    jobs = tmp_path / "jobs"
    shutil.copytree("jobs", jobs)
    with open(jobs / "platform.yaml", "a") as handle:
        handle.write(f'aws:\n  provider_version: "{pin}"\n')
    unpacked(tmp_path / "mirror", AWS, "5.100.0")
    return jobs


def test_local_run_stops_before_the_emulator_and_the_synth(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def started(*args: object, **kwargs: object) -> None:
        raise AssertionError("the emulator was started")

    jobs = jobs_copy(tmp_path, "~> 6.0")
    monkeypatch.setattr(run_module, "MotoServer", started)
    monkeypatch.setattr(tfcli, "bound_provider", lambda name: AWS_CDKTN if name == "aws" else None)
    monkeypatch.setenv("DATIVO_TF_MIRROR", str(tmp_path / "mirror"))
    monkeypatch.setenv("DATIVO_TF_REGISTRY", "0")
    monkeypatch.setenv(SETTINGS_ENV, str(jobs / "platform.yaml"))
    previous = tmp_path / "work" / "logs" / "synth.log"  # the last run's results stay
    previous.parent.mkdir(parents=True)
    previous.write_text("last run")
    result = in_process("local-run", "--jobs", str(jobs), "--workdir", str(tmp_path / "work"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines[-1] == "1 error(s) in 1 file(s)"
    assert "aws.provider_version: every AWS stack requires hashicorp/aws ~> 6.0 (this pin)" in lines[0]
    assert not (tmp_path / "work" / "cdktf.out").exists()
    assert previous.read_text() == "last run"


def test_local_run_exits_2_without_a_traceback(tmp_path: Path) -> None:
    jobs = jobs_copy(tmp_path, "6.69.1")  # a pin the mirror lacks, whichever library is installed
    env = {
        **tfcli.terraform_env(),
        "DATIVO_TF_MIRROR": str(tmp_path / "mirror"),
        "DATIVO_TF_REGISTRY": "0",
        SETTINGS_ENV: str(jobs / "platform.yaml"),
    }
    result = in_new_process("local-run", "--jobs", str(jobs), "--workdir", str(tmp_path / "work"), env=env)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "which terraform init cannot install here" in result.stderr
    assert '"5.100.0"' in result.stderr and "as the pin" in result.stderr


def test_one_settings_file_for_loading_the_synth_and_the_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "settings" / "platform.yaml"
    elsewhere.parent.mkdir()
    elsewhere.write_text('aws:\n  provider_version: "5.100.0"\n')
    monkeypatch.setenv(SETTINGS_ENV, str(elsewhere))
    runner = run_module.LocalRun(Path("jobs"), tmp_path / "work")
    assert runner.settings_file == elsewhere.resolve()
    assert runner.env(run_module.MotoServer())[SETTINGS_ENV] == str(elsewhere.resolve())
    monkeypatch.delenv(SETTINGS_ENV)
    assert (
        run_module.LocalRun(Path("jobs"), tmp_path / "work").settings_file
        == Path("jobs/platform.yaml").resolve()
    )
