"""Nothing from a job file is evaluated by Terraform: property tests on the synthesized JSON.

Random tag keys/values and env values (with ``${``, ``%{``, ``$${`` and friends mixed in) go through the
real JobStack and cdktf synth; in the JSON every such string must hold no unescaped sequence, and
Terraform's reading of it (``$${`` -> ``${``) must give back exactly what the job said. A slow test
then has Terraform itself read injected values from a synthesized AWS stack (plan against moto).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dativo_infra.config.loader import LoadedJob, load_job
from dativo_infra.contract import Provider
from dativo_infra.literal import contains_unescaped, unliteral
from dativo_infra.settings import LocalCloud, load_settings
from dativo_infra.tags import merged_tags, render_tags

TRICKY = st.sampled_from(["${", "%{", "$${", "%%{", "${x}", "%{ if a }b%{ endif }", "$$${y}", "}", "$", "%"])
TEXT = st.lists(
    st.one_of(
        TRICKY, st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=8)
    ),
    max_size=6,
).map("".join)
# Azure tag names may not contain <>%&\?/ ; everything else is allowed (values: anything, <= 256).
TAG_KEY = (
    st.lists(
        st.one_of(
            st.sampled_from(["${", "$${", "x${y}"]),
            st.text(alphabet="abcXYZ_-.:= {}$", min_size=1, max_size=6),
        ),
        min_size=1,
        max_size=4,
    )
    .map("".join)
    .filter(lambda k: k.strip() and len(k) <= 64)
)
ENV_NAME = st.from_regex(r"[A-Z_][A-Z0-9_]{0,12}", fullmatch=True)


def with_changes(job: LoadedJob, tags: dict[str, str], env: dict[str, str]) -> LoadedJob:
    infra = job.config.infrastructure
    runtime = infra.runtime.model_copy(update={"env": env})
    infra = infra.model_copy(update={"tags": {**infra.tags, **tags}, "runtime": runtime})
    config = job.config.model_copy(update={"infrastructure": infra})
    return LoadedJob(job.path, job.file, config, job.document, job.legacy)


def strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (k, *strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


@pytest.fixture(scope="module")
def azure_job() -> LoadedJob:
    return load_job(Path("jobs/globex/hubspot_contacts_to_adls.yaml"))


@settings(
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    tags=st.dictionaries(TAG_KEY, TEXT.filter(lambda v: len(v) <= 200), max_size=3),
    env=st.dictionaries(ENV_NAME, TEXT, max_size=3),
)
def test_job_text_reaches_terraform_literally(
    azure_job: LoadedJob, tags: dict[str, str], env: dict[str, str]
) -> None:
    from cdktf import Testing

    from dativo_infra.stacks.job_stack import JobStack

    job = with_changes(azure_job, tags, env)
    expected_tags = render_tags(merged_tags(job, load_settings()), Provider.AZURE)
    stack = json.loads(Testing.synth(JobStack(Testing.app(), job, load_settings())))
    # Our own references (${azurerm_...}) are the only unescaped sequences; none carries job text.
    for text in strings(stack.get("resource", {})):
        if contains_unescaped(text):
            assert (
                text.startswith("${azurerm_")
                or text.startswith("https://${azurerm_")
                or text.startswith("${data.azurerm_")
            ), text
    for resources in stack["resource"].values():
        for body in resources.values():
            if "tags" in body:
                read = {unliteral(k): unliteral(v) for k, v in body["tags"].items()}
                assert read == expected_tags
    job_resource = next(iter(stack["resource"]["azurerm_container_app_job"].values()))
    container = job_resource["template"]["container"][0]
    read_env = {e["name"]: unliteral(e["value"]) for e in container.get("env", []) if "value" in e}
    assert {k: read_env[k] for k in env} == env


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
