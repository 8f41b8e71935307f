"""Pydantic errors -> positioned :class:`~dativo_infra.errors.JobError`: file, line, dotted path, the bad
value and what is allowed, in words for people.

The runtime block is a union discriminated by ``type``: pydantic puts the runtime type into an error's
location (``infrastructure.runtime.aws_fargate.cpu_millicores``); messages show the path as the user
wrote it, and an unknown runtime field names the runtimes that do have it. Pure Python: no cdktf.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from dativo_infra.clouds import azure, gcp
from dativo_infra.config import provider_versions
from dativo_infra.config.fields import ENV_VAR_PATTERN, NAME_PATTERN, REGION_PATTERN, SLUG_PATTERN
from dativo_infra.config.runtimes import MODELS, fields_at, runtimes_with_field
from dativo_infra.config.yamlpos import PathKey, PositionedDocument, dotted
from dativo_infra.contract import RuntimeType
from dativo_infra.errors import JobError, show_value

_RUNTIME: PathKey = ("infrastructure", "runtime")
_RUNTIME_TYPES = " | ".join(t.value for t in RuntimeType)

_PATTERN_TEXT = {
    NAME_PATTERN: "letters, digits, '_', '.' or '-', starting with a letter or digit",
    SLUG_PATTERN: "lowercase letters, digits, '_' or '-', starting with a letter or digit",
    ENV_VAR_PATTERN: "a variable name: letters, digits and '_', not starting with a digit",
    REGION_PATTERN: "a lowercase region name such as us-east-1, westeurope or europe-west1",
    azure.RESOURCE_GROUP_PATTERN: "1-90 letters, digits, '_', '-', '.', '(' or ')', not ending in '.'",
    gcp.PROJECT_ID_PATTERN: "6-30 lowercase letters, digits or '-', starting with a letter, not ending in '-'",
    provider_versions.CONSTRAINT_PATTERN: "a Terraform version constraint such as 5.100.0, ~> 5.100 or >= 5.0, < 6.0",
}

_TYPE_TEXT = {
    "string_type": ("must be a string", "a string (quote numbers, dates and booleans)"),
    "int_type": ("must be a whole number", "an integer (unquoted)"),
    "int_parsing": ("must be a whole number", "an integer (unquoted)"),
    "int_from_float": ("must be a whole number", "an integer (unquoted)"),
    "int_parsing_size": ("must be a whole number", "an integer (unquoted)"),
    "finite_number": ("must be a whole number", "an integer (unquoted)"),
    "bool_type": ("must be true or false", "true or false (unquoted)"),
    "bool_parsing": ("must be true or false", "true or false (unquoted)"),
    "dict_type": ("must be a mapping", "a mapping of key: value"),
    "model_type": ("must be a mapping", "a mapping of key: value"),
    "model_attributes_type": ("must be a mapping", "a mapping of key: value"),
    "list_type": ("must be a list", "a list"),
}

_BOUNDS = {
    "greater_than_equal": "at least",
    "less_than_equal": "at most",
    "greater_than": "more than",
    "less_than": "less than",
}

_DESCRIPTIONS = {
    ("tenant_id",): "a lowercase tenant slug",
    ("environment",): "the deployment environment, e.g. prod",
    ("infrastructure",): "the infrastructure block",
    ("infrastructure", "provider"): "aws | azure | gcp",
    ("infrastructure", "region"): "a cloud region, e.g. us-east-1",
    ("infrastructure", "runtime"): "a runtime block with a type",
    ("infrastructure", "runtime", "type"): _RUNTIME_TYPES,
    ("infrastructure", "runtime", "project_id"): "a GCP project id such as 'acme-data-prod' "
    "(or gcp.project_id in the platform settings for every GCP job)",
    ("infrastructure", "tags"): "a tags mapping with job_name, team, pipeline_type, environment, cost_center",
}


def _split_runtime(loc: tuple[Any, ...]) -> tuple[tuple[Any, ...], RuntimeType | None]:
    """``loc`` without the runtime type pydantic inserts after ``infrastructure.runtime``, and that type."""
    if loc[:2] == _RUNTIME and len(loc) > 2 and loc[2] in set(RuntimeType):
        return (*loc[:2], *loc[3:]), RuntimeType(loc[2])
    return loc, None


def _unknown_field(
    loc: tuple[Any, ...], runtime: RuntimeType | None, model: type[BaseModel]
) -> tuple[str, str | None]:
    """``(problem, expected)`` for the unknown field at ``loc``: a typo, or a field of other runtimes."""
    parents = tuple(p for p in loc[:-1] if not isinstance(p, int))
    if runtime is None:
        fields = fields_at(model, parents)
        return "unknown field", "one of " + ", ".join(fields) if fields else None
    inner, name = parents[2:], str(loc[-1])
    others = [t.value for t in runtimes_with_field((*inner, name)) if t is not runtime]
    if others:
        return f"unknown field for {runtime.value}", f"no {name} (a field of {' and '.join(others)} only)"
    return "unknown field", "one of " + ", ".join(fields_at(MODELS[runtime], inner) or ())


def _error(err: ErrorDetails, model: type[BaseModel]) -> tuple[PathKey, str, Any, str | None]:
    """``(path, problem, bad value or None, expected)`` of one pydantic error."""
    loc, runtime = _split_runtime(tuple(err["loc"]))
    kind = err["type"]
    ctx: dict[str, Any] = dict(err.get("ctx") or {})
    got: Any = err.get("input")
    if loc and loc[-1] == "[key]":
        loc = loc[:-1]
        return loc, "invalid key", loc[-1], _PATTERN_TEXT.get(ctx.get("pattern", ""), ctx.get("expected"))
    if kind.startswith("dativo"):
        return loc, err["msg"], ctx.get("got"), ctx.get("expected")
    if kind == "missing":
        described = tuple(p for p in loc if not isinstance(p, int))
        return loc, "required field missing", None, _DESCRIPTIONS.get(described, "a value")
    if kind == "union_tag_invalid":
        allowed = (
            ", ".join(repr(t.value) for t in list(RuntimeType)[:-1]) + f" or {list(RuntimeType)[-1].value!r}"
        )
        return (*loc, "type"), "not an allowed value", ctx.get("tag"), allowed
    if kind == "union_tag_not_found":
        return (*loc, "type"), "required field missing", None, _RUNTIME_TYPES
    if kind == "extra_forbidden":
        problem, expected = _unknown_field(loc, runtime, model)
        return loc, problem, got, expected
    if kind in ("literal_error", "enum"):
        return loc, "not an allowed value", got, ctx.get("expected")
    if kind == "string_pattern_mismatch":
        pattern = ctx.get("pattern", "")
        return (
            loc,
            "does not match the allowed form",
            got,
            _PATTERN_TEXT.get(pattern, f"text matching {pattern}"),
        )
    if kind in _TYPE_TEXT:
        problem, expected = _TYPE_TEXT[kind]
        return loc, problem, got, expected
    if kind == "string_too_short":
        return loc, "must not be empty", got, f"at least {ctx.get('min_length')} character(s)"
    if kind == "string_too_long":
        return loc, "is too long", got, f"at most {ctx.get('max_length')} characters"
    if kind in _BOUNDS:
        return loc, "out of range", got, f"{_BOUNDS[kind]} {next(iter(ctx.values()))}"
    message = err["msg"]
    return loc, message[0].lower() + message[1:], got, ctx.get("expected")


def convert_errors(
    exc: ValidationError, document: PositionedDocument, model: type[BaseModel]
) -> list[JobError]:
    """Pydantic errors of validating ``document`` with ``model`` -> positioned JobErrors."""
    out: list[JobError] = []
    for err in exc.errors(include_url=False):
        path, problem, got, expected = _error(err, model)
        shown = None if got is None else show_value(got)
        out.append(
            JobError(
                document.file, document.line_of(path), dotted(path) or "(document)", problem, shown, expected
            )
        )
    return out
