"""The three job dialects, mapped onto the canonical form in one call (:func:`canonical`).

* canonical — ``provider`` + ``runtime: {type: aws_fargate, ...}`` (:mod:`~dativo_infra.config.schema`);
* older — ``cloud_provider`` + ``runtime_environment: {compute_type: ecs_task}``, PascalCase tags
  (:mod:`~dativo_infra.config.dialect`);
* seed 004 — ``provider`` + ``compute: {type: ecs, cluster_name: ...}`` and infrastructure-level
  ``network``/``storage``/``monitoring`` (:mod:`~dativo_infra.config.dialect004`).

In every dialect a tag of ``infrastructure.tags`` may be a list of strings (``compliance: [GDPR, SOC2]``):
it becomes one value joined the way every list becomes tag text
(:func:`~dativo_infra.config.assets.as_tag_value`: ``GDPR,SOC2``); each cloud's renderer in
:mod:`~dativo_infra.tags` then judges the joined value (AWS turns ``,`` into ``+``, GCP labels map it
to ``_``, lengths are checked there). An empty list, or an item that is not a non-empty string, is an
error at that item's line.
"""

from __future__ import annotations

from typing import Any, Literal

from dativo_infra.config.assets import as_tag_value
from dativo_infra.config.dialect import is_legacy, to_canonical
from dativo_infra.config.dialect004 import is_seed004, map_seed004
from dativo_infra.config.yamlpos import PathKey, PositionedDocument, dotted
from dativo_infra.errors import ErrorReport, JobError

Dialect = Literal["canonical", "older", "seed004"]
TAGS: PathKey = ("infrastructure", "tags")


def dialect_of(data: dict[str, Any]) -> Dialect:
    """The dialect a job file (its whole mapping, as written) is in."""
    infra = data.get("infrastructure")
    if is_seed004(infra):
        return "seed004"
    return "older" if is_legacy(infra) else "canonical"


def canonical(doc: PositionedDocument) -> PositionedDocument:
    """``doc`` in the canonical form, whatever its dialect (``doc`` itself when it is canonical and
    has no list-valued tag). Raises :class:`ErrorReport` with every error of the mapping."""
    doc, errors = map_seed004(doc)
    try:
        doc = to_canonical(doc)
    except ErrorReport as report:
        raise ErrorReport([*errors, *report.errors]) from None
    doc, found = join_list_tags(doc)
    ErrorReport([*errors, *found]).raise_if_any()
    return doc


def join_list_tags(doc: PositionedDocument) -> tuple[PositionedDocument, list[JobError]]:
    """``doc`` with every list value of ``infrastructure.tags`` joined into one text (see the module
    docstring), and an error for each list that cannot be joined."""
    infra = doc.value.get("infrastructure")
    tags = infra.get("tags") if isinstance(infra, dict) else None
    if not isinstance(tags, dict) or not any(isinstance(v, list) for v in tags.values()):
        return doc, []
    assert isinstance(infra, dict)
    errors: list[JobError] = []
    new = dict(tags)
    for key, value in tags.items():
        if not isinstance(value, list):
            continue
        path: PathKey = (*TAGS, key)
        if not value:
            errors.append(_error(doc, path, "an empty list gives no tag value", value))
        bad = [
            (index, item) for index, item in enumerate(value) if not isinstance(item, str) or not item.strip()
        ]
        for index, item in bad:
            errors.append(_error(doc, (*path, index), "a list item of a tag must be text", item))
        if value and not bad:
            new[key] = as_tag_value(value, doc, path)
    value = {**doc.value, "infrastructure": {**infra, "tags": new}}
    return PositionedDocument(doc.file, value, doc.lines), errors


def _error(doc: PositionedDocument, path: PathKey, problem: str, got: object) -> JobError:
    expected = "a non-empty string, or a list of non-empty strings (quote numbers and true/false)"
    return JobError.at(doc.file, doc.line_of(path), dotted(path), problem, got, expected)
