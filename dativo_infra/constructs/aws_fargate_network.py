"""Where a Fargate job's tasks run: the VPC and subnets (given, or looked up) and the tasks' own
security group with its rules. Part of :mod:`.aws_fargate`: every resource is created in the job's
``Runtime`` construct (construct ids are part of the contract).

Resources: lookups when ids are not given (``default_vpc``/``vpc``, ``subnets``, ``first_subnet``);
unless ``network.create_security_group`` is false (the tasks then use exactly ``security_group_ids``),
``security_group`` with its egress: ``security_group_egress`` (all outbound traffic) when the job gives
no ``network.egress``, else one ``security_group_egress_<n>`` per rule given; and, for a service with
ingress, ``security_group_ingress``.

Public IP: :meth:`AwsNetwork.public_ip` decides (on the default VPC path the tasks get one, since its
public subnets have no NAT gateway and the image pull needs a route out); every user of the network
(service, schedule) reads the resolved value from :class:`Network`. A service with ingress gets its inbound rule
(``security_group_ingress``, from the load balancer only) in :mod:`.aws_fargate_load_balancer`.
"""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct

from dativo_infra.cdk import provider_aws
from dativo_infra.config.runtimes import AwsFargateRuntime
from dativo_infra.config.runtimes.aws_egress import AwsEgressRule
from dativo_infra.config.runtimes.aws_fargate import AwsNetwork

#: ``ip_protocol`` of a security group rule per protocol of an egress rule.
_IP_PROTOCOL = {"tcp": "tcp", "udp": "udp", "all": "-1"}


@dataclass(frozen=True)
class Network:
    """Where the tasks run: the VPC id, subnet ids, the VPC's CIDR (when the load balancer's rules need
    it), the security groups of the tasks (the job's own first) and whether they get a public IP
    (resolved: read it here, never from the model)."""

    vpc_id: str
    subnets: list[str]
    cidr: str | None
    security_groups: list[str]
    assign_public_ip: bool


def _where(scope: Construct, given: AwsNetwork, *, need_cidr: bool) -> tuple[str, list[str], str | None]:
    """Given ids where the job names them, else data-source lookups (default VPC, its subnets)."""
    vpc: provider_aws.data_aws_vpc.DataAwsVpc | None = None
    if given.vpc_id is not None:
        vpc_id = given.vpc_id
    elif given.subnet_ids:
        vpc_id = provider_aws.data_aws_subnet.DataAwsSubnet(
            scope, "first_subnet", id=given.subnet_ids[0]
        ).vpc_id
    else:
        vpc = provider_aws.data_aws_vpc.DataAwsVpc(scope, "default_vpc", default=True)
        vpc_id = vpc.id
    if need_cidr and vpc is None:
        vpc = provider_aws.data_aws_vpc.DataAwsVpc(scope, "vpc", id=vpc_id)
    if given.subnet_ids:
        subnets = list(given.subnet_ids)
    else:
        subnets = provider_aws.data_aws_subnets.DataAwsSubnets(
            scope,
            "subnets",
            filter=[provider_aws.data_aws_subnets.DataAwsSubnetsFilter(name="vpc-id", values=[vpc_id])],
        ).ids
    return vpc_id, subnets, vpc.cidr_block if need_cidr and vpc is not None else None


def task_network(scope: Construct, runtime: AwsFargateRuntime, security_group_name: str) -> Network:
    """The tasks' VPC, subnets and security groups; creates the job's security group and its rules,
    unless ``network.create_security_group`` is false: then the tasks use exactly the given groups."""
    service_mode = runtime.mode == "service"
    # An internal load balancer is reachable from the VPC's CIDR unless the job names its networks.
    need_cidr = service_mode and runtime.ingress == "internal" and not runtime.load_balancer.allowed_cidrs
    vpc_id, subnets, cidr = _where(scope, runtime.network, need_cidr=need_cidr)
    if not runtime.network.create_security_group:  # validation: groups given, no egress, no ingress
        return Network(
            vpc_id=vpc_id,
            subnets=subnets,
            cidr=cidr,
            security_groups=list(runtime.network.security_group_ids),
            assign_public_ip=runtime.network.public_ip(),
        )
    group = provider_aws.security_group.SecurityGroup(
        scope,
        "security_group",
        name=security_group_name,
        # Constant on purpose: a changed description replaces the group.
        description="Tasks of a Dativo job; rules are separate resources",
        vpc_id=vpc_id,
    )
    group_id = group.id  # one jsii round trip per attribute token: read once
    if runtime.network.egress is None:
        provider_aws.vpc_security_group_egress_rule.VpcSecurityGroupEgressRule(
            scope,
            "security_group_egress",
            security_group_id=group_id,
            description="All outbound traffic (image pull, AWS APIs, sources and targets)",
            ip_protocol="-1",
            cidr_ipv4="0.0.0.0/0",
        )
    for index, rule in enumerate(runtime.network.egress or ()):
        _egress_rule(scope, f"security_group_egress_{index}", group_id, rule)
    return Network(
        vpc_id=vpc_id,
        subnets=subnets,
        cidr=cidr,
        security_groups=[group_id, *runtime.network.security_group_ids],
        assign_public_ip=runtime.network.public_ip(),
    )


def egress_description(rule: AwsEgressRule) -> str:
    """The rule's description, or one made of its protocol, ports and destination."""
    if rule.description is not None:
        return rule.description
    destination = rule.destination()
    ports = rule.ports()
    what = (
        "all traffic"
        if ports is None
        else f"{rule.protocol} {ports[0]}" + (f"-{ports[1]}" if ports[1] != ports[0] else "")
    )
    return f"{what} to {destination[1] if destination else 'nowhere'}"


def _egress_rule(scope: Construct, id: str, group_id: str, rule: AwsEgressRule) -> None:
    ports = rule.ports()
    provider_aws.vpc_security_group_egress_rule.VpcSecurityGroupEgressRule(
        scope,
        id,
        security_group_id=group_id,
        description=egress_description(rule),
        ip_protocol=_IP_PROTOCOL[rule.protocol],
        from_port=ports[0] if ports else None,
        to_port=ports[1] if ports else None,
        cidr_ipv4=rule.cidr_ipv4,
        cidr_ipv6=rule.cidr_ipv6,
        prefix_list_id=rule.prefix_list_id,
    )
