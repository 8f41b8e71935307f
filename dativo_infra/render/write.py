"""Writing rendered jobs, and the two forms of ``dativo-infra render`` (:func:`render_one`,
:func:`render_batch`): every job is rendered in memory first (:mod:`dativo_infra.render.jobs`), then
the results are written all or nothing, atomically, under a lock in each target directory. The rules
are in :mod:`dativo_infra.render`.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from dativo_infra.config.loaded import LoadedJob
from dativo_infra.config.loader import load_jobs
from dativo_infra.config.yamlpos import display_path
from dativo_infra.errors import ErrorReport, JobError
from dativo_infra.fsutil import atomic_write_many
from dativo_infra.render.jobs import RenderResult, render_job
from dativo_infra.render.outputs import OutputsSource

#: Name of the lock file a writer holds in every directory it writes to.
LOCK_NAME = ".dativo-render.lock"
#: Seconds a render waits for another render's lock before it gives up.
DEFAULT_LOCK_TIMEOUT = 60.0


def _read_text(path: Path) -> tuple[str, bool]:
    """A job file's text now (BOM removed) and whether it has a BOM: to see whether it changed since
    it was loaded."""
    file = display_path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise JobError(file, 0, "", f"cannot read file ({exc.strerror or exc})") from None
    try:
        return raw.decode("utf-8-sig"), raw.startswith(b"\xef\xbb\xbf")
    except UnicodeDecodeError as exc:
        raise JobError(file, raw[: exc.start].count(b"\n") + 1, "", "file is not UTF-8 text") from None


@contextlib.contextmanager
def directory_locks(directories: Sequence[Path], timeout: float = DEFAULT_LOCK_TIMEOUT) -> Iterator[None]:
    """Hold an exclusive lock on ``.dativo-render.lock`` in each directory (created if needed).

    Directories are locked in sorted order, so two writers never deadlock. A lock held by another
    process (or another open of the file in this one) is waited for up to ``timeout`` seconds.
    """
    handles: list[Any] = []
    try:
        for directory in sorted({d.resolve() for d in directories}):
            directory.mkdir(parents=True, exist_ok=True)
            lock_path = directory / LOCK_NAME
            handle = open(lock_path, "a")  # noqa: SIM115 - held until the with-block ends
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        handle.close()
                        raise JobError(
                            display_path(lock_path),
                            0,
                            "",
                            "another render is writing files in this directory",
                            f"the lock still held after {timeout:g} s",
                            "that render to finish first",
                        ) from None
                    time.sleep(0.05)
            handles.append(handle)
        yield
    finally:
        for handle in reversed(handles):
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            handle.close()


def _differs(target: Path, data: str) -> bool:
    """Whether writing ``data`` would change ``target`` (a missing file always changes)."""
    try:
        return target.read_bytes() != data.encode("utf-8")
    except FileNotFoundError:
        return True


def write_results(
    results: Sequence[RenderResult],
    allow_sensitive: bool = False,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    copies: Sequence[tuple[Path, Path]] = (),
) -> list[RenderResult]:
    """Write every result that has a target and a change; return those written. ``copies`` are
    ``(source, target)`` files written unchanged in the same batch (the asset definitions of jobs
    rendered into another directory), when the target differs.

    Under the directory locks each source is read again: a job file changed since it was rendered
    is rendered again from its new text, and any error then still stops the run before a write.
    """
    targets = [r for r in results if r.target is not None]
    paths = [r.target for r in targets if r.target is not None]
    if not paths:
        return []
    try:
        directories = [path.parent for path in paths] + [target.parent for _source, target in copies]
        with directory_locks(directories, lock_timeout):
            report = ErrorReport()
            for result in targets:
                try:
                    current, bom = _read_text(result.job.path)
                except JobError as exc:
                    report.add(exc)
                    continue
                if current != result.original or bom != result.bom:
                    try:
                        again = render_job(
                            result.job, result.outputs, result.target, allow_sensitive, (current, bom)
                        )
                    except ErrorReport as exc:
                        report.extend(exc.errors)
                        continue
                    # the caller's result describes what is written
                    result.original, result.text, result.bom, result.filled = (
                        again.original,
                        again.text,
                        again.bom,
                        again.filled,
                    )
            # asset definitions are copied as they are (the loader read them as UTF-8; a BOM stays)
            copied: list[tuple[Path, str, Path]] = []
            for source, target in copies:
                try:
                    copied.append((target, source.read_text(encoding="utf-8"), source))
                except (OSError, UnicodeDecodeError) as exc:
                    report.add(JobError(display_path(source), 0, "", f"cannot read asset definition ({exc})"))
            report.raise_if_any()
            pending = [r for r in targets if r.target is not None and _differs(r.target, r.data)]
            # a new copy gets the job file's permissions, not the temp file's 0600
            files = [(r.target, r.data, r.job.path.stat().st_mode & 0o777) for r in pending if r.target]
            files += [
                (target, data, source.stat().st_mode & 0o777)
                for target, data, source in copied
                if _differs(target, data)
            ]
            atomic_write_many(files)
            for result in pending:
                result.written = True
            return pending
    except OSError as exc:
        named = exc.filename2 or exc.filename  # a replace names its target second
        where = display_path(Path(named) if named else paths[0])
        raise JobError(
            where,
            0,
            "",
            f"cannot write ({exc.strerror or exc})",
            None,
            "a writable file path whose parent is a directory",
        ) from None


def _job_target(job: LoadedJob, out: Path | str | None, in_place: bool) -> Path | None:
    """Where ``--out`` puts a job: into ``out`` when it is a directory (or ends with '/'), else ``out``."""
    if in_place:
        return job.path
    if out is None:
        return None
    if Path(out).is_dir() or str(out).endswith(("/", os.sep)):
        return Path(out) / job.path.name
    return Path(out)


def render_one(
    job_path: Path,
    outputs_path: Path,
    out: Path | str | None = None,
    in_place: bool = False,
    allow_sensitive: bool = False,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> RenderResult:
    """``dativo-infra render --job``: render one job file; write it unless ``out`` is None and not
    ``in_place`` (then the caller prints :attr:`RenderResult.text`)."""
    jobs = load_jobs([str(job_path)], rendered=True)
    if len(jobs) != 1:
        raise JobError.at(
            str(job_path), 0, "", "expected exactly one job", f"{len(jobs)} jobs", "one job file"
        )
    job = jobs[0]
    source = OutputsSource(outputs_path)
    if source.is_dir and not source.has(job.stack_name):
        raise source.missing(job)
    result = render_job(
        job, source.for_stack(job.stack_name), _job_target(job, out, in_place), allow_sensitive
    )
    write_results([result], allow_sensitive, lock_timeout)
    return result


def render_batch(
    jobs_dir: Path,
    outputs_path: Path,
    out_dir: Path | None = None,
    in_place: bool = False,
    allow_sensitive: bool = False,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> list[RenderResult]:
    """``dativo-infra render --jobs``: render every job under ``jobs_dir``.

    Outputs come from a directory of ``<stack>.json`` files or from one cdktf outputs file. The
    results go to ``out_dir`` (mirroring each job's path relative to ``jobs_dir``, with the asset
    definitions the jobs reference, so that their ``asset_path`` still resolves) or back into the
    job files (``in_place``). Every job is rendered in memory first; any error (a job without
    outputs, an unresolved placeholder) stops the run before anything is written.
    """
    if (out_dir is None) == (not in_place):
        raise JobError("render", 0, "", "a batch render needs exactly one of --out DIR and --in-place")
    jobs = load_jobs([str(jobs_dir)], rendered=True)
    source = OutputsSource(outputs_path)
    report = ErrorReport()
    if not source.is_dir:
        try:
            whole = source.file(outputs_path)
        except JobError as exc:
            raise ErrorReport([exc]) from None
        if whole.shape == "terraform":
            raise ErrorReport(
                [
                    JobError(
                        whole.file,
                        0,
                        "",
                        "a `terraform output -json` file holds the outputs of one stack",
                        f"{len(jobs)} jobs under {display_path(jobs_dir)}",
                        "a cdktf outputs file ({stack: {name: value}}) or a directory of <stack>.json files",
                    )
                ]
            )
    results: list[RenderResult] = []
    for job in jobs:
        if not source.has(job.stack_name):
            report.add(source.missing(job))
            continue
        target = job.path if out_dir is None else out_dir / os.path.relpath(job.path, jobs_dir)
        try:
            results.append(render_job(job, source.for_stack(job.stack_name), target, allow_sensitive))
        except ErrorReport as exc:
            report.extend(exc.errors)
        except JobError as exc:
            report.add(exc)
    report.raise_if_any()
    write_results(results, allow_sensitive, lock_timeout, _asset_copies(jobs, jobs_dir, out_dir))
    return results


def _asset_copies(jobs: Sequence[LoadedJob], jobs_dir: Path, out_dir: Path | None) -> list[tuple[Path, Path]]:
    """``(source, target)`` of each asset definition under ``jobs_dir`` that jobs rendered into
    ``out_dir`` reference, so that their ``asset_path`` still resolves there (none in place)."""
    if out_dir is None:
        return []
    root = jobs_dir.resolve()
    copies: dict[Path, Path] = {}
    for job in jobs:
        if job.asset is None or job.config.asset_path is None:
            continue
        source = (job.path.parent / job.config.asset_path).resolve()
        if source.is_relative_to(root):
            copies[source] = out_dir / source.relative_to(root)
    return sorted(copies.items())
