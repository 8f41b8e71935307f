"""AWS rules, stated once: Fargate task sizes, CloudWatch retention periods, resource names, schedules.

The AWS runtime model (:mod:`dativo_infra.config.runtimes.aws_fargate`) validates with these and the
construct (:mod:`dativo_infra.constructs.aws_fargate`) builds with the same functions, so whatever
``validate`` accepts the construct can build. Pure Python: no cdktf.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from dativo_infra.clouds import WILDCARD_PROBLEM, Refusal, cidr_problem, has_control, has_wildcard, regions
from dativo_infra.clouds.cron import aws_schedule_expression
from dativo_infra.naming import NameRule, affixed

#: Valid Fargate (cpu units -> allowed memory MiB) combinations, from the ECS task-size table.
FARGATE_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}
#: The task cpu values a job may ask for, in millicores (1000 = 1 vCPU = 1024 ECS units).
FARGATE_CPU_MILLICORES: tuple[int, ...] = tuple(units * 1000 // 1024 for units in FARGATE_SIZES)
#: CloudWatch Logs accepts only these retention periods (days).
LOG_RETENTION_DAYS: tuple[int, ...] = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
)  # fmt: skip
#: Ephemeral storage every Fargate task (platform 1.4.0+) gets without asking (GiB); a task definition may
#: ask for MIN_EPHEMERAL_GIB to MAX_EPHEMERAL_GIB instead (the ECS API refuses 20 or less).
DEFAULT_EPHEMERAL_GIB = 20
MIN_EPHEMERAL_GIB = 21
MAX_EPHEMERAL_GIB = 200
#: ECS ``runtimePlatform.cpuArchitecture`` of each ``cpu_architecture`` a job may choose.
CPU_ARCHITECTURES: dict[str, str] = {"x86_64": "X86_64", "arm64": "ARM64"}
#: EventBridge Scheduler's bounds of a target's maximum event age (seconds); its default is the maximum.
MIN_EVENT_AGE_SECONDS = 60
MAX_EVENT_AGE_SECONDS = 86400
#: How long the dead-letter queue of a schedule keeps a failed start: 14 days, SQS's maximum.
DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 3600
#: ECS ``stopTimeout`` (seconds between SIGTERM and SIGKILL): Fargate allows at most 120, default 30.
DEFAULT_STOP_TIMEOUT_SECONDS = 30
MAX_STOP_TIMEOUT_SECONDS = 120
#: ECS service ``healthCheckGracePeriodSeconds``: 0 to 2147483647.
MAX_HEALTH_CHECK_GRACE_SECONDS = 2_147_483_647
#: Elastic Load Balancing health check paths: at most 1024 characters, starting with '/'.
MAX_HEALTH_CHECK_PATH = 1024
#: How a failed task launch (not a task that ran) is retried by the job's state machine: at most
#: 3 more attempts, 30 s after the first failure, each wait twice the one before (30, 60, 120 s).
LAUNCH_RETRY = {"MaxAttempts": 3, "IntervalSeconds": 30, "BackoffRate": 2.0}
#: Errors of the Step Functions ECS ``runTask`` integration that mean "the task did not start":
#: ECS API errors (``ECS.<exception>``: throttling, server and generic service errors) and
#: ``AmazonECS.Unknown``, which Step Functions raises for RunTask answering with a non-empty
#: ``failures`` list (e.g. no Fargate or Fargate Spot capacity). A task that ran and failed is
#: ``States.TaskFailed`` and one that ran too long ``States.Timeout``: neither is retried.
LAUNCH_ERRORS: tuple[str, ...] = (
    "AmazonECS.Unknown",
    "ECS.AmazonECSException",
    "ECS.ServerException",
    "ECS.ThrottlingException",
)
#: ECS capacity provider of each ``capacity`` a job may choose (``FARGATE_SPOT``: spare capacity at a
#: discount, interrupted with a two-minute warning when AWS needs it back).
CAPACITY_PROVIDERS: dict[str, str] = {"on_demand": "FARGATE", "spot": "FARGATE_SPOT"}
#: CPU architectures Fargate Spot runs (AWS: Linux tasks on X86_64 only; no ARM64, no Windows).
SPOT_CPU_ARCHITECTURES: tuple[str, ...] = ("x86_64",)


def capacity_provider_strategy(capacity: str) -> list[dict[str, str | int]]:
    """The ECS capacity provider strategy of a job's ``capacity``: ``spot`` puts every task on
    FARGATE_SPOT; ``on_demand`` has none, its tasks keep the FARGATE launch type (:func:`launch_type`),
    so a service deployed before capacity existed is not replaced (a service's launch type cannot
    change in place). The state machine's RunTask and the service both use this one rule."""
    if capacity == "on_demand":
        return []
    return [{"capacity_provider": CAPACITY_PROVIDERS[capacity], "weight": 1, "base": 0}]


def launch_type(capacity: str) -> str | None:
    """ECS launch type of a job's tasks: FARGATE without a capacity provider strategy, else none (ECS
    takes one or the other)."""
    return None if capacity_provider_strategy(capacity) else "FARGATE"


def spot_refusal(capacity: str, cpu_architecture: str) -> Refusal | None:
    """Why a task with ``cpu_architecture`` cannot run on ``capacity``, or None."""
    if capacity == "spot" and cpu_architecture not in SPOT_CPU_ARCHITECTURES:
        return Refusal(
            f"Fargate Spot does not run {cpu_architecture} tasks (Linux x86_64 only)",
            "capacity on_demand with cpu_architecture arm64, or cpu_architecture x86_64 with capacity spot",
        )
    return None


def fargate_cpu_units(millicores: int) -> int | None:
    """ECS cpu units of a Fargate task size given in millicores, or None when it is not one."""
    units, rest = divmod(millicores * 1024, 1000)
    return units if not rest and units in FARGATE_SIZES else None


def fargate_memory_choices(millicores: int) -> tuple[int, ...]:
    """The memory sizes (MiB) Fargate allows with this cpu; empty when the cpu is not a task size."""
    units = fargate_cpu_units(millicores)
    return FARGATE_SIZES[units] if units is not None else ()


# --- grant references ----------------------------------------------------------------------------
# Every reference a job names becomes part of an IAM policy: each is checked against AWS's grammar,
# and none may hold a wildcard or a policy variable (see :func:`dativo_infra.clouds.has_wildcard`).
ARN_HEAD = r"arn:(?P<partition>aws(?:-[a-z]+)*):{service}:(?P<region>[a-z]+(?:-[a-z]+)+-[0-9]{{1,2}}):(?P<account>[0-9]{{12}}):"
#: Secrets Manager secret names: 1-512 of ASCII letters, digits and ``/_+=.@-``.
_SECRET_NAME = r"[A-Za-z0-9/_+=.@-]{1,512}"
SECRET_ARN_RE = re.compile(ARN_HEAD.format(service="secretsmanager") + r"secret:" + _SECRET_NAME)
#: ECS ``valueFrom`` of a Secrets Manager secret: the ARN, optionally ``:json-key:version-stage:version-id``
#: (each part may be empty, the three come together).
_CONTAINER_SECRET_ARN_RE = re.compile(
    r"(?P<arn>" + SECRET_ARN_RE.pattern + r")(?::[^:]{0,256}:[A-Za-z0-9_+=.@-]{0,256}:[A-Za-z0-9-]{0,64})?"
)
#: SSM parameter names: ``name`` or ``/path/to/name`` of letters, digits and ``_.-`` (at most 15 levels).
_PARAMETER_NAME = r"(?:[A-Za-z0-9_.-]{1,1011}|(?:/[A-Za-z0-9_.-]+){1,15})"
_PARAMETER_NAME_RE = re.compile(_PARAMETER_NAME)
_PARAMETER_ARN_RE = re.compile(
    ARN_HEAD.format(service="ssm") + r"parameter/[A-Za-z0-9_.-]{1,1011}(?:/[A-Za-z0-9_.-]+){0,14}"
)
#: KMS key ARNs: a key id (UUID) or a multi-Region key id (``mrk-`` + 32 hex).
KMS_KEY_ARN_RE = re.compile(
    ARN_HEAD.format(service="kms")
    + r"key/(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})"
)
_KMS_ALIAS_ARN_RE = re.compile(ARN_HEAD.format(service="kms") + r"alias/")
#: VPC, subnet, security group and (managed) prefix list ids: the prefix and 8 or 17 lowercase hex digits.
_NETWORK_ID_RE = {
    kind: re.compile(kind + r"-(?:[0-9a-f]{8}|[0-9a-f]{17})") for kind in ("vpc", "subnet", "sg", "pl")
}
#: ACM certificate ARNs (a certificate id is a UUID).
CERTIFICATE_ARN_RE = re.compile(
    ARN_HEAD.format(service="acm")
    + r"certificate/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
)
#: Health check path characters ELB takes, without '$' (a Terraform interpolation), quotes and '?'.
_HEALTH_CHECK_PATH_RE = re.compile(r"/[A-Za-z0-9._~/@:+&()!,;=%-]*")
_IP_ADDRESS_RE = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}")
_BUCKET_RE = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_BUCKET_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BUCKET_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
#: S3 object keys are at most 1024 bytes (UTF-8).
MAX_KEY_BYTES = 1024

BUCKET_EXPECTED = (
    "a bucket name such as 'acme-raw' (3-63 of a-z 0-9 . -, starting and ending with a letter or digit; "
    "no s3://, no /)"
)
SECRET_ARN_EXPECTED = (
    "a Secrets Manager secret ARN: arn:aws:secretsmanager:<region>:<12-digit account>:secret:<name>"
)
CONTAINER_SECRET_EXPECTED = (
    "arn:aws:secretsmanager:<region>:<12-digit account>:secret:<name>[:<json-key>:<version-stage>:<version-id>], "
    "arn:aws:ssm:<region>:<12-digit account>:parameter/<name> or an SSM parameter name such as /team/db/password"
)
KMS_KEY_EXPECTED = "a KMS key ARN: arn:aws:kms:<region>:<12-digit account>:key/<key id>"
CERTIFICATE_ARN_EXPECTED = (
    "an ACM certificate ARN: arn:aws:acm:<region>:<12-digit account>:certificate/<certificate id>"
)
HEALTH_CHECK_PATH_EXPECTED = (
    "a URL path such as '/health': '/' then letters, digits and - . _ ~ / @ : + & ( ) ! , ; = % "
    f"(at most {MAX_HEALTH_CHECK_PATH} characters, no query string)"
)
ACCESS_LOG_PREFIX_EXPECTED = (
    "a plain key prefix such as 'alb/orders' (no leading '/', no '*', '?', '${', no 'AWSLogs')"
)
PREFIX_EXPECTED = (
    "a plain key prefix such as 'warehouse/raw/' (no leading '/', no '*', '?', '${' or control characters)"
)


def network_id_expected(kind: str) -> str:
    """What a ``vpc``, ``subnet`` or ``sg`` id looks like, for messages."""
    return f"an id such as '{kind}-0123456789abcdef0' ('{kind}-' and 8 or 17 lowercase hex digits)"


def arn_problem(reference: str, service: str) -> str | None:
    """What is wrong with the partition or region of an ARN of ``service``, or None."""
    match = re.match(ARN_HEAD.format(service=service), reference)
    partitions = regions.aws_partitions()
    if match is None or not partitions:
        return None
    partition, region = match["partition"], match["region"]
    if partition not in partitions:
        return f"unknown AWS partition {partition!r} (known: {', '.join(sorted(partitions))})"
    if region not in partitions[partition]:
        return f"{region!r} is not a region of the AWS partition {partition!r}"
    return None


def bucket_refusal(bucket: str) -> Refusal | None:
    """Why ``bucket`` is not an S3 general purpose bucket name, or None."""
    if has_wildcard(bucket):
        return Refusal(WILDCARD_PROBLEM, BUCKET_EXPECTED)
    reason = None
    if not _BUCKET_RE.fullmatch(bucket):
        reason = "not an S3 bucket name"
    elif ".." in bucket:
        reason = "not an S3 bucket name (two adjacent dots)"
    elif _IP_ADDRESS_RE.fullmatch(bucket):
        reason = "not an S3 bucket name (formatted as an IP address)"
    else:
        prefix = next((p for p in _BUCKET_RESERVED_PREFIXES if bucket.startswith(p)), None)
        suffix = next((s for s in _BUCKET_RESERVED_SUFFIXES if bucket.endswith(s)), None)
        if prefix or suffix:
            reason = f"not an S3 bucket name (the {'prefix' if prefix else 'suffix'} {prefix or suffix!r} is reserved)"
    return Refusal(reason, BUCKET_EXPECTED) if reason else None


def prefix_refusal(prefix: str) -> Refusal | None:
    """Why ``prefix`` is not a plain S3 key prefix, or None. A leading ``/`` is refused: keys written
    through ``s3://bucket/path`` never start with one, so such a grant would reach no object the job
    writes (S3 keys may start with ``/``, but a grant on ``bucket//...`` is a mistake, not an intent)."""
    if has_wildcard(prefix):
        return Refusal(WILDCARD_PROBLEM, PREFIX_EXPECTED)
    if has_control(prefix):
        return Refusal("a key prefix holds no control characters", PREFIX_EXPECTED)
    if prefix.startswith("/"):
        return Refusal(
            "a key prefix does not start with '/' (s3://bucket/a/ is the prefix 'a/')", PREFIX_EXPECTED
        )
    if len(prefix.encode()) > MAX_KEY_BYTES:
        return Refusal(f"longer than an S3 key ({MAX_KEY_BYTES} bytes)", PREFIX_EXPECTED)
    return None


def secret_arn_refusal(arn: str) -> Refusal | None:
    """Why ``arn`` is not a Secrets Manager secret ARN (``permissions.secrets``), or None."""
    if has_wildcard(arn):
        return Refusal(WILDCARD_PROBLEM, SECRET_ARN_EXPECTED)
    if not SECRET_ARN_RE.fullmatch(arn):
        return Refusal("not a Secrets Manager secret ARN", SECRET_ARN_EXPECTED)
    problem = arn_problem(arn, "secretsmanager")
    return Refusal(problem, SECRET_ARN_EXPECTED) if problem else None


def kms_key_refusal(arn: str) -> Refusal | None:
    """Why ``arn`` is not a KMS key ARN (``permissions.kms_keys``, ``log_kms_key_arn``), or None.

    Alias ARNs are refused: an IAM grant on an alias ARN does not reach the key behind it (KMS
    authorizes ``kms:Decrypt`` on the key ARN), and CloudWatch Logs takes key ARNs only."""
    if has_wildcard(arn):
        return Refusal(WILDCARD_PROBLEM, KMS_KEY_EXPECTED)
    if _KMS_ALIAS_ARN_RE.match(arn):
        return Refusal(
            "an alias ARN: IAM grants and CloudWatch Logs need the key's own ARN", KMS_KEY_EXPECTED
        )
    if not KMS_KEY_ARN_RE.fullmatch(arn):
        return Refusal("not a KMS key ARN", KMS_KEY_EXPECTED)
    problem = arn_problem(arn, "kms")
    return Refusal(problem, KMS_KEY_EXPECTED) if problem else None


def certificate_arn_refusal(arn: str) -> Refusal | None:
    """Why ``arn`` is not an ACM certificate ARN (the HTTPS listener's certificate), or None."""
    if has_wildcard(arn):
        return Refusal(WILDCARD_PROBLEM, CERTIFICATE_ARN_EXPECTED)
    if not CERTIFICATE_ARN_RE.fullmatch(arn):
        return Refusal("not an ACM certificate ARN", CERTIFICATE_ARN_EXPECTED)
    problem = arn_problem(arn, "acm")
    return Refusal(problem, CERTIFICATE_ARN_EXPECTED) if problem else None


def health_check_path_refusal(path: str) -> Refusal | None:
    """Why ``path`` is no load balancer health check path, or None."""
    if len(path) > MAX_HEALTH_CHECK_PATH:
        return Refusal(f"longer than {MAX_HEALTH_CHECK_PATH} characters", HEALTH_CHECK_PATH_EXPECTED)
    if not _HEALTH_CHECK_PATH_RE.fullmatch(path):
        return Refusal("not a health check path", HEALTH_CHECK_PATH_EXPECTED)
    return None


def access_log_prefix_refusal(prefix: str) -> Refusal | None:
    """Why ``prefix`` is no key prefix of load balancer access logs, or None: a plain S3 key prefix
    (:func:`prefix_refusal`) without 'AWSLogs', which Elastic Load Balancing refuses."""
    refusal = prefix_refusal(prefix)
    if refusal is not None:
        return Refusal(refusal.problem, ACCESS_LOG_PREFIX_EXPECTED)
    if "AWSLogs" in prefix:
        return Refusal(
            "Elastic Load Balancing refuses a prefix holding 'AWSLogs'", ACCESS_LOG_PREFIX_EXPECTED
        )
    return None


def network_id_refusal(kind: str, value: str) -> Refusal | None:
    """Why ``value`` is not an id of ``kind`` (``vpc``, ``subnet`` or ``sg``), or None."""
    if _NETWORK_ID_RE[kind].fullmatch(value):
        return None
    names = {"vpc": "VPC", "subnet": "subnet", "sg": "security group", "pl": "prefix list"}
    return Refusal(f"not a {names[kind]} id", network_id_expected(kind))


# --- networking ----------------------------------------------------------------------------------
#: Security group rule descriptions: up to 255 of AWS's characters (without ``$ { }``, which
#: Terraform would read as interpolation).
SG_DESCRIPTION_MAX = 255
_SG_DESCRIPTION_RE = re.compile(r"[A-Za-z0-9. _:/()#,@\[\]+=&;!*-]{0,255}")
SG_DESCRIPTION_EXPECTED = (
    f"at most {SG_DESCRIPTION_MAX} of letters, digits, spaces and . _ - : / ( ) # , @ [ ] + = & ; ! *"
)


def cidr_expected(version: int) -> str:
    example = "10.20.0.0/16" if version == 4 else "2001:db8::/32"
    return f"an IPv{version} network in CIDR notation such as '{example}'"


def cidr_refusal(value: str, version: Literal[4, 6]) -> Refusal | None:
    """Why ``value`` is not an IPv4 (``version`` 4) or IPv6 network in CIDR notation, or None. A
    host address with bits set below the prefix (``10.0.0.1/8``) is refused, naming the network
    AWS would mean; so is an address without a prefix length."""
    problem = cidr_problem(value, version)
    return Refusal(problem, cidr_expected(version)) if problem is not None else None


def sg_description_refusal(text: str) -> Refusal | None:
    """Why ``text`` cannot be a security group rule description, or None."""
    if _SG_DESCRIPTION_RE.fullmatch(text):
        return None
    return Refusal("not a security group rule description", SG_DESCRIPTION_EXPECTED)


def default_public_ip(*, vpc_given: bool, subnets_given: bool) -> bool:
    """Whether tasks get a public IP when ``assign_public_ip`` is unset: only on the default-VPC path
    (no VPC, no subnets), whose subnets are public and have no NAT gateway, so without a public IP a
    task cannot reach its registry. A VPC or subnets the job names are private by default."""
    return not (vpc_given or subnets_given)


def container_secret_refusal(reference: str) -> Refusal | None:
    """Why ``reference`` is no ECS ``valueFrom`` of a container secret, or None."""
    if has_wildcard(reference):
        return Refusal(WILDCARD_PROBLEM, CONTAINER_SECRET_EXPECTED)
    if reference.startswith("arn:"):
        service = reference.split(":")[2] if reference.count(":") >= 2 else ""
        grammar = {"secretsmanager": _CONTAINER_SECRET_ARN_RE, "ssm": _PARAMETER_ARN_RE}.get(service)
        if grammar is not None and grammar.fullmatch(reference):
            problem = arn_problem(reference, service)
        elif service == "secretsmanager":
            problem = "not a Secrets Manager secret ARN"
        elif service == "ssm":
            problem = "not an SSM parameter ARN"
        else:
            problem = "not a Secrets Manager secret ARN or an SSM parameter ARN"
        return Refusal(problem, CONTAINER_SECRET_EXPECTED) if problem else None
    if not _PARAMETER_NAME_RE.fullmatch(reference):
        return Refusal("not an SSM parameter name (nor an ARN)", CONTAINER_SECRET_EXPECTED)
    return None


def container_secret(reference: str) -> tuple[Literal["secretsmanager", "ssm-arn", "ssm-name"], str]:
    """What a container secret reference (``valueFrom``) names, and the resource to grant read on:
    a Secrets Manager ARN (optionally ``:json-key:stage:version``; the grant is on the secret itself),
    an SSM parameter ARN, or else an SSM parameter name in the task's region. Raises ``ValueError``
    for a reference :func:`container_secret_refusal` refuses (validation reports those first)."""
    refusal = container_secret_refusal(reference)
    if refusal is not None:
        raise ValueError(f"container secret {reference!r}: {refusal.problem}")
    match = _CONTAINER_SECRET_ARN_RE.fullmatch(reference)
    if match:
        return "secretsmanager", match["arn"]
    return ("ssm-arn" if reference.startswith("arn:") else "ssm-name"), reference


# --- names ---------------------------------------------------------------------------------------
# Alphabets are the cloud's own, or a safe subset where the cloud allows characters Terraform would
# treat specially (``$``, ``{``).
#: IAM role names: 1-64 of ``[\w+=,.@-]`` (ASCII word characters).
IAM_ROLE = NameRule(max_len=64, lowercase=False, allowed="A-Za-z0-9_+=,.@-", sep="-")
#: ECS cluster, service and task-definition family names: 1-255 of ``[A-Za-z0-9_-]``.
ECS_NAME = NameRule(max_len=255, lowercase=False, allowed="A-Za-z0-9_-", sep="-")
#: CloudWatch Logs log group names: 1-512 of ``[A-Za-z0-9_./#-]``.
LOG_GROUP = NameRule(max_len=512, lowercase=False, allowed="A-Za-z0-9_./#-", sep="-")
#: VPC security group names: 1-255 characters (a safe subset of the allowed set; must not start
#: with ``sg-``, which :func:`resource_names` guarantees by its prefix or suffix choice).
SECURITY_GROUP = NameRule(max_len=255, lowercase=False, allowed="A-Za-z0-9_.-", sep="-")
#: EventBridge Scheduler schedule names: 1-64 of ``[0-9A-Za-z_.-]``.
SCHEDULE = NameRule(max_len=64, lowercase=False, allowed="A-Za-z0-9_.-", sep="-")
#: SQS standard queue names: 1-80 of ``[A-Za-z0-9_-]``.
SQS_QUEUE = NameRule(max_len=80, lowercase=False, allowed="A-Za-z0-9_-", sep="-")
#: Application Load Balancer and target group names: 1-32 of ``[A-Za-z0-9-]``, no leading or trailing
#: hyphen; a load balancer name must not start with ``internal-`` (see :func:`resource_names`).
LOAD_BALANCER = NameRule(max_len=32, lowercase=False, allowed="A-Za-z0-9-", sep="-")
#: Step Functions state machine names: 1-80 characters; with CloudWatch Logs logging only
#: ``[0-9A-Za-z_-]`` (AWS: "to enable logging with CloudWatch Logs, the name should only contain
#: 0-9, A-Z, a-z, - and _").
STATE_MACHINE = NameRule(max_len=80, lowercase=False, allowed="A-Za-z0-9_-", sep="-")
#: Prefix of the CloudWatch log group of every job: ``/dativo/<name>``.
LOG_GROUP_PREFIX = "/dativo/"
#: Prefix of the log group of a job's state machine: ``/aws/vendedlogs/`` is the prefix AWS
#: recommends for vended logs (it keeps the CloudWatch Logs resource policy small).
STATE_MACHINE_LOG_GROUP_PREFIX = "/aws/vendedlogs/states/"
#: The EventBridge managed rule Step Functions creates for ``ecs:runTask.sync`` (it learns from it
#: that a task stopped).
SYNC_ECS_RULE = "StepFunctionsGetEventsForECSTaskRule"


@dataclass(frozen=True)
class AwsNames:
    """Every AWS name the runtime creates for one stack, each valid for its resource type."""

    cluster: str
    family: str
    service: str
    log_group: str
    execution_role: str
    task_role: str
    scheduler_role: str
    security_group: str
    schedule: str
    dead_letter_queue: str
    load_balancer: str
    load_balancer_security_group: str
    state_machine: str
    state_machine_role: str
    state_machine_log_group: str


def resource_names(stack: str) -> AwsNames:
    """Deterministic, valid AWS names derived from ``stack`` (the stack name); valid for any string."""
    ecs = ECS_NAME.make(stack)
    security_group = affixed(SECURITY_GROUP, stack, suffix="-tasks")
    if security_group.lower().startswith("sg-"):  # reserved prefix of security group ids
        security_group = affixed(SECURITY_GROUP, stack, prefix="job-", suffix="-tasks")
    alb_security_group = affixed(SECURITY_GROUP, stack, suffix="-alb")
    if alb_security_group.lower().startswith("sg-"):
        alb_security_group = affixed(SECURITY_GROUP, stack, prefix="job-", suffix="-alb")
    load_balancer = LOAD_BALANCER.make(stack)
    if load_balancer.lower().startswith("internal-"):  # AWS refuses it (internal ALBs' DNS prefix)
        load_balancer = affixed(LOAD_BALANCER, stack, prefix="job-")
    return AwsNames(
        cluster=ecs,
        family=ecs,
        service=ecs,
        log_group=affixed(LOG_GROUP, stack, prefix=LOG_GROUP_PREFIX),
        execution_role=affixed(IAM_ROLE, stack, suffix="-exec"),
        task_role=affixed(IAM_ROLE, stack, suffix="-task"),
        scheduler_role=affixed(IAM_ROLE, stack, suffix="-scheduler"),
        security_group=security_group,
        schedule=SCHEDULE.make(stack),
        dead_letter_queue=affixed(SQS_QUEUE, stack, suffix="-dlq"),
        load_balancer=load_balancer,
        load_balancer_security_group=alb_security_group,
        state_machine=STATE_MACHINE.make(stack),
        state_machine_role=affixed(IAM_ROLE, stack, suffix="-sfn"),
        state_machine_log_group=affixed(LOG_GROUP, stack, prefix=STATE_MACHINE_LOG_GROUP_PREFIX),
    )


def state_machine_arn(partition: str, region: str, account: str, name: str) -> str:
    """ARN of a Step Functions state machine, built from its parts (its role's trust policy names it
    before the state machine exists)."""
    return f"arn:{partition}:states:{region}:{account}:stateMachine:{name}"


def target_group_name(stack: str, port: int) -> str:
    """The target group of ``stack``'s service on container ``port``: the port is part of the name, so
    a new port makes a new group (created before the old one is deleted) instead of a name clash."""
    return affixed(LOAD_BALANCER, stack, suffix=f"-{port}")


def schedule_expression(expression: str) -> str:
    """The EventBridge Scheduler ``cron(...)`` of a job's 5-field schedule; raises
    :class:`~dativo_infra.clouds.cron.CronError` for one AWS cannot run."""
    return aws_schedule_expression(expression)


def check_schedule(expression: str) -> None:
    """Raise :class:`~dativo_infra.clouds.cron.CronError` unless EventBridge Scheduler can run
    ``expression``: validation runs the very conversion the construct uses."""
    schedule_expression(expression)
