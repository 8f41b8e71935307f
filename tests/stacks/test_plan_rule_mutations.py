"""The providers' plan-time rules tables are not vacuous: each change to a valid example stack that the
provider (or the service behind it) refuses breaks a rule. One change per rule family of

* hashicorp/google 6.50.0 (bound by cdktf-cdktf-provider-google 16.12.1; table:
  :func:`tests.clouds.rules.assert_google_plan_time_rules`) on the GCP examples;
* hashicorp/azurerm 4.55.0 (bound by cdktf-cdktf-provider-azurerm 14.23.1; table:
  :func:`tests.clouds.azurerm_rules.assert_azurerm_plan_time_rules`) on the Azure examples.

The rules over every example and drawn jobs: tests/stacks/test_plan_rules.py.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from tests.clouds.azurerm_rules import assert_azurerm_plan_time_rules
from tests.clouds.rules import assert_google_plan_time_rules

Doc = dict[str, Any]
Change = Callable[[Doc], object]


def _first(doc: Doc, kind: str) -> dict[str, Any]:
    return next(iter(doc["resource"][kind].values()))


def _service(doc: Doc) -> dict[str, Any]:
    """The revision template of the example's Cloud Run service."""
    return _first(doc, "google_cloud_run_v2_service")["template"]


def _job(doc: Doc) -> dict[str, Any]:
    """The task template of the example's Cloud Run job."""
    return _first(doc, "google_cloud_run_v2_job")["template"]["template"]


def _scheduler(doc: Doc) -> dict[str, Any]:
    return _first(doc, "google_cloud_scheduler_job")


def _twice(doc: Doc, kind: str) -> None:
    """A second member with the first one's binding (the two fight over it)."""
    doc["resource"][kind]["again"] = copy.deepcopy(_first(doc, kind))


#: The stacks each table's changes apply to: {provider: {stack: {change: what it does}}}.
MUTATIONS: dict[str, dict[str, dict[str, Change]]] = {
    "azurerm": {
        "globex-orders-queue-worker": {
            "app name with upper case": lambda d: _first(d, "azurerm_container_app").update(name="Ca-Orders"),
            "app on a profile the environment lacks": lambda d: _first(d, "azurerm_container_app").update(
                workload_profile_name="dedicated"
            ),
            "unknown workload profile type": lambda d: _first(d, "azurerm_container_app_environment")[
                "workload_profile"
            ].append({"name": "big", "workload_profile_type": "D3", "minimum_count": 0, "maximum_count": 1}),
            "profile minimum above maximum": lambda d: _first(d, "azurerm_container_app_environment")[
                "workload_profile"
            ].append({"name": "big", "workload_profile_type": "D4", "minimum_count": 3, "maximum_count": 1}),
            "memory not paired with cpu": lambda d: _first(d, "azurerm_container_app")["template"][
                "container"
            ][0].update(memory="3Gi"),
            "revision mode": lambda d: _first(d, "azurerm_container_app").update(revision_mode="Blue"),
            "retention out of range": lambda d: _first(d, "azurerm_log_analytics_workspace").update(
                retention_in_days=7
            ),
            "principal type": lambda d: _first(d, "azurerm_role_assignment").update(principal_type="Robot"),
            "a type without rules": lambda d: d["resource"].update(azurerm_key_vault={"x": {"name": "kv"}}),
        },
        "globex-hubspot-contacts-to-adls": {
            "six-field cron": lambda d: _first(d, "azurerm_container_app_job")[
                "schedule_trigger_config"
            ].update(cron_expression="0 0 * * * *"),
            "zero replica timeout": lambda d: _first(d, "azurerm_container_app_job").update(
                replica_timeout_in_seconds=0
            ),
            "storage name": lambda d: _first(d, "azurerm_container_app_environment_storage").update(
                name="Exports"
            ),
        },
    },
    "google": {
        "initech-inventory-sync-api": {
            "a type without rules": lambda d: d["resource"].update(
                google_storage_bucket={"x": {"name": "b"}}
            ),
            "a data source without rules": lambda d: d["data"].update(google_compute_network={"x": {}}),
            "project id": lambda d: next(iter(d["data"]["google_project"].values())).update(
                project_id="Initech"
            ),
            "service account id too short": lambda d: _first(d, "google_service_account").update(
                account_id="run"
            ),
            "service account display name over 100": lambda d: _first(d, "google_service_account").update(
                display_name="x" * 101
            ),
            "service name of 50 characters": lambda d: _first(d, "google_cloud_run_v2_service").update(
                name="a" * 50
            ),
            "service name with upper case": lambda d: _first(d, "google_cloud_run_v2_service").update(
                name="Initech-inventory"
            ),
            "ingress": lambda d: _first(d, "google_cloud_run_v2_service").update(
                ingress="INGRESS_TRAFFIC_NONE"
            ),
            "minimum instances above maximum": lambda d: _service(d)["scaling"].update(min_instance_count=9),
            "timeout not a duration": lambda d: _service(d).update(timeout="5m"),
            "execution environment": lambda d: _service(d).update(
                execution_environment="EXECUTION_ENVIRONMENT_GEN3"
            ),
            "CMEK key of another region": lambda d: _service(d).update(
                encryption_key="projects/initech-security/locations/europe-west1/keyRings/run/cryptoKeys/images"
            ),
            "egress": lambda d: _service(d)["vpc_access"].update(egress="SOME_TRAFFIC"),
            "connector beside direct VPC egress": lambda d: _service(d)["vpc_access"].update(
                connector="projects/initech-net/locations/us-central1/connectors/serverless"
            ),
            "network tag with upper case": lambda d: _service(d)["vpc_access"]["network_interfaces"][0][
                "tags"
            ].append("Egress"),
            "absolute secret item path": lambda d: _service(d)["volumes"][0]["secret"]["items"][0].update(
                path="/etc/client.pem"
            ),
            "mount under /proc": lambda d: _service(d)["containers"][0]["volume_mounts"][0].update(
                mount_path="/proc/secrets"
            ),
            "mount of no volume": lambda d: _service(d)["containers"][0]["volume_mounts"][0].update(
                name="secret-9"
            ),
            "TCP liveness probe": lambda d: _service(d)["containers"][0].update(
                liveness_probe={"tcp_socket": {"port": 8080}}
            ),
            "probe timeout above its period": lambda d: _service(d)["containers"][0]["liveness_probe"].update(
                timeout_seconds=31
            ),
            "startup window over 240 s": lambda d: _service(d)["containers"][0]["startup_probe"].update(
                failure_threshold=49
            ),
            "IAM member without its parent": lambda d: _first(d, "google_pubsub_topic_iam_member").update(
                topic=""
            ),
            "deleted member": lambda d: _first(d, "google_project_iam_member").update(
                member="deleted:serviceAccount:x@initech-data-prod.iam.gserviceaccount.com"
            ),
            "condition without a title": lambda d: _first(d, "google_project_iam_member").update(
                condition={"title": "", "expression": "true"}
            ),
            "two members of one binding": lambda d: _twice(d, "google_project_iam_member"),
            "KMS key id not a key name": lambda d: _first(d, "google_kms_crypto_key_iam_member").update(
                crypto_key_id="projects/initech-security/keyRings/cloud-run/cryptoKeys/images"
            ),
        },
        "initech-clickstream-collector": {
            "empty image": lambda d: _service(d)["containers"][0].update(image=""),
            "container port 0": lambda d: _service(d)["containers"][0]["ports"].update(container_port=0),
            "unknown resources attribute": lambda d: _service(d)["containers"][0]["resources"].update(gpu=1),
        },
        "initech-salesforce-accounts-to-bq": {
            "job name ending in a hyphen": lambda d: _first(d, "google_cloud_run_v2_job").update(
                name="initech-salesforce-"
            ),
            "parallelism above task count": lambda d: _first(d, "google_cloud_run_v2_job")["template"].update(
                parallelism=2
            ),
            "negative max retries": lambda d: _job(d).update(max_retries=-1),
            "env with a value and a secret": lambda d: _job(d)["containers"][0]["env"][0].update(value="x"),
            "cpu idle on a job": lambda d: _job(d)["containers"][0]["resources"].update(cpu_idle=True),
            "probe on a job": lambda d: _job(d)["containers"][0].update(
                startup_probe={"http_get": {"path": "/ready"}}
            ),
            "scheduler job id with a dot": lambda d: _scheduler(d).update(name="initech.salesforce"),
            "scheduler description over 500": lambda d: _scheduler(d).update(description="x" * 501),
            "schedule not unix cron": lambda d: _scheduler(d).update(schedule="30 4 ? * MON-FRI"),
            "time zone not in the tz database": lambda d: _scheduler(d).update(time_zone="Europe/Munich"),
            "http method": lambda d: _scheduler(d)["http_target"].update(http_method="FETCH"),
            "OAuth and OIDC token": lambda d: _scheduler(d)["http_target"].update(
                oidc_token={"service_account_email": "x@initech-data-prod.iam.gserviceaccount.com"}
            ),
            "attempt deadline over 30 minutes": lambda d: _scheduler(d).update(attempt_deadline="1800.5s"),
            "empty retry config": lambda d: _scheduler(d).update(retry_config={}),
            "retry count above 5": lambda d: _scheduler(d).update(retry_config={"retry_count": 6}),
            "backoff not a duration": lambda d: _scheduler(d).update(
                retry_config={"min_backoff_duration": "5m"}
            ),
        },
    },
}
CHECKS: dict[str, Callable[[Doc], None]] = {
    "azurerm": assert_azurerm_plan_time_rules,
    "google": assert_google_plan_time_rules,
}
CASES = [
    (provider, stack, change)
    for provider, stacks in sorted(MUTATIONS.items())
    for stack, changes in sorted(stacks.items())
    for change in sorted(changes)
]


@pytest.mark.parametrize(
    ("provider", "stack", "change"), CASES, ids=[f"{provider}: {change}" for provider, _, change in CASES]
)
def test_the_rules_refuse_what_the_provider_refuses(
    example_synth: dict[str, Any], provider: str, stack: str, change: str
) -> None:
    """The table is not vacuous: each change to a valid example stack breaks a rule."""
    doc = copy.deepcopy(example_synth[stack])
    CHECKS[provider](doc)
    MUTATIONS[provider][stack][change](doc)
    with pytest.raises(AssertionError):
        CHECKS[provider](doc)
