"""AWS Fargate runtime: one ECS task definition per job, run on a schedule, on demand, or as a service.

Resources (construct ids are part of the contract: renaming one replaces the cloud resource):

* ``cluster``: ECS cluster with Container Insights, ``cluster_capacity_providers``: its Fargate
  capacity providers (FARGATE and FARGATE_SPOT: ``capacity`` spot runs the tasks on FARGATE_SPOT,
  on_demand keeps the FARGATE launch type, :func:`~dativo_infra.clouds.aws.capacity_provider_strategy`);
  neither with ``existing.cluster`` (the platform's cluster keeps its own capacity providers);
* ``log_group``: CloudWatch log group ``/dativo/<name>`` (retention, optional KMS key);
* ``partition``, ``caller_identity``: the account and partition every ARN and trust policy names;
* ``execution_role`` (+ ``execution_role_policy_attachment``, ``execution_role_secrets``) and
  ``task_role`` (+ ``task_role_permissions``) (:mod:`.aws_fargate_roles`), none of them for a role the
  job gives (``existing.execution_role_arn``/``task_role_arn``: nothing is attached to a given role);
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

Existing infrastructure is referenced, never created: the plain attributes ``cluster_name``,
``cluster_arn``, ``execution_role_arn`` and ``task_role_arn`` hold either the created resource's
attribute or the given value (a cluster name is turned into its ARN with the job's partition, region
and account), and everything downstream (task definition, schedule, service, outputs, the scheduler's
``iam:PassRole``) reads them.

The construct takes the typed runtime model (:class:`~dativo_infra.config.runtimes.AwsFargateRuntime`,
whose fields say what an unset field does) and the job's :class:`~.registry.Placement`. Names, sizes and
the schedule conversion come from :mod:`dativo_infra.clouds.aws` (the rules validation uses); policy
documents and the container definition from :mod:`.aws_fargate_documents`. Tags are not set here:
the stack's TaggingAspect tags every resource that takes tags.
"""

from __future__ import annotations

from typing import Any

from constructs import Construct

from dativo_infra.cdk import TerraformStack, provider_aws
from dativo_infra.clouds import aws, aws_existing
from dativo_infra.config.runtimes import AwsFargateRuntime
from dativo_infra.config.settings import PlatformSettings
from dativo_infra.constructs.aws_fargate_documents import container_definitions
from dativo_infra.constructs.aws_fargate_load_balancer import ServiceLoadBalancer, service_load_balancer
from dativo_infra.constructs.aws_fargate_network import task_network
from dativo_infra.constructs.aws_fargate_roles import execution_role, task_role
from dativo_infra.constructs.aws_fargate_service import job_service
from dativo_infra.constructs.aws_fargate_state_machine import Task, job_runs
from dativo_infra.constructs.registry import Placement

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
        provider_aws.provider.AwsProvider(stack, "aws", region=placement.region)
        return
    endpoint = settings.local_endpoint
    provider_aws.provider.AwsProvider(
        stack,
        "aws",
        region=placement.region,
        access_key=settings.local_cloud.access_key,
        secret_key=settings.local_cloud.secret_key,
        skip_credentials_validation=True,
        skip_requesting_account_id=True,
        skip_metadata_api_check="true",  # a string in the provider schema
        s3_use_path_style=True,
        endpoints=[
            provider_aws.provider.AwsProviderEndpoints(**dict.fromkeys(LOCAL_ENDPOINT_SERVICES, endpoint))
        ],
    )


class Runtime(Construct):
    """ECS on Fargate for one job. ``outputs`` holds every contract output of ``aws_fargate``."""

    def __init__(self, scope: Construct, id: str, runtime: AwsFargateRuntime, placement: Placement) -> None:
        super().__init__(scope, id)
        self.runtime = runtime
        self.placement = placement
        self.names = names = aws.resource_names(placement.name)
        self.partition = partition = provider_aws.data_aws_partition.DataAwsPartition(
            self, "partition"
        ).partition
        self.account = account = provider_aws.data_aws_caller_identity.DataAwsCallerIdentity(
            self, "caller_identity"
        ).account_id

        existing = runtime.existing
        # Cluster: the given one (referenced by name and ARN, never created), else the job's own.
        self.cluster: provider_aws.ecs_cluster.EcsCluster | None = None
        self.cluster_capacity_providers: (
            provider_aws.ecs_cluster_capacity_providers.EcsClusterCapacityProviders | None
        ) = None
        if existing.cluster is not None:
            self.cluster_name: str = aws_existing.cluster_name(existing.cluster)
            self.cluster_arn: str = aws_existing.cluster_arn(
                existing.cluster, partition=partition, region=placement.region, account=account
            )
        else:
            self.cluster = provider_aws.ecs_cluster.EcsCluster(
                self,
                "cluster",
                name=names.cluster,
                setting=[
                    provider_aws.ecs_cluster.EcsClusterSetting(name="containerInsights", value="enabled")
                ],
            )
            self.cluster_name, self.cluster_arn = self.cluster.name, self.cluster.arn
            # Both Fargate providers, whatever this job's capacity: a task names the one it runs on.
            self.cluster_capacity_providers = (
                provider_aws.ecs_cluster_capacity_providers.EcsClusterCapacityProviders(
                    self,
                    "cluster_capacity_providers",
                    cluster_name=self.cluster_name,
                    capacity_providers=sorted(aws.CAPACITY_PROVIDERS.values()),
                )
            )
        self.log_group = provider_aws.cloudwatch_log_group.CloudwatchLogGroup(
            self,
            "log_group",
            name=names.log_group,
            retention_in_days=runtime.log_retention_days,
            kms_key_id=runtime.log_kms_key_arn,
        )
        # Attribute tokens are read once each: every read is a jsii round trip to Node.
        log_group_name = self.log_group.name

        # Execution role: ECS agent pulls the image, writes logs, resolves container secrets. A given
        # role is used as it is (validate warns when it must read secrets the stack cannot grant it).
        self.execution_role: provider_aws.iam_role.IamRole | None = None
        if existing.execution_role_arn is not None:
            self.execution_role_arn: str = existing.execution_role_arn
        else:
            self.execution_role = execution_role(self, runtime, placement.region, names, partition, account)
            self.execution_role_arn = self.execution_role.arn

        # Task role: least privilege from runtime.permissions; no policy when nothing is asked. A given
        # role gets nothing attached (validation refuses permissions with it).
        self.task_role: provider_aws.iam_role.IamRole | None = None
        self.task_policy: provider_aws.iam_role_policy.IamRolePolicy | None = None
        if existing.task_role_arn is not None:
            self.task_role_arn: str = existing.task_role_arn
        else:
            self.task_role, self.task_policy = task_role(
                self, runtime, placement.region, names, partition, account
            )
            self.task_role_arn = self.task_role.arn

        service_mode = runtime.mode == "service"
        self.task_definition = provider_aws.ecs_task_definition.EcsTaskDefinition(
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
                provider_aws.ecs_task_definition.EcsTaskDefinitionEphemeralStorage(
                    size_in_gib=runtime.ephemeral_storage_gib
                )
                if runtime.ephemeral_storage_gib > aws.DEFAULT_EPHEMERAL_GIB
                else None
            ),
            volume=[provider_aws.ecs_task_definition.EcsTaskDefinitionVolume(name="tmp")],
            runtime_platform=provider_aws.ecs_task_definition.EcsTaskDefinitionRuntimePlatform(
                operating_system_family="LINUX",
                cpu_architecture=aws.CPU_ARCHITECTURES[runtime.cpu_architecture],
            ),
            container_definitions=container_definitions(
                image=runtime.image,
                command=runtime.command,
                env=runtime.env,
                secrets=runtime.secrets,
                log_group=log_group_name,
                region=placement.region,
                port=runtime.port if service_mode else None,
                init_process=runtime.enable_execute_command,
                registry_credentials=runtime.registry_credentials_secret_arn,
                health_check=runtime.health_check_command if service_mode else (),
                stop_timeout=runtime.stop_timeout_seconds if service_mode else None,
            ),
        )

        task_definition_arn = self.task_definition.arn
        network = task_network(self, runtime, names.security_group)
        self.security_group_id = network.security_groups[0]

        self.service: provider_aws.ecs_service.EcsService | None = None
        self.schedule: provider_aws.scheduler_schedule.SchedulerSchedule | None = None
        self.state_machine: provider_aws.sfn_state_machine.SfnStateMachine | None = None
        self.dead_letter_queue: provider_aws.sqs_queue.SqsQueue | None = None
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
                cluster_name=self.cluster_name,
                task_definition_arn=task_definition_arn,
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
                task_definition_arn=task_definition_arn,
                task_family_arn=self.task_definition.arn_without_revision,
                role_arns=[self.execution_role_arn, self.task_role_arn],
                network=network,
            )
            self.state_machine, self.schedule, self.dead_letter_queue = job_runs(
                self, runtime, names, placement.name, task
            )

        # Only the outputs that exist for this configuration (contract.exported_outputs says which).
        self.outputs: dict[str, Any] = {
            "cluster_name": self.cluster_name,
            "cluster_arn": self.cluster_arn,
            "service_name": service_name,
            "task_definition_arn": task_definition_arn,
            "task_role_arn": self.task_role_arn,
            "execution_role_arn": self.execution_role_arn,
            "log_group_name": log_group_name,
            "security_group_id": self.security_group_id,
        }
        if self.load_balancer is not None:
            self.outputs["service_endpoint"] = self.load_balancer.endpoint
        elif not service_mode:  # a service without ingress is reached by nothing: no endpoint
            self.outputs["service_endpoint"] = f"ecs://{self.cluster_name}/{service_name}"
        if self.state_machine is not None:
            self.outputs["state_machine_arn"] = self.state_machine.arn
        if self.schedule is not None:
            self.outputs["schedule_name"] = self.schedule.name
        if self.dead_letter_queue is not None:
            self.outputs["dead_letter_queue_arn"] = self.dead_letter_queue.arn
            self.outputs["dead_letter_queue_url"] = self.dead_letter_queue.url
