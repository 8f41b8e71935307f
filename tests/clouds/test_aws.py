"""AWS rules: Fargate sizes, resource names for any valid job, and the schedule conversion the
construct uses (the same function validation calls)."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given, settings

from dativo_infra.clouds import aws
from dativo_infra.clouds.cron import CronError
from dativo_infra.naming import stack_name
from tests.clouds.rules import job_names, tenants


@pytest.mark.parametrize(
    ("unix", "expression"),
    [
        ("15 2 * * *", "cron(15 2 * * ? *)"),
        ("0 3 * * 1-5", "cron(0 3 ? * 2-6 *)"),
        ("0 0 1 * *", "cron(0 0 1 * ? *)"),
        ("0 0 1,15 * ?", "cron(0 0 1,15 * ? *)"),
        ("*/15 */2 * * *", "cron(0/15 0/2 * * ? *)"),
        ("0 6 * * 0", "cron(0 6 ? * 1 *)"),
        ("0 6 * * 7", "cron(0 6 ? * 1 *)"),
        ("0 6 * * 6", "cron(0 6 ? * 7 *)"),
        ("0 6 * * 5-7", "cron(0 6 ? * 1,6,7 *)"),
        ("0 6 * * FRI-SUN", "cron(0 6 ? * 1,6,7 *)"),
        ("0 6 * * MON,wed,FRI", "cron(0 6 ? * 2,4,6 *)"),
        ("0 6 * * */2", "cron(0 6 ? * 1,3,5,7 *)"),
        ("0 6 * * 1-5/2", "cron(0 6 ? * 2,4,6 *)"),
        ("0 6 * * 0-6", "cron(0 6 ? * * *)"),
        ("0 6 * * 1#2", "cron(0 6 ? * 2#2 *)"),
        ("0 6 * * 5L", "cron(0 6 ? * 6L *)"),
        ("30 4 * 1-6 *", "cron(30 4 * 1-6 ? *)"),
    ],
)
def test_schedule_expression(unix: str, expression: str) -> None:
    aws.check_schedule(unix)  # what validation runs ...
    assert aws.schedule_expression(unix) == expression  # ... is what the construct builds with


@pytest.mark.parametrize(
    ("unix", "problem"),
    [
        ("0 0 1 * 1", "both day-of-month and day-of-week"),
        ("0 0 * * 8", "out of range"),
        ("0 0 * * 5-1", "day-of-week"),
        ("0 0 * * 1#2,3", "day-of-week"),
        ("0 0 * *", "not a 5-field"),
    ],
)
def test_schedules_aws_cannot_express_are_cron_errors(unix: str, problem: str) -> None:
    with pytest.raises(CronError, match=problem):
        aws.check_schedule(unix)


def test_fargate_sizes() -> None:
    assert aws.fargate_cpu_units(250) == 256 and aws.fargate_cpu_units(1000) == 1024
    assert aws.fargate_cpu_units(300) is None and aws.fargate_memory_choices(300) == ()
    assert aws.fargate_memory_choices(16000)[-1] == 122880
    assert aws.FARGATE_CPU_MILLICORES == (250, 500, 1000, 2000, 4000, 8000, 16000)


#: Every AWS name rule the runtime encodes: field -> (max length, alphabet).
AWS_RULES: dict[str, tuple[int, str]] = {
    "cluster": (255, r"[A-Za-z0-9_-]+"),
    "family": (255, r"[A-Za-z0-9_-]+"),
    "service": (255, r"[A-Za-z0-9_-]+"),
    "log_group": (512, r"[A-Za-z0-9_./#-]+"),
    "execution_role": (64, r"[A-Za-z0-9_+=,.@-]+"),
    "task_role": (64, r"[A-Za-z0-9_+=,.@-]+"),
    "scheduler_role": (64, r"[A-Za-z0-9_+=,.@-]+"),
    "security_group": (255, r"[A-Za-z0-9 ._:/()#,@\[\]+=&;{}!$*-]+"),
    "schedule": (64, r"[0-9A-Za-z_.-]+"),
}


def check_names(names: aws.AwsNames) -> None:
    for field, (max_len, alphabet) in AWS_RULES.items():
        value = getattr(names, field)
        assert 1 <= len(value) <= max_len, (field, value)
        assert re.fullmatch(alphabet, value), (field, value)
    assert not names.security_group.lower().startswith("sg-")
    assert names.log_group.startswith("/dativo/")
    assert names.execution_role.endswith("-exec")
    assert names.task_role.endswith("-task")
    assert names.scheduler_role.endswith("-scheduler")
    assert len({names.execution_role, names.task_role, names.scheduler_role}) == 3


@settings(max_examples=300, deadline=None)
@given(tenant=tenants, job=job_names)
def test_names_respect_every_aws_rule(tenant: str, job: str) -> None:
    names = aws.resource_names(stack_name(tenant, job))
    check_names(names)
    assert names == aws.resource_names(stack_name(tenant, job))  # deterministic
    check_names(aws.resource_names(job))  # also for any raw name, not only stack names


@settings(max_examples=200, deadline=None)
@given(first=job_names, second=job_names)
def test_distinct_stacks_get_distinct_names(first: str, second: str) -> None:
    a, b = stack_name("acme", first), stack_name("acme", second)
    assume(a != b)
    names_a, names_b = aws.resource_names(a), aws.resource_names(b)
    for field in AWS_RULES:
        assert getattr(names_a, field) != getattr(names_b, field), field


def test_security_group_name_never_starts_with_reserved_prefix() -> None:
    names = aws.resource_names(stack_name("sg", "orders"))
    assert names.security_group == "job-sg-orders-tasks"
    assert names.cluster == "sg-orders"


@pytest.mark.parametrize(
    ("reference", "kind", "resource"),
    [
        (
            "arn:aws:secretsmanager:eu-west-1:1:secret:a-AbCdEf",
            "secretsmanager",
            "arn:aws:secretsmanager:eu-west-1:1:secret:a-AbCdEf",
        ),
        (
            "arn:aws:secretsmanager:eu-west-1:1:secret:a-AbCdEf:key::",
            "secretsmanager",
            "arn:aws:secretsmanager:eu-west-1:1:secret:a-AbCdEf",
        ),
        ("arn:aws-cn:ssm:cn-north-1:1:parameter/x", "ssm-arn", "arn:aws-cn:ssm:cn-north-1:1:parameter/x"),
        ("/acme/db/password", "ssm-name", "/acme/db/password"),
    ],
)
def test_container_secret_references(reference: str, kind: str, resource: str) -> None:
    assert aws.container_secret(reference) == (kind, resource)
