"""The pure-Python half of the AWS Fargate runtime: names, cron conversion, IAM policy documents and
the container definition. No cdktf import, so validation, docs and property tests can use it cheaply.

Everything here is deterministic: the same inputs give byte-identical output (sorted keys, stable
statement order). Values may be cdktf token strings (``${TfToken[...]}``): they are only embedded
in strings, never inspected.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from dativo_infra.naming import (
    AWS_ECS_NAME,
    AWS_IAM_ROLE,
    AWS_LOG_GROUP,
    AWS_SCHEDULE,
    AWS_SECURITY_GROUP,
    NameRule,
)

#: Name of the one container of the task definition (ECS overrides address it by this name).
CONTAINER_NAME = "job"
#: Prefix of the CloudWatch log group of every job: ``/dativo/<name>``.
LOG_GROUP_PREFIX = "/dativo/"
#: Log stream prefix: streams are ``ecs/job/<task id>``.
LOG_STREAM_PREFIX = "ecs"
#: Scratch volume mounted writable at /tmp so the root filesystem can stay read-only.
TMP_VOLUME = "tmp"
TMP_PATH = "/tmp"  # a path inside the container


# ---------------------------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------------------------


def affixed(rule: NameRule, base: str, prefix: str = "", suffix: str = "") -> str:
    """``prefix + base + suffix`` valid under ``rule``: only ``base`` is cut (with a hash) to fit,
    so the fixed prefix and suffix always survive. ``prefix``/``suffix`` must be valid for ``rule``."""
    inner = dataclasses.replace(rule, max_len=rule.max_len - len(prefix) - len(suffix)).make(base)
    return f"{prefix}{inner}{suffix}"


@dataclass(frozen=True)
class ResourceNames:
    """Every AWS name the runtime creates for one stack. Built by :meth:`for_stack`."""

    cluster: str
    family: str
    service: str
    log_group: str
    execution_role: str
    task_role: str
    scheduler_role: str
    security_group: str
    schedule: str

    @classmethod
    def for_stack(cls, name: str) -> ResourceNames:
        """Names derived from ``name`` (the stack name); valid for any input string."""
        ecs = AWS_ECS_NAME.make(name)
        security_group = affixed(AWS_SECURITY_GROUP, name, suffix="-tasks")
        if security_group.lower().startswith("sg-"):  # reserved prefix of security group ids
            security_group = affixed(AWS_SECURITY_GROUP, name, prefix="job-", suffix="-tasks")
        return cls(
            cluster=ecs,
            family=ecs,
            service=ecs,
            log_group=affixed(AWS_LOG_GROUP, name, prefix=LOG_GROUP_PREFIX),
            execution_role=affixed(AWS_IAM_ROLE, name, suffix="-exec"),
            task_role=affixed(AWS_IAM_ROLE, name, suffix="-task"),
            scheduler_role=affixed(AWS_IAM_ROLE, name, suffix="-scheduler"),
            security_group=security_group,
            schedule=AWS_SCHEDULE.make(name),
        )


# ---------------------------------------------------------------------------------------------
# Cron: 5-field Unix cron -> EventBridge Scheduler cron(...)
# ---------------------------------------------------------------------------------------------

_DAY_NAMES = {name: i for i, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"))}


def _star_step(field: str, start: str) -> str:
    """``*/n`` -> ``<start>/n`` in every list item (AWS documents steps from an explicit start)."""
    return ",".join(f"{start}/{item[2:]}" if item.startswith("*/") else item for item in field.split(","))


def _unix_day(text: str, *, allow_seven: bool = True) -> int:
    """A Unix day of week (0-7 or SUN-SAT, 0 and 7 are Sunday) as 0-6."""
    upper = text.upper()
    if upper in _DAY_NAMES:
        return _DAY_NAMES[upper]
    if text.isdigit() and 0 <= int(text) <= (7 if allow_seven else 6):
        return int(text) % 7
    raise ValueError(f"day of week {text!r} is not 0-7 or SUN-SAT")


def _runs(values: Sequence[int]) -> list[str]:
    """Sorted distinct ints as list items, runs of three or more as ``a-b``."""
    items: list[str] = []
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[j + 1] == values[j] + 1:
            j += 1
        if j - i >= 2:
            items.append(f"{values[i]}-{values[j]}")
        else:
            items.extend(str(v) for v in values[i : j + 1])
        i = j + 1
    return items


def _aws_day_of_week(field: str) -> str:
    """Unix day-of-week field -> AWS (1-7, 1 = Sunday). Steps and ranges are expanded because AWS
    has no ``/`` in this field and Unix ranges may end on 7 (Sunday)."""
    days: set[int] = set()
    specials: list[str] = []
    for item in field.split(","):
        if "#" in item:
            day, _, nth = item.partition("#")
            if not (nth.isdigit() and 1 <= int(nth) <= 5):
                raise ValueError(f"{item!r}: the week after '#' must be 1-5")
            specials.append(f"{_unix_day(day) + 1}#{nth}")
            continue
        if len(item) > 1 and item.upper().endswith("L"):
            specials.append(f"{_unix_day(item[:-1]) + 1}L")
            continue
        base, slash, step_text = item.partition("/")
        step = int(step_text) if slash and step_text.isdigit() and int(step_text) > 0 else None
        if slash and step is None:
            raise ValueError(f"{item!r}: the step after '/' must be a positive number")
        if base in ("*", "?"):
            low, high = 0, 6
        elif "-" in base:
            first, _, last = base.partition("-")
            low, high = _unix_day(first, allow_seven=False), _unix_day(last)
            if high == 0 and last != "0":  # "5-7", "FRI-SUN": ranges ending on Sunday
                high = 7
            if low > high:
                raise ValueError(f"{item!r}: a day-of-week range must go forward (e.g. 1-5)")
        else:
            low = _unix_day(base)
            high = 6 if step else low
        days.update(d % 7 for d in range(low, high + 1, step or 1))
    if specials and (days or len(specials) > 1):
        raise ValueError(f"{field!r}: AWS allows '#' or 'L' only as the whole day-of-week field")
    if specials:
        return specials[0]
    if len(days) == 7:
        return "*"
    return ",".join(_runs(sorted(d + 1 for d in days)))


def aws_cron(expression: str) -> str:
    """A 5-field Unix cron (``minute hour day-of-month month day-of-week``) as an EventBridge
    Scheduler expression ``cron(minutes hours day-of-month month day-of-week year)``.

    AWS needs ``?`` in exactly one of the two day fields, numbers days of the week 1-7 from Sunday
    (Unix: 0-7, 0 and 7 Sunday) and has no steps in day-of-week. Unix cron runs a job when *either*
    restricted day field matches; AWS cannot say that, so restricting both is an error.
    """
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"{expression!r} is not a 5-field cron expression")
    minute, hour, day, month, weekday = fields
    minute, hour = _star_step(minute, "0"), _star_step(hour, "0")
    day, month = _star_step(day, "1"), _star_step(month, "1")
    any_day, any_weekday = day in ("*", "?"), weekday in ("*", "?")
    if any_weekday:
        day, weekday = ("*" if any_day else day), "?"
    elif any_day:
        day, weekday = "?", _aws_day_of_week(weekday)
    else:
        raise ValueError(
            f"{expression!r} restricts both day-of-month and day-of-week; AWS schedules allow only one "
            "(use '*' in the other)"
        )
    return f"cron({minute} {hour} {day} {month} {weekday} *)"


# ---------------------------------------------------------------------------------------------
# IAM policy documents
# ---------------------------------------------------------------------------------------------


class Grant(Protocol):
    """A storage grant (see :class:`dativo_infra.config.schema.StorageGrant`)."""

    bucket: str
    access: str
    prefix: str


#: S3 object actions per access level.
S3_OBJECT_ACTIONS: dict[str, tuple[str, ...]] = {
    "read": ("s3:GetObject",),
    "write": ("s3:DeleteObject", "s3:PutObject"),
    "read_write": ("s3:DeleteObject", "s3:GetObject", "s3:PutObject"),
}


def policy_json(statements: Sequence[Mapping[str, Any]]) -> str:
    """An IAM policy document as canonical JSON (sorted keys). ``statements`` must not be empty."""
    if not statements:
        raise ValueError("an IAM policy needs at least one statement")
    return json.dumps({"Statement": list(statements), "Version": "2012-10-17"}, sort_keys=True)


def trust_policy(service: str) -> str:
    """Assume-role policy letting one AWS service principal assume the role."""
    return policy_json([{"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": service}}])


def _one_or_list(values: Sequence[str]) -> str | list[str]:
    return values[0] if len(values) == 1 else list(values)


def task_statements(
    partition: str, grants: Sequence[Grant], secret_arns: Sequence[str], kms_key_arns: Sequence[str]
) -> list[dict[str, Any]]:
    """Least-privilege statements of the task role: S3 grants, secrets, KMS keys. Empty when the
    job asks for nothing (then no policy is created at all)."""
    statements: list[dict[str, Any]] = []
    for index, grant in enumerate(grants):
        bucket_arn = f"arn:{partition}:s3:::{grant.bucket}"
        listing: dict[str, Any] = {
            "Action": "s3:ListBucket",
            "Effect": "Allow",
            "Resource": bucket_arn,
            "Sid": f"S3List{index}",
        }
        if grant.prefix:
            listing["Condition"] = {"StringLike": {"s3:prefix": [f"{grant.prefix}*"]}}
        statements.append(listing)
        statements.append(
            {
                "Action": _one_or_list(S3_OBJECT_ACTIONS[grant.access]),
                "Effect": "Allow",
                "Resource": f"{bucket_arn}/{grant.prefix}*",
                "Sid": f"S3Objects{index}",
            }
        )
    if secret_arns:
        statements.append(
            {
                "Action": "secretsmanager:GetSecretValue",
                "Effect": "Allow",
                "Resource": _one_or_list(sorted(set(secret_arns))),
                "Sid": "ReadSecrets",
            }
        )
    if kms_key_arns:
        statements.append(
            {
                "Action": "kms:Decrypt",
                "Effect": "Allow",
                "Resource": _one_or_list(sorted(set(kms_key_arns))),
                "Sid": "DecryptWithKeys",
            }
        )
    return statements


_SECRETS_MANAGER_ARN = re.compile(r"^(arn:[^:]+:secretsmanager:[^:]+:[^:]+:secret:[^:]+)(:.*)?$")
_SSM_ARN = re.compile(r"^arn:[^:]+:ssm:")


def execution_secret_statements(
    partition: str, region: str, references: Sequence[str]
) -> list[dict[str, Any]]:
    """Statements letting the execution role resolve the container's ``secrets`` (``valueFrom``).

    A Secrets Manager ARN (optionally with ``:json-key:stage:version``) is granted on the secret
    itself; an SSM parameter ARN as given; any other reference is an SSM parameter name in the
    job's region (ECS accepts bare names for same-region parameters).
    """
    secrets: set[str] = set()
    parameters: set[str] = set()
    for reference in references:
        match = _SECRETS_MANAGER_ARN.match(reference)
        if match:
            secrets.add(match.group(1))
        elif _SSM_ARN.match(reference):
            parameters.add(reference)
        else:
            parameters.add(f"arn:{partition}:ssm:{region}:*:parameter/{reference.lstrip('/')}")
    statements: list[dict[str, Any]] = []
    if secrets:
        statements.append(
            {
                "Action": "secretsmanager:GetSecretValue",
                "Effect": "Allow",
                "Resource": _one_or_list(sorted(secrets)),
                "Sid": "ReadContainerSecrets",
            }
        )
    if parameters:
        statements.append(
            {
                "Action": "ssm:GetParameters",
                "Effect": "Allow",
                "Resource": _one_or_list(sorted(parameters)),
                "Sid": "ReadContainerParameters",
            }
        )
    return statements


def scheduler_statements(
    task_definition_family_arn: str, cluster_arn: str, role_arns: Sequence[str]
) -> list[dict[str, Any]]:
    """The scheduler role: run any revision of the job's task family on its cluster, and pass the
    task's two roles to ECS."""
    return [
        {
            "Action": "ecs:RunTask",
            "Condition": {"ArnLike": {"ecs:cluster": cluster_arn}},
            "Effect": "Allow",
            "Resource": f"{task_definition_family_arn}:*",
            "Sid": "RunJobTask",
        },
        {
            "Action": "iam:PassRole",
            "Condition": {"StringLike": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
            "Effect": "Allow",
            "Resource": list(role_arns),
            "Sid": "PassTaskRoles",
        },
    ]


# ---------------------------------------------------------------------------------------------
# Container definition
# ---------------------------------------------------------------------------------------------


def container_definitions(
    *,
    image: str,
    command: Sequence[str],
    env: Mapping[str, str],
    secrets: Mapping[str, str],
    log_group: str,
    region: str,
    port: int | None,
) -> str:
    """The task's ``container_definitions`` JSON: one essential container ``job``, environment and
    secrets sorted by name, awslogs logging, read-only root filesystem with a writable /tmp.
    ``port`` is the container port (service mode) or None (no port mapping)."""
    container: dict[str, Any] = {
        "environment": [{"name": k, "value": env[k]} for k in sorted(env)],
        "essential": True,
        "image": image,
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": log_group,
                "awslogs-region": region,
                "awslogs-stream-prefix": LOG_STREAM_PREFIX,
            },
        },
        "mountPoints": [{"containerPath": TMP_PATH, "readOnly": False, "sourceVolume": TMP_VOLUME}],
        "name": CONTAINER_NAME,
        "portMappings": [],
        "readonlyRootFilesystem": True,
        "secrets": [{"name": k, "valueFrom": secrets[k]} for k in sorted(secrets)],
        "volumesFrom": [],
    }
    if command:
        container["command"] = list(command)
    if port is not None:
        container["portMappings"] = [{"containerPort": port, "hostPort": port, "protocol": "tcp"}]
    return json.dumps([container], sort_keys=True)


def fargate_cpu_units(millicores: int) -> str:
    """ECS cpu units (1024 per vCPU) as the string the task definition wants."""
    return str(millicores * 1024 // 1000)
