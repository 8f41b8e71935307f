"""A GCP job's ``project_id`` defaults to the platform settings' ``gcp.project_id`` (the job's own wins);
with neither, the error names the runtime block's line and both places a project can come from."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dativo_infra.config.loader import load_job
from dativo_infra.config.schema import job_json_schema
from dativo_infra.config.settings import PlatformSettings, load_settings
from dativo_infra.config.yamlpos import display_path
from dativo_infra.errors import ErrorReport
from tests.config.test_aws_platform import Shown
from tests.config.test_gcp_permissions import HEAD, TAIL

WITHOUT_PROJECT = HEAD.replace("    project_id: initech-data-prod\n", "")


def job_file(tmp_path: Path, head: str) -> Path:
    path = tmp_path / "job.yaml"
    path.write_text(head + TAIL)
    return Shown(path)


def platform(tmp_path: Path, text: str) -> PlatformSettings:
    (tmp_path / "platform.yaml").write_text(text)
    return load_settings(tmp_path / "platform.yaml")


def test_a_job_without_project_takes_the_platforms(tmp_path: Path) -> None:
    settings = platform(tmp_path, "gcp:\n  project_id: initech-shared-data\n")
    job = load_job(job_file(tmp_path, WITHOUT_PROJECT), settings)
    assert job.config.runtime.project_id == "initech-shared-data"


def test_the_jobs_own_project_wins(tmp_path: Path) -> None:
    settings = platform(tmp_path, "gcp:\n  project_id: initech-shared-data\n")
    job = load_job(job_file(tmp_path, HEAD), settings)
    assert job.config.runtime.project_id == "initech-data-prod"


def test_without_either_the_error_names_both_places(tmp_path: Path) -> None:
    path = job_file(tmp_path, WITHOUT_PROJECT)
    with pytest.raises(ErrorReport) as caught:
        load_job(path, PlatformSettings())
    (error,) = [str(e) for e in caught.value]
    line = WITHOUT_PROJECT.splitlines().index("  runtime:") + 1
    assert error.startswith(f"{display_path(path)}:{line}: infrastructure.runtime.project_id: required")
    assert "project_id" in error and "gcp.project_id in the platform settings" in error


def test_the_platform_project_is_checked_at_its_line(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("gcp:\n  project_id: Not_A_Project\n")
    with pytest.raises(ErrorReport) as caught:
        load_settings(tmp_path / "bad.yaml")
    (error,) = [str(e) for e in caught.value]
    assert error.startswith(f"{display_path(tmp_path / 'bad.yaml')}:2: gcp.project_id")
    assert "Not_A_Project" in error


def test_the_json_schema_leaves_project_id_to_the_platform() -> None:
    schema = json.dumps(job_json_schema())
    assert '"project_id"' in schema
    gcp = job_json_schema()["$defs"]["GcpCloudRunRuntime"]
    assert "project_id" not in gcp.get("required", [])
    assert "type" in gcp["required"]
