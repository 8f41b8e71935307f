"""The seed 004 jobs (``tests/fixtures/jobs/seeds/``) synthesize, and what the dialect mapped reaches the
stack: the existing cluster is referenced, not created, and a list-valued tag arrives joined, rendered
for the job's cloud."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dativo_infra.config.loader import load_jobs
from tests.constructs.conftest import resources

SEEDS = Path("tests/fixtures/jobs/seeds")
VALID = ("seed004_aws_ecs_basic", "seed004_tag_propagation", "seed004_gcp_cloud_run")


@pytest.fixture(scope="module")
def stacks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    from dativo_infra.synth import synth

    jobs = load_jobs([str(SEEDS / f"{name}.yaml") for name in VALID])
    docs = synth(jobs, tmp_path_factory.mktemp("seeds") / "cdktf.out")
    return {job.path.stem: docs[job.stack_name] for job in jobs}


def test_compute_cluster_name_is_an_existing_cluster(stacks: dict[str, dict[str, Any]]) -> None:
    doc = stacks["seed004_aws_ecs_basic"]
    assert resources(doc, "aws_ecs_cluster") == []
    assert doc["output"]["cluster_name"]["value"] == "dativo-prod-cluster"


def test_a_list_tag_reaches_every_tagged_resource_joined_for_the_cloud(
    stacks: dict[str, dict[str, Any]],
) -> None:
    role = resources(stacks["seed004_tag_propagation"], "aws_iam_role")[0]
    assert (role["tags"]["compliance"], role["tags"]["cost_center"]) == ("GDPR+SOC2", "CC-999")
    (job,) = resources(stacks["seed004_gcp_cloud_run"], "google_cloud_run_v2_job")
    assert job["labels"]["compliance"] == "gdpr_soc2"
