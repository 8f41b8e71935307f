"""The older job dialect, mapped onto the canonical form.

Older job files say::

    infrastructure:
      cloud_provider: aws
      runtime_environment:
        compute_type: ecs_task          # or cloud_run
        memory_mb: 2048
        cpu_units: 1024                 # AWS: 1024 = 1 vCPU; GCP: 1000 = 1 vCPU
        timeout_seconds: 3600
        network: {vpc_id, subnet_ids, security_group_ids}
      tags: {CostCenter: ..., JobName: ..., Environment: ...}   # PascalCase keys
      terraform: {resource_refs: ..., variables: ...}

The mapping renames keys and converts units; positions follow the values so that errors still
point at the lines the user wrote. Compute types without a runtime get a "not supported yet" error.
"""

from __future__ import annotations

import re
from typing import Any, TypeGuard

from dativo_infra.config.yamlpos import PathKey, PositionedDocument
from dativo_infra.contract import RuntimeType
from dativo_infra.errors import JobError

COMPUTE_TYPES: dict[str, RuntimeType] = {
    "ecs_task": RuntimeType.AWS_FARGATE,
    "ecs": RuntimeType.AWS_FARGATE,
    "fargate": RuntimeType.AWS_FARGATE,
    "cloud_run": RuntimeType.GCP_CLOUD_RUN,
    "container_apps": RuntimeType.AZURE_CONTAINER_APPS,
}
#: The name each runtime has in the older dialect (what plain-Terraform modules key on).
COMPUTE_TYPE_OF_RUNTIME: dict[RuntimeType, str] = {
    RuntimeType.AWS_FARGATE: "ecs_task",
    RuntimeType.AZURE_CONTAINER_APPS: "container_apps",
    RuntimeType.GCP_CLOUD_RUN: "cloud_run",
}
#: The older dialect's ``cpu_units`` per vCPU: ECS counts 1024, the other clouds' files count 1000.
CPU_UNITS_PER_VCPU: dict[RuntimeType, int] = {
    RuntimeType.AWS_FARGATE: 1024,
    RuntimeType.AZURE_CONTAINER_APPS: 1000,
    RuntimeType.GCP_CLOUD_RUN: 1000,
}
#: Compute types the older documents name that have no runtime construct yet.
NOT_SUPPORTED_YET = ("lambda", "ec2_instance", "eks", "gke", "gke_pod", "gce_instance", "aci", "aks")

#: Older keys converted explicitly below.
RENAMED = {"compute_type", "cpu_units", "memory_mb", "storage"}
#: Older keys with no meaning for the runtimes (sizing hints, pre-existing identities): dropped.
IGNORED = {"compute_size", "service_account"}

#: Regions used when an older job file names none (the older dialect had no region field).
DEFAULT_REGIONS = {"aws": "us-east-1", "azure": "westeurope", "gcp": "us-central1"}


def is_legacy(infrastructure: object) -> TypeGuard[dict[str, Any]]:
    """Whether an ``infrastructure`` value is written in the older dialect."""
    return isinstance(infrastructure, dict) and (
        "cloud_provider" in infrastructure or "runtime_environment" in infrastructure
    )


def snake(key: str) -> str:
    """PascalCase/camelCase tag key -> snake_case (``CostCenter`` -> ``cost_center``)."""
    key = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", key)
    key = re.sub(r"(?<=[A-Z])([A-Z][a-z])", r"_\1", key)
    return key.lower()


def to_canonical(doc: PositionedDocument) -> PositionedDocument:
    """Return ``doc`` with an older-dialect ``infrastructure`` block rewritten to the canonical form."""
    data = doc.value
    infra = data.get("infrastructure")
    if not is_legacy(infra):
        return doc
    lines = dict(doc.lines)
    base: PathKey = ("infrastructure",)

    def move(old: PathKey, new: PathKey) -> None:
        for path, line in list(doc.lines.items()):
            if path[: len(old)] == old:
                lines[new + path[len(old) :]] = line

    out: dict[str, Any] = {}
    unknown = {
        k: v
        for k, v in infra.items()
        if k not in ("cloud_provider", "runtime_environment", "tags", "terraform", "region", "provider")
    }
    out.update(unknown)  # left for the schema to report as unknown fields
    provider = infra.get("provider", infra.get("cloud_provider"))
    out["provider"] = provider
    move((*base, "cloud_provider"), (*base, "provider"))
    region = infra.get("region") or DEFAULT_REGIONS.get(provider if isinstance(provider, str) else "")
    if region is not None:
        out["region"] = region

    env = infra.get("runtime_environment")
    runtime: dict[str, Any] = {}
    old_rt: PathKey = (*base, "runtime_environment")
    new_rt: PathKey = (*base, "runtime")
    if isinstance(env, dict):
        compute = env.get("compute_type")
        line = doc.line_of((*old_rt, "compute_type"))
        if compute in NOT_SUPPORTED_YET:
            raise JobError.at(
                doc.file,
                line,
                "infrastructure.runtime_environment.compute_type",
                "compute type not supported yet",
                compute,
                "one of " + ", ".join(sorted(COMPUTE_TYPES)),
            )
        if compute not in COMPUTE_TYPES:
            raise JobError.at(
                doc.file,
                line,
                "infrastructure.runtime_environment.compute_type",
                "unknown compute type",
                compute,
                "one of " + ", ".join(sorted(COMPUTE_TYPES)),
            )
        runtime_type = COMPUTE_TYPES[compute]
        runtime["type"] = runtime_type.value
        lines[(*new_rt, "type")] = line
        lines[new_rt] = doc.line_of(old_rt)
        if "cpu_units" in env:
            cpu = env["cpu_units"]
            if isinstance(cpu, int):
                cpu = round(cpu * 1000 / CPU_UNITS_PER_VCPU[runtime_type])
            runtime["cpu_millicores"] = cpu
            move((*old_rt, "cpu_units"), (*new_rt, "cpu_millicores"))
        if "memory_mb" in env:
            runtime["memory_mib"] = env["memory_mb"]
            move((*old_rt, "memory_mb"), (*new_rt, "memory_mib"))
        for key, value in env.items():
            if key in RENAMED or key in IGNORED:
                continue
            # Same-named fields carry over; anything else is left for the schema to report.
            runtime[key] = value
            move((*old_rt, key), (*new_rt, key))
        storage = env.get("storage")
        if (
            isinstance(storage, dict)
            and "ephemeral_storage_gb" in storage
            and runtime_type is RuntimeType.AWS_FARGATE
        ):
            runtime["ephemeral_storage_gib"] = storage["ephemeral_storage_gb"]
            move((*old_rt, "storage", "ephemeral_storage_gb"), (*new_rt, "ephemeral_storage_gib"))
    elif env is not None:
        runtime = env  # let the schema report the wrong shape
        move(old_rt, new_rt)
    out["runtime"] = runtime

    tags = infra.get("tags")
    if isinstance(tags, dict):
        new_tags: dict[str, Any] = {}
        for key, value in tags.items():
            new_key = snake(key) if isinstance(key, str) else key
            new_tags[new_key] = value
            move((*base, "tags", key), (*base, "tags", new_key))
        # Older files are ingestion jobs by definition and had no pipeline type tag.
        new_tags.setdefault("pipeline_type", "ingestion")
        out["tags"] = new_tags
    else:
        out["tags"] = tags
    if "terraform" in infra:
        out["terraform"] = infra["terraform"]
    new_data = dict(data)
    new_data["infrastructure"] = out
    return PositionedDocument(doc.file, new_data, lines)
