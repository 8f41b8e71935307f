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
from collections.abc import Callable
from fractions import Fraction
from typing import Any, TypeGuard

from dativo_infra.config.yamlpos import PathKey, PositionedDocument, dotted
from dativo_infra.contract import RuntimeType
from dativo_infra.errors import ErrorReport, JobError

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

#: Older keys with no meaning for the runtimes (a sizing word, a pre-existing identity): not mapped
#: onto the runtime, but not lost either: ``tfvars`` passes them to plain-Terraform modules as written.
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


#: ``expected`` of an error for two keys that say the same thing.
ONE_OF_THEM = "one of them"
#: ``expected`` of an error for a canonical block next to its older-dialect twin.
NOT_MIXED = "one of them (the canonical and the older dialect cannot be mixed in one infrastructure block)"


class DocumentRewrite:
    """One older-dialect ``infrastructure`` block being rewritten: the new positions and the errors."""

    def __init__(self, doc: PositionedDocument) -> None:
        self.doc = doc
        self.lines = dict(doc.lines)
        self.errors: list[JobError] = []

    def move(self, old: PathKey, new: PathKey) -> None:
        """Give ``new`` (and everything under it) the lines of ``old`` (and everything under it)."""
        for path, line in list(self.doc.lines.items()):
            if path[: len(old)] == old:
                self.lines[new + path[len(old) :]] = line

    def clash(self, first: PathKey, second: PathKey, block: PathKey, target: str, expected: str) -> None:
        """Two keys (paths under ``block``) that both map to ``target``: an error at the later one."""
        (line_a, a), (line_b, b) = sorted(((self.doc.line_of(p), p) for p in (first, second)), key=_line)
        self.errors.append(
            JobError.at(
                self.doc.file,
                line_b,
                dotted(b),
                f"{dotted(a[len(block) :])} (line {line_a}) and {dotted(b[len(block) :])} (line {line_b}) "
                f"both map to {target}",
                _value_at(self.doc.value, b),
                expected,
            )
        )

    def error(
        self, path: PathKey, problem: str, got: object, expected: str, *, show_got: bool = True
    ) -> None:
        self.errors.append(
            JobError.at(
                self.doc.file, self.doc.line_of(path), dotted(path), problem, got, expected, show_got=show_got
            )
        )


def _line(item: tuple[int, PathKey]) -> int:
    return item[0]


def _value_at(data: Any, path: PathKey) -> Any:
    for key in path:
        data = data[key]
    return data


def to_canonical(doc: PositionedDocument) -> PositionedDocument:
    """Return ``doc`` with an older-dialect ``infrastructure`` block rewritten to the canonical form.

    Nothing the file says is dropped silently: a canonical key next to its older twin (``provider`` and
    ``cloud_provider``, ``runtime`` and ``runtime_environment``) and two keys that map to the same
    canonical key (``JobName`` and ``job_name`` in tags, ``cpu_units`` and ``cpu_millicores``, ...) are
    errors naming both lines. Raises :class:`ErrorReport` with every such error of the file.
    """
    data = doc.value
    infra = data.get("infrastructure")
    if not is_legacy(infra):
        return doc
    m = DocumentRewrite(doc)
    base: PathKey = ("infrastructure",)
    handled = ("provider", "cloud_provider", "runtime", "runtime_environment", "tags", "terraform", "region")
    # Unknown keys are left for the schema to report as unknown fields.
    out: dict[str, Any] = {k: v for k, v in infra.items() if k not in handled}

    if "provider" in infra and "cloud_provider" in infra:
        m.clash((*base, "provider"), (*base, "cloud_provider"), base, "provider", NOT_MIXED)
    provider = infra["provider"] if "provider" in infra else infra.get("cloud_provider")
    if "provider" in infra or "cloud_provider" in infra:
        out["provider"] = provider
    if "provider" not in infra:
        m.move((*base, "cloud_provider"), (*base, "provider"))
    # The older dialect had no region: a file without one gets its cloud's default region.
    region = infra.get("region")
    if region is None:
        region = DEFAULT_REGIONS.get(provider) if isinstance(provider, str) else None
    if region is not None:
        out["region"] = region

    if "runtime" in infra and "runtime_environment" in infra:
        m.clash((*base, "runtime"), (*base, "runtime_environment"), base, "runtime", NOT_MIXED)
    if "runtime_environment" in infra:
        out["runtime"] = _runtime(m, infra["runtime_environment"])
    elif "runtime" in infra:
        out["runtime"] = infra["runtime"]

    tags = infra.get("tags")
    if isinstance(tags, dict):
        new_tags: dict[Any, Any] = {}
        written: dict[Any, PathKey] = {}
        for key, value in tags.items():
            new_key = snake(key) if isinstance(key, str) else key
            if new_key in written:
                m.clash(
                    written[new_key], (*base, "tags", key), (*base, "tags"), f"tags.{new_key}", ONE_OF_THEM
                )
                continue
            new_tags[new_key] = value
            written[new_key] = (*base, "tags", key)
            m.move((*base, "tags", key), (*base, "tags", new_key))
        # Older files are ingestion jobs by definition and had no pipeline type tag.
        new_tags.setdefault("pipeline_type", "ingestion")
        out["tags"] = new_tags
    else:
        out["tags"] = tags
    if "terraform" in infra:
        out["terraform"] = infra["terraform"]
    ErrorReport(m.errors).raise_if_any()
    new_data = dict(data)
    new_data["infrastructure"] = out
    return PositionedDocument(doc.file, new_data, m.lines)


def _runtime(m: DocumentRewrite, env: object) -> Any:
    """``runtime_environment`` as the canonical ``runtime`` block (errors go to ``m``)."""
    old: PathKey = ("infrastructure", "runtime_environment")
    new: PathKey = ("infrastructure", "runtime")
    m.move(old, new)
    if not isinstance(env, dict):
        return env  # let the schema report the wrong shape
    allowed = "one of " + ", ".join(sorted(COMPUTE_TYPES))
    compute = env.get("compute_type")
    runtime_type: RuntimeType | None = None
    if "compute_type" not in env:
        m.error((*old, "compute_type"), "required field missing", None, allowed, show_got=False)
    elif isinstance(compute, str) and compute in NOT_SUPPORTED_YET:
        m.error((*old, "compute_type"), "compute type not supported yet", compute, allowed)
    elif not isinstance(compute, str) or compute not in COMPUTE_TYPES:
        m.error((*old, "compute_type"), "unknown compute type", compute, allowed)
    else:
        runtime_type = COMPUTE_TYPES[compute]

    runtime: dict[Any, Any] = {}
    written: dict[Any, PathKey] = {}

    def put(key: Any, value: Any, source: PathKey) -> None:
        if key in written:
            m.clash(written[key], source, old, f"runtime.{key}", ONE_OF_THEM)
            return
        runtime[key] = value
        written[key] = source
        m.move(source, (*new, key))

    for key, value in env.items():
        source: PathKey = (*old, key)
        if key in IGNORED:
            continue
        if key == "compute_type":
            if runtime_type is not None:
                put("type", runtime_type.value, source)
        elif key == "cpu_units":
            if isinstance(value, int) and not isinstance(value, bool) and runtime_type is not None:
                value = round(Fraction(value * 1000, CPU_UNITS_PER_VCPU[runtime_type]))
            put("cpu_millicores", value, source)
        elif key == "memory_mb":
            put("memory_mib", value, source)
        elif key == "storage":
            _storage(m, value, source, put)
        else:  # same-named fields carry over; anything else is left for the schema to report
            put(key, value, source)
    return runtime


def _storage(
    m: DocumentRewrite, storage: object, path: PathKey, put: Callable[[Any, Any, PathKey], None]
) -> None:
    """``runtime_environment.storage``: ``ephemeral_storage_gb`` becomes ``ephemeral_storage_gib`` (the
    runtime's model says where that is allowed); ``persistent_volume: false`` is what every runtime
    does; anything else has no canonical field and is an error rather than dropped."""
    if not isinstance(storage, dict):
        m.error(path, "must be a mapping", storage, "a mapping with ephemeral_storage_gb")
        return
    for key, value in storage.items():
        if key == "ephemeral_storage_gb":
            put("ephemeral_storage_gib", value, (*path, key))
        elif key == "persistent_volume":
            if value is not False:
                m.error(
                    (*path, key),
                    "no runtime mounts a persistent volume",
                    value,
                    "false, or no persistent_volume",
                )
        else:
            m.error((*path, key), "unknown storage setting", key, "ephemeral_storage_gb or persistent_volume")
