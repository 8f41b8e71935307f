"""The one registry of runtimes: which provider runs each runtime, which construct module builds it,
and which outputs its stack exports.

This is the single source of truth used by validation (a placeholder must name an exported output),
by the stacks (one ``TerraformOutput`` per name here, checked against what the construct returns) and
by the docs. The model of each runtime is in :mod:`dativo_infra.config.runtimes`. Pure Python: no cdktf.
"""

from __future__ import annotations

from enum import StrEnum


class Provider(StrEnum):
    AWS = "aws"
    AZURE = "azure"
    GCP = "gcp"


class RuntimeType(StrEnum):
    AWS_FARGATE = "aws_fargate"
    AZURE_CONTAINER_APPS = "azure_container_apps"
    GCP_CLOUD_RUN = "gcp_cloud_run"


PROVIDER_OF_RUNTIME: dict[RuntimeType, Provider] = {
    RuntimeType.AWS_FARGATE: Provider.AWS,
    RuntimeType.AZURE_CONTAINER_APPS: Provider.AZURE,
    RuntimeType.GCP_CLOUD_RUN: Provider.GCP,
}

#: The construct module of each runtime (an import path: importing it loads that cloud's provider).
CONSTRUCT_MODULES: dict[RuntimeType, str] = {
    RuntimeType.AWS_FARGATE: "dativo_infra.constructs.aws_fargate",
    RuntimeType.AZURE_CONTAINER_APPS: "dativo_infra.constructs.azure_container_apps",
    RuntimeType.GCP_CLOUD_RUN: "dativo_infra.constructs.gcp_cloud_run",
}

#: Outputs each runtime's stack exports, name -> description. Every name is a stack-level
#: ``TerraformOutput`` with exactly this id, and is never null after a deploy.
OUTPUTS: dict[RuntimeType, dict[str, str]] = {
    RuntimeType.AWS_FARGATE: {
        "cluster_name": "Name of the ECS cluster the job runs on",
        "cluster_arn": "ARN of the ECS cluster",
        "service_name": "ECS service name (service mode) or the task family (job mode)",
        "service_endpoint": "Service mode: URL of the load balancer, https://<DNS name> (http:// without a "
        "certificate), or 'none' with ingress none; job mode: ecs://<cluster>/<task family> (runs go through "
        "state_machine_arn)",
        "task_definition_arn": "ARN of the task definition revision",
        "task_role_arn": "ARN of the IAM role the container runs as",
        "execution_role_arn": "ARN of the ECS task execution role",
        "log_group_name": "CloudWatch log group receiving the container logs",
        "security_group_id": "Security group attached to the tasks",
        "schedule_name": "EventBridge Scheduler schedule name, or 'none' when the job is unscheduled",
        "dead_letter_queue_arn": "ARN of the SQS queue receiving the schedule's failed task starts, "
        "or 'none' when the job is unscheduled",
        "dead_letter_queue_url": "URL of that dead-letter queue, or 'none' when the job is unscheduled",
        "state_machine_arn": "Job mode: ARN of the Step Functions state machine that runs the job within "
        "timeout_seconds (start it to run the job on demand; the schedule starts it too); 'none' in service mode",
    },
    RuntimeType.AZURE_CONTAINER_APPS: {
        "resource_group_name": "Resource group holding the runtime",
        "environment_name": "Container Apps environment name",
        "container_app_name": "Container App (service mode) or Container App Job (job mode) name",
        "ingress_url": "https URL of the app's ingress, or 'none' (job mode or ingress disabled)",
        "managed_identity_id": "Resource id of the user-assigned identity",
        "managed_identity_client_id": "Client id of the user-assigned identity",
        "log_analytics_workspace_id": "Resource id of the Log Analytics workspace",
    },
    RuntimeType.GCP_CLOUD_RUN: {
        "service_name": "Cloud Run service (service mode) or job (job mode) name",
        "project_id": "GCP project the runtime lives in",
        "region": "GCP region of the runtime",
        "service_url": "https URL of the service, or 'none' in job mode",
        "service_account_email": "Email of the runtime's service account",
        "scheduler_job_name": "Cloud Scheduler job name, or 'none' when the job is unscheduled",
    },
}
