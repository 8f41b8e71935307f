"""GCP rules: resource names valid for any job, secret references, bucket names."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings

from dativo_infra.clouds import WILDCARD_PROBLEM, gcp
from dativo_infra.naming import stack_name
from tests.clouds.rules import job_names, tenants

SA_ID_RE = re.compile(r"^[a-z][-a-z0-9]*[a-z0-9]$")
CLOUD_RUN_RE = re.compile(r"^[a-z][-a-z0-9]*[a-z0-9]$|^[a-z]$")
SCHEDULER_RE = re.compile(r"^[A-Za-z0-9_-]+$")


@pytest.mark.parametrize(
    ("reference", "parts"),
    [
        ("projects/acme-data/secrets/s", ("projects/acme-data/secrets/s", "latest")),
        ("projects/acme-data/secrets/s/versions/3", ("projects/acme-data/secrets/s", "3")),
        ("projects/123456789/secrets/s_1/versions/prod", ("projects/123456789/secrets/s_1", "prod")),
        ("token", ("token", "latest")),
        ("token/versions/latest", ("token", "latest")),
    ],
)
def test_secret_references(reference: str, parts: tuple[str, str]) -> None:
    assert gcp.split_secret(reference) == parts


@pytest.mark.parametrize(
    ("bucket", "ok"),
    [
        ("acme-raw", True),
        ("a.b.c", True),
        ("gs://x", False),
        ("x" * 64, False),
        ("a." + "b" * 63, True),
        ("a." + "b" * 64, False),  # each dot-separated part is at most 63
        ("ab", False),
        ("acme-raw\n", False),
        ("*", False),
        ("10.0.0.1", False),
        ("goog-raw", False),
        ("acme-google-raw", False),
    ],
)
def test_bucket_names(bucket: str, ok: bool) -> None:
    assert gcp.is_bucket_name(bucket) is ok


# ---------------------------------------------------------------------------------------------
# names (pure functions, property-based)
# ---------------------------------------------------------------------------------------------


def check_names(tenant: str, job_name: str) -> Any:
    names = gcp.resource_names(stack_name(tenant, job_name))
    for account in (names.service_account_id, names.scheduler_account_id):
        assert 6 <= len(account) <= 30, account
        assert SA_ID_RE.match(account), account
    assert names.service_account_id != names.scheduler_account_id
    assert names.service_account_id.endswith("-run") and names.scheduler_account_id.endswith("-sched")
    assert 1 <= len(names.cloud_run) <= 49 and CLOUD_RUN_RE.match(names.cloud_run), names.cloud_run
    assert 1 <= len(names.scheduler_job) <= 500 and SCHEDULER_RE.match(names.scheduler_job)
    assert gcp.resource_names(stack_name(tenant, job_name)) == names  # deterministic
    return names


@settings(max_examples=300, deadline=None)
@given(tenant=tenants, job_name=job_names)
def test_names_follow_gcp_rules_for_any_valid_job(tenant: str, job_name: str) -> None:
    check_names(tenant, job_name)


@settings(max_examples=200, deadline=None)
@given(tenant=tenants, first=job_names, second=job_names)
def test_different_stacks_get_different_names(tenant: str, first: str, second: str) -> None:
    if stack_name(tenant, first) == stack_name(tenant, second):
        assert check_names(tenant, first) == check_names(tenant, second)
        return
    a, b = check_names(tenant, first), check_names(tenant, second)
    assert a.cloud_run != b.cloud_run
    assert a.scheduler_job != b.scheduler_job
    assert {a.service_account_id, a.scheduler_account_id}.isdisjoint(
        {b.service_account_id, b.scheduler_account_id}
    )


@pytest.mark.parametrize("job_name", ["a", "A", "1", "x" * 128, "9" * 128, "a" + "-" * 126 + "b", "a_b.c-d"])
def test_names_at_the_edges(job_name: str) -> None:
    check_names("t", job_name)


@pytest.mark.parametrize(
    ("reference", "problem"),
    [
        ("token", None),
        ("tok_en-1", None),
        ("t" * 255, None),
        ("projects/acme-data/secrets/token/versions/latest", None),
        ("projects/acme-data/secrets/token/versions/12", None),
        ("*", WILDCARD_PROBLEM),
        ("projects/*/secrets/token", WILDCARD_PROBLEM),
        ("projects/acme-data/secrets/${x}", WILDCARD_PROBLEM),
        ("t" * 256, "not a Secret Manager secret"),
        ("token\n", "not a Secret Manager secret"),
        ("projects/p/secrets/token", "not a Secret Manager secret"),
        ("projects/acme-data/secrets/tok.en", "not a Secret Manager secret"),
        ("projects/acme-data/secrets/token/versions/", "not a Secret Manager secret"),
        ("projects/acme-data/token", "not a Secret Manager secret"),
    ],
)
def test_secret_ids(reference: str, problem: str | None) -> None:
    refusal = gcp.secret_refusal(reference)
    assert (refusal.problem if refusal else None) == problem
    if problem is not None:
        with pytest.raises(ValueError):
            gcp.split_secret(reference)


@pytest.mark.parametrize(
    ("member", "ok"),
    [
        ("user:alex@example.com", True),
        ("serviceAccount:sa@acme-data.iam.gserviceaccount.com", True),
        ("group:admins@example.com", True),
        ("domain:example.com", True),
        ("allUsers", True),
        ("allAuthenticatedUsers", True),
        (
            "principal://iam.googleapis.com/locations/global/workforcePools/staff/subject/alex@example.com",
            True,
        ),
        (
            "principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/"
            "ci/subject/repo:acme/app:ref:refs/heads/main",
            False,  # '/' inside a subject: refused rather than guessed
        ),
        ("principalSet://iam.googleapis.com/locations/global/workforcePools/staff/group/analysts", True),
        (
            "principalSet://iam.googleapis.com/projects/1234/locations/global/workloadIdentityPools/ci/"
            "attribute.repository/acme-app",
            True,
        ),
        (
            "principalSet://cloudresourcemanager.googleapis.com/projects/123456789012/type/ServiceAccount",
            True,
        ),
        ("principalSet://iam.googleapis.com/locations/global/workforcePools/staff/*", False),
        ("user:*@example.com", False),
        ("user:${var.x}", False),
        ("user:a'b@example.com", False),
        ("alex@example.com", False),
        ("allusers", False),
        ("projectOwner:acme", False),
        ("user:alex@example.com\n", False),
    ],
)
def test_iam_members(member: str, ok: bool) -> None:
    assert (gcp.member_refusal(member) is None) is ok


@pytest.mark.parametrize(
    ("role", "ok"),
    [
        ("roles/bigquery.dataEditor", True),
        ("roles/owner", True),
        ("roles/cloudsql.instanceUser", True),
        ("projects/acme-data-dev/roles/loader", True),
        ("projects/123456/roles/dativo.loader_v2", True),
        ("organizations/123/roles/loader", True),
        ("roles/bigquery.*", False),
        ("roles/${x}", False),
        ("Roles/owner", False),
        ("roles/bigquery.dataEditor ", False),
        ("projects/acme-data-dev/roles/ab", False),
        ("folders/1/roles/loader", False),
    ],
)
def test_roles(role: str, ok: bool) -> None:
    assert (gcp.role_refusal(role) is None) is ok


@pytest.mark.parametrize(
    ("role", "privileged"),
    [
        ("roles/owner", True),
        ("roles/editor", True),
        ("roles/iam.securityAdmin", True),
        ("roles/iam.serviceAccountAdmin", True),
        ("roles/iam.workloadIdentityPoolAdmin", True),
        ("roles/resourcemanager.projectIamAdmin", True),
        ("roles/iam.serviceAccountTokenCreator", True),
        ("roles/iam.serviceAccountUser", True),
        ("roles/iam.workloadIdentityUser", True),
        ("roles/viewer", False),
        ("roles/iam.roleViewer", False),
        ("roles/bigquery.admin", False),
        ("roles/storage.admin", False),
    ],
)
def test_privileged_roles(role: str, privileged: bool) -> None:
    assert gcp.is_privileged_role(role) is privileged
    assert (gcp.privilege_refusal(role, ()) is not None) is privileged
    assert gcp.privilege_refusal(role, (role,)) is None


@pytest.mark.parametrize(
    ("resource", "parsed"),
    [
        ("datasets/raw_salesforce", gcp.RoleResource("dataset", "raw_salesforce")),
        ("projects/acme-shared/datasets/ref", gcp.RoleResource("dataset", "ref", "acme-shared")),
        ("topics/loads-done", gcp.RoleResource("topic", "loads-done")),
        ("projects/123456/topics/a.b~c+d", gcp.RoleResource("topic", "a.b~c+d", "123456")),
        ("buckets/acme-raw", gcp.RoleResource("bucket", "acme-raw")),
        ("datasets/raw-x", None),
        ("topics/1abc", None),
        ("topics/goog-x", None),
        ("buckets/acme/raw", None),
        ("projects/_/buckets/acme-raw", None),
        ("datasets/*", None),
        ("", None),
    ],
)
def test_role_resources(resource: str, parsed: gcp.RoleResource | None) -> None:
    result = gcp.parse_role_resource(resource)
    assert (result if isinstance(result, gcp.RoleResource) else None) == parsed


@pytest.mark.parametrize(
    ("email", "ok"),
    [
        ("ingest@acme-data-dev.iam.gserviceaccount.com", True),
        ("123456789012-compute@developer.gserviceaccount.com", True),
        ("acme-data-dev@appspot.gserviceaccount.com", True),
        ("ingest@acme-data-dev.iam.gserviceaccount.com.example", False),
        ("Ingest@acme-data-dev.iam.gserviceaccount.com", False),
        ("short@acme-data-dev.iam.gserviceaccount.com", False),
        ("user@acme.example", False),
        ("*@acme-data-dev.iam.gserviceaccount.com", False),
    ],
)
def test_service_account_emails(email: str, ok: bool) -> None:
    assert (gcp.service_account_email_refusal(email) is None) is ok
