"""The state machine definition of a Fargate job's run (pure: no cdktf)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dativo_infra.clouds import aws
from dativo_infra.constructs.aws_fargate_run_definition import run_definition, run_task_state

CLUSTER = "arn:aws:ecs:eu-west-1:123456789012:cluster/c"
TASK_DEFINITION = "arn:aws:ecs:eu-west-1:123456789012:task-definition/fam:3"


def state(**overrides: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "partition": "aws",
        "cluster_arn": CLUSTER,
        "task_definition_arn": TASK_DEFINITION,
        "subnets": ["subnet-0a000000"],
        "security_groups": ["sg-0b000000"],
        "assign_public_ip": False,
        "capacity": "on_demand",
        "timeout_seconds": 900,
        "enable_execute_command": False,
    }
    return run_task_state(**{**arguments, **overrides})


def test_task_state_runs_the_task_synchronously_within_the_timeout() -> None:
    task = state()
    assert task == {
        "Type": "Task",
        "Resource": "arn:aws:states:::ecs:runTask.sync",
        "Parameters": {
            "Cluster": CLUSTER,
            "TaskDefinition": TASK_DEFINITION,
            "LaunchType": "FARGATE",
            "NetworkConfiguration": {
                "AwsvpcConfiguration": {
                    "Subnets": ["subnet-0a000000"],
                    "SecurityGroups": ["sg-0b000000"],
                    "AssignPublicIp": "DISABLED",
                }
            },
            "EnableECSManagedTags": True,
            "PropagateTags": "TASK_DEFINITION",
        },
        "TimeoutSeconds": 900,
        "Retry": [
            {
                "ErrorEquals": list(aws.LAUNCH_ERRORS),
                "MaxAttempts": 3,
                "IntervalSeconds": 30,
                "BackoffRate": 2.0,
            }
        ],
        "End": True,
    }


def test_spot_exec_public_ip_and_partition() -> None:
    task = state(partition="aws-cn", capacity="spot", enable_execute_command=True, assign_public_ip=True)
    assert task["Resource"] == "arn:aws-cn:states:::ecs:runTask.sync"
    parameters = task["Parameters"]
    assert parameters["CapacityProviderStrategy"] == [
        {"CapacityProvider": "FARGATE_SPOT", "Weight": 1, "Base": 0}
    ]
    assert "LaunchType" not in parameters
    assert parameters["EnableExecuteCommand"] is True
    assert parameters["NetworkConfiguration"]["AwsvpcConfiguration"]["AssignPublicIp"] == "ENABLED"


def test_one_task_is_the_whole_definition() -> None:
    definition = run_definition(state(), parallelism=1, comment="Runs fam")
    assert definition == {"Comment": "Runs fam", "StartAt": "RunTask", "States": {"RunTask": state()}}


@given(parallelism=st.integers(2, 100))
def test_parallel_runs_map_over_n_items_at_once(parallelism: int) -> None:
    definition = run_definition(state(), parallelism=parallelism, comment="Runs fam")
    assert definition["StartAt"] == "Tasks"
    items = definition["States"]["Tasks"]
    assert items == {"Type": "Pass", "Result": list(range(parallelism)), "Next": "RunTasks"}
    mapped = definition["States"]["RunTasks"]
    assert mapped["MaxConcurrency"] == parallelism
    assert mapped["ItemProcessor"]["States"] == {"RunTask": state()}
    assert mapped["ItemProcessor"]["StartAt"] == "RunTask"
    assert mapped["End"] is True


def test_parallelism_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="parallelism"):
        run_definition(state(), parallelism=0, comment="x")
