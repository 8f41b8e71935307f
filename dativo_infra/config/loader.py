"""Find, read and validate job files, once. Every problem becomes a positioned :class:`JobError`.

``load_jobs(paths)`` returns the valid jobs (:class:`~dativo_infra.config.loaded.LoadedJob`: the typed
model, positions, the file as written, its asset definition, the platform settings) or raises one
:class:`ErrorReport` holding every error of every file: YAML, schema, asset definitions, tags a cloud
cannot take, two jobs on one stack. ``rendered=True`` also accepts jobs whose placeholders ``render``
has filled. No cdktf/jsii import happens here (the CLI's ``validate`` relies on that).
"""

from __future__ import annotations

import codecs
import contextlib
import gc
import glob
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol

from pydantic import ValidationError

from dativo_infra.config.assets import load_asset
from dativo_infra.config.dialects import canonical
from dativo_infra.config.loaded import LoadedJob
from dativo_infra.config.messages import convert_errors
from dativo_infra.config.posture import log_encryption_errors
from dativo_infra.config.refs import map_resource_refs
from dativo_infra.config.required_tags import required_tag_errors
from dativo_infra.config.schema import JobConfig, validation_context
from dativo_infra.config.settings import PlatformSettings, load_settings
from dativo_infra.config.yamlpos import PositionedDocument, display_path, parse_bytes, read_bounded
from dativo_infra.errors import ErrorReport, JobError
from dativo_infra.tags import check_tags

#: Files in a jobs directory that are not jobs.
NON_JOB_FILES = {"platform.yaml", "platform.yml"}
NON_JOB_DIRS = {"assets", "outputs", "rendered"}
JOB_SUFFIXES = (".yaml", ".yml")


def discover(paths: list[str] | tuple[str, ...], report: ErrorReport | None = None) -> list[Path]:
    """Job files under ``paths`` (files, directories or glob patterns), sorted, each file once (two
    spellings of one file, ``a/../a.yaml`` and ``a.yaml``, or a link and its target, are one job).

    In a directory, ``platform.yaml``, the ``assets``/``outputs``/``rendered`` directories and dot
    paths are skipped; a broken symbolic link, a symbolic link to a file outside that directory
    (never read) and a job extension in the wrong case (``.YAML``) are errors added to ``report``.
    """
    found: dict[Path, Path] = {}  # real path -> the path as first given
    for raw in paths:
        candidates = (
            [Path(p) for p in sorted(glob.glob(raw, recursive=True))] if glob.has_magic(raw) else [Path(raw)]
        )
        if not candidates and report is not None:
            report.add(JobError(raw, 0, "", "no file matches this pattern"))
        for path in candidates:
            if path.is_dir():
                for sub, real in _directory_jobs(path, report):
                    found.setdefault(real, sub)
            elif path.exists():
                found.setdefault(_real(path), path)
            elif report is not None:
                report.add(JobError(str(path), 0, "", "no such file or directory"))
    return sorted(found.values())


def _real(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a link loop: the path as given
        return path.absolute()


def _directory_jobs(directory: Path, report: ErrorReport | None) -> list[tuple[Path, Path]]:
    """The job files in ``directory`` and below (see :func:`discover`), each with its real path."""
    root = _real(directory)
    errors: list[JobError] = []
    jobs: list[tuple[Path, Path]] = []
    for sub in sorted(directory.rglob("*")):
        rel = sub.relative_to(directory).parts
        if (
            sub.suffix.lower() not in JOB_SUFFIXES
            or sub.name.lower() in NON_JOB_FILES
            or NON_JOB_DIRS.intersection(rel[:-1])
            or any(part.startswith(".") for part in rel)
        ):
            continue
        real = None
        if sub.is_symlink():
            target = _real(sub)
            if not sub.exists():
                errors.append(
                    JobError.at(
                        display_path(sub),
                        0,
                        "",
                        "broken symbolic link",
                        os.readlink(sub),
                        "a link to a job file",
                    )
                )
                continue
            if not target.is_relative_to(root):
                errors.append(
                    JobError.at(
                        display_path(sub),
                        0,
                        "",
                        f"symbolic link points outside {display_path(directory)}",
                        display_path(target),
                        f"a link to a job file inside {display_path(directory)}",
                    )
                )
                continue
            real = target
        if sub.is_dir():
            continue
        if sub.suffix not in JOB_SUFFIXES:
            errors.append(
                JobError.at(
                    display_path(sub),
                    0,
                    "",
                    "job file extension is not lower case",
                    sub.suffix,
                    "a job file named *.yaml or *.yml (rename it)",
                )
            )
            continue
        # not a link, under directories rglob entered (never a link to a directory): no path
        # component to resolve below the directory's own real path
        jobs.append((sub, real or root.joinpath(*rel)))  # not a regular file (a FIFO): refused when read
    if report is not None:
        report.extend(errors)
    return jobs


def load_job(path: Path, settings: PlatformSettings | None = None, *, rendered: bool = False) -> LoadedJob:
    """Read and validate one job file; raises :class:`ErrorReport` with all of its errors."""
    file = display_path(path)
    try:
        raw = read_bounded(path, file)
        source = parse_bytes(raw, file, placeholders=rendered)  # render and validate --rendered use them
    except JobError as exc:
        raise ErrorReport([exc]) from None
    return job_from_source(source, raw, path, settings or load_settings(), rendered=rendered)


def job_from_source(
    source: PositionedDocument,
    raw: bytes,
    path: Path,
    settings: PlatformSettings,
    *,
    rendered: bool = False,
    read_asset: bool = True,
) -> LoadedJob:
    """A parsed job file (``raw``: its bytes) validated into a :class:`LoadedJob`; raises
    :class:`ErrorReport` with all of its errors. ``read_asset=False`` leaves the asset definition
    unread (content from another commit, whose asset is not on disk): the job then has none, and the
    rules that need its classification (:mod:`~dativo_infra.config.posture`) are not checked."""
    try:
        document, found = map_resource_refs(canonical(source))
    except JobError as exc:
        raise ErrorReport([exc]) from None
    asset, errors = load_asset(path, document, settings) if read_asset else (None, [])
    # Required tags the asset or the platform may give: judged once the asset is read (and only then).
    found += required_tag_errors(document, asset, settings) if read_asset and not errors else []
    try:
        config = JobConfig.model_validate(
            document.value, context=validation_context(settings, rendered=rendered)
        )
    except ValidationError as exc:
        raise ErrorReport(convert_errors(exc, document, JobConfig) + found) from None
    ErrorReport(errors + found).raise_if_any()
    bom = raw.startswith(codecs.BOM_UTF8)
    job = LoadedJob(
        path, source.file, config, document, source, raw.decode("utf-8-sig"), bom, asset, settings
    )
    if read_asset:  # the classification may come from the asset: judged only with the asset read
        ErrorReport(log_encryption_errors(job)).raise_if_any()
    return job


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while jobs load (restored afterwards, collecting nothing then):
    loading allocates many objects that live on (the documents and models of every job) and makes
    nearly no cycles, yet at the default thresholds the collector traverses the growing set of them
    again and again, about a tenth of a 1000-job load. Reference counting still frees everything else."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_jobs(
    paths: list[str] | tuple[str, ...], *, rendered: bool = False, settings_file: Path | None = None
) -> list[LoadedJob]:
    """Load every job under ``paths``; raise one report with every error of every file (``rendered``:
    see the module docstring; ``settings_file``: the platform settings, default
    :func:`~dativo_infra.config.settings.settings_path`)."""
    with collector_paused():
        return _load_jobs(paths, rendered, settings_file)


def _load_jobs(
    paths: list[str] | tuple[str, ...], rendered: bool, settings_file: Path | None
) -> list[LoadedJob]:
    report = ErrorReport()
    files, settings = find_jobs(paths, settings_file, report)
    return load_found(files, settings, report, rendered=rendered)


def load_found(
    files: Sequence[Path], settings: PlatformSettings | None, report: ErrorReport, *, rendered: bool = False
) -> list[LoadedJob]:
    """The rest of :func:`load_jobs`: load the job ``files`` :func:`find_jobs` found; raise ``report``
    (which holds its errors) with every error of every file, or return the jobs."""
    jobs: list[LoadedJob] = []
    for path in files:
        try:
            jobs.append(load_job(path, settings or PlatformSettings(), rendered=rendered))
        except ErrorReport as exc:
            report.extend(exc.errors)
    check_unique_stacks(jobs, report)
    for job in jobs if settings is not None else ():
        report.extend(check_tags(job))
    report.raise_if_any()
    return jobs


def find_jobs(
    paths: list[str] | tuple[str, ...], settings_file: Path | None, report: ErrorReport
) -> tuple[list[Path], PlatformSettings | None]:
    """The first steps of :func:`load_jobs`: the job files under ``paths`` (:func:`discover`) and the
    platform settings; their errors go to ``report``. Settings None: the settings file is invalid
    (its errors are in ``report``): jobs are then loaded with the defaults and tags are not checked."""
    files = discover(paths, report)
    if not files and not report:
        report.add(
            JobError(", ".join(paths) or ".", 0, "", "no job files found", expected="*.yaml job files")
        )
    try:
        return files, load_settings(settings_file)
    except ErrorReport as exc:  # reported with the jobs' own errors; tags are then not checked
        report.extend(exc.errors)
        return files, None


class StackOwner(Protocol):
    """What :func:`check_unique_stacks` reads of a job (a :class:`LoadedJob`, or what a render worker
    process sent back of one: :class:`dativo_infra.render.jobs.JobRef`)."""

    @property
    def file(self) -> str: ...
    @property
    def stack_name(self) -> str: ...
    @property
    def job_name_line(self) -> int: ...


def check_unique_stacks(jobs: Sequence[StackOwner], report: ErrorReport) -> None:
    """Add an error to ``report`` for each job whose stack name an earlier job of ``jobs`` already has."""
    seen: dict[str, StackOwner] = {}
    for job in jobs:
        other = seen.setdefault(job.stack_name, job)
        if other is not job:
            report.add(
                JobError.at(
                    job.file,
                    job.job_name_line,
                    "infrastructure.tags.job_name",
                    "two jobs map to the same stack",
                    job.stack_name,
                    f"a tenant_id/job_name pair not already used by {other.file}",
                )
            )
