"""A job's Terraform variables, for plain Terraform modules (``dativo-infra tfvars JOB``).

Five variables, each documented in :func:`job_variables`: ``cloud_provider``,
``runtime_environment``, ``tags``, ``resource_refs`` and ``job_metadata``. Two renderings:

* ``json`` — a ``.tfvars.json`` file. Terraform reads strings of a JSON variables file literally
  (checked with ``terraform console``: ``"${x}"`` there stays ``${x}``), so nothing is escaped.
* ``hcl`` — a ``.tfvars`` file. Strings of a ``.tfvars`` file are templates, so every string and
  every map key is written escaped: ``\\`` and ``"`` backslashed, line breaks and control characters
  as escapes, ``${`` as ``$${`` and ``%{`` as ``%%{`` (:func:`dativo_infra.literal.literal`), so
  Terraform reads back exactly the job's text.

Both are deterministic: keys sorted at every level, one fixed layout. Pure Python, no cdktf.
"""

from __future__ import annotations

import json
import math
from enum import StrEnum
from typing import Any

from dativo_infra.config.loader import LoadedJob
from dativo_infra.errors import JobError
from dativo_infra.literal import literal
from dativo_infra.settings import PlatformSettings, load_settings
from dativo_infra.tags import merged_tags


class TfvarsFormat(StrEnum):
    JSON = "json"
    HCL = "hcl"


def _connector(data: dict[str, Any], block: str) -> str:
    section = data.get(block)
    connector = section.get("connector") if isinstance(section, dict) else None
    return connector if isinstance(connector, str) else ""


def job_variables(job: LoadedJob, settings: PlatformSettings | None = None) -> dict[str, Any]:
    """The Terraform variables of ``job``.

    * ``cloud_provider`` — ``aws`` | ``azure`` | ``gcp``.
    * ``runtime_environment`` — every field of ``infrastructure.runtime`` with its default filled in
      (type, mode, image, cpu_millicores, memory_mib, timeout_seconds, network {vpc_id, subnet_ids,
      security_group_ids, ...}, ...); unset optional fields are ``null``.
    * ``tags`` — the merged tag map (:func:`dativo_infra.tags.merged_tags`).
    * ``resource_refs`` — ``infrastructure.terraform.resource_refs`` (older dialect), else ``{}``.
    * ``job_metadata`` — tenant_id, environment, job_name, source_connector and target_connector
      (``connector`` of the job's ``source``/``target`` block, ``""`` when there is none).

    ``settings`` defaults to the platform settings file.
    """
    config = job.config
    refs = config.infrastructure.terraform.get("resource_refs", {})
    if refs is None:
        refs = {}
    if not isinstance(refs, dict):
        path = ("infrastructure", "terraform", "resource_refs")
        raise JobError.at(job.file, job.document.line_of(path), ".".join(path), "must be a mapping", refs,
                          "a mapping of name: value")
    return {
        "cloud_provider": config.infrastructure.provider.value,
        "runtime_environment": config.runtime.model_dump(mode="json"),
        "tags": merged_tags(job, settings if settings is not None else load_settings()),
        "resource_refs": refs,
        "job_metadata": {
            "tenant_id": config.tenant_id,
            "environment": config.environment,
            "job_name": config.job_name,
            "source_connector": _connector(job.data, "source"),
            "target_connector": _connector(job.data, "target"),
        },
    }


# --- HCL -----------------------------------------------------------------------------------------

_HCL_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_char(char: str) -> str:
    if char in _HCL_ESCAPES:
        return _HCL_ESCAPES[char]
    code = ord(char)
    if code < 0x20 or 0x7F <= code <= 0x9F or code in (0x2028, 0x2029):
        return f"\\u{code:04x}"
    return char


def hcl_string(text: str) -> str:
    """``text`` as an HCL quoted string that Terraform reads back as exactly ``text``."""
    return '"' + literal("".join(_escape_char(c) for c in text)) + '"'


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
        lines = [f"{pad}{hcl_string(str(k))} = {hcl_value(value[k], indent + 1)}" for k in sorted(value, key=str)]
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
    return json.dumps(variables, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render_tfvars(job: LoadedJob, fmt: TfvarsFormat | str = TfvarsFormat.JSON,
                  settings: PlatformSettings | None = None) -> str:
    """The job's variables file in ``fmt`` (``json`` or ``hcl``)."""
    variables = job_variables(job, settings)
    return to_hcl(variables) if TfvarsFormat(fmt) is TfvarsFormat.HCL else to_json(variables)
