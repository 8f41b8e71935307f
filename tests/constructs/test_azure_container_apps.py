"""Azure Container Apps runtime: structure of the synthesized stacks, names, outputs.

Each distinct test job is YAML, loaded and synthesized once per session by the ``synthesize`` fixture
(tests/constructs/conftest.py: ``load_jobs``, then one App); the tests read resources and properties
from that JSON.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from dativo_infra.clouds import azure
from dativo_infra.config.loaded import LoadedJob
from dativo_infra.config.settings import PlatformSettings
from dativo_infra.contract import OUTPUTS, RuntimeType, exported_outputs
from dativo_infra.naming import stack_name
from tests.clouds.rules import AZURERM_PROBE_RANGES, assert_azurerm_plan_time_rules, assert_valid_names
from tests.constructs.conftest import TAGS, Synthesize, data_sources, one, resources

SUB = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/data"
ACCOUNT_READ = f"{SUB}/providers/Microsoft.Storage/storageAccounts/lakeread"
ACCOUNT_WRITE = f"{SUB}/providers/Microsoft.Storage/storageAccounts/lakewrite"
ACCOUNT_RW = f"{SUB}/providers/Microsoft.Storage/storageAccounts/lakerw"
VAULT = f"{SUB}/providers/Microsoft.KeyVault/vaults/jobs-kv"
VAULT_SECRET = "https://jobs-kv.vault.azure.net/secrets/api-token"
SDK_VAULT = f"{SUB}/providers/Microsoft.KeyVault/vaults/sdk-kv"  # listed, no secret of it referenced
REGISTRY = f"{SUB}/providers/Microsoft.ContainerRegistry/registries/example"
SHARED_ENV = f"{SUB}/providers/Microsoft.App/managedEnvironments/shared-cae"
CONTAINER_SCOPE = f"{ACCOUNT_READ}/blobServices/default/containers/raw"
SUBNET = f"{SUB}/providers/Microsoft.Network/virtualNetworks/vnet/subnets/aca"
IDENTITY = f"{SUB}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ingest-id"
LONG_JOB = "very_long_ingestion_job_name_" + "x" * 90 + "_ending9"  # 127 characters

JOBS: dict[str, str] = {
    "service_external": f"""\
tenant_id: acme
environment: dev
infrastructure:
  provider: azure
  region: westeurope
  runtime:
    type: azure_container_apps
    mode: service
    image: example.azurecr.io/ingest:2.0
    registry_id: "{REGISTRY}"
    command: [python, -m, ingest]
    cpu_millicores: 500
    memory_mib: 1024
    port: 9000
    ingress: external
    ingress_allowed_cidrs: [203.0.113.0/24, 198.51.100.7/32]
    log_retention_days: 60
    scaling: {{min_replicas: 2, max_replicas: 4}}
    network: {{subnet_ids: ["{SUBNET}"]}}
    env: {{MODE: webhook, LEVEL: info}}
    secrets: {{API_TOKEN: "{VAULT_SECRET}"}}
    permissions:
      storage:
        - {{bucket: "{ACCOUNT_READ}", access: read}}
        - {{bucket: "{ACCOUNT_WRITE}", access: write}}
        - {{bucket: "{ACCOUNT_RW}", access: read_write}}
      secrets: ["{VAULT}", "{SDK_VAULT}"]
"""
    + TAGS.format(job="webhook_receiver"),
    "service_no_ingress": """\
tenant_id: acme
environment: dev
infrastructure:
  provider: azure
  region: northeurope
  runtime:
    type: azure_container_apps
    mode: service
    ingress: none
    resource_group: shared-ingest-rg
    delete_lock: true
"""
    + TAGS.format(job="queue_worker"),
    "job_scheduled": f"""\
tenant_id: acme
environment: dev
infrastructure:
  provider: azure
  region: westeurope
  runtime:
    type: azure_container_apps
    mode: job
    cpu_millicores: 250
    memory_mib: 512
    timeout_seconds: 1800
    retries: 2
    schedule: "0 3 * * *"
    scaling: {{parallelism: 3}}
    permissions:
      storage:
        - {{bucket: "{CONTAINER_SCOPE}", access: read}}
"""
    + TAGS.format(job="nightly_batch"),
    "job_manual": """\
tenant_id: acme
environment: dev
infrastructure:
  provider: azure
  region: westeurope
  runtime:
    type: azure_container_apps
    env: {TEMPLATE: "${not_interpolated}"}
"""
    + TAGS.format(job=LONG_JOB),
    "job_shared_environment": f"""\
tenant_id: acme
environment: dev
infrastructure:
  provider: azure
  region: westeurope
  runtime:
    type: azure_container_apps
    image: AcmeACR.azurecr.io/ingest:3.1
    environment_id: "{SHARED_ENV}"
    schedule: "30 2 * * MON-FRI"
    delete_lock: true
  resource_identifiers:
    environment_name: "{{{{terraform_outputs.environment_name}}}}"
"""
    + TAGS.format(job="shared_batch"),
    "job_prod_zone_redundant": f"""\
tenant_id: acme
environment: prod
infrastructure:
  provider: azure
  region: westeurope
  runtime:
    type: azure_container_apps
    zone_redundant: true
    network: {{subnet_ids: ["{SUBNET}"], external_environment: true}}
"""
    + TAGS.format(job="prod_batch").replace("environment: dev", "environment: prod"),
    "service_probes": """\
tenant_id: acme
environment: dev
infrastructure:
  provider: azure
  region: westeurope
  runtime:
    type: azure_container_apps
    mode: service
    port: 9000
    probes:
      liveness: {path: /healthz, initial_delay_seconds: 5, interval_seconds: 15, timeout_seconds: 3,
                 failure_threshold: 5}
      readiness: {transport: https, port: 9443, path: /ready, success_threshold: 2}
      startup: {transport: tcp, interval_seconds: 2, failure_threshold: 30}
"""
    + TAGS.format(job="probed_service"),
    "job_existing_identity": f"""\
tenant_id: acme
environment: dev
infrastructure:
  provider: azure
  region: westeurope
  runtime:
    type: azure_container_apps
    image: example.azurecr.io/ingest:2.0
    existing_identity_id: "{IDENTITY}"
    secrets: {{API_TOKEN: "{VAULT_SECRET}"}}
"""
    + TAGS.format(job="given_identity"),
}
MODES = sorted(JOBS)


@pytest.fixture(scope="session")
def azure_out(synthesize: Synthesize) -> tuple[dict[str, LoadedJob], dict[str, dict[str, Any]]]:
    """``({case: loaded job}, {case: parsed cdk.tf.json})``: every test job synthesized once per session."""
    return synthesize(JOBS, PlatformSettings())


@pytest.fixture(scope="session")
def synthesized(
    azure_out: tuple[dict[str, LoadedJob], dict[str, dict[str, Any]]],
) -> dict[str, dict[str, Any]]:
    """``{case: parsed cdk.tf.json}``."""
    return azure_out[1]


# --- structure per mode -------------------------------------------------------------------------


def test_service_external_ingress(synthesized: dict[str, dict[str, Any]]) -> None:
    doc = synthesized["service_external"]
    assert resources(doc, "azurerm_container_app_job") == []
    app = one(doc, "azurerm_container_app")
    assert app["revision_mode"] == "Single"
    assert app["ingress"] == {
        "external_enabled": True,
        "target_port": 9000,
        "ip_security_restriction": [
            {"name": "allow-1", "action": "Allow", "ip_address_range": "203.0.113.0/24"},
            {"name": "allow-2", "action": "Allow", "ip_address_range": "198.51.100.7/32"},
        ],
        "traffic_weight": [{"latest_revision": True, "percentage": 100}],
    }
    assert app["identity"]["type"] == "UserAssigned"
    (identity_id,) = app["identity"]["identity_ids"]
    assert re.fullmatch(r"\$\{azurerm_user_assigned_identity\.[\w-]+\.id\}", identity_id)
    template = app["template"]
    assert (template["min_replicas"], template["max_replicas"]) == (2, 4)
    (container,) = template["container"]
    assert container["name"] == "job"
    assert container["image"] == "example.azurecr.io/ingest:2.0"
    assert container["cpu"] == 0.5
    assert container["memory"] == "1Gi"
    assert container["command"] == ["python", "-m", "ingest"]
    env = {e["name"]: e for e in container["env"]}
    assert [e["name"] for e in container["env"]] == ["AZURE_CLIENT_ID", "LEVEL", "MODE", "API_TOKEN"]
    assert env["MODE"] == {"name": "MODE", "value": "webhook"}
    assert env["LEVEL"] == {"name": "LEVEL", "value": "info"}
    assert env["API_TOKEN"] == {"name": "API_TOKEN", "secret_name": "api-token"}
    (secret,) = app["secret"]
    assert secret["name"] == "api-token"
    assert secret["key_vault_secret_id"] == VAULT_SECRET
    assert re.fullmatch(r"\$\{azurerm_user_assigned_identity\.[\w-]+\.id\}", secret["identity"])
    assert "${azurerm_container_app_environment." in app["container_app_environment_id"]
    # the app waits for the identity's roles (Key Vault secret refs resolve and the image is pulled at creation)
    assert len(app["depends_on"]) == len(resources(doc, "azurerm_role_assignment"))


def test_service_environment_and_workspace(synthesized: dict[str, dict[str, Any]]) -> None:
    doc = synthesized["service_external"]
    workspace = one(doc, "azurerm_log_analytics_workspace")
    assert workspace["sku"] == "PerGB2018"
    assert workspace["retention_in_days"] == 60
    assert workspace["location"] == "westeurope"
    environment = one(doc, "azurerm_container_app_environment")
    assert environment["infrastructure_subnet_id"] == SUBNET
    # named, so Azure's generated name for the platform-managed group is no drift that replaces the environment
    assert environment["infrastructure_resource_group_name"] == "me-acme-webhook-receiver"
    assert environment["logs_destination"] == "log-analytics"
    assert re.fullmatch(
        r"\$\{azurerm_log_analytics_workspace\.[\w-]+\.id\}", environment["log_analytics_workspace_id"]
    )
    group = one(doc, "azurerm_resource_group")
    assert group["location"] == "westeurope"
    assert group["name"] == "rg-acme-webhook-receiver"
    assert environment["resource_group_name"] == workspace["resource_group_name"]
    assert re.fullmatch(r"\$\{azurerm_resource_group\.[\w-]+\.name\}", environment["resource_group_name"])
    assert one(doc, "azurerm_user_assigned_identity")["name"] == "id-acme-webhook-receiver"
    assert "data" not in doc


def test_service_without_ingress(synthesized: dict[str, dict[str, Any]]) -> None:
    doc = synthesized["service_no_ingress"]
    app = one(doc, "azurerm_container_app")
    assert "ingress" not in app
    assert resources(doc, "azurerm_container_app_job") == []
    assert "ingress_url" not in doc["output"]  # no ingress, no URL (and no "none" stand-in)
    (container,) = app["template"]["container"]
    assert (container["cpu"], container["memory"]) == (1, "2Gi")  # the defaults
    assert (app["template"]["min_replicas"], app["template"]["max_replicas"]) == (1, 1)
    assert "secret" not in app
    assert "registry" not in app  # ghcr.io default image: no registry credentials
    environment = one(doc, "azurerm_container_app_environment")
    assert "infrastructure_subnet_id" not in environment
    assert "infrastructure_resource_group_name" not in environment  # Azure hides it without a custom subnet


def test_existing_resource_group_is_looked_up(synthesized: dict[str, dict[str, Any]]) -> None:
    doc = synthesized["service_no_ingress"]
    assert resources(doc, "azurerm_resource_group") == []
    (lookup,) = doc["data"]["azurerm_resource_group"].values()
    assert lookup["name"] == "shared-ingest-rg"
    address = next(iter(doc["data"]["azurerm_resource_group"]))
    for kind in (
        "azurerm_log_analytics_workspace",
        "azurerm_container_app_environment",
        "azurerm_user_assigned_identity",
        "azurerm_container_app",
    ):
        assert one(doc, kind)["resource_group_name"] == f"${{data.azurerm_resource_group.{address}.name}}"
    assert doc["output"]["resource_group_name"]["value"] == f"${{data.azurerm_resource_group.{address}.name}}"


def test_scheduled_job(synthesized: dict[str, dict[str, Any]]) -> None:
    doc = synthesized["job_scheduled"]
    assert resources(doc, "azurerm_container_app") == []
    job = one(doc, "azurerm_container_app_job")
    assert job["schedule_trigger_config"] == {
        "cron_expression": "0 3 * * *",
        "parallelism": 3,
        "replica_completion_count": 3,
    }
    assert "manual_trigger_config" not in job
    assert job["replica_timeout_in_seconds"] == 1800
    assert job["replica_retry_limit"] == 2
    assert job["location"] == "westeurope"
    assert job["identity"]["type"] == "UserAssigned"
    assert len(job["identity"]["identity_ids"]) == 1
    (container,) = job["template"]["container"]
    assert (container["name"], container["cpu"], container["memory"]) == ("job", 0.25, "0.5Gi")
    assert "secret" not in job
    assert job["name"] == "caj-acme-nightly-batch"
    assert "ingress_url" not in doc["output"]  # job mode has no ingress


def test_manual_job(synthesized: dict[str, dict[str, Any]]) -> None:
    doc = synthesized["job_manual"]
    assert resources(doc, "azurerm_container_app") == []
    job = one(doc, "azurerm_container_app_job")
    assert job["manual_trigger_config"] == {"parallelism": 1, "replica_completion_count": 1}
    assert "schedule_trigger_config" not in job
    assert (job["replica_timeout_in_seconds"], job["replica_retry_limit"]) == (3600, 0)
    assert resources(doc, "azurerm_role_assignment") == []
    assert "depends_on" not in job
    (container,) = job["template"]["container"]
    # job data reaches Terraform literally
    assert container["env"][1:] == [{"name": "TEMPLATE", "value": "$${not_interpolated}"}]
    assert "registry" not in job


def test_role_assignments_per_grant(synthesized: dict[str, dict[str, Any]]) -> None:
    doc = synthesized["service_external"]
    grants = {r["scope"]: r for r in resources(doc, "azurerm_role_assignment")}
    assert {scope: r["role_definition_name"] for scope, r in grants.items()} == {
        ACCOUNT_READ: "Storage Blob Data Reader",
        ACCOUNT_WRITE: "Storage Blob Data Contributor",
        ACCOUNT_RW: "Storage Blob Data Contributor",
        # referenced by runtime.secrets: that secret only, not the vault it is in
        f"{VAULT}/secrets/api-token": "Key Vault Secrets User",
        # listed in permissions.secrets, none of its secrets referenced: an explicit vault-wide read
        SDK_VAULT: "Key Vault Secrets User",
        REGISTRY: "AcrPull",
    }
    assert VAULT not in grants
    for grant in grants.values():
        assert re.fullmatch(
            r"\$\{azurerm_user_assigned_identity\.[\w-]+\.principal_id\}", grant["principal_id"]
        )
        assert grant["principal_type"] == "ServicePrincipal"
    (only,) = resources(synthesized["job_scheduled"], "azurerm_role_assignment")
    assert (only["scope"], only["role_definition_name"]) == (CONTAINER_SCOPE, "Storage Blob Data Reader")


def test_stronger_role_wins_on_one_account() -> None:
    from dativo_infra.constructs.azure_container_apps import role_assignments

    runtime = azure_runtime(
        permissions={
            "storage": [
                {"bucket": ACCOUNT_RW, "access": "read"},
                {"bucket": ACCOUNT_RW, "access": "write"},
                {"bucket": ACCOUNT_READ, "access": "read"},
            ]
        }
    )
    assert {g.scope: g.role for g in role_assignments(runtime)} == {
        ACCOUNT_READ: "Storage Blob Data Reader",
        ACCOUNT_RW: "Storage Blob Data Contributor",
    }


def test_long_job_name_gives_valid_names_in_stack(synthesized: dict[str, dict[str, Any]]) -> None:
    doc = synthesized["job_manual"]
    assert len(LONG_JOB) == 127
    names = {
        "rg": one(doc, "azurerm_resource_group")["name"],
        "log": one(doc, "azurerm_log_analytics_workspace")["name"],
        "cae": one(doc, "azurerm_container_app_environment")["name"],
        "caj": one(doc, "azurerm_container_app_job")["name"],
        "id": one(doc, "azurerm_user_assigned_identity")["name"],
    }
    for prefix, name in names.items():
        full = f"{prefix}-{stack_name('acme', LONG_JOB)}"
        if len(full) <= {"rg": 90, "log": 63, "cae": 59, "caj": 32, "id": 128}[prefix]:
            assert name == full
        else:  # cut, and told apart by a hash of the full name
            assert name.startswith(prefix + "-acme-very-long"), name
            assert re.search(r"-[0-9a-f]{6}$", name) and len(name) < len(full), name
    assert_valid_names(
        rg=names["rg"],
        log=names["log"],
        cae=names["cae"],
        app=names["caj"],
        job=names["caj"],
        identity=names["id"],
    )


def test_provider_block(synthesized: dict[str, dict[str, Any]]) -> None:
    for doc in synthesized.values():
        (provider,) = doc["provider"]["azurerm"]
        assert provider == {
            "features": [{}],
            # azurerm 5 registers none by default (4: a legacy set): those of the resources created here
            "resource_providers_to_register": [
                "Microsoft.App",
                "Microsoft.ManagedIdentity",
                "Microsoft.OperationalInsights",
            ],
        }


def test_no_tags_conflict_and_tags_from_aspect(synthesized: dict[str, dict[str, Any]]) -> None:
    """Every taggable resource gets the stack's tags (from the aspect; the construct sets none)."""
    doc = synthesized["service_external"]
    for kind in (
        "azurerm_resource_group",
        "azurerm_log_analytics_workspace",
        "azurerm_container_app_environment",
        "azurerm_user_assigned_identity",
        "azurerm_container_app",
    ):
        assert one(doc, kind)["tags"]["job_name"] == "webhook_receiver", kind


# --- workload profiles, identity, registry, shared environment -----------------------------------

IDENTITY_CLIENT_ID_RE = r"\$\{(?:data\.)?azurerm_user_assigned_identity\.[\w-]+\.client_id\}"


@pytest.mark.parametrize("case", MODES)
def test_consumption_workload_profile(synthesized: dict[str, dict[str, Any]], case: str) -> None:
    doc = synthesized[case]
    for environment in resources(doc, "azurerm_container_app_environment"):
        assert environment["workload_profile"] == [
            {"name": "Consumption", "workload_profile_type": "Consumption"}
        ]
    (runtime,) = resources(doc, "azurerm_container_app") + resources(doc, "azurerm_container_app_job")
    assert runtime["workload_profile_name"] == "Consumption"


@pytest.mark.parametrize("case", MODES)
def test_containers_get_the_identity_client_id(synthesized: dict[str, dict[str, Any]], case: str) -> None:
    doc = synthesized[case]
    (runtime,) = resources(doc, "azurerm_container_app") + resources(doc, "azurerm_container_app_job")
    (container,) = runtime["template"]["container"]
    client_ids = [e for e in container["env"] if e["name"] == "AZURE_CLIENT_ID"]
    assert len(client_ids) == 1 and set(client_ids[0]) == {"name", "value"}
    assert re.fullmatch(IDENTITY_CLIENT_ID_RE, client_ids[0]["value"])
    (identity_id,) = runtime["identity"]["identity_ids"]  # the identity whose client id that is
    assert identity_id.replace(".id}", ".client_id}") == client_ids[0]["value"]


@pytest.mark.parametrize(
    ("case", "kind", "server"),
    [
        ("service_external", "azurerm_container_app", "example.azurecr.io"),
        ("job_shared_environment", "azurerm_container_app_job", "acmeacr.azurecr.io"),
    ],
)
def test_acr_images_are_pulled_with_the_identity(
    synthesized: dict[str, dict[str, Any]], case: str, kind: str, server: str
) -> None:
    doc = synthesized[case]
    runtime = one(doc, kind)
    (identity_id,) = runtime["identity"]["identity_ids"]
    assert runtime["registry"] == [{"server": server, "identity": identity_id}]
    pulls = [r for r in resources(doc, "azurerm_role_assignment") if r["role_definition_name"] == "AcrPull"]
    if case == "service_external":  # registry_id given: AcrPull on it, before the app pulls
        assert [p["scope"] for p in pulls] == [REGISTRY]
        assert len(runtime["depends_on"]) == len(resources(doc, "azurerm_role_assignment"))
    else:  # no registry_id: AcrPull is granted elsewhere, none here
        assert pulls == []


def test_shared_environment_is_looked_up_not_created(synthesized: dict[str, dict[str, Any]]) -> None:
    doc = synthesized["job_shared_environment"]
    assert resources(doc, "azurerm_container_app_environment") == []
    assert resources(doc, "azurerm_log_analytics_workspace") == []
    assert resources(doc, "azurerm_container_app") == []
    ((address, lookup),) = doc["data"]["azurerm_container_app_environment"].items()
    assert (lookup["name"], lookup["resource_group_name"]) == ("shared-cae", "data")
    (check,) = lookup["lifecycle"]["postcondition"]
    assert check["condition"] == '${self.location == "westeurope"}'
    assert "westeurope" in check["error_message"]
    job = one(doc, "azurerm_container_app_job")
    assert job["container_app_environment_id"] == f"${{data.azurerm_container_app_environment.{address}.id}}"
    assert job["location"] == "westeurope"
    assert job["workload_profile_name"] == "Consumption"
    assert job["schedule_trigger_config"]["cron_expression"] == "30 2 * * MON-FRI"
    # the job's own identity and resource group are still created
    assert one(doc, "azurerm_resource_group")["name"] == "rg-acme-shared-batch"
    assert one(doc, "azurerm_user_assigned_identity")["resource_group_name"].startswith(
        "${azurerm_resource_group."
    )


def azure_runtime(**runtime: Any) -> Any:
    """The validated runtime model of an Azure job with these runtime fields."""
    from dativo_infra.config.schema import JobConfig

    job = {
        "tenant_id": "acme",
        "environment": "dev",
        "infrastructure": {
            "provider": "azure",
            "region": "westeurope",
            "runtime": {"type": "azure_container_apps", **runtime},
            "tags": {
                "job_name": "j",
                "team": "t",
                "pipeline_type": "p",
                "environment": "dev",
                "cost_center": "c",
            },
        },
    }
    return JobConfig.model_validate(job).runtime


def test_key_vault_grants_per_referenced_secret_and_per_sdk_vault() -> None:
    from dativo_infra.constructs.azure_container_apps import KEY_VAULT_ROLE, role_assignments

    upper_vault = VAULT.replace("jobs-kv", "Jobs-KV")  # vault names compare case-insensitively
    runtime = azure_runtime(
        secrets={
            "A": VAULT_SECRET,
            "B": "https://jobs-kv.vault.azure.net/secrets/b/0123456789abcdef0123456789abcdef",
            "C": VAULT_SECRET,  # the same secret twice: one grant
        },
        permissions={"secrets": [upper_vault, SDK_VAULT]},
    )
    grants = role_assignments(runtime)
    assert [(g.scope, g.role) for g in grants] == [
        (SDK_VAULT, KEY_VAULT_ROLE),  # listed, none of its secrets referenced: the whole vault
        (f"{upper_vault}/secrets/api-token", KEY_VAULT_ROLE),  # referenced: that secret only
        (f"{upper_vault}/secrets/b", KEY_VAULT_ROLE),
    ]
    assert [g.id.rsplit("_", 1)[0] for g in grants] == ["key_vault", "key_vault_secret", "key_vault_secret"]


# --- outputs ------------------------------------------------------------------------------------


#: Outputs each test job does not export (its configuration has no such thing); every other exists.
NOT_EXPORTED: dict[str, set[str]] = {
    "service_external": set(),
    "service_no_ingress": {"ingress_url"},
    "service_probes": set(),
    "job_scheduled": {"ingress_url"},
    "job_manual": {"ingress_url"},
    "job_prod_zone_redundant": {"ingress_url"},
    "job_existing_identity": {"ingress_url"},
    "job_shared_environment": {"ingress_url", "log_analytics_workspace_id"},
}


def test_every_case_says_which_outputs_it_lacks() -> None:
    assert set(NOT_EXPORTED) == set(JOBS)


@pytest.mark.parametrize("case", MODES)
def test_exactly_the_outputs_of_the_configuration_are_exported(
    azure_out: tuple[dict[str, LoadedJob], dict[str, dict[str, Any]]], case: str
) -> None:
    jobs, docs = azure_out
    outputs = docs[case]["output"]
    expected = set(OUTPUTS[RuntimeType.AZURE_CONTAINER_APPS]) - NOT_EXPORTED[case]
    assert set(outputs) == expected == set(exported_outputs(jobs[case].config.runtime))
    for name in expected:
        value = outputs[name]["value"]
        assert isinstance(value, str) and value and value != "none", (case, name, value)
        assert outputs[name]["description"] == OUTPUTS[RuntimeType.AZURE_CONTAINER_APPS][name].description


@pytest.mark.parametrize(
    ("case", "kind"),
    [
        ("service_external", "azurerm_container_app"),
        ("service_no_ingress", "azurerm_container_app"),
        ("job_scheduled", "azurerm_container_app_job"),
        ("job_manual", "azurerm_container_app_job"),
    ],
)
def test_outputs_reference_the_runtime(synthesized: dict[str, dict[str, Any]], case: str, kind: str) -> None:
    outputs = {name: body["value"] for name, body in synthesized[case]["output"].items()}
    assert re.fullmatch(rf"\$\{{{kind}\.[\w-]+\.name\}}", outputs["container_app_name"])
    assert re.fullmatch(r"\$\{azurerm_container_app_environment\.[\w-]+\.name\}", outputs["environment_name"])
    assert re.fullmatch(r"\$\{azurerm_user_assigned_identity\.[\w-]+\.id\}", outputs["managed_identity_id"])
    assert re.fullmatch(
        r"\$\{azurerm_user_assigned_identity\.[\w-]+\.client_id\}", outputs["managed_identity_client_id"]
    )
    assert re.fullmatch(
        r"\$\{azurerm_log_analytics_workspace\.[\w-]+\.id\}", outputs["log_analytics_workspace_id"]
    )


def test_outputs_of_a_shared_environment(synthesized: dict[str, dict[str, Any]]) -> None:
    outputs = {name: body["value"] for name, body in synthesized["job_shared_environment"]["output"].items()}
    assert re.fullmatch(
        r"\$\{data\.azurerm_container_app_environment\.[\w-]+\.name\}", outputs["environment_name"]
    )
    assert "log_analytics_workspace_id" not in outputs  # the shared environment's, not this stack's
    assert re.fullmatch(r"\$\{azurerm_container_app_job\.[\w-]+\.name\}", outputs["container_app_name"])
    assert re.fullmatch(r"\$\{azurerm_user_assigned_identity\.[\w-]+\.id\}", outputs["managed_identity_id"])


def test_ingress_url_of_external_service(synthesized: dict[str, dict[str, Any]]) -> None:
    value = synthesized["service_external"]["output"]["ingress_url"]["value"]
    assert re.fullmatch(r"https://\$\{azurerm_container_app\.[\w-]+\.ingress\[0\]\.fqdn\}", value)


# --- environment network, IP restrictions, delete locks --------------------------------------------


def test_subnet_makes_the_environment_internal(synthesized: dict[str, dict[str, Any]]) -> None:
    environment = one(synthesized["service_external"], "azurerm_container_app_environment")
    assert environment["infrastructure_subnet_id"] == SUBNET
    assert environment["internal_load_balancer_enabled"] is True
    assert environment["zone_redundancy_enabled"] is False


def test_external_zone_redundant_environment_when_asked(synthesized: dict[str, dict[str, Any]]) -> None:
    environment = one(synthesized["job_prod_zone_redundant"], "azurerm_container_app_environment")
    assert environment["infrastructure_subnet_id"] == SUBNET
    assert environment["internal_load_balancer_enabled"] is False
    assert environment["zone_redundancy_enabled"] is True


def test_environment_without_subnet_leaves_the_subnet_attributes_out(
    synthesized: dict[str, dict[str, Any]],
) -> None:
    # azurerm: both are RequiredWith infrastructure_subnet_id, even when false
    environment = one(synthesized["job_manual"], "azurerm_container_app_environment")
    for attribute in ("infrastructure_subnet_id", *azure.ENVIRONMENT_SUBNET_ATTRIBUTES):
        assert attribute not in environment


def test_no_ip_restrictions_unless_listed(synthesized: dict[str, dict[str, Any]]) -> None:
    for case in MODES:
        for app in resources(synthesized[case], "azurerm_container_app"):
            if case != "service_external":
                assert "ip_security_restriction" not in app.get("ingress", {})


def _locks(doc: dict[str, Any]) -> dict[str, str]:
    """``{resource type of the locked scope: scope}`` of every management lock in a stack."""
    found = {}
    for lock in resources(doc, "azurerm_management_lock"):
        assert lock["lock_level"] == "CanNotDelete"
        assert lock["name"] == "dativo-delete-lock"
        assert len(lock["notes"]) <= 512
        match = re.fullmatch(r"\$\{(azurerm_[a-z_]+)\.[\w-]+\.id\}", lock["scope"])
        assert match, lock["scope"]
        found[match[1]] = lock["scope"]
    return found


def test_prod_locks_the_job_environment_and_resource_group(synthesized: dict[str, dict[str, Any]]) -> None:
    locks = _locks(synthesized["job_prod_zone_redundant"])
    assert sorted(locks) == [
        "azurerm_container_app_environment",
        "azurerm_container_app_job",
        "azurerm_resource_group",
    ]


def test_delete_lock_skips_what_the_stack_does_not_own(synthesized: dict[str, dict[str, Any]]) -> None:
    # existing resource group: the app and the environment the stack creates are locked, not the group
    assert sorted(_locks(synthesized["service_no_ingress"])) == [
        "azurerm_container_app",
        "azurerm_container_app_environment",
    ]
    # shared environment: the job and the stack's own resource group
    assert sorted(_locks(synthesized["job_shared_environment"])) == [
        "azurerm_container_app_job",
        "azurerm_resource_group",
    ]


def test_no_delete_lock_outside_prod_by_default(synthesized: dict[str, dict[str, Any]]) -> None:
    for case in ("service_external", "job_scheduled", "job_manual"):
        assert resources(synthesized[case], "azurerm_management_lock") == []


def test_delete_lock_default_follows_the_environment() -> None:
    assert azure_runtime().locked("prod") is True
    assert azure_runtime().locked("dev") is False
    assert azure_runtime(delete_lock=False).locked("prod") is False
    assert azure_runtime(delete_lock=True).locked("dev") is True


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("203.0.113.0/24", None),
        ("198.51.100.7/32", None),
        ("203.0.113.0", "not a CIDR block (no prefix length, e.g. /32)"),
        ("203.0.113.9/24", "host bits set: the network is 203.0.113.0/24"),
        ("0.0.0.0/0", "allows every source: no restriction"),
        ("2001:db8::/32", "an IPv6 CIDR block: Container Apps IP restrictions take IPv4"),
        ("10.0.0.0/33", "not an IPv4 CIDR block"),
        ("*/8", "not an IPv4 CIDR block"),
    ],
)
def test_ip_range_rule(value: str, problem: str | None) -> None:
    refusal = azure.ip_range_refusal(value)
    assert (refusal.problem if refusal else None) == problem


def test_probe_table_matches_the_provider() -> None:
    for kind, ranges in AZURERM_PROBE_RANGES.items():
        table = {s.attribute: (s.low, s.high) for s in azure.PROBE_SETTINGS.values() if kind in s.kinds}
        assert table == {attribute: (low, high) for low, high, attribute in ranges}


@pytest.mark.parametrize("case", MODES)
def test_provider_plan_time_rules(synthesized: dict[str, dict[str, Any]], case: str) -> None:
    """azurerm 4.55.0 plan-time rules (tests/clouds/rules.py) over every test stack; the hypothesis-drawn
    jobs of tests/stacks/test_validate_builds.py are checked with the same function."""
    assert_azurerm_plan_time_rules(synthesized[case])


# --- health probes ------------------------------------------------------------------------------


def test_probes_on_the_app_container(synthesized: dict[str, dict[str, Any]]) -> None:
    container = one(synthesized["service_probes"], "azurerm_container_app")["template"]["container"][0]
    assert container["liveness_probe"] == [
        {
            "transport": "HTTP",
            "port": 9000,
            "path": "/healthz",
            "initial_delay": 5,
            "interval_seconds": 15,
            "timeout": 3,
            "failure_count_threshold": 5,
        }
    ]
    assert container["readiness_probe"] == [
        {"transport": "HTTPS", "port": 9443, "path": "/ready", "success_count_threshold": 2}
    ]
    assert container["startup_probe"] == [
        {"transport": "TCP", "port": 9000, "interval_seconds": 2, "failure_count_threshold": 30}
    ]


@pytest.mark.parametrize("case", [c for c in MODES if c != "service_probes"])
def test_no_probes_unless_given(synthesized: dict[str, dict[str, Any]], case: str) -> None:
    for kind in ("azurerm_container_app", "azurerm_container_app_job"):
        for resource in resources(synthesized[case], kind):
            container = resource["template"]["container"][0]
            assert not {f"{k}_probe" for k in azure.PROBE_KINDS} & set(container)


# --- existing identity --------------------------------------------------------------------------


def test_existing_identity_is_looked_up_not_created(synthesized: dict[str, dict[str, Any]]) -> None:
    doc = synthesized["job_existing_identity"]
    assert resources(doc, "azurerm_user_assigned_identity") == []
    assert resources(doc, "azurerm_role_assignment") == []
    [lookup] = data_sources(doc, "azurerm_user_assigned_identity")
    assert (lookup["name"], lookup["resource_group_name"]) == ("ingest-id", "data")
    job = one(doc, "azurerm_container_app_job")
    ref = "${data.azurerm_user_assigned_identity."
    assert job["identity"]["identity_ids"][0].startswith(ref)
    assert job["registry"][0]["identity"].startswith(ref)
    assert job["secret"][0]["identity"].startswith(ref)
    env = job["template"]["container"][0]["env"][0]
    assert (
        env["name"] == azure.CLIENT_ID_VAR and env["value"].startswith(ref) and ".client_id}" in env["value"]
    )
    outputs = doc["output"]
    assert outputs["managed_identity_id"]["value"].startswith(ref)
    assert outputs["managed_identity_client_id"]["value"].endswith(".client_id}")
    assert "depends_on" not in job


@pytest.mark.parametrize(
    ("value", "parts"),
    [
        (IDENTITY, ("data", "ingest-id")),
        (IDENTITY.replace("userAssignedIdentities", "userassignedidentities"), ("data", "ingest-id")),
        (IDENTITY.replace("ingest-id", "*"), None),
        (IDENTITY.replace("ingest-id", "${var.id}"), None),
        (IDENTITY.replace("ingest-id", "_x"), None),
        (f"{SUB}/providers/Microsoft.ManagedIdentity/identities/x1y", None),
    ],
)
def test_identity_id_grammar(value: str, parts: tuple[str, str] | None) -> None:
    assert azure.identity_parts(value) == parts
