"""The google provider's plan-time rules (hashicorp/google 6.50.0, bound by cdktf-cdktf-provider-google
16.12.1; the table is tests/clouds/rules.py) over every synthesized GCP example stack and over
hypothesis-drawn GCP jobs. No provider binary exists here, so this is what stands in for
``terraform plan`` on these stacks; the construct tests run the same function over their own stacks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dativo_infra.config.loader import load_jobs
from dativo_infra.contract import RuntimeType
from tests.clouds.rules import GOOGLE_DATA_TYPES, GOOGLE_RESOURCE_TYPES, assert_google_plan_time_rules
from tests.jobgen import jobs, synth_batches

#: GCP jobs per drawn app, and apps: few synths (each costs seconds), many options per job.
BATCH, BATCHES = 6, 2


def _gcp_examples(example_jobs: list[Any]) -> list[str]:
    return sorted(
        job.stack_name for job in example_jobs if job.config.runtime.TYPE is RuntimeType.GCP_CLOUD_RUN
    )


def test_every_gcp_example_follows_the_plan_time_rules(
    example_jobs: list, example_synth: dict[str, Any]
) -> None:
    names = _gcp_examples(example_jobs)
    assert len(names) >= 3
    for name in names:
        assert_google_plan_time_rules(example_synth[name])


def test_the_gcp_examples_cover_every_google_type_the_rules_know(
    example_jobs: list, example_synth: dict[str, Any]
) -> None:
    """Each rule is exercised on a real example: the examples together emit every google resource and
    data source type in the table (and the rules refuse any type not in it)."""
    emitted: set[str] = set()
    data: set[str] = set()
    for name in _gcp_examples(example_jobs):
        emitted |= set(example_synth[name].get("resource", {}))
        data |= set(example_synth[name].get("data", {}))
    assert emitted == GOOGLE_RESOURCE_TYPES
    assert data == GOOGLE_DATA_TYPES


def test_drawn_gcp_jobs_follow_the_plan_time_rules(tmp_path_factory: pytest.TempPathFactory) -> None:
    """:data:`BATCHES` apps of :data:`BATCH` drawn GCP jobs (network forms, probes, volumes, CMEK, ...)."""
    from dativo_infra.synth import synth

    @synth_batches(BATCHES)
    @given(data=st.data())
    def batch(data: st.DataObject) -> None:
        directory = tmp_path_factory.mktemp("drawn_gcp")
        for index in range(BATCH):
            job = data.draw(jobs(index, (RuntimeType.GCP_CLOUD_RUN,)), label=f"job {index}")
            (directory / f"job{index}.yaml").write_text(json.dumps(job, ensure_ascii=False), encoding="utf-8")
        loaded = load_jobs([str(directory)])
        stacks = synth(loaded, Path(directory) / "cdktf.out")
        for job in loaded:
            assert_google_plan_time_rules(stacks[job.stack_name])

    batch()
