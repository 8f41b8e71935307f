"""azurerm 4.55.0 plan-time rules (the version cdktf-cdktf-provider-azurerm 14.23.1 binds), read from
the provider source (``internal/services/...`` at tag v4.55.0: schemas, ``ValidateFunc``s,
``ConflictsWith`` / ``ExactlyOneOf`` / ``RequiredWith``, ``CustomizeDiff``), plus the Container Apps
service rules the provider defers to apply time where a plan would pass and the apply fail. Written
independently of :mod:`dativo_infra.clouds.azure` (the code under test) so that they catch its bugs.

:func:`assert_azurerm_plan_time_rules` refuses a stack that emits an azurerm type without rules here
(:data:`AZURERM_RESOURCE_TYPES`, :data:`AZURERM_DATA_TYPES`)."""

from __future__ import annotations

import re
from typing import Any

_COMMON_PROBE_RANGES = [
    (0, 60, "initial_delay"),
    (1, 240, "interval_seconds"),
    (1, 240, "timeout"),
    (1, 30, "failure_count_threshold"),
]
#: Probe attribute ranges per probe block (internal/services/containerapps/helpers/container_apps.go,
#: ``validation.IntBetween``).
AZURERM_PROBE_RANGES = {
    "liveness": _COMMON_PROBE_RANGES,
    "readiness": [*_COMMON_PROBE_RANGES, (1, 10, "success_count_threshold")],
    "startup": _COMMON_PROBE_RANGES,
}


#: ``custom_rule_type`` values (``CustomScaleRuleSchema``, ``validation.StringInSlice``).
AZURERM_CUSTOM_RULE_TYPES = set(
    "activemq artemis-queue kafka pulsar aws-cloudwatch aws-dynamodb aws-dynamodb-streams aws-kinesis-stream "  # noqa: SIM905
    "aws-sqs-queue azure-app-insights azure-blob azure-data-explorer azure-eventhub azure-log-analytics "
    "azure-monitor azure-pipelines azure-servicebus azure-queue cassandra cpu cron datadog elasticsearch "
    "external external-push gcp-stackdriver gcp-storage gcp-pubsub graphite http huawei-cloudeye ibmmq "
    "influxdb kubernetes-workload liiklus memory metrics-api mongodb mssql mysql nats-jetstream stan tcp "
    "new-relic openstack-metric openstack-swift postgresql predictkube prometheus rabbitmq redis "
    "redis-cluster redis-sentinel redis-streams redis-cluster-streams redis-sentinel-streams selenium-grid "
    "solace-event-queue github-runner".split()
)
#: ``validate.SecretName`` and ``validate.LowerCaseAlphaNumericWithHyphensAndPeriods``.
_SECRET_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,251}[a-z0-9]?$")
_LOWER_DOTTED = re.compile(r"^[a-z0-9]$|^([a-z0-9])[a-z0-9-.]*[a-z0-9]$")


def _assert_auth(auths: list[dict[str, Any]], secrets: set[str], required: bool) -> None:
    assert auths or not required
    for auth in auths:
        assert _SECRET_NAME.match(auth["secret_name"]) and not auth["secret_name"].endswith("-")
        assert auth["secret_name"] in secrets  # the service refuses a reference to a secret not declared
        assert auth.get("trigger_parameter", "x")


def _assert_custom_rule(rule: dict[str, Any], secrets: set[str]) -> None:
    assert _LOWER_DOTTED.match(rule["name"]), rule["name"]
    assert rule["custom_rule_type"] in AZURERM_CUSTOM_RULE_TYPES
    assert isinstance(rule["metadata"], dict) and all(isinstance(v, str) for v in rule["metadata"].values())
    _assert_auth(rule.get("authentication", []), secrets, required=False)


def assert_azurerm_scale_rules(doc: dict[str, Any]) -> None:
    """Scale rules (azurerm 4.55.0): replica ranges 0-300 / 1-300; http concurrent_requests a string
    integer >= 1; azure_queue queue_length >= 1 with at least one authentication; custom rule names,
    types and string metadata; every authentication names a declared secret. Container App Job:
    exactly one of event/manual/schedule_trigger_config; event scale min_executions >= 0,
    max_executions >= 1, polling_interval_in_seconds >= 1."""
    for app in _bodies(doc, "azurerm_container_app"):
        template, secrets = app["template"], {s["name"] for s in app.get("secret", [])}
        assert 0 <= template.get("min_replicas", 0) <= 300 and 1 <= template.get("max_replicas", 10) <= 300
        for rule in template.get("http_scale_rule", []):
            assert (
                rule["name"]
                and rule["concurrent_requests"].isdigit()
                and int(rule["concurrent_requests"]) >= 1
            )
            _assert_auth(rule.get("authentication", []), secrets, required=False)
        for rule in template.get("azure_queue_scale_rule", []):
            assert rule["name"] and rule["queue_name"] and rule["queue_length"] >= 1
            _assert_auth(rule.get("authentication", []), secrets, required=True)
        for rule in template.get("custom_scale_rule", []):
            _assert_custom_rule(rule, secrets)
    for job in _bodies(doc, "azurerm_container_app_job"):
        triggers = [
            k
            for k in ("event_trigger_config", "manual_trigger_config", "schedule_trigger_config")
            if k in job
        ]
        assert len(triggers) == 1, triggers
        secrets = {s["name"] for s in job.get("secret", [])}
        for scale in job.get("event_trigger_config", {}).get("scale", []):
            assert scale.get("min_executions", 0) >= 0 and scale.get("max_executions", 100) >= 1
            assert scale.get("polling_interval_in_seconds", 30) >= 1
            for rule in scale.get("rules", []):
                _assert_custom_rule(rule, secrets)


_CONTAINER_NAME = re.compile(
    r"^([a-z0-9]\Z)|(^([a-z0-9])([a-z0-9-.]{0,44})([^A-Z\W])$)"
)  # ContainerAppContainerName
_STORAGE_NAME = re.compile(r"^([a-z])[a-z0-9-]{0,30}[a-z]?$")  # ManagedEnvironmentStorageName


def assert_azurerm_volume_rules(doc: dict[str, Any]) -> None:
    """Volumes (azurerm 4.55.0): storage_type AzureFile/EmptyDir/NfsAzureFile/Secret, AzureFile with a
    storage_name; every volume mount (main and init containers) names a declared volume, with a non-empty
    path; init container names (ContainerAppContainerName) unique and unlike the main containers'.
    Environment storages: name (ManagedEnvironmentStorageName, no '--', not ending '-'), access_mode
    ReadOnly/ReadWrite, account_name RequiredWith access_key."""
    for body in _bodies(doc, "azurerm_container_app") + _bodies(doc, "azurerm_container_app_job"):
        template = body["template"]
        volumes = {v["name"] for v in template.get("volume", [])}
        for volume in template.get("volume", []):
            assert volume["name"] and volume.get("storage_type", "EmptyDir") in (
                "AzureFile",
                "EmptyDir",
                "NfsAzureFile",
                "Secret",
            )
            assert volume.get("storage_type") != "AzureFile" or volume.get("storage_name")
        inits = template.get("init_container", [])
        names = [c["name"] for c in template["container"] + inits]
        assert len(names) == len(set(names))
        for container in template["container"] + inits:
            for mount in container.get("volume_mounts", []):
                assert mount["name"] in volumes and mount["path"]
        for init in inits:
            assert _CONTAINER_NAME.match(init["name"]) and init["image"]
    for storage in _bodies(doc, "azurerm_container_app_environment_storage"):
        name = storage["name"]
        assert _STORAGE_NAME.match(name) and not name.endswith("-") and "--" not in name, name
        assert storage["access_mode"] in ("ReadOnly", "ReadWrite") and storage["share_name"]
        assert ("account_name" in storage) == ("access_key" in storage)


def _bodies(doc: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return list(doc.get("resource", {}).get(kind, {}).values())


def _data(doc: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return list(doc.get("data", {}).get(kind, {}).values())


def _literal(value: Any) -> bool:
    """A value written as text (not a reference Terraform resolves)."""
    return isinstance(value, str) and "${" not in value.replace("$${", "")


# --- names (ValidateFunc of each ``name``) ------------------------------------------------------------
#: resourcegroups.ValidateName: 1-90 of word characters, '-', '.', '(', ')', not ending in '.'.
RESOURCE_GROUP_NAME = re.compile(r"[-\w.()]{0,89}[-\w()]")
#: loganalytics validate.LogAnalyticsWorkspaceName: "^[A-Za-z0-9][A-Za-z0-9-]+[A-Za-z0-9]$", 4-63.
LOG_ANALYTICS_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{2,61}[A-Za-z0-9]")
#: containerapps validate.ManagedEnvironmentName: "^([a-zA-Z])[a-zA-Z0-9-]{0,58}[a-z]?$", not ending '-'.
ENVIRONMENT_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9-]{0,58}[a-z]?")
#: validate.ContainerAppName: "^([a-z]\z)|(^([a-z0-9])([a-z0-9-.]{0,30})([^A-Z\W]))$", no '--'.
CONTAINER_APP_NAME = re.compile(r"[a-z]|[a-z0-9][a-z0-9-.]{0,30}[a-z0-9_]")
#: validate.ContainerAppJobName: one [a-z0-9], or "^([a-z0-9])[a-z0-9-]*[a-z0-9]$", <= 32, no '--'.
CONTAINER_APP_JOB_NAME = re.compile(r"[a-z0-9]|[a-z0-9][a-z0-9-]{0,30}[a-z0-9]")
#: managedidentity validate.UserAssignedIdentityName: "^[a-zA-Z0-9][a-zA-Z0-9_-]{2,127}$".
IDENTITY_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_-]{2,127}")
#: storage validate.StorageAccountName: 3-24 lowercase letters and digits.
STORAGE_ACCOUNT_NAME = re.compile(r"[a-z0-9]{3,24}")
#: Container Apps service: an app or job name starts with a letter (the provider's regexes let a digit
#: start it; the API refuses it), is 2-32 characters and has no '.', '_' or '--'.
SERVICE_APP_NAME = re.compile(r"[a-z][a-z0-9-]{0,30}[a-z0-9]")

#: log_analytics_workspace ``sku`` (StringInSlice of workspaces.WorkspaceSkuNameEnum values kept).
LOG_ANALYTICS_SKUS = frozenset(
    {
        "Free",
        "PerGB2018",
        "PerNode",
        "Premium",
        "Standalone",
        "Standard",
        "Unlimited",
        "CapacityReservation",
        "LACluster",
    }
)
#: role_assignment ``principal_type`` (StringInSlice).
PRINCIPAL_TYPES = frozenset({"User", "Group", "ServicePrincipal"})

# --- workload profiles (helpers/container_app_environment.go, WorkloadProfileSku) ----------------------
#: The serverless profile every workload-profiles environment has; its name is fixed by the provider
#: (``ExpandWorkloadProfiles`` sends no counts for a profile named Consumption).
CONSUMPTION = "Consumption"
#: ``workload_profile_type`` (StringInSlice(PossibleValuesForWorkloadProfileSku())) -> (vCPU, GiB) of one
#: node (Azure docs "Workload profiles in Azure Container Apps": per-node sizes; Consumption: per replica).
WORKLOAD_PROFILE_SIZES: dict[str, tuple[int, int]] = {
    "Consumption": (4, 8),
    "Consumption-GPU-NC24-A100": (24, 220),
    "Consumption-GPU-NC8as-T4": (8, 56),
    "D4": (4, 16),
    "D8": (8, 32),
    "D16": (16, 64),
    "D32": (32, 128),
    "E4": (4, 32),
    "E8": (8, 64),
    "E16": (16, 128),
    "E32": (32, 256),
    "NC24-A100": (24, 220),
    "NC48-A100": (48, 440),
    "NC96-A100": (96, 880),
}
#: A dedicated profile's name as the service takes it (the provider only wants it non-empty): letters,
#: digits and '-', starting with a letter, ending alphanumeric, at most 15 characters (the conservative
#: subset the platform emits); unique in the environment regardless of case.
PROFILE_NAME = re.compile(r"[A-Za-z](?:[A-Za-z0-9-]{0,13}[A-Za-z0-9])?")
#: Consumption profile sizes: cpu 0.25-4 in 0.25 steps, memory 2 GiB per vCPU.
CONSUMPTION_CPUS = tuple(step / 4 for step in range(1, 17))

#: Every azurerm resource and data source type the Azure constructs emit, each with its rules below.
AZURERM_RESOURCE_TYPES = frozenset(
    {
        "azurerm_resource_group",
        "azurerm_log_analytics_workspace",
        "azurerm_container_app_environment",
        "azurerm_container_app_environment_storage",
        "azurerm_user_assigned_identity",
        "azurerm_role_assignment",
        "azurerm_container_app",
        "azurerm_container_app_job",
        "azurerm_management_lock",
    }
)
AZURERM_DATA_TYPES = frozenset(
    {
        "azurerm_resource_group",
        "azurerm_container_app_environment",
        "azurerm_user_assigned_identity",
        "azurerm_storage_account",
    }
)


def _gib(memory: str) -> float:
    match = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)Gi", memory)
    assert match, memory
    return float(match[1])


def _cron(expression: str) -> None:
    """schedule_trigger_config.cron_expression: non-empty (provider); the service takes 5 unix cron fields."""
    fields = expression.split(" ")
    assert len(fields) == 5 and all(re.fullmatch(r"[0-9A-Za-z*,/-]+", f) for f in fields), expression


def _check_environment(env: dict[str, Any]) -> dict[str, str]:
    """An environment's rules; returns its profiles' types by name."""
    assert ENVIRONMENT_NAME.fullmatch(env["name"]) and not env["name"].endswith("-"), env["name"]
    assert env["location"] and env["resource_group_name"]
    if "internal_load_balancer_enabled" in env or "zone_redundancy_enabled" in env:
        assert env.get("infrastructure_subnet_id")  # RequiredWith
    if "infrastructure_resource_group_name" in env:
        assert env.get("workload_profile")  # RequiredWith
        assert RESOURCE_GROUP_NAME.fullmatch(env["infrastructure_resource_group_name"])
    destination = env.get("logs_destination")
    assert destination in (None, "log-analytics", "azure-monitor")
    assert (destination == "log-analytics") == ("log_analytics_workspace_id" in env)  # CustomizeDiff
    profiles: dict[str, str] = {}
    for profile in env.get("workload_profile", []):
        name, kind = profile["name"], profile["workload_profile_type"]
        assert name and kind in WORKLOAD_PROFILE_SIZES, profile
        assert name.casefold() not in {p.casefold() for p in profiles}, name  # a set keyed by name
        if name == CONSUMPTION or kind == CONSUMPTION:
            assert name == kind == CONSUMPTION and "minimum_count" not in profile, profile
        else:
            assert PROFILE_NAME.fullmatch(name), name
            low, high = profile.get("minimum_count"), profile.get("maximum_count")
            # ExpandWorkloadProfiles sends both counts (0 when unset); the service wants 0 <= min <= max, max >= 1
            assert isinstance(low, int) and isinstance(high, int) and 0 <= low <= high and high >= 1, profile
        profiles[name] = kind
    assert not profiles or CONSUMPTION in profiles  # the construct always lists the serverless profile
    return profiles


def _check_sizes(body: dict[str, Any], kind: str | None) -> None:
    """cpu FloatAtLeast(0.1), memory non-empty (provider); the service's sizes on the profile's ``kind``."""
    for container in body["template"]["container"]:
        cpu, memory = container["cpu"], _gib(container["memory"])
        assert cpu >= 0.1 and container["image"]
        if kind in (None, CONSUMPTION):  # None: a shared environment's profile, sizes as on Consumption
            assert cpu in CONSUMPTION_CPUS and memory == cpu * 2, (cpu, memory)
        else:
            vcpu, gib = WORKLOAD_PROFILE_SIZES[kind]
            assert cpu <= vcpu and memory <= gib, (kind, cpu, memory)


def _check_profile_name(body: dict[str, Any], profiles: dict[str, str] | None) -> str | None:
    """workload_profile_name: StringIsNotEmpty; a profile of the environment when the stack creates it."""
    name = body.get("workload_profile_name")
    if name is None:
        return None
    assert name
    if profiles is None:  # a shared environment: its profiles are not in this stack
        assert name == CONSUMPTION or PROFILE_NAME.fullmatch(name), name
        return None
    assert name in profiles, (name, sorted(profiles))
    return profiles[name]


def _check_common(body: dict[str, Any]) -> None:
    """What an app and a job share: secrets (CustomizeDiff: key_vault_secret_id with identity), registry."""
    for secret in body.get("secret", []):
        assert _SECRET_NAME.match(secret["name"]) and not secret["name"].endswith("-")
        assert ("key_vault_secret_id" in secret) == ("identity" in secret), secret
        assert ("value" in secret) != ("key_vault_secret_id" in secret), secret
    for registry in body.get("registry", []):
        assert registry["server"]
        assert ("identity" in registry) != ("username" in registry), registry
        assert ("username" in registry) == ("password_secret_name" in registry), registry
        if "password_secret_name" in registry:
            assert registry["password_secret_name"] in {s["name"] for s in body.get("secret", [])}
    identity = body.get("identity")
    if identity is not None:
        assert identity["type"] in ("SystemAssigned", "UserAssigned", "SystemAssigned, UserAssigned")
        assert ("UserAssigned" in identity["type"]) == bool(identity.get("identity_ids"))


def _check_apps(doc: dict[str, Any], profiles: dict[str, str] | None) -> None:
    for app in _bodies(doc, "azurerm_container_app"):
        name = app["name"]
        assert CONTAINER_APP_NAME.fullmatch(name) and "--" not in name and SERVICE_APP_NAME.fullmatch(name), (
            name
        )
        assert app["revision_mode"] in ("Single", "Multiple") and app["container_app_environment_id"]
        assert 0 <= app.get("max_inactive_revisions", 0) <= 100
        _check_sizes(app, _check_profile_name(app, profiles))
        _check_common(app)
        ingress = app.get("ingress")
        if ingress is not None:
            assert 1 <= ingress["target_port"] <= 65535
            assert ingress.get("transport", "auto") in ("auto", "http", "http2", "tcp")
            weights = ingress["traffic_weight"]
            assert weights and sum(w["percentage"] for w in weights) == 100
            assert all(w.get("latest_revision") or w.get("revision_suffix") for w in weights)  # CustomizeDiff
            rules = ingress.get("ip_security_restriction", [])
            assert len({rule["action"] for rule in rules}) <= 1  # the service refuses Allow and Deny mixed
            assert all(rule["action"] in ("Allow", "Deny") and rule["name"] for rule in rules)
    for job in _bodies(doc, "azurerm_container_app_job"):
        name = job["name"]
        assert (
            CONTAINER_APP_JOB_NAME.fullmatch(name) and "--" not in name and SERVICE_APP_NAME.fullmatch(name)
        ), name
        assert job["location"] and job["container_app_environment_id"]
        assert job["replica_timeout_in_seconds"] >= 1 and job.get("replica_retry_limit", 0) >= 0
        _check_sizes(job, _check_profile_name(job, profiles))
        _check_common(job)
        for key in ("event_trigger_config", "manual_trigger_config", "schedule_trigger_config"):
            config = job.get(key)
            if config is not None:
                assert config.get("parallelism", 1) >= 1 and config.get("replica_completion_count", 1) >= 1
                assert config.get("replica_completion_count", 1) <= config.get("parallelism", 1)
        if "schedule_trigger_config" in job:
            _cron(job["schedule_trigger_config"]["cron_expression"])


def _check_probes(doc: dict[str, Any]) -> None:
    """Probe transports (TCP, HTTP, HTTPS), ports (1-65535) and ranges, no path on a TCP probe."""
    for app in _bodies(doc, "azurerm_container_app") + _bodies(doc, "azurerm_container_app_job"):
        for container in app["template"]["container"]:
            for kind, ranges in AZURERM_PROBE_RANGES.items():
                for probe in container.get(f"{kind}_probe", []):
                    assert probe["transport"] in ("TCP", "HTTP", "HTTPS")
                    assert 1 <= probe["port"] <= 65535
                    assert probe["transport"] != "TCP" or "path" not in probe
                    allowed = {"transport", "port", "path", *(attribute for _, _, attribute in ranges)}
                    assert set(probe) <= allowed, (kind, set(probe) - allowed)
                    for low, high, attribute in ranges:
                        assert low <= probe.get(attribute, low) <= high, (kind, attribute)


def _check_simple_types(doc: dict[str, Any]) -> None:
    """Resource group, workspace, identity, role assignments, locks, and the data source lookups."""
    for group in _bodies(doc, "azurerm_resource_group") + _data(doc, "azurerm_resource_group"):
        assert RESOURCE_GROUP_NAME.fullmatch(group["name"]), group["name"]
    for workspace in _bodies(doc, "azurerm_log_analytics_workspace"):
        assert LOG_ANALYTICS_NAME.fullmatch(workspace["name"]), workspace["name"]
        assert workspace.get("sku", "PerGB2018") in LOG_ANALYTICS_SKUS
        assert 30 <= workspace.get("retention_in_days", 30) <= 730
    for identity in _bodies(doc, "azurerm_user_assigned_identity") + _data(
        doc, "azurerm_user_assigned_identity"
    ):
        assert IDENTITY_NAME.fullmatch(identity["name"]) and identity["resource_group_name"], identity["name"]
    for env in _data(doc, "azurerm_container_app_environment"):
        assert ENVIRONMENT_NAME.fullmatch(env["name"]) and RESOURCE_GROUP_NAME.fullmatch(
            env["resource_group_name"]
        )
    for account in _data(doc, "azurerm_storage_account"):
        assert STORAGE_ACCOUNT_NAME.fullmatch(account["name"]) and account["resource_group_name"]
    for grant in _bodies(doc, "azurerm_role_assignment"):  # condition and condition_version: RequiredWith
        assert ("condition" in grant) == ("condition_version" in grant)
        assert grant.get("condition_version", "2.0") in ("1.0", "2.0")
        assert grant["scope"] and ("role_definition_name" in grant) != ("role_definition_id" in grant)
        assert grant["principal_id"] and grant.get("principal_type", "User") in PRINCIPAL_TYPES
        if _literal(grant["scope"]):
            assert grant["scope"].startswith("/subscriptions/") and grant["scope"] != "/", grant["scope"]
    for lock in _bodies(doc, "azurerm_management_lock"):
        assert lock["lock_level"] in ("CanNotDelete", "ReadOnly") and lock["scope"]
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,259}", lock["name"])
        assert len(lock.get("notes", "")) <= 512


def assert_azurerm_plan_time_rules(doc: dict[str, Any]) -> None:
    """Every azurerm resource and data source of a synthesized stack against the azurerm 4.55.0
    plan-time rules: the stack emits only types listed here; names, enums, ranges, RequiredWith /
    ExactlyOneOf pairs, the CustomizeDiff checks; workload profiles (types, counts, every app or job on a
    profile of its environment, its cpu/memory fitting that profile); probes, scale rules, volumes."""
    azurerm = {kind for kind in doc.get("resource", {}) if kind.startswith("azurerm_")}
    assert azurerm <= AZURERM_RESOURCE_TYPES, f"add the plan-time rules of {azurerm - AZURERM_RESOURCE_TYPES}"
    data = {kind for kind in doc.get("data", {}) if kind.startswith("azurerm_")}
    assert data <= AZURERM_DATA_TYPES, f"add the plan-time rules of data {data - AZURERM_DATA_TYPES}"
    environments = _bodies(doc, "azurerm_container_app_environment")
    assert len(environments) + len(_data(doc, "azurerm_container_app_environment")) <= 1
    profiles = _check_environment(environments[0]) if environments else None
    _check_apps(doc, profiles)
    _check_probes(doc)
    _check_simple_types(doc)
    assert_azurerm_scale_rules(doc)
    assert_azurerm_volume_rules(doc)
