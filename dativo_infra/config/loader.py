"""Find, read and validate job files. Every problem becomes a positioned :class:`JobError`.

``load_jobs(paths)`` returns the valid jobs or raises one :class:`ErrorReport` holding every error of
every file. No cdktf/jsii import happens here (the CLI's ``validate`` relies on that).
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from dativo_infra.config import schema
from dativo_infra.config.dialect import is_legacy, to_canonical
from dativo_infra.config.yamlpos import PathKey, PositionedDocument, dotted, load_positioned
from dativo_infra.errors import ErrorReport, JobError, show_value
from dativo_infra.naming import stack_name

#: Files in a jobs directory that are not jobs.
NON_JOB_FILES = {"platform.yaml", "platform.yml"}
NON_JOB_DIRS = {"assets", "outputs", "rendered"}
JOB_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class LoadedJob:
    """A validated job file."""

    path: Path
    file: str  # the path as shown in messages
    config: schema.JobConfig
    document: PositionedDocument  # canonical data with positions
    legacy: bool

    @property
    def stack_name(self) -> str:
        return stack_name(self.config.tenant_id, self.config.job_name)

    @property
    def data(self) -> dict[str, Any]:
        return self.document.value


def display_path(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def discover(paths: list[str] | tuple[str, ...], report: ErrorReport | None = None) -> list[Path]:
    """Job files under ``paths`` (files, directories or glob patterns), sorted, deduplicated."""
    found: set[Path] = set()
    for raw in paths:
        candidates = (
            [Path(p) for p in sorted(glob.glob(raw, recursive=True))] if glob.has_magic(raw) else [Path(raw)]
        )
        if not candidates and report is not None:
            report.add(JobError(raw, 0, "", "no file matches this pattern"))
        for path in candidates:
            if path.is_dir():
                for sub in path.rglob("*"):
                    rel = sub.relative_to(path).parts
                    if (
                        sub.suffix in JOB_SUFFIXES
                        and sub.is_file()
                        and sub.name not in NON_JOB_FILES
                        and not NON_JOB_DIRS.intersection(rel[:-1])
                        and not any(part.startswith(".") for part in rel)
                    ):
                        found.add(sub)
            elif path.exists():
                found.add(path)
            elif report is not None:
                report.add(JobError(str(path), 0, "", "no such file or directory"))
    return sorted(found)


def load_job(path: Path) -> LoadedJob:
    """Read and validate one job file; raises :class:`ErrorReport` with all of its errors."""
    file = display_path(path)
    try:
        document = load_positioned(path, file)
    except JobError as exc:
        raise ErrorReport([exc]) from None
    return validate_document(document, path)


def validate_document(document: PositionedDocument, path: Path) -> LoadedJob:
    """A parsed job document (older dialect mapped) validated into a :class:`LoadedJob` for ``path``;
    raises :class:`ErrorReport` with all of its errors."""
    legacy = is_legacy(document.value.get("infrastructure"))
    try:
        document = to_canonical(document)
    except JobError as exc:
        raise ErrorReport([exc]) from None
    try:
        config = schema.JobConfig.model_validate(document.value)
    except ValidationError as exc:
        raise ErrorReport(list(convert_errors(exc, document))) from None
    return LoadedJob(path, document.file, config, document, legacy)


def load_jobs(paths: list[str] | tuple[str, ...]) -> list[LoadedJob]:
    """Load every job under ``paths``; raise one report with every error of every file."""
    report = ErrorReport()
    files = discover(paths, report)
    if not files and not report:
        report.add(
            JobError(", ".join(paths) or ".", 0, "", "no job files found", expected="*.yaml job files")
        )
    jobs: list[LoadedJob] = []
    for path in files:
        try:
            jobs.append(load_job(path))
        except ErrorReport as exc:
            report.extend(exc.errors)
    check_unique_stacks(jobs, report)
    _check_tags(jobs, report)
    report.raise_if_any()
    return jobs


def _check_tags(jobs: list[LoadedJob], report: ErrorReport) -> None:
    """Tags each job's cloud cannot take, and unreadable asset definitions (dativo_infra.tags.check_tags)."""
    if not jobs:
        return
    from dativo_infra.settings import load_settings
    from dativo_infra.tags import check_tags

    try:
        settings = load_settings()
    except ErrorReport as exc:
        report.extend(exc.errors)
        return
    for job in jobs:
        report.extend(check_tags(job, settings))


def check_unique_stacks(jobs: list[LoadedJob], report: ErrorReport) -> None:
    """Add an error to ``report`` for each job whose stack name an earlier job of ``jobs`` already has."""
    seen: dict[str, LoadedJob] = {}
    for job in jobs:
        other = seen.setdefault(job.stack_name, job)
        if other is not job:
            report.add(
                JobError.at(
                    job.file,
                    job.document.line_of(("infrastructure", "tags", "job_name")),
                    "infrastructure.tags.job_name",
                    "two jobs map to the same stack",
                    job.stack_name,
                    f"a tenant_id/job_name pair not already used by {other.file}",
                )
            )


# --- pydantic errors -> JobError -------------------------------------------------------------

_PATTERN_TEXT = {
    schema.NAME_PATTERN: "letters, digits, '_', '.' or '-', starting with a letter or digit",
    schema.SLUG_PATTERN: "lowercase letters, digits, '_' or '-', starting with a letter or digit",
    schema.ENV_VAR_PATTERN: "a variable name: letters, digits and '_', not starting with a digit",
    schema.REGION_PATTERN: "a lowercase region name such as us-east-1, westeurope or europe-west1",
}

_TYPE_TEXT = {
    "string_type": ("must be a string", "a string (quote numbers, dates and booleans)"),
    "int_type": ("must be a whole number", "an integer"),
    "int_parsing": ("must be a whole number", "an integer"),
    "int_from_float": ("must be a whole number", "an integer"),
    "bool_type": ("must be true or false", "true or false"),
    "bool_parsing": ("must be true or false", "true or false"),
    "dict_type": ("must be a mapping", "a mapping of key: value"),
    "model_type": ("must be a mapping", "a mapping of key: value"),
    "model_attributes_type": ("must be a mapping", "a mapping of key: value"),
    "list_type": ("must be a list", "a list"),
}


def _fields_at(loc: tuple[Any, ...], model: type[BaseModel]) -> list[str] | None:
    """Field names of the model found at ``loc`` (for 'unknown field' messages)."""
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return None
        annotation = field.annotation
        candidates = [annotation, *getattr(annotation, "__args__", ())]
        nested = [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]
        if not nested:
            return None
        model = nested[0]
    return sorted(model.model_fields)


def convert_errors(
    exc: ValidationError, document: PositionedDocument, model: type[BaseModel] = schema.JobConfig
) -> list[JobError]:
    """Pydantic errors -> positioned JobErrors (file, line, dotted path, bad value, what is allowed)."""
    out: list[JobError] = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        kind = err["type"]
        ctx = err.get("ctx") or {}
        got: Any = err.get("input")
        expected: str | None = ctx.get("expected")
        problem = err["msg"]
        show_got = True
        if loc and loc[-1] == "[key]":
            loc = loc[:-1]
            got = loc[-1]
            problem = "invalid key"
            if ctx.get("pattern") in _PATTERN_TEXT:
                expected = _PATTERN_TEXT[ctx["pattern"]]
        elif kind.startswith("dativo"):
            if kind == "dativo_key" or kind == "dativo_missing_key":
                loc = (*loc, ctx["key"])
            elif kind == "dativo_field":
                loc = (*loc, *ctx["field"].split("."))
            if kind == "dativo_missing_key":
                show_got = False
                got = None
            elif "got" in ctx:
                got = ctx["got"]
                show_got = got is not None
            elif isinstance(got, dict) and loc and isinstance(loc[-1], str) and loc[-1] in got:
                got = got[loc[-1]]
        elif kind == "missing":
            problem, show_got = "required field missing", False
            expected = _describe(loc)
        elif kind == "extra_forbidden":
            problem = "unknown field"
            fields = _fields_at(loc[:-1], model)
            expected = "one of " + ", ".join(fields) if fields else None
        elif kind in ("literal_error", "enum"):
            problem = "not an allowed value"
        elif kind == "string_pattern_mismatch":
            problem = "does not match the allowed form"
            expected = _PATTERN_TEXT.get(ctx.get("pattern", ""), f"text matching {ctx.get('pattern')}")
        elif kind in _TYPE_TEXT:
            problem, expected = _TYPE_TEXT[kind]
        elif kind == "string_too_short":
            problem, expected = "must not be empty", f"at least {ctx.get('min_length')} character(s)"
        elif kind == "string_too_long":
            problem, expected = "is too long", f"at most {ctx.get('max_length')} characters"
        elif kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
            problem = "out of range"
            bound = {
                "greater_than_equal": "at least",
                "less_than_equal": "at most",
                "greater_than": "more than",
                "less_than": "less than",
            }[kind]
            expected = f"{bound} {next(iter(ctx.values()))}"
        else:
            problem = problem[0].lower() + problem[1:]
        path: PathKey = tuple(p for p in loc)
        shown = show_value(got) if show_got else ("nothing" if kind.startswith("dativo_field") else None)
        out.append(
            JobError(
                document.file, document.line_of(path), dotted(path) or "(document)", problem, shown, expected
            )
        )
    return out


_DESCRIPTIONS = {
    ("tenant_id",): "a lowercase tenant slug",
    ("environment",): "the deployment environment, e.g. prod",
    ("infrastructure",): "the infrastructure block",
    ("infrastructure", "provider"): "aws | azure | gcp",
    ("infrastructure", "region"): "a cloud region, e.g. us-east-1",
    ("infrastructure", "runtime"): "a runtime block with a type",
    ("infrastructure", "runtime", "type"): "aws_fargate | azure_container_apps | gcp_cloud_run",
    ("infrastructure", "tags"): "a tags mapping with " + ", ".join(schema.REQUIRED_TAGS),
}


def _describe(loc: tuple[Any, ...]) -> str:
    return _DESCRIPTIONS.get(tuple(p for p in loc if not isinstance(p, int)), "a value")
