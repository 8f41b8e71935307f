"""IAM rules for the statements a job adds to its task role (``permissions.statements``), stated once.

Pure Python, no cdktf: the AWS runtime model validates with these functions and the construct
(:mod:`dativo_infra.constructs.aws_fargate_documents`) refuses with them again before job text
becomes part of a policy. Every rule keeps job text literal and exact:

* **Actions** are ``service:Action`` (letters and digits): no ``*`` or ``?`` anywhere, so job text
  never becomes a wildcard action.
* **Resources** are well-formed ARNs of the ``aws``, ``aws-cn`` or ``aws-us-gov`` partition with no
  ``*``, ``?`` or ``${`` (policy variable), and no whitespace or control characters.
* **Conditions** use IAM's condition operators (:data:`CONDITION_OPERATORS`, their ``IfExists``
  variants and the ``ForAllValues:``/``ForAnyValue:`` set qualifiers), well-formed keys, and values
  without ``*``, ``?`` or ``${``.
* **Privilege escalation** is refused (:func:`escalation_refusal`) unless the platform settings name
  the action in ``aws.allowed_escalation_actions``: every action of access level "Permissions
  management" (the checked-in list :data:`PERMISSIONS_MANAGEMENT_FILE`, taken from parliament's IAM
  data), every ``iam:`` action that is not a read (``Get*``, ``List*``, ``Simulate*``,
  ``Generate*``: creating users, keys, login profiles, roles, passing roles ...), and the
  credential-minting ``sts:AssumeRole*``, ``sts:AssumeRoot`` and ``sts:GetFederationToken``.

IAM compares action names case-insensitively: so do these checks.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from functools import cache
from pathlib import Path

from dativo_infra.clouds import Refusal, has_control, has_wildcard, regions

#: The checked-in list of "Permissions management" actions (see its header for its source).
PERMISSIONS_MANAGEMENT_FILE = Path(__file__).with_name("aws_permissions_management.txt")
#: Partitions a resource ARN of a job may name.
PARTITIONS: tuple[str, ...] = ("aws", "aws-cn", "aws-us-gov")

#: IAM condition operators (the IAM JSON policy reference, "Condition operators"). Each but
#: ``Null`` also has an ``...IfExists`` form; each may carry a ``ForAllValues:``/``ForAnyValue:`` qualifier.
CONDITION_OPERATORS: tuple[str, ...] = (
    "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
    "StringLike", "StringNotLike",
    "NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
    "NumericGreaterThan", "NumericGreaterThanEquals",
    "DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan",
    "DateGreaterThanEquals",
    "Bool", "BinaryEquals", "IpAddress", "NotIpAddress",
    "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike",
    "Null",
)  # fmt: skip
SET_QUALIFIERS: tuple[str, ...] = ("ForAllValues:", "ForAnyValue:")
#: ``iam:`` actions that only read (every other ``iam:`` action changes identities or permissions).
IAM_READ_PREFIXES: tuple[str, ...] = ("get", "list", "simulate", "generate")
#: ``sts:`` actions that mint credentials of another identity (and any ``sts:AssumeRole...`` AWS adds).
STS_ESCALATION: tuple[str, ...] = (
    "sts:assumerole",
    "sts:assumerolewithsaml",
    "sts:assumerolewithwebidentity",
    "sts:assumeroot",
    "sts:getfederationtoken",
)

#: ``service:Action``; IAM reads both parts case-insensitively.
_ACTION_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*:[A-Za-z][A-Za-z0-9]*")
_SID_RE = re.compile(r"[A-Za-z0-9]{1,128}")
_SERVICE_RE = re.compile(r"[a-z0-9][a-z0-9-]*")
_REGION_RE = re.compile(r"[a-z]+(?:-[a-z]+)+-[0-9]{1,2}")
_ACCOUNT_RE = re.compile(r"[0-9]{12}|aws")
#: Condition keys: ``service:Name``, optionally ``/`` and a tag key or a sub-key (``aws:RequestTag/team``).
_CONDITION_KEY_RE = re.compile(r"[a-z0-9][a-z0-9-]*:[A-Za-z0-9][A-Za-z0-9_.-]*(?:/[A-Za-z0-9_.:/=+@ -]+)?")
#: A resource part of an ARN: printable, no whitespace.
_RESOURCE_PART_RE = re.compile(r"[!-~]+")

ACTION_EXPECTED = "an exact IAM action 'service:Action' such as 'dynamodb:PutItem' (no '*' or '?')"
RESOURCE_EXPECTED = (
    "an exact ARN arn:<aws|aws-cn|aws-us-gov>:<service>:<region or empty>:<12-digit account or empty>:"
    "<resource> such as 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders' (no '*', '?' or '${')"
)
SID_EXPECTED = "1-128 letters and digits, unique in the task role policy"
CONDITION_KEY_EXPECTED = (
    "a condition key such as 'aws:SourceVpc', 's3:prefix' or 'aws:ResourceTag/team' (no '*', '?' or '${')"
)
CONDITION_VALUE_EXPECTED = "an exact value (no '*', '?' or '${': no wildcard, no policy variable)"
ESCALATION_EXPECTED = (
    "an action that does not manage permissions or identities, or the action named in the platform "
    "setting aws.allowed_escalation_actions (jobs/platform.yaml)"
)


def operator_expected() -> str:
    return (
        "an IAM condition operator such as StringEquals, ArnLike, Bool, IpAddress, Null or "
        "StringEqualsIfExists (optionally prefixed ForAllValues: or ForAnyValue:)"
    )


@cache
def permissions_management_actions() -> frozenset[str]:
    """Every action of access level "Permissions management", lowercased (from the checked-in file)."""
    lines = PERMISSIONS_MANAGEMENT_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def action_refusal(action: str) -> Refusal | None:
    """Why ``action`` is not one exact IAM action, or None."""
    if has_wildcard(action):
        return Refusal("wildcards are not allowed: an action names one exact API call", ACTION_EXPECTED)
    if not _ACTION_RE.fullmatch(action):
        return Refusal("not an IAM action", ACTION_EXPECTED)
    return None


def escalation_reason(action: str) -> str | None:
    """Why ``action`` (a well-formed action) can escalate privileges, or None."""
    lowered = action.lower()
    service, _, name = lowered.partition(":")
    if lowered in permissions_management_actions():
        return "manages permissions (access level 'Permissions management'): a privilege escalation"
    if service == "iam" and not name.startswith(IAM_READ_PREFIXES):
        return "changes IAM identities or passes roles: a privilege escalation"
    if lowered in STS_ESCALATION or lowered.startswith("sts:assumerole"):
        return "obtains another identity's credentials: a privilege escalation"
    return None


def escalation_refusal(action: str, allowed: Collection[str] = ()) -> Refusal | None:
    """Why the job may not have ``action`` (a well-formed action), or None: an escalation the
    platform's ``allowed`` actions (any case) do not name."""
    reason = escalation_reason(action)
    if reason is None or action.lower() in {a.lower() for a in allowed}:
        return None
    return Refusal(reason, ESCALATION_EXPECTED)


def resource_refusal(arn: str) -> Refusal | None:
    """Why ``arn`` is not one exact, well-formed resource ARN, or None."""
    if has_wildcard(arn):
        return Refusal(
            "wildcards are not allowed: '*', '?' and '${...}' would widen the grant", RESOURCE_EXPECTED
        )
    if has_control(arn) or any(c.isspace() for c in arn):
        return Refusal("an ARN holds no whitespace or control characters", RESOURCE_EXPECTED)
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return Refusal("not an ARN (arn:partition:service:region:account:resource)", RESOURCE_EXPECTED)
    _, partition, service, region, account, resource = parts
    if partition not in PARTITIONS:
        return Refusal(f"unknown AWS partition {partition!r}", RESOURCE_EXPECTED)
    if not _SERVICE_RE.fullmatch(service):
        return Refusal(f"not an AWS service name: {service!r}", RESOURCE_EXPECTED)
    if region and not _REGION_RE.fullmatch(region):
        return Refusal(f"not an AWS region: {region!r}", RESOURCE_EXPECTED)
    known = regions.aws_partitions().get(partition)
    if region and known and region not in known:
        return Refusal(f"{region!r} is not a region of the AWS partition {partition!r}", RESOURCE_EXPECTED)
    if account and not _ACCOUNT_RE.fullmatch(account):
        return Refusal(f"not an AWS account id: {account!r}", RESOURCE_EXPECTED)
    if not _RESOURCE_PART_RE.fullmatch(resource):
        return Refusal("the ARN names no resource", RESOURCE_EXPECTED)
    return None


def sid_refusal(sid: str) -> Refusal | None:
    """Why ``sid`` is no statement id, or None."""
    return None if _SID_RE.fullmatch(sid) else Refusal("not a statement id", SID_EXPECTED)


def operator_refusal(operator: str) -> Refusal | None:
    """Why ``operator`` is no IAM condition operator, or None."""
    name = operator
    for qualifier in SET_QUALIFIERS:
        name = name.removeprefix(qualifier)
    base = name.removesuffix("IfExists")
    if base in CONDITION_OPERATORS and not (base == "Null" and name != base):
        return None
    return Refusal("not an IAM condition operator", operator_expected())


def condition_key_refusal(key: str) -> Refusal | None:
    """Why ``key`` is no condition key, or None."""
    if has_wildcard(key):
        return Refusal("wildcards and policy variables are not allowed", CONDITION_KEY_EXPECTED)
    return (
        None if _CONDITION_KEY_RE.fullmatch(key) else Refusal("not a condition key", CONDITION_KEY_EXPECTED)
    )


def condition_value_refusal(value: str) -> Refusal | None:
    """Why ``value`` cannot be a condition value, or None."""
    if has_wildcard(value):
        return Refusal("wildcards and policy variables are not allowed", CONDITION_VALUE_EXPECTED)
    if has_control(value):
        return Refusal("a condition value holds no control characters", CONDITION_VALUE_EXPECTED)
    return None


#: One condition value as a job writes it (YAML may type ``true`` or ``5``).
ConditionValue = str | bool | int
#: A condition block as a job writes it: operator -> key -> value or values.
Conditions = Mapping[str, Mapping[str, ConditionValue | Sequence[ConditionValue]]]
#: Statement ids the platform writes into the task role policy itself (a job's sid may not take one).
RESERVED_SID_RE = re.compile(
    r"(?:S3List|S3Objects|JobStatement)[0-9]+|ReadSecrets|DecryptWithKeys|EcsExecChannels"
)


def condition_value_text(value: ConditionValue) -> str:
    """A condition value as IAM receives it: a string (booleans ``"true"``/``"false"``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def condition_values(value: ConditionValue | Sequence[ConditionValue]) -> list[str]:
    """The values of one condition key as IAM receives them."""
    items = [value] if isinstance(value, str | bool | int) else list(value)
    return [condition_value_text(item) for item in items]


def statement_refusals(
    actions: Sequence[str],
    resources: Sequence[str],
    conditions: Conditions,
    *,
    sid: str | None = None,
    allowed_escalation: Collection[str] = (),
) -> list[tuple[tuple[str | int, ...], str, Refusal]]:
    """Every rule one statement breaks: ``(where in the statement, the bad value, refusal)``."""
    found: list[tuple[tuple[str | int, ...], str, Refusal]] = []
    if sid is not None and (refusal := sid_refusal(sid)):
        found.append((("sid",), sid, refusal))
    elif sid is not None and RESERVED_SID_RE.fullmatch(sid):
        found.append((("sid",), sid, Refusal("a statement id the platform writes itself", SID_EXPECTED)))
    for index, action in enumerate(actions):
        refusal = action_refusal(action) or escalation_refusal(action, allowed_escalation)
        if refusal is not None:
            found.append((("actions", index), action, refusal))
    for index, arn in enumerate(resources):
        if (refusal := resource_refusal(arn)) is not None:
            found.append((("resources", index), arn, refusal))
    for operator, block in conditions.items():
        if (refusal := operator_refusal(operator)) is not None:
            found.append((("conditions", operator), operator, refusal))
        if not block:
            found.append((("conditions", operator), operator, Refusal("no condition key", "key: value")))
        for key, value in block.items():
            where: tuple[str | int, ...] = ("conditions", operator, key)
            if (refusal := condition_key_refusal(key)) is not None:
                found.append((where, key, refusal))
            single = isinstance(value, str | bool | int)
            for position, text in enumerate(condition_values(value)):
                if (refusal := condition_value_refusal(text)) is not None:
                    found.append((where if single else (*where, position), text, refusal))
    return found
