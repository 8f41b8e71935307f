"""Azure Container Apps KEDA scale rules (``scaling.rules``) and event-triggered jobs (``trigger: event``):
the blocks azurerm 4.55.0 takes, the Key Vault secrets the rules read, the queue grants, and every error."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from dativo_infra.clouds import azure_scaling as keda
from dativo_infra.config.loader import load_job
from dativo_infra.config.settings import PlatformSettings
from dativo_infra.errors import ErrorReport
from tests.clouds.rules import assert_azurerm_plan_time_rules
from tests.constructs.conftest import TAGS, Synthesize, one, resources

SUB = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/data"
NAMESPACE = f"{SUB}/providers/Microsoft.ServiceBus/namespaces/orders-bus"
ACCOUNT = f"{SUB}/providers/Microsoft.Storage/storageAccounts/lakeq"
VAULT = f"{SUB}/providers/Microsoft.KeyVault/vaults/jobs-kv"
SB_CONN = "https://jobs-kv.vault.azure.net/secrets/sb-conn"
SQ_CONN = "https://jobs-kv.vault.azure.net/secrets/sq-conn"
HUB_CONN = "https://jobs-kv.vault.azure.net/secrets/hub-conn"
HEADER = """\
tenant_id: acme
environment: dev
infrastructure:
  provider: azure
  region: westeurope
  runtime:
    type: azure_container_apps
"""

JOBS: dict[str, str] = {
    "service_rules": HEADER
    + f"""\
    mode: service
    secrets: {{SB_CONNECTION: "{SB_CONN}"}}
    permissions: {{secrets: ["{VAULT}"]}}
    scaling:
      min_replicas: 0
      max_replicas: 20
      rules:
        - {{name: http, type: http, concurrent_requests: 50}}
        - {{name: orders, type: service_bus_queue, namespace_id: "{NAMESPACE}", queue: orders,
           queue_length: 10, connection_secret: "{SB_CONN}"}}
        - {{name: files, type: storage_queue, account_id: "{ACCOUNT}", queue: incoming,
           connection_secret: "{SQ_CONN}"}}
        - {{name: hub, type: custom, custom_type: azure-eventhub,
           metadata: {{consumerGroup: ingest, unprocessedEventThreshold: "64"}},
           authentication: {{connection: "{HUB_CONN}"}}}}
"""
    + TAGS.format(job="scaled_service"),
    "event_job": HEADER
    + f"""\
    trigger: event
    permissions: {{secrets: ["{VAULT}"]}}
    scaling:
      parallelism: 2
      min_executions: 0
      max_executions: 10
      polling_interval_seconds: 15
      rules:
        - {{name: files, type: storage_queue, account_id: "{ACCOUNT}", queue: incoming, queue_length: 3,
           connection_secret: "{SQ_CONN}"}}
"""
    + TAGS.format(job="queue_job"),
}


@pytest.fixture(scope="module")
def synthesized(synthesize: Synthesize) -> dict[str, dict[str, Any]]:
    return synthesize(JOBS, PlatformSettings())[1]


def _secret_name(doc: dict[str, Any], body: dict[str, Any], url: str) -> str:
    (name,) = [s["name"] for s in body["secret"] if s["key_vault_secret_id"] == url]
    return name


def test_service_scale_rules(synthesized: dict[str, dict[str, Any]]) -> None:
    doc = synthesized["service_rules"]
    app = one(doc, "azurerm_container_app")
    template = app["template"]
    assert (template["min_replicas"], template["max_replicas"]) == (0, 20)
    assert template["http_scale_rule"] == [{"name": "http", "concurrent_requests": "50"}]
    sq = _secret_name(doc, app, SQ_CONN)
    assert template["azure_queue_scale_rule"] == [
        {
            "name": "files",
            "queue_name": "incoming",
            "queue_length": keda.DEFAULT_QUEUE_LENGTH,
            "authentication": [{"secret_name": sq, "trigger_parameter": "connection"}],
        }
    ]
    sb, hub = _secret_name(doc, app, SB_CONN), _secret_name(doc, app, HUB_CONN)
    assert sb == "sb-connection"  # the variable's secret is reused, not a second copy of the same URL
    assert template["custom_scale_rule"] == [
        {
            "name": "orders",
            "custom_rule_type": "azure-servicebus",
            "metadata": {"messageCount": "10", "namespace": "orders-bus", "queueName": "orders"},
            "authentication": [{"secret_name": sb, "trigger_parameter": "connection"}],
        },
        {
            "name": "hub",
            "custom_rule_type": "azure-eventhub",
            "metadata": {"consumerGroup": "ingest", "unprocessedEventThreshold": "64"},
            "authentication": [{"secret_name": hub, "trigger_parameter": "connection"}],
        },
    ]
    # every secret once, each read with the job identity
    urls = [s["key_vault_secret_id"] for s in app["secret"]]
    assert sorted(urls) == sorted({SB_CONN, SQ_CONN, HUB_CONN})
    assert all(s["identity"].startswith("${azurerm_user_assigned_identity.") for s in app["secret"])


def test_queue_rules_grant_the_identity_the_queue(synthesized: dict[str, dict[str, Any]]) -> None:
    grants = {
        (g["scope"], g["role_definition_name"])
        for g in resources(synthesized["service_rules"], "azurerm_role_assignment")
    }
    assert (f"{NAMESPACE}/queues/orders", "Azure Service Bus Data Receiver") in grants
    assert (
        f"{ACCOUNT}/queueServices/default/queues/incoming",
        "Storage Queue Data Message Processor",
    ) in grants
    # each secret a rule reads is granted per secret (not the vault)
    for name in ("sb-conn", "sq-conn", "hub-conn"):
        assert (f"{VAULT}/secrets/{name}", "Key Vault Secrets User") in grants
    assert (VAULT, "Key Vault Secrets User") not in grants


def test_event_triggered_job(synthesized: dict[str, dict[str, Any]]) -> None:
    doc = synthesized["event_job"]
    job = one(doc, "azurerm_container_app_job")
    assert "manual_trigger_config" not in job and "schedule_trigger_config" not in job
    sq = _secret_name(doc, job, SQ_CONN)
    assert job["event_trigger_config"] == {
        "parallelism": 2,
        "replica_completion_count": 2,
        "scale": [
            {
                "min_executions": 0,
                "max_executions": 10,
                "polling_interval_in_seconds": 15,
                "rules": [
                    {
                        "name": "files",
                        "custom_rule_type": "azure-queue",
                        "metadata": {"accountName": "lakeq", "queueLength": "3", "queueName": "incoming"},
                        "authentication": [{"secret_name": sq, "trigger_parameter": "connection"}],
                    }
                ],
            }
        ],
    }
    scopes = {g["scope"] for g in resources(doc, "azurerm_role_assignment")}
    assert f"{ACCOUNT}/queueServices/default/queues/incoming" in scopes


@pytest.mark.parametrize("case", sorted(JOBS))
def test_plan_time_rules(synthesized: dict[str, dict[str, Any]], case: str) -> None:
    assert_azurerm_plan_time_rules(synthesized[case])


def test_queue_length_and_metadata_match_the_scalers() -> None:
    assert keda.queue_metadata("service_bus_queue", "ns", "q", 7) == {
        "namespace": "ns",
        "queueName": "q",
        "messageCount": "7",
    }
    assert set(keda.QUEUE_SCALERS.values()) <= keda.CUSTOM_RULE_TYPES


# --- errors -------------------------------------------------------------------------------------


def errors(tmp_path: Path, runtime: str) -> list[str]:
    """The messages of a job whose runtime block (after ``type``) is ``runtime``, file name stripped."""
    path = tmp_path / "job.yaml"
    path.write_text(HEADER + runtime + TAGS.format(job="j"))
    with pytest.raises(ErrorReport) as caught:
        load_job(path)
    return [re.sub(r"^.*job\.yaml:", "job.yaml:", str(e)) for e in caught.value]


def _messages(found: list[str]) -> str:
    return "\n".join(found)


@pytest.mark.parametrize(
    ("runtime", "expected"),
    [
        (
            "    mode: service\n    scaling:\n      rules:\n        - {name: Bad_Name, type: http, concurrent_requests: 0}\n",
            [
                "job.yaml:11: infrastructure.runtime.scaling.rules[0].name: not a scale rule name, got 'Bad_Name'",
                "job.yaml:11: infrastructure.runtime.scaling.rules[0].concurrent_requests: must be at least 1, got 0",
            ],
        ),
        (
            "    mode: service\n    scaling:\n      rules:\n        - {name: a, type: http}\n        - {name: a, type: http, concurrent_requests: 5, queue: q}\n",
            [
                "job.yaml:11: infrastructure.runtime.scaling.rules[0].concurrent_requests: required for a http rule",
                "job.yaml:12: infrastructure.runtime.scaling.rules[1].queue: does not apply to a http rule, got 'q'; expected no queue (rule types taking it: service_bus_queue, storage_queue)",
                "job.yaml:12: infrastructure.runtime.scaling.rules[1].name: listed twice, got 'a'",
            ],
        ),
        (
            "    mode: service\n    scaling:\n      max_replicas: 301\n      rules:\n"
            "        - {name: q, type: service_bus_queue, namespace_id: '*', queue: 'bad queue!',"
            " connection_secret: 'https://other-kv.vault.azure.net/secrets/x'}\n",
            [
                "job.yaml:10: infrastructure.runtime.scaling.max_replicas: outside the Container Apps replica range, got 301; expected 1 to 300",
                "job.yaml:12: infrastructure.runtime.scaling.rules[0].namespace_id: wildcards are not allowed",
                "job.yaml:12: infrastructure.runtime.scaling.rules[0].queue: not a queue name, got 'bad queue!'",
                "job.yaml:12: infrastructure.runtime.scaling.rules[0].connection_secret: Key Vault 'other-kv' is not in permissions.secrets",
            ],
        ),
        (
            "    mode: service\n    scaling:\n      rules:\n        - {name: c, type: custom, custom_type: nope, metadata: {'1x': v}}\n",
            [
                "job.yaml:11: infrastructure.runtime.scaling.rules[0].custom_type: not a KEDA scaler azurerm 4.55.0 accepts, got 'nope'",
                "job.yaml:11: infrastructure.runtime.scaling.rules[0].metadata.1x: not a scaler metadata key",
            ],
        ),
        (
            "    scaling:\n      rules:\n        - {name: c, type: custom, custom_type: cpu, metadata: {type: Utilization}}\n",
            [
                "job.yaml:9: infrastructure.runtime.scaling.rules: applies to an event-triggered job only",
                "job.yaml:10: infrastructure.runtime.scaling.rules[0].custom_type: a job has no running replicas",
            ],
        ),
        (
            "    trigger: event\n    scaling:\n      min_executions: 5\n      max_executions: 2\n      rules:\n"
            "        - {name: c, type: custom, custom_type: cpu, metadata: {type: Utilization}}\n"
            "        - {name: h, type: http, concurrent_requests: 3}\n",
            [
                "job.yaml:10: infrastructure.runtime.scaling.min_executions: larger than max_executions, got 5; expected at most 2",
                "job.yaml:13: infrastructure.runtime.scaling.rules[0].custom_type: a job has no running replicas to measure",
                "job.yaml:14: infrastructure.runtime.scaling.rules[1].type: an event-triggered job scales on event sources, not HTTP",
            ],
        ),
        (
            "    trigger: event\n",
            [
                "job.yaml:8: infrastructure.runtime.trigger: an event-triggered job needs scale rules to start executions"
            ],
        ),
        (
            "    trigger: event\n    schedule: '0 3 * * *'\n",
            ["job.yaml:9: infrastructure.runtime.schedule: an event-triggered job has no schedule"],
        ),
        (
            "    trigger: schedule\n",
            ["job.yaml:8: infrastructure.runtime.trigger: a scheduled job needs a schedule"],
        ),
        (
            "    mode: service\n    trigger: event\n    scaling: {polling_interval_seconds: 5}\n",
            [
                "job.yaml:9: infrastructure.runtime.trigger: applies to mode job only",
                "job.yaml:10: infrastructure.runtime.scaling.polling_interval_seconds: applies to mode job only",
            ],
        ),
    ],
)
def test_scaling_errors(tmp_path: Path, runtime: str, expected: list[str]) -> None:
    found = errors(tmp_path, runtime)
    for message in expected:
        assert any(line.startswith(message) for line in found), (message, _messages(found))
    assert len(found) == len(expected), _messages(found)
