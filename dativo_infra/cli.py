"""The ``dativo-infra`` command line. No command here imports cdktf or jsii.

Exit codes: 0 success, 2 user error (bad job files, bad outputs, unresolved placeholders), 1 a bug.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dativo_infra.errors import ErrorReport, JobError, printable_json, safe_line, safe_text

if TYPE_CHECKING:
    from rich.console import Console

    from dativo_infra.config.loaded import LoadedJob

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


def _load(paths: list[str] | None, rendered: bool = False) -> list[LoadedJob]:
    """Load and validate jobs; ``rendered``: also accept jobs whose placeholders were rendered."""
    from dativo_infra.config.loader import load_jobs

    try:
        return load_jobs(paths or ["jobs"], rendered=rendered)
    except ErrorReport as report:
        raise typer.Exit(report_errors(report)) from None


def _load_one(path: Path) -> LoadedJob:
    """One job file, a template or a rendered job."""
    jobs = _load([str(path)], rendered=True)
    if len(jobs) != 1:
        report_errors(
            JobError.at(str(path), 0, "", "expected exactly one job", f"{len(jobs)} jobs", "one job file")
        )
        raise typer.Exit(2)
    return jobs[0]


def _console() -> Console:
    from rich.console import Console

    # Logs (CI, files) are not terminals: give tables room instead of rich's 80-column default.
    return Console(soft_wrap=True, width=None if sys.stdout.isatty() else 160)


@app.command()
def validate(
    paths: PathsArg = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing on success")] = False,
    rendered: Annotated[
        bool,
        typer.Option(
            "--rendered", help="Also fail on any {{terraform_outputs.*}} placeholder left (after render)"
        ),
    ] = False,
) -> None:
    """Validate job files; print every error of every file (file:line: path: problem)."""
    if rendered:
        from dativo_infra.render import check_rendered

        try:
            jobs = check_rendered(paths or ["jobs"])
        except ErrorReport as report:
            raise typer.Exit(report_errors(report)) from None
    else:
        jobs = _load(paths)
    from dativo_infra.config.posture import job_warnings, provider_version_warnings

    warnings = sorted({w for job in jobs for w in job_warnings(job)} | set(provider_version_warnings(jobs)))
    for warning in warnings:  # printed even with --quiet: a warning is never silent
        print(safe_line(f"warning: {warning}"), file=sys.stderr)
    if not quiet:
        names = {"older": "the older dialect", "seed004": "the seed 004 dialect"}
        counts = [(sum(1 for j in jobs if j.dialect == d), name) for d, name in names.items()]
        parts = [f"{count} in {name}" for count, name in counts if count]
        note = f" ({', '.join(parts)})" if parts else ""
        counted = f", {len(warnings)} warning(s)" if warnings else ""
        print(f"{len(jobs)} job file(s) valid{note}{counted}")


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
        "dialect": loaded.dialect,
        "infrastructure": infra,
    }
    if as_json:
        print(json.dumps(data, indent=2, sort_keys=True))
        return
    from rich.table import Table
    from rich.text import Text

    # Text(...): job values are shown as written, never read as rich markup, escaped like messages
    table = Table(title=Text(safe_line(f"{loaded.file} -> stack {loaded.stack_name}")), show_lines=False)
    table.add_column("field", style="bold")
    table.add_column("value")
    for key in ("tenant_id", "environment", "dialect"):
        table.add_row(key, str(data[key]))
    for key, value in _flatten(infra, "infrastructure"):
        table.add_row(Text(safe_text(key)), Text(safe_text(value)))
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
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to a file instead of stdout")
    ] = None,
) -> None:
    """Print the JSON Schema of a job file (for editors: yaml-language-server)."""
    from dativo_infra.config.schema import job_json_schema

    _emit(json.dumps(job_json_schema(), indent=2, sort_keys=True) + "\n", output)


@app.command()
def stacks(paths: PathsArg = None) -> None:
    """Print job file -> stack name (and runtime) as JSON."""
    jobs = _load(paths, rendered=True)
    data = {
        j.file: {
            "stack": j.stack_name,
            "runtime": j.config.runtime.type.value,
            "provider": j.config.infrastructure.provider.value,
        }
        for j in jobs
    }
    print(json.dumps(data, indent=2, sort_keys=True))


@app.command("local-run")
def local_run(
    jobs: Annotated[Path, typer.Option(help="Jobs directory")] = Path("jobs"),
    workdir: Annotated[
        Path, typer.Option(help="Where cdktf.out, state, outputs, rendered jobs and logs go")
    ] = Path(".gen/local-run"),
    parallel: Annotated[int, typer.Option(min=1, help="Stacks deployed at once")] = 4,
) -> None:
    """The main job: synth every job, deploy the AWS ones to a local moto cloud, render, check tags, destroy."""
    from dativo_infra.localcloud.run import LocalRun, ProgressDisplay, print_report

    console = _console()
    console.print(f"[bold]main job[/bold]: jobs from {jobs}, work dir {workdir}, {parallel} stack(s) at once")
    try:
        with ProgressDisplay(console) as progress:
            runner = LocalRun(jobs, workdir, parallel=parallel, progress=progress)
            runs = runner.execute()
    except ErrorReport as report:
        raise typer.Exit(report_errors(report)) from None
    if not print_report(console, runs, runner.synth_only):
        raise typer.Exit(1)


@app.command("tags")
def tags_command(
    job: JobArg,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="json (the map) | tfvars ('job_metadata = {...}') | hcl (the object "
            "only, for TF_VAR_job_metadata) | github-output (tags_json=<one-line JSON> and "
            "tag_<key>=<value> lines for $GITHUB_OUTPUT)",
        ),
    ] = "json",
    rendered: Annotated[
        bool,
        typer.Option("--rendered", help="Print the tags as the job's cloud receives them (GCP labels, ...)"),
    ] = False,
    explain: Annotated[
        bool,
        typer.Option("--explain", help="Print where each merged value came from (level, file:line, key)"),
    ] = False,
) -> None:
    """Print a job's merged tags (platform defaults < job < asset governance/compliance/finops < infrastructure.tags)."""
    from dativo_infra.tags import TagFormat, hcl_map, merged_tags, render_tags, tag_levels, tfvars

    if fmt not in set(TagFormat):
        raise typer.BadParameter(f"{fmt!r} is not one of {', '.join(TagFormat)}", param_hint="--format")
    loaded = _load_one(job)
    if explain:
        levels, _ = tag_levels(loaded)
        winners = {key: (level, source) for level, tags in levels for key, source in tags.items()}
        for key, (level, source) in sorted(winners.items()):
            where = f"{source.file}:{source.line} {source.path}"
            print(safe_line(f"{key} = {source.value}    <- {level}: {where}"))
        return
    values = merged_tags(loaded)
    if rendered:
        values = render_tags(values, loaded.config.infrastructure.provider)
    kind = TagFormat(fmt)
    if kind is TagFormat.JSON:
        print(printable_json(values))
    elif kind is TagFormat.TFVARS:
        sys.stdout.write(tfvars(values))
    elif kind is TagFormat.HCL:
        print(hcl_map(values))
    else:
        sys.stdout.write(_github_output(values, loaded.file))


def _github_output(values: dict[str, str], file: str) -> str:
    """The tags as ``$GITHUB_OUTPUT`` lines: ``tags_json`` (the whole map, compact one-line JSON) and one
    ``tag_<key>`` per key that is an output name. A value line starting with ``::`` is refused: printed,
    it would be a workflow command to the runner."""
    from dativo_infra.ci.github_output import NAME_RE, output_lines

    compact = json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    outputs = {"tags_json": compact}
    outputs.update({f"tag_{key}": value for key, value in values.items() if NAME_RE.fullmatch(f"tag_{key}")})
    bad = [key for key, value in values.items() if any(line.startswith("::") for line in value.splitlines())]
    ErrorReport(
        [
            JobError.at(
                file,
                0,
                f"tags.{key}",
                "a line of this tag value starts with '::' (a workflow command when printed)",
                values[key],
                "a value without lines starting with '::'",
            )
            for key in bad
        ]
    ).raise_if_any()
    return output_lines(outputs)


@app.command("changed")
def changed_command(
    base: Annotated[str, typer.Option("--base", help="Git revision to compare from (e.g. origin/main)")],
    head: Annotated[str, typer.Option("--head", help="Git revision to compare to")] = "HEAD",
    jobs_dir: Annotated[str, typer.Option("--jobs-dir", help="Directory of the job files")] = "jobs",
    github_output: Annotated[
        bool,
        typer.Option(
            "--github-output", help="Also append matrix=, destroy=, has_changes= ... to $GITHUB_OUTPUT"
        ),
    ] = False,
    direct: Annotated[
        bool,
        typer.Option(
            "--direct",
            help="Compare the two trees (pushes, force pushes) instead of from the merge "
            "base (pull requests); a --base missing from the clone or all zeros selects every job",
        ),
    ] = False,
    max_legs: Annotated[
        int,
        typer.Option("--max-legs", min=1, max=256, help="Pack the jobs into at most this many matrix legs"),
    ] = 256,
) -> None:
    """Jobs to deploy / stacks to destroy for a change between two git revisions (CI matrix JSON)."""
    from dativo_infra.ci.detect import main_command

    try:
        main_command(base, head, jobs_dir, github_output, direct=direct, max_legs=max_legs)
    except ErrorReport as report:
        raise typer.Exit(report_errors(report)) from None
    except JobError as error:
        raise typer.Exit(report_errors(error)) from None


@app.command()
def render(
    outputs: Annotated[
        Path,
        typer.Option(
            "--outputs",
            help="`terraform output -json` / `cdktf deploy --outputs-file` "
            "file, or a directory of <stack>.json files",
        ),
    ],
    job: Annotated[Path | None, typer.Option("--job", help="One job file to render")] = None,
    jobs: Annotated[Path | None, typer.Option("--jobs", help="Render every job under this directory")] = None,
    out: Annotated[
        str | None,
        typer.Option(
            "--out",
            help="Write here (a file or directory; --jobs: a directory "
            "mirroring the jobs directory). Unset: print (--job only)",
        ),
    ] = None,
    in_place: Annotated[
        bool, typer.Option("--in-place", help="Write the rendered jobs back into their files")
    ] = False,
    allow_sensitive: Annotated[
        bool, typer.Option("--allow-sensitive", help="Write outputs marked sensitive")
    ] = False,
) -> None:
    """Fill every {{terraform_outputs.<name>}} of jobs with deployed output values (all or nothing)."""
    from dativo_infra.render import render_batch, render_one
    from dativo_infra.render.parallel import WorkerDied

    if (job is None) == (jobs is None):
        raise typer.BadParameter("give exactly one of --job FILE and --jobs DIR", param_hint="--job/--jobs")
    if out is not None and in_place:
        raise typer.BadParameter("--out and --in-place exclude each other", param_hint="--out/--in-place")
    if jobs is not None and out is None and not in_place:
        raise typer.BadParameter("--jobs needs --out DIR or --in-place", param_hint="--out")
    try:
        if job is not None:
            results = [render_one(job, outputs, out, in_place, allow_sensitive)]
        elif jobs is not None:
            results = render_batch(jobs, outputs, Path(out) if out else None, in_place, allow_sensitive)
    except (ErrorReport, JobError) as report:
        raise typer.Exit(report_errors(report)) from None
    except WorkerDied as died:  # not the files' fault: exit 1, without a traceback
        print(safe_line(f"render: {died}"), file=sys.stderr)
        raise typer.Exit(1) from None
    for result in results:
        if result.target is None:
            sys.stdout.write(result.text)
        else:
            state = "written" if result.written else "unchanged"
            line = f"{result.job.file} -> {result.target}: {result.filled} placeholder(s), {state}"
            print(safe_line(line), file=sys.stderr)


@app.command()
def tfvars(
    job: JobArg,
    fmt: Annotated[str, typer.Option("--format", "-f", help="json (.tfvars.json) | hcl (.tfvars)")] = "json",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to a file instead of stdout")
    ] = None,
) -> None:
    """Print a job's Terraform variables: cloud_provider, runtime_environment, tags, resource_refs, job_metadata."""
    from dativo_infra.tfvars import TfvarsFormat, render_tfvars

    if fmt not in set(TfvarsFormat):
        raise typer.BadParameter(f"{fmt!r} is not one of json, hcl", param_hint="--format")
    try:
        text = render_tfvars(_load_one(job), fmt)
    except (ErrorReport, JobError) as report:
        raise typer.Exit(report_errors(report)) from None
    _emit(text, output)


def _emit(text: str, output: Path | None) -> None:
    """Print ``text``, or write it atomically to ``output`` (a file system error exits 2)."""
    from dativo_infra.fsutil import atomic_write_text

    if output is None:
        sys.stdout.write(text)
        return
    try:
        atomic_write_text(output, text)
    except OSError as exc:
        raise typer.Exit(
            report_errors(JobError(str(output), 0, "", f"cannot write ({exc.strerror or exc})"))
        ) from None


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
