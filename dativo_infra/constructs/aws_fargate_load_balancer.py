"""The Application Load Balancer in front of a Fargate service with ingress internal or external. Part
of :mod:`.aws_fargate`: every resource is created in the job's ``Runtime`` construct (construct ids are
part of the contract).

Resources:

* ``load_balancer``: an ALB, internal (ingress internal) or internet-facing (ingress external), in the
  tasks' subnets, dropping invalid header fields, deletion protection (``load_balancer.deletion_protection``,
  unset: on in prod), optional access logs;
* ``load_balancer_security_group`` with ``load_balancer_ingress_<port>_<n>`` (each listener port from each
  allowed network: ``load_balancer.allowed_cidrs``, else the VPC's CIDR for internal, 0.0.0.0/0 for
  external) and ``load_balancer_egress`` (to the tasks' security group on the container port only);
* ``security_group_ingress``: the tasks' security group accepts the container port from the load
  balancer's security group only;
* ``target_group``: IP targets on the container port over HTTP, health check on
  ``load_balancer.health_check_path``; its name holds the port (a new port makes a new group, created
  before the old one is deleted);
* ``listener_https`` (with ``load_balancer.certificate_arn``: port 443, TLS policy :data:`TLS_POLICY`,
  forwards to the target group) and ``listener_http`` (port 80: redirects to HTTPS when there is a
  certificate, else forwards).
"""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct

from dativo_infra.cdk import TerraformResourceLifecycle, provider_aws
from dativo_infra.clouds import aws
from dativo_infra.config.runtimes import AwsFargateRuntime
from dativo_infra.constructs.aws_fargate_network import Network

#: TLS 1.3 and 1.2 only, forward-secret ciphers: AWS's recommended policy for HTTPS listeners.
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
HTTPS_PORT = 443
HTTP_PORT = 80
#: Target group health check: every 15 s, 5 s timeout, healthy after 2 passes, unhealthy after 3 fails.
HEALTH_CHECK = {"interval": 15, "timeout": 5, "healthy_threshold": 2, "unhealthy_threshold": 3}
#: HTTP codes of a healthy target (ELB health checks do not follow redirects).
HEALTHY_CODES = "200-399"
#: Seconds a deregistered task keeps its open connections (ELB's default, 300, slows every deploy).
DEREGISTRATION_DELAY_SECONDS = 30


@dataclass(frozen=True)
class ServiceLoadBalancer:
    """What the ECS service and the outputs need: the target group, the listeners the service waits
    for, the grace period of new tasks and the endpoint URL."""

    target_group_arn: str
    listeners: list[provider_aws.lb_listener.LbListener]
    grace_period_seconds: int
    endpoint: str


def service_load_balancer(
    scope: Construct,
    runtime: AwsFargateRuntime,
    names: aws.AwsNames,
    stack: str,
    network: Network,
    *,
    production: bool,
) -> ServiceLoadBalancer:
    """The load balancer of a service with ingress internal or external, and its security rules."""
    settings = runtime.load_balancer
    external = runtime.ingress == "external"
    https = settings.certificate_arn is not None
    port = runtime.port
    task_group = network.security_groups[0]

    group = provider_aws.security_group.SecurityGroup(
        scope,
        "load_balancer_security_group",
        name=names.load_balancer_security_group,
        # Constant on purpose: a changed description replaces the group.
        description="Load balancer of a Dativo service; rules are separate resources",
        vpc_id=network.vpc_id,
    )
    group_id = group.id  # one jsii round trip per attribute token: read once
    if settings.allowed_cidrs:
        sources = list(settings.allowed_cidrs)
    elif external:
        sources = ["0.0.0.0/0"]
    else:
        assert network.cidr is not None, "an internal load balancer without allowed_cidrs needs the VPC CIDR"
        sources = [network.cidr]
    listener_ports = [HTTPS_PORT, HTTP_PORT] if https else [HTTP_PORT]
    for listener_port in listener_ports:
        for index, cidr in enumerate(sources):
            provider_aws.vpc_security_group_ingress_rule.VpcSecurityGroupIngressRule(
                scope,
                f"load_balancer_ingress_{listener_port}_{index}",
                security_group_id=group_id,
                description=f"Listener port {listener_port} from an allowed network",
                ip_protocol="tcp",
                from_port=listener_port,
                to_port=listener_port,
                cidr_ipv4=cidr,
            )
    provider_aws.vpc_security_group_egress_rule.VpcSecurityGroupEgressRule(
        scope,
        "load_balancer_egress",
        security_group_id=group_id,
        description="To the service's tasks on the container port",
        ip_protocol="tcp",
        from_port=port,
        to_port=port,
        referenced_security_group_id=task_group,
    )
    provider_aws.vpc_security_group_ingress_rule.VpcSecurityGroupIngressRule(
        scope,
        "security_group_ingress",
        security_group_id=task_group,
        description="Container port from the service's load balancer",
        ip_protocol="tcp",
        from_port=port,
        to_port=port,
        referenced_security_group_id=group_id,
    )

    logs = settings.access_logs
    protect = settings.deletion_protection if settings.deletion_protection is not None else production
    balancer = provider_aws.lb.Lb(
        scope,
        "load_balancer",
        name=names.load_balancer,
        load_balancer_type="application",
        internal=not external,
        security_groups=[group_id],
        subnets=network.subnets,
        drop_invalid_header_fields=True,
        enable_deletion_protection=protect,
        access_logs=(
            provider_aws.lb.LbAccessLogs(bucket=logs.bucket, prefix=logs.prefix or None, enabled=True)
            if logs is not None
            else None
        ),
    )
    target_group = provider_aws.lb_target_group.LbTargetGroup(
        scope,
        "target_group",
        name=aws.target_group_name(stack, port),
        target_type="ip",
        port=port,
        protocol="HTTP",
        vpc_id=network.vpc_id,
        deregistration_delay=str(DEREGISTRATION_DELAY_SECONDS),
        health_check=provider_aws.lb_target_group.LbTargetGroupHealthCheck(
            enabled=True,
            path=settings.health_check_path,
            port="traffic-port",
            protocol="HTTP",
            matcher=HEALTHY_CODES,
            **HEALTH_CHECK,
        ),
        lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
    )
    target_group_arn, balancer_arn = target_group.arn, balancer.arn  # each read once (a round trip)
    forward = [
        provider_aws.lb_listener.LbListenerDefaultAction(type="forward", target_group_arn=target_group_arn)
    ]
    listeners: list[provider_aws.lb_listener.LbListener] = []
    if https:
        listeners.append(
            provider_aws.lb_listener.LbListener(
                scope,
                "listener_https",
                load_balancer_arn=balancer_arn,
                port=HTTPS_PORT,
                protocol="HTTPS",
                ssl_policy=TLS_POLICY,
                certificate_arn=settings.certificate_arn,
                default_action=forward,
            )
        )
    redirect = provider_aws.lb_listener.LbListenerDefaultAction(
        type="redirect",
        redirect=provider_aws.lb_listener.LbListenerDefaultActionRedirect(
            status_code="HTTP_301", protocol="HTTPS", port=str(HTTPS_PORT)
        ),
    )
    listeners.append(
        provider_aws.lb_listener.LbListener(
            scope,
            "listener_http",
            load_balancer_arn=balancer_arn,
            port=HTTP_PORT,
            protocol="HTTP",
            default_action=[redirect] if https else forward,
        )
    )
    return ServiceLoadBalancer(
        target_group_arn=target_group_arn,
        listeners=listeners,
        grace_period_seconds=settings.health_check_grace_period_seconds,
        endpoint=f"{'https' if https else 'http'}://{balancer.dns_name}",
    )
