"""The IAM roles a Fargate job's stack owns: the execution role (the ECS agent pulls the image, writes
the logs, resolves the container's secrets) and the task role (what the job may touch). Part of
:mod:`.aws_fargate`: every resource is created in the job's ``Runtime`` construct (construct ids are
part of the contract). A role the job gives (``existing.execution_role_arn``/``task_role_arn``) is
not built here at all: the stack attaches nothing to a role it does not own.

Resources: ``execution_role`` (+ ``execution_role_policy_attachment``: AWS's managed execution policy;
``execution_role_secrets`` when the container has secrets or private registry credentials) and
``task_role`` (+ ``task_role_permissions`` when the job has grants, ECS Exec or statements). Both
trust ECS tasks of the job's own account only (``aws:SourceAccount``; the task role also
``aws:SourceArn``, ECS resources of the account in the region).
"""

from __future__ import annotations

from constructs import Construct

from dativo_infra.cdk import provider_aws
from dativo_infra.clouds import aws
from dativo_infra.config.runtimes import AwsFargateRuntime
from dativo_infra.constructs.aws_fargate_documents import (
    ECS_TASKS_SERVICE,
    ecs_source_arn,
    exec_statements,
    execution_secret_statements,
    job_statements,
    policy_json,
    task_statements,
    trust_policy,
)

#: AWS managed policy of every ECS task execution role (the partition is filled in).
EXECUTION_POLICY = "arn:{partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"


def execution_role(
    scope: Construct,
    runtime: AwsFargateRuntime,
    region: str,
    names: aws.AwsNames,
    partition: str,
    account: str,
) -> provider_aws.iam_role.IamRole:
    """The job's own execution role, its managed policy and its container secrets policy."""
    role = provider_aws.iam_role.IamRole(
        scope,
        "execution_role",
        name=names.execution_role,
        description="ECS task execution role (image pull, logs, container secrets)",
        # aws:SourceAccount only: AWS documents aws:SourceArn for the task role, not for the role
        # the ECS agent assumes to pull the image and write logs.
        assume_role_policy=trust_policy(ECS_TASKS_SERVICE, source_account=account),
    )
    provider_aws.iam_role_policy_attachment.IamRolePolicyAttachment(
        scope,
        "execution_role_policy_attachment",
        role=role.name,
        policy_arn=EXECUTION_POLICY.format(partition=partition),
    )
    secret_statements = execution_secret_statements(
        partition,
        region,
        [runtime.secrets[k] for k in sorted(runtime.secrets)],
        account=account,
        registry_secret_arn=runtime.registry_credentials_secret_arn,
    )
    if secret_statements:
        provider_aws.iam_role_policy.IamRolePolicy(
            scope,
            "execution_role_secrets",
            name="container-secrets",
            role=role.id,
            policy=policy_json(secret_statements),
        )
    return role


def task_role(
    scope: Construct,
    runtime: AwsFargateRuntime,
    region: str,
    names: aws.AwsNames,
    partition: str,
    account: str,
) -> tuple[provider_aws.iam_role.IamRole, provider_aws.iam_role_policy.IamRolePolicy | None]:
    """The job's own task role and its policy (grants, ECS Exec channels, the job's statements; no
    policy when the job asks for nothing)."""
    role = provider_aws.iam_role.IamRole(
        scope,
        "task_role",
        name=names.task_role,
        description="Role the job's container runs as",
        assume_role_policy=trust_policy(
            ECS_TASKS_SERVICE,
            source_account=account,
            source_arn=ecs_source_arn(partition, region, account),
        ),
    )
    permissions = runtime.permissions
    statements = task_statements(partition, permissions.storage, permissions.secrets, permissions.kms_keys)
    if runtime.enable_execute_command:  # ECS Exec: the task's SSM agent opens its channels
        statements += exec_statements()
    statements += job_statements(permissions.statements)
    if not statements:
        return role, None
    policy = provider_aws.iam_role_policy.IamRolePolicy(
        scope, "task_role_permissions", name="job-permissions", role=role.id, policy=policy_json(statements)
    )
    return role, policy
