"""The CLI as users run it: exit codes, messages on stderr, no traceback, no cdktf import."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

CLI = [sys.executable, "-m", "dativo_infra.cli"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=120)


def test_validate_examples_ok() -> None:
    result = run("validate")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "8 job file(s) valid (1 in the older dialect)"


def test_validate_reports_every_error_of_every_file_without_traceback() -> None:
    result = run("validate", "tests/fixtures/jobs/invalid")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    files = len(list(Path("tests/fixtures/jobs/invalid").glob("*.yaml")))
    assert lines[-1].endswith(f"error(s) in {files} file(s)")
    assert (
        "tests/fixtures/jobs/invalid/bad_provider.yaml:4: infrastructure.provider: not an allowed value, "
        "got 'oracle'; expected 'aws', 'azure' or 'gcp'" in lines
    )


def test_validate_missing_path() -> None:
    result = run("validate", "no/such/dir")
    assert result.returncode == 2
    assert "no/such/dir: no such file or directory" in result.stderr


def test_validate_keeps_cdktf_and_jsii_out_of_sys_modules() -> None:
    code = (
        "import sys\n"
        "from dativo_infra.cli import app\n"
        "try:\n"
        "    app(['validate', 'jobs', 'tests/fixtures/jobs/valid'], standalone_mode=False)\n"
        "finally:\n"
        "    heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('cdktf', 'jsii', 'constructs')\n"
        "                   or m.startswith('cdktf_cdktf_provider'))\n"
        "    print(heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_show_json_resolves_defaults() -> None:
    result = run("show", "jobs/acme/orders_cdc_stream.yaml", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["stack"] == "acme-orders-cdc-stream"
    assert data["infrastructure"]["runtime"]["mode"] == "service"
    assert data["infrastructure"]["runtime"]["ephemeral_storage_gib"] == 21  # default filled in


def test_show_table() -> None:
    result = run("show", "jobs/initech/clickstream_collector.yaml")
    assert result.returncode == 0, result.stderr
    assert "initech-clickstream-collector" in result.stdout and "gcp_cloud_run" in result.stdout


def test_show_invalid_job_exits_2() -> None:
    result = run("show", "tests/fixtures/jobs/invalid/bad_mode.yaml")
    assert result.returncode == 2 and "bad_mode.yaml:8: infrastructure.runtime.mode" in result.stderr


def test_stacks_maps_files_to_stack_names() -> None:
    result = run("stacks", "jobs")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["jobs/acme/stripe_customers_to_iceberg.yaml"] == {
        "provider": "aws",
        "runtime": "aws_fargate",
        "stack": "acme-stripe-customers-to-iceberg",
    }
    assert len(data) == 8


def test_schema_command(tmp_path: Path) -> None:
    result = run("schema")
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    assert schema["title"] == "Dativo ingestion job"
    assert "infrastructure" in schema["required"]
    out = tmp_path / "s.json"
    assert run("schema", "-o", str(out)).returncode == 0
    assert json.loads(out.read_text()) == schema


@pytest.mark.parametrize("args", [["validate", "--help"], ["--help"]])
def test_help(args: list[str]) -> None:
    result = run(*args)
    assert result.returncode == 0 and "Usage" in result.stdout
