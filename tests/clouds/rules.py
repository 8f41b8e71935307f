"""What the cloud and construct tests share: hypothesis strategies of what the job model accepts, and
the clouds' naming rules written independently of the code under test."""

from __future__ import annotations

import functools
import re
from typing import Any

from hypothesis import strategies as st

from dativo_infra.config.fields import ENV_VAR_PATTERN, NAME_PATTERN, SLUG_PATTERN

#: Valid job names (``infrastructure.tags.job_name``: 1-128 characters), long ones drawn on purpose.
job_names = st.one_of(
    st.from_regex(NAME_PATTERN, fullmatch=True).filter(lambda s: len(s) <= 128),
    st.builds(
        lambda head, tail: (head + tail)[:128],
        st.from_regex(r"[A-Za-z0-9]", fullmatch=True),
        st.text(alphabet="abcXYZ019_.-", min_size=60, max_size=140),
    ),
)
#: Valid tenant ids (1-63 characters).
tenants = st.from_regex(SLUG_PATTERN, fullmatch=True).filter(lambda s: len(s) <= 63)
#: Valid environment variable names.
env_names = st.from_regex(ENV_VAR_PATTERN, fullmatch=True).filter(lambda s: len(s) <= 255)


# ---------------------------------------------------------------------------------------------
# Azure naming rules, written independently of dativo_infra.clouds.azure
# ---------------------------------------------------------------------------------------------
RG_RE = re.compile(r"^[-\w.()]{0,89}[-\w()]$")  # resource group: not ending in '.'
LOG_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{2,61}[A-Za-z0-9]$")  # Log Analytics workspace
CAE_RE = re.compile(r"^[a-z][a-z0-9-]{0,58}[a-z0-9]$")  # Container Apps environment
CAE_PROVIDER_RE = re.compile(r"^([a-zA-Z])[a-zA-Z0-9-]{0,57}[a-zA-Z0-9]?$")  # azurerm 4.x validator (<= 59)
APP_RE = re.compile(r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$")  # Container App / Container App Job
IDENTITY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$")  # user-assigned identity
SECRET_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")  # Container App secret


def assert_valid_names(
    *, rg: str, log: str, cae: str, app: str, job: str, identity: str, infra_rg: str = "me"
) -> None:
    assert len(rg) <= 90 and RG_RE.match(rg), rg
    assert len(infra_rg) <= 90 and RG_RE.match(infra_rg), infra_rg
    assert 4 <= len(log) <= 63 and LOG_RE.match(log), log
    assert 2 <= len(cae) <= 60 and CAE_RE.match(cae) and CAE_PROVIDER_RE.match(cae), cae
    for name in (app, job):
        assert 2 <= len(name) <= 32 and APP_RE.match(name) and "--" not in name, name
    assert 3 <= len(identity) <= 128 and IDENTITY_RE.match(identity), identity


# ---------------------------------------------------------------------------------------------
# Cron: 5-field expressions built from the input grammar (unix cron, plus AWS's Quartz forms)
# ---------------------------------------------------------------------------------------------
MONTH_NAMES = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
DAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
UNIX_DAYS = [*DAY_NAMES, "SUN"]  # 0-7, 0 and 7 Sunday


@functools.cache
def _ints(low: int, high: int) -> st.SearchStrategy[int]:
    return st.integers(low, high)  # built once: hypothesis validates each new strategy


def _render(draw: st.DrawFn, value: int, names: list[str], low: int) -> str:
    """A value as a number (sometimes zero-padded) or, where it has one, a name in upper or lower case."""
    style = draw(_ints(0, 3))
    if style >= 2 and 0 <= value - low < len(names):
        return names[value - low] if style == 2 else names[value - low].lower()
    return f"0{value}" if style == 1 and value < 10 else str(value)


def _item(
    draw: st.DrawFn, low: int, high: int, names: list[str], step_max: int, valid: bool, unix: bool
) -> str:
    lo, hi = (low, high) if valid else (max(low - 1, 0), high + 2)
    step = f"/{draw(_ints(1, step_max if valid else step_max + 3))}" if draw(_ints(0, 1)) else ""
    kind = draw(_ints(0, 3))
    kind = 3 if unix and kind == 2 else kind  # a step on a single start is AWS's, not unix cron
    if kind == 0:
        return "*" + step
    first, last = draw(_ints(lo, hi)), draw(_ints(lo, hi))
    if valid:
        first, last = min(first, last), max(first, last)
    head = _render(draw, first, names, low)
    if kind == 1:
        return head
    if kind == 2:
        return head + (step or "/1")
    return f"{head}-{_render(draw, last, names, low)}{step}"


def _field(
    draw: st.DrawFn, low: int, high: int, names: list[str], step_max: int, valid: bool, unix: bool
) -> str:
    """A unix field (plus AWS's start/step): '*', values, forward ranges, lists, steps. Not ``valid``:
    values and steps may leave the field's range and ranges may go backwards."""
    count = draw(_ints(1, 3))
    return ",".join(_item(draw, low, high, names, step_max, valid, unix) for _ in range(count))


def _day_of_month(draw: st.DrawFn, valid: bool, unix: bool) -> str:
    form = draw(_ints(0, 9))
    if form < 6 or unix:
        return _field(draw, 1, 31, [], 31, valid, unix)
    if form < 8:
        return ["?", "L", "LW", "l", "lw"][draw(_ints(0, 4))]
    return f"{draw(_ints(1, 31) if valid else _ints(0, 33))}{'Ww'[draw(_ints(0, 1))]}"


def _day_of_week(draw: st.DrawFn, valid: bool, unix: bool) -> str:
    form = draw(_ints(0, 9))
    if form < 6 or unix:
        return _field(draw, 0, 7, UNIX_DAYS, 7, valid, unix)
    if form == 6:
        return "?"
    day = _render(draw, draw(_ints(0, 7) if valid else _ints(0, 9)), UNIX_DAYS, 0)
    return f"{day}L" if form == 7 else f"{day}#{draw(_ints(1, 5) if valid else _ints(0, 7))}"


@st.composite
def expressions(draw: st.DrawFn, valid: bool, unix: bool = False) -> str:
    """A 5-field expression from the AWS input grammar. ``valid``: AWS must take it (one day field
    '*' or '?', values in range, ranges forward, steps within the field). ``unix``: no Quartz forms,
    no step on a single start (day-of-week may still be 7, and unix ranges ending on 'SUN' go back)."""
    minute = _field(draw, 0, 59, [], 59, valid, unix)
    hour = _field(draw, 0, 23, [], 23, valid, unix)
    day, weekday = _day_of_month(draw, valid, unix), _day_of_week(draw, valid, unix)
    month = _field(draw, 1, 12, MONTH_NAMES, 12, valid, unix)
    if valid or draw(_ints(0, 1)):
        any_day = "*" if unix else "*?"[draw(_ints(0, 1))]
        day, weekday = (day, any_day) if draw(_ints(0, 1)) else (any_day, weekday)
    return " ".join([minute, hour, day, month, weekday])


# ---------------------------------------------------------------------------------------------
# azurerm 4.55.0 plan-time rules the typed bindings do not carry (cdktf-cdktf-provider-azurerm
# 14.23.1), read from the provider source, written independently of dativo_infra.clouds.azure
# ---------------------------------------------------------------------------------------------

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


def assert_azurerm_plan_time_rules(doc: dict[str, Any]) -> None:
    """RequiredWith infrastructure_subnet_id on the environment's internal_load_balancer_enabled and
    zone_redundancy_enabled (an explicit false counts as set); one ip_security_restriction action per
    ingress, each rule named; probe transports (TCP, HTTP, HTTPS), ports (1-65535) and ranges, no path
    on a TCP probe; management lock level, name (alphanumerics, '-', '_', under 260) and notes (512)."""
    for environment in _bodies(doc, "azurerm_container_app_environment"):
        if "internal_load_balancer_enabled" in environment or "zone_redundancy_enabled" in environment:
            assert environment.get("infrastructure_subnet_id")
    for app in _bodies(doc, "azurerm_container_app"):
        rules = app.get("ingress", {}).get("ip_security_restriction", [])
        assert len({rule["action"] for rule in rules}) <= 1
        assert all(rule["action"] in ("Allow", "Deny") and rule["name"] for rule in rules)
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
    assert_azurerm_scale_rules(doc)
    assert_azurerm_volume_rules(doc)
    for grant in _bodies(doc, "azurerm_role_assignment"):  # condition and condition_version: RequiredWith
        assert ("condition" in grant) == ("condition_version" in grant)
        assert grant.get("condition_version", "2.0") in ("1.0", "2.0")
        assert grant["scope"] and ("role_definition_name" in grant) != ("role_definition_id" in grant)
    for lock in _bodies(doc, "azurerm_management_lock"):
        assert lock["lock_level"] in ("CanNotDelete", "ReadOnly")
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,259}", lock["name"])
        assert len(lock.get("notes", "")) <= 512
