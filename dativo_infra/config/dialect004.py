"""The seed 004 job dialect, mapped onto the canonical form.

Seed 004's job files say::

    infrastructure:
      provider: aws
      region: us-east-1
      compute:
        type: ecs                       # ecs | fargate -> aws_fargate, cloud_run, container_apps
        cluster_name: dativo-prod-cluster
      network: {vpc_id, subnets, security_groups}
      storage: {bucket, kms_key_id}
      monitoring: {log_group, log_retention_days, ...}
      tags: {cost_center: CC-001, compliance: [GDPR, SOC2]}

What maps (positions follow the values, as in :mod:`~dativo_infra.config.dialect`):

* ``compute`` becomes ``runtime``; ``compute.type`` its ``type`` through the older dialect's
  :data:`~dativo_infra.config.dialect.COMPUTE_TYPES` (``eks``, ``gke``, ... are "not supported yet"); a
  compute type of another provider is an error at ``compute.type``.
* Reference keys in ``compute`` (``cluster_name``, ``execution_role_arn``, ...) map through
  :data:`~dativo_infra.config.refs.REFERENCES` onto the runtime's "use existing" fields; a reference
  the runtime does not take is the error :func:`~dativo_infra.config.refs.refusal` gives. Every other
  compute key carries over as a runtime field (the runtime's model judges it).
* ``network`` becomes ``runtime.network`` (``subnets`` -> ``subnet_ids``, ``security_groups`` ->
  ``security_group_ids``; the runtime's model judges the rest).
* ``monitoring.log_retention_days`` becomes ``runtime.log_retention_days``; a log group is refused as
  ``resource_refs.log_group_name`` is; metrics and alerts have no runtime field: errors.
* ``storage`` has no canonical meaning (which access a bucket gets is not guessed): every key is an
  error pointing at ``runtime.permissions``.
* Tags are canonical already; seed 004 jobs are ingestion jobs, so ``pipeline_type`` defaults to
  ``ingestion`` as in the older dialect. List values are joined for every dialect
  (:func:`~dativo_infra.config.dialects.join_list_tags`).

A canonical ``runtime`` (or an older ``runtime_environment``) next to ``compute``, and two keys that
map to the same runtime field, are errors naming both lines.
"""

from __future__ import annotations

from typing import Any

from dativo_infra.config.dialect import COMPUTE_TYPES, NOT_SUPPORTED_YET, ONE_OF_THEM, DocumentRewrite
from dativo_infra.config.refs import NOT_TAKEN, REFERENCES, known_references, refusal
from dativo_infra.config.yamlpos import PathKey, PositionedDocument
from dativo_infra.contract import PROVIDER_OF_RUNTIME, Provider, RuntimeType
from dativo_infra.errors import JobError

BASE: PathKey = ("infrastructure",)
COMPUTE: PathKey = (*BASE, "compute")
RUNTIME: PathKey = (*BASE, "runtime")
#: ``expected`` of an error for ``compute`` next to a runtime block of another dialect.
NOT_MIXED = "one of them (the seed 004 dialect's compute cannot be mixed with another dialect's runtime)"
#: Seed 004 network keys renamed onto the runtime's network fields (the others carry over).
NETWORK_RENAMES = {"subnets": "subnet_ids", "security_groups": "security_group_ids"}
#: Monitoring keys naming a log group: refused as ``resource_refs.log_group_name`` is.
LOG_GROUP_KEYS = ("log_group", "log_group_name")
MONITORING_FIELDS = ("log_retention_days",)
#: Every reference name :mod:`~dativo_infra.config.refs` knows (taken by some runtime or refused).
REFERENCE_KEYS = frozenset(
    [
        *(k for table in REFERENCES.values() for k in table),
        *(k for table in NOT_TAKEN.values() for k in table),
    ]
)
STORAGE_EXPECTED = (
    "no infrastructure.storage: grant access with runtime.permissions (storage: [{bucket, access}], "
    "kms_keys, ...); the access a job gets is not guessed"
)


def is_seed004(infrastructure: object) -> bool:
    """Whether an ``infrastructure`` value is written in the seed 004 dialect."""
    return isinstance(infrastructure, dict) and "compute" in infrastructure


def map_seed004(doc: PositionedDocument) -> tuple[PositionedDocument, list[JobError]]:
    """``doc`` with a seed 004 ``infrastructure`` block rewritten to the canonical form (the older
    dialect's ``cloud_provider`` and tags are left for :func:`~dativo_infra.config.dialect.to_canonical`),
    and every error met. A document in another dialect is returned as it is."""
    infra = doc.value.get("infrastructure")
    if not is_seed004(infra):
        return doc, []
    assert isinstance(infra, dict)
    m = DocumentRewrite(doc)
    out = {k: v for k, v in infra.items() if k not in ("compute", "network", "storage", "monitoring")}
    twins = [key for key in ("runtime", "runtime_environment") if key in infra]
    for key in twins:
        m.clash((*BASE, key), COMPUTE, BASE, "runtime", NOT_MIXED)
    if not twins:
        m.move(COMPUTE, RUNTIME)
        runtime = _compute(m, infra["compute"], _provider(infra))
        if isinstance(runtime, dict):
            runtime = _network(m, infra, runtime)
            runtime = _monitoring(m, infra.get("monitoring"), runtime)
        out["runtime"] = runtime
    _storage(m, infra.get("storage"))
    tags = infra.get("tags")
    if isinstance(tags, dict) and "pipeline_type" not in tags:
        out["tags"] = {**tags, "pipeline_type": "ingestion"}
    return PositionedDocument(doc.file, {**doc.value, "infrastructure": out}, m.lines), m.errors


def _provider(infra: dict[str, Any]) -> Provider | None:
    value = infra.get("provider", infra.get("cloud_provider"))
    return Provider(value) if isinstance(value, str) and value in set(Provider) else None


def compute_types(provider: Provider) -> list[str]:
    """The compute types that run on ``provider``, sorted."""
    return sorted(k for k, runtime in COMPUTE_TYPES.items() if PROVIDER_OF_RUNTIME[runtime] is provider)


def _runtime_type(
    m: DocumentRewrite, compute: dict[Any, Any], provider: Provider | None
) -> RuntimeType | None:
    path: PathKey = (*COMPUTE, "type")
    allowed = "one of " + ", ".join(sorted(COMPUTE_TYPES))
    value = compute.get("type")
    if "type" not in compute:
        m.error(path, "required field missing", None, allowed, show_got=False)
    elif isinstance(value, str) and value in NOT_SUPPORTED_YET:
        m.error(path, "compute type not supported yet", value, allowed)
    elif not isinstance(value, str) or value not in COMPUTE_TYPES:
        m.error(path, "unknown compute type", value, allowed)
    elif provider is not None and PROVIDER_OF_RUNTIME[COMPUTE_TYPES[value]] is not provider:
        own = ", ".join(compute_types(provider))
        m.error(
            path,
            f"compute type does not run on provider {provider.value}",
            value,
            f"{own} for {provider.value}",
        )
    else:
        return COMPUTE_TYPES[value]
    return None


def _compute(m: DocumentRewrite, compute: object, provider: Provider | None) -> Any:
    """``compute`` as the canonical runtime block (errors go to ``m``)."""
    if not isinstance(compute, dict):
        return compute  # the schema reports the wrong shape
    runtime_type = _runtime_type(m, compute, provider)
    runtime: dict[Any, Any] = {}
    if runtime_type is not None:
        runtime["type"] = runtime_type.value
    references: list[tuple[str, object]] = []
    for key, value in compute.items():
        if key == "type":
            continue
        if key in REFERENCE_KEYS:
            references.append((key, value))
        else:  # same-named fields carry over; anything else is left for the schema to report
            runtime[key] = value
    placed: dict[PathKey, PathKey] = {}  # runtime field -> the reference written there
    for key, value in references:
        if runtime_type is not None:
            runtime = _reference(m, runtime, runtime_type, (key, value), placed)
    return runtime


def _reference(
    m: DocumentRewrite,
    runtime: dict[Any, Any],
    runtime_type: RuntimeType,
    item: tuple[str, object],
    placed: dict[PathKey, PathKey],
) -> dict[Any, Any]:
    """``runtime`` with the reference ``compute.<key>: value`` written where refs.py's table maps it."""
    key, value = item
    source: PathKey = (*COMPUTE, key)
    target = REFERENCES[runtime_type].get(key)
    if target is None:
        m.error(source, refusal(runtime_type, key), key, f"one of {known_references(runtime_type)}")
        return runtime
    path, listed = target
    parent = runtime.get(str(path[0])) if len(path) > 1 else runtime
    if not isinstance(parent, dict | None):
        return runtime  # not a mapping where the field lives: the schema reports that
    if path in placed or (parent or {}).get(str(path[-1])) is not None:
        first = placed.get(path, (*COMPUTE, *path))
        m.clash(first, source, COMPUTE, f"runtime.{'.'.join(map(str, path))}", ONE_OF_THEM)
        return runtime
    placed[path] = source
    new = [value] if listed else value
    if len(path) > 1:
        runtime = {**runtime, str(path[0]): {**(parent or {}), str(path[1]): new}}
    else:
        runtime = {**runtime, str(path[0]): new}
    m.move(source, (*RUNTIME, *path))
    if listed:
        m.move(source, (*RUNTIME, *path, 0))
    return runtime


def _network(m: DocumentRewrite, infra: dict[str, Any], runtime: dict[Any, Any]) -> dict[Any, Any]:
    """``infrastructure.network`` as ``runtime.network``."""
    if "network" not in infra:
        return runtime
    source: PathKey = (*BASE, "network")
    network = infra["network"]
    if "network" in runtime:
        m.clash((*COMPUTE, "network"), source, BASE, "runtime.network", ONE_OF_THEM)
        return runtime
    m.move(source, (*RUNTIME, "network"))
    if not isinstance(network, dict):
        return {**runtime, "network": network}  # the schema reports the wrong shape
    new: dict[Any, Any] = {}
    written: dict[Any, PathKey] = {}
    for key, value in network.items():
        name = NETWORK_RENAMES.get(key, key) if isinstance(key, str) else key
        if name in written:
            m.clash(written[name], (*source, key), source, f"runtime.network.{name}", ONE_OF_THEM)
            continue
        new[name] = value
        written[name] = (*source, key)
        m.move((*source, key), (*RUNTIME, "network", name))
    return {**runtime, "network": new}


def _monitoring(m: DocumentRewrite, monitoring: object, runtime: dict[Any, Any]) -> dict[Any, Any]:
    """``infrastructure.monitoring``: what has a runtime field maps, the rest is an error."""
    if monitoring is None:
        return runtime
    path: PathKey = (*BASE, "monitoring")
    expected = "log_retention_days (metrics, alerts and log groups have no runtime field)"
    if not isinstance(monitoring, dict):
        m.error(path, "must be a mapping", monitoring, f"a mapping with {expected}")
        return runtime
    runtime_type = runtime.get("type")
    for key, value in monitoring.items():
        source: PathKey = (*path, key)
        if key in MONITORING_FIELDS:
            if key in runtime:
                m.clash((*COMPUTE, key), source, BASE, f"runtime.{key}", ONE_OF_THEM)
                continue
            runtime = {**runtime, key: value}
            m.move(source, (*RUNTIME, key))
        elif key in LOG_GROUP_KEYS and runtime_type in set(RuntimeType):
            problem = refusal(RuntimeType(runtime_type), "log_group_name")
            m.error(source, problem, value, f"no monitoring.{key}; {expected}")
        else:
            m.error(source, "no runtime field for this monitoring setting", key, expected)
    return runtime


def _storage(m: DocumentRewrite, storage: object) -> None:
    """``infrastructure.storage``: no canonical meaning, so every key is an error (never dropped)."""
    if storage is None:
        return
    path: PathKey = (*BASE, "storage")
    if not isinstance(storage, dict) or not storage:
        m.error(path, "storage settings have no runtime field", storage, STORAGE_EXPECTED)
        return
    for key, value in storage.items():
        m.error((*path, key), "storage settings have no runtime field", value, STORAGE_EXPECTED)
