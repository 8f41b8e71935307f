"""The Amazon States Language definition of a Fargate job's run: pure Python, no cdktf.

One run = ``parallelism`` ECS tasks started by Step Functions' ECS integration in its "run a job"
form (``ecs:runTask.sync``): the state waits until the task stops, fails when it fails, and after
``TimeoutSeconds`` fails with ``States.Timeout`` and stops the task (the integration's role may
``ecs:StopTask``; ECS itself has no run-time limit for a task). Only a launch that failed is retried
(:data:`~dativo_infra.clouds.aws.LAUNCH_ERRORS`, bounded by :data:`~dativo_infra.clouds.aws.LAUNCH_RETRY`);
a task that ran and failed or timed out is not.

With ``parallelism`` 1 the definition is that one Task state. With more, a Pass state makes the list
``[0, 1, ..., n-1]`` and an inline Map state runs the Task state once per item, all ``n`` at once
(``MaxConcurrency`` n); the run fails when one task fails.

Inputs are the stack's own values: ARNs and ids (possibly cdktf tokens, embedded as they are, never
inspected), the resolved public-IP choice, the job's numbers and the capacity rule of
:mod:`dativo_infra.clouds.aws`. No job text other than validated network ids reaches the definition.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dativo_infra.clouds import aws

#: Names of the states (they show in the execution history and the state machine's logs).
RUN_STATE = "RunTask"
ITEMS_STATE = "Tasks"
MAP_STATE = "RunTasks"


def run_task_state(
    *,
    partition: str,
    cluster_arn: str,
    task_definition_arn: str,
    subnets: Sequence[str],
    security_groups: Sequence[str],
    assign_public_ip: bool,
    capacity: str,
    timeout_seconds: int,
    enable_execute_command: bool,
) -> dict[str, Any]:
    """The Task state running one task of the job and waiting for it to stop."""
    parameters: dict[str, Any] = {
        "Cluster": cluster_arn,
        "TaskDefinition": task_definition_arn,
        "NetworkConfiguration": {
            "AwsvpcConfiguration": {
                "Subnets": subnets,
                "SecurityGroups": security_groups,
                "AssignPublicIp": "ENABLED" if assign_public_ip else "DISABLED",
            }
        },
        "EnableECSManagedTags": True,
        "PropagateTags": "TASK_DEFINITION",
    }
    strategy = aws.capacity_provider_strategy(capacity)
    if strategy:
        parameters["CapacityProviderStrategy"] = [
            {"CapacityProvider": item["capacity_provider"], "Weight": item["weight"], "Base": item["base"]}
            for item in strategy
        ]
    else:
        parameters["LaunchType"] = aws.launch_type(capacity)
    if enable_execute_command:
        parameters["EnableExecuteCommand"] = True
    return {
        "Type": "Task",
        "Resource": f"arn:{partition}:states:::ecs:runTask.sync",
        "Parameters": parameters,
        "TimeoutSeconds": timeout_seconds,
        "Retry": [{"ErrorEquals": list(aws.LAUNCH_ERRORS), **aws.LAUNCH_RETRY}],
        "End": True,
    }


def run_definition(task_state: dict[str, Any], *, parallelism: int, comment: str) -> dict[str, Any]:
    """The state machine definition running ``task_state`` ``parallelism`` times at once."""
    if parallelism < 1:
        raise ValueError(f"parallelism must be at least 1, got {parallelism}")
    if parallelism == 1:
        return {"Comment": comment, "StartAt": RUN_STATE, "States": {RUN_STATE: task_state}}
    return {
        "Comment": comment,
        "StartAt": ITEMS_STATE,
        "States": {
            ITEMS_STATE: {"Type": "Pass", "Result": list(range(parallelism)), "Next": MAP_STATE},
            MAP_STATE: {
                "Type": "Map",
                "MaxConcurrency": parallelism,
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE"},
                    "StartAt": RUN_STATE,
                    "States": {RUN_STATE: task_state},
                },
                "End": True,
            },
        },
    }
