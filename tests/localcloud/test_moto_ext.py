"""The local cloud's server: moto plus the calls it lacks, answering one request at a time."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.parsers import ResponseParserError

from dativo_infra.localcloud.moto_ext import LOG_PREFIX, operation
from dativo_infra.localcloud.server import MotoServer


@pytest.mark.parametrize(
    ("environ", "body", "expected"),
    [
        (
            {"HTTP_X_AMZ_TARGET": "AWSStepFunctions.CreateStateMachine"},
            b"{}",
            "AWSStepFunctions.CreateStateMachine",
        ),
        (
            {"QUERY_STRING": ""},
            b"Action=AuthorizeSecurityGroupEgress&Version=2016-11-15",
            "AuthorizeSecurityGroupEgress",
        ),
        ({"QUERY_STRING": "Action=DescribeVpcs"}, b"", "DescribeVpcs"),
        ({"REQUEST_METHOD": "PUT", "PATH_INFO": "/2015-03-31/functions"}, b"", "PUT /2015-03-31/functions"),
    ],
)
def test_operation_names_the_aws_call(environ: dict[str, str], body: bytes, expected: str) -> None:
    assert operation(environ, body) == expected


def test_concurrent_writes_to_one_backend_all_succeed_and_failures_are_noted(tmp_path: Path) -> None:
    """Eight clients create security groups with egress rules in one VPC at once: every call succeeds
    once (no 5xx, so no SDK retry that would turn into a Duplicate error), and a 5xx is written to the
    server log as a note naming the operation, which ``diagnostics`` returns."""
    with MotoServer(log=tmp_path / "moto.log") as cloud:
        ec2 = boto3.client("ec2", **cloud.client_kwargs("us-east-1"))
        vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]

        def create(index: int) -> str:
            group = ec2.create_security_group(GroupName=f"g{index}", Description="d", VpcId=vpc)["GroupId"]
            ec2.revoke_security_group_egress(
                GroupId=group, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
            )
            ec2.authorize_security_group_egress(
                GroupId=group,
                IpPermissions=[
                    {
                        "IpProtocol": "tcp",
                        "FromPort": 443,
                        "ToPort": 443,
                        "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                    }
                ],
            )
            return str(group)

        with ThreadPoolExecutor(max_workers=8) as pool:
            groups = list(pool.map(create, range(24)))
        described = ec2.describe_security_groups(GroupIds=groups)["SecurityGroups"]
        assert len(described) == 24
        assert all(len(g["IpPermissionsEgress"]) == 1 for g in described)
        assert cloud.diagnostics() == []

        # A 5xx is noted: moto answers an EC2 operation it does not implement with HTTP 500.
        once = Config(retries={"max_attempts": 1, "mode": "standard"})
        unimplemented = boto3.client("ec2", config=once, **cloud.client_kwargs("us-east-1"))
        with pytest.raises(ResponseParserError):  # moto's 500 page is HTML, not EC2's XML
            unimplemented.describe_capacity_block_offerings(
                CapacityDurationHours=24, InstanceType="p5.48xlarge", InstanceCount=1
            )
        notes = cloud.diagnostics()
    assert notes and all(n.startswith(LOG_PREFIX) for n in notes)
    assert notes[-1].startswith(f"{LOG_PREFIX} DescribeCapacityBlockOfferings 500 ")
