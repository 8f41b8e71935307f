"""AWS Fargate runtime: structure of the synthesized stacks, and (slow) ``terraform validate`` of the
example jobs. The pure halves are tested on their own: names and schedules in tests/clouds/test_aws.py,
policy documents in test_aws_fargate_documents.py.

Test jobs are YAML loaded and synthesized once per session by the ``synthesize`` fixture
(tests/constructs/conftest.py: ``load_jobs``, then one App with one ``JobStack`` per job). Tests read
resources by type and properties, never by hashed ids.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from dativo_infra.config.loaded import LoadedJob
from dativo_infra.config.settings import LocalCloud, PlatformSettings
from dativo_infra.contract import OUTPUTS, RuntimeType, exported_outputs
from tests.constructs.conftest import TAGS, Synthesize, data_sources, jsonencoded, one, resources
from tests.stacks.test_terraform_validate import terraform_validate

ACCOUNT = "123456789012"
API_SECRET = f"arn:aws:secretsmanager:eu-central-1:{ACCOUNT}:secret:acme/api-AbCdEf"
RUNTIME_SECRET = f"arn:aws:secretsmanager:eu-central-1:{ACCOUNT}:secret:acme/runtime-XyZ123"
DATA_KEY = f"arn:aws:kms:eu-central-1:{ACCOUNT}:key/11111111-2222-3333-4444-555555555555"
LOG_KEY = f"arn:aws:kms:eu-central-1:{ACCOUNT}:key/0000aaaa-bbbb-cccc-dddd-eeeeffff0000"
REGISTRY_SECRET = f"arn:aws:secretsmanager:eu-central-1:{ACCOUNT}:secret:ghcr/robot-AbCdEf"
CERTIFICATE = f"arn:aws:acm:eu-central-1:{ACCOUNT}:certificate/12345678-90ab-cdef-1234-567890abcdef"
LONG_JOB = "a_very_long_ingestion_job_name_" + "x" * 90 + "_end.v2"  # 128 characters
LOCAL_ENDPOINT = "http://127.0.0.1:5999"
ENDPOINT_SERVICES = (
    "cloudwatch", "ec2", "ecs", "elbv2", "events", "iam", "kms", "logs", "resourcegroupstaggingapi", "s3",
    "scheduler", "secretsmanager", "sfn", "sqs", "sts",
)  # fmt: skip


def job_yaml(job: str, runtime: str, region: str = "eu-central-1", environment: str = "dev") -> str:
    """A job file: ``runtime`` is the YAML body of ``infrastructure.runtime`` (4-space indented)."""
    return (
        "tenant_id: acme\nenvironment: dev\ninfrastructure:\n  provider: aws\n"
        f"  region: {region}\n  runtime:\n    type: aws_fargate\n{runtime}"
        '  resource_identifiers:\n    cluster_name: "{{terraform_outputs.cluster_name}}"\n'
        + TAGS.format(job=job)
    ).replace("environment: dev", f"environment: {environment}")


JOBS: dict[str, str] = {
    "scheduled": job_yaml(
        "nightly_orders",
        f"""\
    mode: job
    image: public.ecr.aws/dativo/ingest:2.0
    command: [dativo, run, --job, nightly]
    cpu_millicores: 2000
    memory_mib: 8192
    ephemeral_storage_gib: 50
    schedule: "0 3 * * 1-5"
    schedule_timezone: Europe/Berlin
    retries: 2
    retry_max_event_age_seconds: 7200
    env:
      ZETA: last
      ALPHA: first
      TEMPLATE: "s3://${{bucket}}/x"
    secrets:
      API_TOKEN: "{API_SECRET}:token::"
      DB_PASSWORD: /acme/db/password
    permissions:
      storage:
        - {{bucket: lake-raw, access: read}}
        - {{bucket: lake-curated, access: write, prefix: curated/orders/}}
        - {{bucket: lake-stage, access: read_write, prefix: stage/}}
      secrets: ["{RUNTIME_SECRET}"]
      kms_keys: ["{DATA_KEY}"]
    scaling: {{parallelism: 3}}
    timeout_seconds: 5400
    capacity: spot
    log_retention_days: 14
    log_kms_key_arn: {LOG_KEY}
""",
    ),
    "manual": job_yaml("manual_backfill", "    mode: job\n", region="us-east-1"),
    "svc_network": job_yaml(
        "webhook_receiver",
        f"""\
    mode: service
    port: 9000
    ingress: internal
    enable_execute_command: true
    scaling: {{min_replicas: 2, max_replicas: 2}}
    network:
      vpc_id: vpc-0abc0000
      subnet_ids: [subnet-0b000000, subnet-0a000000]
      security_group_ids: [sg-0e000000]
      assign_public_ip: true
    load_balancer:
      certificate_arn: {CERTIFICATE}
      health_check_path: /ready
      health_check_grace_period_seconds: 120
    health_check_command: [curl, -f, "http://localhost:9000/ready"]
    stop_timeout_seconds: 90
""",
    ),
    "svc_subnets": job_yaml(
        "stream_consumer",
        """\
    mode: service
    ingress: none
    capacity: spot
    scaling: {min_replicas: 1, max_replicas: 3}
    network:
      subnet_ids: [subnet-0c000000]
""",
    ),
    "svc_default": job_yaml("api_bridge", "    mode: service\n    ingress: internal\n"),
    "svc_external": job_yaml(
        "partner_api",
        f"""\
    mode: service
    ingress: external
    load_balancer:
      certificate_arn: {CERTIFICATE}
      allowed_cidrs: [203.0.113.0/24, 198.51.100.0/24]
      access_logs: {{bucket: acme-alb-logs, prefix: partner-api}}
""",
        environment="prod",
    ),
    "svc_public_http": job_yaml(
        "public_webhook",
        """\
    mode: service
    ingress: external
    load_balancer: {allow_plain_http: true, deletion_protection: true}
""",
    ),
    "long": job_yaml(LONG_JOB, '    schedule: "*/30 * * * *"\n'),
    "options": job_yaml(
        "locked_down",
        f"""\
    schedule: "0 5 * * *"
    cpu_architecture: arm64
    enable_execute_command: true
    registry_credentials_secret_arn: {REGISTRY_SECRET}
    network:
      subnet_ids: [subnet-0d000000]
      egress:
        - {{cidr_ipv4: 10.20.0.0/16, from_port: 5432, to_port: 5439}}
        - {{cidr_ipv6: "::/0", protocol: all, description: every IPv6 destination}}
        - {{prefix_list_id: pl-63a5400a, port: 443}}
        - {{cidr_ipv4: 10.0.0.2/32, protocol: udp, port: 53}}
""",
    ),
}


@pytest.fixture(scope="session")
def fargate_out(
    synthesize: Synthesize, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, Any], dict[str, Any]]:
    """``(outdir, {case: LoadedJob}, {case: cdk.tf.json})`` of every test job, synthesized once."""
    outdir = tmp_path_factory.mktemp("fargate") / "cdktf.out"
    platform = PlatformSettings(default_tags={"platform": "dativo"})
    return outdir, *synthesize(JOBS, platform, outdir=outdir)


@pytest.fixture(scope="session")
def synthesized(fargate_out: tuple[Path, dict[str, Any], dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return fargate_out[2]


@pytest.fixture(scope="session")
def local_doc(synthesize: Synthesize) -> dict[str, Any]:
    """The ``manual`` job synthesized for the ``local`` deploy target (the emulator)."""
    platform = PlatformSettings(
        deploy_target="local",
        local_cloud=LocalCloud(endpoint=LOCAL_ENDPOINT, access_key="ak", secret_key="sk"),
    )
    return synthesize({"manual": JOBS["manual"]}, platform)[1]["manual"]


def definition(doc: dict[str, Any]) -> dict[str, Any]:
    """The Amazon States Language definition of the stack's one state machine."""
    result: dict[str, Any] = jsonencoded(one(doc, "aws_sfn_state_machine")["definition"])
    return result


def run_task(doc: dict[str, Any]) -> dict[str, Any]:
    """The Task state running the job's task (at the top, or inside the Map state)."""
    states = definition(doc)["States"]
    if "RunTask" in states:
        return dict(states["RunTask"])
    return dict(states["RunTasks"]["ItemProcessor"]["States"]["RunTask"])


def by_name(doc: dict[str, Any], kind: str, name: str) -> dict[str, Any]:
    matches = [body for body in resources(doc, kind) if body.get("name") == name]
    assert len(matches) == 1, f"expected one {kind} named {name!r}, found {len(matches)}"
    return matches[0]


def container(doc: dict[str, Any]) -> dict[str, Any]:
    definitions = json.loads(one(doc, "aws_ecs_task_definition")["container_definitions"])
    assert len(definitions) == 1
    return definitions[0]


def statements(policy_body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    document = json.loads(policy_body["policy"])
    assert document["Version"] == "2012-10-17"
    return {statement["Sid"]: statement for statement in document["Statement"]}


def ref(kind: str, attribute: str, body: Any) -> bool:
    """True when ``body`` is (or contains) a reference to ``<kind>.<something>.<attribute>``."""
    return (
        re.search(r"\$\{" + re.escape(kind) + r"\.[A-Za-z0-9_]+\." + attribute + r"\}", json.dumps(body))
        is not None
    )


# ---------------------------------------------------------------------------------------------
# Every mode
# ---------------------------------------------------------------------------------------------


_SCHEDULE_OUTPUTS = {"schedule_name", "dead_letter_queue_arn", "dead_letter_queue_url"}
_SERVICE_LACKS = {"state_machine_arn", *_SCHEDULE_OUTPUTS}
#: Outputs each test job does not export (its configuration has no such thing); every other exists.
NOT_EXPORTED: dict[str, set[str]] = {
    "scheduled": set(),
    "manual": _SCHEDULE_OUTPUTS,
    "svc_network": _SERVICE_LACKS,
    "svc_subnets": {"service_endpoint", *_SERVICE_LACKS},  # ingress none: nothing reaches it
    "svc_default": _SERVICE_LACKS,
    "svc_external": _SERVICE_LACKS,
    "svc_public_http": _SERVICE_LACKS,
    "long": set(),
    "options": set(),
}


def test_every_case_says_which_outputs_it_lacks() -> None:
    assert set(NOT_EXPORTED) == set(JOBS)


@pytest.mark.parametrize("case", sorted(JOBS))
def test_exactly_the_outputs_of_the_configuration_are_exported_and_never_null(
    fargate_out: tuple[Path, dict[str, LoadedJob], dict[str, Any]], case: str
) -> None:
    _, jobs, docs = fargate_out
    outputs = docs[case]["output"]
    expected = set(OUTPUTS[RuntimeType.AWS_FARGATE]) - NOT_EXPORTED[case]
    assert set(outputs) == expected == set(exported_outputs(jobs[case].config.runtime))
    for name, output in outputs.items():
        assert output["value"] not in (None, "", "none"), name
        assert output["description"] == OUTPUTS[RuntimeType.AWS_FARGATE][name].description


@pytest.mark.parametrize("case", sorted(JOBS))
def test_common_resources(synthesized: dict[str, Any], case: str) -> None:
    doc = synthesized[case]
    cluster = one(doc, "aws_ecs_cluster")
    assert cluster["setting"] == [{"name": "containerInsights", "value": "enabled"}]
    (log_group,) = [g for g in resources(doc, "aws_cloudwatch_log_group") if g["name"].startswith("/dativo/")]
    assert log_group["name"].startswith("/dativo/acme-")
    # Both Fargate capacity providers are associated with the cluster, whatever the job's capacity.
    providers = one(doc, "aws_ecs_cluster_capacity_providers")
    assert providers["capacity_providers"] == ["FARGATE", "FARGATE_SPOT"]
    assert ref("aws_ecs_cluster", "name", providers["cluster_name"])
    task = one(doc, "aws_ecs_task_definition")
    assert task["requires_compatibilities"] == ["FARGATE"]
    assert task["network_mode"] == "awsvpc"
    assert task["volume"] == [{"name": "tmp"}]
    assert ref("aws_iam_role", "arn", task["execution_role_arn"])
    assert ref("aws_iam_role", "arn", task["task_role_arn"])
    spec = container(doc)
    assert spec["name"] == "job"
    assert spec["essential"] is True
    assert spec["readonlyRootFilesystem"] is True
    assert spec["mountPoints"] == [{"containerPath": "/tmp", "readOnly": False, "sourceVolume": "tmp"}]
    options = spec["logConfiguration"]["options"]
    assert spec["logConfiguration"]["logDriver"] == "awslogs"
    assert ref("aws_cloudwatch_log_group", "name", options["awslogs-group"])
    assert options["awslogs-region"] == doc["provider"]["aws"][0]["region"]
    assert options["awslogs-stream-prefix"] == "ecs"
    # Execution role: ECS tasks may assume it; the AWS managed execution policy is attached.
    roles = resources(doc, "aws_iam_role")
    trusted = [json.loads(r["assume_role_policy"])["Statement"][0]["Principal"]["Service"] for r in roles]
    assert trusted.count("ecs-tasks.amazonaws.com") == 2
    attachment = one(doc, "aws_iam_role_policy_attachment")
    assert attachment["policy_arn"].endswith(":iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy")
    # Default platform: Linux on x86_64 (the options job asks for arm64).
    if case != "options":
        assert task["runtime_platform"] == {"operating_system_family": "LINUX", "cpu_architecture": "X86_64"}
    # Tasks' security group: one described egress-all rule, unless the job gives its own rules.
    if case != "options":
        (egress,) = [
            r for r in resources(doc, "aws_vpc_security_group_egress_rule") if r["ip_protocol"] == "-1"
        ]
        assert (egress["ip_protocol"], egress["cidr_ipv4"]) == ("-1", "0.0.0.0/0")
        assert egress["description"]
        assert ref("aws_security_group", "id", egress["security_group_id"])


@pytest.mark.parametrize("case", sorted(JOBS))
def test_tags_come_from_the_aspect_not_provider_default_tags(
    fargate_out: tuple[Path, dict[str, Any], dict[str, Any]], case: str
) -> None:
    _, jobs, stacks = fargate_out
    doc = stacks[case]
    assert "default_tags" not in doc["provider"]["aws"][0]
    for kind in (
        "aws_ecs_cluster",
        "aws_ecs_task_definition",
        "aws_iam_role",
        "aws_security_group",
        "aws_sqs_queue",
    ):
        for body in resources(doc, kind):
            assert body["tags"]["job_name"] == jobs[case].config.job_name, kind
            assert body["tags"]["platform"] == "dativo", kind


@pytest.mark.parametrize("case", sorted(JOBS))
def test_lookups_carry_no_tag_filters(synthesized: dict[str, Any], case: str) -> None:
    """``tags`` on a data source is a *filter*: tagging the default-VPC lookup would find nothing."""
    for kind in ("aws_vpc", "aws_subnets", "aws_subnet"):
        for body in data_sources(synthesized[case], kind):
            assert "tags" not in body, f"{kind} lookup is filtered by tags"


# ---------------------------------------------------------------------------------------------
# Job mode with a schedule
# ---------------------------------------------------------------------------------------------


def test_scheduled_job_has_schedule_and_no_service(synthesized: dict[str, Any]) -> None:
    doc = synthesized["scheduled"]
    assert resources(doc, "aws_ecs_service") == []
    schedule = one(doc, "aws_scheduler_schedule")
    assert schedule["name"] == "acme-nightly-orders"
    assert schedule["schedule_expression"] == "cron(0 3 ? * 2-6 *)"
    assert schedule["schedule_expression_timezone"] == "Europe/Berlin"
    assert schedule["flexible_time_window"] == {"mode": "OFF"}
    assert schedule["state"] == "ENABLED"
    target = schedule["target"]
    # The schedule starts the state machine, which runs the task within the timeout.
    assert ref("aws_sfn_state_machine", "arn", target["arn"])
    assert "ecs_parameters" not in target
    assert ref("aws_iam_role", "arn", target["role_arn"])
    assert target["retry_policy"] == {"maximum_retry_attempts": 2, "maximum_event_age_in_seconds": 7200}
    assert ref("aws_sqs_queue", "arn", target["dead_letter_config"]["arn"])
    assert ref("aws_scheduler_schedule", "name", doc["output"]["schedule_name"]["value"])
    assert ref("aws_sqs_queue", "arn", doc["output"]["dead_letter_queue_arn"]["value"])
    assert ref("aws_sqs_queue", "url", doc["output"]["dead_letter_queue_url"]["value"])


def test_scheduled_job_has_an_encrypted_dead_letter_queue(synthesized: dict[str, Any]) -> None:
    queue = one(synthesized["scheduled"], "aws_sqs_queue")
    assert queue["name"] == "acme-nightly-orders-dlq"
    assert queue["sqs_managed_sse_enabled"] is True
    assert queue["message_retention_seconds"] == 14 * 24 * 3600
    assert "fifo_queue" not in queue  # Scheduler takes standard queues only
    assert queue["tags"]["job_name"] == "nightly_orders"


def test_unset_event_age_is_the_aws_default(synthesized: dict[str, Any]) -> None:
    target = one(synthesized["long"], "aws_scheduler_schedule")["target"]
    assert target["retry_policy"] == {"maximum_retry_attempts": 0, "maximum_event_age_in_seconds": 86400}


def test_scheduler_role_may_only_start_the_state_machine(synthesized: dict[str, Any]) -> None:
    doc = synthesized["scheduled"]
    role = by_name(doc, "aws_iam_role", "acme-nightly-orders-scheduler")
    (trust,) = json.loads(role["assume_role_policy"])["Statement"]
    assert (trust["Action"], trust["Principal"]) == ("sts:AssumeRole", {"Service": "scheduler.amazonaws.com"})
    account = trust["Condition"]["StringEquals"]["aws:SourceAccount"]
    assert ref("data.aws_caller_identity", "account_id", account)
    source = trust["Condition"]["ArnLike"]["aws:SourceArn"]
    assert re.fullmatch(
        r"arn:\$\{data\.aws_partition\.\w+\.partition\}:scheduler:eu-central-1:(.+):schedule-group/default",
        source,
    )
    assert source.split(":")[4] == account
    found = statements(by_name(doc, "aws_iam_role_policy", "start-job-run"))
    assert sorted(found) == ["SendFailedStarts", "StartJobRun"]
    start = found["StartJobRun"]
    assert start["Action"] == "states:StartExecution"
    assert ref("aws_sfn_state_machine", "arn", start["Resource"])
    sending = found["SendFailedStarts"]
    assert sending["Action"] == "sqs:SendMessage"
    assert ref("aws_sqs_queue", "arn", sending["Resource"])


@pytest.mark.parametrize("case", sorted(JOBS))
def test_ecs_roles_trust_only_the_own_account(synthesized: dict[str, Any], case: str) -> None:
    """Confused-deputy guard: ECS may assume the task and execution roles only for this account; the
    task role also only from an ECS resource of the account in the job's region."""
    doc = synthesized[case]
    region = doc["provider"]["aws"][0]["region"]
    trusts = {}
    for role in resources(doc, "aws_iam_role"):
        (trust,) = json.loads(role["assume_role_policy"])["Statement"]
        trusts[role["name"].rsplit("-", 1)[1]] = trust
        assert ref("data.aws_caller_identity", "account_id", trust["Condition"]["StringEquals"])
    assert (
        trusts["exec"]["Principal"] == trusts["task"]["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
    )
    assert "ArnLike" not in trusts["exec"]["Condition"]
    source = trusts["task"]["Condition"]["ArnLike"]["aws:SourceArn"]
    assert source.startswith("arn:${data.aws_partition.") and source.endswith(
        f":ecs:{region}:" + source.split(":")[4] + ":*"
    )
    assert source.split(":")[4] == trusts["task"]["Condition"]["StringEquals"]["aws:SourceAccount"]


def test_task_size_storage_and_container(synthesized: dict[str, Any]) -> None:
    doc = synthesized["scheduled"]
    task = one(doc, "aws_ecs_task_definition")
    assert (task["cpu"], task["memory"]) == ("2048", "8192")
    assert task["family"] == "acme-nightly-orders"
    assert task["ephemeral_storage"] == {"size_in_gib": 50}
    spec = container(doc)
    assert spec["image"] == "public.ecr.aws/dativo/ingest:2.0"
    assert spec["command"] == ["dativo", "run", "--job", "nightly"]
    assert [e["name"] for e in spec["environment"]] == ["ALPHA", "TEMPLATE", "ZETA"]
    # Job text stays literal: Terraform reads $${ back as ${.
    assert {"name": "TEMPLATE", "value": "s3://$${bucket}/x"} in spec["environment"]
    assert spec["secrets"] == [
        {"name": "API_TOKEN", "valueFrom": f"{API_SECRET}:token::"},
        {"name": "DB_PASSWORD", "valueFrom": "/acme/db/password"},
    ]
    assert spec["portMappings"] == []


def test_log_group_retention_and_key(synthesized: dict[str, Any]) -> None:
    log_group = by_name(synthesized["scheduled"], "aws_cloudwatch_log_group", "/dativo/acme-nightly-orders")
    assert log_group["retention_in_days"] == 14
    assert log_group["kms_key_id"] == LOG_KEY


def test_task_role_policy_is_least_privilege(synthesized: dict[str, Any]) -> None:
    doc = synthesized["scheduled"]
    found = statements(by_name(doc, "aws_iam_role_policy", "job-permissions"))
    assert sorted(found) == [
        "DecryptWithKeys", "ReadSecrets", "S3List0", "S3List1", "S3List2", "S3Objects0", "S3Objects1", "S3Objects2",
    ]  # fmt: skip
    assert found["S3List0"]["Action"] == "s3:ListBucket"
    assert found["S3List0"]["Resource"].endswith(":s3:::lake-raw")
    assert "Condition" not in found["S3List0"]  # no prefix: the whole bucket
    assert found["S3Objects0"]["Action"] == "s3:GetObject"
    assert found["S3Objects0"]["Resource"].endswith(":s3:::lake-raw/*")
    assert found["S3List1"]["Condition"] == {"StringLike": {"s3:prefix": ["curated/orders/*"]}}
    assert found["S3Objects1"]["Action"] == ["s3:DeleteObject", "s3:PutObject"]
    assert found["S3Objects1"]["Resource"].endswith(":s3:::lake-curated/curated/orders/*")
    assert found["S3Objects2"]["Action"] == ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]
    assert found["S3Objects2"]["Resource"].endswith(":s3:::lake-stage/stage/*")
    assert found["ReadSecrets"] == {
        "Action": "secretsmanager:GetSecretValue", "Effect": "Allow", "Resource": RUNTIME_SECRET, "Sid": "ReadSecrets",
    }  # fmt: skip
    assert found["DecryptWithKeys"]["Action"] == "kms:Decrypt"
    assert found["DecryptWithKeys"]["Resource"] == DATA_KEY
    task_role = by_name(doc, "aws_iam_role", "acme-nightly-orders-task")
    assert task_role["description"]


def test_execution_role_reads_exactly_the_container_secrets(synthesized: dict[str, Any]) -> None:
    found = statements(by_name(synthesized["scheduled"], "aws_iam_role_policy", "container-secrets"))
    assert found["ReadContainerSecrets"]["Action"] == "secretsmanager:GetSecretValue"
    assert found["ReadContainerSecrets"]["Resource"] == API_SECRET  # the secret, without the json key
    assert found["ReadContainerParameters"]["Action"] == "ssm:GetParameters"
    resource = found["ReadContainerParameters"]["Resource"]
    # a parameter name is a parameter of the caller's account, never of any account ('*')
    assert re.fullmatch(
        r"arn:\$\{data\.aws_partition\.\w+\.partition\}:ssm:eu-central-1:"
        r"\$\{data\.aws_caller_identity\.\w+\.account_id\}:parameter/acme/db/password",
        resource,
    )
    assert "ReadRegistryCredentials" not in found


# ---------------------------------------------------------------------------------------------
# Job mode: the state machine that runs the task within timeout_seconds
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", ["scheduled", "manual", "long", "options"])
def test_every_job_runs_through_a_state_machine_with_its_timeout(
    synthesized: dict[str, Any], case: str
) -> None:
    doc = synthesized[case]
    machine = one(doc, "aws_sfn_state_machine")
    assert machine["type"] == "STANDARD"
    assert ref("aws_iam_role", "arn", machine["role_arn"])
    assert ref("aws_sfn_state_machine", "arn", doc["output"]["state_machine_arn"]["value"])
    task = run_task(doc)
    assert task["Type"] == "Task"
    assert re.fullmatch(
        r"arn:\$\{data\.aws_partition\.\w+\.partition\}:states:::ecs:runTask\.sync", task["Resource"]
    )
    assert task["TimeoutSeconds"] == (5400 if case == "scheduled" else 3600)
    assert task["End"] is True
    parameters = task["Parameters"]
    assert ref("aws_ecs_cluster", "arn", parameters["Cluster"])
    assert ref("aws_ecs_task_definition", "arn", parameters["TaskDefinition"])
    assert (parameters["EnableECSManagedTags"], parameters["PropagateTags"]) == (True, "TASK_DEFINITION")
    # Only a launch that failed is retried, a bounded number of times; a task that ran is not.
    (retry,) = task["Retry"]
    assert retry == {
        "ErrorEquals": ["AmazonECS.Unknown", "ECS.AmazonECSException", "ECS.ServerException", "ECS.ThrottlingException"],
        "MaxAttempts": 3, "IntervalSeconds": 30, "BackoffRate": 2,
    }  # fmt: skip
    assert not {"States.ALL", "States.TaskFailed", "States.Timeout"} & set(retry["ErrorEquals"])
    assert "Catch" not in task


def test_parallel_runs_map_over_the_task(synthesized: dict[str, Any]) -> None:
    states = definition(synthesized["scheduled"])["States"]
    assert states["Tasks"] == {"Type": "Pass", "Result": [0, 1, 2], "Next": "RunTasks"}
    mapped = states["RunTasks"]
    assert (mapped["Type"], mapped["MaxConcurrency"], mapped["End"]) == ("Map", 3, True)
    assert mapped["ItemProcessor"]["ProcessorConfig"] == {"Mode": "INLINE"}
    assert definition(synthesized["scheduled"])["StartAt"] == "Tasks"
    assert definition(synthesized["manual"])["StartAt"] == "RunTask"  # one task: no Map


def test_state_machine_network_capacity_and_exec(synthesized: dict[str, Any]) -> None:
    scheduled = run_task(synthesized["scheduled"])["Parameters"]
    network = scheduled["NetworkConfiguration"]["AwsvpcConfiguration"]
    # default VPC (no vpc_id, no subnets): public subnets without NAT, the image pull needs a public IP
    assert network["AssignPublicIp"] == "ENABLED"
    assert ref("data.aws_subnets", "ids", network["Subnets"])
    assert ref("aws_security_group", "id", network["SecurityGroups"])
    # capacity spot: Fargate Spot through a capacity provider strategy, no launch type
    assert scheduled["CapacityProviderStrategy"] == [
        {"CapacityProvider": "FARGATE_SPOT", "Weight": 1, "Base": 0}
    ]
    assert "LaunchType" not in scheduled and "EnableExecuteCommand" not in scheduled
    options = run_task(synthesized["options"])["Parameters"]
    assert options["LaunchType"] == "FARGATE" and "CapacityProviderStrategy" not in options
    assert options["EnableExecuteCommand"] is True


def test_state_machine_logs_errors_to_its_own_log_group(synthesized: dict[str, Any]) -> None:
    doc = synthesized["scheduled"]
    log_group = by_name(doc, "aws_cloudwatch_log_group", "/aws/vendedlogs/states/acme-nightly-orders")
    assert (log_group["retention_in_days"], log_group["kms_key_id"]) == (14, LOG_KEY)
    logging = one(doc, "aws_sfn_state_machine")["logging_configuration"]
    assert (logging["level"], logging["include_execution_data"]) == ("ERROR", True)
    assert re.fullmatch(
        r"\$\{aws_cloudwatch_log_group\.runtime_state_machine_log_group_\w+\.arn\}:\*",
        logging["log_destination"],
    )
    manual = by_name(
        synthesized["manual"], "aws_cloudwatch_log_group", "/aws/vendedlogs/states/acme-manual-backfill"
    )
    assert manual["retention_in_days"] == 30 and "kms_key_id" not in manual


def test_state_machine_role_is_least_privilege(synthesized: dict[str, Any]) -> None:
    doc = synthesized["scheduled"]
    role = by_name(doc, "aws_iam_role", "acme-nightly-orders-sfn")
    (trust,) = json.loads(role["assume_role_policy"])["Statement"]
    assert trust["Principal"] == {"Service": "states.amazonaws.com"}
    account = trust["Condition"]["StringEquals"]["aws:SourceAccount"]
    assert ref("data.aws_caller_identity", "account_id", account)
    # the state machine's own ARN, built from its parts (no reference: no dependency cycle)
    assert re.fullmatch(
        r"arn:\$\{data\.aws_partition\.\w+\.partition\}:states:eu-central-1:(.+):stateMachine:acme-nightly-orders",
        trust["Condition"]["ArnLike"]["aws:SourceArn"],
    )
    assert "aws_sfn_state_machine" not in role["assume_role_policy"]
    found = statements(by_name(doc, "aws_iam_role_policy", "run-job-task"))
    assert sorted(found) == [
        "DeliverLogs", "PassTaskRoles", "RunJobTask", "SyncTaskEvents", "TagStartedTasks", "WatchAndStopJobTasks",
    ]  # fmt: skip
    run = found["RunJobTask"]
    assert run["Action"] == "ecs:RunTask"
    assert ref("aws_ecs_task_definition", "arn_without_revision", run["Resource"]) and run[
        "Resource"
    ].endswith(":*")
    assert ref("aws_ecs_cluster", "arn", run["Condition"]["ArnLike"]["ecs:cluster"])
    watch = found["WatchAndStopJobTasks"]
    assert watch["Action"] == ["ecs:DescribeTasks", "ecs:StopTask"]
    assert re.search(r":ecs:eu-central-1:.+:task/\$\{aws_ecs_cluster\.\w+\.name\}/\*$", watch["Resource"])
    tagging = found["TagStartedTasks"]
    assert tagging["Condition"] == {"StringEquals": {"ecs:CreateAction": "RunTask"}}
    assert tagging["Resource"] == watch["Resource"]
    passing = found["PassTaskRoles"]
    assert passing["Action"] == "iam:PassRole" and len(passing["Resource"]) == 2
    assert all(ref("aws_iam_role", "arn", arn) for arn in passing["Resource"])
    assert passing["Condition"] == {"StringLike": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}
    events = found["SyncTaskEvents"]
    assert events["Action"] == ["events:DescribeRule", "events:PutRule", "events:PutTargets"]
    assert events["Resource"].endswith(":rule/StepFunctionsGetEventsForECSTaskRule")
    assert ":events:eu-central-1:" in events["Resource"]
    logs = found["DeliverLogs"]
    assert logs["Resource"] == "*" and all(a.startswith("logs:") for a in logs["Action"])
    assert len(logs["Action"]) == 8


def test_service_mode_has_no_state_machine(synthesized: dict[str, Any]) -> None:
    for case in ("svc_network", "svc_subnets", "svc_default"):
        doc = synthesized[case]
        assert resources(doc, "aws_sfn_state_machine") == [], case
        assert "state_machine_arn" not in doc["output"], case


def test_service_capacity(synthesized: dict[str, Any]) -> None:
    spot = one(synthesized["svc_subnets"], "aws_ecs_service")
    assert spot["capacity_provider_strategy"] == [
        {"capacity_provider": "FARGATE_SPOT", "weight": 1, "base": 0}
    ]
    assert "launch_type" not in spot
    # the service waits for the cluster's capacity providers
    assert any(d.startswith("aws_ecs_cluster_capacity_providers.") for d in spot["depends_on"])
    on_demand = one(synthesized["svc_default"], "aws_ecs_service")
    assert on_demand["launch_type"] == "FARGATE" and "capacity_provider_strategy" not in on_demand


# ---------------------------------------------------------------------------------------------
# Job mode without a schedule
# ---------------------------------------------------------------------------------------------


def test_manual_job_has_neither_schedule_nor_service(synthesized: dict[str, Any]) -> None:
    doc = synthesized["manual"]
    for kind in ("aws_scheduler_schedule", "aws_ecs_service"):
        assert resources(doc, kind) == [], kind
    assert len(resources(doc, "aws_iam_role")) == 3  # execution, task, state machine: no scheduler role
    assert resources(doc, "aws_sqs_queue") == []  # nothing to dead-letter
    outputs = doc["output"]
    # On-demand runs start the state machine too: its ARN is the output to start.
    one(doc, "aws_sfn_state_machine")
    assert ref("aws_sfn_state_machine", "arn", outputs["state_machine_arn"]["value"])
    for name in ("schedule_name", "dead_letter_queue_arn", "dead_letter_queue_url"):
        assert name not in outputs, name  # unscheduled: no schedule, no dead-letter queue
    assert ref("aws_ecs_task_definition", "family", outputs["service_name"]["value"])
    endpoint = outputs["service_endpoint"]["value"]
    assert endpoint.startswith("ecs://${aws_ecs_cluster.")
    assert ref("aws_ecs_task_definition", "family", endpoint)


def test_defaults_without_permissions_create_no_policy(synthesized: dict[str, Any]) -> None:
    doc = synthesized["manual"]
    # never an empty Statement list: the only inline policy is the state machine's
    assert [p["name"] for p in resources(doc, "aws_iam_role_policy")] == ["run-job-task"]
    task = one(doc, "aws_ecs_task_definition")
    assert (task["cpu"], task["memory"]) == ("1024", "2048")
    assert "ephemeral_storage" not in task
    spec = container(doc)
    assert spec["image"] == "ghcr.io/dativo-io/dativo-ingest:1.8.2"  # the pinned platform image
    assert "command" not in spec
    assert "linuxParameters" not in spec and "repositoryCredentials" not in spec
    assert (spec["environment"], spec["secrets"]) == ([], [])
    assert by_name(doc, "aws_cloudwatch_log_group", "/dativo/acme-manual-backfill")["retention_in_days"] == 30


def test_default_network_is_looked_up(synthesized: dict[str, Any]) -> None:
    doc = synthesized["manual"]
    (vpc,) = data_sources(doc, "aws_vpc")
    assert vpc["default"] is True
    (subnets,) = data_sources(doc, "aws_subnets")
    (vpc_filter,) = subnets["filter"]
    assert vpc_filter["name"] == "vpc-id"
    assert ref("data.aws_vpc", "id", vpc_filter["values"])
    group = one(doc, "aws_security_group")
    assert ref("data.aws_vpc", "id", group["vpc_id"])
    assert group["name"] == "acme-manual-backfill-tasks"
    assert resources(doc, "aws_vpc_security_group_ingress_rule") == []


# ---------------------------------------------------------------------------------------------
# Service mode
# ---------------------------------------------------------------------------------------------


def test_service_with_explicit_network(synthesized: dict[str, Any]) -> None:
    doc = synthesized["svc_network"]
    assert resources(doc, "aws_scheduler_schedule") == []
    service = one(doc, "aws_ecs_service")
    assert service["name"] == "acme-webhook-receiver"
    assert service["launch_type"] == "FARGATE"
    assert service["desired_count"] == 2
    assert ref("aws_ecs_cluster", "arn", service["cluster"])
    assert ref("aws_ecs_task_definition", "arn", service["task_definition"])
    assert service["deployment_circuit_breaker"] == {"enable": True, "rollback": True}
    assert service["propagate_tags"] == "SERVICE"
    assert service["enable_execute_command"] is True
    assert container(doc)["linuxParameters"] == {"initProcessEnabled": True}
    assert service["lifecycle"] == {"ignore_changes": ["availability_zone_rebalancing"]}
    assert service["availability_zone_rebalancing"] == "DISABLED"  # aws 6 would leave it to ECS (ENABLED)
    network = service["network_configuration"]
    assert network["subnets"] == ["subnet-0b000000", "subnet-0a000000"]
    assert network["assign_public_ip"] is True
    assert len(network["security_groups"]) == 2
    assert ref("aws_security_group", "id", network["security_groups"][0])
    assert network["security_groups"][1] == "sg-0e000000"
    assert by_name(doc, "aws_security_group", "acme-webhook-receiver-tasks")["vpc_id"] == "vpc-0abc0000"
    assert by_name(doc, "aws_security_group", "acme-webhook-receiver-alb")["vpc_id"] == "vpc-0abc0000"
    assert data_sources(doc, "aws_subnets") == []
    # The load balancer's rules need the VPC's CIDR: the given VPC is looked up by id, never the default.
    (vpc,) = data_sources(doc, "aws_vpc")
    assert vpc["id"] == "vpc-0abc0000"
    assert "default" not in vpc
    assert container(doc)["portMappings"] == [{"containerPort": 9000, "hostPort": 9000, "protocol": "tcp"}]
    outputs = doc["output"]
    assert ref("aws_ecs_service", "name", outputs["service_name"]["value"])
    assert "schedule_name" not in outputs


def test_service_with_subnets_only_and_no_ingress(synthesized: dict[str, Any]) -> None:
    doc = synthesized["svc_subnets"]
    (subnet,) = data_sources(doc, "aws_subnet")
    assert subnet["id"] == "subnet-0c000000"
    assert ref("data.aws_subnet", "vpc_id", one(doc, "aws_security_group")["vpc_id"])
    assert data_sources(doc, "aws_vpc") == []
    assert data_sources(doc, "aws_subnets") == []
    assert resources(doc, "aws_vpc_security_group_ingress_rule") == []
    service = one(doc, "aws_ecs_service")
    assert service["desired_count"] == 1  # min_replicas
    assert service["network_configuration"]["subnets"] == ["subnet-0c000000"]
    assert service["network_configuration"]["assign_public_ip"] is False
    assert resources(doc, "aws_scheduler_schedule") == []
    # max_replicas (3) > min_replicas (1): Application Auto Scaling owns the desired count
    target = one(doc, "aws_appautoscaling_target")
    assert (target["min_capacity"], target["max_capacity"]) == (1, 3)
    assert target["scalable_dimension"] == "ecs:service:DesiredCount"
    cluster = f"${{{ref_of(doc, 'aws_ecs_cluster')}.name}}"
    assert target["resource_id"] == f"service/{cluster}/{service['name']}"
    policy = one(doc, "aws_appautoscaling_policy")
    tracking = policy["target_tracking_scaling_policy_configuration"]
    assert policy["policy_type"] == "TargetTrackingScaling" and tracking["target_value"] == 70
    assert (
        tracking["predefined_metric_specification"]["predefined_metric_type"]
        == "ECSServiceAverageCPUUtilization"
    )
    assert "desired_count" in service["lifecycle"]["ignore_changes"]


def test_service_without_headroom_has_no_autoscaling(synthesized: dict[str, Any]) -> None:
    doc = synthesized["svc_network"]  # min_replicas == max_replicas == 2
    assert one(doc, "aws_ecs_service")["desired_count"] == 2
    assert resources(doc, "aws_appautoscaling_target") == []
    assert resources(doc, "aws_appautoscaling_policy") == []
    assert "desired_count" not in one(doc, "aws_ecs_service")["lifecycle"]["ignore_changes"]


def test_service_on_default_network_is_behind_an_internal_http_load_balancer(
    synthesized: dict[str, Any],
) -> None:
    doc = synthesized["svc_default"]
    (vpc,) = data_sources(doc, "aws_vpc")
    assert vpc["default"] is True
    service = one(doc, "aws_ecs_service")
    assert ref("data.aws_subnets", "ids", service["network_configuration"]["subnets"])
    assert service["desired_count"] == 1
    balancer = one(doc, "aws_lb")
    assert balancer["name"] == "acme-api-bridge"
    assert (balancer["internal"], balancer["load_balancer_type"]) == (True, "application")
    assert balancer["drop_invalid_header_fields"] is True
    assert balancer["enable_deletion_protection"] is False  # environment dev
    assert "access_logs" not in balancer
    assert ref("data.aws_subnets", "ids", balancer["subnets"])  # the tasks' subnets
    # No certificate: one HTTP listener forwarding to the target group, reachable from the VPC's CIDR.
    (listener,) = resources(doc, "aws_lb_listener")
    assert (listener["port"], listener["protocol"]) == (80, "HTTP")
    assert "ssl_policy" not in listener and "certificate_arn" not in listener
    (action,) = listener["default_action"]
    assert action["type"] == "forward" and ref("aws_lb_target_group", "arn", action["target_group_arn"])
    alb_ingress = alb_rules(doc, "aws_vpc_security_group_ingress_rule")
    assert [(r["from_port"], r["to_port"]) for r in alb_ingress] == [(80, 80)]
    assert ref("data.aws_vpc", "cidr_block", alb_ingress[0]["cidr_ipv4"])
    group = one(doc, "aws_lb_target_group")
    assert group["health_check"]["path"] == "/health"  # the default
    assert group["name"] == "acme-api-bridge-8080"
    assert service["health_check_grace_period_seconds"] == 60
    assert (
        doc["output"]["service_endpoint"]["value"] == "http://" + "${" + ref_of(doc, "aws_lb") + ".dns_name}"
    )
    spec = container(doc)
    assert "healthCheck" not in spec  # the image may have no curl: none unless asked
    assert spec["stopTimeout"] == 30
    assert service["network_configuration"]["assign_public_ip"] is True  # default VPC
    assert service["enable_execute_command"] is False


# ---------------------------------------------------------------------------------------------
# Egress rules, CPU architecture, ECS Exec, private registry
# ---------------------------------------------------------------------------------------------


def test_given_egress_rules_replace_the_open_default(synthesized: dict[str, Any]) -> None:
    doc = synthesized["options"]
    rules = resources(doc, "aws_vpc_security_group_egress_rule")
    assert all(ref("aws_security_group", "id", r["security_group_id"]) for r in rules)
    shown = sorted(
        (r["ip_protocol"], r.get("from_port"), r.get("to_port"), r.get("cidr_ipv4") or r.get("cidr_ipv6") or r.get("prefix_list_id"), r["description"])
        for r in rules
    )  # fmt: skip
    assert shown == [
        ("-1", None, None, "::/0", "every IPv6 destination"),
        ("tcp", 443, 443, "pl-63a5400a", "tcp 443 to pl-63a5400a"),
        ("tcp", 5432, 5439, "10.20.0.0/16", "tcp 5432-5439 to 10.20.0.0/16"),
        ("udp", 53, 53, "10.0.0.2/32", "udp 53 to 10.0.0.2/32"),
    ]
    assert "0.0.0.0/0" not in json.dumps(rules)
    # the construct ids: security_group_egress_<n> in the job's order, never the default's id
    ids = sorted(doc["resource"]["aws_vpc_security_group_egress_rule"])
    assert [re.sub(r"_[0-9A-F]{8}$", "", i) for i in ids] == [
        f"runtime_security_group_egress_{n}" for n in range(4)
    ]


def test_given_subnets_are_private_by_default(synthesized: dict[str, Any]) -> None:
    network = run_task(synthesized["options"])["Parameters"]["NetworkConfiguration"]["AwsvpcConfiguration"]
    assert (network["Subnets"], network["AssignPublicIp"]) == (["subnet-0d000000"], "DISABLED")


def test_arm64_exec_and_registry_credentials(synthesized: dict[str, Any]) -> None:
    doc = synthesized["options"]
    task = one(doc, "aws_ecs_task_definition")
    assert task["runtime_platform"] == {"operating_system_family": "LINUX", "cpu_architecture": "ARM64"}
    spec = container(doc)
    assert spec["linuxParameters"] == {"initProcessEnabled": True}  # AWS recommends it with ECS Exec
    assert spec["repositoryCredentials"] == {"credentialsParameter": REGISTRY_SECRET}
    # ECS Exec: the task role policy exists although the job asks for no permissions
    found = statements(by_name(doc, "aws_iam_role_policy", "job-permissions"))
    assert sorted(found) == ["EcsExecChannels"]
    assert found["EcsExecChannels"]["Resource"] == "*"
    assert all(a.startswith("ssmmessages:") for a in found["EcsExecChannels"]["Action"])
    # the execution role reads exactly the registry secret
    execution = statements(by_name(doc, "aws_iam_role_policy", "container-secrets"))
    assert execution == {
        "ReadRegistryCredentials": {
            "Action": "secretsmanager:GetSecretValue", "Effect": "Allow", "Resource": REGISTRY_SECRET,
            "Sid": "ReadRegistryCredentials",
        }
    }  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Service mode: the load balancer
# ---------------------------------------------------------------------------------------------


def ref_of(doc: dict[str, Any], kind: str) -> str:
    """``<kind>.<logical id>`` of the one resource of type ``kind``."""
    (logical_id,) = doc["resource"][kind]
    return f"{kind}.{logical_id}"


def alb_rules(doc: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    """The security group rules of ``kind`` on the load balancer's security group."""
    group = ref_of_named(doc, "aws_security_group", "-alb")
    return [r for r in resources(doc, kind) if r["security_group_id"] == "${" + group + ".id}"]


def ref_of_named(doc: dict[str, Any], kind: str, suffix: str) -> str:
    """``<kind>.<logical id>`` of the one resource of type ``kind`` whose name ends with ``suffix``."""
    (logical_id,) = [i for i, body in doc["resource"][kind].items() if body["name"].endswith(suffix)]
    return f"{kind}.{logical_id}"


@pytest.mark.parametrize("case", ["svc_network", "svc_default", "svc_external", "svc_public_http"])
def test_tasks_accept_traffic_from_the_load_balancer_only(synthesized: dict[str, Any], case: str) -> None:
    doc = synthesized[case]
    port = container(doc)["portMappings"][0]["containerPort"]
    tasks = "${" + ref_of_named(doc, "aws_security_group", "-tasks") + ".id}"
    alb = "${" + ref_of_named(doc, "aws_security_group", "-alb") + ".id}"
    task_ingress = [
        r for r in resources(doc, "aws_vpc_security_group_ingress_rule") if r["security_group_id"] == tasks
    ]
    assert task_ingress == [
        {
            "description": "Container port from the service's load balancer",
            "from_port": port,
            "to_port": port,
            "ip_protocol": "tcp",
            "referenced_security_group_id": alb,
            "security_group_id": tasks,
            "tags": task_ingress[0]["tags"],
        }
    ]
    # Same construct id (so the same Terraform address) as the VPC-CIDR rule it replaces.
    paths = [
        b["//"]["metadata"]["path"] for b in doc["resource"]["aws_vpc_security_group_ingress_rule"].values()
    ]
    assert sum(path.endswith("/runtime/security_group_ingress") for path in paths) == 1
    (egress,) = alb_rules(doc, "aws_vpc_security_group_egress_rule")  # to the tasks, nowhere else
    assert (egress["ip_protocol"], egress["from_port"], egress["to_port"]) == ("tcp", port, port)
    assert egress["referenced_security_group_id"] == tasks and "cidr_ipv4" not in egress
    assert one(doc, "aws_lb")["security_groups"] == [alb]
    # The service registers its container in the target group once the listeners exist.
    service = one(doc, "aws_ecs_service")
    (registration,) = service["load_balancer"]
    assert registration == {
        "container_name": "job",
        "container_port": port,
        "target_group_arn": "${" + ref_of(doc, "aws_lb_target_group") + ".arn}",
    }
    listeners = [f"aws_lb_listener.{i}" for i in sorted(doc["resource"]["aws_lb_listener"])]
    assert sorted(service["depends_on"]) == listeners
    assert service["deployment_circuit_breaker"] == {"enable": True, "rollback": True}
    group = one(doc, "aws_lb_target_group")
    assert (group["target_type"], group["protocol"], group["port"]) == ("ip", "HTTP", port)
    assert group["deregistration_delay"] == "30"
    assert group["lifecycle"] == {"create_before_destroy": True}  # its name holds the port
    check = group["health_check"]
    assert (check["port"], check["protocol"], check["matcher"]) == ("traffic-port", "HTTP", "200-399")
    assert (check["interval"], check["timeout"], check["healthy_threshold"], check["unhealthy_threshold"]) == (
        15, 5, 2, 3,
    )  # fmt: skip


def test_certificate_gives_https_and_redirects_http(synthesized: dict[str, Any]) -> None:
    doc = synthesized["svc_network"]
    listeners = {body["port"]: body for body in resources(doc, "aws_lb_listener")}
    assert sorted(listeners) == [80, 443]
    https = listeners[443]
    assert (https["protocol"], https["ssl_policy"]) == ("HTTPS", "ELBSecurityPolicy-TLS13-1-2-2021-06")
    assert https["certificate_arn"] == CERTIFICATE
    assert [a["type"] for a in https["default_action"]] == ["forward"]
    (redirect,) = listeners[80]["default_action"]
    assert redirect == {
        "type": "redirect",
        "redirect": {"port": "443", "protocol": "HTTPS", "status_code": "HTTP_301"},
    }
    assert one(doc, "aws_lb")["internal"] is True  # ingress internal, HTTPS inside the VPC
    assert one(doc, "aws_lb")["subnets"] == ["subnet-0b000000", "subnet-0a000000"]
    ports = sorted(r["from_port"] for r in alb_rules(doc, "aws_vpc_security_group_ingress_rule"))
    assert ports == [80, 443]
    assert (
        doc["output"]["service_endpoint"]["value"] == "https://" + "${" + ref_of(doc, "aws_lb") + ".dns_name}"
    )
    group = one(doc, "aws_lb_target_group")
    assert group["health_check"]["path"] == "/ready"
    assert one(doc, "aws_ecs_service")["health_check_grace_period_seconds"] == 120
    spec = container(doc)
    assert spec["healthCheck"] == {
        "command": ["CMD", "curl", "-f", "http://localhost:9000/ready"],
        "interval": 30,
        "timeout": 5,
        "retries": 3,
        "startPeriod": 60,
    }
    assert spec["stopTimeout"] == 90


def test_external_service_is_internet_facing_for_the_allowed_networks(synthesized: dict[str, Any]) -> None:
    doc = synthesized["svc_external"]
    balancer = one(doc, "aws_lb")
    assert balancer["internal"] is False
    assert balancer["enable_deletion_protection"] is True  # environment prod
    assert balancer["access_logs"] == {"bucket": "acme-alb-logs", "prefix": "partner-api", "enabled": True}
    rules = alb_rules(doc, "aws_vpc_security_group_ingress_rule")
    assert sorted((r["from_port"], r["cidr_ipv4"]) for r in rules) == [
        (80, "198.51.100.0/24"), (80, "203.0.113.0/24"), (443, "198.51.100.0/24"), (443, "203.0.113.0/24"),
    ]  # fmt: skip
    assert all(r["description"] for r in rules)
    # The networks are the job's: the default VPC is looked up for its id only, never for a CIDR.
    assert [v.get("default") for v in data_sources(doc, "aws_vpc")] == [True]
    assert doc["output"]["service_endpoint"]["value"].startswith("https://${aws_lb.")


def test_external_plain_http_only_when_allowed(synthesized: dict[str, Any]) -> None:
    doc = synthesized["svc_public_http"]
    balancer = one(doc, "aws_lb")
    assert balancer["internal"] is False
    assert balancer["enable_deletion_protection"] is True  # asked for, although dev
    (listener,) = resources(doc, "aws_lb_listener")
    assert (listener["port"], listener["protocol"], listener["default_action"][0]["type"]) == (
        80,
        "HTTP",
        "forward",
    )
    (rule,) = alb_rules(doc, "aws_vpc_security_group_ingress_rule")
    assert (rule["from_port"], rule["cidr_ipv4"]) == (80, "0.0.0.0/0")
    assert doc["output"]["service_endpoint"]["value"].startswith("http://${aws_lb.")


def test_service_without_ingress_has_no_load_balancer_and_no_endpoint(synthesized: dict[str, Any]) -> None:
    doc = synthesized["svc_subnets"]
    for kind in ("aws_lb", "aws_lb_target_group", "aws_lb_listener", "aws_vpc_security_group_ingress_rule"):
        assert resources(doc, kind) == [], kind
    assert len(resources(doc, "aws_security_group")) == 1
    service = one(doc, "aws_ecs_service")
    assert "load_balancer" not in service and "health_check_grace_period_seconds" not in service
    assert "service_endpoint" not in doc["output"]  # reached by nothing: no endpoint output


# ---------------------------------------------------------------------------------------------
# Names of a 128-character job, provider for the local target
# ---------------------------------------------------------------------------------------------


def test_long_job_names_fit_aws_limits(synthesized: dict[str, Any]) -> None:
    doc = synthesized["long"]
    roles = [role["name"] for role in resources(doc, "aws_iam_role")]
    assert len(roles) == 4
    assert all(len(name) <= 64 and re.fullmatch(r"[\w+=,.@-]+", name, re.ASCII) for name in roles)
    assert sorted(name.rsplit("-", 1)[1] for name in roles) == ["exec", "scheduler", "sfn", "task"]
    machine = one(doc, "aws_sfn_state_machine")["name"]
    assert len(machine) <= 80 and re.fullmatch(r"[A-Za-z0-9_-]+", machine)
    log_groups = [g["name"] for g in resources(doc, "aws_cloudwatch_log_group")]
    assert all(len(name) <= 512 for name in log_groups)
    schedule = one(doc, "aws_scheduler_schedule")
    assert len(schedule["name"]) <= 64
    queue = one(doc, "aws_sqs_queue")["name"]
    assert len(queue) <= 80 and re.fullmatch(r"[A-Za-z0-9_-]+", queue) and queue.endswith("-dlq")
    assert schedule["schedule_expression"] == "cron(0/30 * * * ? *)"
    assert len(one(doc, "aws_ecs_cluster")["name"]) <= 255


def test_local_target_points_every_service_at_the_emulator(local_doc: dict[str, Any]) -> None:
    (provider,) = local_doc["provider"]["aws"]
    assert provider["region"] == "us-east-1"
    assert (provider["access_key"], provider["secret_key"]) == ("ak", "sk")
    assert provider["skip_credentials_validation"] is True
    assert provider["skip_requesting_account_id"] is True
    assert provider["skip_metadata_api_check"] == "true"
    assert provider["s3_use_path_style"] is True
    assert "default_tags" not in provider
    (endpoints,) = provider["endpoints"]
    for service in ENDPOINT_SERVICES:
        assert endpoints[service] == LOCAL_ENDPOINT, service


def test_cloud_target_has_no_emulator_settings(synthesized: dict[str, Any]) -> None:
    (provider,) = synthesized["manual"]["provider"]["aws"]
    assert provider == {"region": "us-east-1"}


# ---------------------------------------------------------------------------------------------
# Slow: real terraform init + validate
# ---------------------------------------------------------------------------------------------


def _aws_example_jobs() -> list[Any]:
    from dativo_infra.config.loader import load_jobs

    return [job for job in load_jobs(["jobs"]) if job.config.runtime.type is RuntimeType.AWS_FARGATE]


#: Every AWS example job's stack (collected once, pure Python).
AWS_EXAMPLE_STACKS = sorted(job.stack_name for job in _aws_example_jobs())


@pytest.fixture(scope="session")
def aws_examples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every AWS example job synthesized once for the real cloud (not the emulator): the outdir."""
    from dativo_infra.config.settings import load_settings
    from dativo_infra.synth import synth

    jobs = _aws_example_jobs()
    assert len(jobs) >= 2
    outdir = tmp_path_factory.mktemp("aws-examples") / "cdktf.out"
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("DATIVO_DEPLOY_TARGET", raising=False)
        synth(jobs, outdir, load_settings())
    return outdir


@pytest.mark.slow
@pytest.mark.parametrize("stack", AWS_EXAMPLE_STACKS)
def test_examples_pass_terraform_validate(aws_examples: Path, stack: str) -> None:
    terraform_validate(aws_examples / "stacks" / stack)


@pytest.mark.slow
@pytest.mark.parametrize("case", ["svc_network", "options"])  # network ids; egress rules, exec, registry
def test_jobs_with_given_network_and_options_pass_terraform_validate(
    fargate_out: tuple[Path, dict[str, Any], dict[str, Any]], case: str
) -> None:
    outdir, jobs, _ = fargate_out
    terraform_validate(outdir / "stacks" / jobs[case].stack_name)


#: checkov checks .checkov.yaml skips because an internal example serves plain HTTP: with a
#: certificate none of them may fail.
PLAIN_HTTP_SKIPS = ("CKV_AWS_2", "CKV_AWS_103", "CKV2_AWS_20", "CKV_AWS_378")


@pytest.mark.slow
def test_https_services_pass_the_checks_skipped_for_plain_http(
    fargate_out: tuple[Path, dict[str, Any], dict[str, Any]], tmp_path: Path
) -> None:
    import yaml

    from tests.stacks.test_checkov import CONFIG, failed_checks

    outdir, jobs, _ = fargate_out
    config = yaml.safe_load(CONFIG.read_text())
    assert set(PLAIN_HTTP_SKIPS) <= set(config["skip-check"])
    unskipped = tmp_path / "checkov.yaml"
    unskipped.write_text(
        yaml.safe_dump(
            {**config, "skip-check": [c for c in config["skip-check"] if c not in PLAIN_HTTP_SKIPS]}
        )
    )
    files = [
        outdir / "stacks" / jobs[case].stack_name / "cdk.tf.json" for case in ("svc_network", "svc_external")
    ]
    failing = {f["check_id"] for f in failed_checks(files, unskipped)}
    assert failing & set(PLAIN_HTTP_SKIPS) == set()
    # what remains is the job's choice: WAF for the public one, logs/protection/public IP in the dev one
    assert failing <= {"CKV2_AWS_28", "CKV_AWS_91", "CKV_AWS_150", "CKV_AWS_333"}
