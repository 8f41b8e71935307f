"""Which jobs a change between two git revisions affects: the matrix of a per-job CI deploy.

``detect(base, head)`` compares the two commits (like ``git diff base...head``: from their merge
base, so a pull request sees only its own changes even when the target branch moved on) and
decides, from the committed content only (never the working tree):

* a job file added or modified at ``head`` -> **deploy** it;
* a job file deleted -> **destroy** its stack, the stack name computed from the file's content at
  the merge base (the file is gone at ``head``). A job file whose tenant or job name changed also
  destroys its old stack (a stack name is the identity of its state). A renamed file is a delete
  plus an add; when both sides map to the same stack nothing is destroyed (the state is keyed by
  the stack, so the deploy simply updates it);
* anything shared changed (:data:`SHARED_FILES`, :data:`SHARED_DIRS`, the platform settings file
  ``<jobs_dir>/platform.yaml``) -> **every** job at ``head`` is deployed;
* a file that a job's top-level ``asset_path`` points to (relative to the job file) changed ->
  deploy every job that references it.

Job files are recognised exactly as :func:`dativo_infra.config.loader.discover` does (``*.yaml`` /
``*.yml`` under the jobs directory, not ``platform.yaml``, not under ``assets/``, ``outputs/``,
``rendered/`` or a dot-directory). Jobs to deploy are validated like ``dativo-infra validate``; any
error is raised as one :class:`~dativo_infra.errors.ErrorReport`. Old content that does not
validate could never have been deployed, so it yields no destroy (a deleted one: with a warning).

Pure Python plus the ``git`` executable; no cdktf or jsii import.
"""

from __future__ import annotations

import json
import os
import posixpath
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from dativo_infra.config import schema
from dativo_infra.config.dialect import to_canonical
from dativo_infra.config.loader import JOB_SUFFIXES, NON_JOB_DIRS, NON_JOB_FILES, convert_errors
from dativo_infra.config.yamlpos import MAX_FILE_BYTES, PositionedDocument, parse_positioned
from dativo_infra.errors import ErrorReport, JobError
from dativo_infra.naming import stack_name

#: Files (relative to the project root) whose change affects every job's synthesized stack.
SHARED_FILES = ("app.py", "cdktf.json", "pyproject.toml", "package.json", "package-lock.json")
#: Directories (relative to the project root) whose change affects every job.
SHARED_DIRS = ("dativo_infra/", "schemas/")
#: The platform settings file names at the root of the jobs directory (every job uses them).
SETTINGS_FILES = tuple(sorted(NON_JOB_FILES))

_ZERO_SHA = "0" * 40


@dataclass(frozen=True, order=True)
class Deploy:
    """A job to synthesize and deploy: one leg of the deploy matrix."""

    job: str  # path relative to the project root (the working directory of ``cdktf``)
    stack: str
    provider: str  # aws | azure | gcp


@dataclass(frozen=True, order=True)
class Destroy:
    """A stack to destroy: its job file as it was at the merge base (``base`` commit)."""

    job: str
    stack: str
    provider: str


@dataclass(frozen=True)
class ChangeSet:
    """The result of :func:`detect`. Lists are sorted; the JSON form is deterministic."""

    include: list[Deploy]
    destroy: list[Destroy]
    all: bool  # True when shared code or settings changed (every job is in ``include``)
    base: str  # the commit the diff starts from (merge base of --base and --head), full SHA
    head: str  # full SHA of --head
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """``{"include": [...], "destroy": [...], "all": bool}``: the document printed to stdout."""
        return {
            "include": [{"job": d.job, "stack": d.stack, "provider": d.provider} for d in self.include],
            "destroy": [{"job": d.job, "stack": d.stack, "provider": d.provider} for d in self.destroy],
            "all": self.all,
        }

    def github_output(self) -> str:
        """Lines for ``$GITHUB_OUTPUT``: ``matrix`` and ``destroy`` are ready for ``fromJSON`` in a
        ``strategy.matrix`` (``{"include": [...]}``); flags are ``true``/``false`` strings."""
        doc = self.to_json()
        lines = {
            "matrix": json.dumps({"include": doc["include"]}, sort_keys=True, separators=(",", ":")),
            "destroy": json.dumps({"include": doc["destroy"]}, sort_keys=True, separators=(",", ":")),
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
        out = self.run(["rev-parse", "--show-toplevel", "--show-prefix"], what="a git work tree",
                       where=str(cwd), expected="a directory inside a git repository")
        top, _, prefix = out.partition("\n")
        self.top = Path(top)
        #: The project root relative to the repository root ('' or 'sub/dir/').
        self.prefix = prefix.strip()

    def run(self, args: list[str], *, what: str, where: str = "git", expected: str | None = None,
            stdin: bytes | None = None) -> str:
        return self.run_bytes(args, what=what, where=where, expected=expected, stdin=stdin).decode("utf-8", "replace")

    def run_bytes(self, args: list[str], *, what: str, where: str = "git", expected: str | None = None,
                  stdin: bytes | None = None) -> bytes:
        try:
            proc = subprocess.run(["git", "-c", "core.quotepath=off", *args], cwd=self.cwd, input=stdin,
                                  capture_output=True, check=False)
        except OSError as exc:
            raise JobError(where, 0, "", f"cannot run git ({exc.strerror or exc})", expected="git on PATH") from None
        if proc.returncode != 0:
            detail = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise JobError(where, 0, "", f"cannot read {what}" + (f" ({detail[-1]})" if detail else ""),
                           expected=expected)
        return proc.stdout

    def commit(self, ref: str, option: str) -> str:
        """Full SHA of the commit ``ref`` names; a clear error when it names nothing."""
        if not ref or ref.startswith("-"):
            raise JobError.at(option, 0, "", "not a git revision", ref, _REF_EXPECTED)
        try:
            return self.run(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"],
                            what="revision").strip()
        except JobError:
            raise JobError.at(option, 0, "", "unknown git revision", ref, _REF_EXPECTED) from None

    def merge_base(self, base: str, head: str) -> str:
        """The merge base of two commits, or ``base`` when they share no history."""
        proc = subprocess.run(["git", "merge-base", base, head], cwd=self.cwd, capture_output=True, text=True,
                              check=False)
        return proc.stdout.strip() if proc.returncode == 0 and proc.stdout.strip() else base

    def diff(self, base: str, head: str) -> list[_Entry]:
        """Changed paths under the project root, renames split into delete + add."""
        raw = self.run_bytes(["diff", "--raw", "-z", "--no-renames", "--full-index", "--no-ext-diff",
                              base, head, "--", self.top_path(".")], what="the diff")
        parts = raw.split(b"\0")
        entries: list[_Entry] = []
        for meta, path in zip(parts[0::2], parts[1::2], strict=False):
            if not meta.startswith(b":"):
                continue
            _, _, old_blob, new_blob, status = meta.decode().split(" ")
            entries.append(_Entry(status[:1], old_blob, new_blob, self.local(path.decode("utf-8", "replace"))))
        return entries

    def tree(self, commit: str, directory: str) -> dict[str, str]:
        """``{path: blob sha}`` of every file under ``directory`` (project-relative) at ``commit``."""
        raw = self.run_bytes(["ls-tree", "-r", "-z", "--full-tree", commit, "--", self.top_path(directory)],
                             what="the tree")
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
        out = self.run_bytes(["cat-file", "--batch"], what="file contents", stdin="".join(f"{s}\n" for s in wanted).encode())
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
        joined = posixpath.normpath(posixpath.join(self.prefix, local)) if self.prefix else posixpath.normpath(local)
        return ":/" + ("" if joined == "." else joined)

    def local(self, top_relative: str) -> str:
        """A repository-root-relative path (as git prints it) made project-relative."""
        return top_relative[len(self.prefix):] if self.prefix and top_relative.startswith(self.prefix) else top_relative


_REF_EXPECTED = "a branch, tag or commit present in this clone (in CI fetch it first, e.g. checkout with fetch-depth: 0)"


def is_job_path(path: str, jobs_dir: str) -> bool:
    """Whether the project-relative ``path`` is a job file under ``jobs_dir`` (the loader's rules)."""
    root = "" if jobs_dir in ("", ".") else jobs_dir.rstrip("/") + "/"
    if not path.startswith(root):
        return False
    parts = path[len(root):].split("/")
    return (path.endswith(JOB_SUFFIXES) and parts[-1] not in NON_JOB_FILES
            and not NON_JOB_DIRS.intersection(parts[:-1]) and not any(p.startswith(".") for p in parts))


def is_shared_path(path: str, jobs_dir: str) -> bool:
    """Whether a change to ``path`` (project-relative) affects every job."""
    root = "" if jobs_dir in ("", ".") else jobs_dir.rstrip("/") + "/"
    return (path in SHARED_FILES or path.startswith(SHARED_DIRS)
            or any(path == root + name for name in SETTINGS_FILES))


def asset_target(job_path: str, document: PositionedDocument) -> str | None:
    """The project-relative path a job's top-level ``asset_path`` points to, or None."""
    value = document.value.get("asset_path") if isinstance(document.value, Mapping) else None
    if not isinstance(value, str) or not value.strip():
        return None
    return posixpath.normpath(posixpath.join(posixpath.dirname(job_path), value.strip()))


def parse_document(data: bytes, file: str) -> PositionedDocument:
    """A job file's bytes as a positioned document (the loader's size and encoding rules)."""
    if len(data) > MAX_FILE_BYTES:
        raise JobError(file, 0, "", "file is too large", f"{len(data)} bytes", f"at most {MAX_FILE_BYTES} bytes")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise JobError(file, data[: exc.start].count(b"\n") + 1, "", "file is not UTF-8 text",
                       f"byte 0x{data[exc.start]:02x}", "UTF-8") from None
    return parse_positioned(text, file)


def validate_document(document: PositionedDocument) -> schema.JobConfig:
    """Validate a parsed job document exactly like :func:`~dativo_infra.config.loader.load_job`."""
    canonical = to_canonical(document)
    try:
        return schema.JobConfig.model_validate(canonical.value)
    except ValidationError as exc:
        raise ErrorReport(convert_errors(exc, canonical)) from None


def _job_of(data: bytes, file: str) -> tuple[str, str]:
    """(stack, provider) of a job file's content; raises ErrorReport with every error."""
    try:
        config = validate_document(parse_document(data, file))
    except JobError as exc:
        raise ErrorReport([exc]) from None
    return stack_name(config.tenant_id, config.job_name), config.infrastructure.provider.value


def normalize_jobs_dir(jobs_dir: str) -> str:
    """``jobs_dir`` as a clean project-relative POSIX path ('' for the project root)."""
    if os.path.isabs(jobs_dir):
        jobs_dir = os.path.relpath(jobs_dir)
    clean = posixpath.normpath(Path(jobs_dir).as_posix())
    if clean.startswith("../") or clean == "..":
        raise JobError.at("--jobs-dir", 0, "", "outside the project", jobs_dir, "a directory inside the project")
    return "" if clean == "." else clean


def detect(base: str, head: str = "HEAD", jobs_dir: str = "jobs", cwd: Path | None = None) -> ChangeSet:
    """The jobs a change from ``base`` to ``head`` affects (see the module docstring).

    ``cwd`` is the project root inside a git work tree (default: the current directory); job paths
    in the result are relative to it. Raises :class:`JobError` for a bad revision or a missing
    repository and :class:`ErrorReport` for invalid job files that would be deployed.
    """
    git = Git(cwd or Path.cwd())
    jobs_dir = normalize_jobs_dir(jobs_dir)
    base_sha = git.commit(base, "--base")
    head_sha = git.commit(head, "--head")
    start = git.merge_base(base_sha, head_sha)
    entries = git.diff(start, head_sha)
    head_jobs = git.tree(head_sha, jobs_dir or ".")
    head_jobs = {p: b for p, b in head_jobs.items() if is_job_path(p, jobs_dir)}

    everything = any(is_shared_path(e.path, jobs_dir) for e in entries)
    job_entries = [e for e in entries if is_job_path(e.path, jobs_dir)]
    other_paths = {e.path for e in entries if not is_job_path(e.path, jobs_dir) and not is_shared_path(e.path, jobs_dir)}

    selected = set(head_jobs) if everything else {e.path for e in job_entries if e.status != "D"} & set(head_jobs)
    # Asset definitions: only worth reading every job when some non-job file changed.
    need_scan = not everything and bool(other_paths)
    contents = git.blobs([*(head_jobs[p] for p in (head_jobs if need_scan else selected) if p in head_jobs),
                          *(e.old_blob for e in job_entries if e.status in ("D", "M", "T"))])
    report = ErrorReport()
    if need_scan:
        for path, blob in head_jobs.items():
            if path in selected:
                continue
            try:
                target = asset_target(path, parse_document(contents[blob], path))
            except JobError as exc:
                report.add(exc)
                continue
            if target in other_paths:
                selected.add(path)

    include: list[Deploy] = []
    for path in sorted(selected):
        try:
            stack, provider = _job_of(contents[head_jobs[path]], path)
        except ErrorReport as exc:
            report.extend(exc.errors)
            continue
        include.append(Deploy(path, stack, provider))
    report.raise_if_any()

    deployed = {d.stack for d in include}
    destroy: set[Destroy] = set()
    warnings: list[str] = []
    for entry in job_entries:
        if entry.status == "A":
            continue
        try:
            stack, provider = _job_of(contents[entry.old_blob], f"{start[:12]}:{entry.path}")
        except ErrorReport as exc:
            if entry.status == "D":
                warnings.append(f"{entry.path}: deleted, but its old content does not validate, so no stack "
                                f"is destroyed (it could not have been deployed):\n{exc}")
            continue
        if stack in deployed:
            continue  # the stack still exists at head (a moved file): the deploy updates it in place
        destroy.add(Destroy(entry.path, stack, provider))
    return ChangeSet(sorted(include), sorted(destroy), everything, start, head_sha, warnings)


def main_command(base: str, head: str, jobs_dir: str, github_output: bool) -> int:
    """The ``dativo-infra changed`` command: print the JSON, optionally append to ``$GITHUB_OUTPUT``."""
    output = os.environ.get("GITHUB_OUTPUT", "") if github_output else ""
    if github_output and not output:
        raise JobError.at("--github-output", 0, "", "GITHUB_OUTPUT is not set", "nothing",
                          "the path of the step output file (set by GitHub Actions)")
    changes = detect(base, head, jobs_dir)
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
