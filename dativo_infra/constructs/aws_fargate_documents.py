"""The pure-Python half of the AWS Fargate runtime: IAM policy documents and the container definition.
No cdktf import, so tests (and policy linters) can use them cheaply. Names, sizes and the schedule
conversion are AWS rules shared with validation: :mod:`dativo_infra.clouds.aws`.

Everything here is deterministic: the same inputs give byte-identical output (sorted keys, stable
statement order). Values may be cdktf token strings (``${TfToken[...]}``): they are only embedded
in strings, never inspected.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from dativo_infra.clouds import Refusal, aws, aws_iam

#: Name of the one container of the task definition (ECS overrides address it by this name).
CONTAINER_NAME = "job"
#: Log stream prefix: streams are ``ecs/job/<task id>``.
LOG_STREAM_PREFIX = "ecs"
#: Scratch volume mounted writable at /tmp so the root filesystem can stay read-only.
TMP_VOLUME = "tmp"
TMP_PATH = "/tmp"  # a path inside the container
#: Timing of a container health check (seconds): every 30 s, 5 s timeout, unhealthy after 3 failures,
#: failures in the first 60 s not counted (ECS's bounds: interval 5-300, timeout 2-60, startPeriod 0-300).
CONTAINER_HEALTH_CHECK = {"interval": 30, "timeout": 5, "retries": 3, "startPeriod": 60}


# ---------------------------------------------------------------------------------------------
# IAM policy documents
# ---------------------------------------------------------------------------------------------


class Grant(Protocol):
    """A storage grant (see :class:`dativo_infra.config.runtimes.aws_fargate.AwsStorageGrant`)."""

    @property
    def bucket(self) -> str: ...
    @property
    def access(self) -> str: ...
    @property
    def prefix(self) -> str: ...


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


#: Service principals of the roles the stack creates.
ECS_TASKS_SERVICE = "ecs-tasks.amazonaws.com"
SCHEDULER_SERVICE = "scheduler.amazonaws.com"
STATES_SERVICE = "states.amazonaws.com"


def ecs_source_arn(partition: str, region: str, account: str) -> str:
    """``aws:SourceArn`` pattern of ECS assuming a task role: any ECS resource of the account in the
    job's region (AWS's documented trust policy of a task role)."""
    return f"arn:{partition}:ecs:{region}:{account}:*"


def schedule_group_arn(partition: str, region: str, account: str, group: str = "default") -> str:
    """ARN of an EventBridge Scheduler schedule group: the ``aws:SourceArn`` Scheduler sets when it
    assumes a schedule's role (AWS: scope to the group, never to a schedule)."""
    return f"arn:{partition}:scheduler:{region}:{account}:schedule-group/{group}"


def ecs_task_arns(partition: str, region: str, account: str, cluster_name: str) -> str:
    """ARN pattern of every task of one ECS cluster (``task/<cluster>/<task id>``)."""
    return f"arn:{partition}:ecs:{region}:{account}:task/{cluster_name}/*"


def trust_policy(service: str, *, source_account: str, source_arn: str | None = None) -> str:
    """Assume-role policy letting one AWS service principal assume the role, and only on behalf of
    ``source_account`` (confused-deputy guard, ``aws:SourceAccount``) and, when the service sets it,
    of a resource matching ``source_arn`` (``aws:SourceArn``, ARN pattern)."""
    condition: dict[str, Any] = {"StringEquals": {"aws:SourceAccount": source_account}}
    if source_arn is not None:
        condition["ArnLike"] = {"aws:SourceArn": source_arn}
    return policy_json(
        [
            {
                "Action": "sts:AssumeRole",
                "Condition": condition,
                "Effect": "Allow",
                "Principal": {"Service": service},
            }
        ]
    )


def _one_or_list(values: Sequence[str]) -> str | list[str]:
    return values[0] if len(values) == 1 else list(values)


def _allow(
    sid: str, action: str | list[str], resource: str | list[str], condition: dict[str, Any] | None = None
) -> dict[str, Any]:
    """One ``Allow`` statement (with its condition, when it has one)."""
    statement: dict[str, Any] = {"Action": action, "Effect": "Allow", "Resource": resource, "Sid": sid}
    if condition is not None:
        statement["Condition"] = condition
    return statement


def _refuse_any(refusals: Sequence[Refusal | None]) -> None:
    refused = [r for r in refusals if r is not None]
    if refused:
        raise ValueError(f"not an IAM grant reference: {refused[0].problem}")


def task_statements(
    partition: str, grants: Sequence[Grant], secret_arns: Sequence[str], kms_key_arns: Sequence[str]
) -> list[dict[str, Any]]:
    """Least-privilege statements of the task role: S3 grants, secrets, KMS keys. Empty when the
    job asks for nothing (then no policy is created at all). Raises ``ValueError`` for a reference
    AWS's grammar refuses (a wildcard, a policy variable ...): validation reports those first, this
    is the last line before job text becomes a grant."""
    _refuse_any(
        [aws.bucket_refusal(g.bucket) for g in grants]
        + [aws.prefix_refusal(g.prefix) for g in grants]
        + [aws.secret_arn_refusal(arn) for arn in secret_arns]
        + [aws.kms_key_refusal(arn) for arn in kms_key_arns]
    )
    statements: list[dict[str, Any]] = []
    for index, grant in enumerate(grants):
        bucket_arn = f"arn:{partition}:s3:::{grant.bucket}"
        prefix = {"StringLike": {"s3:prefix": [f"{grant.prefix}*"]}} if grant.prefix else None
        statements.append(_allow(f"S3List{index}", "s3:ListBucket", bucket_arn, prefix))
        actions = _one_or_list(S3_OBJECT_ACTIONS[grant.access])
        statements.append(_allow(f"S3Objects{index}", actions, f"{bucket_arn}/{grant.prefix}*"))
    if secret_arns:
        resource = _one_or_list(sorted(set(secret_arns)))
        statements.append(_allow("ReadSecrets", "secretsmanager:GetSecretValue", resource))
    if kms_key_arns:
        statements.append(_allow("DecryptWithKeys", "kms:Decrypt", _one_or_list(sorted(set(kms_key_arns)))))
    return statements


class Statement(Protocol):
    """An extra statement of the task role (see :class:`dativo_infra.config.runtimes.aws_fargate.AwsStatement`)."""

    @property
    def sid(self) -> str | None: ...
    @property
    def actions(self) -> Sequence[str]: ...
    @property
    def resources(self) -> Sequence[str]: ...
    @property
    def conditions(self) -> aws_iam.Conditions: ...


def job_statements(statements: Sequence[Statement]) -> list[dict[str, Any]]:
    """The job's own ``permissions.statements`` as ``Allow`` statements of the task role (sid
    ``JobStatement<n>`` when unset; condition values as strings, one value or a list as written).
    Raises ``ValueError`` for job text :mod:`dativo_infra.clouds.aws_iam` refuses (a wildcard, a
    policy variable, a malformed ARN ...): validation reports those first, this is the last line.
    Whether an action escalates privileges depends on the platform settings, which validation
    applied; it is not judged again here."""
    rendered: list[dict[str, Any]] = []
    for index, statement in enumerate(statements):
        refusals = aws_iam.statement_refusals(
            statement.actions,
            statement.resources,
            statement.conditions,
            sid=statement.sid,
            allowed_escalation=statement.actions,
        )
        _refuse_any([refusal for _, _, refusal in refusals])
        condition = {
            operator: {
                key: (values[0] if len(values) == 1 and not isinstance(value, list) else values)
                for key, value in block.items()
                for values in [aws_iam.condition_values(value)]
            }
            for operator, block in statement.conditions.items()
        }
        rendered.append(
            _allow(
                statement.sid or f"JobStatement{index}",
                _one_or_list(list(statement.actions)),
                _one_or_list(list(statement.resources)),
                condition or None,
            )
        )
    return rendered


#: What ECS Exec needs of the task role: the SSM agent in the task opens its message channels.
#: AWS documents ``Resource: "*"`` (the channels have no ARN of their own); no job text reaches it.
EXEC_ACTIONS: tuple[str, ...] = (
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
)


def exec_statements() -> list[dict[str, Any]]:
    """The task role's statement for ECS Exec (``enable_execute_command``)."""
    return [_allow("EcsExecChannels", list(EXEC_ACTIONS), "*")]


def execution_secret_statements(
    partition: str,
    region: str,
    references: Sequence[str],
    *,
    account: str,
    registry_secret_arn: str | None = None,
) -> list[dict[str, Any]]:
    """Statements letting the execution role resolve the container's ``secrets`` (``valueFrom``) and
    read the private registry's credentials (``registry_secret_arn``).

    A Secrets Manager ARN (optionally with ``:json-key:stage:version``) is granted on the secret
    itself; an SSM parameter ARN as given; any other reference is an SSM parameter name in the
    job's region and ``account`` (ECS accepts bare names for same-region parameters; ``account`` is
    the caller's account, a token in the stack).
    """
    if registry_secret_arn is not None:
        _refuse_any([aws.secret_arn_refusal(registry_secret_arn)])
    secrets: set[str] = set()
    parameters: set[str] = set()
    for reference in references:
        kind, resource = aws.container_secret(reference)
        if kind == "secretsmanager":
            secrets.add(resource)
        elif kind == "ssm-arn":
            parameters.add(resource)
        else:
            parameters.add(f"arn:{partition}:ssm:{region}:{account}:parameter/{resource.lstrip('/')}")
    statements: list[dict[str, Any]] = []
    if registry_secret_arn is not None:
        statements.append(
            _allow("ReadRegistryCredentials", "secretsmanager:GetSecretValue", registry_secret_arn)
        )
    if secrets:
        readable = _one_or_list(sorted(secrets))
        statements.append(_allow("ReadContainerSecrets", "secretsmanager:GetSecretValue", readable))
    if parameters:
        statements.append(
            _allow("ReadContainerParameters", "ssm:GetParameters", _one_or_list(sorted(parameters)))
        )
    return statements


def scheduler_statements(state_machine_arn: str, *, dead_letter_queue_arn: str) -> list[dict[str, Any]]:
    """The scheduler role: start the job's state machine (which runs the task) and send a failed start
    to the schedule's dead-letter queue. Nothing else: ECS and the task roles are the state machine's."""
    return [
        _allow("StartJobRun", "states:StartExecution", state_machine_arn),
        _allow("SendFailedStarts", "sqs:SendMessage", dead_letter_queue_arn),
    ]


#: What Step Functions needs of a state machine's role to deliver its logs to CloudWatch Logs, the
#: list of the Step Functions developer guide ("IAM policies for logging to CloudWatch Logs"). These
#: log delivery actions support no resource-level permissions: AWS documents ``Resource: "*"``.
LOG_DELIVERY_ACTIONS: tuple[str, ...] = (
    "logs:CreateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:DescribeLogGroups",
    "logs:DescribeResourcePolicies",
    "logs:GetLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:UpdateLogDelivery",
)


def sync_rule_arn(partition: str, region: str, account: str) -> str:
    """ARN of the EventBridge managed rule through which ``ecs:runTask.sync`` learns a task stopped."""
    return f"arn:{partition}:events:{region}:{account}:rule/{aws.SYNC_ECS_RULE}"


def state_machine_statements(
    *,
    partition: str,
    region: str,
    account: str,
    task_definition_family_arn: str,
    cluster_arn: str,
    task_arns: str,
    role_arns: Sequence[str],
) -> list[dict[str, Any]]:
    """The state machine role (``ecs:runTask.sync``): run any revision of the job's task family on its
    cluster; watch and stop (at the timeout) the cluster's tasks; tag the tasks it starts (managed tags
    and propagation: AWS authorizes them as ``ecs:TagResource``, allowed only as part of ``RunTask``);
    pass exactly the task's two roles to ECS; keep the managed EventBridge rule ``.sync`` needs; and
    deliver the state machine's logs."""
    return [
        _allow(
            "RunJobTask",
            "ecs:RunTask",
            f"{task_definition_family_arn}:*",
            {"ArnLike": {"ecs:cluster": cluster_arn}},
        ),
        _allow("WatchAndStopJobTasks", ["ecs:DescribeTasks", "ecs:StopTask"], task_arns),
        _allow(
            "TagStartedTasks", "ecs:TagResource", task_arns, {"StringEquals": {"ecs:CreateAction": "RunTask"}}
        ),
        _allow(
            "PassTaskRoles",
            "iam:PassRole",
            list(role_arns),
            {"StringLike": {"iam:PassedToService": ECS_TASKS_SERVICE}},
        ),
        _allow(
            "SyncTaskEvents",
            ["events:DescribeRule", "events:PutRule", "events:PutTargets"],
            sync_rule_arn(partition, region, account),
        ),
        _allow("DeliverLogs", list(LOG_DELIVERY_ACTIONS), "*"),
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
    init_process: bool = False,
    registry_credentials: str | None = None,
    health_check: Sequence[str] = (),
    stop_timeout: int | None = None,
) -> str:
    """The task's ``container_definitions`` JSON: one essential container ``job``, environment and
    secrets sorted by name, awslogs logging, read-only root filesystem with a writable /tmp.
    ``port`` is the container port (service mode) or None (no port mapping); ``health_check`` the
    exec-form command of an ECS container health check (none when empty); ``stop_timeout`` the seconds
    between SIGTERM and SIGKILL (None: ECS's default); ``init_process`` runs an init process as PID 1
    (AWS recommends it with ECS Exec); ``registry_credentials`` is the Secrets Manager ARN of a private
    registry's credentials."""
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
    if init_process:
        container["linuxParameters"] = {"initProcessEnabled": True}
    if registry_credentials is not None:
        container["repositoryCredentials"] = {"credentialsParameter": registry_credentials}
    if health_check:
        container["healthCheck"] = {"command": ["CMD", *health_check], **CONTAINER_HEALTH_CHECK}
    if stop_timeout is not None:
        container["stopTimeout"] = stop_timeout
    return json.dumps([container], sort_keys=True)
