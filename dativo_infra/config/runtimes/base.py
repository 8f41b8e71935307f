"""What every runtime model shares: the container, its environment, the schedule, scaling, and how a
runtime's rules are checked.

Each runtime (``aws_fargate``, ``azure_container_apps``, ``gcp_cloud_run``) subclasses
:class:`RuntimeBase`, adds the fields only it has and states its cloud's rules in
:meth:`RuntimeBase.cloud_problems` with the functions of its :mod:`dativo_infra.clouds` module, the
same ones its construct builds with. A field that applies to one mode only says so
(:func:`~dativo_infra.config.fields.only_in`); setting it in the other mode is an error, never ignored.
Every problem of a runtime block is reported at once.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar, Literal, cast

from pydantic import BaseModel, Field, ValidationInfo, field_validator, model_validator
from pydantic.fields import FieldInfo

from dativo_infra.clouds import unpinned_image
from dativo_infra.clouds.cron import CronError
from dativo_infra.clouds.timezones import iana_time_zones
from dativo_infra.config.fields import (
    MODES_KEY,
    EnvVarName,
    Mode,
    NonEmpty,
    Problem,
    Strict,
    fail,
    only_in,
    raise_all,
)
from dativo_infra.contract import RuntimeType

#: The platform's ingestion image, used when a job names none: a pinned release, never ``latest``.
DEFAULT_IMAGE = "ghcr.io/dativo-io/dativo-ingest:1.8.2"

#: Validation context key: the IAM actions the platform settings let a job grant although they can
#: escalate privileges (``aws.allowed_escalation_actions``; see :func:`~dativo_infra.config.schema.validation_context`).
ALLOWED_ESCALATION = "allowed_escalation_actions"
#: Validation context key: the privileged IAM roles the platform settings let a GCP job grant
#: (``gcp.allowed_privileged_roles``).
ALLOWED_PRIVILEGED_ROLES = "allowed_privileged_roles"
#: Validation context key: the privileged Azure roles the platform settings let an Azure job assign
#: (``azure.allowed_privileged_roles``).
ALLOWED_AZURE_PRIVILEGED_ROLES = "allowed_azure_privileged_roles"
#: Validation context key: the GCP project of every GCP job that names none (``gcp.project_id``).
DEFAULT_PROJECT = "default_project"

Ingress = Literal["none", "internal", "external"]
Access = Literal["read", "write", "read_write"]


class StorageGrant(Strict):
    """One storage location the job may use (each runtime says what ``bucket`` is)."""

    bucket: NonEmpty
    access: Access = Field("read", description="read, write or read_write. Unset: read")


class Scaling(Strict):
    """Replica bounds (service mode) or task parallelism (job mode). Unset: 1 replica / 1 task."""

    min_replicas: int = Field(
        1,
        ge=0,
        le=1000,
        description="Service mode: fewest replicas. Unset: 1",
        json_schema_extra=only_in("service"),
    )
    max_replicas: int = Field(
        1,
        ge=1,
        le=1000,
        description="Service mode: most replicas. Unset: 1",
        json_schema_extra=only_in("service"),
    )
    parallelism: int = Field(
        1,
        ge=1,
        le=100,
        description="Job mode: tasks started per run. Unset: 1",
        json_schema_extra=only_in("job"),
    )

    @model_validator(mode="after")
    def _bounds(self) -> Scaling:
        if self.min_replicas > self.max_replicas:
            expected = f"at most max_replicas ({self.max_replicas})"
            fail(("min_replicas",), "min_replicas is larger than max_replicas", self.min_replicas, expected)
        return self


class RuntimeBase(Strict):
    """The compute a job runs on. Only ``type`` is required; every other field has a default."""

    #: The runtime type this model validates (its ``type`` literal).
    TYPE: ClassVar[RuntimeType]

    mode: Mode = Field(
        "job", description="job: batch runs (manual or on a schedule); service: long-running. Unset: job"
    )
    image: NonEmpty = Field(
        DEFAULT_IMAGE,
        description=(
            "Container image, pinned by a version tag or a digest (validate warns about latest or no tag). "
            f"Unset: the platform image {DEFAULT_IMAGE}"
        ),
    )
    command: list[NonEmpty] = Field(
        default_factory=list, description="Container command. Unset: image default"
    )
    cpu_millicores: int = Field(1000, description="CPU in millicores (1000 = 1 vCPU). Unset: 1000")
    memory_mib: int = Field(2048, description="Memory in MiB. Unset: 2048")
    retries: int = Field(
        0,
        ge=0,
        le=10,
        description="Job mode: retries of a failed run. Unset: 0",
        json_schema_extra=only_in("job"),
    )
    schedule: str | None = Field(
        None,
        description="Job mode: 5-field cron expression (minute hour day-of-month month day-of-week). Unset: "
        "no schedule, the job runs when started",
        json_schema_extra=only_in("job"),
    )
    schedule_timezone: NonEmpty = Field(
        "UTC",
        description="Job mode: IANA time zone of the schedule, e.g. Europe/Berlin. Unset: UTC",
        json_schema_extra=only_in("job"),
    )
    port: int = Field(
        8080,
        ge=1,
        le=65535,
        description="Service mode: container port. Unset: 8080",
        json_schema_extra=only_in("service"),
    )
    ingress: Ingress = Field(
        "internal",
        description="Service mode: who reaches the service (none, internal, external). Unset: internal",
        json_schema_extra=only_in("service"),
    )
    env: dict[EnvVarName, str] = Field(
        default_factory=dict, description="Plain environment variables. Unset: none"
    )
    secrets: dict[EnvVarName, NonEmpty] = Field(
        default_factory=dict, description="Environment variables filled from secret references. Unset: none"
    )
    scaling: Scaling = Field(default_factory=Scaling)

    @field_validator("schedule_timezone")
    @classmethod
    def _time_zone(cls, value: str) -> str:
        if value == "UTC" or value in iana_time_zones():
            return value
        if not iana_time_zones():
            fail(
                (),
                "cannot be checked: no IANA time zone database on this machine",
                value,
                "UTC, or install tzdata",
            )
        fail(
            (),
            "not an IANA time zone",
            value,
            "a tz database name such as 'UTC', 'Europe/Berlin' or 'America/New_York'",
        )

    @model_validator(mode="after")
    def _rules(self, info: ValidationInfo) -> RuntimeBase:
        found = mode_problems(self, self.mode, ())
        clash = sorted(set(self.env) & set(self.secrets))
        found += [
            Problem(
                ("secrets", name),
                "variable set both in env and in secrets",
                name,
                "each variable in env or in secrets, not both",
            )
            for name in clash
        ]
        if self.schedule is not None and self.mode == "job":
            try:
                self.check_schedule(self.schedule)
            except CronError as error:
                found.append(Problem(("schedule",), error.problem, self.schedule, error.expected))
        found += self.cloud_problems()
        found += self.platform_problems(info.context if isinstance(info.context, Mapping) else {})
        raise_all(found)
        return self

    @staticmethod
    @abstractmethod
    def check_schedule(expression: str) -> None:
        """Raise :class:`~dativo_infra.clouds.cron.CronError` unless the cloud runs ``expression``."""

    def cloud_problems(self) -> list[Problem]:
        """Every rule of the runtime's cloud that this block breaks (none: an empty list)."""
        return []

    def platform_problems(self, context: Mapping[str, Any]) -> list[Problem]:
        """Rules that depend on the platform settings, read from the validation ``context`` (see
        :func:`~dativo_infra.config.schema.validation_context`; empty: the strictest defaults)."""
        del context
        return []

    def region_problems(self, region: str) -> list[Problem]:
        """Rules that need the job's ``region`` (``infrastructure.region``); none: an empty list."""
        del region
        return []

    def warnings(self) -> list[Problem]:
        """What ``validate`` warns about (valid, but likely a mistake): an image not pinned to a
        version, and the runtime's own :meth:`cloud_warnings`."""
        found = []
        problem = unpinned_image(self.image)
        if problem is not None:
            found.append(
                Problem(
                    ("image",),
                    problem,
                    self.image,
                    "a version tag (name:1.8.2) or a digest (name@sha256:...)",
                )
            )
        return found + self.cloud_warnings()

    def cloud_warnings(self) -> list[Problem]:
        """Warnings of the runtime's cloud (none: an empty list)."""
        return []


def timeout_field(description: str, *modes: Mode) -> Any:
    """``timeout_seconds`` of a runtime that enforces one: 60 to 86400 s, default 3600."""
    return Field(
        3600, ge=60, le=86400, description=description, json_schema_extra=only_in(*modes) if modes else None
    )


#: Log retention of the runtimes whose stack owns its logs' store (AWS log group, Azure Log Analytics
#: workspace); Cloud Run logs go to the project's Cloud Logging buckets, which a job does not own, so
#: the GCP runtime has no such field (setting it is an unknown-field error, never dropped).
LOG_RETENTION_DAYS = cast(FieldInfo, Field(30, ge=1, le=3653, description="Log retention in days. Unset: 30"))


def log_retention_field(description: str) -> Any:
    """:data:`LOG_RETENTION_DAYS` with a runtime's own description (its own bounds: its validator)."""
    return FieldInfo.merge_field_infos(LOG_RETENTION_DAYS, description=description)


def described(model: type[BaseModel], name: str, description: str) -> Any:
    """Field ``name`` of ``model`` (its default, bounds and modes) with a runtime's own description."""
    return FieldInfo.merge_field_infos(model.model_fields[name], description=description)


def mode_problems(model: BaseModel, mode: Mode, where: tuple[str | int, ...]) -> list[Problem]:
    """Fields set in ``model`` (and in the models nested in it) that do not apply in ``mode``."""
    found: list[Problem] = []
    for name in sorted(model.model_fields_set):
        info = type(model).model_fields[name]
        value: Any = getattr(model, name)
        extra = info.json_schema_extra
        modes = extra.get(MODES_KEY) if isinstance(extra, dict) else None
        if isinstance(modes, list) and mode not in modes:
            only = " or ".join(str(m) for m in modes)
            shown = value.model_dump(exclude_unset=True) if isinstance(value, BaseModel) else value
            found.append(
                Problem((*where, name), f"applies to mode {only} only", shown, f"no {name} in mode {mode}")
            )
        elif isinstance(value, BaseModel):
            found += mode_problems(value, mode, (*where, name))
    return found
