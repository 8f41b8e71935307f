"""What the cloud and construct tests share: hypothesis strategies of what the job model accepts, and
the clouds' naming rules written independently of the code under test (the azurerm plan-time rules:
:mod:`tests.clouds.azurerm_rules`)."""

from __future__ import annotations

import functools
import re
import zoneinfo
from typing import Any

from hypothesis import strategies as st

from dativo_infra.config.fields import ENV_VAR_PATTERN, NAME_PATTERN, SLUG_PATTERN
from tests.clouds.azurerm_rules import (  # re-exported: the azurerm rules live in their own module
    AZURERM_CUSTOM_RULE_TYPES,
    AZURERM_PROBE_RANGES,
    assert_azurerm_plan_time_rules,
    assert_azurerm_scale_rules,
    assert_azurerm_volume_rules,
)

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


#: Cloud Scheduler's unix-cron fields, (low, high, names): "Minute 0-59, Hour 0-23, Day of the month
#: 1-31, Month 1-12 (or JAN to DEC), Day of the week 0-6 (or SUN to SAT; or 7 for Sunday)"
#: (https://cloud.google.com/scheduler/docs/configuring/cron-job-schedules, "Cron job format").
_UNIX_CRON_FIELDS: tuple[tuple[int, int, list[str]], ...] = (
    (0, 59, []),
    (0, 23, []),
    (1, 31, []),
    (1, 12, MONTH_NAMES),
    (0, 7, DAY_NAMES),
)
_UNIX_CRON_ITEM_RE = re.compile(
    r"(?:\*|(?P<first>[0-9]{1,9}|[A-Za-z]{3})(?:-(?P<last>[0-9]{1,9}|[A-Za-z]{3}))?)"
)


def _unix_cron_value(token: str, low: int, names: list[str]) -> int | None:
    if token.upper() in names:
        return names.index(token.upper()) + low
    return int(token) if token.isdigit() else None


def _unix_cron_item(item: str, low: int, high: int, names: list[str]) -> bool:
    """One list item of the documented grammar: '*' ("first-last"), a value, an inclusive range, and
    "Following a range with /NUMBER" a step (so not after a single value); names in any case."""
    base, slash, step = item.partition("/")
    match = _UNIX_CRON_ITEM_RE.fullmatch(base)
    if match is None or (slash and not (re.fullmatch(r"[0-9]{1,9}", step) and int(step) >= 1)):
        return False
    if match["first"] is None:
        return True
    if slash and match["last"] is None:
        return False
    first = _unix_cron_value(match["first"], low, names)
    last = _unix_cron_value(match["last"] or match["first"], low, names)
    return first is not None and last is not None and low <= first <= last <= high


def is_unix_cron(expression: str) -> bool:
    """Whether Cloud Scheduler takes ``expression``: five fields of comma lists of items."""
    fields = expression.split()
    return len(fields) == len(_UNIX_CRON_FIELDS) and all(
        _unix_cron_item(item, low, high, names)
        for text, (low, high, names) in zip(fields, _UNIX_CRON_FIELDS, strict=True)
        for item in text.split(",")
    )


# ---------------------------------------------------------------------------------------------
# hashicorp/google 6.50.0 plan-time rules (the version cdktf-cdktf-provider-google 16.12.1 binds: its
# schema descriptions and validations, the magic-modules product definitions of Cloud Run v2 and
# Cloud Scheduler, the IAM member base schema), plus the API rules the provider defers to where a
# plan would pass and the apply fail; written independently of dativo_infra.clouds.gcp / gcp_run.
# ---------------------------------------------------------------------------------------------
def _bodies(doc: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return list(doc.get("resource", {}).get(kind, {}).values())


def _literal(value: Any) -> bool:
    """A value written as text (not a reference to another resource, which Terraform resolves)."""
    return isinstance(value, str) and "${" not in value.replace("$${", "")


_PROJECT_RE = r"(?:[a-z][a-z0-9-]{4,28}[a-z0-9]|[0-9]{1,20})"
_GCP_LOCATION_RE = r"[a-z]+-[a-z]+[0-9]+"
#: validateRFC1035Name(6, 30) of google_service_account.account_id.
SERVICE_ACCOUNT_ID_RE = re.compile(r"[a-z][-a-z0-9]{4,28}[a-z0-9]")
#: google_cloud_run_v2_service.template.timeout / job task timeout: "^[0-9]+(?:\.[0-9]{1,9})?s$".
DURATION_RE = re.compile(r"[0-9]+(?:\.[0-9]{1,9})?s")
CONNECTOR_RE = re.compile(
    rf"projects/{_PROJECT_RE}/locations/{_GCP_LOCATION_RE}/connectors/[a-z][-a-z0-9]{{0,23}}[a-z0-9]"
)
NETWORK_TAG_RE = re.compile(r"[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?")
KMS_KEY_RE = re.compile(
    rf"projects/{_PROJECT_RE}/locations/(?P<location>[a-z0-9-]+)/keyRings/[A-Za-z0-9_-]{{1,63}}"
    r"/cryptoKeys/[A-Za-z0-9_-]{1,63}"
)
#: Cloud Run service and job names, an API rule (the provider's ``name`` of google_cloud_run_v2_service
#: and _job has no ValidateFunc: resource_cloud_run_v2_service.go:67-73, resource_cloud_run_v2_job.go:67-73
#: at v6.50.0). serviceId: "must begin with letter, and cannot end with hyphen; must contain fewer than
#: 50 characters" (https://cloud.google.com/run/docs/reference/rest/v2/projects.locations.services/create);
#: the charset is RFC 1035's lowercase label ("The service must be 1-63 characters long, and comply with
#: RFC1035", compute v1 NetworkEndpointGroupCloudRun.service). jobId documents no format
#: (.../rest/v2/projects.locations.jobs/create): jobs are held to the service rule, this table's
#: assumption rather than a documented refusal.
CLOUD_RUN_NAME_RE = re.compile(r"[a-z](?:[-a-z0-9]{0,47}[a-z0-9])?")
#: Cloud Scheduler job fields the API checks at apply and the provider does not at plan (no
#: ValidateFunc on name, description, schedule, time_zone, attempt_deadline or retry_config:
#: google/services/cloudscheduler/resource_cloud_scheduler_job.go:146-151, 229-248, 389-456 at
#: v6.50.0); the bounds are the Job resource's (https://cloud.google.com/scheduler/docs/reference/rest/
#: v1/projects.locations.jobs): JOB_ID "can contain only letters ([A-Za-z]), numbers ([0-9]), hyphens
#: (-), or underscores (_). The maximum length is 500 characters"; description "must not contain more
#: than 500 characters"; attemptDeadline "For HTTP targets, between 15 seconds and 30 minutes", "A
#: duration in seconds with up to nine fractional digits, terminated by 's'"; retryCount "Values
#: greater than 5 and negative values are not allowed".
SCHEDULER_JOB_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,500}")
SCHEDULER_DESCRIPTION_MAX = 500
SCHEDULER_HTTP_ATTEMPT_DEADLINE = (15.0, 1800.0)
SCHEDULER_MAX_RETRY_COUNT = 5
#: retry_config's five attributes, each ``AtLeastOneOf`` all five: an empty block fails the plan
#: (resource_cloud_scheduler_job.go:389-443 at v6.50.0, the provider's own rule).
SCHEDULER_RETRY_ATTRIBUTES = frozenset(
    {"retry_count", "max_retry_duration", "min_backoff_duration", "max_backoff_duration", "max_doublings"}
)
#: (low, startup high, liveness high) of each numeric probe attribute (cloud_run_v2_service schema docs).
GOOGLE_PROBE_RANGES: dict[str, tuple[int, int | None, int | None]] = {
    "initial_delay_seconds": (0, 240, 3600),
    "period_seconds": (1, 240, 3600),
    "timeout_seconds": (1, 3600, 3600),
    "failure_threshold": (1, None, None),
}
#: The parent attributes (Required) of each IAM member resource (IamMemberBaseSchema + the resource's
#: parent attribute).
GOOGLE_IAM_PARENT: dict[str, tuple[str, ...]] = {
    "google_project_iam_member": ("project",),
    "google_bigquery_dataset_iam_member": ("dataset_id",),
    "google_pubsub_topic_iam_member": ("topic",),
    "google_storage_bucket_iam_member": ("bucket",),
    "google_secret_manager_secret_iam_member": ("secret_id",),
    "google_cloud_run_v2_service_iam_member": ("name", "location"),
    "google_cloud_run_v2_job_iam_member": ("name", "location"),
    "google_kms_crypto_key_iam_member": ("crypto_key_id",),
}
#: Every google resource and data source type the GCP constructs emit, each with its rules below.
GOOGLE_RESOURCE_TYPES = frozenset(
    {
        "google_service_account",
        "google_cloud_run_v2_service",
        "google_cloud_run_v2_job",
        "google_cloud_scheduler_job",
    }
    | set(GOOGLE_IAM_PARENT)
)
GOOGLE_DATA_TYPES = frozenset({"google_project"})


def _check_probe(kind: str, probe: dict[str, Any]) -> None:
    actions = [name for name in ("http_get", "tcp_socket", "grpc") if name in probe]
    assert len(actions) == 1, (kind, actions)  # the API's probe_type oneof
    assert kind == "startup" or actions != ["tcp_socket"], "Cloud Run has no TCP liveness probe"
    port = probe[actions[0]].get("port")
    assert port is None or 1 <= port <= 65535
    if "http_get" in probe:
        path = probe["http_get"].get("path", "/")
        assert path.startswith("/") and not re.search(r"[\s?#]", path), path
    for attribute, (low, startup_high, liveness_high) in GOOGLE_PROBE_RANGES.items():
        high = startup_high if kind == "startup" else liveness_high
        value = probe.get(attribute)
        assert value is None or (value >= low and (high is None or value <= high)), (kind, attribute, value)
    period, timeout = probe.get("period_seconds", 10), probe.get("timeout_seconds", 1)
    assert timeout <= period, (kind, timeout, period)  # "Must be smaller than periodSeconds"
    if kind == "startup":
        assert probe.get("failure_threshold", 3) * period <= 240


def _check_revision(template: dict[str, Any], location: str, service: bool) -> None:
    """The revision template rules a service and a job share (``service``: the service-only parts)."""
    if "timeout" in template:
        assert DURATION_RE.fullmatch(template["timeout"]), template["timeout"]
    assert template.get("execution_environment", "EXECUTION_ENVIRONMENT_GEN2") in (
        "EXECUTION_ENVIRONMENT_GEN1",
        "EXECUTION_ENVIRONMENT_GEN2",
    )
    if "encryption_key" in template and _literal(template["encryption_key"]):
        match = KMS_KEY_RE.fullmatch(template["encryption_key"])
        assert match and match["location"] == location, template["encryption_key"]
    vpc = template.get("vpc_access")
    if vpc is not None:
        assert vpc.get("egress", "PRIVATE_RANGES_ONLY") in ("ALL_TRAFFIC", "PRIVATE_RANGES_ONLY")
        interfaces = vpc.get("network_interfaces", [])
        assert ("connector" in vpc) != bool(interfaces), vpc  # a connector or direct VPC egress
        assert len(interfaces) <= 1  # "Currently only single network interface is supported"
        if "connector" in vpc and _literal(vpc["connector"]):
            assert CONNECTOR_RE.fullmatch(vpc["connector"]) and f"/locations/{location}/" in vpc["connector"]
        for interface in interfaces:
            assert interface.get("network") or interface.get("subnetwork")  # at least one of them
            tags = interface.get("tags", [])
            assert len(tags) <= 64 and len(set(tags)) == len(tags)
            assert all(NETWORK_TAG_RE.fullmatch(tag) for tag in tags), tags
    volumes = {volume["name"]: volume for volume in template.get("volumes", [])}
    assert len(volumes) == len(template.get("volumes", []))
    for volume in volumes.values():
        assert re.fullmatch(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?", volume["name"])
        secret = volume["secret"]
        assert secret["secret"]
        for item in secret.get("items", []):
            assert item["path"] and not item["path"].startswith("/") and ".." not in item["path"].split("/")
    (container,) = template["containers"]
    assert container["image"]
    ports = container.get("ports", [])
    ports = [ports] if isinstance(ports, dict) else ports  # a max-1 block is written as one object
    assert len(ports) <= 1
    for port in ports:
        assert 0 < port["container_port"] < 65536
    mounts = [mount["mount_path"] for mount in container.get("volume_mounts", [])]
    assert len(set(mounts)) == len(mounts)
    for mount in container.get("volume_mounts", []):
        assert mount["name"] in volumes  # "This must match the Name of a Volume"
        path = mount["mount_path"]
        assert path.startswith("/") and ":" not in path and path != "/"  # "Must not contain ':'"
        assert not any(path == p or path.startswith(p + "/") for p in ("/dev", "/proc", "/sys"))
    for env in container.get("env", []):
        assert env["name"] and (("value" in env) != ("value_source" in env)), env
    resources = container.get("resources", {})
    assert set(resources) <= {"limits", "cpu_idle", "startup_cpu_boost"}
    assert service or not {"cpu_idle", "startup_cpu_boost"} & set(resources)
    for kind in ("startup", "liveness"):
        probe = container.get(f"{kind}_probe")
        if probe is not None:
            assert service, "a job container has no probes"
            _check_probe(kind, probe)


def _check_iam_members(doc: dict[str, Any]) -> None:
    seen: set[tuple[Any, ...]] = set()
    for rtype, parent_names in GOOGLE_IAM_PARENT.items():
        for body in _bodies(doc, rtype):
            parent = tuple(body.get(name) for name in parent_names)
            assert all(parent), (rtype, parent)
            assert body["role"] and body["member"], rtype
            assert not body["member"].startswith("deleted:")
            condition = body.get("condition")
            if condition is not None:
                assert condition["title"] and condition["expression"], rtype
            where = (body.get("project"), body.get("location"), *parent)
            binding = (rtype, where, body["role"], body["member"], str(condition))
            assert binding not in seen, binding  # two members of one binding fight over it
            seen.add(binding)
    for body in _bodies(doc, "google_kms_crypto_key_iam_member"):
        if _literal(body["crypto_key_id"]):
            assert KMS_KEY_RE.fullmatch(body["crypto_key_id"]), body["crypto_key_id"]


def assert_google_plan_time_rules(doc: dict[str, Any]) -> None:
    """Every google resource of a synthesized stack against the provider's plan-time rules: the stack
    emits only types listed here, each resource's Required attributes, enums, formats and ranges, the
    ExactlyOneOf / ConflictsWith pairs, and the API rules the provider leaves to apply time."""
    google = {kind for kind in doc.get("resource", {}) if kind.startswith("google_")}
    assert google <= GOOGLE_RESOURCE_TYPES, f"add the plan-time rules of {google - GOOGLE_RESOURCE_TYPES}"
    assert set(doc.get("data", {})) <= GOOGLE_DATA_TYPES, set(doc.get("data", {}))
    for body in _bodies(doc, "google_service_account"):
        assert SERVICE_ACCOUNT_ID_RE.fullmatch(body["account_id"]), body["account_id"]
        assert len(body.get("display_name", "")) <= 100 and len(body.get("description", "")) <= 256
    for body in _bodies(doc, "google_cloud_run_v2_service"):
        assert CLOUD_RUN_NAME_RE.fullmatch(body["name"]), body["name"]
        assert body["location"] and body["template"]
        assert body.get("ingress", "INGRESS_TRAFFIC_ALL") in (
            "INGRESS_TRAFFIC_ALL",
            "INGRESS_TRAFFIC_INTERNAL_ONLY",
            "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER",
        )
        scaling = body["template"].get("scaling", {})
        assert scaling.get("min_instance_count", 0) <= scaling.get("max_instance_count", 100)
        _check_revision(body["template"], body["location"], service=True)
    for body in _bodies(doc, "google_cloud_run_v2_job"):
        assert CLOUD_RUN_NAME_RE.fullmatch(body["name"]) and body["location"], body["name"]
        outer = body["template"]
        assert outer.get("task_count", 1) >= 1 and 1 <= outer.get("parallelism", 1) <= outer.get(
            "task_count", 1
        )
        assert outer["template"].get("max_retries", 3) >= 0
        _check_revision(outer["template"], body["location"], service=False)
    for body in _bodies(doc, "google_cloud_scheduler_job"):
        _check_scheduler(body)
    for body in doc.get("data", {}).get("google_project", {}).values():
        assert re.fullmatch(_PROJECT_RE, body["project_id"])
    _check_iam_members(doc)


def _time_zones() -> frozenset[str]:
    zones = frozenset(zoneinfo.available_timezones())
    assert zones, "no tz database on this machine (install tzdata)"
    return zones


def _check_scheduler(body: dict[str, Any]) -> None:
    """One google_cloud_scheduler_job: the provider's plan-time rules and the Scheduler API's."""
    assert SCHEDULER_JOB_ID_RE.fullmatch(body["name"]), body["name"]
    assert len(body.get("description", "")) <= SCHEDULER_DESCRIPTION_MAX
    # The API: "Required, except when used with UpdateJob", in unix-cron format (is_unix_cron's sources).
    assert is_unix_cron(body["schedule"]), body["schedule"]
    # The API: "a time zone name from the tz database" ("For UTC use the string \"utc\""); the
    # provider's default is Etc/UTC (resource_cloud_scheduler_job.go:450-456 at v6.50.0).
    zone = body.get("time_zone", "Etc/UTC")
    assert zone in _time_zones() or zone == "utc", zone
    target = body["http_target"]
    # http_method: the API's HttpMethod enum (the provider has no ValidateFunc on it).
    assert target["uri"] and target.get("http_method", "POST") in (
        "POST",
        "GET",
        "HEAD",
        "PUT",
        "DELETE",
        "PATCH",
        "OPTIONS",
    )
    # The provider's CustomizeDiff validateAuthHeaders (resource_cloud_scheduler_job.go:41-56 at v6.50.0).
    assert "oauth_token" not in target or "oidc_token" not in target
    deadline = body.get("attempt_deadline", "180s")  # the provider's default
    low, high = SCHEDULER_HTTP_ATTEMPT_DEADLINE
    assert DURATION_RE.fullmatch(deadline) and low <= float(deadline[:-1]) <= high, deadline
    if "retry_config" in body:
        retry = body["retry_config"]
        assert set(retry) & SCHEDULER_RETRY_ATTRIBUTES, retry  # AtLeastOneOf
        assert 0 <= retry.get("retry_count", 0) <= SCHEDULER_MAX_RETRY_COUNT
        for name in ("min_backoff_duration", "max_backoff_duration", "max_retry_duration"):
            assert name not in retry or DURATION_RE.fullmatch(retry[name]), retry


__all__ = [
    "AZURERM_CUSTOM_RULE_TYPES",
    "AZURERM_PROBE_RANGES",
    "assert_azurerm_plan_time_rules",
    "assert_azurerm_scale_rules",
    "assert_azurerm_volume_rules",
]
