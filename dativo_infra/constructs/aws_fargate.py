"""AWS Fargate runtime: one ECS task definition per job, run on a schedule, on demand, or as a service.

Resources (construct ids are part of the contract: renaming one replaces the cloud resource):

* ``cluster``: ECS cluster with Container Insights, ``cluster_capacity_providers``: its Fargate
  capacity providers (FARGATE and FARGATE_SPOT: ``capacity`` spot runs the tasks on FARGATE_SPOT,
  on_demand keeps the FARGATE launch type, :func:`~dativo_infra.clouds.aws.capacity_provider_strategy`);
* ``log_group``: CloudWatch log group ``/dativo/<name>`` (retention, optional KMS key);
* ``partition``, ``caller_identity``: the account and partition every ARN and trust policy names;
* ``execution_role`` (+ ``execution_role_policy_attachment``, ``execution_role_secrets``): pulls the
  image, writes logs, resolves the container's secrets;
* ``task_role`` (+ ``task_role_permissions`` when the job has permissions): what the job may touch;
  both roles trust ECS tasks of the job's own account only (``aws:SourceAccount``; the task role also
  ``aws:SourceArn``, ECS resources of the account in the region);
* ``task_definition``: Fargate, awsvpc, one container ``job`` with a read-only root filesystem;
* network and security group (:mod:`.aws_fargate_network`), mode ``service``: the ECS service and its
  autoscaling (:mod:`.aws_fargate_service`) and, with ingress, its load balancer
  (:mod:`.aws_fargate_load_balancer`), mode ``job``: the Step Functions state machine that runs the
  task within ``timeout_seconds`` (:mod:`.aws_fargate_state_machine`) and, with a schedule,
  EventBridge Scheduler starting it, its role and dead-letter queue (:mod:`.aws_fargate_schedule`);
  without a schedule whoever runs the job starts the state machine. Those modules create their
  resources in this construct too.

Downstream code reads ``cluster_name``, ``cluster_arn``, ``execution_role_arn`` and ``task_role_arn``
(plain attributes), never the resources behind them.

The construct takes the typed runtime model (:class:`~dativo_infra.config.runtimes.AwsFargateRuntime`,
whose fields say what an unset field does) and the job's :class:`~.registry.Placement`. Names, sizes and
the schedule conversion come from :mod:`dativo_infra.clouds.aws` (the rules validation uses); policy
documents and the container definition from :mod:`.aws_fargate_documents`. Tags are not set here:
the stack's TaggingAspect tags every resource that takes tags.
"""

from __future__ import annotations

from typing import Any

from cdktf import TerraformStack
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_partition import DataAwsPartition
from cdktf_cdktf_provider_aws.ecs_cluster import EcsCluster, EcsClusterSetting
from cdktf_cdktf_provider_aws.ecs_cluster_capacity_providers import EcsClusterCapacityProviders
from cdktf_cdktf_provider_aws.ecs_service import EcsService
from cdktf_cdktf_provider_aws.ecs_task_definition import (
    EcsTaskDefinition,
    EcsTaskDefinitionEphemeralStorage,
    EcsTaskDefinitionRuntimePlatform,
    EcsTaskDefinitionVolume,
)
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderEndpoints
from cdktf_cdktf_provider_aws.scheduler_schedule import SchedulerSchedule
from cdktf_cdktf_provider_aws.sfn_state_machine import SfnStateMachine
from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue
from constructs import Construct

from dativo_infra.clouds import aws
from dativo_infra.config.runtimes import AwsFargateRuntime
from dativo_infra.config.settings import PlatformSettings
from dativo_infra.constructs.aws_fargate_documents import (
    ECS_TASKS_SERVICE,
    container_definitions,
    ecs_source_arn,
    exec_statements,
    execution_secret_statements,
    policy_json,
    task_statements,
    trust_policy,
)
from dativo_infra.constructs.aws_fargate_load_balancer import ServiceLoadBalancer, service_load_balancer
from dativo_infra.constructs.aws_fargate_network import task_network
from dativo_infra.constructs.aws_fargate_service import job_service
from dativo_infra.constructs.aws_fargate_state_machine import Task, job_runs
from dativo_infra.constructs.registry import NO_VALUE, Placement

#: Services the construct (and its data sources) call; all of them go to the emulator when local.
LOCAL_ENDPOINT_SERVICES: tuple[str, ...] = (
    "appautoscaling",
    "cloudwatch",
    "ec2",
    "ecs",
    "elbv2",
    "events",
    "iam",
    "kms",
    "logs",
    "resourcegroupstaggingapi",
    "s3",
    "scheduler",
    "secretsmanager",
    "sfn",
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
        self.cluster_name: str = self.cluster.name
        self.cluster_arn: str = self.cluster.arn
        # Both Fargate providers, whatever this job's capacity: a task names the one it runs on.
        self.cluster_capacity_providers = EcsClusterCapacityProviders(
            self,
            "cluster_capacity_providers",
            cluster_name=self.cluster_name,
            capacity_providers=sorted(aws.CAPACITY_PROVIDERS.values()),
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
        self.execution_role_arn: str = self.execution_role.arn
        IamRolePolicyAttachment(
            self,
            "execution_role_policy_attachment",
            role=self.execution_role.name,
            policy_arn=EXECUTION_POLICY.format(partition=partition),
        )
        secret_statements = execution_secret_statements(
            partition,
            placement.region,
            [runtime.secrets[k] for k in sorted(runtime.secrets)],
            account=account,
            registry_secret_arn=runtime.registry_credentials_secret_arn,
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
        self.task_role_arn: str = self.task_role.arn
        permissions = runtime.permissions
        statements = task_statements(
            partition, permissions.storage, permissions.secrets, permissions.kms_keys
        )
        if runtime.enable_execute_command:  # ECS Exec: the task's SSM agent opens its channels
            statements += exec_statements()
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
            execution_role_arn=self.execution_role_arn,
            task_role_arn=self.task_role_arn,
            ephemeral_storage=(
                EcsTaskDefinitionEphemeralStorage(size_in_gib=runtime.ephemeral_storage_gib)
                if runtime.ephemeral_storage_gib > aws.DEFAULT_EPHEMERAL_GIB
                else None
            ),
            volume=[EcsTaskDefinitionVolume(name="tmp")],
            runtime_platform=EcsTaskDefinitionRuntimePlatform(
                operating_system_family="LINUX",
                cpu_architecture=aws.CPU_ARCHITECTURES[runtime.cpu_architecture],
            ),
            container_definitions=container_definitions(
                image=runtime.image,
                command=runtime.command,
                env=runtime.env,
                secrets=runtime.secrets,
                log_group=self.log_group.name,
                region=placement.region,
                port=runtime.port if service_mode else None,
                init_process=runtime.enable_execute_command,
                registry_credentials=runtime.registry_credentials_secret_arn,
                health_check=runtime.health_check_command if service_mode else (),
                stop_timeout=runtime.stop_timeout_seconds if service_mode else None,
            ),
        )

        network = task_network(self, runtime, names.security_group)
        self.security_group_id = network.security_groups[0]

        self.service: EcsService | None = None
        self.schedule: SchedulerSchedule | None = None
        self.state_machine: SfnStateMachine | None = None
        self.dead_letter_queue: SqsQueue | None = None
        self.load_balancer: ServiceLoadBalancer | None = None
        if service_mode:
            if runtime.ingress != "none":
                self.load_balancer = service_load_balancer(
                    self, runtime, names, placement.name, network, production=placement.environment == "prod"
                )
            self.service = job_service(
                self,
                runtime,
                names,
                cluster_arn=self.cluster_arn,
                task_definition_arn=self.task_definition.arn,
                network=network,
                load_balancer=self.load_balancer,
                capacity_providers=self.cluster_capacity_providers,
            )
            service_name = self.service.name
        else:
            service_name = self.task_definition.family
            task = Task(
                partition=partition,
                account=account,
                region=placement.region,
                cluster_name=self.cluster_name,
                cluster_arn=self.cluster_arn,
                task_definition_arn=self.task_definition.arn,
                task_family_arn=self.task_definition.arn_without_revision,
                role_arns=[self.execution_role_arn, self.task_role_arn],
                network=network,
            )
            self.state_machine, self.schedule, self.dead_letter_queue = job_runs(
                self, runtime, names, placement.name, task
            )

        if self.load_balancer is not None:
            endpoint = self.load_balancer.endpoint
        elif service_mode:
            endpoint = NO_VALUE  # a service without ingress is reached by nothing
        else:
            endpoint = f"ecs://{self.cluster_name}/{service_name}"
        self.outputs: dict[str, Any] = {
            "cluster_name": self.cluster_name,
            "cluster_arn": self.cluster_arn,
            "service_name": service_name,
            "service_endpoint": endpoint,
            "task_definition_arn": self.task_definition.arn,
            "task_role_arn": self.task_role_arn,
            "execution_role_arn": self.execution_role_arn,
            "log_group_name": self.log_group.name,
            "security_group_id": self.security_group_id,
            "schedule_name": self.schedule.name if self.schedule is not None else NO_VALUE,
            "dead_letter_queue_arn": dlq.arn if (dlq := self.dead_letter_queue) is not None else NO_VALUE,
            "dead_letter_queue_url": dlq.url if dlq is not None else NO_VALUE,
            "state_machine_arn": sm.arn if (sm := self.state_machine) is not None else NO_VALUE,
        }
