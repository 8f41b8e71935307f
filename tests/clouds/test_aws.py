"""AWS rules: Fargate sizes, resource names for any valid job, and the schedule conversion the
construct uses (the same function validation calls)."""

from __future__ import annotations

import ipaddress
import json
import re
from typing import Literal, NamedTuple

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from dativo_infra.clouds import WILDCARD_PROBLEM, Refusal, aws, unpinned_image
from dativo_infra.clouds.cron import CronError
from dativo_infra.constructs.aws_fargate_documents import (
    execution_secret_statements,
    policy_json,
    task_statements,
)
from dativo_infra.naming import stack_name
from tests.clouds.rules import job_names, tenants


@pytest.mark.parametrize(
    ("unix", "expression"),
    [
        ("15 2 * * *", "cron(15 2 * * ? *)"),
        ("0 3 * * 1-5", "cron(0 3 ? * 2-6 *)"),
        ("0 0 1 * *", "cron(0 0 1 * ? *)"),
        ("0 0 1,15 * ?", "cron(0 0 1,15 * ? *)"),
        ("*/15 */2 * * *", "cron(0/15 0/2 * * ? *)"),
        ("0 6 * * 0", "cron(0 6 ? * 1 *)"),
        ("0 6 * * 7", "cron(0 6 ? * 1 *)"),
        ("0 6 * * 6", "cron(0 6 ? * 7 *)"),
        ("0 6 * * 5-7", "cron(0 6 ? * 1,6,7 *)"),
        ("0 6 * * FRI-SUN", "cron(0 6 ? * 1,6,7 *)"),
        ("0 6 * * MON,wed,FRI", "cron(0 6 ? * 2,4,6 *)"),
        ("0 6 * * */2", "cron(0 6 ? * 1,3,5,7 *)"),
        ("0 6 * * 1-5/2", "cron(0 6 ? * 2,4,6 *)"),
        ("0 6 * * 0-6", "cron(0 6 ? * * *)"),
        ("0 6 * * 1#2", "cron(0 6 ? * 2#2 *)"),
        ("0 6 * * 5L", "cron(0 6 ? * 6L *)"),
        ("30 4 * 1-6 *", "cron(30 4 * 1-6 ? *)"),
    ],
)
def test_schedule_expression(unix: str, expression: str) -> None:
    aws.check_schedule(unix)  # what validation runs ...
    assert aws.schedule_expression(unix) == expression  # ... is what the construct builds with


@pytest.mark.parametrize(
    ("unix", "problem"),
    [
        ("0 0 1 * 1", "both day-of-month and day-of-week"),
        ("0 0 * * 8", "out of range"),
        ("0 0 * * 5-1", "day-of-week"),
        ("0 0 * * 1#2,3", "day-of-week"),
        ("0 0 * *", "not a 5-field"),
    ],
)
def test_schedules_aws_cannot_express_are_cron_errors(unix: str, problem: str) -> None:
    with pytest.raises(CronError, match=problem):
        aws.check_schedule(unix)


def test_fargate_sizes() -> None:
    assert aws.fargate_cpu_units(250) == 256 and aws.fargate_cpu_units(1000) == 1024
    assert aws.fargate_cpu_units(300) is None and aws.fargate_memory_choices(300) == ()
    assert aws.fargate_memory_choices(16000)[-1] == 122880
    assert aws.FARGATE_CPU_MILLICORES == (250, 500, 1000, 2000, 4000, 8000, 16000)


#: Every AWS name rule the runtime encodes: field -> (max length, alphabet).
AWS_RULES: dict[str, tuple[int, str]] = {
    "cluster": (255, r"[A-Za-z0-9_-]+"),
    "family": (255, r"[A-Za-z0-9_-]+"),
    "service": (255, r"[A-Za-z0-9_-]+"),
    "log_group": (512, r"[A-Za-z0-9_./#-]+"),
    "execution_role": (64, r"[A-Za-z0-9_+=,.@-]+"),
    "task_role": (64, r"[A-Za-z0-9_+=,.@-]+"),
    "scheduler_role": (64, r"[A-Za-z0-9_+=,.@-]+"),
    "security_group": (255, r"[A-Za-z0-9 ._:/()#,@\[\]+=&;{}!$*-]+"),
    "schedule": (64, r"[0-9A-Za-z_.-]+"),
    "dead_letter_queue": (80, r"[A-Za-z0-9_-]+"),
    # ALB names: no leading/trailing hyphen, not starting with internal- (checked in check_names)
    "load_balancer": (32, r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"),
    "load_balancer_security_group": (255, r"[A-Za-z0-9 ._:/()#,@\[\]+=&;{}!$*-]+"),
    # Step Functions: 1-80; with CloudWatch Logs logging only 0-9 A-Z a-z - _
    "state_machine": (80, r"[0-9A-Za-z_-]+"),
    "state_machine_role": (64, r"[\w+=,.@-]+"),
    "state_machine_log_group": (512, r"[\w./#-]+"),
}


def check_names(names: aws.AwsNames) -> None:
    for field, (max_len, alphabet) in AWS_RULES.items():
        value = getattr(names, field)
        assert 1 <= len(value) <= max_len, (field, value)
        assert re.fullmatch(alphabet, value), (field, value)
    assert not names.security_group.lower().startswith("sg-")
    assert not names.load_balancer_security_group.lower().startswith("sg-")
    assert names.load_balancer_security_group != names.security_group
    assert not names.load_balancer.lower().startswith("internal-")
    assert names.log_group.startswith("/dativo/")
    assert names.execution_role.endswith("-exec")
    assert names.task_role.endswith("-task")
    assert names.scheduler_role.endswith("-scheduler")
    assert names.state_machine_role.endswith("-sfn")
    assert names.state_machine_log_group.startswith("/aws/vendedlogs/states/")
    assert len({names.execution_role, names.task_role, names.scheduler_role, names.state_machine_role}) == 4
    assert names.dead_letter_queue.endswith("-dlq")


@settings(max_examples=300, deadline=None)
@given(tenant=tenants, job=job_names)
def test_names_respect_every_aws_rule(tenant: str, job: str) -> None:
    names = aws.resource_names(stack_name(tenant, job))
    check_names(names)
    assert names == aws.resource_names(stack_name(tenant, job))  # deterministic
    check_names(aws.resource_names(job))  # also for any raw name, not only stack names


@settings(max_examples=200, deadline=None)
@given(first=job_names, second=job_names)
def test_distinct_stacks_get_distinct_names(first: str, second: str) -> None:
    a, b = stack_name("acme", first), stack_name("acme", second)
    assume(a != b)
    names_a, names_b = aws.resource_names(a), aws.resource_names(b)
    for field in AWS_RULES:
        assert getattr(names_a, field) != getattr(names_b, field), field


def test_dead_letter_queue_name_is_cut_to_the_sqs_limit() -> None:
    assert aws.resource_names("acme-nightly-orders").dead_letter_queue == "acme-nightly-orders-dlq"
    long = aws.resource_names("acme-" + "x" * 120).dead_letter_queue
    assert len(long) == 80 and long.endswith("-dlq") and long.startswith("acme-xxx")


def test_load_balancer_names() -> None:
    names = aws.resource_names("acme-orders-cdc-stream")
    assert (names.load_balancer, names.load_balancer_security_group) == (
        "acme-orders-cdc-stream",
        "acme-orders-cdc-stream-alb",
    )
    # internal-<x> is the DNS prefix of internal load balancers: AWS refuses it as a name
    assert aws.resource_names("internal-tools-api").load_balancer == "job-internal-tools-api"
    assert aws.target_group_name("acme-orders-cdc-stream", 8080) == "acme-orders-cdc-stream-8080"
    long = aws.resource_names("acme-" + "x" * 60).load_balancer
    assert len(long) == 32 and long != aws.resource_names("acme-" + "x" * 61).load_balancer


@settings(max_examples=200, deadline=None)
@given(tenant=tenants, job=job_names, port=st.integers(1, 65535))
def test_target_group_names_fit_and_hold_the_port(tenant: str, job: str, port: int) -> None:
    name = aws.target_group_name(stack_name(tenant, job), port)
    assert len(name) <= 32 and re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?", name)
    assert name.endswith(f"-{port}")


def test_security_group_name_never_starts_with_reserved_prefix() -> None:
    names = aws.resource_names(stack_name("sg", "orders"))
    assert names.security_group == "job-sg-orders-tasks"
    assert names.cluster == "sg-orders"


@pytest.mark.parametrize(
    ("reference", "kind", "resource"),
    [
        (
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:a-AbCdEf",
            "secretsmanager",
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:a-AbCdEf",
        ),
        (
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:a-AbCdEf:key::",
            "secretsmanager",
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:a-AbCdEf",
        ),
        (
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:a-AbCdEf::AWSPREVIOUS:",
            "secretsmanager",
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:a-AbCdEf",
        ),
        (
            "arn:aws-cn:ssm:cn-north-1:123456789012:parameter/x",
            "ssm-arn",
            "arn:aws-cn:ssm:cn-north-1:123456789012:parameter/x",
        ),
        ("token", "ssm-name", "token"),
        ("/acme/db/password", "ssm-name", "/acme/db/password"),
    ],
)
def test_container_secret_references(reference: str, kind: str, resource: str) -> None:
    assert aws.container_secret(reference) == (kind, resource)


# ---------------------------------------------------------------------------------------------
# grant references: AWS's grammar, no wildcards, no policy variables
# ---------------------------------------------------------------------------------------------
ACCOUNT = "123456789012"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.mark.parametrize(
    "bucket",
    ["acme-raw", "a.b.c", "abc", "1-2", "x" * 63, "my.bucket-2024", "acme-123456789012-us-east-1-an"],
)
def test_bucket_names_aws_takes(bucket: str) -> None:
    assert aws.bucket_refusal(bucket) is None


@pytest.mark.parametrize(
    ("bucket", "problem"),
    [
        ("*", WILDCARD_PROBLEM),
        ("acme-?", WILDCARD_PROBLEM),
        ("acme-${aws:username}", WILDCARD_PROBLEM),
        ("ab", "not an S3 bucket name"),
        ("x" * 64, "not an S3 bucket name"),
        ("Acme-Raw", "not an S3 bucket name"),
        ("acme_raw", "not an S3 bucket name"),
        ("-acme", "not an S3 bucket name"),
        ("acme-", "not an S3 bucket name"),
        ("acme-raw\n", "not an S3 bucket name"),
        ("s3://acme-raw", "not an S3 bucket name"),
        ("acme/raw", "not an S3 bucket name"),
        ("acme..raw", "not an S3 bucket name (two adjacent dots)"),
        ("192.168.5.4", "not an S3 bucket name (formatted as an IP address)"),
        ("xn--acme", "not an S3 bucket name (the prefix 'xn--' is reserved)"),
        ("sthree-acme", "not an S3 bucket name (the prefix 'sthree-' is reserved)"),
        ("amzn-s3-demo-acme", "not an S3 bucket name (the prefix 'amzn-s3-demo-' is reserved)"),
        ("acme-s3alias", "not an S3 bucket name (the suffix '-s3alias' is reserved)"),
        ("acme--ol-s3", "not an S3 bucket name (the suffix '--ol-s3' is reserved)"),
        ("acme.mrap", "not an S3 bucket name (the suffix '.mrap' is reserved)"),
        ("acme--x-s3", "not an S3 bucket name (the suffix '--x-s3' is reserved)"),
        ("acme--table-s3", "not an S3 bucket name (the suffix '--table-s3' is reserved)"),
    ],
)
def test_bucket_names_aws_refuses(bucket: str, problem: str) -> None:
    assert aws.bucket_refusal(bucket) == Refusal(problem, aws.BUCKET_EXPECTED)


@pytest.mark.parametrize(
    ("prefix", "problem"),
    [
        ("", None),
        ("warehouse/raw/", None),
        ("raw", None),
        ("data=2024/é/", None),
        ("home/${aws:username}/", WILDCARD_PROBLEM),
        ("raw/*", WILDCARD_PROBLEM),
        ("raw/?", WILDCARD_PROBLEM),
        ("raw/\n", "a key prefix holds no control characters"),
        ("raw/\x00", "a key prefix holds no control characters"),
        ("/raw/", "a key prefix does not start with '/' (s3://bucket/a/ is the prefix 'a/')"),
        ("é" * 513, "longer than an S3 key (1024 bytes)"),
    ],
)
def test_prefixes(prefix: str, problem: str | None) -> None:
    refusal = aws.prefix_refusal(prefix)
    assert (refusal.problem if refusal else None) == problem


@pytest.mark.parametrize(
    ("arn", "problem"),
    [
        (f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:acme/stripe/api-key-AbCdEf", None),
        (f"arn:aws-us-gov:secretsmanager:us-gov-west-1:{ACCOUNT}:secret:a", None),
        (f"arn:aws-cn:secretsmanager:cn-north-1:{ACCOUNT}:secret:a+b=c.d@e_f", None),
        ("*", WILDCARD_PROBLEM),
        (f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:*", WILDCARD_PROBLEM),
        (f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:a-??????", WILDCARD_PROBLEM),
        (f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:${{aws:username}}", WILDCARD_PROBLEM),
        ("arn:aws:secretsmanager:us-east-1:1:secret:a", "not a Secrets Manager secret ARN"),
        (f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:a\n", "not a Secrets Manager secret ARN"),
        (f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:a:key::", "not a Secrets Manager secret ARN"),
        (f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/a", "not a Secrets Manager secret ARN"),
        ("acme/stripe/api-key", "not a Secrets Manager secret ARN"),
        (
            f"arn:aws:secretsmanager:mars-north-9:{ACCOUNT}:secret:a",
            "'mars-north-9' is not a region of the AWS partition 'aws'",
        ),
        (
            f"arn:aws-cn:secretsmanager:us-east-1:{ACCOUNT}:secret:a",
            "'us-east-1' is not a region of the AWS partition 'aws-cn'",
        ),
    ],
)
def test_secret_arns(arn: str, problem: str | None) -> None:
    refusal = aws.secret_arn_refusal(arn)
    assert (refusal.problem if refusal else None) == problem


@pytest.mark.parametrize(
    ("arn", "problem"),
    [
        (f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/{KEY_ID}", None),
        (f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/mrk-{'0123456789abcdef' * 2}", None),
        ("*", WILDCARD_PROBLEM),
        (f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/*", WILDCARD_PROBLEM),
        (
            f"arn:aws:kms:eu-west-1:{ACCOUNT}:alias/logs",
            "an alias ARN: IAM grants and CloudWatch Logs need the key's own ARN",
        ),
        (f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1", "not a KMS key ARN"),
        (KEY_ID, "not a KMS key ARN"),
        (f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/{KEY_ID}\n", "not a KMS key ARN"),
    ],
)
def test_kms_key_arns(arn: str, problem: str | None) -> None:
    refusal = aws.kms_key_refusal(arn)
    assert (refusal.problem if refusal else None) == problem


@pytest.mark.parametrize(
    ("reference", "problem"),
    [
        ("*", WILDCARD_PROBLEM),
        ("/acme/*", WILDCARD_PROBLEM),
        ("/acme/${aws:username}", WILDCARD_PROBLEM),
        (f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/*", WILDCARD_PROBLEM),
        ("acme db", "not an SSM parameter name (nor an ARN)"),
        ("acme/db", "not an SSM parameter name (nor an ARN)"),  # a hierarchy starts with '/'
        ("/acme//db", "not an SSM parameter name (nor an ARN)"),
        ("/acme/db\n", "not an SSM parameter name (nor an ARN)"),
        ("/" + "/".join("x" * 16), "not an SSM parameter name (nor an ARN)"),  # at most 15 levels
        (f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/a b", "not an SSM parameter ARN"),
        (f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:a:key", "not a Secrets Manager secret ARN"),
        (f"arn:aws:s3:::{ACCOUNT}", "not a Secrets Manager secret ARN or an SSM parameter ARN"),
        (
            f"arn:aws:ssm:cn-north-1:{ACCOUNT}:parameter/a",
            "'cn-north-1' is not a region of the AWS partition 'aws'",
        ),
    ],
)
def test_container_secrets_refused(reference: str, problem: str) -> None:
    assert aws.container_secret_refusal(reference) == Refusal(problem, aws.CONTAINER_SECRET_EXPECTED)
    with pytest.raises(ValueError, match="container secret"):
        aws.container_secret(reference)


@pytest.mark.parametrize(
    ("kind", "value", "ok"),
    [
        ("vpc", "vpc-0123456789abcdef0", True),
        ("vpc", "vpc-01234567", True),
        ("subnet", "subnet-0123456789abcdef0", True),
        ("sg", "sg-01234567", True),
        ("vpc", "vpc-123", False),
        ("vpc", "vpc-0123456789ABCDEF0", False),
        ("vpc", "vpc-0123456789abcdef0\n", False),
        ("subnet", "vpc-0123456789abcdef0", False),
        ("sg", "sg-*", False),
        ("sg", "sg-0123456789", False),
        ("pl", "pl-63a5400a", True),
        ("pl", "pl-0123456789abcdef0", True),
        ("pl", "pl-xyz", False),
        ("pl", "sg-63a5400a", False),
    ],
)
def test_network_ids(kind: str, value: str, ok: bool) -> None:
    assert (aws.network_id_refusal(kind, value) is None) is ok


# ---------------------------------------------------------------------------------------------
# networking: egress destinations, rule descriptions, the public IP default
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "version", "problem"),
    [
        ("0.0.0.0/0", 4, None),
        ("10.20.0.0/16", 4, None),
        ("10.0.0.2/32", 4, None),
        ("::/0", 6, None),
        ("2001:db8::/32", 6, None),
        ("10.0.0.1/8", 4, "host bits set: the network is 10.0.0.0/8"),
        ("2001:db8::1/32", 6, "host bits set: the network is 2001:db8::/32"),
        ("10.0.0.1", 4, "no prefix length"),
        ("10.0.0.0/33", 4, "not an IPv4 CIDR block"),
        ("10.0.0.0/8 ", 4, "not an IPv4 CIDR block"),
        ("*", 4, "no prefix length"),
        ("*/8", 4, "not an IPv4 CIDR block"),
        ("::/0", 4, "an IPv6 CIDR block where IPv4 is expected"),
        ("10.0.0.0/8", 6, "an IPv4 CIDR block where IPv6 is expected"),
    ],
)
def test_cidr_blocks(value: str, version: Literal[4, 6], problem: str | None) -> None:
    refusal = aws.cidr_refusal(value, version)
    if problem is None:
        assert refusal is None
    else:
        assert refusal is not None and problem in refusal.problem
        assert refusal.expected.startswith(f"an IPv{version} network in CIDR notation")


@given(st.ip_addresses(), st.integers(0, 128))
def test_a_network_address_is_accepted_and_any_other_address_names_its_network(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, length: int
) -> None:
    length = min(length, address.max_prefixlen)
    text = f"{address}/{length}"
    network = ipaddress.ip_network(text, strict=False)
    refusal = aws.cidr_refusal(text, address.version)  # type: ignore[arg-type]
    if network.network_address == address:
        assert refusal is None
    else:
        assert refusal is not None and refusal.problem.endswith(network.with_prefixlen)


@pytest.mark.parametrize(
    ("text", "ok"),
    [("", True), ("HTTPS to the registry (ghcr.io)", True), ("x" * 255, True), ("x" * 256, False),
     ("to ${var.x}", False), ("line\nbreak", False), ("café", False)],
)  # fmt: skip
def test_security_group_rule_descriptions(text: str, ok: bool) -> None:
    assert (aws.sg_description_refusal(text) is None) is ok


def test_public_ip_only_on_the_default_vpc_path() -> None:
    assert aws.default_public_ip(vpc_given=False, subnets_given=False) is True
    assert aws.default_public_ip(vpc_given=True, subnets_given=False) is False
    assert aws.default_public_ip(vpc_given=False, subnets_given=True) is False
    assert aws.default_public_ip(vpc_given=True, subnets_given=True) is False


@pytest.mark.parametrize(
    ("image", "problem"),
    [
        ("ghcr.io/dativo-io/dativo-ingest:1.8.2", None),
        ("ghcr.io/dativo-io/dativo-ingest@sha256:" + "a" * 64, None),
        ("ghcr.io/dativo-io/dativo-ingest:latest@sha256:" + "a" * 64, None),  # the digest pins it
        ("localhost:5000/ingest:2.0", None),
        ("ghcr.io/dativo-io/dativo-ingest:latest", "latest"),
        ("ghcr.io/dativo-io/dativo-ingest", "no tag"),
        ("localhost:5000/ingest", "no tag"),  # the registry's port is no tag
        ("ingest", "no tag"),
        ("ingest:Latest", None),  # tags are case-sensitive: another tag
    ],
)
def test_unpinned_images(image: str, problem: str | None) -> None:
    found = unpinned_image(image)
    assert (found is None) if problem is None else (found is not None and problem in found)


# ---------------------------------------------------------------------------------------------
# the IAM documents: no job text puts a wildcard or a policy variable into a grant
# ---------------------------------------------------------------------------------------------
_ANY_TEXT = st.text(st.sampled_from("ab1-./_:*?${}\n/é"), max_size=24)
_TOKENS = {"*", "?", "${"}


def _without_own_wildcards(document: str, prefix: str = "") -> str:
    """``document`` without what the builders write themselves around job text: the object wildcard
    after a prefix (resource and ``s3:prefix`` condition)."""
    written = json.dumps(prefix)[1:-1]  # as the JSON document writes it (non-ASCII escaped)
    return document.replace(f'{written}*"', f'{written}"')


class _Grant(NamedTuple):
    bucket: str
    access: str
    prefix: str


def _accepted(refusal: Refusal | None) -> bool:
    return refusal is None


@settings(max_examples=300, deadline=None)
@given(
    bucket=_ANY_TEXT | st.sampled_from(["acme-raw", "a.b.c"]),
    prefix=_ANY_TEXT | st.sampled_from(["", "raw/", "a/b/"]),
    secret=_ANY_TEXT.map(lambda t: f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:{t}"),
    key=_ANY_TEXT.map(lambda t: f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{t}")
    | st.just(f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{KEY_ID}"),
    reference=_ANY_TEXT | _ANY_TEXT.map(lambda t: f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/{t}"),
)
@example(
    bucket="acme-raw",
    prefix="é",
    secret=f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:x",
    key=f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{KEY_ID}",
    reference="x",
)
def test_documents_hold_no_wildcard_from_job_text(
    bucket: str, prefix: str, secret: str, key: str, reference: str
) -> None:
    """Whatever the job text, a document is built only from references AWS's grammar takes, and
    then holds no '*', '?' or '${' but the builders' own."""
    grant = _Grant(bucket, "read_write", prefix)
    checks = [aws.bucket_refusal(bucket), aws.prefix_refusal(prefix), aws.secret_arn_refusal(secret)]
    checks.append(aws.kms_key_refusal(key))
    if all(map(_accepted, checks)):
        task = policy_json(task_statements("aws", [grant], [secret], [key]))
        assert not any(token in _without_own_wildcards(task, prefix) for token in _TOKENS), task
        assert f'"arn:aws:s3:::{bucket}/{json.dumps(prefix)[1:-1]}*"' in task
    else:
        with pytest.raises(ValueError, match="not an IAM grant reference"):
            task_statements("aws", [grant], [secret], [key])
    if aws.container_secret_refusal(reference) is None:
        execution = policy_json(execution_secret_statements("aws", "us-east-1", [reference], account=ACCOUNT))
        assert not any(token in _without_own_wildcards(execution) for token in _TOKENS), execution
    else:
        with pytest.raises(ValueError):
            execution_secret_statements("aws", "us-east-1", [reference], account=ACCOUNT)
            execution_secret_statements("aws", "us-east-1", [reference])


CERTIFICATE_ID = "12345678-90ab-cdef-1234-567890abcdef"


@pytest.mark.parametrize(
    ("arn", "problem"),
    [
        (f"arn:aws:acm:eu-west-1:{ACCOUNT}:certificate/{CERTIFICATE_ID}", None),
        (f"arn:aws-us-gov:acm:us-gov-west-1:{ACCOUNT}:certificate/{CERTIFICATE_ID}", None),
        (f"arn:aws:acm:eu-west-1:{ACCOUNT}:certificate/*", WILDCARD_PROBLEM),
        (f"arn:aws:acm:eu-west-1:${{aws:PrincipalAccount}}:certificate/{CERTIFICATE_ID}", WILDCARD_PROBLEM),
        (f"arn:aws:iam::{ACCOUNT}:server-certificate/orders", "not an ACM certificate ARN"),
        (f"arn:aws:acm:eu-west-1:{ACCOUNT}:certificate/{CERTIFICATE_ID}\n", "not an ACM certificate ARN"),
        (
            f"arn:aws:acm:eu-west-1:{ACCOUNT}:certificate/{CERTIFICATE_ID.upper()}",
            "not an ACM certificate ARN",
        ),
        (CERTIFICATE_ID, "not an ACM certificate ARN"),
        (
            f"arn:aws:acm:mars-north-9:{ACCOUNT}:certificate/{CERTIFICATE_ID}",
            "'mars-north-9' is not a region of the AWS partition 'aws'",
        ),
    ],
)
def test_certificate_arns(arn: str, problem: str | None) -> None:
    refusal = aws.certificate_arn_refusal(arn)
    assert (refusal.problem if refusal else None) == problem


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("/", None),
        ("/health", None),
        ("/api/v1/status.json", None),
        ("/a~b_c-d;e=f,g(h)!@:+&%20", None),
        ("health", "not a health check path"),
        ("/health?full=1", "not a health check path"),
        ("/${var.path}", "not a health check path"),
        ('/say"hi"', "not a health check path"),
        ("/a b", "not a health check path"),
        ("/health\n", "not a health check path"),
        ("/" + "x" * 1023, None),
        ("/" + "x" * 1024, "longer than 1024 characters"),
    ],
)
def test_health_check_paths(path: str, problem: str | None) -> None:
    refusal = aws.health_check_path_refusal(path)
    assert (refusal.problem if refusal else None) == problem


@pytest.mark.parametrize(
    ("cidr", "problem"),
    [
        ("10.0.0.0/16", None),
        ("0.0.0.0/0", None),
        ("203.0.113.7/32", None),
        ("10.0.0.1/16", "host bits set (the network is 10.0.0.0/16)"),
        ("10.0.0.0", "not an IPv4 CIDR"),
        ("10.0.0.0/33", "not an IPv4 CIDR"),
        ("256.0.0.0/8", "not an IPv4 CIDR"),
        ("010.0.0.0/8", "not an IPv4 CIDR"),
        ("::/0", "not an IPv4 CIDR"),
        ("10.0.0.0/16\n", "not an IPv4 CIDR"),
        ("anywhere", "not an IPv4 CIDR"),
    ],
)
def test_cidrs(cidr: str, problem: str | None) -> None:
    # one CIDR rule for load balancer networks and egress rules: refused or not as listed
    refusal = aws.cidr_refusal(cidr, 4)
    assert (refusal is None) == (problem is None), refusal


@pytest.mark.parametrize(
    ("prefix", "problem"),
    [
        ("", None),
        ("alb/orders", None),
        ("alb/AWSLogs", "Elastic Load Balancing refuses a prefix holding 'AWSLogs'"),
        ("/alb", "a key prefix does not start with '/' (s3://bucket/a/ is the prefix 'a/')"),
        ("alb/*", WILDCARD_PROBLEM),
    ],
)
def test_access_log_prefixes(prefix: str, problem: str | None) -> None:
    refusal = aws.access_log_prefix_refusal(prefix)
    assert (refusal.problem if refusal else None) == problem
    assert refusal is None or refusal.expected == aws.ACCESS_LOG_PREFIX_EXPECTED


def test_state_machine_arn_is_built_from_its_parts() -> None:
    assert aws.state_machine_arn("aws-us-gov", "us-gov-west-1", "123456789012", "acme-orders") == (
        "arn:aws-us-gov:states:us-gov-west-1:123456789012:stateMachine:acme-orders"
    )
    assert aws.resource_names("acme-orders").state_machine == "acme-orders"


def test_capacity_provider_strategy_and_launch_type() -> None:
    assert aws.capacity_provider_strategy("spot") == [
        {"capacity_provider": "FARGATE_SPOT", "weight": 1, "base": 0}
    ]
    assert aws.launch_type("spot") is None
    # on demand: no strategy, the FARGATE launch type (ECS takes one or the other)
    assert aws.capacity_provider_strategy("on_demand") == []
    assert aws.launch_type("on_demand") == "FARGATE"
    assert sorted(aws.CAPACITY_PROVIDERS.values()) == ["FARGATE", "FARGATE_SPOT"]


@pytest.mark.parametrize(
    ("capacity", "architecture", "refused"),
    [
        ("spot", "x86_64", False),
        ("spot", "arm64", True),
        ("on_demand", "arm64", False),
        ("on_demand", "x86_64", False),
    ],
)
def test_fargate_spot_runs_x86_64_only(capacity: str, architecture: str, refused: bool) -> None:
    refusal = aws.spot_refusal(capacity, architecture)
    assert (refusal is not None) == refused
    if refusal is not None:
        assert "Fargate Spot" in refusal.problem and "arm64" in refusal.problem


def test_launch_retry_is_bounded_and_names_no_run_failure() -> None:
    assert aws.LAUNCH_RETRY["MaxAttempts"] <= 3
    assert not {"States.ALL", "States.TaskFailed", "States.Timeout"} & set(aws.LAUNCH_ERRORS)
