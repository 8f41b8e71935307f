"""The ``aws_fargate`` runtime model: ECS tasks on Fargate, its fields, defaults and AWS rules.

The rules come from :mod:`dativo_infra.clouds.aws`, which the construct
(:mod:`dativo_infra.constructs.aws_fargate`) builds with too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from pydantic import Field

from dativo_infra.clouds import Refusal, aws, aws_existing
from dativo_infra.config.fields import EnvVarName, NonEmpty, Problem, Strict, only_in
from dativo_infra.config.runtimes.aws_egress import AwsEgressRule
from dativo_infra.config.runtimes.aws_fargate_load_balancer import AwsLoadBalancer, load_balancer_problems
from dativo_infra.config.runtimes.aws_platform import (
    AwsExisting,
    AwsStatement,
    execution_role_warnings,
    existing_problems,
    statement_problems,
)
from dativo_infra.config.runtimes.base import (
    ALLOWED_ESCALATION,
    RuntimeBase,
    StorageGrant,
    described,
    log_retention_field,
    timeout_field,
)
from dativo_infra.contract import RuntimeType


class AwsNetwork(Strict):
    """Where the tasks' network interfaces live. Unset: the region's default VPC and its subnets."""

    vpc_id: NonEmpty | None = Field(
        None, description="VPC of the tasks. Unset: the VPC of the first subnet, else the default VPC"
    )
    subnet_ids: list[NonEmpty] = Field(
        default_factory=list, description="Subnets of the tasks. Unset: every subnet of the VPC"
    )
    security_group_ids: list[NonEmpty] = Field(
        default_factory=list,
        description=(
            "Existing security groups of the tasks: beside the job's own group, or instead of it with "
            "create_security_group false. Unset: none"
        ),
    )
    create_security_group: bool = Field(
        True,
        description=(
            "Create the job's own security group (its egress rules, and the load balancer's rule into the "
            "tasks). false: the tasks use only security_group_ids (required; no egress, no service ingress). "
            "Unset: true"
        ),
    )
    assign_public_ip: bool | None = Field(
        None,
        description=(
            "Give tasks a public IP. Unset: true on the default VPC (no vpc_id, no subnet_ids: its subnets "
            "are public without NAT, the image pull needs the public IP), false when a VPC or subnets are given"
        ),
    )
    egress: list[AwsEgressRule] | None = Field(
        None,
        description=(
            "Outbound rules of the job's security group (each: one destination, protocol, ports). The task "
            "needs 443 to its registry (and to AWS APIs: logs, Secrets Manager) unless VPC endpoints serve "
            "them; DNS goes to the VPC resolver. Unset: all outbound traffic to 0.0.0.0/0"
        ),
    )

    def public_ip(self) -> bool:
        """Whether the tasks get a public IP: the field, else the default of
        :func:`~dativo_infra.clouds.aws.default_public_ip` (the one place that rule lives)."""
        if self.assign_public_ip is not None:
            return self.assign_public_ip
        return aws.default_public_ip(vpc_given=self.vpc_id is not None, subnets_given=bool(self.subnet_ids))


class AwsStorageGrant(StorageGrant):
    """One S3 bucket (or a key prefix of it) the job may use."""

    bucket: NonEmpty = described(StorageGrant, "bucket", "S3 bucket name")
    prefix: str = Field("", description="Key prefix the grant is limited to. Unset: the whole bucket")


class AwsPermissions(Strict):
    """What the task role may touch. Unset: nothing beyond writing its own logs."""

    storage: list[AwsStorageGrant] = Field(default_factory=list, description="S3 buckets. Unset: none")
    secrets: list[NonEmpty] = Field(
        default_factory=list, description="Secrets Manager ARNs the job reads at run time. Unset: none"
    )
    kms_keys: list[NonEmpty] = Field(
        default_factory=list, description="KMS key ARNs to decrypt with. Unset: none"
    )
    statements: list[AwsStatement] = Field(
        default_factory=list,
        description=(
            "Extra Allow statements of the task role (actions, resources, optional conditions), appended to its "
            "policy. Actions that can escalate privileges (permissions management, iam: writes, sts:AssumeRole*) "
            "are refused unless the platform setting aws.allowed_escalation_actions names them. Unset: none"
        ),
    )

    def given(self) -> list[str]:
        """The permission fields that grant something."""
        return [name for name in ("storage", "secrets", "kms_keys", "statements") if getattr(self, name)]


class AwsFargateRuntime(RuntimeBase):
    """An ECS task definition on Fargate: run on a schedule, on demand, or as a service."""

    TYPE: ClassVar[RuntimeType] = RuntimeType.AWS_FARGATE

    type: Literal[RuntimeType.AWS_FARGATE] = Field(description="aws_fargate")
    cpu_millicores: int = described(
        RuntimeBase,
        "cpu_millicores",
        "Task CPU in millicores, a Fargate size: "
        + ", ".join(map(str, aws.FARGATE_CPU_MILLICORES))
        + ". Unset: 1000",
    )
    memory_mib: int = described(
        RuntimeBase, "memory_mib", "Task memory in MiB, one Fargate allows with the cpu. Unset: 2048"
    )
    ephemeral_storage_gib: int = Field(
        aws.DEFAULT_EPHEMERAL_GIB,
        ge=aws.DEFAULT_EPHEMERAL_GIB,
        le=aws.MAX_EPHEMERAL_GIB,
        description=f"Task storage in GiB: {aws.DEFAULT_EPHEMERAL_GIB} is Fargate's default (no setting is "
        f"written), {aws.MIN_EPHEMERAL_GIB}-{aws.MAX_EPHEMERAL_GIB} enlarge it. Unset: {aws.DEFAULT_EPHEMERAL_GIB}",
    )
    schedule: str | None = described(
        RuntimeBase,
        "schedule",
        "Job mode: 5-field cron run by EventBridge Scheduler: unix cron, plus Quartz '?', 'L', 'W' and '#' in "
        "the day fields; each run starts the job's state machine. Unset: no schedule, the job runs when its state "
        "machine is started (aws stepfunctions start-execution --state-machine-arn <state_machine_arn output>)",
    )
    timeout_seconds: int = timeout_field(
        "Job mode: longest a run may take, in seconds; the job's Step Functions state machine runs the task "
        "(ecs:runTask.sync) with this TimeoutSeconds and stops it when it is exceeded. Every run, scheduled "
        "or on demand, goes through it. Unset: 3600",
        "job",
    )
    capacity: Literal["on_demand", "spot"] = Field(
        "on_demand",
        description=(
            "Fargate capacity of the tasks: on_demand (capacity provider FARGATE) or spot (FARGATE_SPOT: cheaper, "
            "but AWS may stop a task with a two-minute warning; choose it only for a job that can be rerun "
            "safely; x86_64 only). Unset: on_demand"
        ),
    )
    retries: int = described(
        RuntimeBase,
        "retries",
        "Scheduled jobs: EventBridge Scheduler retries of a failed start of the job's state machine (a task that "
        "fails to launch is retried by the state machine itself). Unset: 0",
    )
    retry_max_event_age_seconds: int = Field(
        aws.MAX_EVENT_AGE_SECONDS,
        ge=aws.MIN_EVENT_AGE_SECONDS,
        le=aws.MAX_EVENT_AGE_SECONDS,
        description=(
            "Scheduled jobs: how long EventBridge Scheduler keeps retrying a failed start of the state machine, in seconds "
            f"({aws.MIN_EVENT_AGE_SECONDS}-{aws.MAX_EVENT_AGE_SECONDS}); after that, or after the retries, "
            f"the start goes to the job's dead-letter queue. Unset: {aws.MAX_EVENT_AGE_SECONDS} (AWS's default)"
        ),
        json_schema_extra=only_in("job"),
    )
    ingress: Literal["none", "internal", "external"] = described(
        RuntimeBase,
        "ingress",
        "Service mode: none creates no load balancer and opens no port; internal: an internal Application "
        "Load Balancer reachable from the VPC; external: an internet-facing one (give public subnets, or none "
        "for the default VPC's public ones; needs load_balancer.certificate_arn). Tasks accept traffic from the "
        "load balancer only. Unset: internal",
    )
    load_balancer: AwsLoadBalancer = Field(
        default_factory=AwsLoadBalancer,
        description="Service mode with ingress internal or external: the load balancer's listener, health "
        "check, allowed networks, deletion protection and access logs. Unset: every default",
        json_schema_extra=only_in("service"),
    )
    health_check_command: list[NonEmpty] = Field(
        default_factory=list,
        description="Service mode: container health check run by ECS inside the container (exec form, e.g. "
        "[curl, -f, http://localhost:8080/health]; a shell: [sh, -c, '...']); the image must contain the "
        "program. Unset: none (the load balancer's health check still applies)",
        json_schema_extra=only_in("service"),
    )
    stop_timeout_seconds: int = Field(
        aws.DEFAULT_STOP_TIMEOUT_SECONDS,
        ge=1,
        le=aws.MAX_STOP_TIMEOUT_SECONDS,
        description="Service mode: seconds between SIGTERM and SIGKILL when a task stops (Fargate allows up to "
        f"{aws.MAX_STOP_TIMEOUT_SECONDS}). Unset: {aws.DEFAULT_STOP_TIMEOUT_SECONDS}",
        json_schema_extra=only_in("service"),
    )
    secrets: dict[EnvVarName, NonEmpty] = described(
        RuntimeBase,
        "secrets",
        "Environment variables from Secrets Manager ARNs (optionally :json-key:stage:version) or SSM parameter "
        "ARNs / names; the execution role may read exactly these. Unset: none",
    )
    network: AwsNetwork = Field(default_factory=AwsNetwork)
    permissions: AwsPermissions = Field(default_factory=AwsPermissions)
    existing: AwsExisting = Field(
        default_factory=AwsExisting,
        description="Existing cluster and roles the job uses instead of creating them. Unset: all created",
    )
    log_retention_days: int = log_retention_field("A CloudWatch Logs retention period in days. Unset: 30")
    log_kms_key_arn: NonEmpty | None = Field(
        None,
        description=(
            "KMS key encrypting the log group (its key policy must allow logs.<region>.amazonaws.com); "
            "required for jobs classified pii, confidential or restricted. Unset: CloudWatch's own encryption"
        ),
    )
    cpu_architecture: Literal["x86_64", "arm64"] = Field(
        "x86_64",
        description="CPU architecture of the task (runtime platform); the image must be built for it. Unset: x86_64",
    )
    enable_execute_command: bool = Field(
        False,
        description=(
            "ECS Exec (aws ecs execute-command into a running task): the task role may open SSM message "
            "channels and the container runs an init process. Unset: false"
        ),
    )
    registry_credentials_secret_arn: NonEmpty | None = Field(
        None,
        description=(
            "Secrets Manager secret (username, password) to pull a private image with; the execution role may "
            "read exactly this secret. Unset: the image is public or in ECR"
        ),
    )

    @staticmethod
    def check_schedule(expression: str) -> None:
        aws.check_schedule(expression)

    def cloud_problems(self) -> list[Problem]:
        found = self._reference_problems() + self._egress_problems() + existing_problems(self)
        memories = aws.fargate_memory_choices(self.cpu_millicores)
        if not memories:
            allowed = ", ".join(map(str, aws.FARGATE_CPU_MILLICORES))
            found.append(
                Problem(
                    ("cpu_millicores",), "not a Fargate task size", self.cpu_millicores, f"one of {allowed}"
                )
            )
        elif self.memory_mib not in memories:
            allowed = f"{memories[0]} to {memories[-1]} in steps of {memories[1] - memories[0]}"
            found.append(
                Problem(
                    ("memory_mib",),
                    f"not valid with cpu_millicores {self.cpu_millicores} on Fargate",
                    self.memory_mib,
                    allowed,
                )
            )
        if self.log_retention_days not in aws.LOG_RETENTION_DAYS:
            allowed = "one of " + ", ".join(map(str, aws.LOG_RETENTION_DAYS))
            found.append(
                Problem(
                    ("log_retention_days",),
                    "not a CloudWatch retention period",
                    self.log_retention_days,
                    allowed,
                )
            )
        if self.mode == "service":
            given = "load_balancer" in self.model_fields_set
            found += load_balancer_problems(
                self.load_balancer, self.ingress, given=given, subnet_ids=self.network.subnet_ids
            )
        spot = aws.spot_refusal(self.capacity, self.cpu_architecture)
        if spot is not None:
            found.append(Problem(("capacity",), spot.problem, self.capacity, spot.expected))
        if self.mode == "job" and self.schedule is None:
            # Without a schedule whoever starts the state machine retries a failed start.
            scheduler_fields = (
                (("retries",), self.retries, "retries" in self.model_fields_set),
                (
                    ("retry_max_event_age_seconds",),
                    self.retry_max_event_age_seconds,
                    "retry_max_event_age_seconds" in self.model_fields_set,
                ),
            )
            found += [
                Problem(
                    where,
                    "applies to scheduled AWS jobs only (EventBridge Scheduler starts their runs)",
                    value,
                    f"a schedule, or no {where[-1]} (whoever starts the state machine on demand retries a failed start)",
                )
                for where, value, given in scheduler_fields
                if given
            ]
        return found

    def cloud_warnings(self) -> list[Problem]:
        network = self.network
        found: list[Problem] = []
        if network.assign_public_ip is False and network.vpc_id is None and not network.subnet_ids:
            found.append(
                Problem(
                    ("network", "assign_public_ip"),
                    "tasks in the default VPC without a public IP cannot pull their image (it has no NAT "
                    "gateway) unless VPC endpoints serve the registry",
                    False,
                    "no assign_public_ip (true on the default VPC), or subnet_ids with a route to the registry",
                )
            )
        found += execution_role_warnings(self)
        return found

    def region_problems(self, region: str) -> list[Problem]:
        """An existing cluster given by ARN must be in the job's region: ECS runs a task definition
        only on a cluster of its own region."""
        cluster = self.existing.cluster
        cluster_region = aws_existing.cluster_region(cluster) if cluster is not None else None
        if cluster_region is None or cluster_region == region:
            return []
        return [
            Problem(
                ("existing", "cluster"),
                f"the cluster is in {cluster_region}, the job in {region}: ECS runs a task on a cluster of "
                "its own region",
                cluster,
                f"a cluster in {region} (its name, or an ARN arn:aws:ecs:{region}:...)",
            )
        ]

    def platform_problems(self, context: Mapping[str, Any]) -> list[Problem]:
        """The extra statements of the task role, with the escalation actions the platform settings
        allow (``context``): see :func:`~.aws_platform.statement_problems`."""
        return statement_problems(self.permissions.statements, context.get(ALLOWED_ESCALATION, ()))

    def _egress_problems(self) -> list[Problem]:
        egress = self.network.egress
        if egress is None:
            return []
        if not egress:
            return [
                Problem(
                    ("network", "egress"),
                    "no egress rule: tasks could not even pull their image",
                    egress,
                    "at least one rule (e.g. tcp 443 to the registry), or no egress (all outbound traffic)",
                )
            ]
        return [p for index, rule in enumerate(egress) for p in rule.problems(("network", "egress", index))]

    def _reference_problems(self) -> list[Problem]:
        """Every resource the job names (buckets, prefixes, secrets, keys, network ids) in AWS's own
        grammar: these become IAM grants, so no wildcard or policy variable gets through."""
        checks: list[tuple[tuple[str | int, ...], str, Refusal | None]] = []
        permissions, network = self.permissions, self.network
        for index, grant in enumerate(permissions.storage):
            where = ("permissions", "storage", index)
            checks.append(((*where, "bucket"), grant.bucket, aws.bucket_refusal(grant.bucket)))
            checks.append(((*where, "prefix"), grant.prefix, aws.prefix_refusal(grant.prefix)))
        checks += [
            (("permissions", "secrets", index), arn, aws.secret_arn_refusal(arn))
            for index, arn in enumerate(permissions.secrets)
        ]
        checks += [
            (("permissions", "kms_keys", index), arn, aws.kms_key_refusal(arn))
            for index, arn in enumerate(permissions.kms_keys)
        ]
        if self.log_kms_key_arn is not None:
            checks.append(
                (("log_kms_key_arn",), self.log_kms_key_arn, aws.kms_key_refusal(self.log_kms_key_arn))
            )
        checks += [
            (("secrets", var), reference, aws.container_secret_refusal(reference))
            for var, reference in self.secrets.items()
        ]
        if (registry := self.registry_credentials_secret_arn) is not None:
            checks.append((("registry_credentials_secret_arn",), registry, aws.secret_arn_refusal(registry)))
        if network.vpc_id is not None:
            checks.append(
                (("network", "vpc_id"), network.vpc_id, aws.network_id_refusal("vpc", network.vpc_id))
            )
        checks += [
            (("network", "subnet_ids", index), subnet, aws.network_id_refusal("subnet", subnet))
            for index, subnet in enumerate(network.subnet_ids)
        ]
        checks += [
            (("network", "security_group_ids", index), group, aws.network_id_refusal("sg", group))
            for index, group in enumerate(network.security_group_ids)
        ]
        return [Problem(where, r.problem, value, r.expected) for where, value, r in checks if r is not None]
