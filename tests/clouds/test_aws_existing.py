"""Rules of existing infrastructure a job references: clusters by name or ARN, IAM role ARNs."""

from __future__ import annotations

import pytest

from dativo_infra.clouds import aws_existing


@pytest.mark.parametrize(
    ("cluster", "name", "arn"),
    [
        (
            "data-platform-shared",
            "data-platform-shared",
            "arn:P:ecs:eu-west-1:A:cluster/data-platform-shared",
        ),
        (
            "arn:aws:ecs:us-east-1:123456789012:cluster/shared_1",
            "shared_1",
            "arn:aws:ecs:us-east-1:123456789012:cluster/shared_1",
        ),
    ],
)
def test_a_cluster_is_named_or_given_by_arn(cluster: str, name: str, arn: str) -> None:
    assert aws_existing.cluster_refusal(cluster) is None
    assert aws_existing.cluster_name(cluster) == name
    assert aws_existing.cluster_arn(cluster, partition="P", region="eu-west-1", account="A") == arn


@pytest.mark.parametrize(
    "cluster",
    ["", "a b", "team/*", "x" * 256, "arn:aws:ecs:us-east-1:123456789012:cluster/", "arn:aws:ecs:us-east-1:1:cluster/x",
     "arn:aws:ecs:us-east-1:123456789012:service/c/s", "arn:aws:eks:us-east-1:123456789012:cluster/x",
     "arn:aws:ecs:us-east-1:123456789012:cluster/${x}"],
)  # fmt: skip
def test_what_names_no_cluster_is_refused(cluster: str) -> None:
    assert aws_existing.cluster_refusal(cluster) is not None


@pytest.mark.parametrize(
    ("arn", "ok"),
    [("arn:aws:iam::123456789012:role/x", True), ("arn:aws:iam::123456789012:role/platform/ecs/x-exec", True),
     ("arn:aws-cn:iam::123456789012:role/x", True), ("arn:aws:iam::123456789012:role/x*", False),
     ("arn:aws:iam::123456789012:role/${aws:username}", False), ("arn:aws:iam::123456789012:user/x", False),
     ("arn:aws:iam:us-east-1:123456789012:role/x", False), ("arn:aws:iam::123456789012:role/" + "x" * 65, False),
     ("arn:aws-mars:iam::123456789012:role/x", False), ("role/x", False)],
)  # fmt: skip
def test_role_arns(arn: str, ok: bool) -> None:
    assert (aws_existing.role_arn_refusal(arn) is None) is ok
