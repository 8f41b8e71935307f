"""Security posture rules that need the whole loaded job (classification -> encrypted logs), the
warnings ``validate`` prints, and the one rule for the tasks' public IP."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dativo_infra.config.loaded import LoadedJob
from dativo_infra.config.loader import load_job
from dativo_infra.config.posture import job_warnings, sensitive_classification
from dativo_infra.config.runtimes.aws_fargate import AwsNetwork
from dativo_infra.errors import ErrorReport

VALID = Path("tests/fixtures/jobs/valid")
EXAMPLE = Path("jobs/acme/stripe_customers_to_iceberg.yaml")
KEY_LINE = (
    "    log_kms_key_arn: arn:aws:kms:us-east-1:123456789012:key/7f3c2a10-5b6d-4e8f-9a1b-2c3d4e5f6a7b\n"
)


@pytest.mark.parametrize(
    ("value", "found"),
    [("PII", "PII"), ("pii", "pii"), ("internal,Confidential", "Confidential"), (" restricted ", "restricted"),
     ("internal", None), ("SENSITIVE", None), ("public,piii", None), ("", None)],
)  # fmt: skip
def test_sensitive_classifications(value: str, found: str | None) -> None:
    assert sensitive_classification(value) == found


def test_pii_asset_needs_a_log_key_and_the_error_names_the_asset(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLE.parent / "assets", tmp_path / "assets")
    text = EXAMPLE.read_text()
    assert KEY_LINE in text  # the example gives its key
    (tmp_path / "job.yaml").write_text(text.replace(KEY_LINE, ""))
    with pytest.raises(ErrorReport) as caught:
        load_job(tmp_path / "job.yaml")
    (error,) = caught.value
    assert error.path == "infrastructure.runtime.log_kms_key_arn"
    assert error.line == text.splitlines().index("  runtime:") + 1
    assert "classified 'PII' (tag classification from compliance.classification at " in error.problem
    assert "assets/stripe_customers.yaml:21" in error.problem
    assert error.expected == "a KMS key ARN in log_kms_key_arn (jobs classified pii/confidential/restricted)"


def test_other_classifications_and_other_runtimes_need_no_log_key(tmp_path: Path) -> None:
    base = (VALID / "minimal_aws.yaml").read_text()
    (tmp_path / "internal.yaml").write_text(base + "compliance:\n  classification: internal\n")
    assert load_job(tmp_path / "internal.yaml").config.runtime.type.value == "aws_fargate"
    # GCP has no log group key field: the rule does not apply there
    gcp = Path("jobs/initech/salesforce_accounts_to_bq.yaml").read_text()
    (tmp_path / "gcp.yaml").write_text(gcp + "compliance:\n  classification: PII\n")
    assert load_job(tmp_path / "gcp.yaml").config.runtime.type.value == "gcp_cloud_run"


def test_examples_carry_no_warning() -> None:
    for path in sorted(Path("jobs").rglob("*.yaml")):
        if path.name != "platform.yaml" and "assets" not in path.parts:
            assert job_warnings(load_job(path)) == [], path


@pytest.mark.parametrize(
    ("network", "public"),
    [
        ({}, True),  # the default VPC: public subnets without NAT
        ({"vpc_id": "vpc-0abc0000"}, False),
        ({"subnet_ids": ["subnet-0a000000"]}, False),
        ({"subnet_ids": ["subnet-0a000000"], "assign_public_ip": True}, True),
        ({"assign_public_ip": False}, False),  # allowed, with a warning
    ],
)
def test_public_ip_is_resolved_in_one_place(network: dict[str, object], public: bool) -> None:
    assert AwsNetwork.model_validate(network).public_ip() is public


SEED_BLOCK = Path("tests/fixtures/jobs/seeds/seed002_infrastructure_block.yaml")


def test_fields_kept_only_for_plain_terraform_callers_are_warnings_at_their_lines() -> None:
    lines = SEED_BLOCK.read_text().splitlines()

    def line(text: str) -> int:
        return next(i for i, written in enumerate(lines, 1) if written.strip().startswith(text))

    warnings = [str(w) for w in sorted(job_warnings(load_job(SEED_BLOCK)))]
    file = str(SEED_BLOCK)
    assert warnings == [
        f"{file}:{line('compute_size:')}: infrastructure.runtime_environment.compute_size: passed on by tfvars "
        "only (runtime_environment.compute_size): the job's stack does not use it, got 'medium'; expected "
        "cpu_units and memory_mb, which size the runtime",
        f"{file}:{line('service_account:')}: infrastructure.runtime_environment.service_account: passed on by "
        "tfvars only (runtime_environment.service_account): the job's stack does not use it, got "
        "'dativo-etl-execution-role'; expected an existing identity referenced in terraform.resource_refs "
        "(execution_role_arn or task_role_arn), or nothing: the stack creates the job's own",
        f"{file}:{line('module_path:')}: infrastructure.terraform.module_path: not read by the job's stack nor "
        "written by tfvars (kept for your own tooling), got 'modules/dativo-etl-job'; expected only "
        "resource_refs and variables there",
        f"{file}:{line('module_version:')}: infrastructure.terraform.module_version: not read by the job's "
        "stack nor written by tfvars (kept for your own tooling), got '~> 1.0'; expected only resource_refs "
        "and variables there",
    ]


def test_an_unread_terraform_key_warns_in_the_canonical_dialect_too(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLE.parent / "assets", tmp_path / "assets")
    job = tmp_path / "job.yaml"
    text = EXAMPLE.read_text()
    assert "  tags:\n" in text
    job.write_text(text.replace("  tags:\n", "  terraform:\n    module_path: modules/x\n  tags:\n", 1))
    assert [w.path for w in job_warnings(load_job(job))] == ["infrastructure.terraform.module_path"]


def test_no_example_job_warns(example_jobs: list[LoadedJob]) -> None:
    assert [w for job in example_jobs for w in job_warnings(job)] == []
