"""The job schema (pydantic v2): the shape of a job file's ``infrastructure`` block.

The schema owns every shape rule and every rule that needs only the job itself. Messages of the
custom rules are written for people: each says what is wrong and what is allowed; the loader adds
file, line, dotted path and the bad value. Keys outside ``infrastructure`` are not modelled here:
the loader keeps them untouched (``extra="allow"`` at the top level).

Defaults are documented on each field; :func:`job_json_schema` exports all of it for editors.
"""

from __future__ import annotations

import re
import zoneinfo
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from dativo_infra.contract import OUTPUTS, PROVIDER_OF_RUNTIME, Provider, RuntimeType

REQUIRED_TAGS: tuple[str, ...] = ("job_name", "team", "pipeline_type", "environment", "cost_center")

#: ``{{terraform_outputs.name}}`` with optional whitespace inside the braces.
PLACEHOLDER_RE = re.compile(r"\{\{\s*terraform_outputs\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_FULL_PLACEHOLDER_RE = re.compile(r"^\s*" + PLACEHOLDER_RE.pattern + r"\s*$")

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
ENV_VAR_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
SLUG_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
REGION_PATTERN = r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$"

#: Valid Fargate (cpu units -> allowed memory MiB) combinations, from the ECS task-size table.
FARGATE_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}
#: CloudWatch Logs accepts only these retention periods.
AWS_LOG_RETENTION_DAYS: tuple[int, ...] = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
#: Container Apps consumption profile: cpu (cores) in 0.25 steps up to 4, memory = 2 GiB per core.
AZURE_CPU_MILLICORES: tuple[int, ...] = tuple(range(250, 4000 + 1, 250))
#: Cloud Run: whole cpus 1, 2, 4, 8 (fractions below 1 only with concurrency 1, not offered here).
GCP_CPU_MILLICORES: tuple[int, ...] = (1000, 2000, 4000, 6000, 8000)
#: Cloud Run memory bounds (MiB) per cpu: more memory needs more cpus, big cpus need a floor.
GCP_MEMORY_MIB: dict[int, tuple[int, int]] = {
    1000: (512, 4096),
    2000: (512, 8192),
    4000: (2048, 16384),
    6000: (4096, 24576),
    8000: (4096, 32768),
}
#: Cloud Run's longest request timeout for a service (jobs allow up to 86400 s per task).
GCP_SERVICE_MAX_TIMEOUT_SECONDS = 3600

# --- Azure ids and references (ARM segment names are case-insensitive, so these patterns are too).
_ARM = (
    r"^/subscriptions/(?P<subscription>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
    r"/resourceGroups/(?P<resource_group>[-\w.()]{0,89}[-\w()])/providers/"
)
#: Container Apps managed environment resource id (``runtime.environment_id``).
MANAGED_ENVIRONMENT_ID_RE = re.compile(
    _ARM + r"Microsoft\.App/managedEnvironments/(?P<name>[a-z][a-z0-9-]{0,58}[a-z0-9])$", re.I
)
#: Key Vault resource id (``permissions.secrets`` on Azure).
KEY_VAULT_ID_RE = re.compile(_ARM + r"Microsoft\.KeyVault/vaults/(?P<name>[a-z0-9-]{3,24})$", re.I)
#: Storage account resource id, optionally narrowed to one blob container (``permissions.storage[].bucket``).
STORAGE_SCOPE_RE = re.compile(
    _ARM + r"Microsoft\.Storage/storageAccounts/(?P<account>[a-z0-9]{3,24})"
    r"(?:/blobServices/default/containers/(?P<container>[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}))?$",
    re.I,
)
#: Azure Container Registry resource id (``runtime.registry_id``).
CONTAINER_REGISTRY_ID_RE = re.compile(
    _ARM + r"Microsoft\.ContainerRegistry/registries/(?P<name>[a-z0-9]{5,50})$", re.I
)
#: Key Vault secret URL, optionally pinned to a version (``runtime.secrets`` values on Azure).
KEY_VAULT_SECRET_URL_RE = re.compile(
    r"^https://(?P<vault>[a-z0-9-]{3,24})\.vault\.azure\.net/secrets/(?P<secret>[A-Za-z0-9-]{1,127})"
    r"(?:/(?P<version>[0-9a-f]{32}))?$"
)
#: Set on every Azure container to the client id of the job's user-assigned identity (Azure SDKs
#: pick the identity by it); a job may not set it itself.
AZURE_CLIENT_ID_VAR = "AZURE_CLIENT_ID"
_ARM_FORM = "/subscriptions/<subscription id>/resourceGroups/<group>/providers/"
#: A bare Cloud Storage bucket name (no ``gs://``, no object path).
GCS_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$")

# --- Unix cron (Container App Job and Cloud Scheduler schedules; AWS also takes Quartz forms).
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_CRON_FIELDS: tuple[tuple[str, int, int, tuple[str, ...]], ...] = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day-of-month", 1, 31, ()),
    ("month", 1, 12, _MONTHS),
    ("day-of-week", 0, 6, _WEEKDAYS),
)


def _cron_value(token: str, low: int, names: tuple[str, ...]) -> int | None:
    if token.upper() in names:
        return names.index(token.upper()) + low
    return int(token) if token.isdigit() else None


def _unix_cron_field(text: str, low: int, high: int, names: tuple[str, ...]) -> bool:
    """Whether one cron field is unix cron: ``*``, values, ranges, lists, steps on ``*`` or a range."""
    for item in text.split(","):
        base, slash, step = item.partition("/")
        if slash and not (step.isdigit() and int(step) >= 1):
            return False
        if base == "*":
            continue
        first, dash, last = base.partition("-")
        values = [_cron_value(first, low, names)] + ([_cron_value(last, low, names)] if dash else [])
        if any(v is None or not low <= v <= high for v in values):
            return False
        if (dash and values[0] > values[1]) or (slash and not dash):  # type: ignore[operator]
            return False
    return True


def unix_cron_problem(expression: str, max_weekday: int) -> tuple[str, str] | None:
    """``(problem, expected)`` for the first field of a 5-field ``expression`` that is not unix cron
    (day-of-week up to ``max_weekday``: 6 for Container Apps, 7 = Sunday again for Cloud Scheduler)."""
    for text, (name, low, high, names) in zip(expression.split(), _CRON_FIELDS, strict=True):
        high = max_weekday if name == "day-of-week" else high
        if _unix_cron_field(text, low, high, names):
            continue
        allowed = f"{low}-{high}" + (f" or {names[0]}-{names[-1]}" if names else "")
        expected = f"{allowed}, with '*', ',', '-' and '/' (steps on '*' or a range)"
        if re.search(r"[?#LW]", re.sub(r"[A-Z]{3}", "", text.upper())):
            expected += "; Quartz '?', 'L', 'W' and '#' are AWS-only"
        return f"{name} field {text!r} is not unix cron", expected
    return None


@cache
def iana_time_zones() -> frozenset[str]:
    """The IANA tz database names this machine knows (the system database, else the ``tzdata`` package)."""
    return frozenset(zoneinfo.available_timezones())


Name = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=NAME_PATTERN)]
Slug = Annotated[str, StringConstraints(min_length=1, max_length=63, pattern=SLUG_PATTERN)]
EnvVarName = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=ENV_VAR_PATTERN)]
NonEmpty = Annotated[str, StringConstraints(min_length=1, max_length=2048)]


def problem(message: str, expected: str, field: str | None = None, got: Any = None) -> PydanticCustomError:
    """A validation failure the loader renders as ``<path>: <message>, got <value>; expected <expected>``.

    ``field`` (dotted, relative to the model raising it) points the error at one field of a
    cross-field rule; ``got`` is then that field's value.
    """
    if field is None:
        return PydanticCustomError("dativo", message, {"expected": expected})
    return PydanticCustomError("dativo_field", message, {"field": field, "got": got, "expected": expected})


class _Strict(BaseModel):
    """Base of every model inside ``infrastructure``: unknown keys are typos, so they are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)


class Network(_Strict):
    """Where the runtime's network interfaces live. Unset: the provider's default network
    (AWS: the region's default VPC and its subnets; Azure: a Container Apps managed network;
    GCP: Cloud Run's default egress)."""

    vpc_id: NonEmpty | None = Field(
        None, description="AWS VPC id / GCP network self link. Unset: default VPC"
    )
    subnet_ids: list[NonEmpty] = Field(
        default_factory=list,
        description="AWS subnets / Azure infrastructure subnet id (one) / GCP subnetwork. Empty: default",
    )
    security_group_ids: list[NonEmpty] = Field(
        default_factory=list,
        description="AWS only: extra security groups. A job security group (egress only) is always created",
    )
    assign_public_ip: bool = Field(
        False, description="AWS only: give tasks a public IP (needed in public subnets without NAT)"
    )


class StorageGrant(_Strict):
    """One storage location the job may use."""

    bucket: NonEmpty = Field(
        description="AWS S3 bucket name / Azure storage account resource id / GCS bucket name"
    )
    access: Literal["read", "write", "read_write"] = Field("read", description="Access level. Unset: read")
    prefix: str = Field("", description="AWS only: key prefix the grant is limited to. Unset: whole bucket")


class Permissions(_Strict):
    """What the runtime identity may touch. Unset: nothing beyond writing its own logs."""

    storage: list[StorageGrant] = Field(default_factory=list, description="Buckets / storage accounts")
    secrets: list[NonEmpty] = Field(
        default_factory=list,
        description="Secrets readable by the job: AWS Secrets Manager ARNs / Azure Key Vault ids / "
        "GCP secret ids (projects/<p>/secrets/<name>)",
    )
    kms_keys: list[NonEmpty] = Field(
        default_factory=list, description="AWS only: KMS key ARNs to decrypt with"
    )


class Scaling(_Strict):
    """Replica bounds (service mode) or task parallelism (job mode). Unset: 1 replica / 1 task."""

    min_replicas: int = Field(1, ge=0, le=1000, description="Service mode: minimum replicas")
    max_replicas: int = Field(1, ge=1, le=1000, description="Service mode: maximum replicas")
    parallelism: int = Field(1, ge=1, le=100, description="Job mode: tasks started per run")

    @model_validator(mode="after")
    def _bounds(self) -> Scaling:
        if self.min_replicas > self.max_replicas:
            raise problem(
                "min_replicas is larger than max_replicas",
                f"at most max_replicas ({self.max_replicas})",
                "min_replicas",
                self.min_replicas,
            )
        return self


class Runtime(_Strict):
    """The compute a job runs on. Only ``type`` is required; every other field has a default."""

    type: RuntimeType = Field(description="aws_fargate | azure_container_apps | gcp_cloud_run")
    mode: Literal["job", "service"] = Field(
        "job", description="job: batch runs (manual or on a schedule); service: long-running. Unset: job"
    )
    image: NonEmpty = Field(
        "ghcr.io/dativo-io/dativo-ingest:latest", description="Container image. Unset: the platform image"
    )
    command: list[NonEmpty] = Field(
        default_factory=list, description="Container command. Unset: image default"
    )
    cpu_millicores: int = Field(1000, description="CPU in millicores (1000 = 1 vCPU). Unset: 1000")
    memory_mib: int = Field(2048, description="Memory in MiB. Unset: 2048")
    ephemeral_storage_gib: int = Field(21, ge=21, le=200, description="AWS only: task storage. Unset: 21")
    timeout_seconds: int = Field(
        3600, ge=60, le=86400, description="Longest a run may take before it is stopped. Unset: 3600"
    )
    retries: int = Field(0, ge=0, le=10, description="Job mode: retries of a failed run. Unset: 0")
    schedule: str | None = Field(
        None,
        description="Job mode: 5-field cron expression (minute hour day month weekday). Azure and GCP: unix "
        "cron only (digits, * , - /, JAN-DEC, SUN-SAT); AWS also takes Quartz ? L W #. Unset: manual",
    )
    schedule_timezone: NonEmpty = Field(
        "UTC", description="IANA time zone of the schedule, e.g. Europe/Berlin (Azure: UTC only). Unset: UTC"
    )
    port: int = Field(8080, ge=1, le=65535, description="Service mode: container port. Unset: 8080")
    ingress: Literal["none", "internal", "external"] = Field(
        "internal", description="Service mode: who reaches the service. Unset: internal"
    )
    env: dict[EnvVarName, str] = Field(default_factory=dict, description="Plain environment variables")
    secrets: dict[EnvVarName, NonEmpty] = Field(
        default_factory=dict,
        description="Environment variables filled from secret references: AWS Secrets Manager ARNs / Azure "
        "Key Vault secret URLs https://<vault>.vault.azure.net/secrets/<name>[/<version>] (the vault's "
        "resource id must be in permissions.secrets) / GCP [projects/<p>/secrets/]<name>[/versions/<v>]",
    )
    network: Network = Field(default_factory=Network)
    permissions: Permissions = Field(default_factory=Permissions)
    scaling: Scaling = Field(default_factory=Scaling)
    log_retention_days: int = Field(30, ge=1, le=3653, description="Log retention. Unset: 30")
    log_kms_key_arn: NonEmpty | None = Field(None, description="AWS only: KMS key for the log group")
    project_id: str | None = Field(
        None,
        pattern=r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$",
        description="GCP only, required there: the project the runtime is created in",
    )
    resource_group: str | None = Field(
        None,
        pattern=r"^[-\w.()]{1,89}[-\w()]$",
        description="Azure only: an existing resource group to use. Unset: one is created for the job",
    )
    deletion_protection: bool | None = Field(
        None, description="GCP only: Cloud Run deletion protection. Unset: on in prod, off elsewhere"
    )
    environment_id: str | None = Field(
        None,
        description="Azure only: run in this existing workload-profiles Container Apps environment, "
        "/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.App/managedEnvironments/<name> (in the "
        "job's region); avoids the quota of 15 environments per subscription and region. Unset: the job "
        "gets its own environment and Log Analytics workspace",
    )
    registry_id: str | None = Field(
        None,
        description="Azure only: resource id of the Azure Container Registry holding the image "
        "(/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.ContainerRegistry/registries/<name>); "
        "the job identity gets AcrPull on it. Unset: an *.azurecr.io image is pulled with the job identity, "
        "which needs AcrPull granted elsewhere",
    )

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is None:
            return None
        fields = value.split()
        if len(fields) != 5 or not all(re.fullmatch(r"[0-9A-Za-z*/,?#LW-]+", f) for f in fields):
            raise problem(
                "not a 5-field cron expression",
                "'minute hour day-of-month month day-of-week', e.g. '0 3 * * *'",
            )
        return " ".join(fields)

    @field_validator("schedule_timezone")
    @classmethod
    def _time_zone(cls, value: str) -> str:
        if value == "UTC" or value in iana_time_zones():
            return value
        if not iana_time_zones():
            raise problem(
                "cannot be checked: no IANA time zone database on this machine", "UTC, or install tzdata"
            )
        raise problem(
            "not an IANA time zone", "a tz database name such as 'UTC', 'Europe/Berlin' or 'America/New_York'"
        )

    @model_validator(mode="after")
    def _runtime_rules(self) -> Runtime:
        if self.schedule is not None and self.mode != "job":
            raise problem(
                "a schedule needs mode 'job'",
                "mode: job, or no schedule for a service",
                "schedule",
                self.schedule,
            )
        clash = sorted(set(self.env) & set(self.secrets))
        if clash:
            raise problem(
                "variable set both in env and in secrets",
                "each variable in env or in secrets, not both",
                f"secrets.{clash[0]}",
                clash[0],
            )
        if self.type is RuntimeType.AWS_FARGATE:
            self._check_fargate()
        elif self.type is RuntimeType.AZURE_CONTAINER_APPS:
            self._check_azure()
        else:
            self._check_gcp()
        return self

    def _check_fargate(self) -> None:
        cpu_units = self.cpu_millicores * 1024 // 1000
        if self.cpu_millicores * 1024 % 1000 or cpu_units not in FARGATE_SIZES:
            allowed = ", ".join(str(u * 1000 // 1024) for u in FARGATE_SIZES)
            raise problem(
                "not a Fargate task size", f"one of {allowed}", "cpu_millicores", self.cpu_millicores
            )
        memories = FARGATE_SIZES[cpu_units]
        if self.memory_mib not in memories:
            raise problem(
                f"not valid with cpu_millicores {self.cpu_millicores} on Fargate",
                f"{memories[0]} to {memories[-1]} in steps of {memories[1] - memories[0]}",
                "memory_mib",
                self.memory_mib,
            )
        if self.log_retention_days not in AWS_LOG_RETENTION_DAYS:
            raise problem(
                "not a CloudWatch retention period",
                "one of " + ", ".join(map(str, AWS_LOG_RETENTION_DAYS)),
                "log_retention_days",
                self.log_retention_days,
            )
        self._forbid(
            "aws_fargate",
            project_id=None,
            resource_group=None,
            deletion_protection=None,
            environment_id=None,
            registry_id=None,
        )

    def _check_azure(self) -> None:
        if self.cpu_millicores not in AZURE_CPU_MILLICORES:
            raise problem(
                "not a Container Apps size",
                "250 to 4000 in steps of 250",
                "cpu_millicores",
                self.cpu_millicores,
            )
        if self.memory_mib != self.cpu_millicores * 2048 // 1000:
            raise problem(
                f"does not match cpu_millicores {self.cpu_millicores} on Container Apps",
                f"{self.cpu_millicores * 2048 // 1000} (2 GiB per vCPU)",
                "memory_mib",
                self.memory_mib,
            )
        if not 30 <= self.log_retention_days <= 730:
            raise problem(
                "outside Log Analytics limits", "30 to 730", "log_retention_days", self.log_retention_days
            )
        if len(self.network.subnet_ids) > 1:
            raise problem(
                "Container Apps take one infrastructure subnet",
                "at most one subnet id",
                "network.subnet_ids",
                self.network.subnet_ids,
            )
        if self.schedule is not None and self.schedule_timezone != "UTC":
            raise problem(
                "Container App Job schedules run in UTC",
                "UTC (convert the cron expression)",
                "schedule_timezone",
                self.schedule_timezone,
            )
        self._forbid("azure_container_apps", project_id=None, deletion_protection=None, log_kms_key_arn=None)
        found: list[_Problem] = []
        self._check_cron(found, max_weekday=6)
        self._check_azure_ids(found)
        for var in sorted({AZURE_CLIENT_ID_VAR} & (set(self.env) | set(self.secrets))):
            where = "env" if var in self.env else "secrets"
            found.append(
                (
                    (where, var),
                    "reserved: the platform sets it to the client id of the job identity",
                    var,
                    f"no {var} in env or secrets",
                )
            )
        self._check_key_vault_references(found)
        for index, grant in enumerate(self.permissions.storage):
            if not STORAGE_SCOPE_RE.match(grant.bucket):
                found.append(
                    (
                        ("permissions", "storage", index, "bucket"),
                        "not a storage account resource id" + _tail(grant.bucket),
                        grant.bucket,
                        _ARM_FORM + "Microsoft.Storage/storageAccounts/<account>"
                        "[/blobServices/default/containers/<container>]",
                    )
                )
        _raise_all(found)

    def _check_azure_ids(self, found: list[_Problem]) -> None:
        """environment_id and registry_id: their form, and the settings a shared environment fixes."""
        if self.environment_id is not None:
            if not MANAGED_ENVIRONMENT_ID_RE.match(self.environment_id):
                found.append(
                    (
                        ("environment_id",),
                        "not a Container Apps environment resource id" + _tail(self.environment_id),
                        self.environment_id,
                        _ARM_FORM + "Microsoft.App/managedEnvironments/<name>",
                    )
                )
            if self.network.subnet_ids:
                found.append(
                    (
                        ("network", "subnet_ids"),
                        "the network of an existing environment is fixed",
                        self.network.subnet_ids,
                        "no subnet_ids with environment_id",
                    )
                )
            if "log_retention_days" in self.model_fields_set:
                found.append(
                    (
                        ("log_retention_days",),
                        "an existing environment logs to its own workspace",
                        self.log_retention_days,
                        "no log_retention_days with environment_id",
                    )
                )
        if self.registry_id is not None:
            registry = CONTAINER_REGISTRY_ID_RE.match(self.registry_id)
            if registry is None:
                found.append(
                    (
                        ("registry_id",),
                        "not a container registry resource id" + _tail(self.registry_id),
                        self.registry_id,
                        _ARM_FORM + "Microsoft.ContainerRegistry/registries/<name>",
                    )
                )
            elif image_registry(self.image) != f"{registry['name'].lower()}.azurecr.io":
                found.append(
                    (
                        ("registry_id",),
                        "the image is not pulled from this registry" + _tail(self.registry_id),
                        self.registry_id,
                        f"image on {registry['name'].lower()}.azurecr.io, or no registry_id",
                    )
                )

    def _check_key_vault_references(self, found: list[_Problem]) -> None:
        """Secret references are Key Vault secret URLs of vaults listed (by resource id) in permissions.secrets."""
        vaults = set()
        for index, vault_id in enumerate(self.permissions.secrets):
            vault = KEY_VAULT_ID_RE.match(vault_id)
            if vault is None:
                found.append(
                    (
                        ("permissions", "secrets", index),
                        "not a Key Vault resource id" + _tail(vault_id),
                        vault_id,
                        _ARM_FORM + "Microsoft.KeyVault/vaults/<vault>",
                    )
                )
            else:
                vaults.add(vault["name"].lower())
        for var, reference in self.secrets.items():
            secret = KEY_VAULT_SECRET_URL_RE.match(reference)
            if secret is None:
                found.append(
                    (
                        ("secrets", var),
                        "not a Key Vault secret URL",
                        reference,
                        "https://<vault>.vault.azure.net/secrets/<name>[/<32-hex version>]",
                    )
                )
            elif secret["vault"] not in vaults:
                found.append(
                    (
                        ("secrets", var),
                        f"Key Vault {secret['vault']!r} is not in permissions.secrets",
                        reference,
                        f"its resource id ({_ARM_FORM}Microsoft.KeyVault/vaults/"
                        f"{secret['vault']}) in permissions.secrets",
                    )
                )

    def _check_cron(self, found: list[_Problem], max_weekday: int) -> None:
        if self.schedule is not None:
            wrong = unix_cron_problem(self.schedule, max_weekday)
            if wrong is not None:
                found.append((("schedule",), wrong[0], self.schedule, wrong[1]))

    def _check_gcp(self) -> None:
        if self.project_id is None:
            raise problem(
                "required for gcp_cloud_run", "a GCP project id such as 'acme-data-prod'", "project_id", None
            )
        if self.cpu_millicores not in GCP_CPU_MILLICORES:
            raise problem(
                "not a Cloud Run cpu",
                "one of " + ", ".join(map(str, GCP_CPU_MILLICORES)),
                "cpu_millicores",
                self.cpu_millicores,
            )
        low, high = GCP_MEMORY_MIB[self.cpu_millicores]
        if not low <= self.memory_mib <= high:
            raise problem(
                f"not valid with cpu_millicores {self.cpu_millicores} on Cloud Run",
                f"{low} to {high}",
                "memory_mib",
                self.memory_mib,
            )
        if len(self.network.subnet_ids) > 1:
            raise problem(
                "Cloud Run takes one subnetwork",
                "at most one subnetwork",
                "network.subnet_ids",
                self.network.subnet_ids,
            )
        self._forbid(
            "gcp_cloud_run", resource_group=None, log_kms_key_arn=None, environment_id=None, registry_id=None
        )
        found: list[_Problem] = []
        self._check_cron(found, max_weekday=7)
        if self.mode == "service" and self.timeout_seconds > GCP_SERVICE_MAX_TIMEOUT_SECONDS:
            found.append(
                (
                    ("timeout_seconds",),
                    "longer than a Cloud Run service request may take",
                    self.timeout_seconds,
                    f"at most {GCP_SERVICE_MAX_TIMEOUT_SECONDS} for mode service (mode job runs up to 86400)",
                )
            )
        for index, grant in enumerate(self.permissions.storage):
            if not GCS_BUCKET_RE.match(grant.bucket) or ("." not in grant.bucket and len(grant.bucket) > 63):
                found.append(
                    (
                        ("permissions", "storage", index, "bucket"),
                        "not a bare bucket name",
                        grant.bucket,
                        "a bucket name such as 'acme-raw' (3-63 of a-z 0-9 - _ ., no gs://, no /)",
                    )
                )
        _raise_all(found)

    def _forbid(self, runtime: str, **unset: Any) -> None:
        for name, default in unset.items():
            if getattr(self, name) != default:
                raise problem(
                    f"does not apply to {runtime}", f"no {name} for {runtime}", name, getattr(self, name)
                )


class Infrastructure(_Strict):
    """The ``infrastructure`` block of a job file."""

    provider: Provider = Field(description="aws | azure | gcp")
    region: Annotated[str, StringConstraints(pattern=REGION_PATTERN)] = Field(
        description="Cloud region, e.g. us-east-1, westeurope, europe-west1"
    )
    runtime: Runtime
    resource_identifiers: dict[
        Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")], str
    ] = Field(
        default_factory=dict,
        description="Values the job reads after deploy; each is a {{terraform_outputs.<name>}} placeholder",
    )
    tags: dict[str, str] = Field(
        description="Job tags. Required: " + ", ".join(REQUIRED_TAGS) + ". Merged over platform defaults"
    )
    terraform: dict[str, Any] = Field(
        default_factory=dict,
        description="Older dialect: resource_refs/variables for plain Terraform modules. Kept, not used",
    )

    @model_validator(mode="before")
    @classmethod
    def _pairing_first(cls, data: Any) -> Any:
        """A runtime on the wrong provider is the one error worth reporting (its other rules are moot)."""
        if isinstance(data, dict) and isinstance(data.get("runtime"), dict):
            provider, runtime = data.get("provider"), data["runtime"].get("type")
            valid = provider in set(Provider) and runtime in set(RuntimeType)
            if valid and PROVIDER_OF_RUNTIME[RuntimeType(runtime)] is not Provider(provider):
                raise PydanticCustomError(
                    "dativo_field",
                    "runtime does not run on this provider",
                    {
                        "field": "runtime.type",
                        "got": runtime,
                        "expected": f"{_runtimes_of(Provider(provider))} for provider {provider}",
                    },
                )
        return data

    @field_validator("resource_identifiers")
    @classmethod
    def _placeholders(cls, value: dict[str, str]) -> dict[str, str]:
        # () + key: pydantic prefixes a field validator's errors with the field's name itself
        _raise_all(
            [
                ((key,), "not a terraform_outputs placeholder", text, "'{{terraform_outputs.<name>}}'")
                for key, text in value.items()
                if not _FULL_PLACEHOLDER_RE.match(text)
            ]
        )
        return value

    @field_validator("tags")
    @classmethod
    def _required_tags(cls, value: dict[str, str]) -> dict[str, str]:
        for key in REQUIRED_TAGS:
            if not value.get(key, "").strip():
                raise PydanticCustomError(
                    "dativo_missing_key",
                    "required tag missing or empty",
                    {"key": key, "expected": "a non-empty string"},
                )
        job_name = value["job_name"]
        if len(job_name) > 128 or not re.match(NAME_PATTERN, job_name):
            raise PydanticCustomError(
                "dativo_key",
                "not a valid job name",
                {
                    "key": "job_name",
                    "got": job_name,
                    "expected": "1-128 characters of letters, digits, '_', '.', '-' starting with a letter or digit",
                },
            )
        return value

    @model_validator(mode="after")
    def _outputs_exist(self) -> Infrastructure:
        exported = OUTPUTS[self.runtime.type]
        allowed = "one of " + ", ".join(sorted(exported))
        unknown: list[_Problem] = []
        for key, text in self.resource_identifiers.items():
            name = PLACEHOLDER_RE.search(text).group(1)  # type: ignore[union-attr]
            if name not in exported:
                unknown.append(
                    (
                        ("resource_identifiers", key),
                        f"output {name!r} is not exported by {self.runtime.type.value}",
                        text,
                        allowed,
                    )
                )
        _raise_all(unknown)
        return self


def image_registry(image: str) -> str | None:
    """The registry host of an image reference, lowercased (``x.azurecr.io/a/b:1`` -> ``x.azurecr.io``);
    None for a Docker Hub short name (``python:3.12``, ``library/python``)."""
    host, slash, _ = image.partition("/")
    if slash and ("." in host or ":" in host or host == "localhost"):
        return host.lower()
    return None


def _tail(value: str, limit: int = 72) -> str:
    """The end of a long resource id for a message (error values are shown cut after 80 characters)."""
    return f" (it ends {'...' + value[-40:]!r})" if len(value) > limit else ""


#: ``(location relative to the validating model, problem, bad value, what is allowed)``
_Problem = tuple[tuple[str | int, ...], str, Any, str]


def _raise_all(problems: list[_Problem]) -> None:
    """Raise every problem at once, each at its own location relative to the validating model (list
    indexes and mapping keys included)."""
    if problems:
        raise ValidationError.from_exception_data(
            "job",
            [
                InitErrorDetails(
                    type=PydanticCustomError("dativo_value", message, {"got": got, "expected": expected}),
                    loc=loc,
                    input=got,
                )
                for loc, message, got, expected in problems
            ],
        )


def _runtimes_of(provider: Provider) -> str:
    return " | ".join(r.value for r, p in PROVIDER_OF_RUNTIME.items() if p is provider)


class JobConfig(BaseModel):
    """A whole job file. Only ``tenant_id``, ``environment`` and ``infrastructure`` are modelled;
    every other key (source, target, logging, ...) is kept as it is."""

    model_config = ConfigDict(extra="allow", frozen=True)

    tenant_id: Slug = Field(description="Tenant owning the job (lowercase slug)")
    environment: Slug = Field(description="Deployment environment, e.g. dev, staging, prod")
    asset_path: str | None = Field(
        None, description="Optional asset definition (owner, compliance, finops) relative to the job file"
    )
    infrastructure: Infrastructure

    @model_validator(mode="after")
    def _environment_tag(self) -> JobConfig:
        tag = self.infrastructure.tags.get("environment")
        if tag != self.environment:
            raise PydanticCustomError(
                "dativo_field",
                "tag environment differs from the job's environment",
                {"field": "infrastructure.tags.environment", "got": tag, "expected": repr(self.environment)},
            )
        return self

    @property
    def job_name(self) -> str:
        return self.infrastructure.tags["job_name"]

    @property
    def runtime(self) -> Runtime:
        return self.infrastructure.runtime

    def referenced_outputs(self) -> list[str]:
        """Output names the job's placeholders reference (resource_identifiers), sorted."""
        names = {PLACEHOLDER_RE.search(v).group(1) for v in self.infrastructure.resource_identifiers.values()}  # type: ignore[union-attr]
        return sorted(names)


def job_json_schema() -> dict[str, Any]:
    """JSON Schema of a job file for editors (yaml-language-server)."""
    schema = JobConfig.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Dativo ingestion job"
    schema["$id"] = "https://dativo.io/schemas/job.schema.json"
    return schema
