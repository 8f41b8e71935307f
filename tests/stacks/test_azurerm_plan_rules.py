"""The azurerm provider's plan-time rules (hashicorp/azurerm 4.55.0, bound by cdktf-cdktf-provider-azurerm
14.23.1; the table is tests/clouds/azurerm_rules.py) over every synthesized Azure example stack and over
hypothesis-drawn Azure jobs. No provider binary exists here, so this is what stands in for
``terraform plan`` on these stacks; the construct tests run the same function over their own stacks."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dativo_infra.config.loader import load_jobs
from dativo_infra.contract import RuntimeType
from tests.clouds.azurerm_rules import (
    AZURERM_DATA_TYPES,
    AZURERM_RESOURCE_TYPES,
    assert_azurerm_plan_time_rules,
)
from tests.jobgen import jobs, synth_batches

#: Azure jobs per drawn app, and apps: few synths (each costs seconds), many options per job.
BATCH, BATCHES = 6, 2


def _azure_examples(example_jobs: list[Any]) -> list[str]:
    return sorted(
        job.stack_name for job in example_jobs if job.config.runtime.TYPE is RuntimeType.AZURE_CONTAINER_APPS
    )


def test_every_azure_example_follows_the_plan_time_rules(
    example_jobs: list, example_synth: dict[str, Any]
) -> None:
    names = _azure_examples(example_jobs)
    assert len(names) >= 3
    for name in names:
        assert_azurerm_plan_time_rules(example_synth[name])


def test_the_azure_examples_cover_every_azurerm_type_the_rules_know(
    example_jobs: list, example_synth: dict[str, Any]
) -> None:
    """Each rule is exercised on a real example: the examples together emit every azurerm resource and
    data source type in the table (and the rules refuse any type not in it)."""
    emitted: set[str] = set()
    data: set[str] = set()
    for name in _azure_examples(example_jobs):
        emitted |= set(example_synth[name].get("resource", {}))
        data |= set(example_synth[name].get("data", {}))
    assert emitted == AZURERM_RESOURCE_TYPES
    assert data == AZURERM_DATA_TYPES


def test_drawn_azure_jobs_follow_the_plan_time_rules(tmp_path_factory: pytest.TempPathFactory) -> None:
    """:data:`BATCHES` apps of :data:`BATCH` drawn Azure jobs (network forms, probes, KEDA rules, volumes, roles, workload profiles, ...)."""
    from dativo_infra.synth import synth

    @synth_batches(BATCHES)
    @given(data=st.data())
    def batch(data: st.DataObject) -> None:
        directory = tmp_path_factory.mktemp("drawn_azure")
        for index in range(BATCH):
            job = data.draw(jobs(index, (RuntimeType.AZURE_CONTAINER_APPS,)), label=f"job {index}")
            (directory / f"job{index}.yaml").write_text(json.dumps(job, ensure_ascii=False), encoding="utf-8")
        loaded = load_jobs([str(directory)])
        stacks = synth(loaded, Path(directory) / "cdktf.out")
        for job in loaded:
            assert_azurerm_plan_time_rules(stacks[job.stack_name])

    batch()


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
