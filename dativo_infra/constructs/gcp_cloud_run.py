"""GCP Cloud Run runtime: a Cloud Run v2 service (mode ``service``) or job (mode ``job``).

Resources (construct ids are part of the contract: renaming one replaces the cloud resource):

* ``service_account``: the service account the container runs as (none with
  ``existing.service_account_email``: the container runs as that account, and nothing is granted to it);
* EITHER ``service`` (a Cloud Run v2 service) with one ``roles/run.invoker`` binding per member of
  ``invokers`` (``invoker`` for ``allUsers``, ``invoker_<hash>`` for the others; nobody is granted
  implicitly, whatever the ingress), OR ``job`` (a Cloud Run v2 job), never both. Both are built by one container
  builder; only the resource around it differs;
* ``storage_<hash>``: a bucket IAM member per storage grant, with an IAM condition on the object name
  when the grant has a ``prefix``; ``secret_<hash>``: a Secret Manager
  accessor per secret; ``role_<hash>``: one IAM member per extra role (:mod:`.gcp_cloud_run_roles`);
* with ``encryption_key``: ``cmek_project`` (a ``google_project`` data source, for the project number) and
  ``cmek_grant`` (the Cloud Run service agent's ``roles/cloudkms.cryptoKeyEncrypterDecrypter`` on the key,
  :mod:`.gcp_cloud_run_cmek`), made before the service or job;
* inside the template (no resources): VPC access, probes, secret volumes, execution environment
  (:mod:`.gcp_cloud_run_template`);
* for a scheduled job: ``scheduler`` (a Cloud Scheduler job, with its retries and attempt deadline),
  ``scheduler_service_account`` and ``scheduler_invoker``, built in this scope by
  :func:`~.gcp_cloud_run_schedule.scheduler`.

These ids were written with hyphens before (``service-account``, ``storage-<hash>``, ...); each resource
whose id changed carries a ``moved`` block from its old address, so a stack deployed with the old ids
is updated in place, not replaced.

The construct takes the typed runtime model (:class:`~dativo_infra.config.runtimes.GcpCloudRunRuntime`,
whose fields say what an unset field does) and the job's :class:`~.registry.Placement`. Sizes, names and
secret references come from :mod:`dativo_infra.clouds.gcp`, the rules validation uses. Labels are not
set here: the stack's TaggingAspect sets ``labels`` on every resource that has them. Every string from
the job is already literal-escaped (``$${``) by the stack.
"""

from __future__ import annotations

import functools
import hashlib
from typing import Any, TypeVar

from constructs import Construct

from dativo_infra.cdk import ITerraformDependable, TerraformResource, TerraformStack, provider_google
from dativo_infra.clouds import gcp
from dativo_infra.config.runtimes import GcpCloudRunRuntime
from dativo_infra.config.settings import PlatformSettings
from dativo_infra.constructs import gcp_cloud_run_template as template
from dativo_infra.constructs.gcp_cloud_run_cmek import grant_run_agent
from dativo_infra.constructs.gcp_cloud_run_roles import grant_roles
from dativo_infra.constructs.gcp_cloud_run_schedule import scheduler
from dativo_infra.constructs.gcp_cloud_run_template import JOB, SERVICE, Bindings
from dativo_infra.constructs.registry import Placement
from dativo_infra.naming import short_hash

#: Construct id of the provider inside the stack (part of the contract: it names the provider block).
PROVIDER_ID = "google"

#: Predefined Cloud Storage roles per access level (the rule lives in :mod:`dativo_infra.clouds.gcp`).
STORAGE_ROLES: dict[str, str] = gcp.STORAGE_ROLES
SECRET_ACCESSOR_ROLE = "roles/secretmanager.secretAccessor"
RUN_INVOKER_ROLE = gcp.RUN_INVOKER_ROLE

#: Cloud Run ingress per job ingress. ``none`` keeps the service internal and grants no invoker.
INGRESS: dict[str, str] = {
    "internal": "INGRESS_TRAFFIC_INTERNAL_ONLY",
    "external": "INGRESS_TRAFFIC_ALL",
    "none": "INGRESS_TRAFFIC_INTERNAL_ONLY",
}
#: The public invoker: its binding keeps the construct id ``invoker`` it had when ingress ``external``
#: granted it implicitly, so a deployed stack that now lists it by name is not replaced.
PUBLIC_INVOKER = "allUsers"


def invoker_id(member: str) -> str:
    """Construct id of the ``roles/run.invoker`` binding of ``member``: ``invoker`` for ``allUsers``
    (its id from before invokers were a list), ``invoker_<hash of the member>`` for every other one."""
    return "invoker" if member == PUBLIC_INVOKER else f"invoker_{short_hash(member)}"


_Resource = TypeVar("_Resource", bound=TerraformResource)


@functools.cache
def _resource_type(cls: type[TerraformResource]) -> str:
    """The Terraform type of a resource binding class (read once per class: a jsii call)."""
    return str(cls.TF_RESOURCE_TYPE)  # type: ignore[attr-defined]


def configure_provider(
    stack: TerraformStack, placement: Placement, runtime: GcpCloudRunRuntime, settings: PlatformSettings
) -> None:
    """The google provider for the job's project and region.

    No ``default_labels``: the TaggingAspect sets ``labels`` on each resource. The provider's own
    ``goog-terraform-provisioned`` attribution label is switched off: it would count toward GCP's
    64-labels-per-resource limit behind our back, and that limit is checked when tags are rendered.
    ``settings`` is unused (the local emulator target is AWS-only).
    """
    del settings
    provider_google.provider.GoogleProvider(
        stack,
        PROVIDER_ID,
        project=runtime.project_id,
        region=placement.region,
        add_terraform_attribution_label=False,
    )


class Runtime(Construct):
    """The Cloud Run runtime of one job. ``outputs`` holds every contract output (never null)."""

    def __init__(self, scope: Construct, id: str, runtime: GcpCloudRunRuntime, placement: Placement) -> None:
        super().__init__(scope, id)
        # The job stack is the scope (known here: no TerraformStack.of round trip to Node).
        self._stack = scope if isinstance(scope, TerraformStack) else TerraformStack.of(self)
        self.runtime = runtime
        self.placement = placement
        self.names = gcp.resource_names(placement.name)
        self._id = id
        self._renamed: list[tuple[type[TerraformResource], str]] = []

        self.service_account: provider_google.service_account.ServiceAccount | None = None
        grants: list[TerraformResource] = []
        if runtime.existing.service_account_email is not None:
            # given: nothing is created or granted (validation refused permissions with it)
            self.service_account_email: Any = runtime.existing.service_account_email
        else:
            self.service_account = self._renamed_resource(
                provider_google.service_account.ServiceAccount,
                "service_account",
                account_id=self.names.service_account_id,
                display_name=f"Dativo runtime of job {placement.job_name}"[: gcp.DISPLAY_NAME_MAX],
                description=f"Runs the Cloud Run {runtime.mode} of the Dativo stack {placement.name}"[:256],
                project=runtime.project_id,
            )
            self.service_account_email = self.service_account.email
            # read once: every attribute read is a jsii round trip to Node
            self.member = f"serviceAccount:{self.service_account_email}"
            grants += self._grant_secrets()
            self._grant_storage()
            grant_roles(self, runtime, self.member)

        if (key_grant := grant_run_agent(self, runtime)) is not None:
            grants.append(key_grant)

        self.service: provider_google.cloud_run_v2_service.CloudRunV2Service | None = None
        self.job: provider_google.cloud_run_v2_job.CloudRunV2Job | None = None
        self.scheduler: provider_google.cloud_scheduler_job.CloudSchedulerJob | None = None
        if runtime.mode == "service":
            self.service = self._service(grants)
            cloud_run_name: Any = self.service.name
        else:
            self.job = self._job(grants)
            cloud_run_name = self.job.name
            if runtime.schedule is not None:
                self.scheduler = scheduler(
                    self, runtime, placement, self._renamed_resource, self.job, runtime.schedule
                )

        # Only the outputs that exist for this configuration (contract.exported_outputs says which).
        self.outputs: dict[str, Any] = {
            "service_name": cloud_run_name,
            "project_id": runtime.project_id,
            "region": placement.region,
            "service_account_email": self.service_account_email,
        }
        if self.service is not None:
            self.outputs["service_url"] = self.service.uri
        if self.scheduler is not None:
            self.outputs["scheduler_job_name"] = self.scheduler.name
        self._write_moved()

    def _renamed_resource(self, cls: type[_Resource], construct_id: str, **config: Any) -> _Resource:
        """A resource whose construct id had hyphens before (``service-account``): created, and recorded
        for a ``moved`` block from its old address (:meth:`_write_moved`)."""
        self._renamed.append((cls, construct_id))
        return cls(self, construct_id, **config)

    def _write_moved(self) -> None:
        """The ``moved`` blocks of every renamed resource: cdktf's logical id of a resource directly in
        this construct is ``<this id>_<resource id>_<first 8 hex of md5("<this id>/<resource id>")>``."""
        moves = []
        for cls, new_id in self._renamed:
            old_id = new_id.replace("_", "-")
            if old_id != new_id:
                kind = _resource_type(cls)
                moves.append(
                    {"from": f"{kind}.{self._logical_id(old_id)}", "to": f"{kind}.{self._logical_id(new_id)}"}
                )
        if moves:
            self._stack.add_override("moved", moves)

    def _logical_id(self, construct_id: str) -> str:
        path = f"{self._id}/{construct_id}"  # md5: cdktf's own logical-id hash, not a security use
        digest = hashlib.md5(path.encode()).hexdigest()[:8].upper()
        return f"{self._id}_{construct_id}_{digest}"

    # -- IAM -----------------------------------------------------------------------------------
    def _grant_storage(self) -> list[provider_google.storage_bucket_iam_member.StorageBucketIamMember]:
        """One bucket IAM member per (bucket, role, prefix). A grant without a prefix keeps its id
        ``storage_<hash of bucket and role>``; a prefixed one is ``storage_<hash of bucket, role and
        prefix>`` with an IAM condition on the object name (:func:`gcp.prefix_condition`)."""
        storage = self.runtime.permissions.storage
        grants = sorted({(g.bucket, STORAGE_ROLES[g.access], g.prefix) for g in storage})
        members = []
        for bucket, role, prefix in grants:
            if not prefix:
                members.append(
                    self._renamed_resource(
                        provider_google.storage_bucket_iam_member.StorageBucketIamMember,
                        f"storage_{short_hash(bucket + ' ' + role)}",
                        bucket=bucket,
                        role=role,
                        member=self.member,
                    )
                )
                continue
            condition = provider_google.storage_bucket_iam_member.StorageBucketIamMemberCondition(
                title=f"dativo prefix {short_hash(prefix)}",
                description=f"{role} of {self.placement.name} on gs://{bucket}/{prefix} only"[:256],
                expression=gcp.prefix_condition(bucket, prefix),
            )
            members.append(
                provider_google.storage_bucket_iam_member.StorageBucketIamMember(
                    self,
                    f"storage_{short_hash(bucket + ' ' + role + ' ' + prefix)}",
                    bucket=bucket,
                    role=role,
                    member=self.member,
                    condition=condition,
                )
            )
        return members

    def _grant_secrets(
        self,
    ) -> list[provider_google.secret_manager_secret_iam_member.SecretManagerSecretIamMember]:
        """One accessor per secret the container reads: env secrets, secret volumes, permissions.secrets."""
        return [
            self._renamed_resource(
                provider_google.secret_manager_secret_iam_member.SecretManagerSecretIamMember,
                f"secret_{short_hash(secret)}",
                secret_id=secret,
                role=SECRET_ACCESSOR_ROLE,
                member=self.member,
            )
            for secret in self.runtime.secret_ids()
        ]

    # -- the container, shared by service and job ------------------------------------------------
    def _container(self, kinds: Bindings, resources: dict[str, Any], **extra: Any) -> Any:
        """The one container: image, command, cpu/memory limits, env (plain and secret, by name), the
        mounts of the secret volumes."""
        runtime = self.runtime
        env = [kinds.env(name=name, value=value) for name, value in runtime.env.items()]
        for name, reference in runtime.secrets.items():
            secret, version = gcp.split_secret(reference)
            source = kinds.value_source(secret_key_ref=kinds.secret_key_ref(secret=secret, version=version))
            env.append(kinds.env(name=name, value_source=source))
        env.sort(key=lambda item: item.name)
        limits = {"cpu": str(runtime.cpu_millicores // 1000), "memory": f"{runtime.memory_mib}Mi"}
        return kinds.container(
            image=runtime.image,
            command=list(runtime.command) or None,
            resources=kinds.resources(limits=limits, **resources),
            env=env or None,
            volume_mounts=template.volumes(kinds, runtime)[1],
            **extra,
        )

    def _depends_on(self, grants: list[TerraformResource]) -> list[ITerraformDependable] | None:
        """The secret and key grants the revision needs before it can start."""
        return list[ITerraformDependable](grants) or None

    # -- service -------------------------------------------------------------------------------
    def _service(
        self, depends_on: list[TerraformResource]
    ) -> provider_google.cloud_run_v2_service.CloudRunV2Service:
        runtime, region = self.runtime, self.placement.region
        resources = {"cpu_idle": runtime.cpu_idle, "startup_cpu_boost": runtime.startup_cpu_boost or None}
        service = provider_google.cloud_run_v2_service.CloudRunV2Service(
            self,
            "service",
            name=self.names.cloud_run,
            location=region,
            project=runtime.project_id,
            ingress=INGRESS[runtime.ingress],
            deletion_protection=runtime.deletion_protected(self.placement.environment),
            template=provider_google.cloud_run_v2_service.CloudRunV2ServiceTemplate(
                service_account=self.service_account_email,
                timeout=f"{runtime.timeout_seconds}s",
                scaling=provider_google.cloud_run_v2_service.CloudRunV2ServiceTemplateScaling(
                    min_instance_count=runtime.scaling.min_replicas,
                    max_instance_count=runtime.scaling.max_replicas,
                ),
                containers=[
                    self._container(
                        SERVICE,
                        resources,
                        ports=provider_google.cloud_run_v2_service.CloudRunV2ServiceTemplateContainersPorts(
                            container_port=runtime.port
                        ),
                        **template.probes(runtime),
                    )
                ],
                vpc_access=template.vpc_access(SERVICE, runtime, region),
                volumes=template.volumes(SERVICE, runtime)[0],
                execution_environment=template.execution_environment(runtime),
                encryption_key=runtime.encryption_key,
            ),
            depends_on=self._depends_on(depends_on),
        )
        if runtime.invokers:
            service_name = service.name  # one read (a jsii round trip) for every invoker
            for member in runtime.invokers:
                provider_google.cloud_run_v2_service_iam_member.CloudRunV2ServiceIamMember(
                    self,
                    invoker_id(member),
                    name=service_name,
                    location=region,
                    project=runtime.project_id,
                    role=RUN_INVOKER_ROLE,
                    member=member,
                )
        return service

    # -- job -----------------------------------------------------------------------------------
    def _job(self, depends_on: list[TerraformResource]) -> provider_google.cloud_run_v2_job.CloudRunV2Job:
        runtime = self.runtime
        return provider_google.cloud_run_v2_job.CloudRunV2Job(
            self,
            "job",
            name=self.names.cloud_run,
            location=self.placement.region,
            project=runtime.project_id,
            deletion_protection=runtime.deletion_protected(self.placement.environment),
            template=provider_google.cloud_run_v2_job.CloudRunV2JobTemplate(
                task_count=runtime.scaling.parallelism,
                parallelism=runtime.scaling.parallelism,
                template=provider_google.cloud_run_v2_job.CloudRunV2JobTemplateTemplate(
                    service_account=self.service_account_email,
                    timeout=f"{runtime.timeout_seconds}s",
                    max_retries=runtime.retries,
                    containers=[self._container(JOB, {})],
                    vpc_access=template.vpc_access(JOB, runtime, self.placement.region),
                    volumes=template.volumes(JOB, runtime)[0],
                    execution_environment=template.execution_environment(runtime),
                    encryption_key=runtime.encryption_key,
                ),
            ),
            depends_on=self._depends_on(depends_on),
        )
