"""Scheduled runs of a Fargate job: EventBridge Scheduler, its role and its dead-letter queue. Part
of :mod:`.aws_fargate`: every resource is created in the job's ``Runtime`` construct (construct ids
are part of the contract).

Resources: ``schedule`` (retries, maximum event age, dead-letter queue), ``scheduler_role`` (+
``scheduler_role_policy``: run and tag the task, pass its roles, send to the queue; trusted by
Scheduler for the account's ``default`` schedule group only) and ``dead_letter_queue`` (SQS,
SQS-managed encryption, 14 days).
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.scheduler_schedule import (
    SchedulerSchedule,
    SchedulerScheduleFlexibleTimeWindow,
    SchedulerScheduleTarget,
    SchedulerScheduleTargetDeadLetterConfig,
    SchedulerScheduleTargetEcsParameters,
    SchedulerScheduleTargetEcsParametersNetworkConfiguration,
    SchedulerScheduleTargetRetryPolicy,
)
from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue
from constructs import Construct

from dativo_infra.clouds import aws
from dativo_infra.config.runtimes import AwsFargateRuntime
from dativo_infra.constructs.aws_fargate_documents import (
    SCHEDULER_SERVICE,
    ecs_task_arns,
    policy_json,
    schedule_group_arn,
    scheduler_statements,
    trust_policy,
)
from dativo_infra.constructs.aws_fargate_network import Network


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


def job_schedule(
    scope: Construct, runtime: AwsFargateRuntime, names: aws.AwsNames, job: str, task: Task
) -> tuple[SchedulerSchedule, SqsQueue]:
    """The schedule starting ``task`` on ``runtime.schedule`` and its dead-letter queue."""
    assert runtime.schedule is not None
    # Failed starts (after the retries or the maximum event age) land here instead of vanishing.
    # SQS-managed encryption: a KMS key would need a key policy letting Scheduler use it, and the
    # messages hold only the start request and AWS's error (no job data).
    queue = SqsQueue(
        scope,
        "dead_letter_queue",
        name=names.dead_letter_queue,
        message_retention_seconds=aws.DEAD_LETTER_RETENTION_SECONDS,
        sqs_managed_sse_enabled=True,
    )
    role = IamRole(
        scope,
        "scheduler_role",
        name=names.scheduler_role,
        description="EventBridge Scheduler: run the job's task",
        # Schedules live in the account's default group (no group_name below).
        assume_role_policy=trust_policy(
            SCHEDULER_SERVICE,
            source_account=task.account,
            source_arn=schedule_group_arn(task.partition, task.region, task.account),
        ),
    )
    IamRolePolicy(
        scope,
        "scheduler_role_policy",
        name="run-job-task",
        role=role.id,
        policy=policy_json(
            scheduler_statements(
                task.task_family_arn,
                task.cluster_arn,
                task.role_arns,
                task_arns=ecs_task_arns(task.partition, task.region, task.account, task.cluster_name),
                dead_letter_queue_arn=queue.arn,
            )
        ),
    )
    network = task.network
    schedule = SchedulerSchedule(
        scope,
        "schedule",
        name=names.schedule,
        description=f"Runs {job} ({runtime.schedule} {runtime.schedule_timezone})",
        schedule_expression=aws.schedule_expression(runtime.schedule),
        schedule_expression_timezone=runtime.schedule_timezone,
        state="ENABLED",
        flexible_time_window=SchedulerScheduleFlexibleTimeWindow(mode="OFF"),
        target=SchedulerScheduleTarget(
            arn=task.cluster_arn,
            role_arn=role.arn,
            retry_policy=SchedulerScheduleTargetRetryPolicy(
                maximum_retry_attempts=runtime.retries,
                maximum_event_age_in_seconds=runtime.retry_max_event_age_seconds,
            ),
            dead_letter_config=SchedulerScheduleTargetDeadLetterConfig(arn=queue.arn),
            ecs_parameters=SchedulerScheduleTargetEcsParameters(
                task_definition_arn=task.task_definition_arn,
                launch_type="FARGATE",
                task_count=runtime.scaling.parallelism,
                enable_ecs_managed_tags=True,
                propagate_tags="TASK_DEFINITION",
                network_configuration=SchedulerScheduleTargetEcsParametersNetworkConfiguration(
                    subnets=network.subnets,
                    security_groups=network.security_groups,
                    assign_public_ip=network.assign_public_ip,
                ),
            ),
        ),
    )
    return schedule, queue
