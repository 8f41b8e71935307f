"""``infrastructure.terraform``: ``resource_refs`` mapped onto the runtimes' "use existing" fields (in
both dialects, judged by the runtime's own rules at the reference's line) and ``variables`` checked as
Terraform variable names and written by ``tfvars``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dativo_infra.config.loader import load_job
from dativo_infra.config.refs import NOT_TAKEN, REFERENCES
from dativo_infra.contract import RuntimeType
from dativo_infra.errors import ErrorReport
from dativo_infra.tfvars import job_variables

AWS = Path("tests/fixtures/jobs/valid/minimal_aws.yaml").read_text()
GCP = Path("jobs/initech/salesforce_accounts_to_bq.yaml").read_text()
AZURE = Path("jobs/globex/hubspot_contacts_to_adls.yaml").read_text()
SEED_002 = Path("tests/fixtures/jobs/seeds/seed002_aws_resource_refs.yaml")
ROLE = "arn:aws:iam::123456789012:role/platform-execution"


def with_terraform(text: str, block: str) -> str:
    """``text`` with ``block`` (lines indented under ``infrastructure.terraform``) added."""
    return text.replace("infrastructure:\n", "infrastructure:\n  terraform:\n" + block, 1)


def line(text: str, needle: str) -> int:
    """The 1-based line of the first line of ``text`` holding ``needle``."""
    return next(n for n, row in enumerate(text.splitlines(), 1) if needle in row)


def load(tmp_path: Path, text: str) -> Any:
    path = tmp_path / "job.yaml"
    path.write_text(text)
    return load_job(path)


def errors(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ErrorReport) as caught:
        load(tmp_path, text)
    return [f"{e.line}: {e.path}: {e.problem}; got {e.got}; expected {e.expected}" for e in caught.value]


def test_aws_references_become_the_existing_fields(tmp_path: Path) -> None:
    refs = (
        "    resource_refs:\n"
        "      cluster_name: data-platform-shared\n"
        f"      execution_role_arn: {ROLE}\n"
        "      vpc_id: vpc-0123456789abcdef0\n"
    )
    runtime = load(tmp_path, with_terraform(AWS, refs)).config.runtime
    assert runtime.existing.cluster == "data-platform-shared"
    assert runtime.existing.execution_role_arn == ROLE
    assert runtime.existing.task_role_arn is None
    assert runtime.network.vpc_id == "vpc-0123456789abcdef0"


def test_gcp_and_azure_references(tmp_path: Path) -> None:
    email = "ingest@initech-data-prod.iam.gserviceaccount.com"
    text = with_terraform(GCP, f"    resource_refs:\n      service_account_email: {email}\n")
    text = (
        text.split("    permissions:\n")[0]
        + "  resource_identifiers:"
        + text.split("  resource_identifiers:")[1]
    )
    text = text.replace(
        "    secrets:\n      SALESFORCE_TOKEN: projects/initech-data-prod/secrets/salesforce-token\n", ""
    )
    assert load(tmp_path, text).config.runtime.existing.service_account_email == email
    azure = with_terraform(AZURE, "    resource_refs:\n      resource_group_name: globex-shared-rg\n")
    assert load(tmp_path, azure).config.runtime.resource_group == "globex-shared-rg"


def test_a_reference_is_judged_by_the_runtime_rule_at_its_own_line(tmp_path: Path) -> None:
    text = with_terraform(AWS, "    resource_refs:\n      cluster_name: 'not a cluster!'\n")
    (message,) = errors(tmp_path, text)
    assert message.startswith(f"{line(text, 'cluster_name')}: infrastructure.runtime.existing.cluster: ")
    assert "'not a cluster!'" in message


def test_unknown_and_not_taken_references_list_the_known_ones(tmp_path: Path) -> None:
    text = with_terraform(AWS, "    resource_refs:\n      bucket: x\n      log_group_name: /aws/ecs/x\n")
    known = ", ".join(sorted(REFERENCES[RuntimeType.AWS_FARGATE]))
    assert errors(tmp_path, text) == [
        f"{line(text, 'bucket')}: infrastructure.terraform.resource_refs.bucket: unknown reference; got 'bucket'; expected one of {known}",
        f"{line(text, 'log_group_name')}: infrastructure.terraform.resource_refs.log_group_name: "
        "not taken by aws_fargate: "
        f"{NOT_TAKEN[RuntimeType.AWS_FARGATE]['log_group_name']}; got 'log_group_name'; expected one of {known}",
    ]


def test_a_reference_and_its_field_must_agree(tmp_path: Path) -> None:
    text = AWS.replace(
        "    type: aws_fargate\n", "    type: aws_fargate\n    existing:\n      cluster: shared-a\n"
    )
    same = with_terraform(text, "    resource_refs:\n      cluster_name: shared-a\n")
    assert load(tmp_path, same).config.runtime.existing.cluster == "shared-a"
    different = with_terraform(text, "    resource_refs:\n      cluster_name: shared-b\n")
    (message,) = errors(tmp_path, different)
    assert "both map to runtime.existing.cluster" in message
    assert message.endswith("expected one of them, or the same value in both")


def test_the_seed_002_aws_example_fails_only_on_what_is_deliberately_not_taken() -> None:
    with pytest.raises(ErrorReport) as caught:
        load_job(SEED_002)
    assert [(e.line, e.path, e.problem.split(":")[0]) for e in caught.value] == [
        (27, "infrastructure.terraform.resource_refs.task_definition_arn", "not taken by aws_fargate"),
        (29, "infrastructure.terraform.resource_refs.log_group_name", "not taken by aws_fargate"),
    ]


def test_the_seed_002_aws_example_without_those_maps_everything(tmp_path: Path) -> None:
    text = "".join(
        line
        for line in SEED_002.read_text().splitlines(keepends=True)
        if "task_definition" not in line and "log_group" not in line
    )
    runtime = load(tmp_path, text).config.runtime
    assert runtime.existing.cluster == "dativo-etl-cluster"
    assert runtime.existing.execution_role_arn.endswith(":role/dativo-etl-execution-role")
    assert runtime.network.vpc_id == "vpc-0123456789abcdef0"


def test_variables_reach_tfvars_and_their_names_are_checked(tmp_path: Path) -> None:
    good = with_terraform(
        AWS, "    variables:\n      enable_cloudwatch_logs: true\n      retention: {days: 30}\n"
    )
    variables = job_variables(load(tmp_path, good))
    assert variables["enable_cloudwatch_logs"] is True and variables["retention"] == {"days": 30}
    bad = with_terraform(AWS, "    variables:\n      'not a name': 1\n      tags: {}\n")
    assert [m.split(";")[0] for m in errors(tmp_path, bad)] == [
        f"{line(bad, 'not a name')}: infrastructure.terraform.variables.not a name: not a variable name",
        f"{line(bad, 'tags: {}')}: infrastructure.terraform.variables.tags: a variable tfvars writes itself",
    ]
