"""Nothing from a job file is evaluated by Terraform.

The escape is a pure function of the loaded job: the stack hands its constructs the runtime model and
the tags through :func:`~dativo_infra.literal.deep_literal`. A property test checks that function on
every valid job the generator draws (tests/jobgen.py: ``${``, ``%{`` and unicode in every free-text
field): no string of the escaped model holds a sequence Terraform would evaluate, and Terraform's
reading of each (``$${`` -> ``${``) is exactly what the job said. Synthesized stacks are checked the
same way by tests/stacks/test_validate_builds.py; a slow test here has Terraform itself read injected
values from a synthesized AWS stack (plan against moto).
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

from dativo_infra.config.loaded import LoadedJob
from dativo_infra.config.loader import load_job
from dativo_infra.config.schema import JobConfig
from dativo_infra.config.settings import LocalCloud, load_settings
from dativo_infra.contract import PROVIDER_OF_RUNTIME
from dativo_infra.literal import deep_literal
from dativo_infra.tags import render_with_problems
from tests.jobgen import jobs, strings
from tests.terraform_text import contains_unescaped, unliteral


@settings(max_examples=200, deadline=None)
@given(job=jobs(0))
def test_what_the_stack_hands_its_constructs_is_literal(job: dict[str, Any]) -> None:
    config = JobConfig.model_validate(job)
    runtime = config.runtime
    escaped = deep_literal(runtime)
    assert type(escaped) is type(runtime)
    for written, text in zip(strings(escaped.model_dump()), strings(runtime.model_dump()), strict=True):
        assert not contains_unescaped(written), written
        assert unliteral(written) == text
    tags, problems = render_with_problems(config.infrastructure.tags, PROVIDER_OF_RUNTIME[runtime.TYPE])
    assert not problems
    for written, text in zip(strings(deep_literal(tags)), strings(tags), strict=True):
        assert not contains_unescaped(written) and unliteral(written) == text


def with_changes(job: LoadedJob, tags: dict[str, str], env: dict[str, str]) -> LoadedJob:
    infra = job.config.infrastructure
    runtime = infra.runtime.model_copy(update={"env": env})
    infra = infra.model_copy(update={"tags": {**infra.tags, **tags}, "runtime": runtime})
    return dataclasses.replace(job, config=job.config.model_copy(update={"infrastructure": infra}))


@pytest.mark.slow
def test_terraform_reads_injected_values_back_literally(tmp_path: Path) -> None:
    """Terraform itself (plan against a local moto cloud) sees the job's text, not an evaluation of it."""
    from dativo_infra.localcloud.server import MotoServer
    from dativo_infra.synth import synth
    from dativo_infra.tfcli import terraform_env

    injected = {"TEMPLATE": "dativo_${table}", "DIRECTIVE": "%{ if x }y%{ endif }", "DOUBLE": "$${kept}"}
    job = load_job(Path("jobs/acme/orders_cdc_stream.yaml"))
    job = with_changes(job, {"note": "costs: 1+1=2 @team"}, {**job.config.runtime.env, **injected})
    with MotoServer() as cloud:
        local = load_settings().model_copy(
            update={"deploy_target": "local", "local_cloud": LocalCloud(endpoint=cloud.endpoint)}
        )
        synth([job], tmp_path / "cdktf.out", local)
        stack_dir = tmp_path / "cdktf.out" / "stacks" / job.stack_name
        env = {**terraform_env(), **cloud.environ()}
        for cmd in (
            ["terraform", "init", "-input=false"],
            ["terraform", "plan", "-input=false", "-lock=false", "-out=plan.bin"],
        ):
            result = subprocess.run(cmd, cwd=stack_dir, env=env, capture_output=True, text=True, timeout=600)
            assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
        shown = subprocess.run(
            ["terraform", "show", "-json", "plan.bin"],
            cwd=stack_dir,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert shown.returncode == 0, shown.stderr
    plan = json.loads(shown.stdout)
    task = next(c for c in plan["resource_changes"] if c["type"] == "aws_ecs_task_definition")
    containers = json.loads(task["change"]["after"]["container_definitions"])
    read = {e["name"]: e["value"] for e in containers[0]["environment"]}
    for name, value in injected.items():
        assert read[name] == value
    cluster = next(c for c in plan["resource_changes"] if c["type"] == "aws_ecs_cluster")
    assert cluster["change"]["after"]["tags"]["note"] == "costs: 1+1=2 @team"
