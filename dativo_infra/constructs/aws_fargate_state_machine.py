"""Runs of a Fargate job through Step Functions: the enforced timeout. Part of :mod:`.aws_fargate`:
every resource is created in the job's ``Runtime`` construct (construct ids are part of the contract).

Every job-mode stack, scheduled or not, gets a STANDARD state machine that runs the job's task with
``ecs:runTask.sync`` and ``TimeoutSeconds = timeout_seconds`` (definition:
:mod:`.aws_fargate_run_definition`). The schedule starts it; so does whoever runs the job on demand
(``aws stepfunctions start-execution --state-machine-arn <state_machine_arn>``). ECS has no run-time
limit of its own for a task: the state machine is what stops a hung run.

Resources: ``state_machine`` (logging ERROR with execution data to its own log group),
``state_machine_role`` (trusted by Step Functions for this state machine only: ``aws:SourceAccount``
and ``aws:SourceArn``, the ARN built from its parts so the trust policy needs no reference to the
state machine) + ``state_machine_role_policy`` (:func:`.aws_fargate_documents.state_machine_statements`),
``state_machine_log_group`` (``/aws/vendedlogs/states/<name>``, the job's retention and log KMS key).
"""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct

from dativo_infra.cdk import Fn, provider_aws
from dativo_infra.clouds import aws
from dativo_infra.config.runtimes import AwsFargateRuntime
from dativo_infra.constructs.aws_fargate_documents import (
    STATES_SERVICE,
    ecs_task_arns,
    policy_json,
    state_machine_statements,
    trust_policy,
)
from dativo_infra.constructs.aws_fargate_network import Network
from dativo_infra.constructs.aws_fargate_run_definition import run_definition, run_task_state
from dativo_infra.constructs.aws_fargate_schedule import job_schedule


@dataclass(frozen=True)
class Task:
    """What starting one of the job's tasks names: where (account, region, cluster), which task
    definition, and the roles ECS is passed."""

    partition: str
    account: str
    region: str
    cluster_name: str
    cluster_arn: str
    task_definition_arn: str
    task_family_arn: str
    role_arns: list[str]
    network: Network


def job_runs(
    scope: Construct, runtime: AwsFargateRuntime, names: aws.AwsNames, job: str, task: Task
) -> tuple[
    provider_aws.sfn_state_machine.SfnStateMachine,
    provider_aws.scheduler_schedule.SchedulerSchedule | None,
    provider_aws.sqs_queue.SqsQueue | None,
]:
    """Everything that runs a job-mode task: the state machine and, with a schedule, the schedule
    starting it and its dead-letter queue (:mod:`.aws_fargate_schedule`)."""
    machine = job_state_machine(scope, runtime, names, task)
    if runtime.schedule is None:
        return machine, None, None
    schedule, queue = job_schedule(
        scope,
        runtime,
        names,
        job,
        partition=task.partition,
        region=task.region,
        account=task.account,
        state_machine_arn=machine.arn,
    )
    return machine, schedule, queue


def job_state_machine(
    scope: Construct, runtime: AwsFargateRuntime, names: aws.AwsNames, task: Task
) -> provider_aws.sfn_state_machine.SfnStateMachine:
    """The state machine running ``task`` (``scaling.parallelism`` at once) within ``timeout_seconds``."""
    assert runtime.mode == "job"
    log_group = provider_aws.cloudwatch_log_group.CloudwatchLogGroup(
        scope,
        "state_machine_log_group",
        name=names.state_machine_log_group,
        retention_in_days=runtime.log_retention_days,
        kms_key_id=runtime.log_kms_key_arn,
    )
    arn = aws.state_machine_arn(task.partition, task.region, task.account, names.state_machine)
    role = provider_aws.iam_role.IamRole(
        scope,
        "state_machine_role",
        name=names.state_machine_role,
        description="Step Functions: run the job's task within its timeout",
        assume_role_policy=trust_policy(STATES_SERVICE, source_account=task.account, source_arn=arn),
    )
    policy = provider_aws.iam_role_policy.IamRolePolicy(
        scope,
        "state_machine_role_policy",
        name="run-job-task",
        role=role.id,
        policy=policy_json(
            state_machine_statements(
                partition=task.partition,
                region=task.region,
                account=task.account,
                task_definition_family_arn=task.task_family_arn,
                cluster_arn=task.cluster_arn,
                task_arns=ecs_task_arns(task.partition, task.region, task.account, task.cluster_name),
                role_arns=task.role_arns,
            )
        ),
    )
    network = task.network
    state = run_task_state(
        partition=task.partition,
        cluster_arn=task.cluster_arn,
        task_definition_arn=task.task_definition_arn,
        subnets=network.subnets,
        security_groups=network.security_groups,
        assign_public_ip=network.assign_public_ip,
        capacity=runtime.capacity,
        timeout_seconds=runtime.timeout_seconds,
        enable_execute_command=runtime.enable_execute_command,
    )
    definition = run_definition(
        state,
        parallelism=runtime.scaling.parallelism,
        comment=f"Runs {names.family} ({runtime.scaling.parallelism} task(s), at most {runtime.timeout_seconds} s)",
    )
    return provider_aws.sfn_state_machine.SfnStateMachine(
        scope,
        "state_machine",
        name=names.state_machine,
        type="STANDARD",
        role_arn=role.arn,
        definition=Fn.jsonencode(definition),
        logging_configuration=provider_aws.sfn_state_machine.SfnStateMachineLoggingConfiguration(
            level="ERROR",
            include_execution_data=True,
            log_destination=f"{log_group.arn}:*",
        ),
        # Step Functions checks the role's permissions when the state machine is created.
        depends_on=[policy],
    )
