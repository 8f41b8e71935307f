"""Every YAML snippet of the product documents (../shared/seeds/) that describes a job, kept as a
complete job in tests/fixtures/jobs/seeds/: it validates, or fails only on what is deliberately not
supported, each reason positioned at the seed's own line."""

from __future__ import annotations

from pathlib import Path

import pytest

from dativo_infra.config.loader import load_job
from dativo_infra.errors import ErrorReport

SEEDS = Path("tests/fixtures/jobs/seeds")

#: The fixtures that fail on purpose: (line, dotted path, start of the problem) of each error.
DELIBERATE: dict[str, list[tuple[int, str, str]]] = {
    "seed002_aws_resource_refs.yaml": [
        (27, "infrastructure.terraform.resource_refs.task_definition_arn", "not taken by aws_fargate"),
        (29, "infrastructure.terraform.resource_refs.log_group_name", "not taken by aws_fargate"),
    ],
    "seed002_gcp.yaml": [
        (17, "infrastructure.runtime.network.security_group_ids", "unknown field for gcp_cloud_run"),
        (27, "infrastructure.terraform.resource_refs.cluster_name", "not taken by gcp_cloud_run"),
        (28, "infrastructure.terraform.resource_refs.log_group_name", "not taken by gcp_cloud_run"),
    ],
    "seed004_aws_eks.yaml": [(10, "infrastructure.compute.type", "compute type not supported yet")],
    "seed004_gcp_ecs.yaml": [(9, "infrastructure.compute.type", "compute type does not run on provider gcp")],
}


@pytest.mark.parametrize("name", sorted(p.name for p in SEEDS.glob("*.yaml")))
def test_each_seed_job_validates_or_fails_only_on_purpose(name: str) -> None:
    if name not in DELIBERATE:
        assert load_job(SEEDS / name).config.tenant_id
        return
    with pytest.raises(ErrorReport) as caught:
        load_job(SEEDS / name)
    found = [(e.line, e.path, e.problem) for e in caught.value]
    assert [(line, path) for line, path, _ in found] == [(line, path) for line, path, _ in DELIBERATE[name]]
    assert all(
        problem.startswith(start)
        for (_, _, problem), (_, _, start) in zip(found, DELIBERATE[name], strict=True)
    )


def test_the_seed_002_block_takes_its_team_from_the_asset() -> None:
    from dativo_infra.tags import merged_tags

    tags = merged_tags(load_job(SEEDS / "seed002_infrastructure_block.yaml"))
    assert (tags["team"], tags["cost_center"], tags["environment"]) == (
        "data-engineering",
        "FIN-001",
        "production",
    )
