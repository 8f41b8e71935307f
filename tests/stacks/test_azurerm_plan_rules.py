"""The azurerm provider's plan-time rules (hashicorp/azurerm 4.55.0, bound by cdktf-cdktf-provider-azurerm
14.23.1; the table is tests/clouds/azurerm_rules.py) are not vacuous: each change to a valid example
stack that the provider (or the service behind it) refuses breaks one. The rules over every example and
drawn jobs: tests/stacks/test_plan_rules.py."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.clouds.azurerm_rules import (
    assert_azurerm_plan_time_rules,
)


def _first(doc: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(iter(doc["resource"][kind].values()))


#: One change per rule family that azurerm 4.55.0 (or the service behind it) refuses, on the examples.
MUTATIONS = {
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
    "memory not paired with cpu": lambda d: _first(d, "azurerm_container_app")["template"]["container"][
        0
    ].update(memory="3Gi"),
    "revision mode": lambda d: _first(d, "azurerm_container_app").update(revision_mode="Blue"),
    "retention out of range": lambda d: _first(d, "azurerm_log_analytics_workspace").update(
        retention_in_days=7
    ),
    "principal type": lambda d: _first(d, "azurerm_role_assignment").update(principal_type="Robot"),
    "a type without rules": lambda d: d["resource"].update(azurerm_key_vault={"x": {"name": "kv"}}),
}
JOB_MUTATIONS = {
    "six-field cron": lambda d: _first(d, "azurerm_container_app_job")["schedule_trigger_config"].update(
        cron_expression="0 0 * * * *"
    ),
    "zero replica timeout": lambda d: _first(d, "azurerm_container_app_job").update(
        replica_timeout_in_seconds=0
    ),
    "storage name": lambda d: _first(d, "azurerm_container_app_environment_storage").update(name="Exports"),
}


@pytest.mark.parametrize("change", sorted(MUTATIONS) + sorted(JOB_MUTATIONS))
def test_the_rules_refuse_what_the_provider_refuses(example_synth: dict[str, Any], change: str) -> None:
    """The table is not vacuous: each change to a valid example stack breaks a rule."""
    stack = "globex-hubspot-contacts-to-adls" if change in JOB_MUTATIONS else "globex-orders-queue-worker"
    doc = copy.deepcopy(example_synth[stack])
    assert_azurerm_plan_time_rules(doc)
    (JOB_MUTATIONS | MUTATIONS)[change](doc)
    with pytest.raises(AssertionError):
        assert_azurerm_plan_time_rules(doc)
