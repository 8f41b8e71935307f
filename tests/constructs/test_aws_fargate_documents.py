"""The pure half of the AWS construct: IAM policy documents and the container definition."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dativo_infra.constructs.aws_fargate_documents import (
    container_definitions,
    ecs_source_arn,
    ecs_task_arns,
    exec_statements,
    execution_secret_statements,
    policy_json,
    schedule_group_arn,
    scheduler_statements,
    state_machine_statements,
    task_statements,
    trust_policy,
)

ACCOUNT = "123456789012"


def test_policy_builders() -> None:
    assert task_statements("aws", [], [], []) == []
    with pytest.raises(ValueError, match="at least one statement"):
        policy_json([])
    assert execution_secret_statements("aws", "us-east-1", [], account=ACCOUNT) == []
    ssm_arn = "arn:aws:ssm:us-east-1:123456789012:parameter/x"
    (statement,) = execution_secret_statements(
        "aws-cn", "cn-north-1", [ssm_arn, "plain"], account="210987654321"
    )
    # a parameter name is the caller's account's parameter, never any account's ('*')
    assert statement["Resource"] == ["arn:aws-cn:ssm:cn-north-1:210987654321:parameter/plain", ssm_arn]
    text = policy_json([{"Sid": "A", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}])
    assert text == json.dumps(json.loads(text), sort_keys=True)  # canonical: sorted keys


def test_container_secrets_are_granted_on_the_secret_not_its_json_key() -> None:
    arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:acme/api-AbCdEf"
    (statement,) = execution_secret_statements("aws", "eu-west-1", [f"{arn}:token::", arn], account=ACCOUNT)
    assert (statement["Action"], statement["Resource"]) == ("secretsmanager:GetSecretValue", arn)


def test_registry_credentials_are_readable_by_the_execution_role_only_that_secret() -> None:
    registry = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:ghcr/robot-AbCdEf"
    found = execution_secret_statements("aws", "eu-west-1", [], account=ACCOUNT, registry_secret_arn=registry)
    assert found == [
        {
            "Action": "secretsmanager:GetSecretValue",
            "Effect": "Allow",
            "Resource": registry,
            "Sid": "ReadRegistryCredentials",
        }
    ]
    with pytest.raises(ValueError, match="not an IAM grant reference"):
        execution_secret_statements(
            "aws", "eu-west-1", [], account=ACCOUNT, registry_secret_arn=registry + "*"
        )


def test_exec_statement_is_the_four_ssm_message_channel_actions() -> None:
    (statement,) = exec_statements()
    assert statement == {
        "Action": [
            "ssmmessages:CreateControlChannel",
            "ssmmessages:CreateDataChannel",
            "ssmmessages:OpenControlChannel",
            "ssmmessages:OpenDataChannel",
        ],
        "Effect": "Allow",
        "Resource": "*",  # what AWS documents: the channels have no ARN; no job text reaches it
        "Sid": "EcsExecChannels",
    }


def test_container_definition_with_exec_and_registry_credentials() -> None:
    registry = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:ghcr/robot-AbCdEf"
    (plain,) = json.loads(
        container_definitions(
            image="img", command=[], env={}, secrets={}, log_group="/x", region="eu-west-1", port=None
        )
    )
    assert "linuxParameters" not in plain and "repositoryCredentials" not in plain
    (container,) = json.loads(
        container_definitions(
            image="img", command=[], env={}, secrets={}, log_group="/x", region="eu-west-1", port=None,
            init_process=True, registry_credentials=registry,
        )
    )  # fmt: skip
    assert container["linuxParameters"] == {"initProcessEnabled": True}
    assert container["repositoryCredentials"] == {"credentialsParameter": registry}


def test_container_definition_is_canonical() -> None:
    text = container_definitions(
        image="img", command=["run"], env={"B": "2", "A": "1"}, secrets={}, log_group="/dativo/x",
        region="eu-west-1", port=None,
    )  # fmt: skip
    (container,) = json.loads(text)
    assert [e["name"] for e in container["environment"]] == ["A", "B"]
    assert container["readonlyRootFilesystem"] is True and container["portMappings"] == []
    assert text == json.dumps(json.loads(text), sort_keys=True)


def test_trust_policy_names_the_account_and_optionally_the_source() -> None:
    (only_account,) = json.loads(trust_policy("ecs-tasks.amazonaws.com", source_account=ACCOUNT))["Statement"]
    assert only_account == {
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
        "Effect": "Allow",
        "Principal": {"Service": "ecs-tasks.amazonaws.com"},
    }
    source = schedule_group_arn("aws", "eu-west-1", ACCOUNT)
    assert source == f"arn:aws:scheduler:eu-west-1:{ACCOUNT}:schedule-group/default"
    text = trust_policy("scheduler.amazonaws.com", source_account=ACCOUNT, source_arn=source)
    (both,) = json.loads(text)["Statement"]
    assert both["Condition"] == {
        "ArnLike": {"aws:SourceArn": source},
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
    }
    assert text == json.dumps(json.loads(text), sort_keys=True)


@given(
    partition=st.sampled_from(["aws", "aws-cn", "aws-us-gov"]),
    region=st.sampled_from(["eu-central-1", "us-east-1", "cn-north-1"]),
    account=st.from_regex(r"[0-9]{12}", fullmatch=True),
)
def test_source_arns_carry_partition_region_and_account(partition: str, region: str, account: str) -> None:
    for arn in (ecs_source_arn(partition, region, account), schedule_group_arn(partition, region, account)):
        assert arn.split(":")[1] == partition and arn.split(":")[3:5] == [region, account]
    assert ecs_source_arn(partition, region, account).endswith(":*")
    assert (
        ecs_task_arns(partition, region, account, "c") == f"arn:{partition}:ecs:{region}:{account}:task/c/*"
    )


def test_scheduler_may_only_start_its_state_machine_and_send_to_its_queue() -> None:
    machine = "arn:aws:states:eu-west-1:123456789012:stateMachine:c"
    found = {
        statement["Sid"]: statement
        for statement in scheduler_statements(
            machine, dead_letter_queue_arn="arn:aws:sqs:eu-west-1:123456789012:c-dlq"
        )
    }
    assert found == {
        "StartJobRun": {
            "Action": "states:StartExecution", "Effect": "Allow", "Resource": machine, "Sid": "StartJobRun",
        },
        "SendFailedStarts": {
            "Action": "sqs:SendMessage",
            "Effect": "Allow",
            "Resource": "arn:aws:sqs:eu-west-1:123456789012:c-dlq",
            "Sid": "SendFailedStarts",
        },
    }  # fmt: skip


def test_state_machine_may_run_watch_stop_and_tag_only_its_tasks() -> None:
    found = {
        statement["Sid"]: statement
        for statement in state_machine_statements(
            partition="aws-cn",
            region="cn-north-1",
            account="123456789012",
            task_definition_family_arn="arn:aws-cn:ecs:cn-north-1:123456789012:task-definition/fam",
            cluster_arn="arn:aws-cn:ecs:cn-north-1:123456789012:cluster/c",
            task_arns="arn:aws-cn:ecs:cn-north-1:123456789012:task/c/*",
            role_arns=["arn:aws-cn:iam::123456789012:role/exec", "arn:aws-cn:iam::123456789012:role/task"],
        )
    }
    assert found["RunJobTask"] == {
        "Action": "ecs:RunTask",
        "Condition": {"ArnLike": {"ecs:cluster": "arn:aws-cn:ecs:cn-north-1:123456789012:cluster/c"}},
        "Effect": "Allow",
        "Resource": "arn:aws-cn:ecs:cn-north-1:123456789012:task-definition/fam:*",
        "Sid": "RunJobTask",
    }
    assert found["WatchAndStopJobTasks"]["Resource"] == "arn:aws-cn:ecs:cn-north-1:123456789012:task/c/*"
    assert found["TagStartedTasks"] == {
        "Action": "ecs:TagResource",
        "Condition": {"StringEquals": {"ecs:CreateAction": "RunTask"}},
        "Effect": "Allow",
        "Resource": "arn:aws-cn:ecs:cn-north-1:123456789012:task/c/*",
        "Sid": "TagStartedTasks",
    }
    assert found["PassTaskRoles"]["Resource"] == [
        "arn:aws-cn:iam::123456789012:role/exec", "arn:aws-cn:iam::123456789012:role/task",
    ]  # fmt: skip
    assert found["PassTaskRoles"]["Condition"] == {
        "StringLike": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}
    }
    assert found["SyncTaskEvents"]["Resource"] == (
        "arn:aws-cn:events:cn-north-1:123456789012:rule/StepFunctionsGetEventsForECSTaskRule"
    )
    # The Step Functions guide's list for logging to CloudWatch Logs (no resource-level permissions).
    assert found["DeliverLogs"]["Action"] == sorted(
        [
            "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
            "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies",
            "logs:DescribeLogGroups",
        ]
    )  # fmt: skip
    assert found["DeliverLogs"]["Resource"] == "*"
    # Only the log delivery actions are unscoped; nothing ECS- or IAM-related is.
    assert [sid for sid, st in found.items() if st["Resource"] == "*"] == ["DeliverLogs"]
