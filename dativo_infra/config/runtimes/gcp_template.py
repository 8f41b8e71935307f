"""The revision template of the ``gcp_cloud_run`` runtime: VPC egress (``network``), health probes
(``probes``, service mode) and secret volumes (``volumes``), with their rules.

The rules come from :mod:`dativo_infra.clouds.gcp_run`, which the construct builds with too.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from dativo_infra.clouds import Refusal, gcp, gcp_run
from dativo_infra.config.fields import NonEmpty, Problem, Strict

Where = tuple[str | int, ...]


class GcpNetwork(Strict):
    """How the container reaches a VPC: direct VPC egress (vpc_id / subnet_ids, with network tags) or a
    Serverless VPC Access connector, never both. Unset: Cloud Run's default egress (no VPC)."""

    vpc_id: NonEmpty | None = Field(
        None,
        description="Direct VPC egress: VPC network (name or self link). Unset: the subnetwork's network, or "
        "no VPC",
    )
    subnet_ids: list[NonEmpty] = Field(
        default_factory=list,
        description="Direct VPC egress: at most one subnetwork. Unset: with vpc_id, the same-named "
        "subnetwork in the job's region",
    )
    connector: NonEmpty | None = Field(
        None,
        description="A Serverless VPC Access connector instead of direct VPC egress: "
        "projects/<project>/locations/<region>/connectors/<name> or a bare <name> (in project_id and the "
        "job's region); not with vpc_id, subnet_ids or tags. Unset: no connector",
    )
    egress: Literal["ALL_TRAFFIC", "PRIVATE_RANGES_ONLY"] | None = Field(
        None,
        description="Which traffic goes through the VPC: ALL_TRAFFIC or PRIVATE_RANGES_ONLY (needs a "
        f"connector or direct VPC egress). Unset: {gcp_run.DEFAULT_VPC_EGRESS}, Cloud Run's default",
    )
    tags: list[NonEmpty] = Field(
        default_factory=list,
        description="Direct VPC egress only: network tags of the instances, for firewall rules (each 1-63 "
        f"of a-z 0-9 -, starting with a letter; at most {gcp_run.MAX_NETWORK_TAGS}). Unset: none",
    )

    def direct(self) -> bool:
        """Whether the job asks for direct VPC egress (a network or a subnetwork)."""
        return self.vpc_id is not None or bool(self.subnet_ids)

    def problems(self, where: Where) -> list[Problem]:
        found: list[Problem] = []
        if len(self.subnet_ids) > 1:
            found.append(
                Problem(
                    (*where, "subnet_ids"),
                    "Cloud Run takes one subnetwork",
                    self.subnet_ids,
                    "at most one subnetwork",
                )
            )
        if self.connector is not None and self.direct():
            found.append(
                Problem(
                    (*where, "connector"),
                    "a connector and direct VPC egress (vpc_id, subnet_ids) exclude each other",
                    self.connector,
                    "either connector, or vpc_id / subnet_ids",
                )
            )
        if self.tags and not self.direct():
            problem = (
                "network tags apply to direct VPC egress only, not to a connector"
                if self.connector is not None
                else "network tags need direct VPC egress"
            )
            found.append(Problem((*where, "tags"), problem, self.tags, "vpc_id or subnet_ids with tags"))
        if self.egress is not None and self.connector is None and not self.direct():
            found.append(
                Problem(
                    (*where, "egress"),
                    "egress applies to VPC traffic, and no VPC is set",
                    self.egress,
                    "a connector, or vpc_id / subnet_ids",
                )
            )
        if len(self.tags) > gcp_run.MAX_NETWORK_TAGS:
            expected = f"at most {gcp_run.MAX_NETWORK_TAGS} tags"
            found.append(Problem((*where, "tags"), "too many network tags", len(self.tags), expected))
        seen: set[str] = set()
        for index, tag in enumerate(self.tags):
            refusal = gcp_run.network_tag_refusal(tag)
            if refusal is None and tag in seen:
                refusal = Refusal("listed twice", "each tag once")
            if refusal is not None:
                found.append(Problem((*where, "tags", index), refusal.problem, tag, refusal.expected))
            seen.add(tag)
        return found

    def region_problems(self, where: Where, region: str) -> list[Problem]:
        if self.connector is None:
            return []
        refusal = gcp_run.connector_refusal(self.connector, region)
        return (
            []
            if refusal is None
            else [Problem((*where, "connector"), refusal.problem, self.connector, refusal.expected)]
        )


# --- probes ------------------------------------------------------------------------------------
def _range(name: str, kind: gcp_run.ProbeKind) -> str:
    setting = gcp_run.PROBE_SETTINGS[name]
    high = setting.high(kind)
    return f"{setting.low} to {high}" if high is not None else f"at least {setting.low}"


class GcpHttpGet(Strict):
    """An HTTP GET probe: a status 200-399 passes."""

    path: str = Field("/", description="The request path, starting with '/'. Unset: /")
    port: int | None = Field(None, description="The container port probed, 1-65535. Unset: runtime.port")


class GcpTcpSocket(Strict):
    """A TCP probe: an open connection passes (startup probes only)."""

    port: int | None = Field(None, description="The container port probed, 1-65535. Unset: runtime.port")


class GcpGrpc(Strict):
    """A gRPC health check (grpc.health.v1.Health/Check)."""

    port: int | None = Field(None, description="The container port probed, 1-65535. Unset: runtime.port")
    service: NonEmpty | None = Field(
        None, description="The service name in the HealthCheckRequest. Unset: gRPC's default (the server)"
    )


class GcpProbe(Strict):
    """One probe of the service's container: exactly one of http_get, tcp_socket (startup only), grpc."""

    http_get: GcpHttpGet | None = Field(None, description="An HTTP GET probe. Unset: another action")
    tcp_socket: GcpTcpSocket | None = Field(
        None, description="Startup probes only: a TCP connection. Unset: another action"
    )
    grpc: GcpGrpc | None = Field(None, description="A gRPC health check. Unset: another action")
    initial_delay_seconds: int | None = Field(
        None,
        description=f"Seconds before the first probe (startup {_range('initial_delay_seconds', 'startup')}, "
        f"liveness {_range('initial_delay_seconds', 'liveness')}). Unset: 0",
    )
    period_seconds: int | None = Field(
        None,
        description=f"Seconds between probes (startup {_range('period_seconds', 'startup')}, liveness "
        f"{_range('period_seconds', 'liveness')}), at least timeout_seconds. Unset: 10",
    )
    timeout_seconds: int | None = Field(
        None,
        description=f"Seconds before a probe times out ({_range('timeout_seconds', 'liveness')}), at most "
        "period_seconds. Unset: 1",
    )
    failure_threshold: int | None = Field(
        None,
        description="Consecutive failures that fail the probe (at least 1; a startup probe's "
        f"failure_threshold x period_seconds at most {gcp_run.STARTUP_MAX_SECONDS}). Unset: 3",
    )

    def actions(self) -> list[str]:
        return [name for name in ("http_get", "tcp_socket", "grpc") if getattr(self, name) is not None]

    def value(self, name: str) -> int:
        """A numeric attribute, or Cloud Run's default for it."""
        value = getattr(self, name)
        return gcp_run.PROBE_DEFAULTS[name] if value is None else int(value)

    def problems(self, kind: gcp_run.ProbeKind, where: Where) -> list[Problem]:
        found: list[Problem] = []
        allowed = gcp_run.PROBE_ACTIONS[kind]
        actions = self.actions()
        if len(actions) != 1:
            found.append(
                Problem(where, "a probe has exactly one action", actions, "one of " + ", ".join(allowed))
            )
        for action in actions:
            if action not in allowed:
                found.append(
                    Problem(
                        (*where, action),
                        f"Cloud Run has no {action} {kind} probe",
                        action,
                        "one of " + ", ".join(allowed),
                    )
                )
            port = getattr(self, action).port
            port_low, port_high = gcp_run.PORT_RANGE
            if port is not None and not port_low <= port <= port_high:
                found.append(
                    Problem((*where, action, "port"), "not a port", port, f"{port_low} to {port_high}")
                )
        if self.http_get is not None and (refusal := gcp_run.http_path_refusal(self.http_get.path)):
            found.append(
                Problem((*where, "http_get", "path"), refusal.problem, self.http_get.path, refusal.expected)
            )
        for name, setting in gcp_run.PROBE_SETTINGS.items():
            value = getattr(self, name)
            high = setting.high(kind)
            if value is not None and (value < setting.low or (high is not None and value > high)):
                problem = f"outside Cloud Run's {kind} probe range"
                found.append(Problem((*where, name), problem, value, _range(name, kind)))
        if self.value("timeout_seconds") > self.value("period_seconds"):
            expected = f"at most period_seconds ({self.value('period_seconds')})"
            found.append(
                Problem(
                    (*where, "timeout_seconds"), "longer than period_seconds", self.timeout_seconds, expected
                )
            )
        total = self.value("failure_threshold") * self.value("period_seconds")
        if kind == "startup" and total > gcp_run.STARTUP_MAX_SECONDS:
            found.append(
                Problem(
                    (*where, "failure_threshold"),
                    f"failure_threshold x period_seconds is {total} s, longer than a startup probe may run",
                    self.failure_threshold,
                    f"failure_threshold x period_seconds at most {gcp_run.STARTUP_MAX_SECONDS}",
                )
            )
        return found


class GcpProbes(Strict):
    """Health probes of the service's container. Unset: Cloud Run's default TCP startup probe on the port."""

    startup: GcpProbe | None = Field(
        None, description="When the container has started (HTTP, TCP or gRPC). Unset: Cloud Run's TCP default"
    )
    liveness: GcpProbe | None = Field(
        None, description="When to restart the container (HTTP or gRPC). Unset: no liveness probe"
    )

    def problems(self, where: Where) -> list[Problem]:
        found: list[Problem] = []
        if self.startup is not None:
            found += self.startup.problems("startup", (*where, "startup"))
        if self.liveness is not None:
            found += self.liveness.problems("liveness", (*where, "liveness"))
        return found


# --- secret volumes ------------------------------------------------------------------------------
class GcpSecretItem(Strict):
    """One file of a secret volume: a version of the secret at a path under the mount path."""

    path: NonEmpty = Field(description="The file's path, relative to mount_path (e.g. 'password')")
    version: NonEmpty = Field(
        "latest", description="The secret version: latest, a number or an alias. Unset: latest"
    )


class GcpSecretVolume(Strict):
    """A Secret Manager secret mounted as files (read-only) at ``mount_path``; the job's service account
    is granted roles/secretmanager.secretAccessor on it, like the secrets of runtime.secrets."""

    secret: NonEmpty = Field(
        description="The secret: [projects/<p>/secrets/]<name>[/versions/<v>] (a version only without items)"
    )
    mount_path: NonEmpty = Field(
        description="The absolute directory the files appear in, e.g. /secrets/db (not /, /dev, /proc, /sys "
        "or under them; one volume per path)"
    )
    items: list[GcpSecretItem] = Field(
        default_factory=list,
        description="The files: a version each, at a relative path. Unset: one file named after the secret, "
        "holding the reference's version (latest when it names none)",
    )

    def problems(self, where: Where) -> list[Problem]:
        found: list[Problem] = []
        refusal = gcp.secret_refusal(self.secret)
        if refusal is not None:
            found.append(Problem((*where, "secret"), refusal.problem, self.secret, refusal.expected))
        elif self.items and "/versions/" in self.secret:
            found.append(
                Problem(
                    (*where, "secret"),
                    "names a version and items: each item names its own",
                    self.secret,
                    "the secret without /versions/, or no items",
                )
            )
        if (refusal := gcp_run.mount_path_refusal(self.mount_path)) is not None:
            found.append(Problem((*where, "mount_path"), refusal.problem, self.mount_path, refusal.expected))
        paths: set[str] = set()
        for index, item in enumerate(self.items):
            refusal = gcp_run.item_path_refusal(item.path)
            if refusal is None and item.path in paths:
                refusal = Refusal("listed twice", "each path once")
            if refusal is not None:
                found.append(
                    Problem((*where, "items", index, "path"), refusal.problem, item.path, refusal.expected)
                )
            paths.add(item.path)
            refusal = gcp.secret_refusal(f"s/versions/{item.version}")
            if refusal is not None:
                expected = "latest, a version number or an alias"
                found.append(
                    Problem(
                        (*where, "items", index, "version"), "not a secret version", item.version, expected
                    )
                )
        return found

    def files(self) -> list[tuple[str, str]]:
        """(path, version) of every file of the volume (the default: one file named after the secret)."""
        if self.items:
            return [(item.path, item.version) for item in self.items]
        secret, version = gcp.split_secret(self.secret)
        return [(secret.rsplit("/", 1)[-1], version)]


def volumes_problems(volumes: list[GcpSecretVolume], where: Where) -> list[Problem]:
    """Each volume's rules, and one volume per mount path (no mount path inside another's)."""
    found: list[Problem] = []
    for index, volume in enumerate(volumes):
        found += volume.problems((*where, index))
        for other in volumes[:index]:
            a, b = volume.mount_path.rstrip("/"), other.mount_path.rstrip("/")
            if a == b or a.startswith(b + "/") or b.startswith(a + "/"):
                found.append(
                    Problem(
                        (*where, index, "mount_path"),
                        f"overlaps the mount path {other.mount_path} of another volume",
                        volume.mount_path,
                        "a mount path of its own, not inside another",
                    )
                )
    return found
