"""The parts of a Cloud Run revision template that a service and a job share, built from the typed
runtime model: VPC access (a connector, or direct VPC egress with network tags, and the egress mode),
secret volumes and their mounts; and the service-only container parts: startup/liveness probes.

Only blocks inside the service's / job's template: no resources (no construct ids). The rules and
tables are :mod:`dativo_infra.clouds.gcp_run`'s; validation refused every bad value before this runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dativo_infra.cdk import provider_google
from dativo_infra.clouds import gcp, gcp_run
from dativo_infra.config.runtimes import GcpCloudRunRuntime
from dativo_infra.config.runtimes.gcp_template import GcpProbe

job = provider_google.cloud_run_v2_job
service = provider_google.cloud_run_v2_service


@dataclass(frozen=True)
class Bindings:
    """The binding classes of one resource kind (service or job): both take the same container and
    template blocks under different class names."""

    container: Any
    env: Any
    value_source: Any
    secret_key_ref: Any
    resources: Any
    vpc_access: Any
    network_interface: Any
    volume: Any
    volume_secret: Any
    volume_item: Any
    volume_mount: Any


SERVICE = Bindings(
    service.CloudRunV2ServiceTemplateContainers,
    service.CloudRunV2ServiceTemplateContainersEnv,
    service.CloudRunV2ServiceTemplateContainersEnvValueSource,
    service.CloudRunV2ServiceTemplateContainersEnvValueSourceSecretKeyRef,
    service.CloudRunV2ServiceTemplateContainersResources,
    service.CloudRunV2ServiceTemplateVpcAccess,
    service.CloudRunV2ServiceTemplateVpcAccessNetworkInterfaces,
    service.CloudRunV2ServiceTemplateVolumes,
    service.CloudRunV2ServiceTemplateVolumesSecret,
    service.CloudRunV2ServiceTemplateVolumesSecretItems,
    service.CloudRunV2ServiceTemplateContainersVolumeMounts,
)
JOB = Bindings(
    job.CloudRunV2JobTemplateTemplateContainers,
    job.CloudRunV2JobTemplateTemplateContainersEnv,
    job.CloudRunV2JobTemplateTemplateContainersEnvValueSource,
    job.CloudRunV2JobTemplateTemplateContainersEnvValueSourceSecretKeyRef,
    job.CloudRunV2JobTemplateTemplateContainersResources,
    job.CloudRunV2JobTemplateTemplateVpcAccess,
    job.CloudRunV2JobTemplateTemplateVpcAccessNetworkInterfaces,
    job.CloudRunV2JobTemplateTemplateVolumes,
    job.CloudRunV2JobTemplateTemplateVolumesSecret,
    job.CloudRunV2JobTemplateTemplateVolumesSecretItems,
    job.CloudRunV2JobTemplateTemplateContainersVolumeMounts,
)


def vpc_access(kinds: Bindings, runtime: GcpCloudRunRuntime, region: str) -> Any:
    """``vpc_access``: a connector (its full id), or one network interface (network, subnetwork, tags);
    ``egress`` only when the job sets it (Cloud Run's default is PRIVATE_RANGES_ONLY). None: no VPC."""
    network = runtime.network
    if network.connector is not None:
        connector = gcp_run.connector_id(network.connector, runtime.project_id, region)
        return kinds.vpc_access(connector=connector, egress=network.egress)
    subnetwork = network.subnet_ids[0] if network.subnet_ids else None
    if network.vpc_id is None and subnetwork is None:
        return None
    interface = kinds.network_interface(
        network=network.vpc_id, subnetwork=subnetwork, tags=list(network.tags) or None
    )
    return kinds.vpc_access(network_interfaces=[interface], egress=network.egress)


def volumes(kinds: Bindings, runtime: GcpCloudRunRuntime) -> tuple[Any, Any]:
    """(``volumes`` of the template, ``volume_mounts`` of the container), None each without volumes.
    A secret volume names its secret as the env secrets do (``split_secret``) and lists its files."""
    if not runtime.volumes:
        return None, None
    built, mounts = [], []
    for index, volume in enumerate(runtime.volumes):
        name = gcp_run.volume_name(index)
        secret, _ = gcp.split_secret(volume.secret)
        items = [kinds.volume_item(path=path, version=version) for path, version in volume.files()]
        built.append(kinds.volume(name=name, secret=kinds.volume_secret(secret=secret, items=items)))
        mounts.append(kinds.volume_mount(name=name, mount_path=volume.mount_path))
    return built, mounts


def execution_environment(runtime: GcpCloudRunRuntime) -> str | None:
    """The provider's value of ``execution_environment``; None leaves Cloud Run's default."""
    env = runtime.execution_environment
    return gcp_run.EXECUTION_ENVIRONMENTS[env] if env is not None else None


def _probe(cls: Any, probe: GcpProbe | None) -> Any:
    """A startup or liveness probe block (``cls`` the binding class); None: no probe."""
    if probe is None:
        return None
    prefix = cls.__name__
    action: dict[str, Any] = {}
    if probe.http_get is not None:
        action["http_get"] = getattr(service, prefix + "HttpGet")(
            path=probe.http_get.path, port=probe.http_get.port
        )
    if probe.tcp_socket is not None:
        action["tcp_socket"] = getattr(service, prefix + "TcpSocket")(port=probe.tcp_socket.port)
    if probe.grpc is not None:
        action["grpc"] = getattr(service, prefix + "Grpc")(port=probe.grpc.port, service=probe.grpc.service)
    return cls(
        initial_delay_seconds=probe.initial_delay_seconds,
        period_seconds=probe.period_seconds,
        timeout_seconds=probe.timeout_seconds,
        failure_threshold=probe.failure_threshold,
        **action,
    )


def probes(runtime: GcpCloudRunRuntime) -> dict[str, Any]:
    """``startup_probe`` / ``liveness_probe`` of the service's container (only those the job sets)."""
    if runtime.probes is None:
        return {}
    built = {
        "startup_probe": _probe(
            service.CloudRunV2ServiceTemplateContainersStartupProbe, runtime.probes.startup
        ),
        "liveness_probe": _probe(
            service.CloudRunV2ServiceTemplateContainersLivenessProbe, runtime.probes.liveness
        ),
    }
    return {key: value for key, value in built.items() if value is not None}
