"""AWS Fargate runtime: one ECS task definition per job, run on a schedule, on demand, or as a service.

Resources (construct ids are part of the contract: renaming one replaces the cloud resource):

* ``cluster``: ECS cluster with Container Insights;
* ``log_group``: CloudWatch log group ``/dativo/<name>`` (retention, optional KMS key);
* ``partition``, ``caller_identity``: the account and partition every ARN and trust policy names;
* ``execution_role`` (+ ``execution_role_policy_attachment``, ``execution_role_secrets``): pulls the
  image, writes logs, resolves the container's secrets;
* ``task_role`` (+ ``task_role_permissions`` when the job has permissions): what the job may touch;
  both roles trust ECS tasks of the job's own account only (``aws:SourceAccount``; the task role also
  ``aws:SourceArn``, ECS resources of the account in the region);
* ``task_definition``: Fargate, awsvpc, one container ``job`` with a read-only root filesystem;
* ``security_group`` (+ ``security_group_egress``, service mode ``security_group_ingress``);
* network lookups when ids are not given: ``default_vpc``/``vpc``, ``subnets``, ``first_subnet``;
* mode ``service``: ``service`` (desired count = min replicas), and when max > min replicas
  ``autoscaling_target`` + ``autoscaling_cpu`` (target tracking on average CPU, 70 %);
* mode ``job`` with a schedule: ``schedule`` (EventBridge Scheduler: retries, maximum event age,
  dead-letter queue), ``scheduler_role`` (+ ``scheduler_role_policy``: run and tag the task, pass its
  roles, send to the queue; trusted by Scheduler for the account's ``default`` schedule group only)
  and ``dead_letter_queue`` (SQS, SQS-managed encryption, 14 days); without a schedule nothing
  starts the task (run it on demand).

The construct takes the typed runtime model (:class:`~dativo_infra.config.runtimes.AwsFargateRuntime`,
whose fields say what an unset field does) and the job's :class:`~.registry.Placement`. Names, sizes and
the schedule conversion come from :mod:`dativo_infra.clouds.aws` (the rules validation uses); policy
documents and the container definition from :mod:`.aws_fargate_documents`. Tags are not set here:
the stack's TaggingAspect tags every resource that takes tags.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cdktf import TerraformResourceLifecycle, TerraformStack
from cdktf_cdktf_provider_aws.appautoscaling_policy import (
    AppautoscalingPolicy,
    AppautoscalingPolicyTargetTrackingScalingPolicyConfiguration,
    AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecification,
)
from cdktf_cdktf_provider_aws.appautoscaling_target import AppautoscalingTarget
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_partition import DataAwsPartition
from cdktf_cdktf_provider_aws.data_aws_subnet import DataAwsSubnet
from cdktf_cdktf_provider_aws.data_aws_subnets import DataAwsSubnets, DataAwsSubnetsFilter
from cdktf_cdktf_provider_aws.data_aws_vpc import DataAwsVpc
from cdktf_cdktf_provider_aws.ecs_cluster import EcsCluster, EcsClusterSetting
from cdktf_cdktf_provider_aws.ecs_service import (
    EcsService,
    EcsServiceDeploymentCircuitBreaker,
    EcsServiceNetworkConfiguration,
)
from cdktf_cdktf_provider_aws.ecs_task_definition import (
    EcsTaskDefinition,
    EcsTaskDefinitionEphemeralStorage,
    EcsTaskDefinitionVolume,
)
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderEndpoints
from cdktf_cdktf_provider_aws.scheduler_schedule import (
    SchedulerSchedule,
    SchedulerScheduleFlexibleTimeWindow,
    SchedulerScheduleTarget,
    SchedulerScheduleTargetDeadLetterConfig,
    SchedulerScheduleTargetEcsParameters,
    SchedulerScheduleTargetEcsParametersNetworkConfiguration,
    SchedulerScheduleTargetRetryPolicy,
)
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

from dativo_infra.clouds import aws
from dativo_infra.config.runtimes import AwsFargateRuntime
from dativo_infra.config.runtimes.aws_fargate import AwsNetwork
from dativo_infra.config.settings import PlatformSettings
from dativo_infra.constructs.aws_fargate_documents import (
    ECS_TASKS_SERVICE,
    SCHEDULER_SERVICE,
    container_definitions,
    ecs_source_arn,
    ecs_task_arns,
    execution_secret_statements,
    policy_json,
    schedule_group_arn,
    scheduler_statements,
    task_statements,
    trust_policy,
)
from dativo_infra.constructs.registry import NO_VALUE, Placement

#: Services the construct (and its data sources) call; all of them go to the emulator when local.
LOCAL_ENDPOINT_SERVICES: tuple[str, ...] = (
    "appautoscaling",
    "cloudwatch",
    "ec2",
    "ecs",
    "events",
    "iam",
    "kms",
    "logs",
    "resourcegroupstaggingapi",
    "s3",
    "scheduler",
    "secretsmanager",
    "sqs",
    "sts",
)
#: AWS managed policy of every ECS task execution role (the partition is filled in).
EXECUTION_POLICY = "arn:{partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"


def configure_provider(
    stack: TerraformStack, placement: Placement, runtime: AwsFargateRuntime, settings: PlatformSettings
) -> None:
    """The AWS provider of a job's stack, in the job's region.

    No ``default_tags``: the TaggingAspect tags every resource explicitly (provider default tags
    plus resource tags of the same key cause perpetual diffs). With the ``local`` deploy target
    every service the runtime uses goes to the emulator with its fake keys.
    """
    del runtime  # one provider per region, whatever the runtime's fields
    if settings.effective_target != "local":
        AwsProvider(stack, "aws", region=placement.region)
        return
    endpoint = settings.local_endpoint
    AwsProvider(
        stack,
        "aws",
        region=placement.region,
        access_key=settings.local_cloud.access_key,
        secret_key=settings.local_cloud.secret_key,
        skip_credentials_validation=True,
        skip_requesting_account_id=True,
        skip_metadata_api_check="true",  # a string in the provider schema
        s3_use_path_style=True,
        endpoints=[AwsProviderEndpoints(**dict.fromkeys(LOCAL_ENDPOINT_SERVICES, endpoint))],
    )


@dataclass(frozen=True)
class _Network:
    """Where the tasks run: the VPC id, subnet ids and (service ingress only) the VPC's CIDR."""

    vpc_id: str
    subnets: list[str]
    cidr: str | None  # the VPC's CIDR, looked up only when an ingress rule needs it


class Runtime(Construct):
    """ECS on Fargate for one job. ``outputs`` holds every contract output of ``aws_fargate``."""

    def __init__(self, scope: Construct, id: str, runtime: AwsFargateRuntime, placement: Placement) -> None:
        super().__init__(scope, id)
        self.runtime = runtime
        self.placement = placement
        self.names = names = aws.resource_names(placement.name)
        self.partition = partition = DataAwsPartition(self, "partition").partition
        self.account = account = DataAwsCallerIdentity(self, "caller_identity").account_id

        self.cluster = EcsCluster(
            self,
            "cluster",
            name=names.cluster,
            setting=[EcsClusterSetting(name="containerInsights", value="enabled")],
        )
        self.log_group = CloudwatchLogGroup(
            self,
            "log_group",
            name=names.log_group,
            retention_in_days=runtime.log_retention_days,
            kms_key_id=runtime.log_kms_key_arn,
        )

        # Execution role: ECS agent pulls the image, writes logs, resolves container secrets.
        self.execution_role = IamRole(
            self,
            "execution_role",
            name=names.execution_role,
            description="ECS task execution role (image pull, logs, container secrets)",
            # aws:SourceAccount only: AWS documents aws:SourceArn for the task role, not for the role
            # the ECS agent assumes to pull the image and write logs.
            assume_role_policy=trust_policy(ECS_TASKS_SERVICE, source_account=account),
        )
        IamRolePolicyAttachment(
            self,
            "execution_role_policy_attachment",
            role=self.execution_role.name,
            policy_arn=EXECUTION_POLICY.format(partition=partition),
        )
        secret_statements = execution_secret_statements(
            partition, placement.region, [runtime.secrets[k] for k in sorted(runtime.secrets)]
        )
        if secret_statements:
            IamRolePolicy(
                self,
                "execution_role_secrets",
                name="container-secrets",
                role=self.execution_role.id,
                policy=policy_json(secret_statements),
            )

        # Task role: least privilege from runtime.permissions; no policy when nothing is asked.
        self.task_role = IamRole(
            self,
            "task_role",
            name=names.task_role,
            description="Role the job's container runs as",
            assume_role_policy=trust_policy(
                ECS_TASKS_SERVICE,
                source_account=account,
                source_arn=ecs_source_arn(partition, placement.region, account),
            ),
        )
        permissions = runtime.permissions
        statements = task_statements(
            partition, permissions.storage, permissions.secrets, permissions.kms_keys
        )
        self.task_policy = (
            IamRolePolicy(
                self,
                "task_role_permissions",
                name="job-permissions",
                role=self.task_role.id,
                policy=policy_json(statements),
            )
            if statements
            else None
        )

        service_mode = runtime.mode == "service"
        self.task_definition = EcsTaskDefinition(
            self,
            "task_definition",
            family=names.family,
            requires_compatibilities=["FARGATE"],
            network_mode="awsvpc",
            cpu=str(aws.fargate_cpu_units(runtime.cpu_millicores)),
            memory=str(runtime.memory_mib),
            execution_role_arn=self.execution_role.arn,
            task_role_arn=self.task_role.arn,
            ephemeral_storage=(
                EcsTaskDefinitionEphemeralStorage(size_in_gib=runtime.ephemeral_storage_gib)
                if runtime.ephemeral_storage_gib > aws.DEFAULT_EPHEMERAL_GIB
                else None
            ),
            volume=[EcsTaskDefinitionVolume(name="tmp")],
            container_definitions=container_definitions(
                image=runtime.image,
                command=runtime.command,
                env=runtime.env,
                secrets=runtime.secrets,
                log_group=self.log_group.name,
                region=placement.region,
                port=runtime.port if service_mode else None,
            ),
        )

        network = self._network(runtime.network, need_cidr=service_mode and runtime.ingress != "none")
        self.security_group = SecurityGroup(
            self,
            "security_group",
            name=names.security_group,
            # Constant on purpose: a changed description replaces the group.
            description="Tasks of a Dativo job; rules are separate resources",
            vpc_id=network.vpc_id,
        )
        VpcSecurityGroupEgressRule(
            self,
            "security_group_egress",
            security_group_id=self.security_group.id,
            description="All outbound traffic (image pull, AWS APIs, sources and targets)",
            ip_protocol="-1",
            cidr_ipv4="0.0.0.0/0",
        )
        if network.cidr is not None:
            VpcSecurityGroupIngressRule(
                self,
                "security_group_ingress",
                security_group_id=self.security_group.id,
                description="Container port from inside the VPC",
                ip_protocol="tcp",
                from_port=runtime.port,
                to_port=runtime.port,
                cidr_ipv4=network.cidr,
            )
        security_groups = [self.security_group.id, *runtime.network.security_group_ids]

        self.service: EcsService | None = None
        self.schedule: SchedulerSchedule | None = None
        self.dead_letter_queue: SqsQueue | None = None
        if service_mode:
            self.service = self._service(network, security_groups)
            service_name = self.service.name
        else:
            service_name = self.task_definition.family
            if runtime.schedule is not None:
                self.schedule = self._schedule(runtime.schedule, network, security_groups)

        self.outputs: dict[str, Any] = {
            "cluster_name": self.cluster.name,
            "cluster_arn": self.cluster.arn,
            "service_name": service_name,
            "service_endpoint": f"ecs://{self.cluster.name}/{service_name}",
            "task_definition_arn": self.task_definition.arn,
            "task_role_arn": self.task_role.arn,
            "execution_role_arn": self.execution_role.arn,
            "log_group_name": self.log_group.name,
            "security_group_id": self.security_group.id,
            "schedule_name": self.schedule.name if self.schedule is not None else NO_VALUE,
            "dead_letter_queue_arn": dlq.arn if (dlq := self.dead_letter_queue) is not None else NO_VALUE,
            "dead_letter_queue_url": dlq.url if dlq is not None else NO_VALUE,
        }

    def _network(self, given: AwsNetwork, *, need_cidr: bool) -> _Network:
        """Given ids where the job names them, else data-source lookups (default VPC, its subnets)."""
        vpc: DataAwsVpc | None = None
        if given.vpc_id is not None:
            vpc_id = given.vpc_id
        elif given.subnet_ids:
            vpc_id = DataAwsSubnet(self, "first_subnet", id=given.subnet_ids[0]).vpc_id
        else:
            vpc = DataAwsVpc(self, "default_vpc", default=True)
            vpc_id = vpc.id
        if need_cidr and vpc is None:
            vpc = DataAwsVpc(self, "vpc", id=vpc_id)
        if given.subnet_ids:
            subnets = list(given.subnet_ids)
        else:
            subnets = DataAwsSubnets(
                self, "subnets", filter=[DataAwsSubnetsFilter(name="vpc-id", values=[vpc_id])]
            ).ids
        return _Network(
            vpc_id=vpc_id, subnets=subnets, cidr=vpc.cidr_block if need_cidr and vpc is not None else None
        )

    def _service(self, network: _Network, security_groups: list[str]) -> EcsService:
        names, scaling = self.names, self.runtime.scaling
        service = EcsService(
            self,
            "service",
            name=names.service,
            cluster=self.cluster.arn,
            task_definition=self.task_definition.arn,
            launch_type="FARGATE",
            desired_count=scaling.min_replicas,
            network_configuration=EcsServiceNetworkConfiguration(
                subnets=network.subnets,
                security_groups=security_groups,
                assign_public_ip=self.runtime.network.assign_public_ip,
            ),
            deployment_circuit_breaker=EcsServiceDeploymentCircuitBreaker(enable=True, rollback=True),
            propagate_tags="SERVICE",  # tasks carry the service's (aspect-set) tags
            # availability_zone_rebalancing is not managed here (the local emulator never reports it, so
            # it would always show a diff); with autoscaling the scaler owns the desired count.
            lifecycle=TerraformResourceLifecycle(
                ignore_changes=["availability_zone_rebalancing"]
                + (["desired_count"] if scaling.max_replicas > scaling.min_replicas else [])
            ),
        )
        if scaling.max_replicas > scaling.min_replicas:
            target = AppautoscalingTarget(
                self,
                "autoscaling_target",
                service_namespace="ecs",
                resource_id=f"service/{names.cluster}/{names.service}",
                scalable_dimension="ecs:service:DesiredCount",
                min_capacity=scaling.min_replicas,
                max_capacity=scaling.max_replicas,
                depends_on=[service],
            )
            AppautoscalingPolicy(
                self,
                "autoscaling_cpu",
                name=f"{names.service}-cpu"[:255],
                policy_type="TargetTrackingScaling",
                service_namespace=target.service_namespace,
                resource_id=target.resource_id,
                scalable_dimension=target.scalable_dimension,
                target_tracking_scaling_policy_configuration=(
                    AppautoscalingPolicyTargetTrackingScalingPolicyConfiguration(
                        target_value=70,
                        predefined_metric_specification=(
                            AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecification(
                                predefined_metric_type="ECSServiceAverageCPUUtilization"
                            )
                        ),
                        scale_in_cooldown=120,
                        scale_out_cooldown=60,
                    )
                ),
            )
        return service

    def _schedule(self, schedule: str, network: _Network, security_groups: list[str]) -> SchedulerSchedule:
        runtime, names, region = self.runtime, self.names, self.placement.region
        # Failed starts (after the retries or the maximum event age) land here instead of vanishing.
        # SQS-managed encryption: a KMS key would need a key policy letting Scheduler use it, and the
        # messages hold only the start request and AWS's error (no job data).
        queue = self.dead_letter_queue = SqsQueue(
            self,
            "dead_letter_queue",
            name=names.dead_letter_queue,
            message_retention_seconds=aws.DEAD_LETTER_RETENTION_SECONDS,
            sqs_managed_sse_enabled=True,
        )
        role = IamRole(
            self,
            "scheduler_role",
            name=names.scheduler_role,
            description="EventBridge Scheduler: run the job's task",
            # Schedules live in the account's default group (no group_name below).
            assume_role_policy=trust_policy(
                SCHEDULER_SERVICE,
                source_account=self.account,
                source_arn=schedule_group_arn(self.partition, region, self.account),
            ),
        )
        IamRolePolicy(
            self,
            "scheduler_role_policy",
            name="run-job-task",
            role=role.id,
            policy=policy_json(
                scheduler_statements(
                    self.task_definition.arn_without_revision,
                    self.cluster.arn,
                    [self.execution_role.arn, self.task_role.arn],
                    task_arns=ecs_task_arns(self.partition, region, self.account, names.cluster),
                    dead_letter_queue_arn=queue.arn,
                )
            ),
        )
        return SchedulerSchedule(
            self,
            "schedule",
            name=names.schedule,
            description=f"Runs {self.placement.name} ({schedule} {runtime.schedule_timezone})",
            schedule_expression=aws.schedule_expression(schedule),
            schedule_expression_timezone=runtime.schedule_timezone,
            state="ENABLED",
            flexible_time_window=SchedulerScheduleFlexibleTimeWindow(mode="OFF"),
            target=SchedulerScheduleTarget(
                arn=self.cluster.arn,
                role_arn=role.arn,
                retry_policy=SchedulerScheduleTargetRetryPolicy(
                    maximum_retry_attempts=runtime.retries,
                    maximum_event_age_in_seconds=runtime.retry_max_event_age_seconds,
                ),
                dead_letter_config=SchedulerScheduleTargetDeadLetterConfig(arn=queue.arn),
                ecs_parameters=SchedulerScheduleTargetEcsParameters(
                    task_definition_arn=self.task_definition.arn,
                    launch_type="FARGATE",
                    task_count=runtime.scaling.parallelism,
                    enable_ecs_managed_tags=True,
                    propagate_tags="TASK_DEFINITION",
                    network_configuration=SchedulerScheduleTargetEcsParametersNetworkConfiguration(
                        subnets=network.subnets,
                        security_groups=security_groups,
                        assign_public_ip=runtime.network.assign_public_ip,
                    ),
                ),
            ),
        )
