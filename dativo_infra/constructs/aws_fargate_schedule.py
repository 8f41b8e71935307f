"""Scheduled runs of a Fargate job: EventBridge Scheduler, its role and its dead-letter queue. Part
of :mod:`.aws_fargate`: every resource is created in the job's ``Runtime`` construct (construct ids
are part of the contract).

The schedule starts the job's state machine (:mod:`.aws_fargate_state_machine`), which runs the
task within ``timeout_seconds``; the schedule itself names no cluster, task or role.

Resources: ``schedule`` (retries, maximum event age, dead-letter queue), ``scheduler_role`` (+
``scheduler_role_policy``: start the state machine, send to the queue; trusted by Scheduler for the
account's ``default`` schedule group only) and ``dead_letter_queue`` (SQS, SQS-managed encryption,
14 days).
"""

from __future__ import annotations

from constructs import Construct

from dativo_infra.cdk import provider_aws
from dativo_infra.clouds import aws
from dativo_infra.config.runtimes import AwsFargateRuntime
from dativo_infra.constructs.aws_fargate_documents import (
    SCHEDULER_SERVICE,
    policy_json,
    schedule_group_arn,
    scheduler_statements,
    trust_policy,
)


def job_schedule(
    scope: Construct,
    runtime: AwsFargateRuntime,
    names: aws.AwsNames,
    job: str,
    *,
    partition: str,
    region: str,
    account: str,
    state_machine_arn: str,
) -> tuple[provider_aws.scheduler_schedule.SchedulerSchedule, provider_aws.sqs_queue.SqsQueue]:
    """The schedule starting the job's state machine on ``runtime.schedule``, and its dead-letter queue."""
    assert runtime.schedule is not None
    # Failed starts (after the retries or the maximum event age) land here instead of vanishing.
    # SQS-managed encryption: a KMS key would need a key policy letting Scheduler use it, and the
    # messages hold only the start request and AWS's error (no job data).
    queue = provider_aws.sqs_queue.SqsQueue(
        scope,
        "dead_letter_queue",
        name=names.dead_letter_queue,
        message_retention_seconds=aws.DEAD_LETTER_RETENTION_SECONDS,
        sqs_managed_sse_enabled=True,
    )
    queue_arn = queue.arn  # one jsii round trip per attribute token: read once
    role = provider_aws.iam_role.IamRole(
        scope,
        "scheduler_role",
        name=names.scheduler_role,
        description="EventBridge Scheduler: start the job's state machine",
        # Schedules live in the account's default group (no group_name below).
        assume_role_policy=trust_policy(
            SCHEDULER_SERVICE,
            source_account=account,
            source_arn=schedule_group_arn(partition, region, account),
        ),
    )
    provider_aws.iam_role_policy.IamRolePolicy(
        scope,
        "scheduler_role_policy",
        name="start-job-run",
        role=role.id,
        policy=policy_json(scheduler_statements(state_machine_arn, dead_letter_queue_arn=queue_arn)),
    )
    schedule = provider_aws.scheduler_schedule.SchedulerSchedule(
        scope,
        "schedule",
        name=names.schedule,
        description=f"Runs {job} ({runtime.schedule} {runtime.schedule_timezone})",
        schedule_expression=aws.schedule_expression(runtime.schedule),
        schedule_expression_timezone=runtime.schedule_timezone,
        state="ENABLED",
        flexible_time_window=provider_aws.scheduler_schedule.SchedulerScheduleFlexibleTimeWindow(mode="OFF"),
        target=provider_aws.scheduler_schedule.SchedulerScheduleTarget(
            arn=state_machine_arn,
            role_arn=role.arn,
            retry_policy=provider_aws.scheduler_schedule.SchedulerScheduleTargetRetryPolicy(
                maximum_retry_attempts=runtime.retries,
                maximum_event_age_in_seconds=runtime.retry_max_event_age_seconds,
            ),
            dead_letter_config=provider_aws.scheduler_schedule.SchedulerScheduleTargetDeadLetterConfig(
                arn=queue_arn
            ),
        ),
    )
    return schedule, queue
