"""Jobs in memory: loading jobs that may already be rendered, rendering one job's file
(:func:`render_job`), checking that the rendered job is still a valid job
(:func:`rendered_job_errors`) and finding the placeholders left in jobs (``validate --rendered``).
Nothing here writes a file (:mod:`dativo_infra.render.write` does). The rules are in
:mod:`dativo_infra.render`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from dativo_infra.config.dialect import is_legacy, to_canonical
from dativo_infra.config.loader import (
    LoadedJob,
    check_unique_stacks,
    convert_errors,
    discover,
    display_path,
    load_jobs,
)
from dativo_infra.config.schema import PLACEHOLDER_RE, JobConfig
from dativo_infra.config.yamlpos import dotted, load_positioned, parse_positioned
from dativo_infra.errors import ErrorReport, JobError
from dativo_infra.render.outputs import StackOutputs
from dativo_infra.render.splice import (
    LOOSE_PLACEHOLDER_RE,
    _document_strings,
    _render_text,
    find_placeholders,
)

# --- loading jobs that may already be rendered ------------------------------------------------

_RENDERED_PATH = "infrastructure.resource_identifiers"


def _is_rendered_value(error: JobError) -> bool:
    """An error the schema raises for a rendered value (not for a placeholder naming a wrong output,
    nor for a malformed placeholder such as ``{{terraform_output.x}}``, which is never a value)."""
    return (
        error.path.startswith(_RENDERED_PATH)
        and not error.problem.startswith("output ")
        and "{{" not in (error.got or "")
    )


def _load_rendered(path: Path) -> LoadedJob:
    """Load a job whose ``resource_identifiers`` hold rendered values instead of placeholders.

    The schema requires a placeholder in every ``resource_identifiers`` value, so a rendered job
    fails :func:`load_job` there and only there. Everything else of the job is validated as usual;
    ``config.infrastructure.resource_identifiers`` is left empty.
    """
    file = display_path(path)
    try:
        document = to_canonical(load_positioned(path, file))
    except JobError as exc:
        raise ErrorReport([exc]) from None
    data = dict(document.value)
    if isinstance(data.get("infrastructure"), dict):
        data["infrastructure"] = {
            k: v for k, v in data["infrastructure"].items() if k != "resource_identifiers"
        }
    try:
        config = JobConfig.model_validate(data)
    except ValidationError as exc:
        raise ErrorReport(convert_errors(exc, document)) from None
    return LoadedJob(path, file, config, document, is_legacy(document.value.get("infrastructure")))


def load_jobs_for_render(paths: Sequence[str]) -> list[LoadedJob]:
    """:func:`dativo_infra.config.loader.load_jobs` for files that may be rendered already.

    Jobs are loaded with ``load_jobs`` (same discovery and checks). When that fails, and the only
    errors of some files are rendered values under ``infrastructure.resource_identifiers``, those
    files are loaded with :func:`_load_rendered` and the others with ``load_jobs`` again (rendering a
    rendered job is a no-op; ``validate --rendered`` checks it). Any other error is raised, all at once.
    """
    try:
        return load_jobs(list(paths))
    except ErrorReport as report:
        errors = list(report)
    if not all(_is_rendered_value(e) for e in errors):
        raise ErrorReport([e for e in errors if not _is_rendered_value(e)])
    files = discover(list(paths))
    rendered_files = {e.file for e in errors}
    rendered = [p for p in files if display_path(p) in rendered_files]
    jobs = load_jobs([str(p) for p in files if p not in rendered]) if len(rendered) < len(files) else []
    report = ErrorReport()
    for path in rendered:
        try:
            jobs.append(_load_rendered(path))
        except ErrorReport as exc:
            report.extend(exc.errors)
    jobs = sorted(jobs, key=lambda j: j.path)
    check_unique_stacks(jobs, report)
    report.raise_if_any()
    return jobs


# --- one job in memory -------------------------------------------------------------------------


def _read_text(path: Path) -> tuple[str, bool]:
    """A job file's text (BOM removed) and whether it had a BOM."""
    file = display_path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise JobError(file, 0, "", f"cannot read file ({exc.strerror or exc})") from None
    try:
        return raw.decode("utf-8-sig"), raw.startswith(b"\xef\xbb\xbf")
    except UnicodeDecodeError as exc:
        raise JobError(file, raw[: exc.start].count(b"\n") + 1, "", "file is not UTF-8 text") from None


@dataclass
class RenderResult:
    """One job rendered in memory."""

    job: LoadedJob
    outputs: StackOutputs
    target: Path | None  # None: the caller prints ``text``
    original: str  # the source text as read (BOM removed)
    text: str  # the rendered text (BOM removed)
    bom: bool
    filled: int  # placeholders filled
    written: bool = False

    @property
    def data(self) -> str:
        """The bytes to write, as text (with the source's BOM)."""
        return ("\ufeff" if self.bom else "") + self.text


def render_job(
    job: LoadedJob, outputs: StackOutputs, target: Path | None, allow_sensitive: bool = False
) -> RenderResult:
    """Render one job in memory (nothing is written). Raises :class:`ErrorReport`, also when the
    rendered text would not be a valid job (:func:`rendered_job_errors`, run when a fill could
    change validity: :func:`_needs_recheck`)."""
    original, bom = _read_text(job.path)
    text, filled, recheck = _render_text(original, job.file, outputs, allow_sensitive)
    if recheck:
        ErrorReport(rendered_job_errors(job, text)).raise_if_any()
    return RenderResult(job, outputs, target, original, text, bom, filled)


_AS_TEXT_HINT = (
    '; to insert the output as text, write the placeholder as !!str "{{terraform_outputs.<name>}}"'
)


def rendered_job_errors(job: LoadedJob, text: str) -> list[JobError]:
    """Why the rendered ``text`` of ``job`` would not be a valid job, positioned at the source's lines.

    A placeholder that is a whole value takes its output's type, so a number output rendered into a
    field the schema wants as text (``env.PORT``) would turn a valid template into an invalid job:
    that is refused before anything is written. Rendered ``resource_identifiers`` must be text.
    """
    try:
        document = to_canonical(parse_positioned(text, job.file))
    except JobError as exc:
        return [exc]
    data = dict(document.value)
    errors: list[JobError] = []
    infra = data.get("infrastructure")
    if isinstance(infra, dict):
        data["infrastructure"] = {k: v for k, v in infra.items() if k != "resource_identifiers"}
        identifiers = infra.get("resource_identifiers")
        for key, value in identifiers.items() if isinstance(identifiers, dict) else ():
            if not isinstance(value, str):
                path = ("infrastructure", "resource_identifiers", key)
                errors.append(
                    JobError.at(
                        job.file,
                        job.document.line_of(path),
                        dotted(path),
                        "after rendering: a resource identifier must be text",
                        value,
                        "a text output" + _AS_TEXT_HINT,
                    )
                )
    try:
        JobConfig.model_validate(data)
    except ValidationError as exc:
        for error in convert_errors(exc, job.document):
            hint = _AS_TEXT_HINT if error.problem == "must be a string" else ""
            errors.append(
                JobError(
                    error.file,
                    error.line,
                    error.path,
                    f"after rendering: {error.problem}",
                    error.got,
                    (error.expected or "a valid value") + hint,
                )
            )
    return errors


# --- validate --rendered -----------------------------------------------------------------------


def unrendered_errors(jobs: Sequence[LoadedJob]) -> list[JobError]:
    """One error per placeholder left anywhere in the files of ``jobs`` (``validate --rendered``)."""
    errors: list[JobError] = []
    for job in jobs:
        try:
            text, _ = _read_text(job.path)
            sites = find_placeholders(text, job.file)
        except JobError as exc:
            errors.append(exc)
            continue
        for site in sites:
            for match in site.matches:
                errors.append(
                    JobError.at(
                        job.file,
                        site.line,
                        dotted(site.path),
                        "placeholder not rendered",
                        match.group(0),
                        "a value",
                    )
                )
        for path, text in _document_strings(job.data, ()):
            malformed = [
                m.group(0)
                for m in LOOSE_PLACEHOLDER_RE.finditer(text)
                if not PLACEHOLDER_RE.fullmatch(m.group(0))
            ]
            if malformed:
                errors.extend(
                    JobError.at(
                        job.file,
                        job.document.line_of(path),
                        dotted(path),
                        "malformed placeholder left",
                        bad,
                        "{{terraform_outputs.<name>}} (then render it) or a value",
                    )
                    for bad in malformed
                )
    return errors


def check_rendered(paths: Sequence[str]) -> list[LoadedJob]:
    """``validate --rendered``: load the jobs (rendered or not) and fail on any placeholder left."""
    jobs = load_jobs_for_render(paths)
    ErrorReport(unrendered_errors(jobs)).raise_if_any()
    return jobs
