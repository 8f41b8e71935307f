"""The Application Load Balancer of a service with ingress, read back from the local cloud: what the
job asks for (:func:`expected_load_balancer`, pure) against what the emulator reports through the
ELBv2 API (:func:`check_load_balancer`).

The job decides the scheme (ingress internal: ``internal``; external: ``internet-facing``), the
listeners (HTTP on 80; with ``load_balancer.certificate_arn`` also HTTPS on 443, and 80 redirects to
it), the target group (IP targets on the container port over HTTP, health check on
``load_balancer.health_check_path``) and the ``service_endpoint`` output: ``http(s)://`` and the load
balancer's DNS name exactly as the cloud reports it. Names come from the stack name, as the construct
derives them (:func:`dativo_infra.clouds.aws.resource_names`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dativo_infra.clouds import aws
from dativo_infra.config.loaded import LoadedJob
from dativo_infra.config.runtimes import AwsFargateRuntime

HTTP, HTTPS = (80, "HTTP"), (443, "HTTPS")
#: CreateLoadBalancer's Scheme when none is given.
DEFAULT_SCHEME = "internet-facing"


@dataclass(frozen=True)
class ExpectedLoadBalancer:
    """What a job's stack must have created behind its service."""

    name: str
    scheme: str  # "internal" | "internet-facing"
    listeners: tuple[tuple[int, str], ...]  # (port, protocol), sorted by port
    target_group: str
    port: int  # the container port the target group sends to
    health_check_path: str
    url_scheme: str  # of the service_endpoint output: "http" | "https"


def expected_load_balancer(job: LoadedJob) -> ExpectedLoadBalancer | None:
    """The load balancer of ``job``'s service; None for a job or a service without ingress."""
    runtime = job.config.runtime
    if not isinstance(runtime, AwsFargateRuntime) or runtime.mode != "service" or runtime.ingress == "none":
        return None
    https = runtime.load_balancer.certificate_arn is not None
    return ExpectedLoadBalancer(
        name=aws.resource_names(job.stack_name).load_balancer,
        scheme="internet-facing" if runtime.ingress == "external" else "internal",
        listeners=(HTTP, HTTPS) if https else (HTTP,),
        target_group=aws.target_group_name(job.stack_name, runtime.port),
        port=runtime.port,
        health_check_path=runtime.load_balancer.health_check_path,
        url_scheme="https" if https else "http",
    )


def _one(found: list[dict[str, Any]], what: str) -> dict[str, Any]:
    if len(found) != 1:
        raise RuntimeError(f"{what} is not in the emulator (found {len(found)})")
    return found[0]


def _describe(call: Any, key: str, **kwargs: Any) -> list[dict[str, Any]]:
    """``call(**kwargs)[key]``; a not-found error (LoadBalancerNotFound, TargetGroupNotFound) is []."""
    from botocore.exceptions import ClientError

    try:
        result: list[dict[str, Any]] = call(**kwargs)[key]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code", "").endswith("NotFound"):
            return []
        raise
    return result


def check_load_balancer(
    elbv2: Any, expected: ExpectedLoadBalancer, endpoint: str, service: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Check the emulator's load balancer, listeners and target group against ``expected`` and the
    ``service_endpoint`` output ``endpoint`` (and, given the ECS ``service`` as DescribeServices returns
    it, that the service registers its tasks in that target group). Raises RuntimeError naming every
    difference; returns what the emulator reported (``arn``, ``dns_name``, ``scheme``, ``listeners``
    as ``{port: protocol}``, ``target_group``)."""
    balancer = _one(
        _describe(elbv2.describe_load_balancers, "LoadBalancers", Names=[expected.name]),
        f"load balancer {expected.name!r} of the stack",
    )
    group = _one(
        _describe(elbv2.describe_target_groups, "TargetGroups", Names=[expected.target_group]),
        f"target group {expected.target_group!r} of the stack",
    )
    arn, group_arn = balancer["LoadBalancerArn"], group["TargetGroupArn"]
    listeners = _describe(elbv2.describe_listeners, "Listeners", LoadBalancerArn=arn)
    problems: list[str] = []
    if balancer.get("Type") != "application":
        problems.append(f"type is {balancer.get('Type')!r}, not 'application'")
    # Scheme absent: the API's default, internet-facing (the AWS provider sends Scheme only for
    # internal = true, and moto then reports none).
    scheme = balancer.get("Scheme") or DEFAULT_SCHEME
    if scheme != expected.scheme:
        problems.append(f"scheme is {scheme!r}, the job's ingress needs {expected.scheme!r}")
    url = f"{expected.url_scheme}://{balancer['DNSName']}"
    if endpoint != url:
        problems.append(f"service_endpoint output is {endpoint!r}, not {url!r} (the emulator's DNSName)")
    found = sorted((int(listener["Port"]), listener["Protocol"]) for listener in listeners)
    if tuple(found) != expected.listeners:
        problems.append(f"listeners (port, protocol) are {found}, the job needs {list(expected.listeners)}")
    for listener in listeners:
        actions = listener.get("DefaultActions", [])
        kinds = [a.get("Type") for a in actions]
        if expected.url_scheme == "https" and listener["Protocol"] == "HTTP":
            redirect = actions[0].get("RedirectConfig", {}) if kinds == ["redirect"] else {}
            if (redirect.get("Protocol"), redirect.get("Port")) != ("HTTPS", "443"):
                problems.append(
                    f"listener on port {listener['Port']} does not redirect to HTTPS 443: {actions}"
                )
        elif kinds != ["forward"] or actions[0].get("TargetGroupArn") != group_arn:
            problems.append(
                f"listener on port {listener['Port']} does not forward to {expected.target_group!r}: {actions}"
            )
    for key, want in (
        ("TargetType", "ip"),
        ("Protocol", "HTTP"),
        ("Port", expected.port),
        ("HealthCheckPath", expected.health_check_path),
    ):
        if group.get(key) != want:
            problems.append(f"target group {key} is {group.get(key)!r}, not {want!r}")
    if arn not in group.get("LoadBalancerArns", []):
        problems.append(f"target group {expected.target_group!r} is not attached to the load balancer")
    if service is not None:
        registered = sorted(b.get("targetGroupArn", "") for b in service.get("loadBalancers", []))
        if registered != [group_arn]:
            problems.append(f"the ECS service registers its tasks in {registered}, not [{group_arn!r}]")
    if problems:
        raise RuntimeError(f"load balancer {expected.name!r}: " + "; ".join(problems))
    return {
        "arn": arn,
        "dns_name": balancer["DNSName"],
        "scheme": scheme,
        "listeners": dict(found),
        "target_group": {
            "arn": group_arn,
            "name": group["TargetGroupName"],
            "target_type": group["TargetType"],
            "port": group["Port"],
            "health_check_path": group["HealthCheckPath"],
        },
    }


def load_balancer_leftovers(elbv2: Any, reported: dict[str, Any]) -> list[str]:
    """The ARNs of the load balancer and target group :func:`check_load_balancer` reported that are
    still in the emulator (after a destroy: none may be)."""
    left = [
        b["LoadBalancerArn"]
        for b in _describe(elbv2.describe_load_balancers, "LoadBalancers", LoadBalancerArns=[reported["arn"]])
    ]
    group = reported["target_group"]["arn"]
    left += [
        g["TargetGroupArn"]
        for g in _describe(elbv2.describe_target_groups, "TargetGroups", TargetGroupArns=[group])
    ]
    return left
