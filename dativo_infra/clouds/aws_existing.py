"""AWS rules of existing infrastructure a job references instead of creating: ECS clusters (by name or
ARN) and IAM roles. Used by the runtime model (``existing``), the construct and the local cloud, which
creates what the examples reference. Pure Python: no cdktf.
"""

from __future__ import annotations

import re

from dativo_infra.clouds import WILDCARD_PROBLEM, Refusal, has_wildcard, regions
from dativo_infra.clouds.aws import ARN_HEAD, arn_problem

#: An ECS cluster ARN: ``arn:<partition>:ecs:<region>:<account>:cluster/<name>``.
CLUSTER_ARN_RE = re.compile(ARN_HEAD.format(service="ecs") + r"cluster/(?P<name>[A-Za-z0-9_-]{1,255})")
_CLUSTER_NAME_RE = re.compile(r"[A-Za-z0-9_-]{1,255}")
#: An IAM role ARN: ``arn:<partition>:iam::<account>:role/<path/><name>`` (name: 1-64 of ``[\w+=,.@-]``;
#: path: ``/`` or ``/segments/``, each of letters, digits and ``+=,.@_-``; at most 512 characters).
ROLE_ARN_RE = re.compile(
    r"arn:(?P<partition>aws(?:-[a-z]+)*):iam::(?P<account>[0-9]{12}):role/"
    r"(?P<path>(?:[A-Za-z0-9+=,.@_-]+/){0,32})(?P<name>[A-Za-z0-9+=,.@_-]{1,64})"
)
CLUSTER_EXPECTED = (
    "an ECS cluster name (1-255 of letters, digits, - and _) such as 'data-platform-shared', or its ARN "
    "arn:aws:ecs:<region>:<12-digit account>:cluster/<name>"
)
ROLE_ARN_EXPECTED = "an IAM role ARN: arn:aws:iam::<12-digit account>:role/[<path>/]<name>"


def cluster_refusal(cluster: str) -> Refusal | None:
    """Why ``cluster`` names no ECS cluster (a name or an ARN), or None."""
    if has_wildcard(cluster):
        return Refusal(WILDCARD_PROBLEM, CLUSTER_EXPECTED)
    if cluster.startswith("arn:"):
        if not CLUSTER_ARN_RE.fullmatch(cluster):
            return Refusal("not an ECS cluster ARN", CLUSTER_EXPECTED)
        problem = arn_problem(cluster, "ecs")
        return Refusal(problem, CLUSTER_EXPECTED) if problem else None
    if not _CLUSTER_NAME_RE.fullmatch(cluster):
        return Refusal("not an ECS cluster name", CLUSTER_EXPECTED)
    return None


def cluster_name(cluster: str) -> str:
    """The name of the cluster ``cluster`` names (a name, or the last part of its ARN)."""
    match = CLUSTER_ARN_RE.fullmatch(cluster)
    return match["name"] if match else cluster


def cluster_region(cluster: str) -> str | None:
    """The region of a cluster given by ARN (None for a name: the job's region)."""
    match = CLUSTER_ARN_RE.fullmatch(cluster)
    return match["region"] if match else None


def cluster_arn(cluster: str, *, partition: str, region: str, account: str) -> str:
    """The ARN of the cluster ``cluster`` names: as given, or built from the job's partition, region and
    account (``partition``/``account`` may be tokens) and the name."""
    if CLUSTER_ARN_RE.fullmatch(cluster):
        return cluster
    return f"arn:{partition}:ecs:{region}:{account}:cluster/{cluster}"


def role_arn_refusal(arn: str) -> Refusal | None:
    """Why ``arn`` is not an IAM role ARN (``existing.execution_role_arn``/``task_role_arn``), or None."""
    if has_wildcard(arn):
        return Refusal(WILDCARD_PROBLEM, ROLE_ARN_EXPECTED)
    match = ROLE_ARN_RE.fullmatch(arn)
    if match is None or len(arn) > 2048:
        return Refusal("not an IAM role ARN", ROLE_ARN_EXPECTED)
    partitions = regions.aws_partitions()
    if partitions and match["partition"] not in partitions:
        known = ", ".join(sorted(partitions))
        return Refusal(f"unknown AWS partition {match['partition']!r} (known: {known})", ROLE_ARN_EXPECTED)
    return None
