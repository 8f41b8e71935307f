"""The schedule of a GCP Cloud Run job: the scheduler's own service account, its ``roles/run.invoker``
grant on the job, and the Cloud Scheduler job with its retries and attempt deadline.

Created in the job's ``Runtime`` scope (construct ids ``scheduler``, ``scheduler_service_account``,
``scheduler_invoker`` are part of the contract). Limits come from :mod:`dativo_infra.clouds.gcp`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from constructs import Construct

from dativo_infra.cdk import provider_google
from dativo_infra.clouds import gcp
from dativo_infra.config.runtimes.gcp_cloud_run import GcpCloudRunRuntime, GcpScheduleRetry
from dativo_infra.constructs.registry import Placement

#: How the runtime creates a resource whose construct id had hyphens before (it records a ``moved``
#: block): ``renamed(cls, construct_id, **config)``.
Renamed = Callable[..., Any]


def scheduler(
    owner: Construct,
    runtime: GcpCloudRunRuntime,
    placement: Placement,
    renamed: Renamed,
    job: provider_google.cloud_run_v2_job.CloudRunV2Job,
    schedule: str,
) -> provider_google.cloud_scheduler_job.CloudSchedulerJob:
    """``scheduler``: a Cloud Scheduler job that POSTs to the Cloud Run Admin API ``jobs/<job>:run`` with
    the OAuth token of its own service account (``scheduler_service_account``), which holds
    ``roles/run.invoker`` on the job only (``scheduler_invoker``). The ids are those of ``owner``'s scope
    (the job's ``Runtime``), as when this was a method of it."""
    names = gcp.resource_names(placement.name)
    invoker = renamed(
        provider_google.service_account.ServiceAccount,
        "scheduler_service_account",
        account_id=names.scheduler_account_id,
        display_name=f"Dativo scheduler of job {placement.job_name}"[: gcp.DISPLAY_NAME_MAX],
        description=f"Starts the Cloud Run job of the Dativo stack {placement.name} on its schedule"[:256],
        project=runtime.project_id,
    )
    invoker_email = invoker.email  # read once: every attribute read is a jsii round trip to Node
    grant = renamed(
        provider_google.cloud_run_v2_job_iam_member.CloudRunV2JobIamMember,
        "scheduler_invoker",
        name=job.name,
        location=placement.region,
        project=runtime.project_id,
        role=gcp.RUN_INVOKER_ROLE,
        member=f"serviceAccount:{invoker_email}",
    )
    return provider_google.cloud_scheduler_job.CloudSchedulerJob(
        owner,
        "scheduler",
        name=names.scheduler_job,
        description=f"Runs the Cloud Run job of {placement.job_name}"[:500],
        project=runtime.project_id,
        region=placement.region,
        schedule=schedule,
        time_zone=runtime.schedule_timezone,
        retry_config=_retry_config(runtime.schedule_retry),
        attempt_deadline=_seconds(runtime.schedule_attempt_deadline_seconds),
        http_target=provider_google.cloud_scheduler_job.CloudSchedulerJobHttpTarget(
            uri=gcp.run_job_uri(runtime.project_id, placement.region, names.cloud_run),
            http_method="POST",
            oauth_token=provider_google.cloud_scheduler_job.CloudSchedulerJobHttpTargetOauthToken(
                service_account_email=invoker_email,
                scope="https://www.googleapis.com/auth/cloud-platform",
            ),
        ),
        depends_on=[grant, job],
    )


def _seconds(value: int | None) -> str | None:
    """A duration in Cloud Scheduler's form (``"30s"``), or None (the field stays unset)."""
    return None if value is None else f"{value}s"


def _retry_config(
    retry: GcpScheduleRetry | None,
) -> provider_google.cloud_scheduler_job.CloudSchedulerJobRetryConfig | None:
    """The scheduler's ``retry_config``: only the fields the job set (the others keep the API's defaults)."""
    if retry is None:
        return None
    return provider_google.cloud_scheduler_job.CloudSchedulerJobRetryConfig(
        retry_count=retry.retry_count,
        min_backoff_duration=_seconds(retry.min_backoff_seconds),
        max_backoff_duration=_seconds(retry.max_backoff_seconds),
        max_doublings=retry.max_doublings,
        max_retry_duration=_seconds(retry.max_retry_duration_seconds),
    )
