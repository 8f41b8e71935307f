"""GCP Cloud Run revision template options: VPC egress (connector or direct, tags, egress mode), probes,
CPU allocation and execution environment, secret volumes, CMEK, each in the synthesized JSON, and
every bad value or combination refused with its file, line and dotted path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dativo_infra.clouds import gcp_run
from dativo_infra.config.loader import LoadedJob, load_jobs
from dativo_infra.config.posture import job_warnings
from dativo_infra.config.settings import PlatformSettings
from dativo_infra.errors import ErrorReport
from tests.clouds.rules import assert_google_plan_time_rules
from tests.constructs.conftest import Synthesize, one, resources
from tests.constructs.test_gcp_cloud_run import job_yaml

KEY = "projects/acme-kms/locations/europe-west1/keyRings/run/cryptoKeys/images"

JOBS: dict[str, str] = {
    "service_private": job_yaml(
        "acme",
        "dev",
        "private_api",
        f"""
        mode: service
        project_id: acme-data-dev
        port: 8080
        network:
          vpc_id: projects/acme-net/global/networks/shared
          subnet_ids: [projects/acme-net/regions/europe-west1/subnetworks/run]
          egress: ALL_TRAFFIC
          tags: [run-egress, allow-db]
        probes:
          startup:
            tcp_socket: {{}}
            period_seconds: 5
            failure_threshold: 24
          liveness:
            http_get:
              path: /healthz
            period_seconds: 30
            timeout_seconds: 5
        cpu_idle: false
        startup_cpu_boost: true
        execution_environment: gen2
        volumes:
          - secret: projects/acme-data-dev/secrets/db-cert
            mount_path: /secrets/db
            items:
              - path: ca.pem
                version: "3"
              - path: client/key.pem
        encryption_key: {KEY}
        """,
    ),
    "service_connector": job_yaml(
        "acme",
        "dev",
        "connector_api",
        """
        mode: service
        project_id: acme-data-dev
        network:
          connector: run-conn
          egress: PRIVATE_RANGES_ONLY
        probes:
          startup:
            grpc:
              service: health
        """,
    ),
    "job_connector": job_yaml(
        "acme",
        "prod",
        "nightly_load",
        f"""
        mode: job
        project_id: acme-data-prod
        network:
          connector: projects/acme-net/locations/europe-west1/connectors/shared-conn
        execution_environment: gen1
        secrets:
          TOKEN: token
        volumes:
          - secret: token/versions/7
            mount_path: /var/run/token
        encryption_key: {KEY}
        """,
    ),
    "job_existing_account": job_yaml(
        "acme",
        "dev",
        "given_account",
        f"""
        mode: job
        project_id: acme-data-dev
        existing:
          service_account_email: loader@acme-data-dev.iam.gserviceaccount.com
        volumes:
          - secret: token
            mount_path: /secrets
        encryption_key: {KEY}
        """,
    ),
    "service_default": job_yaml("acme", "dev", "plain_api", "mode: service\nproject_id: acme-data-dev"),
}


@pytest.fixture(scope="module")
def out(synthesize: Synthesize) -> tuple[dict[str, LoadedJob], dict[str, dict[str, Any]]]:
    return synthesize(JOBS, PlatformSettings())


@pytest.fixture(scope="module")
def synthesized(out: tuple[Any, dict[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    return out[1]


def service_template(doc: dict[str, Any]) -> dict[str, Any]:
    template: dict[str, Any] = one(doc, "google_cloud_run_v2_service")["template"]
    return template


def job_template(doc: dict[str, Any]) -> dict[str, Any]:
    template: dict[str, Any] = one(doc, "google_cloud_run_v2_job")["template"]["template"]
    return template


# --- VPC egress --------------------------------------------------------------------------------------
def test_direct_vpc_egress_with_tags_and_egress_mode(synthesized: dict) -> None:
    assert service_template(synthesized["service_private"])["vpc_access"] == {
        "egress": "ALL_TRAFFIC",
        "network_interfaces": [
            {
                "network": "projects/acme-net/global/networks/shared",
                "subnetwork": "projects/acme-net/regions/europe-west1/subnetworks/run",
                "tags": ["run-egress", "allow-db"],
            }
        ],
    }


def test_a_bare_connector_is_in_the_jobs_project_and_region(synthesized: dict) -> None:
    assert service_template(synthesized["service_connector"])["vpc_access"] == {
        "connector": "projects/acme-data-dev/locations/europe-west1/connectors/run-conn",
        "egress": "PRIVATE_RANGES_ONLY",
    }


def test_a_job_takes_a_full_connector_id_and_leaves_egress_to_cloud_run(synthesized: dict) -> None:
    assert job_template(synthesized["job_connector"])["vpc_access"] == {
        "connector": "projects/acme-net/locations/europe-west1/connectors/shared-conn"
    }


def test_no_network_no_vpc_access(synthesized: dict) -> None:
    assert "vpc_access" not in service_template(synthesized["service_default"])


# --- probes, CPU, execution environment -------------------------------------------------------------
def test_probes_on_the_service_container(synthesized: dict) -> None:
    (container,) = service_template(synthesized["service_private"])["containers"]
    assert container["startup_probe"] == {"tcp_socket": {}, "period_seconds": 5, "failure_threshold": 24}
    assert container["liveness_probe"] == {
        "http_get": {"path": "/healthz"},
        "period_seconds": 30,
        "timeout_seconds": 5,
    }
    (container,) = service_template(synthesized["service_connector"])["containers"]
    assert container["startup_probe"] == {"grpc": {"service": "health"}}
    assert "liveness_probe" not in container


def test_cpu_allocation_and_boost(synthesized: dict) -> None:
    (container,) = service_template(synthesized["service_private"])["containers"]
    assert container["resources"]["cpu_idle"] is False
    assert container["resources"]["startup_cpu_boost"] is True
    (container,) = service_template(synthesized["service_default"])["containers"]
    assert container["resources"]["cpu_idle"] is True  # written: the provider drops it once limits are set
    assert "startup_cpu_boost" not in container["resources"]


def test_execution_environment(synthesized: dict) -> None:
    assert (
        service_template(synthesized["service_private"])["execution_environment"]
        == "EXECUTION_ENVIRONMENT_GEN2"
    )
    assert job_template(synthesized["job_connector"])["execution_environment"] == "EXECUTION_ENVIRONMENT_GEN1"
    assert "execution_environment" not in service_template(synthesized["service_default"])


# --- secret volumes ----------------------------------------------------------------------------------
def test_secret_volume_with_items_is_mounted_and_granted(synthesized: dict) -> None:
    doc = synthesized["service_private"]
    template = service_template(doc)
    assert template["volumes"] == [
        {
            "name": "secret-0",
            "secret": {
                "secret": "projects/acme-data-dev/secrets/db-cert",
                "items": [
                    {"path": "ca.pem", "version": "3"},
                    {"path": "client/key.pem", "version": "latest"},
                ],
            },
        }
    ]
    assert template["containers"][0]["volume_mounts"] == [{"name": "secret-0", "mount_path": "/secrets/db"}]
    grants = resources(doc, "google_secret_manager_secret_iam_member")
    assert [g["secret_id"] for g in grants] == ["projects/acme-data-dev/secrets/db-cert"]
    assert grants[0]["role"] == "roles/secretmanager.secretAccessor"


def test_a_volume_without_items_holds_the_references_version(synthesized: dict) -> None:
    doc = synthesized["job_connector"]
    assert job_template(doc)["volumes"] == [
        {"name": "secret-0", "secret": {"secret": "token", "items": [{"path": "token", "version": "7"}]}}
    ]
    # the env secret and the volume read the same secret: one grant (the stack's one grant per secret)
    assert [g["secret_id"] for g in resources(doc, "google_secret_manager_secret_iam_member")] == ["token"]


def test_a_given_account_gets_no_volume_grant(out: tuple[dict[str, LoadedJob], dict]) -> None:
    loaded, synthesized = out
    assert not resources(synthesized["job_existing_account"], "google_secret_manager_secret_iam_member")
    warnings = [str(w) for w in job_warnings(loaded["job_existing_account"])]
    assert any("volumes[0]" in w for w in warnings), warnings


# --- CMEK ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", ["service_private", "job_connector", "job_existing_account"])
def test_cmek_key_and_the_run_service_agents_grant(synthesized: dict, case: str) -> None:
    doc = synthesized[case]
    kind = "google_cloud_run_v2_service" if case.startswith("service") else "google_cloud_run_v2_job"
    template = service_template(doc) if kind.endswith("service") else job_template(doc)
    assert template["encryption_key"] == KEY
    (project_lid, project) = next(iter(doc["data"]["google_project"].items()))
    assert project["project_id"] == one(doc, kind)["project"]
    (grant_lid, grant) = next(iter(doc["resource"]["google_kms_crypto_key_iam_member"].items()))
    assert grant["crypto_key_id"] == KEY
    assert grant["role"] == "roles/cloudkms.cryptoKeyEncrypterDecrypter"
    assert grant["member"] == (
        f"serviceAccount:service-${{data.google_project.{project_lid}.number}}"
        "@serverless-robot-prod.iam.gserviceaccount.com"
    )
    assert f"google_kms_crypto_key_iam_member.{grant_lid}" in one(doc, kind)["depends_on"]


def test_no_key_no_grant(synthesized: dict) -> None:
    doc = synthesized["service_default"]
    assert "encryption_key" not in service_template(doc)
    assert "google_kms_crypto_key_iam_member" not in doc["resource"] and "data" not in doc


@pytest.mark.parametrize("case", sorted(JOBS))
def test_google_plan_time_rules(synthesized: dict, case: str) -> None:
    assert_google_plan_time_rules(synthesized[case])


# --- errors ------------------------------------------------------------------------------------------
BAD: list[tuple[str, str, str, str]] = [
    # (id, runtime block, dotted path under infrastructure.runtime, problem)
    (
        "connector_and_direct",
        "network: {connector: c1, vpc_id: net}",
        "network.connector",
        "a connector and direct VPC egress",
    ),
    ("tags_with_connector", "network: {connector: c1, tags: [a]}", "network.tags", "not to a connector"),
    ("tags_alone", "network: {tags: [a]}", "network.tags", "network tags need direct VPC egress"),
    ("egress_alone", "network: {egress: ALL_TRAFFIC}", "network.egress", "no VPC is set"),
    ("bad_egress", "network: {vpc_id: n, egress: ALL}", "network.egress", "not an allowed value"),
    ("bad_tag", "network: {vpc_id: n, tags: [Web_1]}", "network.tags[0]", "not a network tag"),
    ("long_tag", f"network: {{vpc_id: n, tags: [{'a' * 64}]}}", "network.tags[0]", "not a network tag"),
    ("twice_tag", "network: {vpc_id: n, tags: [a, a]}", "network.tags[1]", "listed twice"),
    ("bad_connector", "network: {connector: Conn_1}", "network.connector", "not a Serverless VPC Access"),
    ("long_connector", f"network: {{connector: {'c' * 26}}}", "network.connector", "not a Serverless"),
    (
        "connector_elsewhere",
        "network: {connector: projects/p-net-1/locations/us-east1/connectors/c1}",
        "network.connector",
        "Cloud Run uses a connector of its own region only",
    ),
    ("wildcard_connector", "network: {connector: 'c*'}", "network.connector", "wildcards are not allowed"),
    (
        "probe_on_job",
        "mode: job\nprobes: {startup: {tcp_socket: {}}}",
        "probes",
        "applies to mode service only",
    ),
    ("cpu_idle_on_job", "mode: job\ncpu_idle: false", "cpu_idle", "applies to mode service only"),
    (
        "boost_on_job",
        "mode: job\nstartup_cpu_boost: true",
        "startup_cpu_boost",
        "applies to mode service only",
    ),
    ("no_action", "probes: {startup: {period_seconds: 5}}", "probes.startup", "exactly one action"),
    (
        "two_actions",
        "probes: {startup: {tcp_socket: {}, grpc: {}}}",
        "probes.startup",
        "exactly one action",
    ),
    ("tcp_liveness", "probes: {liveness: {tcp_socket: {}}}", "probes.liveness.tcp_socket", "no tcp_socket"),
    (
        "startup_delay",
        "probes: {startup: {tcp_socket: {}, initial_delay_seconds: 241}}",
        "probes.startup.initial_delay_seconds",
        "outside Cloud Run's startup probe range",
    ),
    (
        "liveness_period",
        "probes: {liveness: {grpc: {}, period_seconds: 3601}}",
        "probes.liveness.period_seconds",
        "outside Cloud Run's liveness probe range",
    ),
    (
        "zero_failures",
        "probes: {liveness: {grpc: {}, failure_threshold: 0}}",
        "probes.liveness.failure_threshold",
        "outside",
    ),
    (
        "timeout_over_period",
        "probes: {liveness: {grpc: {}, timeout_seconds: 11}}",
        "probes.liveness.timeout_seconds",
        "longer than period_seconds",
    ),
    (
        "startup_too_long",
        "probes: {startup: {tcp_socket: {}, period_seconds: 30, failure_threshold: 9}}",
        "probes.startup.failure_threshold",
        "longer than a startup probe may run",
    ),
    (
        "bad_path",
        "probes: {liveness: {http_get: {path: healthz}}}",
        "probes.liveness.http_get.path",
        "not an HTTP",
    ),
    (
        "template_path",
        "probes: {liveness: {http_get: {path: '/${x}'}}}",
        "probes.liveness.http_get.path",
        "not an HTTP path",
    ),
    ("bad_port", "probes: {liveness: {grpc: {port: 0}}}", "probes.liveness.grpc.port", "not a port"),
    ("bad_env", "execution_environment: gen3", "execution_environment", "not an allowed value"),
    (
        "relative_mount",
        "volumes: [{secret: s, mount_path: secrets}]",
        "volumes[0].mount_path",
        "not an absolute",
    ),
    ("root_mount", "volumes: [{secret: s, mount_path: /}]", "volumes[0].mount_path", "not a mount path"),
    (
        "colon_mount",
        "volumes: [{secret: s, mount_path: '/a:b'}]",
        "volumes[0].mount_path",
        "not a mount path",
    ),
    (
        "dotdot_mount",
        "volumes: [{secret: s, mount_path: /a/../b}]",
        "volumes[0].mount_path",
        "not a mount path",
    ),
    (
        "dev_mount",
        "volumes: [{secret: s, mount_path: /dev/shm}]",
        "volumes[0].mount_path",
        "Cloud Run reserves",
    ),
    ("sys_mount", "volumes: [{secret: s, mount_path: /sys}]", "volumes[0].mount_path", "Cloud Run reserves"),
    (
        "overlap_mount",
        "volumes: [{secret: s, mount_path: /s}, {secret: t, mount_path: /s/t}]",
        "volumes[1].mount_path",
        "overlaps the mount path /s",
    ),
    ("bad_secret", "volumes: [{secret: 'a b', mount_path: /s}]", "volumes[0].secret", "not a Secret Manager"),
    (
        "version_and_items",
        "volumes: [{secret: s/versions/2, mount_path: /s, items: [{path: a}]}]",
        "volumes[0].secret",
        "names a version and items",
    ),
    (
        "absolute_item",
        "volumes: [{secret: s, mount_path: /s, items: [{path: /a}]}]",
        "volumes[0].items[0].path",
        "not a relative file path",
    ),
    (
        "twice_item",
        "volumes: [{secret: s, mount_path: /s, items: [{path: a}, {path: a}]}]",
        "volumes[0].items[1].path",
        "listed twice",
    ),
    (
        "bad_version",
        "volumes: [{secret: s, mount_path: /s, items: [{path: a, version: '${v}'}]}]",
        "volumes[0].items[0].version",
        "not a secret version",
    ),
    ("bad_key", "encryption_key: my-key", "encryption_key", "not a Cloud KMS crypto key id"),
    (
        "key_version",
        f"encryption_key: {KEY}/cryptoKeyVersions/1",
        "encryption_key",
        "not a Cloud KMS crypto key id",
    ),
    (
        "key_elsewhere",
        "encryption_key: projects/acme-kms/locations/europe/keyRings/r/cryptoKeys/k",
        "encryption_key",
        "Cloud Run takes a key in its own region",
    ),
    (
        "wildcard_key",
        "encryption_key: 'projects/*/locations/x/keyRings/r/cryptoKeys/k'",
        "encryption_key",
        "wildcards",
    ),
]


@pytest.mark.parametrize(("block", "dotted", "problem"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_values_are_refused_at_their_line(tmp_path: Path, block: str, dotted: str, problem: str) -> None:
    if not block.startswith("mode:"):
        block = "mode: service\n" + block
    text = job_yaml("acme", "dev", "bad_job", "project_id: acme-data-dev\n" + block)
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ErrorReport) as caught:
        load_jobs([str(path)])
    errors = [e for e in caught.value if e.path == f"infrastructure.runtime.{dotted}"]
    assert errors, str(caught.value)
    assert any(problem in e.problem for e in errors), str(caught.value)
    lines = text.splitlines()
    key = dotted.split(".")[-1].split("[")[0]
    for error in errors:
        assert error.file.endswith("bad.yaml") and error.line > 0
        assert key in lines[error.line - 1] or "-" in lines[error.line - 1] or "{" in lines[error.line - 1]


def test_rule_tables_match_the_provider() -> None:
    """hashicorp/google 6.50.0 schema descriptions (cloud_run_v2_service, cloud_run_v2_job)."""
    assert gcp_run.VPC_EGRESS == ("ALL_TRAFFIC", "PRIVATE_RANGES_ONLY")
    assert set(gcp_run.EXECUTION_ENVIRONMENTS.values()) == {
        "EXECUTION_ENVIRONMENT_GEN1",
        "EXECUTION_ENVIRONMENT_GEN2",
    }
    assert {name: (s.low, s.startup_high, s.liveness_high) for name, s in gcp_run.PROBE_SETTINGS.items()} == {
        "initial_delay_seconds": (0, 240, 3600),
        "period_seconds": (1, 240, 3600),
        "timeout_seconds": (1, 3600, 3600),
        "failure_threshold": (1, None, None),
    }
