"""Errors and warnings of a GCP job's extra roles (``permissions.roles``), the platform setting
``gcp.allowed_privileged_roles`` and an existing service account (``existing.service_account_email``),
each with file, line and dotted path. The structure these options synthesize is tested in
tests/constructs/test_gcp_cloud_run.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dativo_infra.clouds import gcp
from dativo_infra.config.loader import load_job
from dativo_infra.config.posture import job_warnings
from dativo_infra.config.settings import GcpPlatform, PlatformSettings, load_settings
from dativo_infra.config.yamlpos import display_path
from dativo_infra.errors import ErrorReport
from tests.config.test_aws_platform import Shown, line_of

HEAD = """\
tenant_id: initech
environment: prod
infrastructure:
  provider: gcp
  region: europe-west1
  runtime:
    type: gcp_cloud_run
    mode: job
    project_id: initech-data-prod
"""
TAIL = """\
  tags:
    job_name: roles_check
    team: data_platform
    pipeline_type: ingestion
    environment: prod
    cost_center: FINOPS-001
"""
PREFIX = "infrastructure.runtime."


def write(tmp_path: Path, runtime: str) -> Path:
    path = tmp_path / "job.yaml"
    path.write_text(HEAD + runtime + TAIL)
    return Shown(path)


def errors(path: Path, settings: PlatformSettings | None = None) -> list[str]:
    with pytest.raises(ErrorReport) as caught:
        load_job(path, settings or PlatformSettings())
    return [str(e) for e in caught.value]


def roles(*entries: str) -> str:
    return "    permissions:\n      roles:\n" + "".join(entries)


def role(name: str, resource: str | None = None) -> str:
    text = f"        - role: {name}\n"
    return text + (f"          resource: {resource}\n" if resource is not None else "")


# --- roles -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("roles/bigquery.*", "wildcards are not allowed"),
        ("'roles/${var.role}'", "wildcards are not allowed"),
        ("bigquery.dataEditor", "not an IAM role"),
        ("roles/", "not an IAM role"),
        ("projects/p/roles/x", "not an IAM role"),
        ("roles/bigquery.data Editor", "not an IAM role"),
    ],
)
def test_bad_roles_are_refused_at_their_line(tmp_path: Path, value: str, problem: str) -> None:
    path = write(tmp_path, roles(role(value)))
    (error,) = errors(path)
    assert error.startswith(f"{path}:{line_of(path, 'role:')}: {PREFIX}permissions.roles[0].role: {problem}")


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("datasets/raw-*", "wildcards are not allowed"),
        ("datasets/raw-salesforce", "not a BigQuery dataset id"),
        ("topics/ab", "not a Pub/Sub topic id"),
        ("topics/goog-events", "not a Pub/Sub topic id"),
        ("'topics/a%{x}bc'", "not a dataset, topic or bucket"),
        ("buckets/goog-raw", "not a bare bucket name"),
        ("buckets/gs://b", "not a dataset, topic or bucket"),
        ("tables/x", "not a dataset, topic or bucket"),
        ("projects/initech-data-prod", "not a dataset, topic or bucket"),
        ("'projects/${p}/datasets/d'", "wildcards are not allowed"),
    ],
)
def test_bad_role_resources_are_refused_at_their_line(tmp_path: Path, value: str, problem: str) -> None:
    path = write(tmp_path, roles(role("roles/bigquery.dataEditor", value)))
    (error,) = errors(path)
    assert error.startswith(
        f"{path}:{line_of(path, 'resource:')}: {PREFIX}permissions.roles[0].resource: {problem}"
    )


def test_a_role_is_listed_once_per_resource(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        roles(
            role("roles/bigquery.dataEditor", "datasets/raw"),
            role("roles/bigquery.dataEditor", "datasets/other"),
            role("roles/bigquery.dataEditor", "datasets/raw"),
        ),
    )
    (error,) = errors(path)
    assert f"{PREFIX}permissions.roles[2].role: listed twice" in error


@pytest.mark.parametrize(
    "value",
    [*gcp.PRIVILEGED_ROLES, "roles/iam.securityAdmin", "roles/iam.serviceAccountKeyAdmin",
     "roles/resourcemanager.projectIamAdmin", "roles/resourcemanager.organizationAdmin"],
)  # fmt: skip
def test_privileged_roles_are_refused_unless_the_platform_allows_them(tmp_path: Path, value: str) -> None:
    path = write(tmp_path, roles(role(value, "topics/loads-done")))
    (error,) = errors(path)
    assert error.startswith(
        f"{path}:{line_of(path, 'role:')}: {PREFIX}permissions.roles[0].role: a privileged role"
    )
    assert "gcp.allowed_privileged_roles" in error
    allowed = PlatformSettings(gcp=GcpPlatform(allowed_privileged_roles=[value]))
    assert load_job(path, allowed).config.runtime.permissions.roles[0].role == value


@pytest.mark.parametrize(
    "value",
    ["roles/iam.serviceAccountViewer", "roles/iam.roleViewer", "roles/resourcemanager.projectViewer",
     "roles/bigquery.admin", "roles/viewer", "projects/initech-data-prod/roles/loader",
     "organizations/123456/roles/dativo.loader"],
)  # fmt: skip
def test_other_roles_need_no_allowance(tmp_path: Path, value: str) -> None:
    path = write(tmp_path, roles(role(value)))
    assert load_job(path, PlatformSettings()).config.runtime.permissions.roles[0].resource is None


def test_the_platform_file_allows_privileged_roles(tmp_path: Path) -> None:
    (tmp_path / "platform.yaml").write_text(
        "gcp:\n  allowed_privileged_roles:\n    - roles/iam.serviceAccountUser\n"
    )
    settings = load_settings(tmp_path / "platform.yaml")
    assert settings.gcp.allowed_privileged_roles == ["roles/iam.serviceAccountUser"]
    job = load_job(write(tmp_path, roles(role("roles/iam.serviceAccountUser"))), settings)
    assert job.config.runtime.permissions.roles[0].role == "roles/iam.serviceAccountUser"
    # a privileged role the platform does not name is still refused
    assert "a privileged role" in errors(write(tmp_path, roles(role("roles/owner"))), settings)[0]
    # the setting itself takes exact roles only
    (tmp_path / "bad.yaml").write_text("gcp:\n  allowed_privileged_roles:\n    - roles/iam.*\n")
    with pytest.raises(ErrorReport) as caught:
        load_settings(tmp_path / "bad.yaml")
    (error,) = [str(e) for e in caught.value]
    assert error.startswith(
        f"{display_path(tmp_path / 'bad.yaml')}:3: gcp.allowed_privileged_roles[0]: wildcards are not allowed"
    )


# --- an existing service account ---------------------------------------------------------------

EXISTING = "    existing:\n      service_account_email: ingest@initech-data-prod.iam.gserviceaccount.com\n"


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("ingest@initech-data-prod.iam.gserviceaccount.com.evil.example", "not a service account email"),
        ("user@initech.example", "not a service account email"),
        ("ing@initech-data-prod.iam.gserviceaccount.com", "not a service account email"),
        ("'*@initech-data-prod.iam.gserviceaccount.com'", "wildcards are not allowed"),
        ("'${var.sa}'", "wildcards are not allowed"),
    ],
)
def test_bad_service_account_emails_are_refused(tmp_path: Path, value: str, problem: str) -> None:
    path = write(tmp_path, f"    existing:\n      service_account_email: {value}\n")
    (error,) = errors(path)
    assert error.startswith(
        f"{path}:{line_of(path, 'service_account_email')}: {PREFIX}existing.service_account_email: {problem}"
    )


def test_a_given_service_account_refuses_every_permission(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        EXISTING
        + "    permissions:\n"
        + "      storage:\n        - bucket: initech-lake\n"
        + "      secrets:\n        - sf-token\n"
        + "      roles:\n        - role: roles/bigquery.jobUser\n",
    )
    found = errors(path)
    assert len(found) == 3
    for name, error in zip(("storage", "secrets", "roles"), found, strict=True):
        assert error.startswith(f"{path}:{line_of(path, name + ':')}: {PREFIX}permissions.{name}: ")
        assert "grant them to the account, or drop the field" in error


def test_a_given_service_account_with_env_secrets_is_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path, EXISTING + "    secrets:\n      SF_TOKEN: sf-token\n")
    job = load_job(path, PlatformSettings())
    (warning,) = [str(w) for w in job_warnings(job) if "service_account_email" in str(w)]
    assert "must already read secrets.SF_TOKEN" in warning
    assert job.config.runtime.existing.service_account_email.startswith("ingest@")


def test_a_role_a_storage_grant_already_gives_is_refused(tmp_path: Path) -> None:
    """Two members of one binding: destroying either would drop the grant of both."""
    path = write(
        tmp_path,
        "    permissions:\n      storage:\n        - bucket: initech-lake\n          access: read\n"
        + "        - bucket: initech-landing\n          prefix: raw/\n"
        + "      roles:\n"
        + role("roles/storage.objectViewer", "buckets/initech-lake")
        + role("roles/storage.objectViewer", "buckets/initech-landing"),
    )
    (error,) = errors(path)
    assert error.startswith(f"{path}:{line_of(path, 'role:')}: {PREFIX}permissions.roles[0].role: ")
    assert "permissions.storage grants this role on this bucket already" in error
