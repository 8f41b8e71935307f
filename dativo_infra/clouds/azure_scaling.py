"""Azure Container Apps KEDA scale rules, stated once (azurerm 4.55.0): the rule kinds and their fields,
names, the KEDA scalers and their metadata, queue ids and names, the roles a queue rule grants, the
execution bounds of an event-triggered job, and the app secret names of Key Vault references.

The scaling model (:mod:`dativo_infra.config.runtimes.azure_scaling`) validates with these and the
construct (:mod:`dativo_infra.constructs.azure_container_apps_scaling`) builds with them. Pure Python.
"""

from __future__ import annotations

import re

from dativo_infra.clouds import azure, has_wildcard
from dativo_infra.naming import short_hash

# --- KEDA scale rules (azurerm 4.55.0, internal/services/containerapps/helpers/container_apps.go and
# container_app_job.go: ``template.{http,azure_queue,custom}_scale_rule`` of a Container App,
# ``event_trigger_config.scale.rules`` of a Container App Job) ------------------------------------
#: Container App replica bounds (``min_replicas``: ``IntBetween(0, 300)``, ``max_replicas``: ``IntBetween(1, 300)``).
MIN_REPLICAS = (0, 300)
MAX_REPLICAS = (1, 300)
#: The rule kinds of ``scaling.rules[].type``, and the fields each takes (required, optional).
SCALE_RULE_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "http": (("concurrent_requests",), ()),
    "service_bus_queue": (("namespace_id", "queue", "connection_secret"), ("queue_length",)),
    "storage_queue": (("account_id", "queue", "connection_secret"), ("queue_length",)),
    "custom": (("custom_type", "metadata"), ("authentication",)),
}
#: Every field a rule kind may take (for "not with this type" errors).
SCALE_RULE_OPTIONS = (
    "concurrent_requests",
    "namespace_id",
    "account_id",
    "queue",
    "queue_length",
    "connection_secret",
    "custom_type",
    "metadata",
    "authentication",
)
#: Messages (Service Bus) or queue length (Storage) per replica or execution when ``queue_length`` is unset
#: (KEDA's default for both scalers).
DEFAULT_QUEUE_LENGTH = 5
#: The KEDA scaler of each queue kind, and the trigger parameter its connection string fills.
QUEUE_SCALERS: dict[str, str] = {"service_bus_queue": "azure-servicebus", "storage_queue": "azure-queue"}
QUEUE_TRIGGER_PARAMETER = "connection"
#: The role the job identity gets on the queue of a queue rule (to receive and delete its messages;
#: the scaler itself authenticates with the connection string: azurerm 4.55.0 has no ``identity`` on
#: a scale rule).
QUEUE_ROLES: dict[str, str] = {
    "service_bus_queue": "Azure Service Bus Data Receiver",
    "storage_queue": "Storage Queue Data Message Processor",
}
#: ``custom_rule_type`` values azurerm 4.55.0 accepts (``validation.StringInSlice``).
CUSTOM_RULE_TYPES = frozenset(
    [
        "activemq",
        "artemis-queue",
        "kafka",
        "pulsar",
        "aws-cloudwatch",
        "aws-dynamodb",
        "aws-dynamodb-streams",
        "aws-kinesis-stream",
        "aws-sqs-queue",
        "azure-app-insights",
        "azure-blob",
        "azure-data-explorer",
        "azure-eventhub",
        "azure-log-analytics",
        "azure-monitor",
        "azure-pipelines",
        "azure-servicebus",
        "azure-queue",
        "cassandra",
        "cpu",
        "cron",
        "datadog",
        "elasticsearch",
        "external",
        "external-push",
        "gcp-stackdriver",
        "gcp-storage",
        "gcp-pubsub",
        "graphite",
        "http",
        "huawei-cloudeye",
        "ibmmq",
        "influxdb",
        "kubernetes-workload",
        "liiklus",
        "memory",
        "metrics-api",
        "mongodb",
        "mssql",
        "mysql",
        "nats-jetstream",
        "stan",
        "tcp",
        "new-relic",
        "openstack-metric",
        "openstack-swift",
        "postgresql",
        "predictkube",
        "prometheus",
        "rabbitmq",
        "redis",
        "redis-cluster",
        "redis-sentinel",
        "redis-streams",
        "redis-cluster-streams",
        "redis-sentinel-streams",
        "selenium-grid",
        "solace-event-queue",
        "github-runner",
    ]
)
#: Custom rule types an event-triggered job may not use (they scale on CPU/memory of running replicas,
#: which a job execution does not have).
JOB_REFUSED_RULE_TYPES = frozenset({"cpu", "memory"})
#: Scale rule names: ``validate.LowerCaseAlphaNumericWithHyphensAndPeriods`` (custom rules; the same rule
#: for every kind here, so a rule keeps its name between a service and a job), at most 63 characters (ours).
SCALE_RULE_NAME_RE = re.compile(r"[a-z0-9](?:[a-z0-9.-]{0,61}[a-z0-9])?")
SCALE_RULE_NAME_EXPECTED = (
    "1-63 lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"
)
#: Event-triggered job scale settings: ``min_executions`` ``IntAtLeast(0)`` (default 0), ``max_executions``
#: ``IntAtLeast(1)`` (100), ``polling_interval_in_seconds`` ``IntAtLeast(1)`` (30).
EVENT_SCALE_MINIMUMS = {"min_executions": 0, "max_executions": 1, "polling_interval_seconds": 1}
#: Service Bus namespace resource id: 6-50 letters, digits and hyphens, starting with a letter, ending
#: with a letter or digit.
SERVICE_BUS_NAMESPACE_ID_RE = re.compile(
    azure._ARM + r"Microsoft\.ServiceBus/namespaces/(?P<name>[a-z][a-z0-9-]{4,48}[a-z0-9])", re.I
)
SERVICE_BUS_NAMESPACE_FORM = azure.ARM_FORM + "Microsoft.ServiceBus/namespaces/<namespace>"
#: Storage account resource id (a queue rule's ``account_id``).
STORAGE_ACCOUNT_ID_RE = re.compile(
    azure._ARM + r"Microsoft\.Storage/storageAccounts/(?P<name>[a-z0-9]{3,24})", re.I
)
STORAGE_ACCOUNT_FORM = azure.ARM_FORM + "Microsoft.Storage/storageAccounts/<account>"
#: Queue names: Service Bus 1-260 letters, digits, '.', '-', '_', '/', starting and ending with a letter
#: or digit; Storage 3-63 lowercase letters, digits and single hyphens, starting and ending alphanumeric.
QUEUE_NAME_RES: dict[str, tuple[re.Pattern[str], str]] = {
    "service_bus_queue": (
        re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._/-]{0,258}[A-Za-z0-9])?"),
        "1-260 letters, digits, '.', '-', '_' and '/', starting and ending with a letter or digit",
    ),
    "storage_queue": (
        re.compile(r"[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}"),
        "3-63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit",
    ),
}
#: A custom rule's metadata keys (KEDA trigger metadata: camelCase identifiers).
METADATA_KEY_RE = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,62}")


def queue_parent(kind: str, resource_id: str) -> re.Match[str] | None:
    """The parts of the namespace (Service Bus) or account (Storage) id of a queue rule, or None."""
    if has_wildcard(resource_id) or "%{" in resource_id:
        return None
    pattern = SERVICE_BUS_NAMESPACE_ID_RE if kind == "service_bus_queue" else STORAGE_ACCOUNT_ID_RE
    return pattern.fullmatch(resource_id)


def queue_scope(kind: str, parent_id: str, queue: str) -> str:
    """The resource id of a queue, the scope of its role assignment."""
    if kind == "service_bus_queue":
        return f"{parent_id}/queues/{queue}"
    return f"{parent_id}/queueServices/default/queues/{queue}"


def queue_metadata(kind: str, parent_name: str, queue: str, length: int) -> dict[str, str]:
    """KEDA metadata of a queue rule sent as a custom rule (``azure-servicebus`` / ``azure-queue``)."""
    if kind == "service_bus_queue":
        return {"namespace": parent_name, "queueName": queue, "messageCount": str(length)}
    return {"accountName": parent_name, "queueName": queue, "queueLength": str(length)}


def reference_secret_names(variables: dict[str, str], urls: list[str]) -> dict[str, str]:
    """Container App secret name per Key Vault secret URL that no variable of ``variables`` (variable ->
    URL, named by :func:`secret_names`) already brings in: ``kv-<hash of the URL>`` (one secret per URL)."""
    taken = set(azure.secret_names(list(variables)).values())
    by_variable = {
        url: name for var, name in azure.secret_names(list(variables)).items() if (url := variables[var])
    }
    names: dict[str, str] = {}
    for url in sorted(set(urls)):
        if url in by_variable:
            names[url] = by_variable[url]
            continue
        name = azure.CONTAINER_APP_SECRET.make("kv", short_hash(url))
        names[url] = (
            name if name not in taken else azure.CONTAINER_APP_SECRET.make("kv", short_hash(url), "x")
        )
    return names
