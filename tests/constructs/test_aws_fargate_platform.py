"""AWS Fargate jobs that fit into an existing platform: an existing cluster (name or ARN), existing
execution and task roles, existing security groups instead of the job's own, and the job's extra
IAM statements. What is given is referenced, never created; the job's permissions are attached only
to roles the stack owns. Structure only (resource types and properties, never hashed ids); the
errors and warnings of these options are tested in tests/config/test_aws_platform.py.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from dativo_infra.config.settings import PlatformSettings
from tests.constructs.conftest import Synthesize, one, resources
from tests.constructs.test_aws_fargate import ACCOUNT, API_SECRET, job_yaml, statements

SHARED_ARN = f"arn:aws:ecs:eu-central-1:{ACCOUNT}:cluster/shared-services"
EXEC_ROLE = f"arn:aws:iam::{ACCOUNT}:role/platform/ecs-execution"
TASK_ROLE = f"arn:aws:iam::{ACCOUNT}:role/orders-writer"
TABLE = f"arn:aws:dynamodb:eu-central-1:{ACCOUNT}:table/orders"
GLUE_TABLE = f"arn:aws:glue:eu-central-1:{ACCOUNT}:table/sales/orders"
#: Glue authorizes a table read on the catalog, the database and the table (parliament checks it).
GLUE = [
    f"arn:aws:glue:eu-central-1:{ACCOUNT}:catalog",
    f"arn:aws:glue:eu-central-1:{ACCOUNT}:database/sales",
    GLUE_TABLE,
]
PARTITION = "${data.aws_partition."
ACCOUNT_REF = "${data.aws_caller_identity."

JOBS: dict[str, str] = {
    # an existing cluster by name, on a schedule, with extra statements beside a storage grant
    "by_name": job_yaml(
        "shared_cluster",
        f"""\
    schedule: "0 4 * * *"
    existing:
      cluster: data-platform-shared
    permissions:
      storage:
        - bucket: lake-raw
      statements:
        - actions:
            - dynamodb:PutItem
            - dynamodb:BatchWriteItem
          resources:
            - {TABLE}
        - sid: ReadCatalog
          actions:
            - glue:GetTable
          resources:
            - {GLUE[0]}
            - {GLUE[1]}
            - {GLUE[2]}
          conditions:
            Bool:
              aws:SecureTransport: true
            StringEquals:
              aws:RequestedRegion:
                - eu-central-1
""",
    ),
    # an existing cluster by ARN, a service that scales (its autoscaling target names the cluster)
    "by_arn": job_yaml(
        "arn_cluster",
        f"""\
    mode: service
    ingress: none
    scaling: {{min_replicas: 1, max_replicas: 2}}
    existing:
      cluster: {SHARED_ARN}
""",
    ),
    # both roles given, scheduled: only the scheduler's role is created
    "roles": job_yaml(
        "given_roles",
        f"""\
    schedule: "0 5 * * *"
    secrets:
      API_TOKEN: {API_SECRET}
    existing:
      execution_role_arn: {EXEC_ROLE}
      task_role_arn: {TASK_ROLE}
""",
    ),
    # the platform's security groups only
    "groups": job_yaml(
        "given_groups",
        """\
    mode: service
    ingress: none
    network:
      subnet_ids: [subnet-0c000000]
      security_group_ids: [sg-0e000000, sg-0f000000]
      create_security_group: false
""",
    ),
}


@pytest.fixture(scope="module")
def synthesized(synthesize: Synthesize) -> dict[str, dict[str, Any]]:
    return synthesize(JOBS, PlatformSettings())[1]


def outputs(doc: dict[str, Any]) -> dict[str, Any]:
    return {name: body["value"] for name, body in doc["output"].items()}


def state_machine_policy(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The statements of the state machine's role, which runs the job's task."""
    (policy,) = [p for p in resources(doc, "aws_iam_role_policy") if p["name"] == "run-job-task"]
    return statements(policy)


def test_an_existing_cluster_by_name_is_referenced_not_created(synthesized: dict[str, Any]) -> None:
    doc = synthesized["by_name"]
    assert resources(doc, "aws_ecs_cluster") == []
    found = outputs(doc)
    assert found["cluster_name"] == "data-platform-shared"
    arn = found["cluster_arn"]
    assert arn.startswith(f"arn:{PARTITION}") and ":ecs:eu-central-1:" in arn
    assert ACCOUNT_REF in arn and arn.endswith(":cluster/data-platform-shared")
    assert found["service_endpoint"].startswith("ecs://data-platform-shared/")
    policy = state_machine_policy(doc)
    assert policy["RunJobTask"]["Condition"] == {"ArnLike": {"ecs:cluster": arn}}
    assert policy["TagStartedTasks"]["Resource"].endswith(":task/data-platform-shared/*")
    definition = one(doc, "aws_sfn_state_machine")["definition"]
    assert json.dumps(arn)[1:-1] in definition  # the state machine runs the task on the given cluster
    # what the stack still owns is created as before
    assert {r["name"] for r in resources(doc, "aws_iam_role")} == {
        "acme-shared-cluster-exec",
        "acme-shared-cluster-task",
        "acme-shared-cluster-scheduler",
        "acme-shared-cluster-sfn",
    }
    # the platform's cluster keeps its own capacity providers: the stack associates none
    assert resources(doc, "aws_ecs_cluster_capacity_providers") == []
    assert len(resources(doc, "aws_security_group")) == 1


def test_an_existing_cluster_by_arn_is_used_as_given(synthesized: dict[str, Any]) -> None:
    doc = synthesized["by_arn"]
    assert resources(doc, "aws_ecs_cluster") == []
    assert one(doc, "aws_ecs_service")["cluster"] == SHARED_ARN
    found = outputs(doc)
    assert (found["cluster_name"], found["cluster_arn"]) == ("shared-services", SHARED_ARN)
    target = one(doc, "aws_appautoscaling_target")
    assert target["resource_id"] == "service/shared-services/acme-arn-cluster"


def test_the_job_statements_follow_the_grants_in_the_task_policy(synthesized: dict[str, Any]) -> None:
    doc = synthesized["by_name"]
    (policy,) = [p for p in resources(doc, "aws_iam_role_policy") if p["name"] == "job-permissions"]
    document = json.loads(policy["policy"])
    assert [s["Sid"] for s in document["Statement"]] == [
        "S3List0",
        "S3Objects0",
        "JobStatement0",
        "ReadCatalog",
    ]
    found = statements(policy)
    assert found["JobStatement0"] == {
        "Action": ["dynamodb:PutItem", "dynamodb:BatchWriteItem"],
        "Effect": "Allow",
        "Resource": TABLE,
        "Sid": "JobStatement0",
    }
    assert found["ReadCatalog"] == {
        "Action": "glue:GetTable",
        "Condition": {
            "Bool": {"aws:SecureTransport": "true"},
            "StringEquals": {"aws:RequestedRegion": ["eu-central-1"]},
        },
        "Effect": "Allow",
        "Resource": GLUE,
        "Sid": "ReadCatalog",
    }


def test_given_roles_are_referenced_and_get_nothing_attached(synthesized: dict[str, Any]) -> None:
    doc = synthesized["roles"]
    assert sorted(r["name"] for r in resources(doc, "aws_iam_role")) == [
        "acme-given-roles-scheduler",
        "acme-given-roles-sfn",
    ]
    assert resources(doc, "aws_iam_role_policy_attachment") == []
    assert sorted(p["name"] for p in resources(doc, "aws_iam_role_policy")) == [
        "run-job-task",
        "start-job-run",
    ]
    task = one(doc, "aws_ecs_task_definition")
    assert (task["execution_role_arn"], task["task_role_arn"]) == (EXEC_ROLE, TASK_ROLE)
    # the container still names its secret: the given execution role must read it (validate warns)
    secrets = json.loads(task["container_definitions"])[0]["secrets"]
    assert secrets == [{"name": "API_TOKEN", "valueFrom": API_SECRET}]
    assert state_machine_policy(doc)["PassTaskRoles"]["Resource"] == [EXEC_ROLE, TASK_ROLE]
    found = outputs(doc)
    assert (found["execution_role_arn"], found["task_role_arn"]) == (EXEC_ROLE, TASK_ROLE)
    assert len(resources(doc, "aws_ecs_cluster")) == 1  # the cluster is still the job's own


def test_without_its_own_security_group_the_tasks_use_only_the_given_ones(
    synthesized: dict[str, Any],
) -> None:
    doc = synthesized["groups"]
    assert resources(doc, "aws_security_group") == []
    assert resources(doc, "aws_vpc_security_group_egress_rule") == []
    assert resources(doc, "aws_vpc_security_group_ingress_rule") == []
    network = one(doc, "aws_ecs_service")["network_configuration"]
    assert network["security_groups"] == ["sg-0e000000", "sg-0f000000"]
    assert outputs(doc)["security_group_id"] == "sg-0e000000"


def test_a_stack_that_owns_everything_keeps_its_construct_ids(synthesized: dict[str, Any]) -> None:
    """What is still created keeps its construct path (renaming one replaces the cloud resource)."""
    doc = synthesized["by_name"]
    paths = {
        body["//"]["metadata"]["path"].split("/", 2)[2]
        for kind in (
            "aws_iam_role",
            "aws_iam_role_policy",
            "aws_iam_role_policy_attachment",
            "aws_security_group",
        )
        for body in doc["resource"].get(kind, {}).values()
    }
    assert {
        "execution_role",
        "execution_role_policy_attachment",
        "task_role",
        "task_role_permissions",
        "security_group",
    } <= paths
