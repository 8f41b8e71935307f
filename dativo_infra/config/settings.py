"""Platform settings: the file ``jobs/platform.yaml`` (or ``$DATIVO_PLATFORM_SETTINGS``), read once.

It holds what the platform team decides for every job: default tags, where Terraform state lives,
and which deploy target the AWS provider talks to (the real cloud, or the local emulator).
Validated with the same positioned errors as job files. Pure Python, no cdktf.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, PrivateAttr, ValidationError, field_validator

from dativo_infra.clouds import Refusal, aws_iam, azure, gcp
from dativo_infra.config.fields import Problem, Strict, raise_all
from dativo_infra.config.messages import convert_errors
from dativo_infra.config.provider_versions import (
    CONSTRAINT_DESCRIPTION,
    CONSTRAINT_PATTERN,
    TERRAFORM_PROVIDER,
    pin_mismatch,
)
from dativo_infra.config.yamlpos import PositionedDocument, display_path, load_positioned
from dativo_infra.contract import Provider
from dativo_infra.errors import ErrorReport, JobError, show_value

DEFAULT_SETTINGS_PATH = Path("jobs/platform.yaml")
SETTINGS_ENV = "DATIVO_PLATFORM_SETTINGS"


class LocalBackend(Strict):
    """State in a local file per job: ``<state_dir>/<stack>.tfstate`` (relative to the project)."""

    type: Literal["local"] = "local"
    state_dir: str = Field("state", description="Directory of the per-job state files. Unset: state/")


class S3Backend(Strict):
    """State in S3, one key per job, with S3-native locking (``use_lockfile``)."""

    type: Literal["s3"]
    bucket: str
    region: str
    key_prefix: str = Field("dativo/jobs", description="Key is <key_prefix>/<stack>.tfstate")
    dynamodb_table: str | None = Field(None, description="Legacy lock table. Unset: S3 lockfile locking")
    encrypt: bool = True


class GcsBackend(Strict):
    """State in a GCS bucket, one prefix per job (GCS locks natively)."""

    type: Literal["gcs"]
    bucket: str
    prefix: str = Field("dativo/jobs", description="State prefix is <prefix>/<stack>")


class AzurermBackend(Strict):
    """State in an Azure storage container, one blob per job (blob leases lock)."""

    type: Literal["azurerm"]
    resource_group_name: str
    storage_account_name: str
    container_name: str
    key_prefix: str = Field("dativo/jobs", description="Blob is <key_prefix>/<stack>.tfstate")


class RemoteBackend(Strict):
    """HCP Terraform / Terraform Enterprise: one workspace per job, ``<workspace_prefix><stack>``."""

    type: Literal["remote"]
    organization: str
    hostname: str = "app.terraform.io"
    workspace_prefix: str = "dativo-"


Backend = Annotated[
    LocalBackend | S3Backend | GcsBackend | AzurermBackend | RemoteBackend, Field(discriminator="type")
]


class LocalCloud(Strict):
    """The local AWS emulator target: the AWS provider talks to ``endpoint`` with fake keys."""

    endpoint: str = Field(
        "http://127.0.0.1:5000", description="Emulator URL; DATIVO_AWS_ENDPOINT overrides it"
    )
    access_key: str = "testing"
    secret_key: str = "testing"


def _each_refused(values: list[str], refusal_of: Callable[[str], Refusal | None]) -> list[str]:
    """``values`` when ``refusal_of`` refuses none of them; else every refused one, positioned by index."""
    raise_all(
        [
            Problem((index,), refusal.problem, value, refusal.expected)
            for index, value in enumerate(values)
            if (refusal := refusal_of(value)) is not None
        ]
    )
    return values


#: ``provider_version`` of each cloud's section (:mod:`dativo_infra.config.provider_versions`).
ProviderVersion = Annotated[str | None, Field(pattern=CONSTRAINT_PATTERN, description=CONSTRAINT_DESCRIPTION)]


class AwsPlatform(Strict):
    """What the platform team allows every AWS job."""

    provider_version: ProviderVersion = None

    allowed_escalation_actions: list[str] = Field(
        default_factory=list,
        description=(
            "IAM actions a job's permissions.statements may grant although they can escalate privileges "
            "(permissions management, iam: writes, sts:AssumeRole*), e.g. iam:PassRole. Exact actions, "
            "no wildcard. Unset: none (every such action is refused)"
        ),
    )

    @field_validator("allowed_escalation_actions")
    @classmethod
    def _exact(cls, value: list[str]) -> list[str]:
        return _each_refused(value, aws_iam.action_refusal)


class GcpPlatform(Strict):
    """What the platform team allows and defaults for every GCP job."""

    provider_version: ProviderVersion = None

    project_id: str | None = Field(
        None,
        pattern=gcp.PROJECT_ID_PATTERN,
        description="Project of every GCP job that gives no runtime.project_id (a job's own wins). "
        "Unset: every GCP job must give project_id",
    )

    allowed_privileged_roles: list[str] = Field(
        default_factory=list,
        description=(
            "IAM roles a job's permissions.roles may grant although they are privileged (roles/owner, "
            "roles/editor, IAM and Resource Manager admin roles, roles that act as another identity: "
            "dativo_infra.clouds.gcp.PRIVILEGED_ROLES), e.g. roles/iam.serviceAccountUser. Exact roles, no "
            "wildcard. Unset: none (every such role is refused)"
        ),
    )

    @field_validator("allowed_privileged_roles")
    @classmethod
    def _exact(cls, value: list[str]) -> list[str]:
        return _each_refused(value, gcp.role_refusal)


class AzurePlatform(Strict):
    """What the platform team allows every Azure job."""

    provider_version: ProviderVersion = None

    allowed_privileged_roles: list[str] = Field(
        default_factory=list,
        description=(
            "Role names a job's permissions.roles may assign although they are privileged (Owner, User Access "
            "Administrator, Role Based Access Control Administrator anywhere; Contributor at subscription scope: "
            "dativo_infra.clouds.azure.ROLE_ASSIGNMENT_WRITERS and SUBSCRIPTION_WIDE_ROLES). Exact names, no "
            "wildcard. Unset: none (every such role is refused)"
        ),
    )

    @field_validator("allowed_privileged_roles")
    @classmethod
    def _exact(cls, value: list[str]) -> list[str]:
        return _each_refused(value, azure.role_name_refusal)


class PlatformSettings(Strict):
    """The platform settings file."""

    default_tags: dict[str, str] = Field(
        default_factory=dict, description="Lowest-precedence tags on every resource of every job"
    )
    backend: Backend = Field(default_factory=LocalBackend)
    deploy_target: Literal["cloud", "local"] = Field(
        "cloud",
        description="local: point the AWS provider at the emulator. DATIVO_DEPLOY_TARGET overrides it",
    )
    local_cloud: LocalCloud = Field(default_factory=LocalCloud)
    asset_roots: list[str] = Field(
        default_factory=list,
        description="More directories (relative to this file's directory) that a job's asset_path may "
        "point into. The jobs tree (this file's directory) is always allowed",
    )
    aws: AwsPlatform = Field(default_factory=AwsPlatform, description="AWS rules for every job")
    gcp: GcpPlatform = Field(default_factory=GcpPlatform, description="GCP rules for every job")
    azure: AzurePlatform = Field(default_factory=AzurePlatform, description="Azure rules for every job")
    #: The file these settings were read from, with positions (None: built in code, or no file).
    _source: PositionedDocument | None = PrivateAttr(None)
    #: The path of that file (None: built in code, or no file).
    _path: Path | None = PrivateAttr(None)

    @property
    def directory(self) -> Path:
        """The directory of the settings file: the jobs tree (``jobs/`` by default)."""
        return (self._path or settings_path()).parent

    def asset_root_paths(self) -> list[Path]:
        """The directories named by ``asset_roots``, relative to :attr:`directory`."""
        return [self.directory / root for root in self.asset_roots]

    @property
    def source_file(self) -> str:
        """The settings file as shown in messages."""
        return self._source.file if self._source is not None else display_path(settings_path())

    def line_of(self, path: tuple[str, ...]) -> int:
        """Line of ``path`` in the settings file (0 when the settings did not come from a file)."""
        return self._source.line_of(path) if self._source is not None else 0

    def provider_version(self, provider: Provider) -> str | None:
        """The pinned version constraint of ``provider``'s Terraform provider (None: the bindings')."""
        versions = {
            Provider.AWS: self.aws.provider_version,
            Provider.GCP: self.gcp.provider_version,
            Provider.AZURE: self.azure.provider_version,
        }
        return versions[provider]

    def provider_version_warnings(self, providers: Iterable[Provider]) -> list[JobError]:
        """A warning per pin of ``providers`` that the installed bindings' version does not satisfy
        (none when no bindings are installed here: nothing is synthesized with them)."""
        from dativo_infra.cdk import CdkLibraryError
        from dativo_infra.tfcli import bound_provider

        found = []
        for provider in sorted(set(providers)):
            pin = self.provider_version(provider)
            if pin is None:
                continue
            try:
                bound = bound_provider(TERRAFORM_PROVIDER[provider])
            except CdkLibraryError:
                return []
            why = None if bound is None else pin_mismatch(pin, bound.version)
            if bound is not None and why is not None:
                path = (provider.value, "provider_version")
                expected = f"a constraint that admits {bound.version}, or unset"
                found.append(
                    JobError(
                        self.source_file, self.line_of(path), ".".join(path), why, show_value(pin), expected
                    )
                )
        return found

    @property
    def effective_target(self) -> str:
        return os.environ.get("DATIVO_DEPLOY_TARGET", self.deploy_target)

    @property
    def local_endpoint(self) -> str:
        return os.environ.get("DATIVO_AWS_ENDPOINT", self.local_cloud.endpoint)


def settings_path() -> Path:
    return Path(os.environ.get(SETTINGS_ENV, DEFAULT_SETTINGS_PATH))


@lru_cache(maxsize=8)
def _load(path: str) -> PlatformSettings:
    file = Path(path)
    if not file.exists():
        defaults = PlatformSettings()
        defaults._path = file
        return defaults
    try:
        document = load_positioned(file, display_path(file))
    except JobError as exc:
        raise ErrorReport([exc]) from None
    try:
        settings = PlatformSettings.model_validate(document.value)
    except ValidationError as exc:
        raise ErrorReport(convert_errors(exc, document, PlatformSettings)) from None
    settings._source = document
    settings._path = file
    return settings


def load_settings(path: Path | None = None) -> PlatformSettings:
    """The platform settings (defaults when the file does not exist). Read once per absolute path: a
    process that changes its working directory reads the settings of the new one."""
    return _load(os.path.abspath(path or settings_path()))
