"""KEDA scale rules (``runtime.scaling.rules``) as azurerm 4.55.0 blocks, from one rule model:

* service mode (:func:`app_scale_rules`): ``http`` -> ``http_scale_rule``, ``storage_queue`` ->
  ``azure_queue_scale_rule``, ``service_bus_queue`` (KEDA ``azure-servicebus``) and ``custom`` ->
  ``custom_scale_rule``, all in the Container App's ``template``;
* job mode with ``trigger: event`` (:func:`event_trigger`): ``event_trigger_config`` with parallelism,
  replica completion count, execution bounds and every rule as a ``scale.rules`` custom rule (a Container
  App Job takes custom rules only: a Storage queue becomes KEDA ``azure-queue``).

A rule's secrets (a queue's connection string, a custom rule's authentication) are Key Vault references
of the app/job (``secret`` blocks read with the job identity), named by ``secret_names`` (URL -> app
secret name). Metadata and names come from :mod:`dativo_infra.clouds.azure`.
"""

from __future__ import annotations

from typing import Any

from dativo_infra.cdk import provider_azurerm
from dativo_infra.clouds import azure_scaling as keda
from dativo_infra.config.runtimes import AzureContainerAppsRuntime
from dativo_infra.config.runtimes.azure_scaling import AzureScaleRule


def _custom(
    rule: AzureScaleRule, secret_names: dict[str, str]
) -> tuple[str, dict[str, str], list[tuple[str, str]]]:
    """``(custom_rule_type, metadata, [(secret name, trigger parameter)])`` of a non-HTTP rule."""
    if rule.type == "custom":
        auth = [(secret_names[url], param) for param, url in sorted(rule.authentication.items())]
        return str(rule.custom_type), dict(sorted(rule.metadata.items())), auth
    parent = keda.queue_parent(rule.type, str(rule.namespace_id or rule.account_id))
    if parent is None or rule.queue is None or rule.connection_secret is None:
        raise ValueError(f"scale rule {rule.name!r} is not valid")  # the model guarantees all three
    length = rule.queue_length if rule.queue_length is not None else keda.DEFAULT_QUEUE_LENGTH
    metadata = keda.queue_metadata(rule.type, parent["name"], rule.queue, length)
    auth = [(secret_names[rule.connection_secret], keda.QUEUE_TRIGGER_PARAMETER)]
    return keda.QUEUE_SCALERS[rule.type], metadata, auth


def app_scale_rules(runtime: AzureContainerAppsRuntime, secret_names: dict[str, str]) -> dict[str, Any]:
    """The Container App template's scale rule arguments (``http_scale_rule=[...]`` ...), rule order kept."""
    blocks: dict[str, list[Any]] = {}
    for rule in runtime.scaling.rules:
        if rule.type == "http":
            blocks.setdefault("http_scale_rule", []).append(
                provider_azurerm.container_app.ContainerAppTemplateHttpScaleRule(
                    name=rule.name, concurrent_requests=str(rule.concurrent_requests)
                )
            )
            continue
        kind, metadata, auth = _custom(rule, secret_names)
        if rule.type == "storage_queue":
            blocks.setdefault("azure_queue_scale_rule", []).append(
                provider_azurerm.container_app.ContainerAppTemplateAzureQueueScaleRule(
                    name=rule.name,
                    queue_name=metadata["queueName"],
                    queue_length=int(metadata["queueLength"]),
                    authentication=[
                        provider_azurerm.container_app.ContainerAppTemplateAzureQueueScaleRuleAuthentication(
                            secret_name=s, trigger_parameter=p
                        )
                        for s, p in auth
                    ],
                )
            )
            continue
        blocks.setdefault("custom_scale_rule", []).append(
            provider_azurerm.container_app.ContainerAppTemplateCustomScaleRule(
                name=rule.name,
                custom_rule_type=kind,
                metadata=metadata,
                authentication=[
                    provider_azurerm.container_app.ContainerAppTemplateCustomScaleRuleAuthentication(
                        secret_name=s, trigger_parameter=p
                    )
                    for s, p in auth
                ]
                or None,
            )
        )
    return blocks


def event_trigger(
    runtime: AzureContainerAppsRuntime, secret_names: dict[str, str]
) -> provider_azurerm.container_app_job.ContainerAppJobEventTriggerConfig:
    """The ``event_trigger_config`` of an event-triggered job (``trigger: event``)."""
    scaling = runtime.scaling
    rules = []
    for rule in scaling.rules:
        kind, metadata, auth = _custom(rule, secret_names)
        rules.append(
            provider_azurerm.container_app_job.ContainerAppJobEventTriggerConfigScaleRules(
                name=rule.name,
                custom_rule_type=kind,
                metadata=metadata,
                authentication=[
                    provider_azurerm.container_app_job.ContainerAppJobEventTriggerConfigScaleRulesAuthentication(
                        secret_name=s, trigger_parameter=p
                    )
                    for s, p in auth
                ]
                or None,
            )
        )
    return provider_azurerm.container_app_job.ContainerAppJobEventTriggerConfig(
        parallelism=scaling.parallelism,
        replica_completion_count=scaling.parallelism,
        scale=[
            provider_azurerm.container_app_job.ContainerAppJobEventTriggerConfigScale(
                min_executions=scaling.min_executions,
                max_executions=scaling.max_executions,
                polling_interval_in_seconds=scaling.polling_interval_seconds,
                rules=rules,
            )
        ],
    )
