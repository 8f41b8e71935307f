"""The pure half of the AWS construct: IAM policy documents and the container definition."""

from __future__ import annotations

import json

import pytest

from dativo_infra.constructs.aws_fargate_documents import (
    container_definitions,
    execution_secret_statements,
    policy_json,
    task_statements,
)


def test_policy_builders() -> None:
    assert task_statements("aws", [], [], []) == []
    with pytest.raises(ValueError, match="at least one statement"):
        policy_json([])
    assert execution_secret_statements("aws", "us-east-1", []) == []
    ssm_arn = "arn:aws:ssm:us-east-1:123456789012:parameter/x"
    (statement,) = execution_secret_statements("aws-cn", "cn-north-1", [ssm_arn, "plain"])
    assert statement["Resource"] == ["arn:aws-cn:ssm:cn-north-1:*:parameter/plain", ssm_arn]
    text = policy_json([{"Sid": "A", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}])
    assert text == json.dumps(json.loads(text), sort_keys=True)  # canonical: sorted keys


def test_container_secrets_are_granted_on_the_secret_not_its_json_key() -> None:
    arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:acme/api-AbCdEf"
    (statement,) = execution_secret_statements("aws", "eu-west-1", [f"{arn}:token::", arn])
    assert (statement["Action"], statement["Resource"]) == ("secretsmanager:GetSecretValue", arn)


def test_container_definition_is_canonical() -> None:
    text = container_definitions(
        image="img", command=["run"], env={"B": "2", "A": "1"}, secrets={}, log_group="/dativo/x",
        region="eu-west-1", port=None,
    )  # fmt: skip
    (container,) = json.loads(text)
    assert [e["name"] for e in container["environment"]] == ["A", "B"]
    assert container["readonlyRootFilesystem"] is True and container["portMappings"] == []
    assert text == json.dumps(json.loads(text), sort_keys=True)
