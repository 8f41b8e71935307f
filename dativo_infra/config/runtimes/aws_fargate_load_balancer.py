"""The ``load_balancer`` block of an ``aws_fargate`` service: the Application Load Balancer in front of a
service with ``ingress`` internal or external, its listener(s) and the target group's health check.

The rules (ARN grammar, path grammar, limits) come from :mod:`dativo_infra.clouds.aws`, which the
construct (:mod:`dativo_infra.constructs.aws_fargate_load_balancer`) builds with too.
"""

from __future__ import annotations

from pydantic import Field

from dativo_infra.clouds import Refusal, aws
from dativo_infra.config.fields import NonEmpty, Problem, Strict

#: The health check path of a service that names none.
DEFAULT_HEALTH_CHECK_PATH = "/health"
#: Seconds ECS ignores failed load balancer health checks of a new task. Unset: this.
DEFAULT_HEALTH_CHECK_GRACE_SECONDS = 60


class AwsAccessLogs(Strict):
    """Where the load balancer writes its access logs (S3)."""

    bucket: NonEmpty = Field(
        description="S3 bucket receiving the access logs; its bucket policy must let Elastic Load Balancing "
        "write (see the AWS guide 'Enable access logs for your Application Load Balancer')"
    )
    prefix: str = Field("", description="Key prefix of the log objects. Unset: none (the bucket's root)")


class AwsLoadBalancer(Strict):
    """The Application Load Balancer of a service with ingress internal or external. Unset: an ALB with
    every default below (internal: HTTP on port 80 from the VPC)."""

    certificate_arn: NonEmpty | None = Field(
        None,
        description="ACM certificate (same region as the job) of an HTTPS listener on port 443 (TLS 1.3/1.2 "
        "policy ELBSecurityPolicy-TLS13-1-2-2021-06); port 80 then redirects to HTTPS. Unset: plain HTTP on "
        "port 80 (internal ingress; external ingress needs allow_plain_http)",
    )
    allow_plain_http: bool = Field(
        False,
        description="Ingress external without certificate_arn: serve plain HTTP to the internet anyway. "
        "Unset: false (such a service is refused)",
    )
    health_check_path: NonEmpty = Field(
        DEFAULT_HEALTH_CHECK_PATH,
        description="Path the load balancer probes on the container port (HTTP 200-399 is healthy); a task "
        f"failing it is replaced. Unset: {DEFAULT_HEALTH_CHECK_PATH}",
    )
    health_check_grace_period_seconds: int = Field(
        DEFAULT_HEALTH_CHECK_GRACE_SECONDS,
        ge=0,
        le=aws.MAX_HEALTH_CHECK_GRACE_SECONDS,
        description="Seconds ECS ignores failing load balancer health checks of a starting task. "
        f"Unset: {DEFAULT_HEALTH_CHECK_GRACE_SECONDS}",
    )
    allowed_cidrs: list[NonEmpty] = Field(
        default_factory=list,
        description="IPv4 networks allowed to reach the listener(s). Unset: the VPC's CIDR (internal) or "
        "0.0.0.0/0 (external)",
    )
    deletion_protection: bool | None = Field(
        None,
        description="Refuse to delete the load balancer (turn off before destroying the stack). Unset: true "
        "when the job's environment is prod, else false",
    )
    access_logs: AwsAccessLogs | None = Field(
        None, description="S3 bucket (and key prefix) of the access logs. Unset: no access logs"
    )


def load_balancer_problems(
    block: AwsLoadBalancer, ingress: str, *, given: bool, subnet_ids: list[str]
) -> list[Problem]:
    """Every rule the ``load_balancer`` block (``given``: written in the job) of a service with
    ``ingress`` and the tasks' ``subnet_ids`` (the load balancer's too) breaks; ``where`` is relative
    to the runtime block."""
    if ingress == "none":
        if not given:
            return []
        return [
            Problem(
                ("load_balancer",),
                "applies to services with ingress internal or external only (ingress none creates no load "
                "balancer)",
                block.model_dump(exclude_unset=True),
                "ingress internal or external, or no load_balancer",
            )
        ]
    checks: list[tuple[tuple[str | int, ...], str, Refusal | None]] = []
    if block.certificate_arn is not None:
        checks.append(
            (("certificate_arn",), block.certificate_arn, aws.certificate_arn_refusal(block.certificate_arn))
        )
    path = block.health_check_path
    checks.append((("health_check_path",), path, aws.health_check_path_refusal(path)))
    checks += [
        (("allowed_cidrs", index), cidr, aws.cidr_refusal(cidr, 4))
        for index, cidr in enumerate(block.allowed_cidrs)
    ]
    if block.access_logs is not None:
        logs = block.access_logs
        checks.append((("access_logs", "bucket"), logs.bucket, aws.bucket_refusal(logs.bucket)))
        checks.append((("access_logs", "prefix"), logs.prefix, aws.access_log_prefix_refusal(logs.prefix)))
    found = [
        Problem(("load_balancer", *where), r.problem, value, r.expected)
        for where, value, r in checks
        if r is not None
    ]
    if len(subnet_ids) == 1:
        found.append(
            Problem(
                ("network", "subnet_ids"),
                "an Application Load Balancer needs subnets in at least two Availability Zones",
                subnet_ids,
                "two or more subnets in different Availability Zones (or none: the VPC's subnets), or "
                "ingress none",
            )
        )
    plain = block.certificate_arn is None
    if ingress == "external" and plain and not block.allow_plain_http:
        found.append(
            Problem(
                ("ingress",),
                "an external service needs HTTPS: plain HTTP from the internet is refused",
                ingress,
                "load_balancer.certificate_arn (an ACM certificate), or load_balancer.allow_plain_http: true",
            )
        )
    if "allow_plain_http" in block.model_fields_set and (ingress != "external" or not plain):
        found.append(
            Problem(
                ("load_balancer", "allow_plain_http"),
                "applies to ingress external without certificate_arn only",
                block.allow_plain_http,
                "no allow_plain_http (internal services may serve plain HTTP; with a certificate port 80 "
                "redirects to HTTPS)",
            )
        )
    return found
