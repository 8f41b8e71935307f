"""The providers' plan-time rules over every synthesized example stack of a cloud with no provider
binary here, and over hypothesis-drawn jobs of that cloud: what stands in for ``terraform plan`` on
these stacks (the construct tests run the same functions over their own stacks).

* hashicorp/google 6.50.0, bound by cdktf-cdktf-provider-google 16.12.1 (table: tests/clouds/rules.py);
* hashicorp/azurerm 4.55.0, bound by cdktf-cdktf-provider-azurerm 14.23.1 (table:
  tests/clouds/azurerm_rules.py).

Both tables refuse what their provider refuses: tests/stacks/test_plan_rule_mutations.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
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
from tests.clouds.rules import GOOGLE_DATA_TYPES, GOOGLE_RESOURCE_TYPES, assert_google_plan_time_rules
from tests.jobgen import jobs, synth_batches

#: Jobs per drawn app, and apps per cloud: few synths (each costs seconds), many options per job.
BATCH, BATCHES = 6, 2


@dataclass(frozen=True)
class Rules:
    """One provider's plan-time rules: the runtime they judge, the types they know, the check."""

    runtime: RuntimeType
    resource_types: frozenset[str]
    data_types: frozenset[str]
    check: Callable[[dict[str, Any]], None]


CLOUDS = {
    "google": Rules(
        RuntimeType.GCP_CLOUD_RUN, GOOGLE_RESOURCE_TYPES, GOOGLE_DATA_TYPES, assert_google_plan_time_rules
    ),
    "azurerm": Rules(
        RuntimeType.AZURE_CONTAINER_APPS,
        frozenset(AZURERM_RESOURCE_TYPES),
        frozenset(AZURERM_DATA_TYPES),
        assert_azurerm_plan_time_rules,
    ),
}


def _examples(example_jobs: list[Any], runtime: RuntimeType) -> list[str]:
    return sorted(job.stack_name for job in example_jobs if job.config.runtime.TYPE is runtime)


@pytest.mark.parametrize("provider", sorted(CLOUDS))
def test_every_example_follows_the_plan_time_rules(
    provider: str, example_jobs: list[Any], example_synth: dict[str, Any]
) -> None:
    names = _examples(example_jobs, CLOUDS[provider].runtime)
    assert len(names) >= 3
    for name in names:
        CLOUDS[provider].check(example_synth[name])


@pytest.mark.parametrize("provider", sorted(CLOUDS))
def test_the_examples_cover_every_type_the_rules_know(
    provider: str, example_jobs: list[Any], example_synth: dict[str, Any]
) -> None:
    """Each rule is exercised on a real example: the examples together emit every resource and data
    source type in the table (and the rules refuse any type not in it)."""
    rules = CLOUDS[provider]
    emitted: set[str] = set()
    data: set[str] = set()
    for name in _examples(example_jobs, rules.runtime):
        emitted |= set(example_synth[name].get("resource", {}))
        data |= set(example_synth[name].get("data", {}))
    assert emitted == rules.resource_types
    assert data == rules.data_types


@pytest.mark.parametrize("provider", sorted(CLOUDS))
def test_drawn_jobs_follow_the_plan_time_rules(
    provider: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """:data:`BATCHES` apps of :data:`BATCH` drawn jobs of the cloud (network forms, probes, scale
    rules, volumes, CMEK, roles, workload profiles, ...)."""
    from dativo_infra.synth import synth

    rules = CLOUDS[provider]

    @synth_batches(BATCHES)
    @given(data=st.data())
    def batch(data: st.DataObject) -> None:
        directory = tmp_path_factory.mktemp(f"drawn_{provider}")
        for index in range(BATCH):
            job = data.draw(jobs(index, (rules.runtime,)), label=f"job {index}")
            (directory / f"job{index}.yaml").write_text(json.dumps(job, ensure_ascii=False), encoding="utf-8")
        loaded = load_jobs([str(directory)])
        stacks = synth(loaded, Path(directory) / "cdktf.out")
        for job in loaded:
            rules.check(stacks[job.stack_name])

    batch()
