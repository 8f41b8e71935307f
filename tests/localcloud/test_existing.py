"""The platform's existing infrastructure in the local cloud: what the AWS examples reference is
listed once, created in the emulator before their stacks deploy and deleted after."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from dativo_infra.config.loader import load_job, load_jobs
from dativo_infra.localcloud.existing import (
    ExistingResource,
    create_existing,
    delete_existing,
    existing_resources,
)

ROLE = "arn:aws:iam::123456789012:role/platform/ecs-execution"


def test_the_examples_reference_the_shared_cluster_once() -> None:
    assert existing_resources(load_jobs(["jobs"])) == [
        ExistingResource("cluster", "us-east-1", "data-platform-shared")
    ]


def test_clusters_by_arn_and_roles_are_listed_with_their_region_and_path(tmp_path: Path) -> None:
    text = Path("jobs/acme/catalog_orders_to_dynamodb.yaml").read_text()
    text = text.replace(
        "      cluster: data-platform-shared\n",
        "      cluster: arn:aws:ecs:us-east-1:123456789012:cluster/shared\n"
        f"      execution_role_arn: {ROLE}\n",
    )
    (tmp_path / "job.yaml").write_text(text)
    job = load_job(tmp_path / "job.yaml")
    assert existing_resources([job, job]) == [
        ExistingResource("cluster", "us-east-1", "shared"),
        ExistingResource("role", "us-east-1", "ecs-execution", "/platform/"),
    ]


@pytest.fixture
def client() -> Any:
    with mock_aws():
        yield lambda service, region: boto3.client(service, region_name=region)


def test_created_before_the_deploy_and_deleted_after(client: Any) -> None:
    resources = [
        ExistingResource("cluster", "us-east-1", "data-platform-shared"),
        ExistingResource("role", "us-east-1", "ecs-execution", "/platform/"),
    ]
    create_existing(resources, client)
    ecs, iam = client("ecs", "us-east-1"), client("iam", "us-east-1")
    (cluster,) = ecs.describe_clusters(clusters=["data-platform-shared"])["clusters"]
    assert cluster["status"] == "ACTIVE"
    assert iam.get_role(RoleName="ecs-execution")["Role"]["Arn"] == ROLE
    delete_existing(resources, client)
    assert [c["status"] for c in ecs.describe_clusters(clusters=["data-platform-shared"])["clusters"]] in (
        [],
        ["INACTIVE"],
    )
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_role(RoleName="ecs-execution")
