"""The ``gcp_cloud_run`` runtime model: a Cloud Run v2 job (job mode, optionally on a Cloud Scheduler
schedule) or service (service mode), its fields, defaults and GCP rules.

The rules come from :mod:`dativo_infra.clouds.gcp`, which the construct builds with too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from pydantic import ConfigDict, Field, ValidationInfo, model_validator

from dativo_infra.clouds import Refusal, gcp, gcp_run
from dativo_infra.config.fields import EnvVarName, NonEmpty, Problem, Strict, only_in
from dativo_infra.config.runtimes.base import (
    ALLOWED_PRIVILEGED_ROLES,
    DEFAULT_PROJECT,
    RuntimeBase,
    StorageGrant,
    described,
    timeout_field,
)
from dativo_infra.config.runtimes.gcp_template import (
    GcpNetwork,
    GcpProbes,
    GcpSecretVolume,
    volumes_problems,
)
from dativo_infra.contract import RuntimeType

__all__ = ["GcpCloudRunRuntime", "GcpNetwork", "GcpProbes", "GcpSecretVolume"]


class GcpStorageGrant(StorageGrant):
    """One Cloud Storage bucket the job's service account may use."""

    bucket: NonEmpty = described(StorageGrant, "bucket", "Bare bucket name (no gs://, no object path)")
    access: Literal["read", "write", "read_write"] = described(
        StorageGrant,
        "access",
        "read (objectViewer), write (objectCreator) or read_write (objectUser). Unset: read",
    )
    prefix: str = Field(
        "",
        description="Object name prefix the grant is limited to, by an IAM condition on the bucket binding "
        "(the bucket needs uniform bucket-level access; listing is allowed only with a list prefix under this "
        "one). Unset: the whole bucket",
    )


class GcpRole(Strict):
    """One more IAM role of the job's service account, on the project or on one named resource."""

    role: NonEmpty = Field(
        description="An exact role: roles/<service>.<name> (predefined) or projects/<p>/roles/<id> "
        "(custom). roles/owner, roles/editor and IAM-admin / impersonation roles only when the platform "
        "setting gcp.allowed_privileged_roles names them"
    )
    resource: NonEmpty | None = Field(
        None,
        description="Where the role is granted: [projects/<p>/]datasets/<id> (a BigQuery dataset), "
        "[projects/<p>/]topics/<id> (a Pub/Sub topic) or buckets/<name> (a bucket); without a project, in "
        "project_id. Unset: on the project (project_id)",
    )


class GcpPermissions(Strict):
    """What the job's service account may touch. Unset: nothing beyond the secrets its env references."""

    storage: list[GcpStorageGrant] = Field(default_factory=list, description="Buckets. Unset: none")
    secrets: list[NonEmpty] = Field(
        default_factory=list,
        description="Secret Manager secrets the job reads (projects/<p>/secrets/<name>); secrets referenced by "
        "runtime.secrets are granted anyway. Unset: none",
    )
    roles: list[GcpRole] = Field(
        default_factory=list,
        description="More IAM roles, each on the project or on a dataset, topic or bucket (one "
        "*_iam_member each). Unset: none",
    )

    def given(self) -> list[str]:
        """The names of the fields that grant something, in field order."""
        return [name for name in ("storage", "secrets", "roles") if getattr(self, name)]


class GcpExisting(Strict):
    """An identity the job uses instead of creating its own. Unset: the stack creates it."""

    service_account_email: NonEmpty | None = Field(
        None,
        description="An existing service account the container runs as; no service account is created "
        "and nothing is granted to it, so permissions are errors with it (grant them to the account). "
        "Unset: the stack creates the job's service account",
    )


def _seconds(what: str, default: str) -> Any:
    return Field(
        None, ge=0, le=gcp.SCHEDULER_MAX_BACKOFF_SECONDS, description=f"{what}, in seconds. Unset: {default}"
    )


class GcpScheduleRetry(Strict):
    """How Cloud Scheduler retries a failed start of the job (the POST to ``jobs/<job>:run`` failed or
    timed out). A failed *execution* is retried by Cloud Run (``retries``). Unset fields keep Cloud
    Scheduler's defaults."""

    retry_count: int | None = Field(
        None,
        ge=0,
        le=gcp.SCHEDULER_MAX_RETRY_COUNT,
        description=f"Retries of a failed start (0-{gcp.SCHEDULER_MAX_RETRY_COUNT}). Unset: 0, no retry; the "
        "next scheduled time runs anyway",
    )
    min_backoff_seconds: int | None = _seconds("Shortest wait before a retry", "5")
    max_backoff_seconds: int | None = _seconds("Longest wait before a retry", "3600")
    max_doublings: int | None = Field(
        None,
        ge=0,
        le=gcp.SCHEDULER_MAX_DOUBLINGS,
        description="Times the wait doubles before growing linearly. Unset: 5",
    )
    max_retry_duration_seconds: int | None = _seconds(
        "Time limit for retrying, from the first attempt (0: unlimited)", "0, unlimited"
    )


def _project_id_optional(schema: dict[str, Any]) -> None:
    """The JSON schema cannot see the platform settings: project_id may be left to gcp.project_id there."""
    required = schema.get("required", [])
    if "project_id" in required:
        required.remove("project_id")


class GcpCloudRunRuntime(RuntimeBase):
    """A Cloud Run v2 job (job mode) or service (service mode) with its own service account."""

    TYPE: ClassVar[RuntimeType] = RuntimeType.GCP_CLOUD_RUN

    type: Literal[RuntimeType.GCP_CLOUD_RUN] = Field(description="gcp_cloud_run")
    project_id: str = Field(
        pattern=gcp.PROJECT_ID_PATTERN,
        description="The project the runtime is created in. Unset: gcp.project_id of the platform settings "
        "(jobs/platform.yaml); an error when that is unset too",
    )

    model_config = ConfigDict(json_schema_extra=_project_id_optional)

    @model_validator(mode="before")
    @classmethod
    def _platform_project(cls, data: Any, info: ValidationInfo) -> Any:
        """A job without project_id takes the platform's (the validation context's) default project."""
        context = info.context if isinstance(info.context, Mapping) else {}
        if isinstance(data, Mapping) and "project_id" not in data and context.get(DEFAULT_PROJECT):
            return {**data, "project_id": context[DEFAULT_PROJECT]}
        return data

    cpu_millicores: int = described(
        RuntimeBase,
        "cpu_millicores",
        "CPU in millicores: " + ", ".join(map(str, gcp.CPU_MILLICORES)) + ". Unset: 1000",
    )
    memory_mib: int = described(
        RuntimeBase, "memory_mib", "Memory in MiB, within Cloud Run's bounds for the cpu. Unset: 2048"
    )
    timeout_seconds: int = timeout_field(
        "Job mode: longest a task may run; service mode: request timeout (at most "
        f"{gcp.SERVICE_MAX_TIMEOUT_SECONDS}). Unset: 3600"
    )
    schedule: str | None = described(
        RuntimeBase,
        "schedule",
        "Job mode: 5-field unix cron run by Cloud Scheduler (digits, * , - /, JAN-DEC, SUN-SAT; day-of-week "
        "0-7). Unset: no schedule, the job runs when started",
    )
    secrets: dict[EnvVarName, NonEmpty] = described(
        RuntimeBase,
        "secrets",
        "Environment variables from Secret Manager: [projects/<p>/secrets/]<name>[/versions/<v>] (version "
        "latest when absent). Unset: none",
    )
    invokers: list[NonEmpty] = Field(
        default_factory=list,
        description="Service mode: IAM members granted roles/run.invoker on the service, one binding each "
        "(user:<email>, serviceAccount:<email>, group:<email>, domain:<domain>, principal://..., "
        "principalSet://..., allUsers, allAuthenticatedUsers). allUsers only when listed: ingress external "
        "alone grants nobody. Unset: none (callers need a grant made outside the stack)",
        json_schema_extra=only_in("service"),
    )
    schedule_retry: GcpScheduleRetry | None = Field(
        None,
        description="Job mode, with a schedule: retry_config of the Cloud Scheduler job. Unset: Cloud "
        "Scheduler's defaults (no retry)",
        json_schema_extra=only_in("job"),
    )
    schedule_attempt_deadline_seconds: int | None = Field(
        None,
        ge=gcp.SCHEDULER_HTTP_ATTEMPT_DEADLINE_SECONDS[0],
        le=gcp.SCHEDULER_HTTP_ATTEMPT_DEADLINE_SECONDS[1],
        description="Job mode, with a schedule: how long Cloud Scheduler waits for the Cloud Run Admin API "
        "to accept a start (attempt_deadline, 15-1800 for an HTTP target). Unset: Cloud Scheduler's default "
        "(180)",
        json_schema_extra=only_in("job"),
    )
    network: GcpNetwork = Field(default_factory=GcpNetwork)
    probes: GcpProbes | None = Field(
        None,
        description="Service mode: startup and liveness probes of the container. Unset: Cloud Run's default "
        "TCP startup probe on the port, no liveness probe",
        json_schema_extra=only_in("service"),
    )
    cpu_idle: bool = Field(
        True,
        description="Service mode: CPU only while a request is handled (false: CPU always allocated, billed "
        "per instance). Unset: true, Cloud Run's default (written out: the provider drops the default once "
        "resources are set)",
        json_schema_extra=only_in("service"),
    )
    startup_cpu_boost: bool = Field(
        False,
        description="Service mode: more CPU while an instance starts (shorter cold starts). Unset: false",
        json_schema_extra=only_in("service"),
    )
    execution_environment: Literal["gen1", "gen2"] | None = Field(
        None,
        description="Cloud Run sandbox: gen1 or gen2 (full Linux compatibility, network file systems). "
        "Unset: Cloud Run's default (services: gen1 unless a feature needs gen2; jobs: gen2)",
    )
    volumes: list[GcpSecretVolume] = Field(
        default_factory=list,
        description="Secret Manager secrets mounted as read-only files (the service account is granted "
        "roles/secretmanager.secretAccessor on each, as for runtime.secrets). Unset: none",
    )
    encryption_key: NonEmpty | None = Field(
        None,
        description="CMEK: the Cloud KMS key that encrypts the container image "
        "(projects/<p>/locations/<the job's region>/keyRings/<r>/cryptoKeys/<k>); the Cloud Run service "
        "agent of project_id is granted roles/cloudkms.cryptoKeyEncrypterDecrypter on it. Unset: "
        "Google-managed encryption",
    )
    permissions: GcpPermissions = Field(default_factory=GcpPermissions)
    existing: GcpExisting = Field(default_factory=GcpExisting)
    deletion_protection: bool | None = Field(
        None, description="Cloud Run deletion protection. Unset: on in prod, off elsewhere"
    )

    @staticmethod
    def check_schedule(expression: str) -> None:
        gcp.check_schedule(expression)

    def cloud_problems(self) -> list[Problem]:
        found: list[Problem] = []
        if self.cpu_millicores not in gcp.CPU_MILLICORES:
            allowed = "one of " + ", ".join(map(str, gcp.CPU_MILLICORES))
            found.append(Problem(("cpu_millicores",), "not a Cloud Run cpu", self.cpu_millicores, allowed))
        else:
            low, high = gcp.MEMORY_MIB[self.cpu_millicores]
            if not low <= self.memory_mib <= high:
                problem = f"not valid with cpu_millicores {self.cpu_millicores} on Cloud Run"
                found.append(Problem(("memory_mib",), problem, self.memory_mib, f"{low} to {high}"))
        found += self.network.problems(("network",))
        if self.probes is not None:
            found += self.probes.problems(("probes",))
        found += volumes_problems(self.volumes, ("volumes",))
        if self.mode == "service" and self.timeout_seconds > gcp.SERVICE_MAX_TIMEOUT_SECONDS:
            expected = (
                f"at most {gcp.SERVICE_MAX_TIMEOUT_SECONDS} for mode service (mode job runs up to 86400)"
            )
            problem = "longer than a Cloud Run service request may take"
            found.append(Problem(("timeout_seconds",), problem, self.timeout_seconds, expected))
        found += self._schedule_problems()
        checks: list[tuple[tuple[str | int, ...], str, Refusal | None]] = [
            (("permissions", "storage", index, "bucket"), grant.bucket, gcp.bucket_refusal(grant.bucket))
            for index, grant in enumerate(self.permissions.storage)
        ]
        checks += [
            (("permissions", "storage", index, "prefix"), grant.prefix, gcp.prefix_refusal(grant.prefix))
            for index, grant in enumerate(self.permissions.storage)
            if grant.prefix
        ]
        checks += [
            (("permissions", "secrets", index), secret, gcp.secret_refusal(secret))
            for index, secret in enumerate(self.permissions.secrets)
        ]
        checks += [(("secrets", var), ref, gcp.secret_refusal(ref)) for var, ref in self.secrets.items()]
        checks += [
            (("invokers", index), member, gcp.member_refusal(member))
            for index, member in enumerate(self.invokers)
        ]
        checks += self._role_checks()
        seen: set[str] = set()
        for index, member in enumerate(self.invokers):
            if member in seen:
                checks.append((("invokers", index), member, Refusal("listed twice", "each member once")))
            seen.add(member)
        found += [Problem(where, r.problem, value, r.expected) for where, value, r in checks if r is not None]
        return found + self._existing_problems()

    def _role_checks(self) -> list[tuple[tuple[str | int, ...], str, Refusal | None]]:
        """Each role and resource of permissions.roles well formed, each (role, resource) once."""
        checks: list[tuple[tuple[str | int, ...], str, Refusal | None]] = []
        seen: set[tuple[str, str | None]] = set()
        for index, grant in enumerate(self.permissions.roles):
            where = ("permissions", "roles", index)
            checks.append(((*where, "role"), grant.role, gcp.role_refusal(grant.role)))
            if grant.resource is not None:
                parsed = gcp.parse_role_resource(grant.resource)
                refusal = parsed if isinstance(parsed, Refusal) else None
                checks.append(((*where, "resource"), grant.resource, refusal))
            storage = {  # unconditioned storage grants only: a prefixed one is its own binding
                gcp.STORAGE_ROLES[g.access]
                for g in self.permissions.storage
                if f"buckets/{g.bucket}" == grant.resource and not g.prefix
            }
            if grant.role in storage:
                refusal = Refusal(
                    "permissions.storage grants this role on this bucket already",
                    "the grant once: in permissions.storage (access) or here",
                )
                checks.append(((*where, "role"), grant.role, refusal))
            if (grant.role, grant.resource) in seen:
                checks.append(
                    ((*where, "role"), grant.role, Refusal("listed twice", "each role once per resource"))
                )
            seen.add((grant.role, grant.resource))
        return checks

    def _existing_problems(self) -> list[Problem]:
        """A given service account: well formed, and nothing granted to it (the stack attaches
        permissions only to an account it owns)."""
        email = self.existing.service_account_email
        if email is None:
            return []
        found: list[Problem] = []
        if (refusal := gcp.service_account_email_refusal(email)) is not None:
            found.append(
                Problem(("existing", "service_account_email"), refusal.problem, email, refusal.expected)
            )
        for name in self.permissions.given():
            count = len(getattr(self.permissions, name))
            found.append(
                Problem(
                    ("permissions", name),
                    "the stack grants nothing to a service account it does not own: grant them to the "
                    "account, or drop the field",
                    f"{count} {'entry' if count == 1 else 'entries'}",
                    f"no permissions.{name} with existing.service_account_email",
                )
            )
        return found

    def region_problems(self, region: str) -> list[Problem]:
        """A connector and a CMEK key in the job's region."""
        found = self.network.region_problems(("network",), region)
        key = self.encryption_key
        if key is not None and (refusal := gcp_run.kms_key_refusal(key, region)) is not None:
            found.append(Problem(("encryption_key",), refusal.problem, key, refusal.expected))
        return found

    def secret_ids(self) -> list[str]:
        """Every secret the service account reads (permissions.secrets, runtime.secrets, volumes), each once,
        sorted: the stack grants roles/secretmanager.secretAccessor on each."""
        references = [*self.permissions.secrets, *self.secrets.values(), *(v.secret for v in self.volumes)]
        return sorted({gcp.split_secret(reference)[0] for reference in references})

    def platform_problems(self, context: Mapping[str, Any]) -> list[Problem]:
        """Privileged roles of permissions.roles, unless the platform settings allow them (``context``)."""
        allowed = context.get(ALLOWED_PRIVILEGED_ROLES, ())
        return [
            Problem(("permissions", "roles", index, "role"), refusal.problem, grant.role, refusal.expected)
            for index, grant in enumerate(self.permissions.roles)
            if gcp.role_refusal(grant.role) is None
            and (refusal := gcp.privilege_refusal(grant.role, allowed)) is not None
        ]

    def cloud_warnings(self) -> list[Problem]:
        """A public invoker is valid (a webhook receiver needs it) but worth a second look; a given
        service account must already read the secrets the env references."""
        found = []
        used = [f"secrets.{name}" for name in sorted(self.secrets)]
        used += [f"volumes[{index}]" for index in range(len(self.volumes))]
        if (email := self.existing.service_account_email) is not None and used:
            found.append(
                Problem(
                    ("existing", "service_account_email"),
                    "the stack grants nothing to a service account it does not own: this account must "
                    f"already read {', '.join(used)}, or the container does not start",
                    email,
                    "an account with roles/secretmanager.secretAccessor on these secrets",
                )
            )
        return found + [
            Problem(
                ("invokers", index),
                "anyone on the internet may call the service"
                if member == "allUsers"
                else "anyone with a Google account may call the service",
                member,
                "the groups or service accounts that call it, unless the service is meant to be public",
            )
            for index, member in enumerate(self.invokers)
            if member in gcp.PUBLIC_MEMBERS
        ]

    def _schedule_problems(self) -> list[Problem]:
        """Scheduler settings need a schedule (job mode: other modes are reported as mode errors);
        the shortest backoff is not longer than the longest."""
        found: list[Problem] = []
        if self.mode == "job" and self.schedule is None:
            for name in ("schedule_retry", "schedule_attempt_deadline_seconds"):
                value = getattr(self, name)
                if value is not None:
                    shown = (
                        value.model_dump(exclude_unset=True) if isinstance(value, GcpScheduleRetry) else value
                    )
                    expected = f"a schedule, or no {name}"
                    found.append(Problem((name,), "applies to a scheduled job only", shown, expected))
        retry = self.schedule_retry
        low = retry.min_backoff_seconds if retry is not None else None
        high = retry.max_backoff_seconds if retry is not None else None
        if low is not None and high is not None and low > high:
            where = ("schedule_retry", "min_backoff_seconds")
            found.append(
                Problem(
                    where, "longer than max_backoff_seconds", low, f"at most max_backoff_seconds ({high})"
                )
            )
        return found

    def deletion_protected(self, environment: str) -> bool:
        """Whether the service/job is protected: the field, else on in ``prod``."""
        return self.deletion_protection if self.deletion_protection is not None else environment == "prod"
