"""Which jobs a change between two git revisions affects: the matrices of a per-job CI deploy.

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
  validating the rest), because the old content may no longer validate with today's code; only when
  even those fields are unusable is it an error;
* anything shared changed (:data:`SHARED_FILES`, :data:`SHARED_DIRS`, the platform settings file as
  :func:`dativo_infra.settings.settings_path` names it: ``$DATIVO_PLATFORM_SETTINGS``, default
  ``jobs/platform.yaml``) -> **every** job at ``head`` is deployed;
* a file that a job's top-level ``asset_path`` points to (relative to the job file) changed ->
  deploy every job that references it.

Job files are recognised exactly as :func:`dativo_infra.config.loader.discover` does (``*.yaml`` /
``*.yml`` under the jobs directory, not ``platform.yaml``, not under ``assets/``, ``outputs/``,
``rendered/`` or a dot-directory). Every job at ``head`` is validated like the loader does; errors of
jobs to deploy, two jobs mapping to one stack (the loader's own check) and old content without a
usable stack name are raised together as one :class:`~dativo_infra.errors.ErrorReport` (exit 2).

Matrix legs. GitHub runs at most 256 legs per matrix, and a shared change selects every job. Jobs
(and stacks to destroy) are sorted by job path and cut into at most ``max_legs`` (default 256)
contiguous legs whose sizes differ by at most one; with no more jobs than ``max_legs`` every leg
holds one job. Every leg, single or packed, has the same shape::

    {"name": "acme-orders", "key": "acme-orders",          # display name; concurrency/artifact key
     "jobs": "jobs/acme/orders.yaml",                     # comma-separated: a DATIVO_JOBS value
     "stacks": "acme-orders",                             # space-separated: `cdktf deploy $stacks`
     "providers": "aws"}                                  # space-separated, sorted, unique

The i-th stack of ``stacks`` belongs to the i-th job of ``jobs``. A one-job leg's name and key are
its stack name; a packed leg is named ``<first stack> and <n> more`` and keyed ``pack-<hash of its
stacks>``. Job paths holding ``,``, ``*``, ``?`` or ``[`` cannot travel in DATIVO_JOBS and are errors.

Known limitations. The workflows serialize state-writing legs per ``key``: for one-job legs that is
per stack, but packed legs of two runs may group a stack differently, so they can overlap (Terraform's
state lock then fails one of them rather than corrupting state). A concurrency group orders legs by
when they reach it, not by push: when a later push's leg reaches it first, the earlier push's leg
(an older configuration) runs after it and stays deployed until that job changes again; and GitHub
keeps only the newest waiting leg of a group, so a skipped middle configuration is never deployed.

Pure Python plus the ``git`` executable; no cdktf or jsii import.
"""

from __future__ import annotations

import json
import os
import posixpath
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dativo_infra.config.dialect import is_legacy, snake, to_canonical
from dativo_infra.config.loader import (
    JOB_SUFFIXES,
    NON_JOB_DIRS,
    NON_JOB_FILES,
    LoadedJob,
    check_unique_stacks,
    validate_document,
)
from dativo_infra.config.yamlpos import PathKey, PositionedDocument, dotted, parse_bytes
from dativo_infra.errors import ErrorReport, JobError
from dativo_infra.naming import short_hash, stack_name
from dativo_infra.settings import settings_path

#: Files (relative to the project root) whose change affects every job's synthesized stack.
SHARED_FILES = ("app.py", "cdktf.json", "pyproject.toml", "package.json", "package-lock.json")
#: Directories (relative to the project root) whose change affects every job.
SHARED_DIRS = ("dativo_infra/", "schemas/")
#: GitHub Actions runs at most this many legs per matrix.
MAX_LEGS = 256
#: Characters a job path cannot hold to travel in DATIVO_JOBS (its separator, glob magic).
UNSAFE_JOB_PATH_CHARS = ",*?["

_ZERO_SHA = "0" * 40


@dataclass(frozen=True, order=True)
class Deploy:
    """A job to synthesize and deploy."""

    job: str  # path relative to the project root (the working directory of ``cdktf``)
    stack: str
    provider: str  # aws | azure | gcp


@dataclass(frozen=True, order=True)
class Destroy:
    """A stack to destroy: its job file as it was at the ``base`` commit."""

    job: str
    stack: str
    provider: str


@dataclass(frozen=True)
class Leg:
    """One matrix leg: one or more jobs (see the module docstring for the JSON shape)."""

    name: str
    key: str
    jobs: tuple[str, ...]
    stacks: tuple[str, ...]
    providers: tuple[str, ...]

    def to_json(self) -> dict[str, str]:
        return {
            "name": self.name,
            "key": self.key,
            "jobs": ",".join(self.jobs),
            "stacks": " ".join(self.stacks),
            "providers": " ".join(self.providers),
        }


def make_leg(items: Sequence[Deploy | Destroy]) -> Leg:
    """The leg that carries ``items`` (in the given order)."""
    if not items:
        raise ValueError("a leg needs at least one job")
    stacks = tuple(i.stack for i in items)
    if len(stacks) == 1:
        name = key = stacks[0]
    else:
        name = f"{stacks[0]} and {len(stacks) - 1} more"
        key = f"pack-{short_hash(' '.join(stacks), 12)}"
    return Leg(name, key, tuple(i.job for i in items), stacks, tuple(sorted({i.provider for i in items})))


def pack(items: Iterable[Deploy | Destroy], max_legs: int = MAX_LEGS) -> list[Leg]:
    """``items`` sorted and cut into at most ``max_legs`` contiguous legs whose sizes differ by <= 1."""
    if max_legs < 1:
        raise ValueError(f"max_legs must be at least 1, got {max_legs}")
    ordered = sorted(items)
    if not ordered:
        return []
    count = min(len(ordered), max_legs)
    size, bigger = divmod(len(ordered), count)
    legs: list[Leg] = []
    start = 0
    for index in range(count):
        end = start + size + (1 if index < bigger else 0)
        legs.append(make_leg(ordered[start:end]))
        start = end
    return legs


@dataclass(frozen=True)
class ChangeSet:
    """The result of :func:`detect`. Lists are sorted; the JSON form is deterministic."""

    include: list[Deploy]
    destroy: list[Destroy]
    all: bool  # True when every job at head is deployed (shared change, or no usable base)
    base: str  # full SHA of the commit the diff starts from ('' when there was none)
    head: str  # full SHA of --head
    warnings: list[str] = field(default_factory=list)
    max_legs: int = MAX_LEGS

    def deploy_legs(self) -> list[Leg]:
        return pack(self.include, self.max_legs)

    def destroy_legs(self) -> list[Leg]:
        return pack(self.destroy, self.max_legs)

    def to_json(self) -> dict[str, Any]:
        """The document printed to stdout: every job (``include``, ``destroy``) and the two
        matrices the workflows use (``matrix``, ``destroy_matrix``: ``{"include": [legs]}``)."""
        return {
            "include": [{"job": d.job, "stack": d.stack, "provider": d.provider} for d in self.include],
            "destroy": [{"job": d.job, "stack": d.stack, "provider": d.provider} for d in self.destroy],
            "all": self.all,
            "matrix": {"include": [leg.to_json() for leg in self.deploy_legs()]},
            "destroy_matrix": {"include": [leg.to_json() for leg in self.destroy_legs()]},
        }

    def github_output(self) -> str:
        """Lines for ``$GITHUB_OUTPUT``: ``matrix`` and ``destroy`` are ready for ``fromJSON`` in a
        ``strategy.matrix`` (``{"include": [legs]}``); flags are ``true``/``false`` strings."""
        doc = self.to_json()
        lines = {
            "matrix": json.dumps(doc["matrix"], sort_keys=True, separators=(",", ":")),
            "destroy": json.dumps(doc["destroy_matrix"], sort_keys=True, separators=(",", ":")),
            "has_changes": _flag(bool(self.include or self.destroy)),
            "has_deploy": _flag(bool(self.include)),
            "has_destroy": _flag(bool(self.destroy)),
            "all": _flag(self.all),
            "base": self.base,
            "head": self.head,
        }
        return "".join(f"{key}={value}\n" for key, value in lines.items())


def _flag(value: bool) -> str:
    return "true" if value else "false"


@dataclass(frozen=True)
class _Entry:
    """One changed path of ``git diff --raw``."""

    status: str  # A, M, D, T (renames and copies are split into D + A)
    old_blob: str
    new_blob: str
    path: str  # relative to the project root


class Git:
    """Runs ``git`` in one repository; every failure becomes a :class:`JobError`."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        out = self.run(
            ["rev-parse", "--show-toplevel", "--show-prefix"],
            what="a git work tree",
            where=str(cwd),
            expected="a directory inside a git repository",
        )
        top, _, prefix = out.partition("\n")
        self.top = Path(top)
        #: The project root relative to the repository root ('' or 'sub/dir/').
        self.prefix = prefix.strip()

    def run(
        self,
        args: list[str],
        *,
        what: str,
        where: str = "git",
        expected: str | None = None,
        stdin: bytes | None = None,
    ) -> str:
        return self.run_bytes(args, what=what, where=where, expected=expected, stdin=stdin).decode(
            "utf-8", "replace"
        )

    def run_bytes(
        self,
        args: list[str],
        *,
        what: str,
        where: str = "git",
        expected: str | None = None,
        stdin: bytes | None = None,
    ) -> bytes:
        try:
            proc = subprocess.run(
                ["git", "-c", "core.quotepath=off", *args],
                cwd=self.cwd,
                input=stdin,
                capture_output=True,
                check=False,
            )
        except OSError as exc:
            raise JobError(
                where, 0, "", f"cannot run git ({exc.strerror or exc})", expected="git on PATH"
            ) from None
        if proc.returncode != 0:
            detail = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise JobError(
                where,
                0,
                "",
                f"cannot read {what}" + (f" ({detail[-1]})" if detail else ""),
                expected=expected,
            )
        return proc.stdout

    def commit(self, ref: str, option: str) -> str:
        """Full SHA of the commit ``ref`` names; a clear error when it names nothing."""
        if not ref or ref.startswith("-"):
            raise JobError.at(option, 0, "", "not a git revision", ref, _REF_EXPECTED)
        try:
            return self.run(
                ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"], what="revision"
            ).strip()
        except JobError:
            raise JobError.at(option, 0, "", "unknown git revision", ref, _REF_EXPECTED) from None

    def resolve(self, ref: str) -> str | None:
        """Full SHA of the commit ``ref`` names, or None when it names none in this clone."""
        if not ref or ref.startswith("-") or set(ref) == {"0"}:
            return None
        try:
            return self.commit(ref, "--base")
        except JobError:
            return None

    def merge_base(self, base: str, head: str) -> str:
        """The merge base of two commits, or ``base`` when they share no history."""
        proc = subprocess.run(
            ["git", "merge-base", base, head], cwd=self.cwd, capture_output=True, text=True, check=False
        )
        return proc.stdout.strip() if proc.returncode == 0 and proc.stdout.strip() else base

    def diff(self, base: str, head: str) -> list[_Entry]:
        """Changed paths under the project root, renames split into delete + add."""
        raw = self.run_bytes(
            [
                "diff",
                "--raw",
                "-z",
                "--no-renames",
                "--full-index",
                "--no-ext-diff",
                base,
                head,
                "--",
                self.top_path("."),
            ],
            what="the diff",
        )
        parts = raw.split(b"\0")
        entries: list[_Entry] = []
        for meta, path in zip(parts[0::2], parts[1::2], strict=False):
            if not meta.startswith(b":"):
                continue
            _, _, old_blob, new_blob, status = meta.decode().split(" ")
            entries.append(
                _Entry(status[:1], old_blob, new_blob, self.local(path.decode("utf-8", "replace")))
            )
        return entries

    def tree(self, commit: str, directory: str) -> dict[str, str]:
        """``{path: blob sha}`` of every file under ``directory`` (project-relative) at ``commit``."""
        raw = self.run_bytes(
            ["ls-tree", "-r", "-z", "--full-tree", commit, "--", self.top_path(directory)], what="the tree"
        )
        files: dict[str, str] = {}
        for record in raw.split(b"\0"):
            if not record:
                continue
            meta, _, path = record.partition(b"\t")
            _, kind, blob = meta.decode().split(" ")
            if kind == "blob":
                files[self.local(path.decode("utf-8", "replace"))] = blob
        return files

    def blobs(self, shas: Iterable[str]) -> dict[str, bytes]:
        """Contents of many blobs with one ``git cat-file --batch``."""
        wanted = sorted(set(shas) - {_ZERO_SHA})
        if not wanted:
            return {}
        out = self.run_bytes(
            ["cat-file", "--batch"], what="file contents", stdin="".join(f"{s}\n" for s in wanted).encode()
        )
        contents: dict[str, bytes] = {}
        pos = 0
        for sha in wanted:
            end = out.index(b"\n", pos)
            header = out[pos:end].decode().split(" ")
            if len(header) != 3:
                raise JobError.at("git", 0, "", "blob missing from the repository", sha, "a complete clone")
            size = int(header[2])
            contents[sha] = out[end + 1 : end + 1 + size]
            pos = end + 1 + size + 1
        return contents

    def top_path(self, local: str) -> str:
        """A project-relative path as a path relative to the repository root (for ``--full-tree``)."""
        joined = (
            posixpath.normpath(posixpath.join(self.prefix, local))
            if self.prefix
            else posixpath.normpath(local)
        )
        return ":/" + ("" if joined == "." else joined)

    def local(self, top_relative: str) -> str:
        """A repository-root-relative path (as git prints it) made project-relative."""
        return (
            top_relative[len(self.prefix) :]
            if self.prefix and top_relative.startswith(self.prefix)
            else top_relative
        )


_REF_EXPECTED = (
    "a branch, tag or commit present in this clone (in CI fetch it first, e.g. checkout with fetch-depth: 0)"
)


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
    """The platform settings file (:func:`~dativo_infra.settings.settings_path`, the rule the synth
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


def old_stack(document: PositionedDocument) -> tuple[str, str]:
    """``(stack, provider)`` of a job's old content, read leniently: ``tenant_id``, the job name and
    the provider (canonical or older dialect) without validating anything else, so that content
    today's code rejects still names the stack it deployed. Raises :class:`ErrorReport` (one
    positioned error per unusable field) when even that is impossible."""
    data = document.value
    raw = data.get("infrastructure")
    infra: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    positions = document
    if is_legacy(raw):
        try:
            positions = to_canonical(document)
            infra = positions.value["infrastructure"]
        except JobError:  # e.g. a compute type without a runtime: map only the keys needed here
            tags = infra.get("tags")
            infra = {
                "provider": infra.get("provider", infra.get("cloud_provider")),
                "tags": {snake(k) if isinstance(k, str) else k: v for k, v in tags.items()}
                if isinstance(tags, Mapping)
                else tags,
            }
    tags = infra.get("tags")
    found = {
        _TENANT: data.get("tenant_id"),
        _JOB_NAME: tags.get("job_name") if isinstance(tags, Mapping) else None,
        _PROVIDER: infra.get("provider"),
    }
    errors = [
        JobError.at(
            document.file,
            positions.line_of(path),
            dotted(path),
            "cannot tell which stack the old content deployed, so it cannot be destroyed",
            *(() if value is None else (value,)),
            expected="a non-empty string (fix the old commit's file or destroy its stack by hand)",
        )
        for path, value in found.items()
        if not isinstance(value, str) or not value.strip()
    ]
    if errors:
        raise ErrorReport(errors)
    tenant, job_name, provider = (str(found[p]).strip() for p in (_TENANT, _JOB_NAME, _PROVIDER))
    return stack_name(tenant, job_name), provider.lower()


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

    # Every job at head is read (asset references) and validated (its stack, one stack per job).
    errors: dict[str, list[JobError]] = {}
    documents: dict[str, PositionedDocument] = {}
    loaded: dict[str, LoadedJob] = {}
    for path in sorted(head_files):
        try:
            documents[path] = parse_bytes(contents[head_files[path]], path)
            loaded[path] = validate_document(documents[path], Path(path))
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
        except JobError as exc:
            report.add(exc)
            continue
        except ErrorReport as exc:
            report.extend(exc.errors)
            continue
        if stack not in head_stacks:  # else the stack still belongs to a job at head (e.g. a moved file)
            destroy.add(Destroy(entry.path, stack, provider))

    for item in [*include, *destroy]:
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
        print(f"warning: {warning}", file=sys.stderr)
    print(json.dumps(changes.to_json(), indent=2, sort_keys=True))
    if output:
        try:
            with open(output, "a", encoding="utf-8") as handle:
                handle.write(changes.github_output())
        except OSError as exc:
            raise JobError(output, 0, "", f"cannot append to GITHUB_OUTPUT ({exc.strerror or exc})") from None
    return 0
