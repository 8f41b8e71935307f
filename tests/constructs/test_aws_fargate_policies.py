"""Every IAM policy document an AWS stack creates passes ``parliament`` (the IAM policy linter), with
its community auditors (privilege escalation, credentials exposure, permissions management ...).

What is linted is what AWS receives, read from the synthesized ``cdk.tf.json`` (so a new role or
policy is linted as soon as the construct creates it): every ``policy`` / ``assume_role_policy`` /
``inline_policy`` of an ``aws_*`` resource. Terraform fills in two things before AWS sees them:

* **References** (``${aws_iam_role.x.arn}``, ``${data.aws_partition.x.partition}`` ...) become the
  values Terraform would put there: realistic ARNs built from the referenced resource's own name in
  the stack, account :data:`ACCOUNT`, the stack's region (:data:`PLACEHOLDERS`). A reference the
  table does not know fails the test: teach the table its ARN format rather than let it pass unlinted.
* **Escapes**: job text is written ``$${`` / ``%%{`` in the JSON; Terraform hands AWS ``${`` / ``%{``.

A trust policy (``assume_role_policy``) is the resource policy of its role, and AWS forbids a
``Resource`` element in it; parliament expects one and would stop at "neither Resource nor
NotResource" before checking actions and conditions. The test adds the role's own ARN as the
``Resource`` (what the statement protects), so the action and every condition key are checked too.

Findings are allowed only when :data:`SUPPRESSED` names them with their reason. Examples are linted
in the fast subset (the session's example synth is reused; parliament takes milliseconds a policy);
drawn jobs (tests/jobgen.py, AWS only) are synthesized for it and run with the slow tests.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from dativo_infra.contract import RuntimeType
from tests.jobgen import jobs
from tests.terraform_text import unliteral

#: The account id of every placeholder ARN.
ACCOUNT = "123456789012"
#: A KMS key id for placeholder key ARNs.
KEY_ID = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
#: ``(type, attribute)`` of a referenced resource or data source -> the value Terraform fills in,
#: formatted with ``partition``, ``region``, ``account`` and ``name`` (the referenced block's own
#: ``name`` / ``family`` / ``cluster_name``, else its logical id).
PLACEHOLDERS: dict[tuple[str, str], str] = {
    ("aws_partition", "partition"): "{partition}",
    ("aws_caller_identity", "account_id"): "{account}",
    ("aws_region", "name"): "{region}",
    ("aws_region", "region"): "{region}",
    ("aws_iam_role", "arn"): "arn:{partition}:iam::{account}:role/{name}",
    ("aws_ecs_cluster", "arn"): "arn:{partition}:ecs:{region}:{account}:cluster/{name}",
    ("aws_ecs_cluster", "id"): "arn:{partition}:ecs:{region}:{account}:cluster/{name}",
    ("aws_ecs_cluster", "name"): "{name}",
    ("aws_ecs_task_definition", "arn"): "arn:{partition}:ecs:{region}:{account}:task-definition/{name}:1",
    ("aws_ecs_task_definition", "arn_without_revision"): (
        "arn:{partition}:ecs:{region}:{account}:task-definition/{name}"
    ),
    ("aws_ecs_service", "id"): "arn:{partition}:ecs:{region}:{account}:service/dativo/{name}",
    ("aws_sqs_queue", "arn"): "arn:{partition}:sqs:{region}:{account}:{name}",
    ("aws_sfn_state_machine", "arn"): "arn:{partition}:states:{region}:{account}:stateMachine:{name}",
    ("aws_sfn_state_machine", "id"): "arn:{partition}:states:{region}:{account}:stateMachine:{name}",
    ("aws_scheduler_schedule", "arn"): "arn:{partition}:scheduler:{region}:{account}:schedule/default/{name}",
    ("aws_kms_key", "arn"): "arn:{partition}:kms:{region}:{account}:key/" + KEY_ID,
    ("aws_cloudwatch_log_group", "arn"): "arn:{partition}:logs:{region}:{account}:log-group:{name}",
    (
        "aws_lb",
        "arn",
    ): "arn:{partition}:elasticloadbalancing:{region}:{account}:loadbalancer/app/{name}/0a1b2c3d4e5f6a7b",
    ("aws_lb_target_group", "arn"): (
        "arn:{partition}:elasticloadbalancing:{region}:{account}:targetgroup/{name}/0a1b2c3d4e5f6a7b"
    ),
    ("aws_cloudwatch_event_rule", "arn"): "arn:{partition}:events:{region}:{account}:rule/{name}",
}
#: The findings allowed, each with its reason, and nothing else:
#: ``(issue, policy attribute, action as parliament reports it) -> reason``.
SUPPRESSED: dict[tuple[str, str, str], str] = {
    ("CREDENTIALS_EXPOSURE", "assume_role_policy", "sts:assumerole"): (
        "a trust policy lets the role's own service principal (ecs-tasks, scheduler ...) assume the role:"
        " that is what the role is for; the auditor is written for identity policies"
    ),
    ("PERMISSIONS_MANAGEMENT_ACTIONS", "policy", "iam:passrole"): (
        "the state machine must pass the task's two roles to ECS to start it; the statement names exactly"
        " those role ARNs and is conditioned on iam:PassedToService = ecs-tasks.amazonaws.com"
    ),
    ("PERMISSIONS_MANAGEMENT_ACTIONS", "policy", "logs:putresourcepolicy"): (
        "Step Functions' documented log delivery permissions (CloudWatch Logs sets the resource policy"
        " that lets the delivery write to /aws/vendedlogs/); these actions take no resource ARN"
    ),
}

#: A reference Terraform resolves (``${type.name.attr}`` or ``${data.type.name.attr}``), unescaped.
REFERENCE = re.compile(r"(?<![$])\$\{(data\.)?([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z_]+)\}")
#: Attributes holding an IAM policy document.
POLICY_ATTRIBUTES = ("policy", "assume_role_policy")


def _substitute(doc: dict[str, Any], text: str, depth: int = 0) -> str:
    """``text`` with every Terraform reference replaced by its placeholder value."""
    region = doc["provider"]["aws"][0]["region"]

    def value(match: re.Match[str]) -> str:
        data, kind, logical, attribute = match.groups()
        template = PLACEHOLDERS.get((kind, attribute))
        if template is None or depth > 3:
            pytest.fail(f"no placeholder for the reference {match.group(0)}: add its value to PLACEHOLDERS")
        block = doc["data" if data else "resource"][kind][logical]
        name = next((block[k] for k in ("name", "family", "cluster_name") if k in block), logical)
        name = _substitute(doc, name, depth + 1) if isinstance(name, str) else logical
        return template.format(partition="aws", region=region, account=ACCOUNT, name=name)

    replaced = REFERENCE.sub(value, text)
    left = re.findall(r"(?<![$%])[$%]\{[^}]*\}?", replaced)
    assert not left, f"Terraform would evaluate {left} in a policy: the test cannot tell what AWS receives"
    return replaced


def documents(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(where, policy as AWS receives it)`` for every IAM policy document of a synthesized stack."""
    for kind, blocks in sorted(doc.get("resource", {}).items()):
        if not kind.startswith("aws_"):
            continue
        for logical, body in sorted(blocks.items()):
            found = [(a, body[a]) for a in POLICY_ATTRIBUTES if isinstance(body.get(a), str)]
            found += [("inline_policy", p["policy"]) for p in body.get("inline_policy", []) if "policy" in p]
            for attribute, text in found:
                policy = json.loads(unliteral(_substitute(doc, text)))
                if attribute == "assume_role_policy":  # the role's resource policy: it protects the role
                    role = _substitute(doc, f"${{{kind}.{logical}.arn}}")
                    for statement in policy["Statement"]:
                        statement.setdefault("Resource", role)
                yield f"{kind}.{logical}.{attribute}", policy


def _parliament() -> Callable[[str], list[Any]]:
    import parliament
    from parliament import community_auditors

    overrides = Path(community_auditors.__file__).parent / "config_override.yaml"
    parliament.override_config(str(overrides))  # titles and severities of the community findings

    def lint(text: str) -> list[Any]:
        policy = parliament.analyze_policy_string(text, include_community_auditors=True)
        return [parliament.enhance_finding(f) for f in policy.findings]

    return lint


#: An S3 object ARN: IAM splits an ARN on its first five colons only, so an object key may hold ':'.
S3_OBJECT_ARN = re.compile(r"^(arn:[a-z-]+:s3:::[^/]+/)(.*)$", re.S)


def parliament_view(policy: dict[str, Any]) -> dict[str, Any]:
    """``policy`` with every ':' of an S3 object key written as '_' (a copy): parliament splits ARNs
    on every colon and reports a valid object ARN such as ``arn:aws:s3:::b/a:b/*`` as
    RESOURCE_MISMATCH; IAM matches it. Nothing else changes, so every other check still applies."""

    def view(resource: Any) -> Any:
        if isinstance(resource, list):
            return [view(r) for r in resource]
        match = S3_OBJECT_ARN.match(resource) if isinstance(resource, str) else None
        return match.group(1) + match.group(2).replace(":", "_") if match else resource

    statements = [
        {**st, **{k: view(st[k]) for k in ("Resource", "NotResource") if k in st}}
        for st in policy.get("Statement", [])
    ]
    return {**policy, "Statement": statements}


def test_parliament_view_hides_only_colons_of_s3_object_keys() -> None:
    policy = {"Statement": [{"Resource": ["arn:aws:s3:::b/a:b/*", "arn:aws:s3:::b", "arn:aws:sqs:r:1:q"]}]}
    assert parliament_view(policy)["Statement"][0]["Resource"] == [
        "arn:aws:s3:::b/a_b/*",
        "arn:aws:s3:::b",
        "arn:aws:sqs:r:1:q",
    ]


def findings(stacks: dict[str, dict[str, Any]]) -> tuple[int, list[str]]:
    """How many documents the stacks hold, and every finding not in :data:`SUPPRESSED`."""
    lint = _parliament()
    count, unsuppressed = 0, []
    for stack, doc in sorted(stacks.items()):
        for where, policy in documents(doc):
            count += 1
            attribute = where.rsplit(".", 1)[1]
            for finding in lint(json.dumps(parliament_view(policy))):
                location = finding.location if isinstance(finding.location, dict) else {}
                actions = location.get("actions") or [""]
                if not all((finding.issue, attribute, a) in SUPPRESSED for a in actions):
                    detail = json.dumps([finding.detail, actions], default=str)
                    unsuppressed.append(f"{stack}: {where}: {finding.issue} ({finding.title}): {detail}")
    return count, unsuppressed


def _aws(stacks: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n: d for n, d in stacks.items() if isinstance(d, dict) and "aws" in d.get("provider", {})}


def test_every_policy_of_the_aws_examples_passes_parliament(example_synth: dict[str, Any]) -> None:
    stacks = _aws(example_synth)
    count, unsuppressed = findings(stacks)
    assert unsuppressed == []
    assert len(stacks) >= 4 and count >= 3 * len(stacks)  # task + execution trust, task policy at least


def test_the_linted_document_is_what_aws_receives() -> None:
    """References become placeholder ARNs of the referenced resource, escapes are undone, and a
    trust policy gets its role as ``Resource``."""
    doc = {
        "provider": {"aws": [{"region": "eu-west-1"}]},
        "data": {"aws_partition": {"p": {}}},
        "resource": {
            "aws_iam_role": {
                "r": {
                    "name": "job-task",
                    "assume_role_policy": json.dumps(
                        {"Statement": [{"Action": "sts:AssumeRole", "Effect": "Allow"}]}
                    ),
                }
            },
            "aws_iam_role_policy": {
                "p": {
                    "policy": json.dumps(
                        {
                            "Statement": [
                                {"Resource": "arn:${data.aws_partition.p.partition}:s3:::b/$${x}*"},
                                {"Resource": "${aws_iam_role.r.arn}"},
                            ]
                        }
                    )
                }
            },
        },
    }
    found = dict(documents(doc))
    role = "arn:aws:iam::123456789012:role/job-task"
    assert found["aws_iam_role.r.assume_role_policy"]["Statement"][0]["Resource"] == role
    statements = found["aws_iam_role_policy.p.policy"]["Statement"]
    assert [s["Resource"] for s in statements] == ["arn:aws:s3:::b/${x}*", role]
    with pytest.raises(pytest.fail.Exception, match="no placeholder for the reference"):
        _substitute(doc, "${aws_unknown.x.arn}")
    wide = {"Statement": [{"Action": "s3:GetObject", "Effect": "Allow", "Resource": "*"}]}
    wide["Version"] = "2012-10-17"
    assert [f.issue for f in _parliament()(json.dumps(wide))] == ["RESOURCE_STAR"]  # the linter bites


@pytest.mark.slow
def test_every_policy_of_drawn_aws_jobs_passes_parliament(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Three apps of ten drawn AWS jobs (every option the generator knows: grants, secrets, keys,
    schedules, service mode ...), synthesized, every document linted."""
    from dativo_infra.config.loader import load_jobs
    from dativo_infra.synth import synth

    @settings(
        max_examples=3,
        deadline=None,
        database=None,
        # the same 30 jobs every run: a linter's false positive (like the object-key colon above) must
        # show up here, on a developer's machine, not at random in CI
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )
    @given(data=st.data())
    def batch(data: st.DataObject) -> None:
        directory = tmp_path_factory.mktemp("drawn-aws")
        for index in range(10):
            # drawn as AWS jobs (filtering jobs of every runtime threw away ~180 draws per example)
            job = data.draw(jobs(index, (RuntimeType.AWS_FARGATE,)), label=f"job {index}")
            (directory / f"job{index}.yaml").write_text(json.dumps(job, ensure_ascii=False), encoding="utf-8")
        loaded = load_jobs([str(directory)])
        stacks = synth(loaded, Path(directory) / "cdktf.out")
        count, unsuppressed = findings(_aws(stacks))
        assert unsuppressed == []
        # a trust policy at least for each role the stacks create (a given task or execution role has none)
        owned = sum(
            (j.config.runtime.existing.task_role_arn is None)
            + (j.config.runtime.existing.execution_role_arn is None)
            for j in loaded
        )
        assert count >= owned

    batch()


def test_exec_and_registry_statements_pass_parliament() -> None:
    """The documents of options no example may use: the ECS Exec channels (task role) and a private
    registry's credentials with SSM parameter names of the caller's account (execution role)."""
    from dativo_infra.constructs.aws_fargate_documents import (
        exec_statements,
        execution_secret_statements,
        policy_json,
    )

    registry = f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:ghcr/robot-AbCdEf"
    execution = execution_secret_statements(
        "aws", "eu-west-1", ["/team/db/password"], account=ACCOUNT, registry_secret_arn=registry
    )
    lint = _parliament()
    for document in (policy_json(exec_statements()), policy_json(execution)):
        assert [f.issue for f in lint(document)] == [], document


def test_every_policy_of_jobs_on_existing_infrastructure_passes_parliament(synthesize: Any) -> None:
    """Jobs with an existing cluster (name and ARN), given roles, given security groups and extra
    statements with conditions (tests/constructs/test_aws_fargate_platform.py): the scheduler's
    policy names the given cluster and roles, the task policy carries the job's statements."""
    from dativo_infra.config.settings import PlatformSettings
    from tests.constructs.test_aws_fargate_platform import JOBS

    stacks = synthesize(JOBS, PlatformSettings())[1]
    count, unsuppressed = findings(stacks)
    assert unsuppressed == []
    assert count >= 2 * len(stacks)
