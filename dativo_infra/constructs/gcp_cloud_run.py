"""GCP Cloud Run runtime: a Cloud Run v2 service (mode ``service``) or job (mode ``job``).

What one job gets:

* a service account the container runs as (``service-account``);
* EITHER a Cloud Run v2 service (``service``), public (``allUsers`` invoker) only with ingress ``external``,
  OR a Cloud Run v2 job (``job``) — never both;
* a bucket IAM member per storage grant and a Secret Manager accessor per secret;
* for a scheduled job: a Cloud Scheduler job (``scheduler``) that POSTs to the Cloud Run Admin API
  ``jobs/<job>:run`` with the OAuth token of its own invoker service account
  (``scheduler-service-account``), which holds ``roles/run.invoker`` on the job only.

Labels are not set here: the stack's TaggingAspect sets ``labels`` on every resource that has them.
The job config handed to :func:`props_from_job` is already literal-escaped (``$${``), so nothing here
escapes again; every string built from job data is built from that escaped config.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from cdktf import TerraformStack
from cdktf_cdktf_provider_google.cloud_run_v2_job import (
    CloudRunV2Job,
    CloudRunV2JobTemplate,
    CloudRunV2JobTemplateTemplate,
    CloudRunV2JobTemplateTemplateContainers,
    CloudRunV2JobTemplateTemplateContainersEnv,
    CloudRunV2JobTemplateTemplateContainersEnvValueSource,
    CloudRunV2JobTemplateTemplateContainersEnvValueSourceSecretKeyRef,
    CloudRunV2JobTemplateTemplateContainersResources,
    CloudRunV2JobTemplateTemplateVpcAccess,
    CloudRunV2JobTemplateTemplateVpcAccessNetworkInterfaces,
)
from cdktf_cdktf_provider_google.cloud_run_v2_job_iam_member import CloudRunV2JobIamMember
from cdktf_cdktf_provider_google.cloud_run_v2_service import (
    CloudRunV2Service,
    CloudRunV2ServiceTemplate,
    CloudRunV2ServiceTemplateContainers,
    CloudRunV2ServiceTemplateContainersEnv,
    CloudRunV2ServiceTemplateContainersEnvValueSource,
    CloudRunV2ServiceTemplateContainersEnvValueSourceSecretKeyRef,
    CloudRunV2ServiceTemplateContainersPorts,
    CloudRunV2ServiceTemplateContainersResources,
    CloudRunV2ServiceTemplateScaling,
    CloudRunV2ServiceTemplateVpcAccess,
    CloudRunV2ServiceTemplateVpcAccessNetworkInterfaces,
)
from cdktf_cdktf_provider_google.cloud_run_v2_service_iam_member import CloudRunV2ServiceIamMember
from cdktf_cdktf_provider_google.cloud_scheduler_job import (
    CloudSchedulerJob,
    CloudSchedulerJobHttpTarget,
    CloudSchedulerJobHttpTargetOauthToken,
)
from cdktf_cdktf_provider_google.provider import GoogleProvider
from cdktf_cdktf_provider_google.secret_manager_secret_iam_member import SecretManagerSecretIamMember
from cdktf_cdktf_provider_google.service_account import ServiceAccount
from cdktf_cdktf_provider_google.storage_bucket_iam_member import StorageBucketIamMember
from constructs import Construct

from dativo_infra.config.schema import GCP_SERVICE_MAX_TIMEOUT_SECONDS, JobConfig
from dativo_infra.contract import OUTPUTS, RuntimeType
from dativo_infra.naming import GCP_CLOUD_RUN, GCP_SCHEDULER_JOB, GCP_SERVICE_ACCOUNT, short_hash
from dativo_infra.settings import PlatformSettings

#: Construct id of the provider inside the stack (part of the contract: it names the provider block).
PROVIDER_ID = "google"

#: Predefined Cloud Storage roles per access level (cloud.google.com/storage/docs/access-control/iam-roles):
#: objectViewer = get + list; objectCreator = create only (no read, no delete, so no overwrite of an
#: existing object); objectUser = create, get, list, update, delete (no ACL / IAM management).
STORAGE_ROLES: dict[str, str] = {
    "read": "roles/storage.objectViewer",
    "write": "roles/storage.objectCreator",
    "read_write": "roles/storage.objectUser",
}
SECRET_ACCESSOR_ROLE = "roles/secretmanager.secretAccessor"
RUN_INVOKER_ROLE = "roles/run.invoker"

#: Cloud Run ingress per job ingress. ``none`` keeps the service internal and grants no invoker.
INGRESS: dict[str, str] = {
    "internal": "INGRESS_TRAFFIC_INTERNAL_ONLY",
    "external": "INGRESS_TRAFFIC_ALL",
    "none": "INGRESS_TRAFFIC_INTERNAL_ONLY",
}
#: Member granted ``roles/run.invoker`` on a service whose ingress is ``external`` (e.g. a public
#: webhook receiver). ``internal`` services get no public binding: callers inside the VPC must
#: present an identity token of a principal the platform team grants ``roles/run.invoker``.
PUBLIC_INVOKER = "allUsers"

#: Cloud Run's longest request timeout for services (jobs allow longer task timeouts); the schema
#: rejects a longer one for mode service, and so does :class:`Runtime` (never silently capped).
SERVICE_MAX_TIMEOUT_SECONDS = GCP_SERVICE_MAX_TIMEOUT_SECONDS
#: The display name of a service account is at most 100 characters.
DISPLAY_NAME_MAX = 100

_SECRET_VERSION = re.compile(r"^(?P<secret>.+)/versions/(?P<version>[^/]+)$")
_NONE = "none"


# ---------------------------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ResourceNames:
    """The cloud names of one job's resources, all derived from the stack name."""

    service_account_id: str
    """Runtime service account id (``<stack>-run``, 6-30 chars)."""
    scheduler_account_id: str
    """Scheduler invoker service account id (``<stack>-sched``, 6-30 chars)."""
    cloud_run: str
    """Cloud Run service or job name (<= 49 chars)."""
    scheduler_job: str
    """Cloud Scheduler job id (<= 500 chars)."""


def resource_names(name: str) -> ResourceNames:
    """Deterministic, valid GCP names for the stack ``name``.

    The two service accounts end in different suffixes so the runtime account of one job can never
    take the id of another job's scheduler account (``acme-x-sched`` vs ``acme-x`` + ``-sched``).
    """
    return ResourceNames(
        service_account_id=_account_id(name, "run"),
        scheduler_account_id=_account_id(name, "sched"),
        cloud_run=GCP_CLOUD_RUN.make(name),
        scheduler_job=GCP_SCHEDULER_JOB.make(name),
    )


def _account_id(name: str, suffix: str) -> str:
    """``<name>-<suffix>`` as a service account id; a long name is cut (and hashed) before the suffix,
    so the suffix stays readable. The result passes through :data:`GCP_SERVICE_ACCOUNT` once more."""
    base_rule = replace(GCP_SERVICE_ACCOUNT, min_len=1, max_len=GCP_SERVICE_ACCOUNT.max_len - len(suffix) - 1)
    return GCP_SERVICE_ACCOUNT.make(base_rule.make(name), suffix)


def split_secret(reference: str) -> tuple[str, str]:
    """``projects/p/secrets/s[/versions/v]`` or ``s[/versions/v]`` -> (secret, version).

    Without a ``/versions/`` part the version is ``latest``.
    """
    match = _SECRET_VERSION.match(reference)
    if match:
        return match.group("secret"), match.group("version")
    return reference, "latest"


def run_job_uri(project_id: str, region: str, job_name: str) -> str:
    """Cloud Run Admin API v2 URL that starts one execution of a job."""
    return f"https://run.googleapis.com/v2/projects/{project_id}/locations/{region}/jobs/{job_name}:run"


# ---------------------------------------------------------------------------------------------
# Props
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BucketGrant:
    """One GCS bucket the runtime service account may use."""

    bucket: str
    """Bucket name (not a URL)."""
    access: Literal["read", "write", "read_write"] = "read"
    """Access level, mapped by :data:`STORAGE_ROLES`. Unset: read (objectViewer)."""


@dataclass(frozen=True)
class Props:
    """Everything the Cloud Run runtime needs; built from a job by :func:`props_from_job`."""

    name: str
    """Stack name; every cloud name derives from it (:func:`resource_names`). Required."""
    job_name: str
    """The job's name, shown in service account display names and descriptions. Required."""
    project_id: str
    """GCP project holding every resource. Required."""
    region: str
    """Region of the Cloud Run service/job and the scheduler job. Required."""
    mode: Literal["job", "service"] = "job"
    """``job``: a Cloud Run job (manual or scheduled); ``service``: a Cloud Run service. Unset: job."""
    image: str = "ghcr.io/dativo-io/dativo-ingest:latest"
    """Container image. Unset: the platform image."""
    command: tuple[str, ...] = ()
    """Container command (entrypoint). Empty: the image's entrypoint."""
    cpu_millicores: int = 1000
    """CPU limit in millicores; rendered as whole cpus (``"1"``, ``"2"``). Unset: 1 cpu."""
    memory_mib: int = 2048
    """Memory limit in MiB, rendered as ``"<n>Mi"``. Unset: 2048Mi."""
    timeout_seconds: int = 3600
    """Task timeout (job, up to 86400 s) or request timeout (service, at most 3600 s: a longer one is a
    ``ValueError``, as Cloud Run would reject it). Unset: 3600."""
    retries: int = 0
    """Job mode: retries of a failed task (``max_retries``). Unset: 0."""
    parallelism: int = 1
    """Job mode: tasks per execution, all run in parallel (task_count = parallelism). Unset: 1."""
    min_instances: int = 1
    """Service mode: minimum instances. Unset: 1."""
    max_instances: int = 1
    """Service mode: maximum instances. Unset: 1."""
    port: int = 8080
    """Service mode: container port. Unset: 8080."""
    ingress: Literal["none", "internal", "external"] = "internal"
    """Service mode: internal (VPC only, any caller) / external (everyone) / none (internal ingress,
    no invoker grant: only principals already holding run.invoker). Unset: internal."""
    schedule: str | None = None
    """Job mode: 5-field cron run by Cloud Scheduler. None: no scheduler (manual runs only)."""
    schedule_timezone: str = "UTC"
    """IANA time zone of ``schedule``. Unset: UTC."""
    env: Mapping[str, str] = field(default_factory=dict)
    """Plain environment variables. Empty: none."""
    secret_env: Mapping[str, str] = field(default_factory=dict)
    """Variables filled from Secret Manager: name -> secret (``[projects/p/secrets/]s[/versions/v]``,
    version ``latest`` when absent). Empty: none."""
    storage: tuple[BucketGrant, ...] = ()
    """Buckets the service account may use. Empty: no bucket grant."""
    secrets: tuple[str, ...] = ()
    """Secrets the service account may read (secretAccessor). Secrets referenced by ``secret_env`` are
    granted as well. Empty: only those."""
    vpc_network: str | None = None
    """VPC network for direct VPC egress. None (and no subnetwork): Cloud Run's default egress. None with a
    subnetwork: the subnetwork's network."""
    vpc_subnetwork: str | None = None
    """Subnetwork for direct VPC egress. None with a network: Cloud Run uses the subnetwork that has the
    same name as the network, in the service's region (it must exist, e.g. an auto-mode network's)."""
    deletion_protection: bool = False
    """Terraform-side deletion protection of the service/job. Unset: False (props_from_job: the
    runtime's setting, else True in prod)."""


def props_from_job(config: JobConfig, name: str) -> Props:
    """Map a (literal-escaped) job config onto :class:`Props`; ``name`` is the stack name."""
    runtime = config.runtime  # the schema guarantees project_id and at most one subnetwork
    assert runtime.project_id is not None
    deletion_protection = (
        runtime.deletion_protection
        if runtime.deletion_protection is not None
        else config.environment == "prod"
    )
    return Props(
        name=name,
        job_name=config.job_name,
        project_id=runtime.project_id,
        region=config.infrastructure.region,
        mode=runtime.mode,
        image=runtime.image,
        command=tuple(runtime.command),
        cpu_millicores=runtime.cpu_millicores,
        memory_mib=runtime.memory_mib,
        timeout_seconds=runtime.timeout_seconds,
        retries=runtime.retries,
        parallelism=runtime.scaling.parallelism,
        min_instances=runtime.scaling.min_replicas,
        max_instances=runtime.scaling.max_replicas,
        port=runtime.port,
        ingress=runtime.ingress,
        schedule=runtime.schedule,
        schedule_timezone=runtime.schedule_timezone,
        env=dict(sorted(runtime.env.items())),
        secret_env=dict(sorted(runtime.secrets.items())),
        storage=tuple(BucketGrant(g.bucket, g.access) for g in runtime.permissions.storage),
        secrets=tuple(runtime.permissions.secrets),
        vpc_network=runtime.network.vpc_id,
        vpc_subnetwork=runtime.network.subnet_ids[0] if runtime.network.subnet_ids else None,
        deletion_protection=deletion_protection,
    )


# ---------------------------------------------------------------------------------------------
# Provider
# ---------------------------------------------------------------------------------------------
def configure_provider(
    stack: TerraformStack, config: JobConfig, settings: PlatformSettings
) -> GoogleProvider:
    """The google provider for the job's project and region.

    No ``default_labels``: the TaggingAspect sets ``labels`` on each resource. The provider's own
    ``goog-terraform-provisioned`` attribution label is switched off: it would count toward GCP's
    64-labels-per-resource limit behind our back, and that limit is checked when tags are rendered.
    ``settings`` is unused (the local emulator target is AWS-only).
    """
    del settings
    return GoogleProvider(
        stack,
        PROVIDER_ID,
        project=config.runtime.project_id,
        region=config.infrastructure.region,
        add_terraform_attribution_label=False,
    )


# ---------------------------------------------------------------------------------------------
# Construct
# ---------------------------------------------------------------------------------------------
class Runtime(Construct):
    """The Cloud Run runtime of one job. ``outputs`` holds every contract output (never null)."""

    def __init__(self, scope: Construct, id: str, props: Props) -> None:
        super().__init__(scope, id)
        self.props = props
        self.names = resource_names(props.name)

        self.service_account = ServiceAccount(
            self,
            "service-account",
            account_id=self.names.service_account_id,
            display_name=f"Dativo runtime of job {props.job_name}"[:DISPLAY_NAME_MAX],
            description=f"Runs the Cloud Run {props.mode} of the Dativo stack {props.name}"[:256],
            project=props.project_id,
        )
        self.member = f"serviceAccount:{self.service_account.email}"
        secret_grants = self._grant_secrets()
        self._grant_storage()

        self.service: CloudRunV2Service | None = None
        self.job: CloudRunV2Job | None = None
        self.scheduler: CloudSchedulerJob | None = None
        if props.mode == "service":
            self.service = self._service(secret_grants)
            cloud_run_name: Any = self.service.name
            service_url: Any = self.service.uri
        else:
            self.job = self._job(secret_grants)
            cloud_run_name = self.job.name
            service_url = _NONE
            if props.schedule is not None:
                self.scheduler = self._scheduler(self.job)

        self.outputs: dict[str, Any] = {
            "service_name": cloud_run_name,
            "project_id": props.project_id,
            "region": props.region,
            "service_url": service_url,
            "service_account_email": self.service_account.email,
            "scheduler_job_name": self.scheduler.name if self.scheduler is not None else _NONE,
        }
        mismatch = set(OUTPUTS[RuntimeType.GCP_CLOUD_RUN]) ^ set(self.outputs)
        if mismatch:  # a contract change must be reflected here
            raise AssertionError(f"gcp_cloud_run outputs out of sync with the contract: {sorted(mismatch)}")

    # -- IAM -----------------------------------------------------------------------------------
    def _grant_storage(self) -> list[StorageBucketIamMember]:
        grants = sorted({(g.bucket, STORAGE_ROLES[g.access]) for g in self.props.storage})
        return [
            StorageBucketIamMember(
                self,
                f"storage-{short_hash(bucket + ' ' + role)}",
                bucket=bucket,
                role=role,
                member=self.member,
            )
            for bucket, role in grants
        ]

    def _grant_secrets(self) -> list[SecretManagerSecretIamMember]:
        secrets = {split_secret(s)[0] for s in self.props.secrets}
        secrets |= {split_secret(s)[0] for s in self.props.secret_env.values()}
        return [
            SecretManagerSecretIamMember(
                self,
                f"secret-{short_hash(secret)}",
                secret_id=secret,
                role=SECRET_ACCESSOR_ROLE,
                member=self.member,
            )
            for secret in sorted(secrets)
        ]

    # -- container pieces ----------------------------------------------------------------------
    def _limits(self) -> dict[str, str]:
        return {"cpu": str(self.props.cpu_millicores // 1000), "memory": f"{self.props.memory_mib}Mi"}

    def _env_items(self) -> list[tuple[str, str | None, tuple[str, str] | None]]:
        """(name, value, (secret, version)) sorted by name, plain and secret variables together."""
        items: list[tuple[str, str | None, tuple[str, str] | None]] = [
            (k, v, None) for k, v in self.props.env.items()
        ]
        items += [(k, None, split_secret(ref)) for k, ref in self.props.secret_env.items()]
        return sorted(items, key=lambda item: item[0])

    # -- service -------------------------------------------------------------------------------
    def _service(self, depends_on: list[SecretManagerSecretIamMember]) -> CloudRunV2Service:
        props = self.props
        if props.timeout_seconds > SERVICE_MAX_TIMEOUT_SECONDS:
            raise ValueError(
                f"a Cloud Run service request timeout is at most {SERVICE_MAX_TIMEOUT_SECONDS} s, "
                f"got {props.timeout_seconds}"
            )
        env = [
            CloudRunV2ServiceTemplateContainersEnv(name=n, value=v)
            if ref is None
            else CloudRunV2ServiceTemplateContainersEnv(
                name=n,
                value_source=CloudRunV2ServiceTemplateContainersEnvValueSource(
                    secret_key_ref=CloudRunV2ServiceTemplateContainersEnvValueSourceSecretKeyRef(
                        secret=ref[0], version=ref[1]
                    )
                ),
            )
            for n, v, ref in self._env_items()
        ]
        container = CloudRunV2ServiceTemplateContainers(
            image=props.image,
            command=list(props.command) or None,
            ports=CloudRunV2ServiceTemplateContainersPorts(container_port=props.port),
            resources=CloudRunV2ServiceTemplateContainersResources(limits=self._limits()),
            env=env or None,
        )
        vpc = None
        if props.vpc_network or props.vpc_subnetwork:
            vpc = CloudRunV2ServiceTemplateVpcAccess(
                network_interfaces=[
                    CloudRunV2ServiceTemplateVpcAccessNetworkInterfaces(
                        network=props.vpc_network, subnetwork=props.vpc_subnetwork
                    )
                ]
            )
        service = CloudRunV2Service(
            self,
            "service",
            name=self.names.cloud_run,
            location=props.region,
            project=props.project_id,
            ingress=INGRESS[props.ingress],
            deletion_protection=props.deletion_protection,
            template=CloudRunV2ServiceTemplate(
                service_account=self.service_account.email,
                timeout=f"{props.timeout_seconds}s",
                scaling=CloudRunV2ServiceTemplateScaling(
                    min_instance_count=props.min_instances, max_instance_count=props.max_instances
                ),
                containers=[container],
                vpc_access=vpc,
            ),
            depends_on=list(depends_on) or None,
        )
        if props.ingress == "external":
            CloudRunV2ServiceIamMember(
                self,
                "invoker",
                name=service.name,
                location=props.region,
                project=props.project_id,
                role=RUN_INVOKER_ROLE,
                member=PUBLIC_INVOKER,
            )
        return service

    # -- job -----------------------------------------------------------------------------------
    def _job(self, depends_on: list[SecretManagerSecretIamMember]) -> CloudRunV2Job:
        props = self.props
        env = [
            CloudRunV2JobTemplateTemplateContainersEnv(name=n, value=v)
            if ref is None
            else CloudRunV2JobTemplateTemplateContainersEnv(
                name=n,
                value_source=CloudRunV2JobTemplateTemplateContainersEnvValueSource(
                    secret_key_ref=CloudRunV2JobTemplateTemplateContainersEnvValueSourceSecretKeyRef(
                        secret=ref[0], version=ref[1]
                    )
                ),
            )
            for n, v, ref in self._env_items()
        ]
        container = CloudRunV2JobTemplateTemplateContainers(
            image=props.image,
            command=list(props.command) or None,
            resources=CloudRunV2JobTemplateTemplateContainersResources(limits=self._limits()),
            env=env or None,
        )
        vpc = None
        if props.vpc_network or props.vpc_subnetwork:
            vpc = CloudRunV2JobTemplateTemplateVpcAccess(
                network_interfaces=[
                    CloudRunV2JobTemplateTemplateVpcAccessNetworkInterfaces(
                        network=props.vpc_network, subnetwork=props.vpc_subnetwork
                    )
                ]
            )
        return CloudRunV2Job(
            self,
            "job",
            name=self.names.cloud_run,
            location=props.region,
            project=props.project_id,
            deletion_protection=props.deletion_protection,
            template=CloudRunV2JobTemplate(
                task_count=props.parallelism,
                parallelism=props.parallelism,
                template=CloudRunV2JobTemplateTemplate(
                    service_account=self.service_account.email,
                    timeout=f"{props.timeout_seconds}s",
                    max_retries=props.retries,
                    containers=[container],
                    vpc_access=vpc,
                ),
            ),
            depends_on=list(depends_on) or None,
        )

    # -- scheduler -----------------------------------------------------------------------------
    def _scheduler(self, job: CloudRunV2Job) -> CloudSchedulerJob:
        props = self.props
        invoker = ServiceAccount(
            self,
            "scheduler-service-account",
            account_id=self.names.scheduler_account_id,
            display_name=f"Dativo scheduler of job {props.job_name}"[:DISPLAY_NAME_MAX],
            description=f"Starts the Cloud Run job of the Dativo stack {props.name} on its schedule"[:256],
            project=props.project_id,
        )
        grant = CloudRunV2JobIamMember(
            self,
            "scheduler-invoker",
            name=job.name,
            location=props.region,
            project=props.project_id,
            role=RUN_INVOKER_ROLE,
            member=f"serviceAccount:{invoker.email}",
        )
        return CloudSchedulerJob(
            self,
            "scheduler",
            name=self.names.scheduler_job,
            description=f"Runs the Cloud Run job of {props.job_name}"[:500],
            project=props.project_id,
            region=props.region,
            schedule=props.schedule,
            time_zone=props.schedule_timezone,
            http_target=CloudSchedulerJobHttpTarget(
                uri=run_job_uri(props.project_id, props.region, self.names.cloud_run),
                http_method="POST",
                oauth_token=CloudSchedulerJobHttpTargetOauthToken(
                    service_account_email=invoker.email,
                    scope="https://www.googleapis.com/auth/cloud-platform",
                ),
            ),
            depends_on=[grant, job],
        )
