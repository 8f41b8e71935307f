"""Jobs in memory: rendering one loaded job's text (:func:`render_job`), checking that the rendered
job is still a valid job (:func:`rendered_job_errors`) and finding the placeholders left in jobs
(``validate --rendered``). Jobs come from the loader (``load_jobs(..., rendered=True)`` accepts jobs
whose placeholders are filled already); nothing here reads or writes a file
(:mod:`dativo_infra.render.write` writes). The rules are in :mod:`dativo_infra.render`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from dativo_infra.config.dialects import canonical
from dativo_infra.config.loaded import LoadedJob
from dativo_infra.config.loader import load_jobs
from dativo_infra.config.messages import convert_errors
from dativo_infra.config.schema import LOOSE_PLACEHOLDER_RE, PLACEHOLDER_RE, JobConfig, validation_context
from dativo_infra.config.yamlpos import dotted, parse_positioned
from dativo_infra.errors import ErrorReport, JobError
from dativo_infra.render.outputs import StackOutputs
from dativo_infra.render.splice import (
    document_strings,
    find_placeholders,
    render_text,
)

# --- one job in memory -------------------------------------------------------------------------


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
