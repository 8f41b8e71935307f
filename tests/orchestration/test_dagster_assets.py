"""The Dagster assets: definitions for the example jobs (fast) and one AWS job materialized in-process
against a local moto server with the real cdktf CLI (slow)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from ruamel.yaml import YAML

dagster = pytest.importorskip(
    "dagster", reason="the Dagster extra is not installed: pip install '.[dagster]'"
)

from dagster import AssetKey, Definitions, materialize  # noqa: E402

from dativo_infra.config.loader import load_jobs  # noqa: E402
from dativo_infra.orchestration.dagster_assets import (  # noqa: E402
    JobRenderer,
    StackDeployer,
    build_definitions,
    output_metadata,
)
from dativo_infra.tags import merged_tags  # noqa: E402

JOBS = Path("jobs")


@pytest.fixture(scope="module")
def defs() -> Definitions:
    return build_definitions(JOBS)


def test_one_asset_per_example_job_keyed_by_tenant_and_job(defs: Definitions) -> None:
    jobs = load_jobs([str(JOBS)])
    specs = {spec.key: spec for spec in defs.resolve_all_asset_specs()}
    assert set(specs) == {AssetKey([j.config.tenant_id, j.config.job_name]) for j in jobs}
    assert len(specs) == len(jobs) == 11
    for job in jobs:
        spec = specs[AssetKey([job.config.tenant_id, job.config.job_name])]
        assert spec.group_name == job.config.tenant_id
        assert spec.kinds == {"terraform", job.config.infrastructure.provider.value}
        assert spec.metadata["dativo/tags"].value == merged_tags(job)
        assert spec.metadata["dativo/stack"].value == job.stack_name
        assert spec.metadata["dativo/job_file"].value == str(job.path.resolve())
        runtime = job.config.runtime
        assert spec.metadata["dativo/runtime"].value == {
            "provider": job.config.infrastructure.provider.value,
            "region": job.config.infrastructure.region,
            "runtime": runtime.type,
            "mode": runtime.mode,
            "schedule": getattr(runtime, "schedule", None),
        }


def test_runtime_summary_of_a_scheduled_aws_job(defs: Definitions) -> None:
    spec = next(
        s
        for s in defs.resolve_all_asset_specs()
        if s.key == AssetKey(["acme", "stripe_customers_to_iceberg"])
    )
    assert spec.metadata["dativo/runtime"].value == {
        "provider": "aws",
        "region": "us-east-1",
        "runtime": "aws_fargate",
        "mode": "job",
        "schedule": "15 2 * * *",
    }
    assert spec.metadata["dativo/tags"].value["job_name"] == "stripe_customers_to_iceberg"


def test_resources_default_to_the_cloud_and_a_rendered_copy(defs: Definitions) -> None:
    deployer = StackDeployer()
    assert deployer.environ() == {"DATIVO_DEPLOY_TARGET": "cloud"}
    local = StackDeployer(target="local", aws_endpoint="http://127.0.0.1:5999").environ()
    assert local["DATIVO_DEPLOY_TARGET"] == "local"
    assert local["DATIVO_AWS_ENDPOINT"] == "http://127.0.0.1:5999"
    job = load_jobs([str(JOBS / "acme" / "stripe_customers_to_iceberg.yaml")])[0]
    copy = JobRenderer().target(job, JOBS.resolve())
    assert copy is not None and copy.parts[-4:] == (
        "dagster",
        "rendered",
        "acme",
        "stripe_customers_to_iceberg.yaml",
    )
    assert JobRenderer(in_place=True).target(job, JOBS.resolve()) is None


def test_outputs_become_typed_metadata() -> None:
    metadata = output_metadata(
        {
            "cluster_name": "c",
            "service_endpoint": "https://x.example.com",
            "port": 8080,
            "subnets": ["a", "b"],
        }
    )
    assert metadata["cluster_name"] == dagster.MetadataValue.text("c")
    assert metadata["service_endpoint"] == dagster.MetadataValue.url("https://x.example.com")
    assert metadata["port"] == dagster.MetadataValue.int(8080)
    assert metadata["subnets"] == dagster.MetadataValue.json(["a", "b"])


@pytest.mark.slow
def test_materialize_one_aws_job_against_the_local_cloud(tmp_path: Path) -> None:
    import boto3

    from dativo_infra.localcloud.server import MotoServer

    jobs = tmp_path / "jobs"
    shutil.copytree(JOBS / "umbrella", jobs / "umbrella")
    shutil.copy(JOBS / "platform.yaml", jobs / "platform.yaml")
    template = (jobs / "umbrella" / "shipments_api_to_s3.yaml").read_text()
    key = AssetKey(["umbrella", "shipments_api_to_s3"])
    with MotoServer(log=tmp_path / "moto.log") as cloud:
        cloud.warm_up(["eu-west-1"])
        deployer = StackDeployer(target="local", aws_endpoint=cloud.endpoint, workdir=str(tmp_path / "work"))
        renderer = JobRenderer(out_dir=str(tmp_path / "rendered"))
        defs = build_definitions(jobs, deployer=deployer, renderer=renderer)
        job = load_jobs(
            [str(jobs / "umbrella" / "shipments_api_to_s3.yaml")], settings_file=jobs / "platform.yaml"
        )[0]
        try:
            result = materialize(
                [defs.get_assets_def(key)], resources={"deployer": deployer, "renderer": renderer}
            )
            assert result.success
            [event] = result.get_asset_materialization_events()
            recorded = {
                k: v.value for k, v in event.materialization.metadata.items() if not k.startswith("dativo/")
            }
            outputs = json.loads(deployer.outputs_file(job.stack_name).read_text())[job.stack_name]
            assert recorded == outputs
            kwargs = cloud.client_kwargs("eu-west-1")
            clusters = boto3.client("ecs", **kwargs).describe_clusters(clusters=[recorded["cluster_name"]])[
                "clusters"
            ]
            assert [c["status"] for c in clusters] == ["ACTIVE"]
            machine = boto3.client("stepfunctions", **kwargs).describe_state_machine(
                stateMachineArn=recorded["state_machine_arn"]
            )
            assert machine["stateMachineArn"] == recorded["state_machine_arn"]
            task = boto3.client("ecs", **kwargs).describe_task_definition(
                taskDefinition=recorded["task_definition_arn"]
            )
            assert task["taskDefinition"]["taskDefinitionArn"] == recorded["task_definition_arn"]
            # the rendered copy holds the values; the job file itself is untouched
            rendered_path = Path(str(event.materialization.metadata["dativo/rendered_job"].value))
            assert rendered_path == tmp_path / "rendered" / "umbrella" / "shipments_api_to_s3.yaml"
            text = rendered_path.read_text()
            assert "terraform_outputs" not in text
            rendered = YAML(typ="safe").load(text)
            assert rendered["infrastructure"]["resource_identifiers"] == {
                "cluster_name": recorded["cluster_name"],
                "task_definition_arn": recorded["task_definition_arn"],
                "security_group_id": recorded["security_group_id"],
                "state_machine_arn": recorded["state_machine_arn"],
            }
            assert rendered["source"]["log_group"] == recorded["log_group_name"]
            assert (jobs / "umbrella" / "shipments_api_to_s3.yaml").read_text() == template
        finally:
            left = deployer.destroy(job, jobs / "platform.yaml")
        assert left == []
        gone = boto3.client("ecs", **cloud.client_kwargs("eu-west-1")).describe_clusters(
            clusters=[recorded["cluster_name"]]
        )["clusters"]
        assert all(c["status"] != "ACTIVE" for c in gone)


def test_a_deploy_whose_provider_cannot_be_installed_stops_before_the_synth(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The deployer checks, as local-run does, that terraform init can install the job's provider."""
    from dativo_infra.errors import ErrorReport

    settings = tmp_path / "platform.yaml"
    settings.write_text('gcp:\n  provider_version: "6.50.0"\n  project_id: initech-data-prod\n')
    job = load_jobs([str(JOBS / "initech" / "salesforce_accounts_to_bq.yaml")], settings_file=settings)[0]
    monkeypatch.setenv("DATIVO_TF_MIRROR", str(tmp_path / "no-mirror"))
    monkeypatch.setenv("DATIVO_TF_REGISTRY", "0")
    deployer = StackDeployer(workdir=str(tmp_path / "work"))
    with pytest.raises(ErrorReport) as raised:
        deployer.deploy(job, settings)
    (error,) = list(raised.value)
    assert (error.line, error.path) == (2, "gcp.provider_version")
    assert (
        "every GCP stack requires hashicorp/google 6.50.0 (this pin), which terraform init cannot install"
        in (error.problem)
    )
    assert not (tmp_path / "work").exists()  # nothing synthesized
