"""Detection: which jobs a change between two git revisions deploys and which stacks it destroys, and
the ``dativo-infra changed`` command that prints the result.

Comparing. ``detect(base, head)`` compares two commits from the committed content only (never the
work tree), in one of two ways:

* pull requests (default): like ``git diff base...head``, from the merge base, so a pull request
  sees only its own changes even when the target branch moved on;
* pushes (``direct=True``, CLI ``--direct``): the two trees directly (``git diff base head``), so a
  force push or a rewind of main that drops commits still destroys the jobs that only the dropped
  commits had and redeploys the jobs they had changed. When ``base`` is empty, all zeros (a new
  branch) or not in the clone, every job at ``head`` is deployed, nothing is destroyed and a warning
  says so (``base`` in the result is then ``""``).

Rules:

* a job file added or modified at ``head`` -> **deploy** it;
* a job file deleted -> **destroy** its stack, named from the file's content at ``base``. A job whose
  tenant or job name changed also destroys its old stack (a stack name is the identity of its state).
  A renamed file is a delete plus an add; when the old stack still belongs to a job at ``head``
  nothing is destroyed. The old stack name is computed leniently (``tenant_id`` and the job name,
  ``infrastructure.tags.job_name`` or the older dialect's ``JobName``, and the provider, without
  validating the rest), because the old content may no longer validate with today's code. Old
  content that names no stack (not YAML, a field missing or empty, or one written twice with two
  values, e.g. ``JobName`` and ``job_name``) destroys nothing and a warning says why: no version of
  this tool deployed such content, and a guessed name could destroy another job's stack. The warning
  says to destroy the stack by hand should an earlier version of the file have been deployed;
* anything shared changed (:data:`SHARED_FILES`, :data:`SHARED_DIRS`, the platform settings file as
  :func:`dativo_infra.config.settings.settings_path` names it: ``$DATIVO_PLATFORM_SETTINGS``, default
  ``jobs/platform.yaml``) -> **every** job at ``head`` is deployed;
* a file that a job's top-level ``asset_path`` points to (relative to the job file) changed ->
  deploy every job that references it.

Job files are recognised exactly as :func:`dativo_infra.config.loader.discover` does (``*.yaml`` /
``*.yml`` under the jobs directory, not ``platform.yaml``, not under ``assets/``, ``outputs/``,
``rendered/`` or a dot-directory). Every job at ``head`` is validated like the loader does; errors of
jobs to deploy and two jobs mapping to one stack (the loader's own check) are raised together as one
:class:`~dativo_infra.errors.ErrorReport` (exit 2); warnings are printed on stderr.
"""

from __future__ import annotations

import json
import os
import posixpath
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dativo_infra.ci.git import Git
from dativo_infra.ci.legs import MAX_LEGS, UNSAFE_JOB_PATH_CHARS, ChangeSet, Deploy, Destroy
from dativo_infra.config.dialect import is_legacy, snake
from dativo_infra.config.loaded import LoadedJob
from dativo_infra.config.loader import (
    JOB_SUFFIXES,
    NON_JOB_DIRS,
    NON_JOB_FILES,
    check_unique_stacks,
    job_from_source,
)
from dativo_infra.config.settings import PlatformSettings, settings_path
from dativo_infra.config.yamlpos import PathKey, PositionedDocument, dotted, parse_bytes
from dativo_infra.errors import ErrorReport, JobError, safe_line, show_value
from dativo_infra.naming import stack_name

#: Files (relative to the project root) whose change affects every job's synthesized stack: the app, the
#: library's settings and pins, and both CLIs' pins (the legs run the one of the workflows' ``CDK``).
SHARED_FILES = (
    "app.py",
    "cdktf.json",
    "pyproject.toml",
    "package.json",
    "package-lock.json",
    "cli/cdktn/package.json",
    "cli/cdktn/package-lock.json",
)
#: Directories (relative to the project root) whose change affects every job.
SHARED_DIRS = ("dativo_infra/", "schemas/")


def is_job_path(path: str, jobs_dir: str) -> bool:
    """Whether the project-relative ``path`` is a job file under ``jobs_dir`` (the loader's rules)."""
    root = "" if jobs_dir in ("", ".") else jobs_dir.rstrip("/") + "/"
    if not path.startswith(root):
        return False
    parts = path[len(root) :].split("/")
    return (
        path.endswith(JOB_SUFFIXES)
        and parts[-1] not in NON_JOB_FILES
        and not NON_JOB_DIRS.intersection(parts[:-1])
        and not any(p.startswith(".") for p in parts)
    )


def settings_file(root: Path) -> str | None:
    """The platform settings file (:func:`~dativo_infra.config.settings.settings_path`, the rule the synth
    uses) as a path relative to the project ``root``; None when it lies outside the project."""
    path = settings_path()
    relative = os.path.relpath(path, root) if path.is_absolute() else str(path)
    clean = posixpath.normpath(Path(relative).as_posix())
    return None if clean == ".." or clean.startswith("../") else clean


def is_shared_path(path: str, settings: str | None) -> bool:
    """Whether a change to ``path`` (project-relative) affects every job; ``settings`` is the
    project-relative platform settings file (:func:`settings_file`)."""
    return path in SHARED_FILES or path.startswith(SHARED_DIRS) or path == settings


def asset_target(job_path: str, document: PositionedDocument) -> str | None:
    """The project-relative path a job's top-level ``asset_path`` points to, or None."""
    value = document.value.get("asset_path") if isinstance(document.value, Mapping) else None
    if not isinstance(value, str) or not value.strip():
        return None
    return posixpath.normpath(posixpath.join(posixpath.dirname(job_path), value.strip()))


_TENANT: PathKey = ("tenant_id",)
_JOB_NAME: PathKey = ("infrastructure", "tags", "job_name")
_PROVIDER: PathKey = ("infrastructure", "provider")

#: Why a stack is not destroyed for old content that names none (said after the reason).
NOTHING_DESTROYED = (
    "so no stack is destroyed for it: content that names no stack was never deployed by this tool "
    "(if an earlier version of the file was, destroy its stack by hand)"
)


def _written(document: PositionedDocument) -> dict[PathKey, list[tuple[PathKey, Any]]]:
    """For each of tenant_id, the job name and the provider: every ``(path as written, value)`` the
    content has for it. The older dialect's ``cloud_provider`` and PascalCase tags (``JobName``) count,
    so a file that names one thing twice shows both."""
    data = document.value
    raw = data.get("infrastructure")
    infra: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    legacy = is_legacy(raw)
    tags = infra.get("tags")
    found: dict[PathKey, list[tuple[PathKey, Any]]] = {_TENANT: [], _JOB_NAME: [], _PROVIDER: []}
    if "tenant_id" in data:
        found[_TENANT].append((_TENANT, data["tenant_id"]))
    for key in ("provider", "cloud_provider") if legacy else ("provider",):
        if key in infra:
            found[_PROVIDER].append((("infrastructure", key), infra[key]))
    for key, value in tags.items() if isinstance(tags, Mapping) else ():
        if key == "job_name" or (legacy and isinstance(key, str) and snake(key) == "job_name"):
            found[_JOB_NAME].append((("infrastructure", "tags", key), value))
    return found


def old_stack(document: PositionedDocument) -> tuple[str, str]:
    """``(stack, provider)`` of a job's old content, read leniently: ``tenant_id``, the job name and
    the provider (canonical or older dialect) without validating anything else, so that content
    today's code rejects still names the stack it deployed. Raises :class:`ErrorReport` (one
    positioned error per field that is missing, not a non-empty string, or written twice with two
    values) when the content names no stack."""
    errors: list[JobError] = []
    chosen: dict[PathKey, str] = {}
    for path, candidates in _written(document).items():
        values = {v.strip() if isinstance(v, str) else "" for _, v in candidates}
        if len(values) == 1 and "" not in values:  # written once, or twice alike
            chosen[path] = values.pop()
            continue
        if len(candidates) > 1:
            (first, _), (second, value) = sorted(candidates, key=lambda c: document.line_of(c[0]))[:2]
            errors.append(
                JobError(
                    document.file,
                    document.line_of(second),
                    dotted(second),
                    f"the old content names {dotted(path)} twice ({dotted(first)} at line "
                    f"{document.line_of(first)}, {dotted(second)} at line {document.line_of(second)})",
                    show_value(value),
                    "one of them",
                )
            )
            continue
        written, value = candidates[0] if candidates else (path, None)
        errors.append(
            JobError(
                document.file,
                document.line_of(written),
                dotted(written),
                "the old content names no stack",
                show_value(value) if value is not None else "nothing",
                "a non-empty string",
            )
        )
    if errors:
        raise ErrorReport(errors)
    return stack_name(chosen[_TENANT], chosen[_JOB_NAME]), chosen[_PROVIDER].lower()


def normalize_jobs_dir(jobs_dir: str) -> str:
    """``jobs_dir`` as a clean project-relative POSIX path ('' for the project root)."""
    if os.path.isabs(jobs_dir):
        jobs_dir = os.path.relpath(jobs_dir)
    clean = posixpath.normpath(Path(jobs_dir).as_posix())
    if clean.startswith("../") or clean == "..":
        raise JobError.at(
            "--jobs-dir", 0, "", "outside the project", jobs_dir, "a directory inside the project"
        )
    return "" if clean == "." else clean


def detect(
    base: str,
    head: str = "HEAD",
    jobs_dir: str = "jobs",
    cwd: Path | None = None,
    *,
    direct: bool = False,
    max_legs: int = MAX_LEGS,
) -> ChangeSet:
    """The jobs a change from ``base`` to ``head`` affects (see the module docstring).

    ``cwd`` is the project root inside a git work tree (default: the current directory); job paths
    in the result are relative to it. ``direct`` compares the two trees (pushes) instead of
    starting from the merge base (pull requests). Raises :class:`JobError` for a bad revision or a
    missing repository and :class:`ErrorReport` for invalid job files.
    """
    if max_legs < 1:
        raise JobError.at("--max-legs", 0, "", "must be at least 1", max_legs, "1 to 256")
    git = Git(cwd or Path.cwd())
    jobs_dir = normalize_jobs_dir(jobs_dir)
    settings = settings_file(git.cwd)
    head_sha = git.commit(head, "--head")
    warnings: list[str] = []
    start: str | None
    if direct:
        start = git.resolve(base)
        if start is None:
            warnings.append(
                f"--base {base!r} is not a commit in this clone (a new branch, or a force push whose "
                "old head is gone): every job is deployed and no stack is destroyed"
            )
    else:
        start = git.merge_base(git.commit(base, "--base"), head_sha)
    entries = git.diff(start, head_sha) if start else []
    head_files = {p: b for p, b in git.tree(head_sha, jobs_dir or ".").items() if is_job_path(p, jobs_dir)}

    everything = start is None or any(is_shared_path(e.path, settings) for e in entries)
    job_entries = [e for e in entries if is_job_path(e.path, jobs_dir)]
    other_paths = {
        e.path for e in entries if not is_job_path(e.path, jobs_dir) and not is_shared_path(e.path, settings)
    }
    old_entries = [e for e in job_entries if e.status in ("D", "M", "T")]
    contents = git.blobs([*head_files.values(), *(e.old_blob for e in old_entries)])

    # Every job at head is read (asset references) and validated (its stack, one stack per job). Tags
    # are not checked here (no platform settings are read), and assets are not read from the work tree.
    errors: dict[str, list[JobError]] = {}
    documents: dict[str, PositionedDocument] = {}
    loaded: dict[str, LoadedJob] = {}
    for path in sorted(head_files):
        try:
            raw = contents[head_files[path]]
            documents[path] = parse_bytes(raw, path)
            loaded[path] = job_from_source(
                documents[path], raw, Path(path), PlatformSettings(), read_asset=False
            )
        except JobError as exc:
            errors[path] = [exc]
        except ErrorReport as exc:
            errors[path] = exc.errors

    selected = (
        set(head_files) if everything else {e.path for e in job_entries if e.status != "D"} & set(head_files)
    )
    if other_paths:
        selected |= {p for p, doc in documents.items() if asset_target(p, doc) in other_paths}

    report = ErrorReport()
    for path in sorted(selected):
        report.extend(errors.get(path, []))
    check_unique_stacks(list(loaded.values()), report)
    include = [
        Deploy(p, loaded[p].stack_name, loaded[p].config.infrastructure.provider.value)
        for p in sorted(selected)
        if p in loaded
    ]

    head_stacks = {job.stack_name for job in loaded.values()}
    destroy: set[Destroy] = set()
    for entry in old_entries:
        try:
            stack, provider = old_stack(
                parse_bytes(contents[entry.old_blob], f"{str(start)[:12]}:{entry.path}")
            )
        except (JobError, ErrorReport) as exc:  # content that names no stack: say so, destroy nothing
            problems = exc.errors if isinstance(exc, ErrorReport) else [exc]
            warnings.extend(f"{problem} ({NOTHING_DESTROYED})" for problem in sorted(set(problems)))
            continue
        if stack not in head_stacks:  # else the stack still belongs to a job at head (e.g. a moved file)
            destroy.add(Destroy(entry.path, stack, provider))

    items: list[Deploy | Destroy] = [*include, *destroy]
    for item in items:
        if any(c in item.job for c in UNSAFE_JOB_PATH_CHARS):
            report.add(
                JobError.at(
                    item.job,
                    0,
                    "",
                    "job path cannot be passed in DATIVO_JOBS",
                    item.job,
                    f"a file name without any of {' '.join(UNSAFE_JOB_PATH_CHARS)}",
                )
            )
    report.raise_if_any()
    return ChangeSet(include, sorted(destroy), everything, start or "", head_sha, warnings, max_legs)


def main_command(
    base: str,
    head: str,
    jobs_dir: str,
    github_output: bool,
    *,
    direct: bool = False,
    max_legs: int = MAX_LEGS,
) -> int:
    """The ``dativo-infra changed`` command: print the JSON, optionally append to ``$GITHUB_OUTPUT``."""
    output = os.environ.get("GITHUB_OUTPUT", "") if github_output else ""
    if github_output and not output:
        raise JobError.at(
            "--github-output",
            0,
            "",
            "GITHUB_OUTPUT is not set",
            "nothing",
            "the path of the step output file (set by GitHub Actions)",
        )
    changes = detect(base, head, jobs_dir, direct=direct, max_legs=max_legs)
    for warning in changes.warnings:
        print(safe_line(f"warning: {warning}"), file=sys.stderr)
    print(json.dumps(changes.to_json(), indent=2, sort_keys=True))
    if output:
        try:
            with open(output, "a", encoding="utf-8") as handle:
                handle.write(changes.github_output())
        except OSError as exc:
            raise JobError(output, 0, "", f"cannot append to GITHUB_OUTPUT ({exc.strerror or exc})") from None
    return 0
