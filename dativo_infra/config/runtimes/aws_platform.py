"""An AWS Fargate job inside an existing platform: the infrastructure it reuses (``existing``: cluster,
execution role, task role; ``network.create_security_group``) and the extra statements of its task role
(``permissions.statements``), with their rules. What is given is referenced, never created, and the
job's permissions are attached only to roles the stack owns:

* a given **task role** with ``permissions`` or ``enable_execute_command`` is an error (the stack would
  have to attach a policy to a role it does not own);
* a given **execution role** with container ``secrets`` or ``registry_credentials_secret_arn`` is a
  ``validate`` warning: the role must already read them (the stack cannot see its policy);
* ``create_security_group: false`` needs ``security_group_ids``, and refuses ``network.egress`` and a
  service with ingress (the load balancer's rule into the tasks goes on the job's own group).

ARN and name rules: :mod:`dativo_infra.clouds.aws` (cluster, roles) and :mod:`dativo_infra.clouds.aws_iam`
(statements). Pure Python, no cdktf.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Annotated, Any, Protocol

from pydantic import Field

from dativo_infra.clouds import aws_existing, aws_iam
from dativo_infra.config.fields import NonEmpty, Problem, Strict


class _Network(Protocol):
    @property
    def create_security_group(self) -> bool: ...
    @property
    def security_group_ids(self) -> Sequence[str]: ...
    @property
    def egress(self) -> Sequence[Any] | None: ...


class _Permissions(Protocol):
    def given(self) -> list[str]: ...


class AwsFargateRuntime(Protocol):
    """What these rules read of the runtime (:class:`~.aws_fargate.AwsFargateRuntime`, which imports
    this module)."""

    @property
    def existing(self) -> AwsExisting: ...
    @property
    def network(self) -> _Network: ...
    @property
    def permissions(self) -> _Permissions: ...
    @property
    def enable_execute_command(self) -> bool: ...
    @property
    def mode(self) -> str: ...
    @property
    def ingress(self) -> str: ...
    @property
    def secrets(self) -> Mapping[str, str]: ...
    @property
    def registry_credentials_secret_arn(self) -> str | None: ...


ConditionValues = aws_iam.ConditionValue | Annotated[list[aws_iam.ConditionValue], Field(min_length=1)]


class AwsStatement(Strict):
    """One extra ``Allow`` statement of the task role: exact actions on exact resources (checked by
    :mod:`dativo_infra.clouds.aws_iam`: no wildcard, no policy variable, no privilege escalation
    unless the platform allows it)."""

    sid: NonEmpty | None = Field(
        None, description="Statement id (letters and digits). Unset: JobStatement<n>"
    )
    actions: Annotated[list[NonEmpty], Field(min_length=1)] = Field(
        description="Exact IAM actions such as dynamodb:PutItem (no '*' or '?')"
    )
    resources: Annotated[list[NonEmpty], Field(min_length=1)] = Field(
        description="Exact resource ARNs (no '*', '?' or '${')"
    )
    conditions: dict[NonEmpty, dict[NonEmpty, ConditionValues]] = Field(
        default_factory=dict,
        description=(
            "IAM conditions: operator (StringEquals, ArnEquals, Bool, IpAddress, ...IfExists, ForAnyValue:...) -> "
            "key -> value or values, with no '*', '?' or '${'. Unset: none"
        ),
    )


class AwsExisting(Strict):
    """Infrastructure the job uses instead of creating its own. Each unset field: the stack creates it."""

    cluster: NonEmpty | None = Field(
        None,
        description=(
            "An existing ECS cluster (name, or ARN arn:aws:ecs:<region>:<account>:cluster/<name>) the tasks run "
            "on; no cluster is created. Unset: the stack creates the job's cluster"
        ),
    )
    execution_role_arn: NonEmpty | None = Field(
        None,
        description=(
            "An existing ECS task execution role (it must already pull the image, write the logs and read the "
            "container's secrets and registry credentials: validate warns); no execution role is created. "
            "Unset: the stack creates it"
        ),
    )
    task_role_arn: NonEmpty | None = Field(
        None,
        description=(
            "An existing role the container runs as; no task role is created and nothing is attached to it, so "
            "permissions and enable_execute_command are errors with it. Unset: the stack creates it"
        ),
    )


def statement_problems(statements: Sequence[AwsStatement], allowed: Collection[str]) -> list[Problem]:
    """Every rule the job's extra statements break (:mod:`dativo_infra.clouds.aws_iam`), ``allowed``: the
    escalation actions the platform settings let through; statement ids unique."""
    found: list[Problem] = []
    seen: dict[str, int] = {}
    for index, statement in enumerate(statements):
        where = ("permissions", "statements", index)
        found += [
            Problem((*where, *at), refusal.problem, value, refusal.expected)
            for at, value, refusal in aws_iam.statement_refusals(
                statement.actions,
                statement.resources,
                statement.conditions,
                sid=statement.sid,
                allowed_escalation=allowed,
            )
        ]
        if statement.sid is not None and (first := seen.setdefault(statement.sid, index)) != index:
            found.append(
                Problem(
                    (*where, "sid"),
                    f"statement id already used by statement {first}",
                    statement.sid,
                    aws_iam.SID_EXPECTED,
                )
            )
    return found


def existing_problems(runtime: AwsFargateRuntime) -> list[Problem]:
    """The ids of existing infrastructure, and what the stack cannot do with what it does not own."""
    existing, network = runtime.existing, runtime.network
    found: list[Problem] = []
    if existing.cluster is not None and (refusal := aws_existing.cluster_refusal(existing.cluster)):
        found.append(Problem(("existing", "cluster"), refusal.problem, existing.cluster, refusal.expected))
    for key in ("execution_role_arn", "task_role_arn"):
        arn = getattr(existing, key)
        if arn is not None and (refusal := aws_existing.role_arn_refusal(arn)):
            found.append(Problem(("existing", key), refusal.problem, arn, refusal.expected))
    if existing.task_role_arn is not None:
        not_owned = (
            "the stack attaches nothing to a role it does not own: put these on the role, or drop "
            "task_role_arn"
        )
        for name in runtime.permissions.given():
            count = len(getattr(runtime.permissions, name))
            found.append(
                Problem(
                    ("permissions", name),
                    not_owned,
                    f"{count} {'entry' if count == 1 else 'entries'}",
                    f"no permissions.{name} with existing.task_role_arn",
                )
            )
        if runtime.enable_execute_command:
            found.append(
                Problem(
                    ("enable_execute_command",),
                    not_owned + " (ECS Exec needs the ssmmessages channels on the task role)",
                    True,
                    "false with existing.task_role_arn (grant the channels on the role itself)",
                )
            )
    if not network.create_security_group:
        where = ("network", "create_security_group")
        if not network.security_group_ids:
            found.append(
                Problem(
                    where,
                    "the tasks would have no security group",
                    False,
                    "network.security_group_ids (the existing groups of the tasks) with create_security_group false",
                )
            )
        if network.egress is not None:
            found.append(
                Problem(
                    ("network", "egress"),
                    "egress rules belong to the job's own security group, which create_security_group "
                    "false does not create",
                    f"{len(network.egress)} rule(s)",
                    "no network.egress (the existing groups' rules apply), or create_security_group true",
                )
            )
        if runtime.mode == "service" and runtime.ingress != "none":
            found.append(
                Problem(
                    where,
                    f"a service with ingress {runtime.ingress} needs the job's own security group (the load "
                    "balancer's rule into the tasks is added to it)",
                    False,
                    "create_security_group true (the tasks keep security_group_ids too), or ingress none",
                )
            )
    return found


def execution_role_warnings(runtime: AwsFargateRuntime) -> list[Problem]:
    """A given execution role gets nothing attached: it must already read the container's secrets
    and registry credentials (a warning: the stack cannot see the role's policy)."""
    found: list[Problem] = []
    if (role := runtime.existing.execution_role_arn) is not None:
        needs = [f"secrets.{name}" for name in sorted(runtime.secrets)]
        if runtime.registry_credentials_secret_arn is not None:
            needs.append("registry_credentials_secret_arn")
        if needs:
            found.append(
                Problem(
                    ("existing", "execution_role_arn"),
                    "the stack grants nothing to an execution role it does not own: this role must "
                    f"already read {', '.join(needs)}, or the task does not start",
                    role,
                    "a role whose policy reads exactly these secrets / parameters, or no execution_role_arn",
                )
            )
    return found
