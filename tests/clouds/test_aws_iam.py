"""IAM rules of a job's extra statements (:mod:`dativo_infra.clouds.aws_iam`): exact actions, exact
ARNs, condition operators and keys, privilege escalation; the checked-in "Permissions management"
list equals parliament's IAM data. Property tests: no text holding a wildcard or a policy variable
ever passes, and every statement the rules accept is clean for parliament (the IAM linter).
"""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dativo_infra.clouds import aws_iam
from dativo_infra.constructs.aws_fargate_documents import job_statements, policy_json, task_statements

ACCOUNT = "123456789012"
REGION = "eu-west-1"


def parliament_data() -> list[dict[str, Any]]:
    return json.loads((files("parliament") / "iam_definition.json").read_text(encoding="utf-8"))


def test_the_permissions_management_list_is_parliaments() -> None:
    """The checked-in list is exactly parliament's "Permissions management" actions; its header names
    the source and the version. A new parliament release: write the list below into the file."""
    from importlib.metadata import version

    expected = sorted(
        {
            f"{service['prefix']}:{privilege['privilege']}"
            for service in parliament_data()
            for privilege in service["privileges"]
            if privilege["access_level"] == "Permissions management"
        },
        key=str.lower,
    )
    text = aws_iam.PERMISSIONS_MANAGEMENT_FILE.read_text(encoding="utf-8")
    assert [line for line in text.splitlines() if not line.startswith("#")] == expected
    assert f"parliament {version('parliament')}, parliament/iam_definition.json" in text.splitlines()[1]
    assert "iam:putrolepolicy" in aws_iam.permissions_management_actions()


@pytest.mark.parametrize(
    "action", ["dynamodb:PutItem", "glue:GetTable", "s3:GetObject", "IAM:GetRole", "sts:GetCallerIdentity"]
)
def test_exact_actions_pass(action: str) -> None:
    assert aws_iam.action_refusal(action) is None
    assert aws_iam.escalation_refusal(action) is None


@pytest.mark.parametrize(
    ("action", "problem"),
    [("*", "wildcards"), ("s3:*", "wildcards"), ("s3:Get*", "wildcards"), ("s3:GetObjec?", "wildcards"),
     ("s3:${x}", "wildcards"), ("PutItem", "not an IAM action"), ("dynamodb:", "not an IAM action"),
     ("dynamodb:Put Item", "not an IAM action"), ("dynamodb::PutItem", "not an IAM action"),
     ("dynamodb:PutItem\n", "not an IAM action")],
)  # fmt: skip
def test_malformed_actions_are_refused(action: str, problem: str) -> None:
    refusal = aws_iam.action_refusal(action)
    assert refusal is not None and problem in refusal.problem


@pytest.mark.parametrize(
    "action",
    ["iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:CreatePolicyVersion", "iam:PassRole", "iam:CreateUser",
     "iam:CreateAccessKey", "iam:UpdateLoginProfile", "iam:AddUserToGroup", "iam:TagRole", "sts:AssumeRole",
     "STS:assumerolewithsaml", "sts:GetFederationToken", "s3:PutBucketPolicy", "kms:CreateGrant",
     "ec2:ModifySnapshotAttribute", "lambda:AddPermission"],
)  # fmt: skip
def test_escalations_are_refused_unless_allowed(action: str) -> None:
    refusal = aws_iam.escalation_refusal(action)
    assert refusal is not None and "privilege escalation" in refusal.problem
    assert "aws.allowed_escalation_actions" in refusal.expected
    assert aws_iam.escalation_refusal(action, [action.upper()]) is None
    assert aws_iam.escalation_refusal(action, ["s3:GetObject"]) is not None


@pytest.mark.parametrize(
    "arn",
    [f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/orders", "arn:aws:s3:::lake-raw/a:b/c.json",
     f"arn:aws-cn:sqs:cn-north-1:{ACCOUNT}:queue", f"arn:aws-us-gov:sns:us-gov-west-1:{ACCOUNT}:t",
     f"arn:aws:iam::{ACCOUNT}:role/x", f"arn:aws:glue:{REGION}:{ACCOUNT}:table/db/t",
     "arn:aws:iam::aws:policy/ReadOnlyAccess"],
)  # fmt: skip
def test_exact_arns_pass(arn: str) -> None:
    assert aws_iam.resource_refusal(arn) is None


@pytest.mark.parametrize(
    ("arn", "problem"),
    [("*", "wildcards"), (f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/*", "wildcards"),
     ("arn:aws:s3:::bucket/${aws:username}/x", "wildcards"), ("arn:aws:s3:::b?", "wildcards"),
     ("arn:azure:s3:::b", "unknown AWS partition"), ("arn:aws:S3:::b", "not an AWS service name"),
     (f"arn:aws:dynamodb:mars-1:{ACCOUNT}:table/x", "not an AWS region"),
     (f"arn:aws:dynamodb:mars-north-1:{ACCOUNT}:table/x", "not a region of the AWS partition"),
     (f"arn:aws:dynamodb:{REGION}:1234:table/x", "not an AWS account id"),
     (f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:", "names no resource"),
     (f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/a b", "whitespace"),
     ("orders", "not an ARN"), ("arn:aws:s3", "not an ARN")],
)  # fmt: skip
def test_malformed_arns_are_refused(arn: str, problem: str) -> None:
    refusal = aws_iam.resource_refusal(arn)
    assert refusal is not None and problem in refusal.problem


@pytest.mark.parametrize(
    "operator",
    ["StringEquals", "StringLikeIfExists", "ArnLike", "Bool", "Null", "IpAddress", "NumericLessThanEquals",
     "DateGreaterThanIfExists", "ForAnyValue:StringEquals", "ForAllValues:StringLike", "BinaryEquals"],
)  # fmt: skip
def test_condition_operators(operator: str) -> None:
    assert aws_iam.operator_refusal(operator) is None


@pytest.mark.parametrize(
    "operator", ["StringEqual", "NullIfExists", "stringequals", "ForAll:StringEquals", "", "Bool*"]
)
def test_unknown_condition_operators_are_refused(operator: str) -> None:
    assert aws_iam.operator_refusal(operator) is not None


def test_condition_keys_and_values() -> None:
    for key in (
        "aws:SourceVpc",
        "s3:prefix",
        "aws:RequestTag/team",
        "aws:PrincipalTag/cost-center",
        "ecs:cluster",
    ):
        assert aws_iam.condition_key_refusal(key) is None, key
    for key in ("SourceVpc", "aws:Request*", "aws:PrincipalTag/${aws:username}", "aws:", ":x"):
        assert aws_iam.condition_key_refusal(key) is not None, key
    assert aws_iam.condition_value_refusal("vpc-0123") is None
    for value in ("vpc-*", "a?", "${aws:username}", "x\x00"):
        assert aws_iam.condition_value_refusal(value) is not None, value
    assert aws_iam.condition_values(True) == ["true"] and aws_iam.condition_values([5, "a"]) == ["5", "a"]


def test_reserved_statement_ids_cover_what_the_platform_writes() -> None:
    grant = type("Grant", (), {"bucket": "lake", "access": "read", "prefix": "p/"})()
    written = task_statements("aws", [grant], [f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:s"], [])
    written += job_statements([_Statement(["s3:GetObject"], ["arn:aws:s3:::lake/x"])])
    assert all(aws_iam.RESERVED_SID_RE.fullmatch(s["Sid"]) for s in written)


class _Statement:
    def __init__(
        self,
        actions: list[str],
        resources: list[str],
        conditions: dict[str, Any] | None = None,
        sid: str | None = None,
    ) -> None:
        self.actions, self.resources, self.conditions, self.sid = actions, resources, conditions or {}, sid


def test_job_statements_refuse_what_validation_refuses() -> None:
    with pytest.raises(ValueError, match="wildcards"):
        job_statements([_Statement(["s3:GetObject"], ["arn:aws:s3:::lake/*"])])
    with pytest.raises(ValueError, match="not an IAM condition operator"):
        job_statements(
            [_Statement(["s3:GetObject"], ["arn:aws:s3:::lake/x"], {"Like": {"aws:SourceVpc": "v"}})]
        )
    # escalation is judged by validation with the platform's settings, not here
    assert job_statements([_Statement(["iam:PassRole"], [f"arn:aws:iam::{ACCOUNT}:role/x"])])


# --- properties ----------------------------------------------------------------------------------

WILD = st.sampled_from(["*", "?", "${aws:username}", "${x}"])


@given(text=st.text(max_size=40), wild=WILD, at=st.integers(min_value=0, max_value=40))
def test_no_wildcard_ever_passes(text: str, wild: str, at: int) -> None:
    """Whatever surrounds it, a '*', '?' or '${' is refused in an action, a resource, a condition key
    and a condition value, and in a whole statement."""
    value = text[:at] + wild + text[at:]
    assert aws_iam.action_refusal(value) is not None
    assert aws_iam.resource_refusal(value) is not None
    assert aws_iam.condition_key_refusal(value) is not None
    assert aws_iam.condition_value_refusal(value) is not None
    assert aws_iam.statement_refusals([value], [value], {}) != []


NAMES = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,15}", fullmatch=True)
#: ``(actions of one resource type, ARN templates separated by spaces: resources that go together)``, from
#: AWS's Service Authorization Reference.
VOCABULARY: list[tuple[list[str], str]] = [
    (["dynamodb:PutItem", "dynamodb:BatchWriteItem", "dynamodb:GetItem", "dynamodb:Query"],
     "arn:aws:dynamodb:{region}:{account}:table/{name}"),
    # Glue authorizes a table read on the catalog, the database and the table: all three, always
    (["glue:GetTable", "glue:GetPartitions"],
     "arn:aws:glue:{region}:{account}:catalog arn:aws:glue:{region}:{account}:database/{name} "
     "arn:aws:glue:{region}:{account}:table/{name}/{other}"),
    (["sqs:SendMessage", "sqs:ReceiveMessage"], "arn:aws:sqs:{region}:{account}:{name}"),
    (["sns:Publish"], "arn:aws:sns:{region}:{account}:{name}"),
    (["kinesis:PutRecord", "kinesis:PutRecords"], "arn:aws:kinesis:{region}:{account}:stream/{name}"),
    (["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::{lower}/{other}"),
    (["lambda:InvokeFunction"], "arn:aws:lambda:{region}:{account}:function:{name}"),
    (["states:StartExecution"], "arn:aws:states:{region}:{account}:stateMachine:{name}"),
    (["firehose:PutRecord", "firehose:PutRecordBatch"], "arn:aws:firehose:{region}:{account}:deliverystream/{name}"),
]  # fmt: skip
#: ``(operator, key, value strategy)`` whose types agree (parliament checks operator against key type).
CONDITIONS: list[tuple[str, str, st.SearchStrategy[Any]]] = [
    ("StringEquals", "aws:SourceVpc", st.just("vpc-0123456789abcdef0")),
    ("StringEqualsIfExists", "aws:PrincipalTag/team", NAMES),
    ("StringNotEquals", "aws:RequestedRegion", st.lists(st.just(REGION), min_size=1, max_size=1)),
    ("Bool", "aws:SecureTransport", st.booleans()),
    ("IpAddress", "aws:SourceIp", st.sampled_from(["10.0.0.0/8", "192.0.2.0/24"])),
    ("DateLessThan", "aws:CurrentTime", st.just("2030-01-01T00:00:00Z")),
    ("Null", "aws:SourceVpc", st.sampled_from(["true", "false"])),
    ("ArnEquals", "aws:PrincipalArn", st.just(f"arn:aws:iam::{ACCOUNT}:role/orders")),
]


@st.composite
def statements(draw: st.DrawFn) -> _Statement:
    actions, template = draw(st.sampled_from(VOCABULARY))
    chosen = draw(st.lists(st.sampled_from(actions), min_size=1, max_size=len(actions), unique=True))
    resources = [
        arn
        for _ in range(draw(st.integers(min_value=1, max_value=3)))
        for arn in template.format(
            region=REGION,
            account=ACCOUNT,
            name=draw(NAMES),
            other=draw(NAMES),
            lower=draw(st.from_regex(r"[a-z0-9][a-z0-9-]{2,20}[a-z0-9]", fullmatch=True)),
        ).split()
    ]
    conditions: dict[str, dict[str, Any]] = {}
    for operator, key, values in draw(
        st.lists(st.sampled_from(CONDITIONS), max_size=3, unique_by=lambda c: c[0])
    ):
        conditions[operator] = {key: draw(values)}
    sid = draw(st.none() | st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,20}", fullmatch=True))
    return _Statement(chosen, sorted(set(resources)), conditions, sid)


def _mutate(draw: st.DrawFn, statement: _Statement) -> _Statement:
    """The statement with a wildcard or a policy variable put into one of its texts."""
    wild = draw(WILD)
    field = draw(
        st.sampled_from(
            ["actions", "resources", "conditions"] if statement.conditions else ["actions", "resources"]
        )
    )
    if field == "conditions":
        operator = next(iter(statement.conditions))
        key = next(iter(statement.conditions[operator]))
        return _Statement(
            statement.actions, statement.resources, {operator: {key: "x" + wild}}, statement.sid
        )
    values = list(getattr(statement, field))
    values[0] = values[0] + wild
    return _Statement(
        values if field == "actions" else statement.actions,
        values if field == "resources" else statement.resources,
        statement.conditions,
        statement.sid,
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_accepted_statement_is_clean_for_parliament(data: st.DataObject) -> None:
    import parliament

    statement = data.draw(statements())
    mutated = data.draw(st.booleans())
    if mutated:
        statement = _mutate(data.draw, statement)
    refusals = aws_iam.statement_refusals(
        statement.actions, statement.resources, statement.conditions, sid=statement.sid
    )
    if mutated:
        assert refusals, "a wildcard or a policy variable passed"
        return
    assert refusals == []
    document = policy_json(job_statements([statement]))
    findings = parliament.analyze_policy_string(document, include_community_auditors=True).findings
    assert [f.issue for f in findings] == [], document


def test_parliament_sees_an_unconditioned_escalation() -> None:
    """The linter agrees with the escalation rule on what it flags (the rule refuses more)."""
    import parliament

    document = policy_json(
        job_statements([_Statement(["iam:PutRolePolicy"], [f"arn:aws:iam::{ACCOUNT}:role/x"])])
    )
    issues = {
        f.issue for f in parliament.analyze_policy_string(document, include_community_auditors=True).findings
    }
    assert "PERMISSIONS_MANAGEMENT_ACTIONS" in issues or "PRIVILEGE_ESCALATION" in issues
    assert aws_iam.escalation_refusal("iam:PutRolePolicy") is not None
