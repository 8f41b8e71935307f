"""The ``dativo-infra`` command line. No command here imports cdktf or jsii.

Exit codes: 0 success, 2 user error (bad job files, bad outputs, unresolved placeholders), 1 a bug.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from dativo_infra.errors import ErrorReport, JobError

app = typer.Typer(
    name="dativo-infra",
    help="Validate ingestion-job files and inspect the infrastructure they describe.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

PathsArg = Annotated[
    list[str] | None, typer.Argument(help="Job files, directories or glob patterns (default: jobs/)")
]
JobArg = Annotated[Path, typer.Argument(help="A job file", show_default=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON instead of a table")]


def report_errors(report: ErrorReport | JobError) -> int:
    """Print every error (one per line, positioned) and a count to stderr; return exit code 2."""
    errors = list(report) if isinstance(report, ErrorReport) else [report]
    for error in errors:
        print(str(error), file=sys.stderr)
    files = len({e.file for e in errors})
    print(f"{len(errors)} error(s) in {files} file(s)", file=sys.stderr)
    return 2


def _load(paths: list[str] | None):  # type: ignore[no-untyped-def]
    from dativo_infra.config.loader import load_jobs

    try:
        return load_jobs(paths or ["jobs"])
    except ErrorReport as report:
        raise typer.Exit(report_errors(report)) from None


def _load_one(path: Path):  # type: ignore[no-untyped-def]
    jobs = _load([str(path)])
    if len(jobs) != 1:
        report_errors(JobError.at(str(path), 0, "", "expected exactly one job", f"{len(jobs)} jobs", "one job file"))
        raise typer.Exit(2)
    return jobs[0]


def _console():  # type: ignore[no-untyped-def]
    from rich.console import Console

    return Console(soft_wrap=True)


@app.command()
def validate(
    paths: PathsArg = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing on success")] = False,
) -> None:
    """Validate job files; print every error of every file (file:line: path: problem)."""
    jobs = _load(paths)
    if not quiet:
        legacy = sum(1 for j in jobs if j.legacy)
        note = f" ({legacy} in the older dialect)" if legacy else ""
        print(f"{len(jobs)} job file(s) valid{note}")


@app.command()
def show(job: JobArg, as_json: JsonOpt = False) -> None:
    """Show a job's resolved infrastructure (all defaults filled in)."""
    loaded = _load_one(job)
    infra = loaded.config.infrastructure.model_dump(mode="json")
    data = {
        "file": loaded.file,
        "stack": loaded.stack_name,
        "tenant_id": loaded.config.tenant_id,
        "environment": loaded.config.environment,
        "dialect": "older" if loaded.legacy else "canonical",
        "infrastructure": infra,
    }
    if as_json:
        print(json.dumps(data, indent=2, sort_keys=True))
        return
    from rich.table import Table

    table = Table(title=f"{loaded.file} -> stack {loaded.stack_name}", show_lines=False)
    table.add_column("field", style="bold")
    table.add_column("value")
    for key in ("tenant_id", "environment", "dialect"):
        table.add_row(key, str(data[key]))
    for key, value in _flatten(infra, "infrastructure"):
        table.add_row(key, value)
    _console().print(table)


def _flatten(value: object, prefix: str) -> list[tuple[str, str]]:
    if isinstance(value, dict) and value:
        rows: list[tuple[str, str]] = []
        for key in value:
            rows.extend(_flatten(value[key], f"{prefix}.{key}"))
        return rows
    if isinstance(value, list) and value and any(isinstance(v, dict) for v in value):
        rows = []
        for index, item in enumerate(value):
            rows.extend(_flatten(item, f"{prefix}[{index}]"))
        return rows
    return [(prefix, json.dumps(value) if not isinstance(value, str) else value)]


@app.command()
def schema(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to a file instead of stdout")] = None,
) -> None:
    """Print the JSON Schema of a job file (for editors: yaml-language-server)."""
    from dativo_infra.config.schema import job_json_schema
    from dativo_infra.fsutil import atomic_write_text

    text = json.dumps(job_json_schema(), indent=2, sort_keys=True) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        atomic_write_text(output, text)


@app.command()
def stacks(paths: PathsArg = None) -> None:
    """Print job file -> stack name (and runtime) as JSON."""
    jobs = _load(paths)
    data = {
        j.file: {"stack": j.stack_name, "runtime": j.config.runtime.type.value, "provider": j.config.infrastructure.provider.value}
        for j in jobs
    }
    print(json.dumps(data, indent=2, sort_keys=True))


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except ErrorReport as report:
        sys.exit(report_errors(report))
    except JobError as error:
        sys.exit(report_errors(error))


if __name__ == "__main__":
    main()
