"""Jobs in memory: rendering one loaded job's text (:func:`render_job`), checking that the rendered
job is still a valid job (:func:`rendered_job_errors`) and finding the placeholders left in jobs
(``validate --rendered``). Jobs come from the loader (``load_jobs(..., rendered=True)`` accepts jobs
whose placeholders are filled already); nothing here reads or writes a file
(:mod:`dativo_infra.render.write` writes). The rules are in :mod:`dativo_infra.render`.
"""

from __future__ import annotations

import codecs
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from dativo_infra.config.dialects import canonical
from dativo_infra.config.loaded import LoadedJob
from dativo_infra.config.loader import job_from_source, load_jobs
from dativo_infra.config.messages import convert_errors
from dativo_infra.config.schema import LOOSE_PLACEHOLDER_RE, PLACEHOLDER_RE, JobConfig, validation_context
from dativo_infra.config.settings import PlatformSettings
from dativo_infra.config.yamlpos import dotted, parse_bytes, parse_positioned
from dativo_infra.errors import ErrorReport, JobError
from dativo_infra.render.outputs import OutputsSource, StackOutputs
from dativo_infra.render.splice import (
    document_strings,
    find_placeholders,
    render_text,
)

# --- one job in memory -------------------------------------------------------------------------


@dataclass(frozen=True)
class JobRef:
    """What the parent process keeps of a job that a worker process loaded and rendered
    (:mod:`dativo_infra.render.parallel`): sending the :class:`LoadedJob` itself back would cost more
    than loading it. The job is loaded again only to render a file changed since (:meth:`reload`)."""

    path: Path
    file: str
    stack_name: str
    #: :attr:`LoadedJob.job_name_line`
    job_name_line: int
    #: :attr:`LoadedJob.asset_file`
    asset_file: Path | None
    #: The settings the job was validated with, and where its outputs come from.
    settings: PlatformSettings
    source: OutputsSource

    def reload(self, text: str, bom: bool) -> tuple[LoadedJob, StackOutputs]:
        """The job as the worker loaded it from ``text`` (the text it read; ``bom``: it had one; the
        asset definition is read again), and its outputs. Raises what loading raises."""
        raw = (codecs.BOM_UTF8 if bom else b"") + text.encode("utf-8")
        source = parse_bytes(raw, self.file, placeholders=True)
        job = job_from_source(source, raw, self.path, self.settings, rendered=True)
        return job, self.source.for_stack(self.stack_name)


@dataclass
class RenderResult:
    """One job rendered in memory."""

    job: LoadedJob | JobRef
    outputs: StackOutputs | None  # None when a worker process rendered the job (``job`` a JobRef)
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

    def loaded(self) -> tuple[LoadedJob, StackOutputs]:
        """The job and its outputs, to render it again (a :class:`JobRef` is loaded again)."""
        if isinstance(self.job, JobRef):
            return self.job.reload(self.original, self.bom)
        assert self.outputs is not None  # a LoadedJob's result always has its outputs
        return self.job, self.outputs


def render_job(
    job: LoadedJob,
    outputs: StackOutputs,
    target: Path | None,
    allow_sensitive: bool = False,
    current: tuple[str, bool] | None = None,
) -> RenderResult:
    """Render one job in memory (nothing is written): its text as loaded, or ``current`` (text, BOM)
    when the file changed since. Raises :class:`ErrorReport`, also when the rendered text would not be
    a valid job (:func:`rendered_job_errors`, run when a fill could change validity: :func:`_needs_recheck`)."""
    original, bom = current if current is not None else (job.text, job.bom)
    sites = job.source.placeholders_in(original)  # found by the loader in this very text, or None
    text, filled, recheck = render_text(original, job.file, outputs, allow_sensitive, sites)
    if recheck:
        ErrorReport(rendered_job_errors(job, text)).raise_if_any()
    return RenderResult(job, outputs, target, original, text, bom, filled)


def render_with(
    source: OutputsSource, job: LoadedJob, target: Path | None, allow_sensitive: bool = False
) -> RenderResult | list[JobError]:
    """:func:`render_job` with the outputs of the job's stack in ``source``; the errors instead of a
    result when the stack has no outputs there or a placeholder cannot be filled."""
    try:
        if not source.has(job.stack_name):
            return [source.missing(job)]
        return render_job(job, source.for_stack(job.stack_name), target, allow_sensitive)
    except ErrorReport as exc:
        return exc.errors
    except JobError as exc:
        return [exc]


_IDENTIFIERS = "infrastructure.resource_identifiers."
_AS_TEXT_HINT = (
    '; to insert the output as text, write the placeholder as !!str "{{terraform_outputs.<name>}}"'
)


def rendered_job_errors(job: LoadedJob, text: str) -> list[JobError]:
    """Why the rendered ``text`` of ``job`` would not be a valid job, positioned at the source's lines.

    A placeholder that is a whole value takes its output's type, so a number output rendered into a
    field the schema wants as text (``env.PORT``) would turn a valid template into an invalid job:
    that is refused before anything is written. Rendered ``resource_identifiers`` must be text (the
    model says so: its values are strings).
    """
    try:
        document = canonical(parse_positioned(text, job.file))
    except JobError as exc:
        return [exc]
    except ErrorReport as report:
        return list(report)
    try:
        JobConfig.model_validate(document.value, context=validation_context(job.settings, rendered=True))
    except ValidationError as exc:
        errors: list[JobError] = []
        for error in convert_errors(exc, job.document, JobConfig):
            problem, expected = error.problem, error.expected or "a valid value"
            if problem == "must be a string" and error.path.startswith(_IDENTIFIERS):
                problem, expected = "a resource identifier must be text", "a text output"
            hint = _AS_TEXT_HINT if error.problem == "must be a string" else ""
            errors.append(
                JobError(
                    error.file,
                    error.line,
                    error.path,
                    f"after rendering: {problem}",
                    error.got,
                    expected + hint,
                )
            )
        return errors
    return []


# --- validate --rendered -----------------------------------------------------------------------


def unrendered_errors(jobs: Sequence[LoadedJob]) -> list[JobError]:
    """One error per placeholder left anywhere in the files of ``jobs`` (``validate --rendered``)."""
    errors: list[JobError] = []
    for job in jobs:
        try:
            found = job.source.placeholders_in(job.text)
            sites = list(found) if found is not None else find_placeholders(job.text, job.file)
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
        for path, text in document_strings(job.data, ()):
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
    jobs = load_jobs(list(paths), rendered=True)
    ErrorReport(unrendered_errors(jobs)).raise_if_any()
    return jobs
