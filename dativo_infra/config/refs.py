"""The ``infrastructure.terraform`` block of seed 002: ``resource_refs`` mapped onto the runtime models'
"use existing" fields, and ``variables`` checked as Terraform variable names.

Seed 002's job files name infrastructure a platform team already runs::

    infrastructure:
      terraform:
        resource_refs:
          cluster_name: dativo-etl-cluster
          execution_role_arn: arn:aws:iam::123456789012:role/dativo-etl-execution-role

Each known reference becomes the runtime field that means the same (``cluster_name`` is
``runtime.existing.cluster``), in every dialect, before the runtime's model validates it: the model's
own rules then judge the value, at the line of the reference. A reference no runtime has, or one this
runtime cannot honour, is an error listing the references the runtime does take. A reference and the
runtime field it maps to, both given with different values, are an error naming both lines. ``resource_refs`` itself stays as
written: ``tfvars`` passes it to plain-Terraform modules.

``variables`` (``enable_cloudwatch_logs: true``) are extra inputs of a plain-Terraform module:
``tfvars`` writes each as a variable of its own. Their names must be Terraform identifiers and must not
be one of the variables ``tfvars`` always writes (:data:`TFVARS_NAMES`).
"""

from __future__ import annotations

import re
from typing import Any

from dativo_infra.config.dialect import DocumentRewrite
from dativo_infra.config.yamlpos import PathKey, PositionedDocument
from dativo_infra.contract import RuntimeType
from dativo_infra.errors import JobError

#: ``expected`` of an error for a reference and its runtime field given with different values.
SAME_VALUE = "one of them, or the same value in both"
REFS: PathKey = ("infrastructure", "terraform", "resource_refs")
VARIABLES: PathKey = ("infrastructure", "terraform", "variables")
#: The variables ``dativo-infra tfvars`` always writes (:func:`dativo_infra.tfvars.job_variables`).
TFVARS_NAMES = ("cloud_provider", "job_metadata", "resource_refs", "runtime_environment", "tags")
#: A Terraform identifier (a variable name): a letter or _, then letters, digits, _ and -.
IDENTIFIER_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
RUNTIME: PathKey = ("infrastructure", "runtime")

#: Per runtime: reference -> (path under ``runtime``, whether the field is a list of such values).
REFERENCES: dict[RuntimeType, dict[str, tuple[PathKey, bool]]] = {
    RuntimeType.AWS_FARGATE: {
        "cluster_name": (("existing", "cluster"), False),
        "cluster_arn": (("existing", "cluster"), False),
        "execution_role_arn": (("existing", "execution_role_arn"), False),
        "task_role_arn": (("existing", "task_role_arn"), False),
        "vpc_id": (("network", "vpc_id"), False),
        "security_group_id": (("network", "security_group_ids"), True),
    },
    RuntimeType.AZURE_CONTAINER_APPS: {
        "resource_group_name": (("resource_group",), False),
        "environment_id": (("environment_id",), False),
        "managed_identity_id": (("existing_identity_id",), False),
    },
    RuntimeType.GCP_CLOUD_RUN: {
        "service_account_email": (("existing", "service_account_email"), False),
    },
}

#: References the seeds write that a runtime deliberately does not take, and why.
NOT_TAKEN: dict[RuntimeType, dict[str, str]] = {
    RuntimeType.AWS_FARGATE: {
        "task_definition_arn": "the stack builds the job's task definition from its runtime block; "
        "a base task definition is not used",
        "log_group_name": "the stack creates the job's log group (retention and encryption from the job)",
    },
    RuntimeType.GCP_CLOUD_RUN: {
        "cluster_name": "Cloud Run runs on no cluster",
        "log_group_name": "Cloud Run writes to the project's Cloud Logging; the log name is not configurable",
    },
    RuntimeType.AZURE_CONTAINER_APPS: {
        "cluster_name": "Container Apps run in a Container Apps environment, not a cluster: "
        "reference an existing one with environment_id",
        "log_group_name": "the environment's Log Analytics workspace holds the logs",
    },
}


def known_references(runtime: RuntimeType) -> str:
    return ", ".join(sorted(REFERENCES[runtime]))


def refusal(runtime: RuntimeType, key: object) -> str:
    """The problem of a reference ``key`` that ``runtime`` does not take (not in :data:`REFERENCES`):
    "not taken by <runtime>: <why>" for the ones in :data:`NOT_TAKEN`, else "unknown reference".
    The error's expected text is ``"one of " + known_references(runtime)``."""
    reason = NOT_TAKEN[runtime].get(key) if isinstance(key, str) else None
    return f"not taken by {runtime.value}: {reason}" if reason else "unknown reference"


def map_resource_refs(doc: PositionedDocument) -> tuple[PositionedDocument, list[JobError]]:
    """``doc`` (canonical form) with every ``resource_refs`` entry that can be mapped written into the
    runtime block, and an error for every one that cannot and every bad variable name (the caller
    reports them with the model's errors). A document without references, or whose runtime type is
    not (yet) valid, keeps its runtime."""
    infra = doc.value.get("infrastructure")
    terraform = infra.get("terraform") if isinstance(infra, dict) else None
    if not isinstance(infra, dict) or not isinstance(terraform, dict):
        return doc, []
    rewrite = DocumentRewrite(doc)
    _check_variables(rewrite, terraform.get("variables"))
    refs = terraform.get("resource_refs")
    runtime = infra.get("runtime")
    runtime_type = None
    if isinstance(runtime, dict) and runtime.get("type") in set(RuntimeType):
        runtime_type = RuntimeType(runtime["type"])
    new_runtime = runtime
    # A wrong shape of resource_refs is reported by tfvars, which reads it; a wrong runtime by the schema.
    if isinstance(refs, dict) and isinstance(runtime, dict) and runtime_type is not None:
        new_runtime = _map(rewrite, refs, runtime, runtime_type)
    if new_runtime is runtime:
        return doc, rewrite.errors
    new_infra = {**infra, "runtime": new_runtime}
    return PositionedDocument(
        doc.file, {**doc.value, "infrastructure": new_infra}, rewrite.lines
    ), rewrite.errors


def _map(
    rewrite: DocumentRewrite, refs: dict[str, Any], runtime: dict[str, Any], runtime_type: RuntimeType
) -> dict[str, Any]:
    new_runtime = runtime
    for key, value in refs.items():
        source: PathKey = (*REFS, key)
        target = REFERENCES[runtime_type].get(key)
        if target is None:
            rewrite.error(source, refusal(runtime_type, key), key, f"one of {known_references(runtime_type)}")
            continue
        path, listed = target
        if not _room_for(runtime, path):
            continue  # a parent of the field is not a mapping: the schema reports that
        written = _get(runtime, path)
        if written is not None:  # both say it: fine when they agree (seed 002 writes vpc_id twice)
            if written != value and not (listed and isinstance(written, list) and value in written):
                field = f"runtime.{'.'.join(map(str, path))}"
                rewrite.clash((*RUNTIME, *path), source, ("infrastructure",), field, SAME_VALUE)
            continue
        new_runtime = _put(new_runtime, path, [value] if listed else value)
        rewrite.move(source, (*RUNTIME, *path))
        if listed:
            rewrite.move(source, (*RUNTIME, *path, 0))
    return new_runtime


def _check_variables(rewrite: DocumentRewrite, variables: object) -> None:
    if variables is None:
        return
    if not isinstance(variables, dict):
        rewrite.error(VARIABLES, "must be a mapping", variables, "a mapping of variable name: value")
        return
    for name in variables:
        if not isinstance(name, str) or not IDENTIFIER_RE.fullmatch(name):
            expected = "a Terraform variable name: a letter or _, then letters, digits, _ and -"
            rewrite.error((*VARIABLES, name), "not a variable name", name, expected)
        elif name in TFVARS_NAMES:
            expected = "another name (tfvars always writes " + ", ".join(TFVARS_NAMES) + ")"
            rewrite.error((*VARIABLES, name), "a variable tfvars writes itself", name, expected)


def _room_for(data: dict[str, Any], path: PathKey) -> bool:
    """Whether every parent of ``path`` in ``data`` is a mapping or absent."""
    for key in path[:-1]:
        data = data.get(str(key))  # type: ignore[assignment]
        if data is None:
            return True
        if not isinstance(data, dict):
            return False
    return True


def _get(data: dict[str, Any], path: PathKey) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(str(key))  # type: ignore[assignment]
    return data


def _put(data: dict[str, Any], path: PathKey, value: Any) -> dict[str, Any]:
    """A copy of ``data`` with ``value`` at ``path`` (mappings on the way copied, missing ones made)."""
    head, *rest = path
    if not rest:
        return {**data, str(head): value}
    inner = data.get(str(head))
    return {**data, str(head): _put(inner or {}, tuple(rest), value)}
