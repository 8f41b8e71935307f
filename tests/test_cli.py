"""The CLI as users run it: exit codes, messages on stderr, no traceback, no cdktf import. Commands run
in the test process (:func:`tests.cli.in_process`); the real process where it is the point."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dativo_infra.errors import ErrorReport, JobError
from tests.cli import in_new_process, in_process


def test_validate_examples_ok() -> None:
    result = in_process("validate")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "11 job file(s) valid (1 in the older dialect)"


def test_validate_reports_every_error_of_every_file_without_traceback() -> None:
    result = in_new_process("validate", "tests/fixtures/jobs/invalid")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    files = len(list(Path("tests/fixtures/jobs/invalid").glob("*.yaml")))
    assert lines[-1].endswith(f"error(s) in {files} file(s)")
    assert (
        "tests/fixtures/jobs/invalid/bad_provider.yaml:4: infrastructure.provider: not an allowed value, "
        "got 'oracle'; expected 'aws', 'azure' or 'gcp'" in lines
    )


def test_validate_warns_about_unpinned_images_and_exits_0(tmp_path: Path) -> None:
    """A warning is positioned like an error, printed on stderr (also with --quiet), and never fails."""
    text = Path("jobs/acme/orders_cdc_stream.yaml").read_text()
    latest = tmp_path / "latest.yaml"
    latest.write_text(
        text.replace("public.ecr.aws/dativo/ingest:1.8.2", "public.ecr.aws/dativo/ingest:latest")
    )
    untagged = tmp_path / "untagged.yaml"
    untagged.write_text(
        text.replace("public.ecr.aws/dativo/ingest:1.8.2", "public.ecr.aws/dativo/ingest").replace(
            "job_name: orders_cdc_stream", "job_name: orders_untagged"
        )
    )
    result = in_process("validate", latest.name, untagged.name, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "2 job file(s) valid, 2 warning(s)"
    line = text.splitlines().index("    image: public.ecr.aws/dativo/ingest:1.8.2") + 1
    assert result.stderr.splitlines() == [
        f"warning: latest.yaml:{line}: infrastructure.runtime.image: image tag latest moves: a redeploy or a new "
        "task may run another version, got 'public.ecr.aws/dativo/ingest:latest'; expected a version tag "
        "(name:1.8.2) or a digest (name@sha256:...)",
        f"warning: untagged.yaml:{line}: infrastructure.runtime.image: image has no tag (the registry serves "
        ":latest, which moves), got 'public.ecr.aws/dativo/ingest'; expected a version tag (name:1.8.2) or a "
        "digest (name@sha256:...)",
    ]
    quiet = in_process("validate", "--quiet", latest.name, cwd=tmp_path)
    assert (quiet.returncode, quiet.stdout, len(quiet.stderr.splitlines())) == (0, "", 1)


def test_validate_warns_about_no_public_ip_on_the_default_vpc(tmp_path: Path) -> None:
    text = Path("jobs/umbrella/shipments_api_to_s3.yaml").read_text()
    job = tmp_path / "private.yaml"
    job.write_text(text.replace("    network:\n", "    network:\n      assign_public_ip: false\n"))
    result = in_process("validate", job.name, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (warning,) = result.stderr.splitlines()
    assert warning.startswith("warning: private.yaml:")
    assert (
        "infrastructure.runtime.network.assign_public_ip: tasks in the default VPC without a public IP"
        in warning
    )


def test_validate_warns_about_a_public_gcp_service(tmp_path: Path) -> None:
    text = Path("jobs/initech/clickstream_collector.yaml").read_text()
    job = tmp_path / "public.yaml"
    job.write_text(
        text.replace("    ingress: internal\n", "    ingress: external\n    invokers: [allUsers]\n")
    )
    result = in_process("validate", job.name, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (warning,) = result.stderr.splitlines()
    line = job.read_text().splitlines().index("    invokers: [allUsers]") + 1
    assert warning.startswith(
        f"warning: public.yaml:{line}: infrastructure.runtime.invokers[0]: anyone on the internet may call the service"
    )


def test_validate_missing_path() -> None:
    result = in_process("validate", "no/such/dir")
    assert result.returncode == 2
    assert "no/such/dir: no such file or directory" in result.stderr


def test_validate_keeps_cdktf_and_jsii_out_of_sys_modules() -> None:
    code = (
        "import sys\n"
        "from dativo_infra.cli import app\n"
        "try:\n"
        "    app(['validate', 'jobs', 'tests/fixtures/jobs/valid'], standalone_mode=False)\n"
        "finally:\n"
        "    from dativo_infra.cdk import SYNTH_ONLY_MODULES\n"
        "    heavy = sorted(m for m in sys.modules if m.split('.')[0] in SYNTH_ONLY_MODULES)\n"
        "    print(heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_show_json_resolves_defaults() -> None:
    result = in_process("show", "jobs/acme/orders_cdc_stream.yaml", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["stack"] == "acme-orders-cdc-stream"
    assert data["infrastructure"]["runtime"]["mode"] == "service"
    assert data["infrastructure"]["runtime"]["ephemeral_storage_gib"] == 20  # default filled in


def test_show_table() -> None:
    result = in_process("show", "jobs/initech/clickstream_collector.yaml")
    assert result.returncode == 0, result.stderr
    assert "initech-clickstream-collector" in result.stdout and "gcp_cloud_run" in result.stdout


def test_show_invalid_job_exits_2() -> None:
    result = in_new_process("show", "tests/fixtures/jobs/invalid/bad_mode.yaml")
    assert result.returncode == 2 and "bad_mode.yaml:8: infrastructure.runtime.mode" in result.stderr


def test_stacks_maps_files_to_stack_names() -> None:
    result = in_process("stacks", "jobs")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["jobs/acme/stripe_customers_to_iceberg.yaml"] == {
        "provider": "aws",
        "runtime": "aws_fargate",
        "stack": "acme-stripe-customers-to-iceberg",
    }
    assert len(data) == 11


def test_schema_command(tmp_path: Path) -> None:
    result = in_process("schema")
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    assert schema["title"] == "Dativo ingestion job"
    assert "infrastructure" in schema["required"]
    out = tmp_path / "s.json"
    assert in_process("schema", "-o", str(out)).returncode == 0
    assert json.loads(out.read_text()) == schema


@pytest.mark.parametrize("args", [["validate", "--help"], ["--help"]])
def test_help(args: list[str]) -> None:
    result = in_process(*args)
    assert result.returncode == 0 and "Usage" in result.stdout


# --- the in-process runner of the tests behaves as the installed CLI ---------------------------------


def test_in_process_reports_an_escaping_error_report_as_main_does(monkeypatch: pytest.MonkeyPatch) -> None:
    import dativo_infra.cli

    def escape(paths: list[str] | None, rendered: bool = False) -> list[object]:
        raise ErrorReport([JobError("jobs/x.yaml", 3, "tenant_id", "escaped the command")])

    monkeypatch.setattr(dativo_infra.cli, "_load", escape)
    result = in_process("validate")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.splitlines() == [
        "jobs/x.yaml:3: tenant_id: escaped the command",
        "1 error(s) in 1 file(s)",
    ]


def test_in_process_fails_the_test_on_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    import dativo_infra.cli

    def crash(paths: list[str] | None, rendered: bool = False) -> list[object]:
        raise RuntimeError("a bug")

    monkeypatch.setattr(dativo_infra.cli, "_load", crash)
    with pytest.raises(pytest.fail.Exception, match="RuntimeError: a bug"):
        in_process("validate")


def test_a_job_error_escaping_a_command_exits_2_through_main(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """click sets ``__traceback__`` on an exception leaving a command's context: the error type must
    take it (a frozen dataclass would not, and the CLI would die with a traceback)."""
    import dativo_infra.cli

    def escape(paths: list[str] | None, rendered: bool = False) -> list[object]:
        raise JobError("jobs/x.yaml", 3, "tenant_id", "escaped the command")

    monkeypatch.setattr(dativo_infra.cli, "_load", escape)
    monkeypatch.setattr("sys.argv", ["dativo-infra", "validate"])
    with pytest.raises(SystemExit) as exit_info:
        dativo_infra.cli.main()
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.splitlines() == [
        "jobs/x.yaml:3: tenant_id: escaped the command",
        "1 error(s) in 1 file(s)",
    ]
