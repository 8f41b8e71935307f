"""Errors and warnings of an AWS job that fits into an existing platform (``existing.*``,
``network.create_security_group``) and of its extra statements (``permissions.statements``), each
with file, line and dotted path; the platform setting ``aws.allowed_escalation_actions``. The
structure these options synthesize is tested in tests/constructs/test_aws_fargate_platform.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dativo_infra.config.loader import load_job
from dativo_infra.config.posture import job_warnings
from dativo_infra.config.settings import AwsPlatform, PlatformSettings, load_settings
from dativo_infra.config.yamlpos import display_path
from dativo_infra.errors import ErrorReport

ACCOUNT = "123456789012"
TABLE = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/orders-writer"
SECRET = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:acme/api-AbCdEf"
HEAD = """\
tenant_id: acme
environment: prod
infrastructure:
  provider: aws
  region: us-east-1
  runtime:
    type: aws_fargate
"""
TAIL = """\
  tags:
    job_name: platform_fit
    team: data_platform
    pipeline_type: ingestion
    environment: prod
    cost_center: FINOPS-001
"""


def write(tmp_path: Path, runtime: str) -> Path:
    path = tmp_path / "job.yaml"
    path.write_text(HEAD + runtime + TAIL)
    return Shown(path)


class Shown(type(Path())):  # type: ignore[misc]
    """A path that formats as messages show it (relative to the working directory)."""

    def __str__(self) -> str:
        return display_path(Path(self))


def errors(path: Path, settings: PlatformSettings | None = None) -> list[str]:
    with pytest.raises(ErrorReport) as caught:
        load_job(path, settings or PlatformSettings())
    return [str(e) for e in caught.value]


def line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def statement(actions: str, resources: str = f"            - {TABLE}\n", extra: str = "") -> str:
    return (
        "    permissions:\n      statements:\n        - actions:\n"
        + actions
        + "          resources:\n"
        + resources
        + extra
    )


# --- existing infrastructure ------------------------------------------------------------------


@pytest.mark.parametrize(
    "cluster",
    [
        "data-platform-shared",
        f"arn:aws:ecs:us-east-1:{ACCOUNT}:cluster/shared",
    ],
)
def test_an_existing_cluster_is_a_name_or_an_arn(tmp_path: Path, cluster: str) -> None:
    job = load_job(write(tmp_path, f"    existing:\n      cluster: {cluster}\n"), PlatformSettings())
    assert job.config.runtime.existing.cluster == cluster


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("shared cluster", "not an ECS cluster name"),
        ("'team-*'", "wildcards are not allowed"),
        (f"arn:aws:ecs:us-east-1:{ACCOUNT}:service/shared/x", "not an ECS cluster ARN"),
        (f"arn:aws:ecs:us-east-1:{ACCOUNT}:cluster/a/b", "not an ECS cluster ARN"),
        (
            f"arn:aws:ecs:mars-north-1:{ACCOUNT}:cluster/x",
            "'mars-north-1' is not a region of the AWS partition 'aws'",
        ),
    ],
)
def test_bad_clusters_are_refused_at_their_line(tmp_path: Path, value: str, problem: str) -> None:
    path = write(tmp_path, f"    existing:\n      cluster: {value}\n")
    (error,) = errors(path)
    assert error.startswith(
        f"{path}:{line_of(path, 'cluster:')}: infrastructure.runtime.existing.cluster: {problem}"
    )
    assert "expected an ECS cluster name" in error


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (f"arn:aws:iam::{ACCOUNT}:user/alice", "not an IAM role ARN"),
        (f"arn:aws:iam::{ACCOUNT}:role/team-*", "wildcards are not allowed"),
        ("arn:aws:iam::123:role/x", "not an IAM role ARN"),
        ("'arn:aws:iam::${aws:PrincipalAccount}:role/x'", "wildcards are not allowed"),
        ("orders-writer", "not an IAM role ARN"),
    ],
)
def test_bad_role_arns_are_refused(tmp_path: Path, value: str, problem: str) -> None:
    path = write(
        tmp_path, f"    existing:\n      execution_role_arn: {value}\n      task_role_arn: {value}\n"
    )
    found = errors(path)
    assert [e.split(": ")[1] for e in found] == [
        "infrastructure.runtime.existing.execution_role_arn",
        "infrastructure.runtime.existing.task_role_arn",
    ]
    assert all(problem in e and "expected an IAM role ARN" in e for e in found)


def test_a_given_task_role_refuses_every_permission_and_ecs_exec(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f"""\
    enable_execute_command: true
    existing:
      task_role_arn: {ROLE}
    permissions:
      storage:
        - bucket: lake-raw
      secrets:
        - {SECRET}
      statements:
        - actions:
            - dynamodb:PutItem
          resources:
            - {TABLE}
""",
    )
    found = errors(path)
    own = "the stack attaches nothing to a role it does not own: put these on the role, or drop task_role_arn"
    assert found == [  # in the order of the file
        f"{path}:{line_of(path, 'enable_execute_command')}: infrastructure.runtime.enable_execute_command: {own} "
        "(ECS Exec needs the ssmmessages channels on the task role), got true; expected false with "
        "existing.task_role_arn (grant the channels on the role itself)",
        f"{path}:{line_of(path, 'storage:')}: infrastructure.runtime.permissions.storage: {own}, got '1 entry'; "
        "expected no permissions.storage with existing.task_role_arn",
        f"{path}:{line_of(path, '      secrets:')}: infrastructure.runtime.permissions.secrets: {own}, got '1 entry'; "
        "expected no permissions.secrets with existing.task_role_arn",
        f"{path}:{line_of(path, 'statements:')}: infrastructure.runtime.permissions.statements: {own}, got '1 entry'; "
        "expected no permissions.statements with existing.task_role_arn",
    ]


def test_a_given_execution_role_with_secrets_is_a_warning(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f"""\
    image: ghcr.io/acme/job:1.0
    registry_credentials_secret_arn: {SECRET}
    secrets:
      API_TOKEN: {SECRET}
    existing:
      execution_role_arn: {ROLE}
""",
    )
    job = load_job(path, PlatformSettings())
    (warning,) = [str(w) for w in job_warnings(job)]
    assert warning.startswith(
        f"{path}:{line_of(path, 'execution_role_arn')}: infrastructure.runtime.existing.execution_role_arn: "
    )
    assert "must already read secrets.API_TOKEN, registry_credentials_secret_arn" in warning
    # without secrets a given execution role is fine
    plain = write(
        tmp_path, f"    image: ghcr.io/acme/job:1.0\n    existing:\n      execution_role_arn: {ROLE}\n"
    )
    assert job_warnings(load_job(plain, PlatformSettings())) == []


def test_no_own_security_group_needs_groups_and_forbids_egress(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
    network:
      create_security_group: false
      egress:
        - {cidr_ipv4: 10.0.0.0/8, port: 443}
""",
    )
    line = line_of(path, "create_security_group")
    assert errors(path) == [
        f"{path}:{line}: infrastructure.runtime.network.create_security_group: the tasks would have no security "
        "group, got false; expected network.security_group_ids (the existing groups of the tasks) with "
        "create_security_group false",
        f"{path}:{line_of(path, 'egress:')}: infrastructure.runtime.network.egress: egress rules belong to the "
        "job's own security group, which create_security_group false does not create, got '1 rule(s)'; expected "
        "no network.egress (the existing groups' rules apply), or create_security_group true",
    ]


@pytest.mark.parametrize("ingress", ["internal", "external"])
def test_a_service_with_ingress_needs_its_own_security_group(tmp_path: Path, ingress: str) -> None:
    path = write(
        tmp_path,
        f"""\
    mode: service
    ingress: {ingress}
    network:
      security_group_ids: [sg-0e000000]
      create_security_group: false
""",
    )
    found = [e for e in errors(path) if "create_security_group" in e]
    assert found == [
        f"{path}:{line_of(path, 'create_security_group')}: infrastructure.runtime.network.create_security_group: "
        f"a service with ingress {ingress} needs the job's own security group (the load balancer's rule into the "
        "tasks is added to it), got false; expected create_security_group true (the tasks keep "
        "security_group_ids too), or ingress none"
    ]


def test_a_service_without_ingress_may_use_the_given_groups_only(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "    mode: service\n    ingress: none\n    network:\n      security_group_ids: [sg-0e000000]\n"
        "      create_security_group: false\n",
    )
    assert load_job(path, PlatformSettings()).config.runtime.network.create_security_group is False


# --- extra statements -------------------------------------------------------------------------


def test_statements_refuse_wildcards_and_malformed_text_with_positions(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        statement(
            "            - s3:Get*\n            - dynamodb:PutItem\n            - PutItem\n",
            "            - '*'\n            - arn:aws:dynamodb:us-east-1:123:table/x\n"
            "            - arn:aws:s3:::bucket/${aws:username}/x\n",
            "          conditions:\n            StringLikeish:\n              aws:SourceVpc: vpc-1\n"
            "            StringEquals:\n              'aws:PrincipalTag/*': x\n"
            "              aws:SourceVpc:\n                - vpc-1\n                - '${aws:SourceVpc}'\n",
        ),
    )
    prefix = "infrastructure.runtime.permissions.statements[0]"
    found = {e.split(": ")[1]: e for e in errors(path)}
    assert sorted(found) == sorted(
        f"{prefix}.{p}"
        for p in (
            "actions[0]",
            "actions[2]",
            "resources[0]",
            "resources[1]",
            "resources[2]",
            "conditions.StringLikeish",
            "conditions.StringEquals.aws:PrincipalTag/*",
            "conditions.StringEquals.aws:SourceVpc[1]",
        )
    )
    assert found[f"{prefix}.actions[0]"].startswith(f"{path}:{line_of(path, 's3:Get*')}: ")
    assert "wildcards are not allowed" in found[f"{prefix}.actions[0]"]
    assert "not an IAM action" in found[f"{prefix}.actions[2]"]
    assert "not an AWS account id" in found[f"{prefix}.resources[1]"]
    assert "not an IAM condition operator" in found[f"{prefix}.conditions.StringLikeish"]


@pytest.mark.parametrize(
    "action",
    ["iam:PassRole", "iam:CreateAccessKey", "IAM:attachRolePolicy", "sts:AssumeRole", "sts:AssumeRoleWithWebIdentity",
     "kms:PutKeyPolicy", "s3:PutBucketPolicy", "lambda:AddPermission", "secretsmanager:PutResourcePolicy"],
)  # fmt: skip
def test_escalation_is_refused_unless_the_platform_allows_it(tmp_path: Path, action: str) -> None:
    path = write(tmp_path, statement(f"            - {action}\n"))
    (error,) = errors(path)
    assert error.startswith(
        f"{path}:{line_of(path, action)}: infrastructure.runtime.permissions.statements[0].actions[0]: "
    )
    assert "privilege escalation" in error and "aws.allowed_escalation_actions" in error
    allowed = PlatformSettings(aws=AwsPlatform(allowed_escalation_actions=[action.lower()]))
    assert load_job(path, allowed).config.runtime.permissions.statements[0].actions == [action]


def test_reads_of_iam_are_no_escalation(tmp_path: Path) -> None:
    path = write(tmp_path, statement("            - iam:GetRole\n            - sts:GetCallerIdentity\n"))
    assert load_job(path, PlatformSettings()).config.runtime.permissions.statements[0].sid is None


def test_the_platform_file_allows_escalation_actions(tmp_path: Path) -> None:
    (tmp_path / "platform.yaml").write_text("aws:\n  allowed_escalation_actions:\n    - iam:PassRole\n")
    settings = load_settings(tmp_path / "platform.yaml")
    assert settings.aws.allowed_escalation_actions == ["iam:PassRole"]
    job = load_job(write(tmp_path, statement("            - iam:PassRole\n")), settings)
    assert job.config.runtime.permissions.statements[0].actions == ["iam:PassRole"]
    # the setting itself takes exact actions only
    (tmp_path / "bad.yaml").write_text("aws:\n  allowed_escalation_actions:\n    - iam:*\n")
    with pytest.raises(ErrorReport) as caught:
        load_settings(tmp_path / "bad.yaml")
    (error,) = [str(e) for e in caught.value]
    assert error.startswith(
        f"{display_path(tmp_path / 'bad.yaml')}:3: aws.allowed_escalation_actions[0]: wildcards are not allowed"
    )


def test_statement_ids_are_unique_and_not_the_platforms(tmp_path: Path) -> None:
    runtime = "    permissions:\n      statements:\n" + "".join(
        f"        - sid: {sid}\n          actions:\n            - dynamodb:GetItem\n"
        f"          resources:\n            - {TABLE}\n"
        for sid in ("Orders", "Orders", "S3List0", "not-alnum")
    )
    path = write(tmp_path, runtime)
    found = [e.split(": ", 1)[1] for e in errors(path)]
    prefix = "infrastructure.runtime.permissions.statements"
    assert found == [
        f"{prefix}[1].sid: statement id already used by statement 0, got 'Orders'; expected 1-128 letters and "
        "digits, unique in the task role policy",
        f"{prefix}[2].sid: a statement id the platform writes itself, got 'S3List0'; expected 1-128 letters and "
        "digits, unique in the task role policy",
        f"{prefix}[3].sid: not a statement id, got 'not-alnum'; expected 1-128 letters and digits, unique in the "
        "task role policy",
    ]


def test_a_statement_needs_actions_and_resources(tmp_path: Path) -> None:
    path = write(
        tmp_path, "    permissions:\n      statements:\n        - actions: []\n          resources: []\n"
    )
    found = [e.split(": ", 2)[1] for e in errors(path)]
    prefix = "infrastructure.runtime.permissions.statements[0]"
    assert found == [f"{prefix}.actions", f"{prefix}.resources"]


def test_an_existing_cluster_is_in_the_jobs_region(tmp_path: Path) -> None:
    path = write(tmp_path, f"    existing:\n      cluster: arn:aws:ecs:eu-west-1:{ACCOUNT}:cluster/shared\n")
    (error,) = errors(path)
    assert error == (
        f"{path}:{line_of(path, 'cluster:')}: infrastructure.runtime.existing.cluster: the cluster is in "
        f"eu-west-1, the job in us-east-1: ECS runs a task on a cluster of its own region, got "
        f"'arn:aws:ecs:eu-west-1:{ACCOUNT}:cluster/shared'; expected a cluster in us-east-1 (its name, or an ARN "
        "arn:aws:ecs:us-east-1:...)"
    )
