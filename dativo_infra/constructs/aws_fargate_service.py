"""Service mode of a Fargate job: the ECS service and its autoscaling. Part of :mod:`.aws_fargate`:
every resource is created in the job's ``Runtime`` construct (construct ids are part of the contract).

Resources: ``service`` (desired count = min replicas, circuit breaker with rollback; behind the
load balancer of :mod:`.aws_fargate_load_balancer` when it has ingress), and when max > min replicas
``autoscaling_target`` + ``autoscaling_cpu`` (target tracking on average CPU, 70 %).
"""

from __future__ import annotations

from typing import Any

from constructs import Construct

from dativo_infra.cdk import TerraformResourceLifecycle, provider_aws
from dativo_infra.clouds import aws
from dativo_infra.clouds.aws import AwsNames
from dativo_infra.config.runtimes import AwsFargateRuntime
from dativo_infra.constructs.aws_fargate_documents import CONTAINER_NAME
from dativo_infra.constructs.aws_fargate_load_balancer import ServiceLoadBalancer
from dativo_infra.constructs.aws_fargate_network import Network


def job_service(
    scope: Construct,
    runtime: AwsFargateRuntime,
    names: AwsNames,
    *,
    cluster_arn: str,
    cluster_name: str,
    task_definition_arn: str,
    network: Network,
    load_balancer: ServiceLoadBalancer | None = None,
    capacity_providers: Any = None,
) -> provider_aws.ecs_service.EcsService:
    """The job's ECS service (and its CPU autoscaling when it may scale); with ``load_balancer`` its
    tasks register in the target group, and the service waits for the listeners. With ``capacity`` spot
    the tasks run on FARGATE_SPOT (the service waits for ``capacity_providers``, the cluster's
    association of the Fargate capacity providers), else on the FARGATE launch type."""
    scaling = runtime.scaling
    strategy = aws.capacity_provider_strategy(runtime.capacity)
    waits_for: list[Any] = list(load_balancer.listeners) if load_balancer is not None else []
    if strategy and capacity_providers is not None:
        waits_for.append(capacity_providers)
    service = provider_aws.ecs_service.EcsService(
        scope,
        "service",
        name=names.service,
        cluster=cluster_arn,
        task_definition=task_definition_arn,
        launch_type=aws.launch_type(runtime.capacity),
        capacity_provider_strategy=[
            provider_aws.ecs_service.EcsServiceCapacityProviderStrategy(
                capacity_provider=str(item["capacity_provider"]),
                weight=int(item["weight"]),
                base=int(item["base"]),
            )
            for item in strategy
        ]
        or None,
        desired_count=scaling.min_replicas,
        network_configuration=provider_aws.ecs_service.EcsServiceNetworkConfiguration(
            subnets=network.subnets,
            security_groups=network.security_groups,
            assign_public_ip=network.assign_public_ip,
        ),
        deployment_circuit_breaker=provider_aws.ecs_service.EcsServiceDeploymentCircuitBreaker(
            enable=True, rollback=True
        ),
        load_balancer=(
            [
                provider_aws.ecs_service.EcsServiceLoadBalancer(
                    target_group_arn=load_balancer.target_group_arn,
                    container_name=CONTAINER_NAME,
                    container_port=runtime.port,
                )
            ]
            if load_balancer is not None
            else None
        ),
        health_check_grace_period_seconds=(
            load_balancer.grace_period_seconds if load_balancer is not None else None
        ),
        # ECS refuses a target group that no listener of a load balancer uses yet, and a capacity
        # provider the cluster is not associated with yet.
        depends_on=waits_for or None,
        propagate_tags="SERVICE",  # tasks carry the service's (aspect-set) tags
        enable_execute_command=runtime.enable_execute_command,
        # Set at creation, so every provider major creates the same service: aws 5.x sent DISABLED when
        # unset, aws 6.x sends nothing and ECS then enables it (hashicorp/terraform-provider-aws#44117).
        availability_zone_rebalancing="DISABLED",
        # availability_zone_rebalancing is not managed after creation (the local emulator never reports
        # it, so it would always show a diff); with autoscaling the scaler owns the desired count.
        lifecycle=TerraformResourceLifecycle(
            ignore_changes=["availability_zone_rebalancing"]
            + (["desired_count"] if scaling.max_replicas > scaling.min_replicas else [])
        ),
    )
    if scaling.max_replicas > scaling.min_replicas:
        target = provider_aws.appautoscaling_target.AppautoscalingTarget(
            scope,
            "autoscaling_target",
            service_namespace="ecs",
            resource_id=f"service/{cluster_name}/{names.service}",
            scalable_dimension="ecs:service:DesiredCount",
            min_capacity=scaling.min_replicas,
            max_capacity=scaling.max_replicas,
            depends_on=[service],
        )
        provider_aws.appautoscaling_policy.AppautoscalingPolicy(
            scope,
            "autoscaling_cpu",
            name=f"{names.service}-cpu"[:255],
            policy_type="TargetTrackingScaling",
            service_namespace=target.service_namespace,
            resource_id=target.resource_id,
            scalable_dimension=target.scalable_dimension,
            target_tracking_scaling_policy_configuration=(
                provider_aws.appautoscaling_policy.AppautoscalingPolicyTargetTrackingScalingPolicyConfiguration(
                    target_value=70,
                    predefined_metric_specification=(
                        provider_aws.appautoscaling_policy.AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecification(
                            predefined_metric_type="ECSServiceAverageCPUUtilization"
                        )
                    ),
                    scale_in_cooldown=120,
                    scale_out_cooldown=60,
                )
            ),
        )
    return service
