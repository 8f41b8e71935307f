"""The load balancer read-back of a service with ingress, against moto in process (the deployed stacks are
checked end to end in tests/e2e)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from dativo_infra.config.loader import load_job
from dativo_infra.localcloud.loadbalancer import (
    ExpectedLoadBalancer,
    check_load_balancer,
    expected_load_balancer,
    load_balancer_leftovers,
)

EXAMPLE = Path("jobs/acme/orders_cdc_stream.yaml")
REGION = "eu-west-1"
CERTIFICATE = "arn:aws:acm:eu-west-1:123456789012:certificate/12345678-90ab-cdef-1234-567890abcdef"


def variant(tmp_path: Path, *changes: tuple[str, str]) -> ExpectedLoadBalancer | None:
    text = EXAMPLE.read_text()
    for old, new in changes:
        assert old in text
        text = text.replace(old, new)
    (tmp_path / "job.yaml").write_text(text)
    return expected_load_balancer(load_job(tmp_path / "job.yaml"))


def test_the_example_service_expects_an_internal_http_balancer() -> None:
    assert expected_load_balancer(load_job(EXAMPLE)) == ExpectedLoadBalancer(
        name="acme-orders-cdc-stream",
        scheme="internal",
        listeners=((80, "HTTP"),),
        target_group="acme-orders-cdc-stream-8080",
        port=8080,
        health_check_path="/health",
        url_scheme="http",
    )


def test_external_ingress_with_a_certificate_expects_https(tmp_path: Path) -> None:
    expected = variant(
        tmp_path,
        (
            "    load_balancer:\n",
            f"    ingress: external\n    load_balancer:\n      certificate_arn: {CERTIFICATE}\n",
        ),
    )
    assert expected is not None
    assert (expected.scheme, expected.listeners, expected.url_scheme) == (
        "internet-facing",
        ((80, "HTTP"), (443, "HTTPS")),
        "https",
    )


def test_jobs_and_services_without_ingress_expect_none(tmp_path: Path) -> None:
    assert expected_load_balancer(load_job(Path("jobs/acme/stripe_customers_to_iceberg.yaml"))) is None
    balancer = (
        "    load_balancer:\n      health_check_path: /health\n      access_logs:\n"
        "        bucket: acme-alb-logs-prod\n        prefix: orders-cdc-stream\n"
    )
    endpoint = '    service_endpoint: "{{terraform_outputs.service_endpoint}}"\n'
    assert variant(tmp_path, (balancer, "    ingress: none\n"), (endpoint, "")) is None


@pytest.fixture
def aws() -> Iterator[tuple[Any, list[str], Any]]:
    """``(elbv2 client, subnet ids, acm client)`` of an in-process moto cloud."""
    with mock_aws():
        ec2 = boto3.client("ec2", region_name=REGION)
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnets = [
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{z}")[
                "Subnet"
            ]["SubnetId"]
            for i, z in ((1, "a"), (2, "b"))
        ]
        yield boto3.client("elbv2", region_name=REGION), subnets, boto3.client("acm", region_name=REGION)


def deploy(
    aws: tuple[Any, list[str], Any],
    expected: ExpectedLoadBalancer,
    *,
    scheme: str | None = None,
    health_check_path: str | None = None,
    ports: tuple[int, ...] = (80,),
) -> tuple[str, str]:
    """Create what the construct creates for ``expected`` (changed by the keywords): (DNS name, group ARN)."""
    elbv2, subnets, acm = aws
    chosen = expected.scheme if scheme is None else scheme  # "": none given, as the AWS provider does
    balancer = elbv2.create_load_balancer(
        Name=expected.name, Subnets=subnets, Type="application", **({"Scheme": chosen} if chosen else {})
    )["LoadBalancers"][0]
    group = elbv2.create_target_group(
        Name=expected.target_group,
        Protocol="HTTP",
        Port=expected.port,
        VpcId=balancer["VpcId"],
        TargetType="ip",
        HealthCheckPath=health_check_path or expected.health_check_path,
    )["TargetGroups"][0]["TargetGroupArn"]
    forward = [{"Type": "forward", "TargetGroupArn": group}]
    redirect = [
        {"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}
    ]
    https = 443 in ports
    for port in ports:
        extra: dict[str, Any] = {}
        if port == 443:
            certificate = acm.request_certificate(DomainName="svc.example.com")["CertificateArn"]
            extra = {
                "Certificates": [{"CertificateArn": certificate}],
                "SslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
            }
        elbv2.create_listener(
            LoadBalancerArn=balancer["LoadBalancerArn"],
            Port=port,
            Protocol="HTTPS" if port == 443 else "HTTP",
            DefaultActions=redirect if https and port == 80 else forward,
            **extra,
        )
    return balancer["DNSName"], group


INTERNAL = expected_load_balancer(load_job(EXAMPLE))
assert INTERNAL is not None


def test_a_balancer_as_the_job_asks_passes_and_is_reported(aws: tuple[Any, list[str], Any]) -> None:
    dns, group = deploy(aws, INTERNAL)
    service = {"loadBalancers": [{"targetGroupArn": group, "containerPort": 8080}]}
    facts = check_load_balancer(aws[0], INTERNAL, f"http://{dns}", service)
    assert facts["dns_name"] == dns and facts["scheme"] == "internal"
    assert facts["listeners"] == {80: "HTTP"}
    assert facts["target_group"] == {
        "arn": group,
        "name": "acme-orders-cdc-stream-8080",
        "target_type": "ip",
        "port": 8080,
        "health_check_path": "/health",
    }


def test_https_with_the_plain_port_redirecting_passes(aws: tuple[Any, list[str], Any]) -> None:
    expected = ExpectedLoadBalancer(
        **{**INTERNAL.__dict__, "listeners": ((80, "HTTP"), (443, "HTTPS")), "url_scheme": "https"}
    )
    dns, _ = deploy(aws, expected, ports=(443, 80))
    assert check_load_balancer(aws[0], expected, f"https://{dns}")["listeners"] == {80: "HTTP", 443: "HTTPS"}


@pytest.mark.parametrize(
    ("change", "endpoint", "message"),
    [
        (
            {"scheme": "internet-facing"},
            None,
            "scheme is 'internet-facing', the job's ingress needs 'internal'",
        ),
        ({"health_check_path": "/"}, None, "target group HealthCheckPath is '/', not '/health'"),
        (
            {"ports": (8081,)},
            None,
            "listeners (port, protocol) are [(8081, 'HTTP')], the job needs [(80, 'HTTP')]",
        ),
        ({}, "https://{dns}", "service_endpoint output is 'https://"),
        (
            {},
            "http://other.elb.amazonaws.com",
            "not 'http://acme-orders-cdc-stream-1.eu-west-1.elb.amazonaws.com'",
        ),
    ],
)
def test_each_difference_is_named(
    aws: tuple[Any, list[str], Any], change: dict[str, Any], endpoint: str | None, message: str
) -> None:
    dns, _ = deploy(aws, INTERNAL, **change)
    with pytest.raises(RuntimeError, match="load balancer 'acme-orders-cdc-stream': ") as error:
        check_load_balancer(aws[0], INTERNAL, (endpoint or "http://{dns}").format(dns=dns))
    assert message in str(error.value)


def test_an_https_job_on_a_plain_balancer_names_listeners_and_endpoint(
    aws: tuple[Any, list[str], Any],
) -> None:
    expected = ExpectedLoadBalancer(
        **{**INTERNAL.__dict__, "listeners": ((80, "HTTP"), (443, "HTTPS")), "url_scheme": "https"}
    )
    dns, _ = deploy(aws, expected, ports=(80,))
    with pytest.raises(RuntimeError) as error:
        check_load_balancer(aws[0], expected, f"http://{dns}")
    text = str(error.value)
    assert "the job needs [(80, 'HTTP'), (443, 'HTTPS')]" in text
    assert "listener on port 80 does not redirect to HTTPS 443" in text
    assert f"not 'https://{dns}'" in text


def test_a_balancer_created_without_a_scheme_is_internet_facing(aws: tuple[Any, list[str], Any]) -> None:
    """The AWS provider sends no Scheme for internal = false; the API's default is internet-facing."""
    public = ExpectedLoadBalancer(**{**INTERNAL.__dict__, "scheme": "internet-facing"})
    dns, _ = deploy(aws, public, scheme="")
    assert "Scheme" not in aws[0].describe_load_balancers(Names=[public.name])["LoadBalancers"][0]
    assert check_load_balancer(aws[0], public, f"http://{dns}")["scheme"] == "internet-facing"
    with pytest.raises(RuntimeError, match="scheme is 'internet-facing', the job's ingress needs 'internal'"):
        check_load_balancer(aws[0], INTERNAL, f"http://{dns}")


def test_a_service_on_another_target_group_is_named(aws: tuple[Any, list[str], Any]) -> None:
    dns, group = deploy(aws, INTERNAL)
    service = {"loadBalancers": [{"targetGroupArn": group + "-old"}]}
    with pytest.raises(RuntimeError, match="the ECS service registers its tasks in"):
        check_load_balancer(aws[0], INTERNAL, f"http://{dns}", service)


def test_a_missing_balancer_or_target_group_is_named(aws: tuple[Any, list[str], Any]) -> None:
    with pytest.raises(
        RuntimeError, match=r"load balancer 'acme-orders-cdc-stream' of the stack is not in the emulator"
    ):
        check_load_balancer(aws[0], INTERNAL, "http://x")
    elbv2, subnets, _ = aws
    elbv2.create_load_balancer(Name=INTERNAL.name, Subnets=subnets, Scheme="internal")
    with pytest.raises(
        RuntimeError, match=r"target group 'acme-orders-cdc-stream-8080' of the stack is not in"
    ):
        check_load_balancer(elbv2, INTERNAL, "http://x")


def test_leftovers_are_the_balancer_and_group_still_there(aws: tuple[Any, list[str], Any]) -> None:
    dns, group = deploy(aws, INTERNAL)
    service = {"loadBalancers": [{"targetGroupArn": group, "containerPort": 8080}]}
    elbv2 = aws[0]
    facts = check_load_balancer(elbv2, INTERNAL, f"http://{dns}", service)
    assert load_balancer_leftovers(elbv2, facts) == [facts["arn"], group]
    for listener in elbv2.describe_listeners(LoadBalancerArn=facts["arn"])["Listeners"]:
        elbv2.delete_listener(ListenerArn=listener["ListenerArn"])
    elbv2.delete_load_balancer(LoadBalancerArn=facts["arn"])
    assert load_balancer_leftovers(elbv2, facts) == [group]
    elbv2.delete_target_group(TargetGroupArn=group)
    assert load_balancer_leftovers(elbv2, facts) == []
