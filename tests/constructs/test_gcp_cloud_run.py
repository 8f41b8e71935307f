"""GCP Cloud Run runtime: structure of the synthesized stacks per mode, IAM, names and outputs.

Every test job is YAML, loaded and synthesized once per session by the ``synthesize`` fixture
(tests/constructs/conftest.py: ``load_jobs``, then one App with one ``JobStack`` per job). Assertions
are on resource types and properties, never on the hashed logical ids.
"""

from __future__ import annotations

import hashlib
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest

from dativo_infra.clouds import gcp
from dativo_infra.config.loader import LoadedJob, load_jobs
from dativo_infra.config.settings import PlatformSettings
from dativo_infra.contract import OUTPUTS, RuntimeType, exported_outputs
from dativo_infra.errors import ErrorReport
from tests.clouds.rules import GOOGLE_IAM_PARENT, assert_google_plan_time_rules
from tests.constructs.conftest import Synthesize, one, resources

LONG_JOB_NAME = ("Very.Long_job-name_" * 7)[:127] + "X"  # 128 characters, the schema's maximum

SA_ID_RE = re.compile(r"^[a-z][-a-z0-9]*[a-z0-9]$")
CLOUD_RUN_RE = re.compile(r"^[a-z][-a-z0-9]*[a-z0-9]$|^[a-z]$")
SCHEDULER_RE = re.compile(r"^[A-Za-z0-9_-]+$")
TOKEN_RE = re.compile(r"^\$\{([a-z0-9_]+)\.([^.]+)\.([a-z_]+)\}$")


def job_yaml(tenant: str, environment: str, job_name: str, runtime: str, region: str = "europe-west1") -> str:
    """A complete job file whose runtime block is ``runtime`` (YAML, indented 4 under runtime:)."""
    runtime_block = textwrap.indent(textwrap.dedent(runtime).strip(), "    ")
    return (
        f"tenant_id: {tenant}\n"
        f"environment: {environment}\n"
        "source:\n  connector: postgres\n"
        "infrastructure:\n"
        "  provider: gcp\n"
        f"  region: {region}\n"
        "  runtime:\n"
        "    type: gcp_cloud_run\n"
        f"{runtime_block}\n"
        "  tags:\n"
        f"    job_name: '{job_name}'\n"
        "    team: data_platform\n"
        "    pipeline_type: ingestion\n"
        f"    environment: {environment}\n"
        "    cost_center: FIN-001\n"
    )


#: stack key -> job file text. Each job is synthesized exactly once (module fixture).
JOBS: dict[str, str] = {
    "service_internal": job_yaml(
        "acme",
        "dev",
        "orders_api",
        """
        mode: service
        project_id: acme-data-dev
        image: europe-docker.pkg.dev/acme/ingest:2.0.0
        command: ["dativo", "serve"]
        cpu_millicores: 2000
        memory_mib: 1024
        timeout_seconds: 3600
        port: 9000
        ingress: internal
        env:
          ZETA: last
          ALPHA: first
          TEMPLATE: "dativo_${table}"
        secrets:
          DB_PASSWORD: projects/acme-data-dev/secrets/db-password
        network:
          vpc_id: projects/acme-net/global/networks/shared
          subnet_ids: [projects/acme-net/regions/europe-west1/subnetworks/run]
        scaling:
          min_replicas: 0
          max_replicas: 4
        permissions:
          storage:
            - bucket: acme-raw-dev
              access: read
        """,
    ),
    "service_external": job_yaml(
        "acme",
        "staging",
        "webhook_receiver",
        """
        mode: service
        project_id: acme-data-stg
        ingress: external
        deletion_protection: true
        """,
    ),
    "service_invokers": job_yaml(
        "acme",
        "dev",
        "public_webhook",
        """
        mode: service
        project_id: acme-data-dev
        ingress: external
        invokers:
          - allUsers
          - group:analysts@acme.example
          - serviceAccount:caller@acme-data-dev.iam.gserviceaccount.com
        """,
    ),
    "service_no_ingress": job_yaml(
        "acme",
        "prod",
        "private_collector",
        """
        mode: service
        project_id: acme-data-prod
        ingress: none
        """,
    ),
    "job_scheduled": job_yaml(
        "initech",
        "prod",
        "salesforce_accounts",
        """
        mode: job
        project_id: initech-data-prod
        image: europe-docker.pkg.dev/initech/ingest:1.8.2
        cpu_millicores: 1000
        memory_mib: 2048
        timeout_seconds: 5400
        retries: 3
        schedule: "30 4 * * 1-5"
        schedule_timezone: Europe/Berlin
        scaling:
          parallelism: 3
        env:
          LOG_LEVEL: INFO
        secrets:
          SF_TOKEN: projects/initech-data-prod/secrets/sf-token/versions/5
        permissions:
          storage:
            - bucket: initech-landing
              access: read
            - bucket: initech-staging
              access: write
            - bucket: initech-lake
              access: read_write
          secrets:
            - projects/initech-data-prod/secrets/sf-token
            - projects/initech-data-prod/secrets/sf-client-id
        """,
    ),
    "job_prefixes": job_yaml(
        "initech",
        "dev",
        "partitioned_load",
        """
        mode: job
        project_id: initech-data-dev
        permissions:
          storage:
            - bucket: initech-lake
              access: read_write
              prefix: raw/orders/
            - bucket: initech-lake
              access: read_write
              prefix: "tmp/%{x}/"
            - bucket: initech-landing
              access: read
        """,
    ),
    "job_scheduler_retry": job_yaml(
        "initech",
        "dev",
        "retried_load",
        """
        mode: job
        project_id: initech-data-dev
        schedule: "0 2 * * *"
        schedule_retry:
          retry_count: 5
          min_backoff_seconds: 10
          max_backoff_seconds: 300
          max_doublings: 3
          max_retry_duration_seconds: 3600
        schedule_attempt_deadline_seconds: 1800
        """,
    ),
    "job_scheduler_retry_count_only": job_yaml(
        "initech",
        "dev",
        "retried_once",
        """
        mode: job
        project_id: initech-data-dev
        schedule: "0 3 * * *"
        schedule_retry:
          retry_count: 1
        """,
    ),
    "job_manual": job_yaml(
        "initech",
        "dev",
        LONG_JOB_NAME,
        """
        mode: job
        project_id: initech-data-dev
        """,
        region="us-central1",
    ),
    "service_network_only": job_yaml(
        "globex",
        "dev",
        "vpc_reader",
        """
        mode: service
        project_id: globex-data-dev
        timeout_seconds: 900
        network:
          vpc_id: projects/globex-net/global/networks/shared
        """,
    ),
    "job_roles": job_yaml(
        "initech",
        "dev",
        "bq_loader",
        """
        mode: job
        project_id: initech-data-dev
        permissions:
          roles:
            - role: roles/bigquery.jobUser
            - role: roles/bigquery.dataEditor
              resource: datasets/raw_salesforce
            - role: roles/bigquery.dataViewer
              resource: projects/initech-shared/datasets/reference
            - role: roles/pubsub.publisher
              resource: topics/loads-done
            - role: roles/pubsub.publisher
              resource: projects/initech-events/topics/loads-done
            - role: roles/storage.objectViewer
              resource: buckets/initech-landing
            - role: projects/initech-data-dev/roles/dativoLoader
        """,
    ),
    "service_existing_account": job_yaml(
        "acme",
        "dev",
        "shared_identity",
        """
        mode: service
        project_id: acme-data-dev
        existing:
          service_account_email: shared-ingest@acme-data-dev.iam.gserviceaccount.com
        secrets:
          DB_PASSWORD: db-password
        """,
    ),
    "job_existing_account": job_yaml(
        "acme",
        "dev",
        "shared_batch",
        """
        mode: job
        project_id: acme-data-dev
        schedule: "0 1 * * *"
        existing:
          service_account_email: 123456789012-compute@developer.gserviceaccount.com
        """,
    ),
    "job_prod_unprotected": job_yaml(
        "globex",
        "prod",
        "backfill_once",
        """
        mode: job
        project_id: globex-data-prod
        deletion_protection: false
        """,
    ),
}


# ---------------------------------------------------------------------------------------------
# fixtures and helpers
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def gcp_out(synthesize: Synthesize) -> tuple[dict[str, LoadedJob], dict[str, dict[str, Any]]]:
    """Every test job loaded (and validated) from YAML, and synthesized once with default settings."""
    return synthesize(JOBS, PlatformSettings())


@pytest.fixture(scope="module")
def loaded(gcp_out: tuple[dict[str, LoadedJob], Any]) -> dict[str, LoadedJob]:
    return gcp_out[0]


@pytest.fixture(scope="module")
def synthesized(gcp_out: tuple[Any, dict[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """``{job key: parsed stack JSON}``."""
    return gcp_out[1]


def logical_id(stack: dict[str, Any], rtype: str, predicate: Any) -> str:
    """The logical id of the single ``rtype`` resource matching ``predicate`` (to follow references)."""
    ids = [lid for lid, body in stack["resource"][rtype].items() if predicate(body)]
    assert len(ids) == 1
    return ids[0]


def ref(rtype: str, lid: str, attribute: str) -> str:
    return "${" + f"{rtype}.{lid}.{attribute}" + "}"


def runtime_sa_email(stack: dict[str, Any]) -> str:
    lid = logical_id(
        stack, "google_service_account", lambda b: b["display_name"].startswith("Dativo runtime")
    )
    return ref("google_service_account", lid, "email")


# ---------------------------------------------------------------------------------------------
# provider
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("key", ["service_internal", "job_scheduled"])
def test_provider_is_project_and_region_without_default_labels(
    synthesized: dict, loaded: dict, key: str
) -> None:
    (provider,) = synthesized[key]["provider"]["google"]
    config = loaded[key].config
    assert provider["project"] == config.runtime.project_id
    assert provider["region"] == config.infrastructure.region
    assert provider["add_terraform_attribution_label"] is False
    assert "default_labels" not in provider


# ---------------------------------------------------------------------------------------------
# service mode
# ---------------------------------------------------------------------------------------------
def test_service_mode_has_a_service_and_no_job_or_scheduler(synthesized: dict) -> None:
    for key in ("service_internal", "service_external", "service_no_ingress", "service_invokers"):
        stack = synthesized[key]
        assert len(resources(stack, "google_cloud_run_v2_service")) == 1
        assert resources(stack, "google_cloud_run_v2_job") == []
        assert resources(stack, "google_cloud_scheduler_job") == []
        assert resources(stack, "google_cloud_run_v2_job_iam_member") == []
        assert len(resources(stack, "google_service_account")) == 1


def test_service_properties(synthesized: dict) -> None:
    stack = synthesized["service_internal"]
    service = one(stack, "google_cloud_run_v2_service")
    assert service["name"] == "acme-orders-api"
    assert service["location"] == "europe-west1"
    assert service["project"] == "acme-data-dev"
    assert service["ingress"] == "INGRESS_TRAFFIC_INTERNAL_ONLY"
    template = service["template"]
    assert template["service_account"] == runtime_sa_email(stack)
    assert template["timeout"] == "3600s"  # the longest request Cloud Run allows (more is a schema error)
    assert template["scaling"] == {"min_instance_count": 0, "max_instance_count": 4}
    assert template["vpc_access"]["network_interfaces"] == [
        {
            "network": "projects/acme-net/global/networks/shared",
            "subnetwork": "projects/acme-net/regions/europe-west1/subnetworks/run",
        }
    ]
    (container,) = template["containers"]
    assert container["image"] == "europe-docker.pkg.dev/acme/ingest:2.0.0"
    assert container["command"] == ["dativo", "serve"]
    assert container["ports"] == {"container_port": 9000}
    assert container["resources"]["limits"] == {"cpu": "2", "memory": "1024Mi"}


def test_service_env_is_sorted_literal_and_secret_backed(synthesized: dict) -> None:
    (container,) = one(synthesized["service_internal"], "google_cloud_run_v2_service")["template"][
        "containers"
    ]
    env = container["env"]
    assert [e["name"] for e in env] == ["ALPHA", "DB_PASSWORD", "TEMPLATE", "ZETA"]
    by_name = {e["name"]: e for e in env}
    assert by_name["ALPHA"]["value"] == "first"
    assert by_name["TEMPLATE"]["value"] == "dativo_$${table}"  # never a Terraform interpolation
    assert by_name["DB_PASSWORD"] == {
        "name": "DB_PASSWORD",
        "value_source": {
            "secret_key_ref": {"secret": "projects/acme-data-dev/secrets/db-password", "version": "latest"}
        },
    }


@pytest.mark.parametrize(
    ("key", "ingress", "members"),
    [
        ("service_internal", "INGRESS_TRAFFIC_INTERNAL_ONLY", []),
        # ingress external alone grants nobody: allUsers only when listed by name
        ("service_external", "INGRESS_TRAFFIC_ALL", []),
        ("service_no_ingress", "INGRESS_TRAFFIC_INTERNAL_ONLY", []),
        (
            "service_invokers",
            "INGRESS_TRAFFIC_ALL",
            [
                "allUsers",
                "group:analysts@acme.example",
                "serviceAccount:caller@acme-data-dev.iam.gserviceaccount.com",
            ],
        ),
    ],
)
def test_ingress_and_invoker_bindings(synthesized: dict, key: str, ingress: str, members: list[str]) -> None:
    stack = synthesized[key]
    service = one(stack, "google_cloud_run_v2_service")
    assert service["ingress"] == ingress
    lid = logical_id(stack, "google_cloud_run_v2_service", lambda _: True)
    bindings = resources(stack, "google_cloud_run_v2_service_iam_member")
    assert sorted(bindings, key=lambda b: b["member"]) == [
        {
            "name": ref("google_cloud_run_v2_service", lid, "name"),
            "location": service["location"],
            "project": service["project"],
            "role": "roles/run.invoker",
            "member": member,
        }
        for member in members
    ]


def test_all_users_binding_keeps_its_construct_id(synthesized: dict) -> None:
    """``allUsers`` keeps the id ``invoker`` it had when ingress external granted it implicitly (a stack
    deployed before is updated in place); every other member gets ``invoker_<hash>``."""
    bindings = synthesized["service_invokers"]["resource"]["google_cloud_run_v2_service_iam_member"]
    by_member = {body["member"]: lid for lid, body in bindings.items()}
    # cdktf's logical id: <scope>_<id>_<first 8 hex of md5("<scope>/<id>")>, the address deployed before
    digest = hashlib.md5(b"runtime/invoker").hexdigest()[:8].upper()
    assert by_member["allUsers"] == f"runtime_invoker_{digest}"
    others = [lid for member, lid in by_member.items() if member != "allUsers"]
    assert len(others) == 2 and all(
        re.fullmatch(r"runtime_invoker_[0-9a-z]+_[0-9A-F]{8}", lid) for lid in others
    )


def test_secret_referenced_only_by_env_is_granted(synthesized: dict) -> None:
    stack = synthesized["service_internal"]
    assert resources(stack, "google_secret_manager_secret_iam_member") == [
        {
            "secret_id": "projects/acme-data-dev/secrets/db-password",
            "role": "roles/secretmanager.secretAccessor",
            "member": "serviceAccount:" + runtime_sa_email(stack),
        }
    ]


# ---------------------------------------------------------------------------------------------
# job mode
# ---------------------------------------------------------------------------------------------
def test_scheduled_job_has_job_scheduler_and_invoker_and_no_service(synthesized: dict) -> None:
    stack = synthesized["job_scheduled"]
    assert resources(stack, "google_cloud_run_v2_service") == []
    assert resources(stack, "google_cloud_run_v2_service_iam_member") == []
    assert len(resources(stack, "google_cloud_run_v2_job")) == 1
    assert len(resources(stack, "google_cloud_scheduler_job")) == 1
    assert len(resources(stack, "google_cloud_run_v2_job_iam_member")) == 1
    assert len(resources(stack, "google_service_account")) == 2


def test_job_properties(synthesized: dict) -> None:
    stack = synthesized["job_scheduled"]
    job = one(stack, "google_cloud_run_v2_job")
    assert job["name"] == "initech-salesforce-accounts"
    assert job["location"] == "europe-west1"
    assert job["project"] == "initech-data-prod"
    assert job["template"]["task_count"] == 3
    assert job["template"]["parallelism"] == 3
    inner = job["template"]["template"]
    assert inner["max_retries"] == 3
    assert inner["timeout"] == "5400s"
    assert inner["service_account"] == runtime_sa_email(stack)
    assert "vpc_access" not in inner
    (container,) = inner["containers"]
    assert container["image"] == "europe-docker.pkg.dev/initech/ingest:1.8.2"
    assert "ports" not in container
    assert "command" not in container
    assert container["resources"]["limits"] == {"cpu": "1", "memory": "2048Mi"}
    assert container["env"] == [
        {"name": "LOG_LEVEL", "value": "INFO"},
        {
            "name": "SF_TOKEN",
            "value_source": {
                "secret_key_ref": {"secret": "projects/initech-data-prod/secrets/sf-token", "version": "5"}
            },
        },
    ]


def test_scheduler_runs_the_job_through_the_admin_api(synthesized: dict) -> None:
    stack = synthesized["job_scheduled"]
    scheduler = one(stack, "google_cloud_scheduler_job")
    invoker_lid = logical_id(
        stack, "google_service_account", lambda b: b["display_name"].startswith("Dativo scheduler")
    )
    invoker_email = ref("google_service_account", invoker_lid, "email")
    assert scheduler["name"] == "initech-salesforce-accounts"
    assert scheduler["schedule"] == "30 4 * * 1-5"
    assert scheduler["time_zone"] == "Europe/Berlin"
    assert scheduler["region"] == "europe-west1"
    assert scheduler["project"] == "initech-data-prod"
    target = scheduler["http_target"]
    assert target["http_method"] == "POST"
    assert target["uri"] == (
        "https://run.googleapis.com/v2/projects/initech-data-prod/locations/europe-west1/"
        "jobs/initech-salesforce-accounts:run"
    )
    assert target["oauth_token"]["service_account_email"] == invoker_email
    assert invoker_email != runtime_sa_email(stack)

    job_lid = logical_id(stack, "google_cloud_run_v2_job", lambda _: True)
    assert one(stack, "google_cloud_run_v2_job_iam_member") == {
        "name": ref("google_cloud_run_v2_job", job_lid, "name"),
        "location": "europe-west1",
        "project": "initech-data-prod",
        "role": "roles/run.invoker",
        "member": "serviceAccount:" + invoker_email,
    }
    grant_lid = logical_id(stack, "google_cloud_run_v2_job_iam_member", lambda _: True)
    assert f"google_cloud_run_v2_job_iam_member.{grant_lid}" in scheduler["depends_on"]


def test_scheduler_retry_config_and_attempt_deadline(synthesized: dict) -> None:
    scheduler = one(synthesized["job_scheduler_retry"], "google_cloud_scheduler_job")
    assert scheduler["retry_config"] == {
        "retry_count": 5,
        "min_backoff_duration": "10s",
        "max_backoff_duration": "300s",
        "max_doublings": 3,
        "max_retry_duration": "3600s",
    }
    assert scheduler["attempt_deadline"] == "1800s"


def test_scheduler_retry_sets_only_the_given_fields(synthesized: dict) -> None:
    scheduler = one(synthesized["job_scheduler_retry_count_only"], "google_cloud_scheduler_job")
    assert scheduler["retry_config"] == {"retry_count": 1}
    assert "attempt_deadline" not in scheduler


def test_scheduler_without_retry_settings_keeps_the_defaults(synthesized: dict) -> None:
    scheduler = one(synthesized["job_scheduled"], "google_cloud_scheduler_job")
    assert "retry_config" not in scheduler
    assert "attempt_deadline" not in scheduler


@pytest.mark.parametrize("key", ["job_manual", "job_prod_unprotected"])
def test_manual_job_has_no_scheduler(synthesized: dict, key: str) -> None:
    stack = synthesized[key]
    assert len(resources(stack, "google_cloud_run_v2_job")) == 1
    assert resources(stack, "google_cloud_run_v2_service") == []
    assert resources(stack, "google_cloud_scheduler_job") == []
    assert resources(stack, "google_cloud_run_v2_job_iam_member") == []
    assert len(resources(stack, "google_service_account")) == 1
    assert "scheduler_job_name" not in stack["output"]  # unscheduled: no Cloud Scheduler job
    assert "service_url" not in stack["output"]  # job mode: no URL


def test_long_job_name_gives_valid_cloud_names(synthesized: dict) -> None:
    stack = synthesized["job_manual"]
    job = one(stack, "google_cloud_run_v2_job")
    assert len(job["name"]) <= 49 and CLOUD_RUN_RE.match(job["name"])
    account = one(stack, "google_service_account")
    assert 6 <= len(account["account_id"]) <= 30 and SA_ID_RE.match(account["account_id"])
    assert len(account["display_name"]) <= 100
    assert LONG_JOB_NAME[:40] in account["display_name"]


# ---------------------------------------------------------------------------------------------
# deletion protection and IAM
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("key", "rtype", "expected"),
    [
        ("job_scheduled", "google_cloud_run_v2_job", True),  # prod, unset -> on
        ("service_no_ingress", "google_cloud_run_v2_service", True),  # prod, unset -> on
        ("job_manual", "google_cloud_run_v2_job", False),  # dev, unset -> off
        ("service_internal", "google_cloud_run_v2_service", False),  # dev, unset -> off
        ("service_external", "google_cloud_run_v2_service", True),  # staging, explicitly on
        ("job_prod_unprotected", "google_cloud_run_v2_job", False),  # prod, explicitly off
    ],
)
def test_deletion_protection(synthesized: dict, key: str, rtype: str, expected: bool) -> None:
    assert one(synthesized[key], rtype)["deletion_protection"] is expected


def test_storage_grants_use_the_predefined_roles(synthesized: dict) -> None:
    stack = synthesized["job_scheduled"]
    member = "serviceAccount:" + runtime_sa_email(stack)
    grants = resources(stack, "google_storage_bucket_iam_member")
    assert sorted((g["bucket"], g["role"], g["member"]) for g in grants) == [
        ("initech-lake", "roles/storage.objectUser", member),
        ("initech-landing", "roles/storage.objectViewer", member),
        ("initech-staging", "roles/storage.objectCreator", member),
    ]


def test_storage_prefix_becomes_an_iam_condition(synthesized: dict) -> None:
    stack = synthesized["job_prefixes"]
    member = "serviceAccount:" + runtime_sa_email(stack)
    grants = sorted(
        resources(stack, "google_storage_bucket_iam_member"),
        key=lambda g: (g["bucket"], str(g.get("condition"))),
    )
    assert [(g["bucket"], g["role"], g["member"]) for g in grants] == [
        ("initech-lake", "roles/storage.objectUser", member),
        ("initech-lake", "roles/storage.objectUser", member),
        ("initech-landing", "roles/storage.objectViewer", member),
    ]
    assert "condition" not in grants[2]  # no prefix: the whole bucket, unconditioned
    by_expression = {g["condition"]["expression"]: g["condition"] for g in grants[:2]}
    raw = by_expression[
        'resource.name.startsWith("projects/_/buckets/initech-lake/objects/raw/orders/")'
        ' || api.getAttribute("storage.googleapis.com/objectListPrefix", "").startsWith("raw/orders/")'
    ]
    assert raw["title"].startswith("dativo prefix ")
    assert (
        raw["description"]
        == "roles/storage.objectUser of initech-partitioned-load on gs://initech-lake/raw/orders/ only"
    )
    # a template sequence in a prefix stays literal (escaped for Terraform)
    assert (
        'resource.name.startsWith("projects/_/buckets/initech-lake/objects/tmp/%%{x}/")'
        ' || api.getAttribute("storage.googleapis.com/objectListPrefix", "").startsWith("tmp/%%{x}/")'
    ) in by_expression
    titles = {c["title"] for c in by_expression.values()}
    assert len(titles) == 2  # deterministic and distinct per prefix


def test_secret_grants_one_per_secret_without_version(synthesized: dict) -> None:
    stack = synthesized["job_scheduled"]
    member = "serviceAccount:" + runtime_sa_email(stack)
    grants = resources(stack, "google_secret_manager_secret_iam_member")
    assert sorted((g["secret_id"], g["role"], g["member"]) for g in grants) == [
        ("projects/initech-data-prod/secrets/sf-client-id", "roles/secretmanager.secretAccessor", member),
        ("projects/initech-data-prod/secrets/sf-token", "roles/secretmanager.secretAccessor", member),
    ]
    job = one(stack, "google_cloud_run_v2_job")
    secret_ids = set(stack["resource"]["google_secret_manager_secret_iam_member"])
    assert {d.split(".", 1)[1] for d in job["depends_on"]} == secret_ids


def test_no_grants_without_permissions(synthesized: dict) -> None:
    stack = synthesized["job_manual"]
    assert resources(stack, "google_storage_bucket_iam_member") == []
    assert resources(stack, "google_secret_manager_secret_iam_member") == []


def test_project_roles_are_project_iam_members(synthesized: dict) -> None:
    stack = synthesized["job_roles"]
    member = "serviceAccount:" + runtime_sa_email(stack)
    grants = resources(stack, "google_project_iam_member")
    assert sorted((g["project"], g["role"], g["member"]) for g in grants) == [
        ("initech-data-dev", "projects/initech-data-dev/roles/dativoLoader", member),
        ("initech-data-dev", "roles/bigquery.jobUser", member),
    ]
    assert all("condition" not in g for g in grants)


def test_roles_on_datasets_topics_and_buckets(synthesized: dict) -> None:
    """A resource without a project is in the job's project; one with a project is in that one."""
    stack = synthesized["job_roles"]
    member = "serviceAccount:" + runtime_sa_email(stack)
    datasets = resources(stack, "google_bigquery_dataset_iam_member")
    assert sorted((g["project"], g["dataset_id"], g["role"], g["member"]) for g in datasets) == [
        ("initech-data-dev", "raw_salesforce", "roles/bigquery.dataEditor", member),
        ("initech-shared", "reference", "roles/bigquery.dataViewer", member),
    ]
    topics = resources(stack, "google_pubsub_topic_iam_member")
    assert sorted((g["project"], g["topic"], g["role"], g["member"]) for g in topics) == [
        ("initech-data-dev", "loads-done", "roles/pubsub.publisher", member),
        ("initech-events", "loads-done", "roles/pubsub.publisher", member),
    ]
    (bucket,) = resources(stack, "google_storage_bucket_iam_member")
    assert (bucket["bucket"], bucket["role"], bucket["member"]) == (
        "initech-landing",
        "roles/storage.objectViewer",
        member,
    )


def test_no_role_bindings_without_roles(synthesized: dict) -> None:
    stack = synthesized["job_scheduled"]
    for rtype in (
        "google_project_iam_member",
        "google_bigquery_dataset_iam_member",
        "google_pubsub_topic_iam_member",
    ):
        assert resources(stack, rtype) == [], rtype


@pytest.mark.parametrize(
    ("key", "rtype", "email"),
    [
        (
            "service_existing_account",
            "google_cloud_run_v2_service",
            "shared-ingest@acme-data-dev.iam.gserviceaccount.com",
        ),
        (
            "job_existing_account",
            "google_cloud_run_v2_job",
            "123456789012-compute@developer.gserviceaccount.com",
        ),
    ],
)
def test_an_existing_service_account_is_used_not_created_nor_granted(
    synthesized: dict, key: str, rtype: str, email: str
) -> None:
    stack = synthesized[key]
    template = one(stack, rtype)["template"]
    template = template.get("template", template)  # a job's task template is one level deeper
    assert template["service_account"] == email
    assert stack["output"]["service_account_email"]["value"] == email
    accounts = resources(stack, "google_service_account")
    assert all(a["account_id"].endswith("-sched") for a in accounts)  # only a schedule's own account
    for grant in (
        "google_secret_manager_secret_iam_member",
        "google_storage_bucket_iam_member",
        "google_project_iam_member",
    ):
        assert resources(stack, grant) == [], grant


def test_a_scheduled_job_with_an_existing_account_keeps_its_scheduler_account(synthesized: dict) -> None:
    stack = synthesized["job_existing_account"]
    (account,) = resources(stack, "google_service_account")
    assert account["account_id"].endswith("-sched")
    assert one(stack, "google_cloud_run_v2_job_iam_member")["role"] == "roles/run.invoker"


# ---------------------------------------------------------------------------------------------
# outputs
# ---------------------------------------------------------------------------------------------
_UNSCHEDULED_JOB = {"service_url", "scheduler_job_name"}
#: Outputs each test job does not export (its configuration has no such thing); every other exists.
NOT_EXPORTED: dict[str, set[str]] = {
    **{key: {"scheduler_job_name"} for key in JOBS if key.startswith("service_")},
    **{key: {"service_url"} for key in ("job_scheduled", "job_scheduler_retry")},
    "job_scheduler_retry_count_only": {"service_url"},
    "job_existing_account": {"service_url"},
    **{key: _UNSCHEDULED_JOB for key in ("job_prefixes", "job_manual", "job_roles", "job_prod_unprotected")},
}


def test_every_case_says_which_outputs_it_lacks() -> None:
    assert set(NOT_EXPORTED) == set(JOBS)


@pytest.mark.parametrize("key", sorted(JOBS))
def test_exactly_the_outputs_of_the_configuration_exist_and_none_is_null(
    synthesized: dict, loaded: dict[str, LoadedJob], key: str
) -> None:
    outputs = synthesized[key]["output"]
    expected = set(OUTPUTS[RuntimeType.GCP_CLOUD_RUN]) - NOT_EXPORTED[key]
    assert set(outputs) == expected == set(exported_outputs(loaded[key].config.runtime))
    for name in expected:
        value = outputs[name]["value"]
        assert isinstance(value, str) and value and value != "none", (name, value)
        token = TOKEN_RE.match(value)
        if token:  # a reference must point at a resource of this stack
            rtype, lid, _ = token.groups()
            assert lid in synthesized[key]["resource"][rtype], value


def test_output_values_per_mode(synthesized: dict, loaded: dict) -> None:
    service_stack = synthesized["service_internal"]
    service_lid = logical_id(service_stack, "google_cloud_run_v2_service", lambda _: True)
    out = {k: v["value"] for k, v in service_stack["output"].items()}
    assert out["service_url"] == ref("google_cloud_run_v2_service", service_lid, "uri")
    assert out["service_name"] == ref("google_cloud_run_v2_service", service_lid, "name")
    assert out["service_account_email"] == runtime_sa_email(service_stack)
    assert out["project_id"] == "acme-data-dev"
    assert out["region"] == "europe-west1"
    assert "scheduler_job_name" not in out

    job_stack = synthesized["job_scheduled"]
    job_lid = logical_id(job_stack, "google_cloud_run_v2_job", lambda _: True)
    scheduler_lid = logical_id(job_stack, "google_cloud_scheduler_job", lambda _: True)
    out = {k: v["value"] for k, v in job_stack["output"].items()}
    assert out["service_name"] == ref("google_cloud_run_v2_job", job_lid, "name")
    assert out["scheduler_job_name"] == ref("google_cloud_scheduler_job", scheduler_lid, "name")
    assert "service_url" not in out


# ---------------------------------------------------------------------------------------------
# props (no synth)
# ---------------------------------------------------------------------------------------------
def test_service_request_timeout_is_as_asked(synthesized: dict) -> None:
    service = one(synthesized["service_network_only"], "google_cloud_run_v2_service")
    assert service["template"]["timeout"] == "900s"


def test_network_without_subnetwork_leaves_the_subnetwork_to_cloud_run(synthesized: dict) -> None:
    """Only a network: no subnetwork key, so Cloud Run uses the network's same-named subnetwork."""
    service = one(synthesized["service_network_only"], "google_cloud_run_v2_service")
    assert service["template"]["vpc_access"]["network_interfaces"] == [
        {"network": "projects/globex-net/global/networks/shared"}
    ]


def test_service_timeout_over_an_hour_is_refused_by_validation(tmp_path: Path) -> None:
    path = tmp_path / "long_service.yaml"
    path.write_text(
        job_yaml(
            "acme",
            "dev",
            "long_service",
            """
        mode: service
        project_id: acme-data-dev
        timeout_seconds: 7200
        """,
        )
    )
    with pytest.raises(ErrorReport, match="longer than a Cloud Run service request may take"):
        load_jobs([str(path)])


def test_more_than_one_subnetwork_is_refused_by_validation(tmp_path: Path) -> None:
    path = tmp_path / "two_subnets.yaml"
    path.write_text(
        job_yaml(
            "acme",
            "dev",
            "two_subnets",
            """
        project_id: acme-data-dev
        network:
          subnet_ids: [a, b]
        """,
        )
    )
    with pytest.raises(ErrorReport, match="Cloud Run takes one subnetwork"):
        load_jobs([str(path)])


# ---------------------------------------------------------------------------------------------
# plan-time rules of the IAM member resources (hashicorp/google 6.50.0, bound by
# cdktf-cdktf-provider-google 16.12.1): IamMemberBaseSchema makes role and member Required (member
# must not start with "deleted:"), each resource's parent attribute is Required, a condition needs a
# title and an expression; one member per (parent, role, member, condition), else two resources fight
# over the same binding.
# ---------------------------------------------------------------------------------------------
IAM_PARENT = GOOGLE_IAM_PARENT  # the one table (tests/clouds/rules.py)


@pytest.mark.parametrize("key", sorted(JOBS))
def test_iam_members_follow_the_providers_plan_time_rules(synthesized: dict, key: str) -> None:
    stack = synthesized[key]
    seen: set[tuple[Any, ...]] = set()
    for rtype in sorted(stack.get("resource", {})):
        if not rtype.endswith("_iam_member"):
            continue
        assert rtype in IAM_PARENT, f"{rtype}: add its plan-time rules"
        for body in resources(stack, rtype):
            parent = tuple(body.get(name) for name in IAM_PARENT[rtype])
            assert all(parent), (rtype, parent)
            assert body["role"] and body["member"], rtype
            assert not body["member"].startswith("deleted:")
            if (
                body["role"].startswith(("roles/", "projects/", "organizations/"))
                and "${" not in body["role"]
            ):
                assert gcp.role_refusal(body["role"]) is None, body["role"]
            condition = body.get("condition")
            if condition is not None:
                assert condition["title"] and condition["expression"], rtype
            where = (body.get("project"), body.get("location"), *parent)  # project: the provider's, if unset
            binding = (rtype, where, body["role"], body["member"], str(condition))
            assert binding not in seen, binding
            seen.add(binding)


@pytest.mark.parametrize("key", sorted(JOBS))
def test_every_stack_follows_the_google_providers_plan_time_rules(synthesized: dict, key: str) -> None:
    """hashicorp/google 6.50.0 rules of every resource type the construct emits (tests/clouds/rules.py)."""
    assert_google_plan_time_rules(synthesized[key])
