"""KEDA scale rules of the ``azure_container_apps`` runtime (``scaling.rules``): one rule model for a
Container App (service mode: replicas) and an event-triggered Container App Job (``trigger: event``:
executions), checked against the azurerm 4.55.0 rules in :mod:`dativo_infra.clouds.azure` (which the
construct builds with too).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from dativo_infra.clouds import WILDCARD_PROBLEM, has_wildcard
from dativo_infra.clouds import azure_scaling as keda
from dativo_infra.config.fields import NonEmpty, Problem, Strict, only_in, tail
from dativo_infra.config.runtimes.base import Scaling

_SECRET_URL = "a Key Vault secret URL https://<vault>.vault.azure.net/secrets/<name>[/<version>]"


class AzureScaleRule(Strict):
    """One KEDA scale rule: scale on HTTP concurrency, a Service Bus or Storage queue, or a custom KEDA
    scaler. Each type takes its own fields (an other type's field is an error)."""

    name: NonEmpty = Field(description=f"Rule name, unique in scaling.rules: {keda.SCALE_RULE_NAME_EXPECTED}")
    type: Literal["http", "service_bus_queue", "storage_queue", "custom"] = Field(
        description="http (service mode: concurrent requests per replica; an http_scale_rule), "
        "service_bus_queue (azure-servicebus scaler), storage_queue (azure-queue scaler; an "
        "azure_queue_scale_rule in service mode) or custom (any KEDA scaler azurerm accepts)"
    )
    concurrent_requests: int | None = Field(
        None, description="http: concurrent requests per replica that add a replica, at least 1"
    )
    namespace_id: str | None = Field(
        None, description=f"service_bus_queue: the namespace resource id, {keda.SERVICE_BUS_NAMESPACE_FORM}"
    )
    account_id: str | None = Field(
        None, description=f"storage_queue: the storage account resource id, {keda.STORAGE_ACCOUNT_FORM}"
    )
    queue: str | None = Field(
        None,
        description="service_bus_queue / storage_queue: the queue name. The job identity gets Azure Service Bus "
        "Data Receiver / Storage Queue Data Message Processor on that queue (not with existing_identity_id)",
    )
    queue_length: int | None = Field(
        None,
        description=f"service_bus_queue / storage_queue: messages per replica or execution, at least 1. Unset: "
        f"{keda.DEFAULT_QUEUE_LENGTH}",
    )
    connection_secret: str | None = Field(
        None,
        description=f"service_bus_queue / storage_queue: {_SECRET_URL} holding the connection string the scaler "
        "reads (azurerm 4.55.0 has no managed identity on scale rules); read with the job identity, its vault "
        "must be in permissions.secrets",
    )
    custom_type: str | None = Field(None, description="custom: the KEDA scaler, e.g. azure-eventhub")
    metadata: dict[NonEmpty, str] = Field(
        default_factory=dict, description="custom: the scaler's metadata (string values). Required for custom"
    )
    authentication: dict[NonEmpty, NonEmpty] = Field(
        default_factory=dict,
        description=f"custom: trigger parameter -> {_SECRET_URL} (its vault must be in permissions.secrets). "
        "Unset: none",
    )

    def secret_urls(self) -> dict[tuple[str, ...], str]:
        """The Key Vault secret URLs this rule reads, by their path under the rule."""
        found: dict[tuple[str, ...], str] = {}
        if self.connection_secret is not None:
            found[("connection_secret",)] = self.connection_secret
        found |= {("authentication", param): url for param, url in self.authentication.items()}
        return found

    def problems(self, where: tuple[str | int, ...], mode: str) -> list[Problem]:
        found: list[Problem] = []
        if not keda.SCALE_RULE_NAME_RE.fullmatch(self.name):
            found.append(
                Problem((*where, "name"), "not a scale rule name", self.name, keda.SCALE_RULE_NAME_EXPECTED)
            )
        required, optional = keda.SCALE_RULE_FIELDS[self.type]
        for option in keda.SCALE_RULE_OPTIONS:
            value = getattr(self, option)
            if option in required and value in (None, {}):
                found.append(Problem((*where, option), f"required for a {self.type} rule", value, option))
            elif option not in required + optional and value not in (None, {}):
                found.append(
                    Problem(
                        (*where, option),
                        f"does not apply to a {self.type} rule",
                        value,
                        f"no {option} (rule types taking it: "
                        + ", ".join(k for k, (r, o) in keda.SCALE_RULE_FIELDS.items() if option in r + o)
                        + ")",
                    )
                )
        for option in ("concurrent_requests", "queue_length"):
            value = getattr(self, option)
            if value is not None and value < 1:
                found.append(Problem((*where, option), "must be at least 1", value, "1 or more"))
        if self.type == "http" and mode == "job":
            found.append(
                Problem(
                    (*where, "type"),
                    "an event-triggered job scales on event sources, not HTTP",
                    self.type,
                    "service_bus_queue, storage_queue or custom",
                )
            )
        if self.type in keda.QUEUE_SCALERS:
            found += self._queue_problems(where)
        if self.type == "custom":
            found += self._custom_problems(where, mode)
        return found

    def _queue_problems(self, where: tuple[str | int, ...]) -> list[Problem]:
        found: list[Problem] = []
        key = "namespace_id" if self.type == "service_bus_queue" else "account_id"
        parent = getattr(self, key)
        if parent is not None and keda.queue_parent(self.type, parent) is None:
            form = keda.SERVICE_BUS_NAMESPACE_FORM if key == "namespace_id" else keda.STORAGE_ACCOUNT_FORM
            problem = (
                WILDCARD_PROBLEM if has_wildcard(parent) else "not a resource id of this form" + tail(parent)
            )
            found.append(Problem((*where, key), problem, parent, form))
        pattern, expected = keda.QUEUE_NAME_RES[self.type]
        if self.queue is not None and not pattern.fullmatch(self.queue):
            problem = WILDCARD_PROBLEM if has_wildcard(self.queue) else "not a queue name"
            found.append(Problem((*where, "queue"), problem, self.queue, expected))
        return found

    def _custom_problems(self, where: tuple[str | int, ...], mode: str) -> list[Problem]:
        found: list[Problem] = []
        kind = self.custom_type
        if kind is not None and kind not in keda.CUSTOM_RULE_TYPES:
            found.append(
                Problem(
                    (*where, "custom_type"),
                    "not a KEDA scaler azurerm 4.55.0 accepts",
                    kind,
                    "one of dativo_infra.clouds.keda.CUSTOM_RULE_TYPES, e.g. azure-eventhub, kafka, prometheus",
                )
            )
        elif kind in keda.JOB_REFUSED_RULE_TYPES and mode == "job":
            found.append(
                Problem(
                    (*where, "custom_type"),
                    "a job has no running replicas to measure",
                    kind,
                    "an event source",
                )
            )
        found += [
            Problem(
                (*where, "metadata", key),
                "not a scaler metadata key",
                key,
                "a letter, then letters, digits, _ . -",
            )
            for key in self.metadata
            if not keda.METADATA_KEY_RE.fullmatch(key)
        ]
        return found


class AzureScaling(Scaling):
    """Replica bounds and scale rules (service mode), task parallelism and, for an event-triggered job,
    its scale rules and execution bounds. Unset: 1 replica / 1 task, no rules."""

    rules: list[AzureScaleRule] = Field(
        default_factory=list,
        description="KEDA scale rules: service mode (replicas between min_replicas and max_replicas), or job "
        "mode with trigger event (at least one; executions per polling interval). Unset: none (a service "
        "keeps min_replicas; Container Apps adds its default HTTP rule when ingress is enabled)",
    )
    min_executions: int | None = Field(
        None,
        description="Job mode, trigger event: fewest executions per polling interval, at least 0. Unset: 0",
        json_schema_extra=only_in("job"),
    )
    max_executions: int | None = Field(
        None,
        description="Job mode, trigger event: most executions per polling interval, at least 1. Unset: 100",
        json_schema_extra=only_in("job"),
    )
    polling_interval_seconds: int | None = Field(
        None,
        description="Job mode, trigger event: seconds between checks of the event sources, at least 1. Unset: 30",
        json_schema_extra=only_in("job"),
    )

    def secret_urls(self) -> dict[tuple[str | int, ...], str]:
        """Every Key Vault secret URL the rules read, by its path under ``scaling``."""
        return {
            ("rules", index, *path): url
            for index, rule in enumerate(self.rules)
            for path, url in rule.secret_urls().items()
        }

    def problems(self, where: tuple[str | int, ...], mode: str, event: bool) -> list[Problem]:
        """The rules' and bounds' problems in ``mode`` (``event``: the job is event-triggered)."""
        found: list[Problem] = []
        for name, (low, high) in (("min_replicas", keda.MIN_REPLICAS), ("max_replicas", keda.MAX_REPLICAS)):
            value = getattr(self, name)
            if mode == "service" and not low <= value <= high:
                found.append(
                    Problem(
                        (*where, name), "outside the Container Apps replica range", value, f"{low} to {high}"
                    )
                )
        if mode == "job" and not event:
            given = [
                name
                for name in ("rules", "min_executions", "max_executions", "polling_interval_seconds")
                if name in self.model_fields_set
            ]
            found += [
                Problem(
                    (*where, name),
                    "applies to an event-triggered job only",
                    [rule.name for rule in self.rules] if name == "rules" else getattr(self, name),
                    "trigger: event, or no " + name,
                )
                for name in given
            ]
        for name, low in keda.EVENT_SCALE_MINIMUMS.items():
            value = getattr(self, name)
            if value is not None and value < low:
                found.append(Problem((*where, name), f"must be at least {low}", value, f"{low} or more"))
        if (
            self.min_executions is not None
            and self.max_executions is not None
            and self.min_executions > self.max_executions
        ):
            found.append(
                Problem(
                    (*where, "min_executions"),
                    "larger than max_executions",
                    self.min_executions,
                    f"at most {self.max_executions}",
                )
            )
        seen: set[str] = set()
        for index, rule in enumerate(self.rules):
            found += rule.problems((*where, "rules", index), mode)
            if rule.name in seen:
                found.append(
                    Problem(
                        (*where, "rules", index, "name"), "listed twice", rule.name, "each rule name once"
                    )
                )
            seen.add(rule.name)
        return found
