"""The one registry of runtimes: which provider runs each runtime, which construct module builds it,
and which outputs its stack exports.

This is the single source of truth used by validation (a placeholder must name an output the job's
configuration exports), by the stacks (one ``TerraformOutput`` per exported name, checked against what
the construct returns) and by the docs. Each output says when it exists (:class:`When`):
:func:`exported_outputs` is the one answer to "which outputs does this job export". No output is
ever a sentinel such as ``"none"``: an output without a value is not exported. The model of each runtime is in :mod:`dativo_infra.config.runtimes`. Pure Python: no cdktf.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal, Protocol


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


class RuntimeFacts(Protocol):
    """What the output conditions read from a runtime model (every runtime model has these)."""

    @property
    def TYPE(self) -> RuntimeType: ...  # the models' class constant

    @property
    def mode(self) -> Literal["job", "service"]: ...

    @property
    def schedule(self) -> str | None: ...

    @property
    def ingress(self) -> Literal["none", "internal", "external"]: ...


@dataclass(frozen=True)
class When:
    """One set of conditions on the runtime model, all of which must hold (an unset one always holds).

    ``mode``: the runtime's mode; ``scheduled``: whether ``schedule`` is set; ``ingress``: whether
    ``ingress`` is ``internal``/``external`` (True) or ``none`` (False); ``own_environment``: whether the
    job creates its own environment (Azure: no ``environment_id``)."""

    mode: Literal["job", "service"] | None = None
    scheduled: bool | None = None
    ingress: bool | None = None
    own_environment: bool | None = None

    def holds(self, runtime: RuntimeFacts) -> bool:
        return (
            (self.mode is None or runtime.mode == self.mode)
            and (self.scheduled is None or (runtime.schedule is not None) == self.scheduled)
            and (self.ingress is None or (runtime.ingress != "none") == self.ingress)
            and (
                self.own_environment is None
                or (getattr(runtime, "environment_id", None) is None) == self.own_environment
            )
        )

    def text(self) -> str:
        """The conditions in words, e.g. ``in job mode with a schedule``."""
        parts = [f"in {self.mode} mode"] if self.mode is not None else []
        if self.scheduled is not None:
            parts.append("with a schedule" if self.scheduled else "without a schedule")
        if self.ingress is not None:
            parts.append("with ingress internal or external" if self.ingress else "with ingress none")
        if self.own_environment is not None:
            parts.append(
                "with its own environment (no environment_id)"
                if self.own_environment
                else "with environment_id"
            )
        return " ".join(parts) or "always"


#: The condition of an output that every job of the runtime exports.
ALWAYS = When()


@dataclass(frozen=True)
class Output:
    """One output of a runtime: its description and when it exists (any of ``when``)."""

    description: str
    when: tuple[When, ...] = (ALWAYS,)

    def exists(self, runtime: RuntimeFacts) -> bool:
        return any(condition.holds(runtime) for condition in self.when)

    def condition(self) -> str:
        """When the output exists, in words: ``always``, ``in job mode``, ``in job mode, or in service
        mode with ingress internal or external``."""
        return ", or ".join(condition.text() for condition in self.when)


_JOB = When(mode="job")
_SCHEDULED = When(mode="job", scheduled=True)
_SERVICE = When(mode="service")
_SERVICE_WITH_INGRESS = When(mode="service", ingress=True)

#: Every output each runtime's stack can export, name -> :class:`Output`. Every exported name is a
#: stack-level ``TerraformOutput`` with exactly this id, and is never null after a deploy; an output
#: whose condition does not hold for a job is not in that job's stack (see :func:`exported_outputs`).
OUTPUTS: dict[RuntimeType, dict[str, Output]] = {
    RuntimeType.AWS_FARGATE: {
        "cluster_name": Output("Name of the ECS cluster the job runs on"),
        "cluster_arn": Output("ARN of the ECS cluster"),
        "service_name": Output("ECS service name (service mode) or the task family (job mode)"),
        "service_endpoint": Output(
            "Service mode with ingress: URL of the load balancer, https://<DNS name> (http:// without a "
            "certificate); job mode: ecs://<cluster>/<task family> (runs go through state_machine_arn)",
            (_JOB, _SERVICE_WITH_INGRESS),
        ),
        "task_definition_arn": Output("ARN of the task definition revision"),
        "task_role_arn": Output("ARN of the IAM role the container runs as"),
        "execution_role_arn": Output("ARN of the ECS task execution role"),
        "log_group_name": Output("CloudWatch log group receiving the container logs"),
        "security_group_id": Output("Security group attached to the tasks"),
        "schedule_name": Output("EventBridge Scheduler schedule name", (_SCHEDULED,)),
        "dead_letter_queue_arn": Output(
            "ARN of the SQS queue receiving the schedule's failed task starts", (_SCHEDULED,)
        ),
        "dead_letter_queue_url": Output("URL of that dead-letter queue", (_SCHEDULED,)),
        "state_machine_arn": Output(
            "ARN of the Step Functions state machine that runs the job within timeout_seconds (start it to "
            "run the job on demand; the schedule starts it too)",
            (_JOB,),
        ),
    },
    RuntimeType.AZURE_CONTAINER_APPS: {
        "resource_group_name": Output("Resource group holding the runtime"),
        "environment_name": Output("Container Apps environment name"),
        "container_app_name": Output("Container App (service mode) or Container App Job (job mode) name"),
        "ingress_url": Output("https URL of the app's ingress", (_SERVICE_WITH_INGRESS,)),
        "managed_identity_id": Output("Resource id of the user-assigned identity"),
        "managed_identity_client_id": Output("Client id of the user-assigned identity"),
        "log_analytics_workspace_id": Output(
            "Resource id of the Log Analytics workspace the job's environment sends its logs to",
            (When(own_environment=True),),
        ),
    },
    RuntimeType.GCP_CLOUD_RUN: {
        "service_name": Output("Cloud Run service (service mode) or job (job mode) name"),
        "project_id": Output("GCP project the runtime lives in"),
        "region": Output("GCP region of the runtime"),
        "service_url": Output("https URL of the service", (_SERVICE,)),
        "service_account_email": Output("Email of the runtime's service account"),
        "scheduler_job_name": Output("Cloud Scheduler job name", (_SCHEDULED,)),
    },
}


def exported_outputs(runtime: RuntimeFacts) -> dict[str, str]:
    """The outputs a job with this runtime model exports, name -> description (in contract order):
    exactly the stack's ``TerraformOutput`` ids, and the names its placeholders may reference."""
    return {
        name: output.description for name, output in OUTPUTS[runtime.TYPE].items() if output.exists(runtime)
    }
