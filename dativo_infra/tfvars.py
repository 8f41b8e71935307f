"""A job's Terraform variables, for plain Terraform modules (``dativo-infra tfvars JOB``).

Five variables, each documented in :func:`job_variables`: ``cloud_provider``,
``runtime_environment``, ``tags``, ``resource_refs`` and ``job_metadata``; plus one variable per entry
of the job's ``infrastructure.terraform.variables`` (the loader checked their names). Two renderings:

* ``json`` — a ``.tfvars.json`` file. Terraform reads strings of a JSON variables file literally
  (checked with ``terraform console``: ``"${x}"`` there stays ``${x}``), so nothing is escaped.
* ``hcl`` — a ``.tfvars`` file. Strings of a ``.tfvars`` file are templates, so every string and
  every map key is written escaped: ``\\`` and ``"`` backslashed, line breaks and control characters
  as escapes, ``${`` as ``$${`` and ``%{`` as ``%%{`` (:func:`dativo_infra.literal.literal`), so
  Terraform reads back exactly the job's text.

Both are deterministic: keys sorted at every level, one fixed layout. Pure Python, no cdktf.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Any

from dativo_infra.config.dialect import COMPUTE_TYPE_OF_RUNTIME, CPU_UNITS_PER_VCPU
from dativo_infra.config.loaded import LoadedJob
from dativo_infra.config.runtimes import AwsFargateRuntime
from dativo_infra.config.schema import PLACEHOLDER_RE
from dativo_infra.config.settings import PlatformSettings
from dativo_infra.errors import JobError, printable_json
from dativo_infra.literal import hcl_string
from dativo_infra.tags import merged_tags


class TfvarsFormat(StrEnum):
    JSON = "json"
    HCL = "hcl"


def _connector(data: dict[str, Any], block: str) -> str:
    section = data.get(block)
    connector = section.get("connector") if isinstance(section, dict) else None
    return connector if isinstance(connector, str) else ""


def compute_size(cpu_millicores: int) -> str:
    """The older dialect's sizing word for a cpu amount: small (< 1 vCPU), medium (1-2), large (<= 4),
    xlarge (more)."""
    if cpu_millicores < 1000:
        return "small"
    if cpu_millicores <= 2000:
        return "medium"
    return "large" if cpu_millicores <= 4000 else "xlarge"


def _older_runtime_environment(job: LoadedJob) -> dict[str, Any]:
    """``infrastructure.runtime_environment`` as an older-dialect file wrote it (its ``compute_size``
    and ``service_account`` have no canonical field). Empty for canonical jobs."""
    raw = job.source.value.get("infrastructure") if job.legacy else None
    env = raw.get("runtime_environment") if isinstance(raw, dict) else None
    return env if isinstance(env, dict) else {}


def resource_refs(job: LoadedJob) -> dict[str, Any]:
    """``infrastructure.terraform.resource_refs`` (older dialect), then every rendered
    ``resource_identifiers`` value (placeholders not yet rendered are left out)."""
    refs = job.config.infrastructure.terraform.get("resource_refs", {})
    if refs is None:
        refs = {}
    if not isinstance(refs, dict):
        path = ("infrastructure", "terraform", "resource_refs")
        raise JobError.at(
            job.file,
            job.document.line_of(path),
            ".".join(path),
            "must be a mapping",
            refs,
            "a mapping of name: value",
        )
    infra = job.data.get("infrastructure")
    identifiers = infra.get("resource_identifiers") if isinstance(infra, dict) else None
    rendered = {
        k: v for k, v in (identifiers or {}).items() if isinstance(v, str) and not PLACEHOLDER_RE.search(v)
    }
    return {**refs, **rendered}


#: Attributes the older dialect's module declares that a runtime may not have (no VPC or security groups
#: on Container Apps): present, null or empty, so one file fits that module.
_OLDER_MODULE_DEFAULTS: dict[str, Any] = {
    "timeout_seconds": None,
    "network": {"vpc_id": None, "subnet_ids": [], "security_group_ids": []},
}


def job_variables(job: LoadedJob, settings: PlatformSettings | None = None) -> dict[str, Any]:
    """The Terraform variables of ``job``.

    * ``cloud_provider`` — ``aws`` | ``azure`` | ``gcp``.
    * ``runtime_environment`` — every field of ``infrastructure.runtime`` with its default filled in
      (type, mode, image, cpu_millicores, memory_mib, network {...}, ...; unset optional fields are
      ``null``), plus the attributes a module typed for the older dialect declares (``timeout_seconds``
      and ``network.vpc_id``/``subnet_ids``/``security_group_ids`` are null or empty where the runtime
      has no such field): ``compute_type`` (ecs_task | container_apps | cloud_run),
      ``compute_size`` (the file's, else :func:`compute_size`), ``memory_mb``, ``cpu_units`` (1024 per
      vCPU on AWS, 1000 elsewhere), ``storage`` {ephemeral_storage_gb, persistent_volume: false} and
      ``service_account`` (the file's, else null). Terraform drops attributes a module's object type
      does not declare, so one file serves both kinds of module.
    * ``tags`` — the merged tag map (:func:`dativo_infra.tags.merged_tags`).
    * ``resource_refs`` — :func:`resource_refs`.
    * ``job_metadata`` — tenant_id, environment, job_name, asset_name (the asset definition's name,
      else the job name), source_connector and target_connector (``connector`` of the job's
      ``source``/``target`` block, ``""`` when there is none).

    * every entry of ``infrastructure.terraform.variables``, as written (``enable_cloudwatch_logs``).

    ``settings`` defaults to the platform settings the job was loaded with.
    """
    config = job.config
    runtime = config.runtime
    older = _older_runtime_environment(job)
    asset = job.asset
    ephemeral = runtime.ephemeral_storage_gib if isinstance(runtime, AwsFargateRuntime) else None
    dumped = runtime.model_dump(mode="json")
    environment: dict[str, Any] = {**_OLDER_MODULE_DEFAULTS, **dumped}
    environment["network"] = {**_OLDER_MODULE_DEFAULTS["network"], **dumped["network"]}
    if isinstance(runtime, AwsFargateRuntime):  # resolved: a module cannot know the default-VPC rule
        environment["network"]["assign_public_ip"] = runtime.network.public_ip()
    environment.update(
        {
            "compute_type": COMPUTE_TYPE_OF_RUNTIME[runtime.type],
            "compute_size": older.get("compute_size") or compute_size(runtime.cpu_millicores),
            "memory_mb": runtime.memory_mib,
            "cpu_units": round(runtime.cpu_millicores * CPU_UNITS_PER_VCPU[runtime.type] / 1000),
            "storage": {"ephemeral_storage_gb": ephemeral, "persistent_volume": False},
            "service_account": older.get("service_account"),
        }
    )
    extra = config.infrastructure.terraform.get("variables") or {}
    return {
        **extra,
        "cloud_provider": config.infrastructure.provider.value,
        "runtime_environment": environment,
        "tags": merged_tags(job, settings),
        "resource_refs": resource_refs(job),
        "job_metadata": {
            "tenant_id": config.tenant_id,
            "environment": config.environment,
            "job_name": config.job_name,
            "asset_name": (asset.name if asset and asset.name else None) or config.job_name,
            "source_connector": _connector(job.data, "source"),
            "target_connector": _connector(job.data, "target"),
        },
    }


# --- HCL -----------------------------------------------------------------------------------------


def hcl_value(value: Any, indent: int = 0) -> str:
    """A JSON-like value as HCL (maps with sorted, quoted keys; lists one item a line)."""
    pad = "  " * (indent + 1)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise ValueError(f"HCL has no number {value!r}")
        return repr(value)
    if isinstance(value, str):
        return hcl_string(value)
    if isinstance(value, dict):
        if not value:
            return "{}"
        lines = [
            f"{pad}{hcl_string(str(k))} = {hcl_value(value[k], indent + 1)}" for k in sorted(value, key=str)
        ]
        return "{\n" + "\n".join(lines) + "\n" + "  " * indent + "}"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        lines = [f"{pad}{hcl_value(item, indent + 1)}," for item in value]
        return "[\n" + "\n".join(lines) + "\n" + "  " * indent + "]"
    raise TypeError(f"no HCL form for {type(value).__name__}")


def to_hcl(variables: dict[str, Any]) -> str:
    """A ``.tfvars`` file: one ``name = value`` per variable, sorted by name."""
    return "".join(f"{name} = {hcl_value(variables[name])}\n" for name in sorted(variables))


def to_json(variables: dict[str, Any]) -> str:
    """A ``.tfvars.json`` file (sorted keys, 2-space indent, UTF-8 text)."""
    return printable_json(variables) + "\n"


def render_tfvars(
    job: LoadedJob, fmt: TfvarsFormat | str = TfvarsFormat.JSON, settings: PlatformSettings | None = None
) -> str:
    """The job's variables file in ``fmt`` (``json`` or ``hcl``)."""
    variables = job_variables(job, settings)
    return to_hcl(variables) if TfvarsFormat(fmt) is TfvarsFormat.HCL else to_json(variables)
