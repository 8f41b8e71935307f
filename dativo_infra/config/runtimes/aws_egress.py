"""Egress rules of an AWS Fargate job's security group (``network.egress`` of the ``aws_fargate``
runtime): one destination, a protocol, ports, and the AWS rules each is checked against
(:mod:`dativo_infra.clouds.aws`, which the construct builds with too).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from dativo_infra.clouds import aws
from dativo_infra.config.fields import NonEmpty, Problem, Strict


class AwsEgressRule(Strict):
    """One outbound rule of the job's security group: a destination (exactly one of ``cidr_ipv4``,
    ``cidr_ipv6``, ``prefix_list_id``), a protocol and a port or port range."""

    cidr_ipv4: NonEmpty | None = Field(None, description="IPv4 destination, e.g. 10.0.0.0/8. Unset: none")
    cidr_ipv6: NonEmpty | None = Field(None, description="IPv6 destination, e.g. ::/0. Unset: none")
    prefix_list_id: NonEmpty | None = Field(
        None,
        description="Managed prefix list destination (pl-...), e.g. the S3 gateway endpoint's. Unset: none",
    )
    protocol: Literal["tcp", "udp", "all"] = Field(
        "tcp", description="tcp, udp or all (every protocol and port: no ports). Unset: tcp"
    )
    port: int | None = Field(None, ge=0, le=65535, description="One port. Unset: from_port-to_port")
    from_port: int | None = Field(None, ge=0, le=65535, description="First port of a range. Unset: port")
    to_port: int | None = Field(None, ge=0, le=65535, description="Last port of a range. Unset: port")
    description: str | None = Field(
        None, description="Rule description. Unset: generated from protocol, ports and destination"
    )

    def destination(self) -> tuple[str, str] | None:
        """``(field, value)`` of the one destination, or None (validation ensures exactly one)."""
        given = [(k, v) for k in _DESTINATIONS if (v := getattr(self, k)) is not None]
        return given[0] if len(given) == 1 else None

    def ports(self) -> tuple[int, int] | None:
        """``(from, to)`` ports, or None for protocol ``all``."""
        if self.protocol == "all":
            return None
        if self.port is not None:
            return self.port, self.port
        return (self.from_port or 0), (self.to_port if self.to_port is not None else 65535)

    def problems(self, where: tuple[str | int, ...]) -> list[Problem]:
        """Every AWS rule the rule breaks (``where``: its position in the runtime block)."""
        found: list[Problem] = []
        given = [k for k in _DESTINATIONS if getattr(self, k) is not None]
        if not given:
            found.append(Problem(where, "egress rule has no destination", None, _ONE_DESTINATION))
        for key in given[1:]:
            found.append(
                Problem(
                    (*where, key),
                    f"egress rule has two destinations ({given[0]} too)",
                    getattr(self, key),
                    _ONE_DESTINATION,
                )
            )
        cidrs: tuple[tuple[str, str | None, Literal[4, 6]], ...] = (
            ("cidr_ipv4", self.cidr_ipv4, 4),
            ("cidr_ipv6", self.cidr_ipv6, 6),
        )
        for key, value, version in cidrs:
            refusal = aws.cidr_refusal(value, version) if value is not None else None
            if refusal is not None:
                found.append(Problem((*where, key), refusal.problem, value, refusal.expected))
        if self.prefix_list_id is not None and (refusal := aws.network_id_refusal("pl", self.prefix_list_id)):
            found.append(
                Problem((*where, "prefix_list_id"), refusal.problem, self.prefix_list_id, refusal.expected)
            )
        if self.description is not None and (refusal := aws.sg_description_refusal(self.description)):
            found.append(
                Problem((*where, "description"), refusal.problem, self.description, refusal.expected)
            )
        found += self._port_problems(where)
        return found

    def _port_problems(self, where: tuple[str | int, ...]) -> list[Problem]:
        ranged = [(k, v) for k in ("from_port", "to_port") if (v := getattr(self, k)) is not None]
        if self.protocol == "all":
            return [
                Problem(
                    (*where, k),
                    "protocol all covers every port",
                    v,
                    "no port, from_port or to_port with protocol all",
                )
                for k, v in [("port", self.port), *ranged]
                if v is not None
            ]
        if self.port is not None:
            return [
                Problem(
                    (*where, k), "port and a port range both given", v, "either port or from_port and to_port"
                )
                for k, v in ranged
            ]
        if len(ranged) < 2:
            missing = "to_port" if ranged and ranged[0][0] == "from_port" else "from_port"
            return [
                Problem(
                    (*where, missing if ranged else "port"),
                    f"{self.protocol} rule without ports" if not ranged else f"{missing} missing",
                    None,
                    "port, or from_port and to_port (0-65535); protocol all for every port",
                )
            ]
        if ranged[0][1] > ranged[1][1]:
            return [
                Problem(
                    (*where, "from_port"),
                    "from_port is larger than to_port",
                    ranged[0][1],
                    f"at most to_port ({ranged[1][1]})",
                )
            ]
        return []


_DESTINATIONS = ("cidr_ipv4", "cidr_ipv6", "prefix_list_id")
_ONE_DESTINATION = "exactly one of cidr_ipv4, cidr_ipv6 or prefix_list_id"
