"""Schema rules beyond the invalid fixtures: defaults, dialects, placeholders, preserved keys."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from dativo_infra.config.loader import load_job, load_jobs
from dativo_infra.config.schema import FARGATE_SIZES, PLACEHOLDER_RE, job_json_schema
from dativo_infra.contract import RuntimeType
from dativo_infra.errors import ErrorReport

VALID = Path("tests/fixtures/jobs/valid")


def write(tmp_path: Path, text: str, name: str = "job.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


BASE = (VALID / "minimal_aws.yaml").read_text()


def test_defaults_are_filled() -> None:
    job = load_job(VALID / "minimal_aws.yaml").config
    runtime = job.runtime
    assert (runtime.mode, runtime.cpu_millicores, runtime.memory_mib) == ("job", 1000, 2048)
    assert runtime.timeout_seconds == 3600 and runtime.schedule is None and runtime.ingress == "internal"
    assert runtime.network.vpc_id is None and runtime.network.subnet_ids == []
    assert runtime.permissions.storage == [] and runtime.log_retention_days == 30


def test_unknown_top_level_keys_are_kept(tmp_path: Path) -> None:
    job = load_job(write(tmp_path, BASE + "source:\n  connector: stripe\nlogging:\n  level: DEBUG\n"))
    assert job.data["source"] == {"connector": "stripe"}
    assert job.config.model_extra == {"source": {"connector": "stripe"}, "logging": {"level": "DEBUG"}}


@pytest.mark.parametrize("text", ["{{terraform_outputs.cluster_name}}", "{{ terraform_outputs.cluster_name }}",
                                  "{{\tterraform_outputs.cluster_name  }}"])
def test_placeholder_inner_whitespace(tmp_path: Path, text: str) -> None:
    job = load_job(write(tmp_path, BASE.replace('"{{terraform_outputs.cluster_name}}"', f'"{text}"')))
    assert job.config.referenced_outputs() == ["cluster_name"]
    assert PLACEHOLDER_RE.fullmatch(text)


def test_older_dialect_is_mapped() -> None:
    job = load_job(VALID / "legacy_ecs.yaml")
    assert job.legacy
    infra = job.config.infrastructure
    assert infra.provider.value == "aws" and infra.region == "us-east-1"
    assert infra.runtime.type is RuntimeType.AWS_FARGATE
    assert (infra.runtime.cpu_millicores, infra.runtime.memory_mib) == (1000, 2048)  # 1024 units = 1 vCPU
    assert infra.runtime.ephemeral_storage_gib == 30
    assert infra.runtime.network.subnet_ids == ["subnet-0123456789abcdef0"]
    assert infra.tags["cost_center"] == "FIN-001" and infra.tags["job_name"] == "csv_employee_to_iceberg"
    assert infra.tags["pipeline_type"] == "ingestion"
    assert infra.terraform["resource_refs"]["execution_role_arn"].endswith("dativo-etl-execution-role")


def test_older_dialect_cloud_run_units() -> None:
    runtime = load_job(VALID / "legacy_cloud_run.yaml").config.runtime
    assert runtime.type is RuntimeType.GCP_CLOUD_RUN and runtime.cpu_millicores == 1000  # GCP: 1000 = 1 vCPU


def test_older_dialect_errors_point_at_the_written_lines(tmp_path: Path) -> None:
    text = (VALID / "legacy_ecs.yaml").read_text().replace("memory_mb: 2048", "memory_mb: 100")
    with pytest.raises(ErrorReport) as caught:
        load_job(write(tmp_path, text))
    (error,) = list(caught.value)
    assert error.line == text.splitlines().index("    memory_mb: 100") + 1
    assert error.path == "infrastructure.runtime.memory_mib"


@pytest.mark.parametrize("cpu", sorted(FARGATE_SIZES))
def test_every_fargate_size_is_accepted(tmp_path: Path, cpu: int) -> None:
    millicores = cpu * 1000 // 1024
    for memory in FARGATE_SIZES[cpu]:
        text = BASE.replace("    type: aws_fargate\n",
                            f"    type: aws_fargate\n    cpu_millicores: {millicores}\n    memory_mib: {memory}\n")
        assert load_job(write(tmp_path, text)).config.runtime.memory_mib == memory


def test_duplicate_stack_names_are_rejected(tmp_path: Path) -> None:
    write(tmp_path, BASE, "a.yaml")
    write(tmp_path, BASE.replace("stripe_customers_to_iceberg", "stripe-customers-to-iceberg"), "b.yaml")
    with pytest.raises(ErrorReport) as caught:
        load_jobs([str(tmp_path)])
    (error,) = list(caught.value)
    assert "two jobs map to the same stack" in str(error) and "a.yaml" in str(error)


def test_examples_are_valid_and_cover_every_runtime_and_mode(example_jobs: list) -> None:
    seen = {(j.config.runtime.type, j.config.runtime.mode) for j in example_jobs}
    assert seen == {(t, m) for t in RuntimeType for m in ("job", "service")}
    assert all(j.file.startswith(f"jobs/{j.config.tenant_id}/") for j in example_jobs)


def test_json_schema_accepts_the_examples(example_jobs: list) -> None:
    schema = job_json_schema()
    for job in example_jobs:
        jsonschema.validate(job.data, schema)
    # The committed schema file (what editors load) is the current one: `dativo-infra schema -o` refreshes it.
    assert json.loads(Path("schemas/job.schema.json").read_text()) == schema


def test_every_example_points_editors_at_the_schema(example_jobs: list) -> None:
    for job in example_jobs:
        first = job.path.read_text().splitlines()[0]
        assert first == "# yaml-language-server: $schema=../../schemas/job.schema.json"
        assert (job.path.parent / "../../schemas/job.schema.json").resolve().exists()
