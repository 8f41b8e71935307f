"""Whatever ``validate`` accepts, synth builds.

Hypothesis draws valid jobs of every runtime and mode from the models' rules (tests/jobgen.py: names up
to their allowed lengths, unicode and ``${``/``%{`` in every free-text field, every cron shape each
cloud's grammar accepts). Each batch is written as job files, loaded by the real loader (which must
accept every one) and synthesized in one app. Every stack must build, export exactly the outputs the
contract exports for its configuration (no "none" stand-in), and carry job text literally: the only unescaped interpolations in the JSON are the stack's
own references, and the container environment and the tags read back (as Terraform reads ``$${``) as
exactly what the job said.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dativo_infra.config.loaded import LoadedJob
from dativo_infra.config.loader import load_jobs
from dativo_infra.contract import PROVIDER_OF_RUNTIME, Provider, exported_outputs
from dativo_infra.tags import merged_tags, render_tags
from tests.clouds.rules import assert_azurerm_plan_time_rules, assert_google_plan_time_rules
from tests.jobgen import jobs, strings, synth_batches
from tests.terraform_text import jsonencoded, unescaped, unliteral

#: Jobs per app, and apps in the whole suite's run: 300 jobs in all.
BATCH, BATCHES = 10, 30
#: An interpolation the stack writes itself: a reference to one of its own resources or data sources
#: (``${aws_iam_role.runtime_task_role_1A2B3C4D.arn}``, ``${data.aws_vpc.runtime_default_vpc_....id}``),
#: or the Azure environment lookup's postcondition.
OWN_REFERENCE = re.compile(
    r'\$\{(?:data\.)?[a-z0-9_]+\.[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_]+|\[[0-9]+\])*\}|\$\{self\.location == "[a-z0-9]+"\}'
)


#: Where the one container sits in each kind of runtime resource (blocks are objects, lists at the end).
CONTAINERS = {
    "azurerm_container_app": ("template", "container"),
    "azurerm_container_app_job": ("template", "container"),
    "google_cloud_run_v2_service": ("template", "containers"),
    "google_cloud_run_v2_job": ("template", "template", "containers"),
}


def container_env(doc: dict[str, Any]) -> dict[str, str]:
    """The plain environment variables of the stack's one container, as written in the JSON."""
    resources = doc["resource"]
    if "aws_ecs_task_definition" in resources:
        (task,) = resources["aws_ecs_task_definition"].values()
        (container,) = json.loads(task["container_definitions"])
        return {e["name"]: e["value"] for e in container["environment"]}
    (kind,) = set(CONTAINERS) & set(resources)
    (body,) = resources[kind].values()
    for key in CONTAINERS[kind]:
        body = body[key]
    (container,) = body
    return {e["name"]: e["value"] for e in container.get("env", []) if "value" in e}


def check(job: LoadedJob, doc: dict[str, Any]) -> None:
    runtime = job.config.runtime
    assert set(doc["output"]) == set(exported_outputs(runtime)), job.file
    assert "none" not in [output["value"] for output in doc["output"].values()], job.file
    if PROVIDER_OF_RUNTIME[runtime.TYPE] is Provider.AZURE:
        assert_azurerm_plan_time_rules(doc)
    if PROVIDER_OF_RUNTIME[runtime.TYPE] is Provider.GCP:
        assert_google_plan_time_rules(doc)
    # A state machine's definition is one jsonencode() expression the stack writes: inside it, too,
    # only the stack's own references may be evaluated (job text never reaches it).
    definitions = {b["definition"] for b in doc["resource"].get("aws_sfn_state_machine", {}).values()}
    for text in strings({k: v for k, v in doc.items() if k != "//"}):
        inner = strings(jsonencoded(text)) if text in definitions else [text]
        for part in inner:
            for sequence in unescaped(part):
                assert OWN_REFERENCE.fullmatch(sequence), (job.file, sequence, text)
    env = {name: unliteral(value) for name, value in container_env(doc).items()}
    assert {name: env[name] for name in runtime.env} == runtime.env, job.file
    expected = render_tags(merged_tags(job), PROVIDER_OF_RUNTIME[runtime.TYPE])
    for resources in doc["resource"].values():
        for body in resources.values():
            for attribute in ("tags", "labels"):
                if attribute in body:
                    assert {unliteral(k): unliteral(v) for k, v in body[attribute].items()} == expected


@pytest.mark.parametrize(
    "batches", [pytest.param(4, id="40-jobs"), pytest.param(BATCHES, marks=pytest.mark.slow, id="300-jobs")]
)
def test_whatever_validate_accepts_synth_builds(
    tmp_path_factory: pytest.TempPathFactory, batches: int
) -> None:
    """``batches`` apps of :data:`BATCH` drawn jobs each (the fast subset runs 40 jobs, the whole suite 300)."""
    from dativo_infra.synth import synth

    @synth_batches(batches)
    @given(data=st.data())
    def batch(data: st.DataObject) -> None:
        directory = tmp_path_factory.mktemp("drawn")
        for index in range(BATCH):
            job = data.draw(jobs(index), label=f"job {index}")
            (directory / f"job{index}.yaml").write_text(json.dumps(job, ensure_ascii=False), encoding="utf-8")
        loaded = load_jobs([str(directory)])  # validate accepts every drawn job ...
        stacks = synth(loaded, Path(directory) / "cdktf.out")  # ... and synth builds every one
        for job in loaded:
            check(job, stacks[job.stack_name])

    batch()
