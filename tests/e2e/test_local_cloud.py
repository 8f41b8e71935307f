"""End to end against a real moto server with the real cdktf CLI and Terraform (marked slow; CI runs it).

Five AWS job stacks (the three examples plus two more, one per mode; the second service's load balancer
is internet-facing, the example's internal) are deployed concurrently, each
with its own state and outputs file (the example on the platform's shared cluster finds that cluster
in the emulator: the run creates it first, as a platform team would, and deletes it at the end); outputs are rendered into a copy of the jobs; every taggable
resource is read back through the AWS APIs; everything is destroyed. The stacks are synthesized in
batches by worker processes and merged (``DATIVO_SYNTH_BATCH=2``), so the deploys prove the cdktf CLI
accepts the merged output.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from dativo_infra.contract import exported_outputs
from dativo_infra.localcloud.run import LocalRun, StackRun
from dativo_infra.synth_parallel import plan_batches

pytestmark = pytest.mark.slow

LITERAL = "${not_evaluated} %{ if x }y%{ endif }"
PUBLIC_HEALTH_PATH = "/ready"


def make_jobs(root: Path) -> Path:
    jobs = root / "jobs"
    shutil.copytree("jobs/acme", jobs / "acme")
    shutil.copy("jobs/platform.yaml", jobs / "platform.yaml")
    for source, name in (
        ("stripe_customers_to_iceberg", "zendesk_tickets_to_iceberg"),
        ("orders_cdc_stream", "payments_cdc_stream"),
    ):
        text = (
            (jobs / "acme" / f"{source}.yaml").read_text().replace(f"job_name: {source}", f"job_name: {name}")
        )
        if name == "payments_cdc_stream":  # the other scheme: an internet-facing load balancer
            text = text.replace(
                "    load_balancer:\n      health_check_path: /health\n",
                f"    ingress: external\n    load_balancer:\n      allow_plain_http: true\n"
                f"      health_check_path: {PUBLIC_HEALTH_PATH}\n",
            )
            assert PUBLIC_HEALTH_PATH in text
        (jobs / "acme" / f"{name}.yaml").write_text(text)
    for path in (jobs / "acme").glob("*.yaml"):
        # `${...}` and `%{...}` from a job file must land in the cloud exactly as written
        text = path.read_text().replace(
            "      DATIVO_LOG_LEVEL: INFO\n",
            f"      DATIVO_LOG_LEVEL: INFO\n      LITERAL_CHECK: {LITERAL!r}\n",
        )
        assert LITERAL in text
        path.write_text(text)
    return jobs


@pytest.fixture(scope="module")
def local_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[LocalRun, list[StackRun], float]:
    root = tmp_path_factory.mktemp("e2e")
    runner = LocalRun(make_jobs(root), root / "work", parallel=4)
    start = time.monotonic()
    with pytest.MonkeyPatch.context() as env:
        # batched synth (5 stacks in 3 worker processes): `cdktf deploy <stack>` reads the merged cdktf.out
        env.setenv("DATIVO_SYNTH_BATCH", "2")
        runs = runner.execute()
    elapsed = time.monotonic() - start
    print(f"\nend-to-end: {len(runs)} stacks deployed, checked and destroyed in {elapsed:.0f} s")
    return runner, runs, elapsed


def test_the_synth_was_batched(local_run: tuple[LocalRun, list[StackRun], float]) -> None:
    runner, runs, _ = local_run
    jobs = [run.job for run in runs]
    assert len(plan_batches(jobs, lambda j: j.config.infrastructure.provider.value, 2, 2)) == 3
    manifest = json.loads((runner.outdir / "manifest.json").read_text())
    assert sorted(manifest["stacks"]) == sorted(j.stack_name for j in jobs)


def test_every_stack_deployed_concurrently(local_run: tuple[LocalRun, list[StackRun], float]) -> None:
    runner, runs, _ = local_run
    assert len(runs) == 5
    for run in runs:
        assert not run.error, f"{run.job.stack_name}: {run.error}"
        assert (runner.workdir / "outputs" / f"{run.job.stack_name}.json").exists()
        assert (runner.workdir / "state" / f"{run.job.stack_name}.tfstate").exists()  # one state per job
    # no shared plugin cache: each stack initialised its own provider directory
    for run in runs:
        assert (runner.outdir / "stacks" / run.job.stack_name / ".terraform" / "providers").is_dir()


def test_placeholders_rendered_with_values_the_emulator_reports(
    local_run: tuple[LocalRun, list[StackRun], float],
) -> None:
    _, runs, _ = local_run
    yaml = YAML(typ="safe")
    for run in runs:
        assert run.rendered is not None and run.rendered.exists()
        rendered = yaml.load(run.rendered.read_text())
        identifiers = rendered["infrastructure"]["resource_identifiers"]
        for key, value in identifiers.items():
            assert "{{" not in value
            assert value == run.outputs[key]
        assert run.verified_outputs["cluster_name"].endswith(f"cluster/{run.outputs['cluster_name']}")
        # job-file text reached the cloud literally, never evaluated by Terraform
        assert run.task_environment["LITERAL_CHECK"] == LITERAL
        if "PG_SLOT_TEMPLATE" in run.job.config.runtime.env:
            assert run.task_environment["PG_SLOT_TEMPLATE"] == "dativo_${table}"
        # the template is untouched
        assert "{{terraform_outputs." in run.job.path.read_text()


def test_job_runs_go_through_a_state_machine_with_the_timeout(
    local_run: tuple[LocalRun, list[StackRun], float],
) -> None:
    """Every job-mode stack deployed its state machine; the emulator holds the definition that runs
    the task with ecs:runTask.sync within timeout_seconds, on Fargate Spot where the job asks for it."""
    _, runs, _ = local_run
    jobs = [run for run in runs if run.job.config.runtime.mode == "job"]
    assert jobs
    for run in jobs:
        runtime = run.job.config.runtime
        assert run.verified_outputs["state_machine_arn"] == run.outputs["state_machine_arn"]
        (task,) = run.state_machine_definition["States"].values()
        assert task["Resource"].endswith(":states:::ecs:runTask.sync")
        assert task["TimeoutSeconds"] == runtime.timeout_seconds
        strategy = task["Parameters"].get("CapacityProviderStrategy")
        if runtime.capacity == "spot":
            assert strategy == [{"CapacityProvider": "FARGATE_SPOT", "Weight": 1, "Base": 0}]
        else:
            assert strategy is None and task["Parameters"]["LaunchType"] == "FARGATE"
    assert any(run.job.config.runtime.capacity == "spot" for run in jobs)  # the example proves Spot deploys
    for run in runs:  # both Fargate capacity providers on every cluster a stack owns, none on a given one
        owned = run.job.config.runtime.existing.cluster is None
        expected = ["FARGATE", "FARGATE_SPOT"] if owned else []
        assert sorted(run.capacity_providers) == expected, run.job.stack_name
    assert any(run.job.config.runtime.existing.cluster is not None for run in runs)
    for run in runs:  # each stack exports exactly the outputs its configuration has (no "none")
        assert set(run.outputs) == set(exported_outputs(run.job.config.runtime)), run.job.stack_name
        if run.job.config.runtime.mode == "service":
            assert "state_machine_arn" not in run.outputs


def test_services_sit_behind_the_load_balancer_their_ingress_asks_for(
    local_run: tuple[LocalRun, list[StackRun], float],
) -> None:
    """Each service with ingress has its ALB in the emulator with the job's scheme, the HTTP listener
    forwarding to an IP target group with the job's health check path (in which the ECS service
    registers its tasks), and service_endpoint is http:// and the DNS name the emulator reports."""
    _, runs, _ = local_run
    services = [run for run in runs if run.job.config.runtime.mode == "service"]
    schemes: dict[str, str] = {}
    for run in services:
        runtime = run.job.config.runtime
        balancer = run.load_balancer
        assert balancer, run.job.stack_name
        schemes[run.job.config.job_name] = balancer["scheme"]
        assert run.outputs["service_endpoint"] == f"http://{balancer['dns_name']}"
        assert run.verified_outputs["service_endpoint"] == run.outputs["service_endpoint"]
        assert balancer["listeners"] == {80: "HTTP"}
        group = balancer["target_group"]
        assert (group["target_type"], group["port"]) == ("ip", runtime.port)
        assert group["health_check_path"] == runtime.load_balancer.health_check_path  # type: ignore[union-attr]
    assert schemes == {"orders_cdc_stream": "internal", "payments_cdc_stream": "internet-facing"}
    paths = {run.load_balancer["target_group"]["health_check_path"] for run in services}
    assert paths == {"/health", PUBLIC_HEALTH_PATH}
    for run in runs:  # jobs have no load balancer
        if run.job.config.runtime.mode == "job":
            assert run.load_balancer == {}


def test_every_taggable_resource_carries_every_merged_tag(
    local_run: tuple[LocalRun, list[StackRun], float],
) -> None:
    _, runs, _ = local_run
    for run in runs:
        taggable = [t for t in run.tags if t.taggable]
        assert taggable, run.job.stack_name
        types = {t.type for t in taggable}
        owns_cluster = run.job.config.runtime.existing.cluster is None  # type: ignore[union-attr]
        assert ("aws_ecs_cluster" in types) is owns_cluster
        assert {
            "aws_ecs_task_definition",
            "aws_cloudwatch_log_group",
            "aws_iam_role",
            "aws_security_group",
        } <= types
        if run.job.config.runtime.mode == "job":
            assert "aws_sfn_state_machine" in types
        bad = [f"{t.address}: {t.summary()}" for t in taggable if not t.ok]
        assert not bad, bad
        for t in taggable:
            assert t.actual["job_name"] == run.job.config.job_name
            assert t.actual["managed_by"] == "dativo-infra"
        untaggable = sorted({t.type for t in run.tags if not t.taggable})
        print(f"{run.job.stack_name}: {len(taggable)} tagged, cannot carry tags: {', '.join(untaggable)}")


def test_destroy_leaves_nothing(local_run: tuple[LocalRun, list[StackRun], float]) -> None:
    _, runs, _ = local_run
    for run in runs:
        assert run.destroyed and not run.leftovers, (run.job.stack_name, run.leftovers)
        assert run.ok
    # the shared cluster an example referenced was there for its stack, and is gone with the run
    shared = [r for r in runs if r.job.config.runtime.existing.cluster is not None]  # type: ignore[union-attr]
    assert [r.outputs["cluster_name"] for r in shared] == ["data-platform-shared"]
    assert shared[0].verified_outputs["cluster_name"].endswith(":cluster/data-platform-shared")
