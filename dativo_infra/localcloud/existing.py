"""The platform's existing infrastructure in the local cloud: what AWS jobs reference and do not create
(``existing.cluster``, ``existing.execution_role_arn``, ``existing.task_role_arn``) must be there before
their stacks deploy, as in a real account the platform team provides it.

:func:`existing_resources` lists what the jobs name (each once, whatever number of jobs share it);
:func:`create_existing` makes it in the emulator and :func:`delete_existing` removes it after the
stacks are destroyed. Given security groups are not created: the emulator's default VPC has its
default group, and an example naming another group would have to create it here too.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from dativo_infra.clouds import aws_existing
from dativo_infra.config.loaded import LoadedJob
from dativo_infra.config.runtimes import AwsFargateRuntime

#: ``client(service, region)`` -> a boto3 client of the emulator.
ClientFactory = Callable[[str, str], Any]
#: The trust policy of an existing role in the emulator: ECS tasks may assume it.
_ECS_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


@dataclass(frozen=True, order=True)
class ExistingResource:
    """One piece of existing infrastructure: ``kind`` ``cluster`` or ``role``, its region (a role's is
    the job's, IAM is global), name and, for a role, its path."""

    kind: str
    region: str
    name: str
    path: str = "/"


def existing_resources(jobs: Iterable[LoadedJob]) -> list[ExistingResource]:
    """What the AWS ``jobs`` reference instead of creating, each once, sorted."""
    found: set[ExistingResource] = set()
    for job in jobs:
        runtime = job.config.runtime
        if not isinstance(runtime, AwsFargateRuntime):
            continue
        region = job.config.infrastructure.region
        existing = runtime.existing
        if existing.cluster is not None:
            match = aws_existing.CLUSTER_ARN_RE.fullmatch(existing.cluster)
            found.add(
                ExistingResource(
                    "cluster",
                    match["region"] if match else region,
                    aws_existing.cluster_name(existing.cluster),
                )
            )
        for arn in (existing.execution_role_arn, existing.task_role_arn):
            match = aws_existing.ROLE_ARN_RE.fullmatch(arn) if arn is not None else None
            if match is not None:
                found.add(ExistingResource("role", region, match["name"], "/" + match["path"]))
    return sorted(found)


def create_existing(resources: Iterable[ExistingResource], client: ClientFactory) -> None:
    """Create ``resources`` in the emulator (each once: :func:`existing_resources` lists each once)."""
    for resource in resources:
        if resource.kind == "cluster":
            client("ecs", resource.region).create_cluster(clusterName=resource.name)
        else:
            client("iam", resource.region).create_role(
                RoleName=resource.name, Path=resource.path, AssumeRolePolicyDocument=_ECS_TRUST
            )


def delete_existing(resources: Iterable[ExistingResource], client: ClientFactory) -> None:
    """Delete what :func:`create_existing` made (after every stack using it is destroyed)."""
    for resource in resources:
        if resource.kind == "cluster":
            client("ecs", resource.region).delete_cluster(cluster=resource.name)
        else:
            client("iam", resource.region).delete_role(RoleName=resource.name)
