"""Cloud Run revision rules (dativo_infra.clouds.gcp_run): connectors, network tags, mount paths, KMS keys."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dativo_infra.clouds import gcp_run
from tests.clouds.rules import CONNECTOR_RE, KMS_KEY_RE, NETWORK_TAG_RE

REGION = "europe-west1"


@pytest.mark.parametrize(
    ("connector", "problem"),
    [
        ("run-conn", None),
        ("a" + "b" * 24, None),  # 25 characters
        ("a" + "b" * 25, "not a Serverless VPC Access connector"),
        ("projects/acme-net/locations/europe-west1/connectors/c1", None),
        ("projects/123456/locations/europe-west1/connectors/c1", None),
        (
            "projects/acme-net/locations/us-east1/connectors/c1",
            "a connector in us-east1: Cloud Run uses a connector of its own region only",
        ),
        ("c-", "not a Serverless VPC Access connector"),
        ("1c", "not a Serverless VPC Access connector"),
        ("Conn", "not a Serverless VPC Access connector"),
        ("c*", "wildcards are not allowed: '*', '?' and '${...}' would widen the grant"),
    ],
)
def test_connector_rule(connector: str, problem: str | None) -> None:
    refusal = gcp_run.connector_refusal(connector, REGION)
    assert (refusal.problem if refusal else None) == problem
    if problem is None:
        full = gcp_run.connector_id(connector, "acme-data", REGION)
        assert CONNECTOR_RE.fullmatch(full)


@pytest.mark.parametrize(
    ("tag", "ok"),
    [
        ("web", True),
        ("a", True),
        ("a" * 63, True),
        ("a" * 64, False),
        ("Web", False),
        ("1a", False),
        ("a-", False),
        ("a_b", False),
    ],
)
def test_network_tag_rule(tag: str, ok: bool) -> None:
    assert (gcp_run.network_tag_refusal(tag) is None) is ok


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="abz019-_A", min_size=1, max_size=66))
def test_network_tag_rule_agrees_with_the_independent_pattern(tag: str) -> None:
    assert (gcp_run.network_tag_refusal(tag) is None) is bool(NETWORK_TAG_RE.fullmatch(tag))


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("/secrets/db", None),
        ("/var/run/token", None),
        ("/", "not a mount path"),
        ("secrets", "not an absolute path"),
        ("/a:b", "not a mount path"),
        ("/a/../b", "not a mount path"),
        ("/a/./b", "not a mount path"),
        ("/dev", "a path Cloud Run reserves"),
        ("/proc/1", "a path Cloud Run reserves"),
        ("/sys/fs", "a path Cloud Run reserves"),
        ("/devices", None),
        ("/s/${x}", "holds a wildcard or control character"),
    ],
)
def test_mount_path_rule(path: str, problem: str | None) -> None:
    refusal = gcp_run.mount_path_refusal(path)
    assert (refusal.problem if refusal else None) == problem


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("projects/acme-kms/locations/europe-west1/keyRings/r/cryptoKeys/k", None),
        (
            "projects/acme-kms/locations/europe/keyRings/r/cryptoKeys/k",
            "a key in europe: Cloud Run takes a key in its own region",
        ),
        (
            "projects/acme-kms/locations/global/keyRings/r/cryptoKeys/k",
            "a key in global: Cloud Run takes a key in its own region",
        ),
        (
            "projects/acme-kms/locations/europe-west1/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1",
            "not a Cloud KMS crypto key id",
        ),
        ("k", "not a Cloud KMS crypto key id"),
    ],
)
def test_kms_key_rule(key: str, problem: str | None) -> None:
    refusal = gcp_run.kms_key_refusal(key, REGION)
    assert (refusal.problem if refusal else None) == problem
    assert (KMS_KEY_RE.fullmatch(key) is not None) is (problem is None or "own region" in problem)


def test_run_service_agent() -> None:
    assert (
        gcp_run.run_service_agent("123")
        == "serviceAccount:service-123@serverless-robot-prod.iam.gserviceaccount.com"
    )


@pytest.mark.parametrize(
    ("path", "ok"),
    [
        ("/", True),
        ("/healthz", True),
        ("/a/b?x", False),
        ("healthz", False),
        ("/${x}", False),
        ("/a b", False),
    ],
)
def test_http_path_rule(path: str, ok: bool) -> None:
    assert (gcp_run.http_path_refusal(path) is None) is ok
