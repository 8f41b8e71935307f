"""The cdktf CLI calls shared by the main job and the Dagster assets (the calls themselves run in the
slow tests: tests/e2e, tests/orchestration)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from dativo_infra.config.settings import SETTINGS_ENV
from dativo_infra.deploy import CommandFailed, cdktf, cdktf_env, run_command


def test_env_selects_the_jobs_the_settings_and_the_target(tmp_path: Path) -> None:
    env = cdktf_env(tmp_path / "job.yaml", tmp_path / "platform.yaml", {"DATIVO_DEPLOY_TARGET": "local"})
    assert env["DATIVO_JOBS"] == str(tmp_path / "job.yaml")
    assert env[SETTINGS_ENV] == str(tmp_path / "platform.yaml")
    assert env["DATIVO_DEPLOY_TARGET"] == "local"
    assert env["CDKTF_DISABLE_PLUGIN_CACHE_ENV"] == "true"
    assert "TF_CLI_CONFIG_FILE" in env


def test_cdktf_commands_write_to_the_given_outdir(tmp_path: Path) -> None:
    assert cdktf(tmp_path, "destroy", "s", "--auto-approve") == [
        "cdktf",
        "destroy",
        "s",
        "--auto-approve",
        "--output",
        str(tmp_path),
    ]


def test_a_failing_command_raises_with_the_tail_and_logs_everything(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "x.log"
    assert run_command([sys.executable, "-c", "print('fine')"], {}, tmp_path, log) == "fine\n"
    with pytest.raises(CommandFailed, match=r"exited 3; see .*x\.log\nboom"):
        run_command([sys.executable, "-c", "print('boom'); raise SystemExit(3)"], {}, tmp_path, log)
    assert log.read_text().count("$ ") == 2 and "boom" in log.read_text()
