"""Read tags back from a deployed stack through the AWS APIs and compare them with the merged tags.

The resource list comes from the stack's Terraform state (``terraform show -json``): every managed
resource whose state has a ``tags`` attribute can carry tags, and its tags are then read from the
cloud with the service's own API (ECS, CloudWatch Logs, IAM, EC2, EventBridge Scheduler, SQS,
Elastic Load Balancing, Step Functions) or, for anything else, the Resource Groups Tagging API. Resources without a
``tags`` attribute are reported as "cannot carry tags". No cdktf import.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

TagReader = Callable[[Any, dict[str, Any]], dict[str, str]]


def _pairs(items: list[dict[str, str]], key: str = "Key", value: str = "Value") -> dict[str, str]:
    return {item[key]: item[value] for item in items}


def _ecs(session: Any, values: dict[str, Any]) -> dict[str, str]:
    arn = values.get("arn") or values["id"]
    tags = session("ecs").list_tags_for_resource(resourceArn=arn)["tags"]
    return _pairs(tags, "key", "value")


def _log_group(session: Any, values: dict[str, Any]) -> dict[str, str]:
    return dict(session("logs").list_tags_log_group(logGroupName=values["name"])["tags"])


def _iam_role(session: Any, values: dict[str, Any]) -> dict[str, str]:
    return _pairs(session("iam").list_role_tags(RoleName=values["name"])["Tags"])


def _iam_policy(session: Any, values: dict[str, Any]) -> dict[str, str]:
    return _pairs(session("iam").list_policy_tags(PolicyArn=values["arn"])["Tags"])


def _ec2(session: Any, values: dict[str, Any]) -> dict[str, str]:
    found = session("ec2").describe_tags(Filters=[{"Name": "resource-id", "Values": [values["id"]]}])["Tags"]
    return _pairs(found)


def _scheduler(session: Any, values: dict[str, Any]) -> dict[str, str]:
    return _pairs(session("scheduler").list_tags_for_resource(ResourceArn=values["arn"])["Tags"])


def _sqs_queue(session: Any, values: dict[str, Any]) -> dict[str, str]:
    # The queue's id in state is its URL; a queue without tags has no "Tags" key in the answer.
    return dict(session("sqs").list_queue_tags(QueueUrl=values.get("url") or values["id"]).get("Tags", {}))


def _appautoscaling(session: Any, values: dict[str, Any]) -> dict[str, str]:
    return dict(session("application-autoscaling").list_tags_for_resource(ResourceARN=values["arn"])["Tags"])


def _elbv2(session: Any, values: dict[str, Any]) -> dict[str, str]:
    # Load balancers, target groups and listeners: their id in state is their ARN.
    arn = values.get("arn") or values["id"]
    (found,) = session("elbv2").describe_tags(ResourceArns=[arn])["TagDescriptions"]
    return _pairs(found["Tags"])


def _state_machine(session: Any, values: dict[str, Any]) -> dict[str, str]:
    tags = session("stepfunctions").list_tags_for_resource(resourceArn=values["arn"])["tags"]
    return _pairs(tags, "key", "value")


def _tagging_api(session: Any, values: dict[str, Any]) -> dict[str, str]:
    mappings = session("resourcegroupstaggingapi").get_resources(ResourceARNList=[values["arn"]])
    found = mappings["ResourceTagMappingList"]
    return _pairs(found[0]["Tags"]) if found else {}


READERS: dict[str, TagReader] = {
    "aws_ecs_cluster": _ecs,
    "aws_ecs_service": _ecs,
    "aws_ecs_task_definition": _ecs,
    "aws_cloudwatch_log_group": _log_group,
    "aws_iam_role": _iam_role,
    "aws_iam_policy": _iam_policy,
    "aws_security_group": _ec2,
    "aws_vpc_security_group_egress_rule": _ec2,
    "aws_vpc_security_group_ingress_rule": _ec2,
    "aws_scheduler_schedule_group": _scheduler,
    "aws_appautoscaling_target": _appautoscaling,
    "aws_sqs_queue": _sqs_queue,
    "aws_lb": _elbv2,
    "aws_lb_target_group": _elbv2,
    "aws_lb_listener": _elbv2,
    "aws_sfn_state_machine": _state_machine,
}


@dataclass
class ResourceTags:
    """Tag check of one deployed resource."""

    address: str
    type: str
    taggable: bool
    actual: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    wrong: dict[str, tuple[str | None, str]] = field(default_factory=dict)  # key -> (actual, expected)

    @property
    def ok(self) -> bool:
        return not self.taggable or (not self.missing and not self.wrong)

    def summary(self) -> str:
        if not self.taggable:
            return "cannot carry tags"
        if self.ok:
            return f"ok ({len(self.actual)} tags)"
        parts = []
        if self.missing:
            parts.append("missing " + ", ".join(self.missing))
        for key, (actual, expected) in sorted(self.wrong.items()):
            parts.append(f"{key}={actual!r} (expected {expected!r})")
        return "; ".join(parts)


def managed_resources(state: dict[str, Any]) -> list[dict[str, Any]]:
    """Managed resources of ``terraform show -json`` output (root and child modules)."""
    out: list[dict[str, Any]] = []

    def walk(module: dict[str, Any]) -> None:
        out.extend(r for r in module.get("resources", []) if r.get("mode") == "managed")
        for child in module.get("child_modules", []):
            walk(child)

    walk(state.get("values", {}).get("root_module", {}))
    return sorted(out, key=lambda r: r["address"])


def check_resources(
    resources: list[dict[str, Any]], expected: dict[str, str], client: Callable[[str], Any]
) -> list[ResourceTags]:
    """Compare every taggable resource's cloud tags with ``expected`` (plus its own explicit tags)."""
    results = []
    for resource in resources:
        values = resource.get("values") or {}
        taggable = "tags" in values
        result = ResourceTags(resource["address"], resource["type"], taggable)
        if taggable:
            reader = READERS.get(resource["type"], _tagging_api)
            result.actual = reader(client, values)
            want = {**expected, **(values.get("tags") or {})}
            for key, value in sorted(want.items()):
                if key not in result.actual:
                    result.missing.append(key)
                elif result.actual[key] != value:
                    result.wrong[key] = (result.actual[key], value)
        results.append(result)
    return results
