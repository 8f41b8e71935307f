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


def test_load_balancer_tags_are_read_with_the_elbv2_api(client: Any) -> None:
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{zone}")[
            "Subnet"
        ]["SubnetId"]
        for i, zone in enumerate("ab")
    ]
    elbv2 = client("elbv2")
    tags = [{"Key": "team", "Value": "data"}]
    balancer = elbv2.create_load_balancer(Name="acme-api", Subnets=subnets, Scheme="internal", Tags=tags)
    balancer_arn = balancer["LoadBalancers"][0]["LoadBalancerArn"]
    group = elbv2.create_target_group(
        Name="acme-api-8080", Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="ip", Tags=tags
    )["TargetGroups"][0]["TargetGroupArn"]
    listener = elbv2.create_listener(
        LoadBalancerArn=balancer_arn,
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": group}],
    )["Listeners"][0]["ListenerArn"]  # untagged: reported missing
    state = [
        {"address": f"{kind}.x", "type": kind, "values": {"arn": arn, "id": arn, "tags": {}}}
        for kind, arn in (
            ("aws_lb", balancer_arn),
            ("aws_lb_target_group", group),
            ("aws_lb_listener", listener),
        )
    ]
    assert all(kind in READERS for kind in ("aws_lb", "aws_lb_target_group", "aws_lb_listener"))
    balancer_tags, group_tags, listener_tags = check_resources(state, {"team": "data"}, client)
    assert balancer_tags.ok and balancer_tags.actual == {"team": "data"}
    assert group_tags.ok and group_tags.actual == {"team": "data"}
    assert not listener_tags.ok and listener_tags.missing == ["team"]


def test_state_machine_tags_are_read_with_the_step_functions_api(client: Any) -> None:
    assert "aws_sfn_state_machine" in READERS  # not the tagging API fallback
    definition = '{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}'
    arn = client("stepfunctions").create_state_machine(
        name="acme-job",
        definition=definition,
        roleArn="arn:aws:iam::123456789012:role/acme-job-sfn",
        tags=[{"key": "team", "value": "data"}, {"key": "job_name", "value": "job"}],
    )["stateMachineArn"]
    state = [
        {"address": "aws_sfn_state_machine.m", "type": "aws_sfn_state_machine",
         "values": {"arn": arn, "id": arn, "tags": {"job_name": "job"}}},
    ]  # fmt: skip
    (found,) = check_resources(state, {"team": "data"}, client)
    assert found.ok and found.actual == {"team": "data", "job_name": "job"}
    (missing,) = check_resources(state, {"team": "data", "owner": "x"}, client)
    assert missing.missing == ["owner"]
