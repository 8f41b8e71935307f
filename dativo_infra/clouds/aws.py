"""AWS rules, stated once: Fargate task sizes, CloudWatch retention periods, resource names, schedules.

The AWS runtime model (:mod:`dativo_infra.config.runtimes.aws_fargate`) validates with these and the
construct (:mod:`dativo_infra.constructs.aws_fargate`) builds with the same functions, so whatever
``validate`` accepts the construct can build. Pure Python: no cdktf.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from dativo_infra.clouds.cron import aws_schedule_expression
from dativo_infra.naming import NameRule, affixed

#: Valid Fargate (cpu units -> allowed memory MiB) combinations, from the ECS task-size table.
FARGATE_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}
#: The task cpu values a job may ask for, in millicores (1000 = 1 vCPU = 1024 ECS units).
FARGATE_CPU_MILLICORES: tuple[int, ...] = tuple(units * 1000 // 1024 for units in FARGATE_SIZES)
#: CloudWatch Logs accepts only these retention periods (days).
LOG_RETENTION_DAYS: tuple[int, ...] = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
)  # fmt: skip
#: Ephemeral storage every Fargate task gets (GiB); a task may ask for up to 200.
DEFAULT_EPHEMERAL_GIB = 21
MAX_EPHEMERAL_GIB = 200


def fargate_cpu_units(millicores: int) -> int | None:
    """ECS cpu units of a Fargate task size given in millicores, or None when it is not one."""
    units, rest = divmod(millicores * 1024, 1000)
    return units if not rest and units in FARGATE_SIZES else None


def fargate_memory_choices(millicores: int) -> tuple[int, ...]:
    """The memory sizes (MiB) Fargate allows with this cpu; empty when the cpu is not a task size."""
    units = fargate_cpu_units(millicores)
    return FARGATE_SIZES[units] if units is not None else ()


# --- container secrets ---------------------------------------------------------------------------
_SECRETS_MANAGER_ARN = re.compile(r"^(arn:[^:]+:secretsmanager:[^:]+:[^:]+:secret:[^:]+)(:.*)?$")
_SSM_ARN = re.compile(r"^arn:[^:]+:ssm:")


def container_secret(reference: str) -> tuple[Literal["secretsmanager", "ssm-arn", "ssm-name"], str]:
    """What a container secret reference (``valueFrom``) names, and the resource to grant read on:
    a Secrets Manager ARN (optionally ``:json-key:stage:version``; the grant is on the secret itself),
    an SSM parameter ARN, or else an SSM parameter name in the task's region."""
    match = _SECRETS_MANAGER_ARN.match(reference)
    if match:
        return "secretsmanager", match.group(1)
    return ("ssm-arn" if _SSM_ARN.match(reference) else "ssm-name"), reference


# --- names ---------------------------------------------------------------------------------------
# Alphabets are the cloud's own, or a safe subset where the cloud allows characters Terraform would
# treat specially (``$``, ``{``).
#: IAM role names: 1-64 of ``[\w+=,.@-]`` (ASCII word characters).
IAM_ROLE = NameRule(max_len=64, lowercase=False, allowed="A-Za-z0-9_+=,.@-", sep="-")
#: ECS cluster, service and task-definition family names: 1-255 of ``[A-Za-z0-9_-]``.
ECS_NAME = NameRule(max_len=255, lowercase=False, allowed="A-Za-z0-9_-", sep="-")
#: CloudWatch Logs log group names: 1-512 of ``[A-Za-z0-9_./#-]``.
LOG_GROUP = NameRule(max_len=512, lowercase=False, allowed="A-Za-z0-9_./#-", sep="-")
#: VPC security group names: 1-255 characters (a safe subset of the allowed set; must not start
#: with ``sg-``, which :func:`resource_names` guarantees by its prefix or suffix choice).
SECURITY_GROUP = NameRule(max_len=255, lowercase=False, allowed="A-Za-z0-9_.-", sep="-")
#: EventBridge Scheduler schedule names: 1-64 of ``[0-9A-Za-z_.-]``.
SCHEDULE = NameRule(max_len=64, lowercase=False, allowed="A-Za-z0-9_.-", sep="-")
#: Prefix of the CloudWatch log group of every job: ``/dativo/<name>``.
LOG_GROUP_PREFIX = "/dativo/"


@dataclass(frozen=True)
class AwsNames:
    """Every AWS name the runtime creates for one stack, each valid for its resource type."""

    cluster: str
    family: str
    service: str
    log_group: str
    execution_role: str
    task_role: str
    scheduler_role: str
    security_group: str
    schedule: str


def resource_names(stack: str) -> AwsNames:
    """Deterministic, valid AWS names derived from ``stack`` (the stack name); valid for any string."""
    ecs = ECS_NAME.make(stack)
    security_group = affixed(SECURITY_GROUP, stack, suffix="-tasks")
    if security_group.lower().startswith("sg-"):  # reserved prefix of security group ids
        security_group = affixed(SECURITY_GROUP, stack, prefix="job-", suffix="-tasks")
    return AwsNames(
        cluster=ecs,
        family=ecs,
        service=ecs,
        log_group=affixed(LOG_GROUP, stack, prefix=LOG_GROUP_PREFIX),
        execution_role=affixed(IAM_ROLE, stack, suffix="-exec"),
        task_role=affixed(IAM_ROLE, stack, suffix="-task"),
        scheduler_role=affixed(IAM_ROLE, stack, suffix="-scheduler"),
        security_group=security_group,
        schedule=SCHEDULE.make(stack),
    )


def schedule_expression(expression: str) -> str:
    """The EventBridge Scheduler ``cron(...)`` of a job's 5-field schedule; raises
    :class:`~dativo_infra.clouds.cron.CronError` for one AWS cannot run."""
    return aws_schedule_expression(expression)


def check_schedule(expression: str) -> None:
    """Raise :class:`~dativo_infra.clouds.cron.CronError` unless EventBridge Scheduler can run
    ``expression``: validation runs the very conversion the construct uses."""
    schedule_expression(expression)
