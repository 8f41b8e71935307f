"""Tag read-back of deployed resources, per service API (the full run is tested end to end in tests/e2e)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from dativo_infra.localcloud.tagcheck import READERS, check_resources

REGION = "us-east-1"


@pytest.fixture
def client() -> Iterator[Any]:
    with mock_aws():
        clients: dict[str, Any] = {}

        def make(service: str) -> Any:
            return clients.setdefault(service, boto3.client(service, region_name=REGION))

        yield make


def test_dead_letter_queue_tags_are_read_with_the_sqs_api(client: Any) -> None:
    assert "aws_sqs_queue" in READERS  # not the tagging API fallback
    tagged = client("sqs").create_queue(QueueName="acme-job-dlq", tags={"team": "data", "job_name": "job"})
    bare = client("sqs").create_queue(QueueName="acme-bare-dlq")
    state = [
        {"address": "aws_sqs_queue.tagged", "type": "aws_sqs_queue",
         "values": {"id": tagged["QueueUrl"], "url": tagged["QueueUrl"], "tags": {"job_name": "job"}}},
        {"address": "aws_sqs_queue.bare", "type": "aws_sqs_queue",
         "values": {"id": bare["QueueUrl"], "url": bare["QueueUrl"], "tags": {}}},
    ]  # fmt: skip
    good, missing = check_resources(state, {"team": "data"}, client)
    assert good.ok and good.actual == {"team": "data", "job_name": "job"}
    assert good.summary() == "ok (2 tags)"
    assert not missing.ok and missing.missing == ["team"]
