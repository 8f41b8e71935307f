"""Writing rendered jobs, and the two forms of ``dativo-infra render`` (:func:`render_one`,
:func:`render_batch`): every job is rendered in memory first (:mod:`dativo_infra.render.jobs`), then
the results are written all or nothing, atomically, under a lock in each target directory. The rules
are in :mod:`dativo_infra.render`.

``--in-place`` specifics:

* **Symbolic links are written through.** A job file that is a symbolic link is rendered into the
  file the link points to (resolved to its real path): the new text is written atomically beside
  that real file and replaces it, and the link stays a link. The report names the real file.
* **Read-only jobs are refused.** A job file its owner may not write (no owner write bit, or no
  write access for this process) is an error before anything is written, for every job of the run.
* **One render at a time per file.** The directory locks of the job files are taken *before* the
  jobs are loaded and held until they are written, so concurrent in-place renders of one file run
  one after the other: the first fills the placeholders, the next ones load the rendered file and
  report truthfully that nothing was left to fill ("0 placeholder(s), unchanged").
"""

from __future__ import annotations

import fcntl
import os
import stat
import time
from collections.abc import Collection, Sequence
from pathlib import Path

from dativo_infra.config.loaded import LoadedJob
from dativo_infra.config.loader import collector_paused, discover, find_jobs, load_found, load_jobs
from dativo_infra.config.yamlpos import display_path, read_bounded
from dativo_infra.errors import ErrorReport, JobError
from dativo_infra.fsutil import atomic_write_many
from dativo_infra.render.jobs import JobRef, RenderResult, render_job, render_with
from dativo_infra.render.outputs import OutputsSource
from dativo_infra.render.parallel import load_and_render, render_workers

#: Seconds a render waits for another render's lock before it gives up.
DEFAULT_LOCK_TIMEOUT = 60.0


def _read_text(path: Path, file: str) -> tuple[str, bool]:
    """A job file's text now (BOM removed) and whether it has a BOM: to see whether it changed since
    it was loaded (read as the loader reads it: :func:`~dativo_infra.config.yamlpos.read_bounded`;
    ``file``: the path as messages show it)."""
    raw = read_bounded(path, file)
    try:
        return raw.decode("utf-8-sig"), raw.startswith(b"\xef\xbb\xbf")
    except UnicodeDecodeError as exc:
        raise JobError(file, raw[: exc.start].count(b"\n") + 1, "", "file is not UTF-8 text") from None


class directory_locks:
    """Hold an exclusive ``flock`` on each directory itself (created if needed): no lock file is
    ever written, so a render that is refused leaves the directories exactly as they were.

    Directories are locked in sorted order, so two writers never deadlock. A lock held by another
    process (or another open of the file in this one) is waited for up to ``timeout`` seconds.
    (A class, not a generator context manager: those assign ``__traceback__`` to an exception
    passing through them, which a frozen :class:`JobError` refuses.)
    """

    def __init__(self, directories: Sequence[Path], timeout: float = DEFAULT_LOCK_TIMEOUT) -> None:
        self.directories = sorted({d.resolve() for d in set(directories)})  # each directory resolved once
        self.timeout = timeout
        self._handles: list[int] = []

    def __enter__(self) -> list[Path]:
        """Take the locks; return the (resolved) directories locked."""
        try:
            for directory in self.directories:
                self._handles.append(self._lock(directory))
        except BaseException:
            self._release()
            raise
        return self.directories

    def _lock(self, directory: Path) -> int:
        directory.mkdir(parents=True, exist_ok=True)
        handle = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return handle
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(handle)
                    raise JobError(
                        display_path(directory),
                        0,
                        "",
                        "another render is writing files in this directory",
                        f"the lock still held after {self.timeout:g} s",
                        "that render to finish first",
                    ) from None
                time.sleep(0.05)

    def _release(self) -> None:
        for handle in reversed(self._handles):
            fcntl.flock(handle, fcntl.LOCK_UN)
            os.close(handle)
        self._handles = []

    def __exit__(self, *_exc: object) -> None:
        self._release()


class _held_locks(directory_locks):
    """:func:`directory_locks` taken before jobs are loaded (in place): a file system error while
    locking is a :class:`JobError`."""

    def __enter__(self) -> list[Path]:
        try:
            return super().__enter__()
        except OSError as exc:
            where = display_path(Path(exc.filename)) if exc.filename else "render"
            raise JobError(where, 0, "", f"cannot lock ({exc.strerror or exc})") from None


def _differs(target: Path, data: str, report: ErrorReport) -> bool:
    """Whether writing ``data`` would change ``target`` (a missing file always changes). A target that
    is not a regular file (a FIFO, a device, a directory) is an error added to ``report``: it is never
    read or replaced."""
    if not os.path.lexists(target):  # nothing there (what reading it would find out, in one call)
        return True
    encoded = data.encode("utf-8")
    file = display_path(target)
    try:
        return read_bounded(target, file, len(encoded)) != encoded
    except JobError as exc:
        if exc.problem == "file is too large":
            return True
        if exc.problem.startswith("cannot read file") and not os.path.lexists(target):
            return True
        report.add(exc)
        return False


def _read_only(result: RenderResult) -> JobError | None:
    """The error for an in-place render of a job file that may not be written (None: it may)."""
    if result.target is None:
        return None
    try:  # first: a new --out file fails this cheaply, without resolving the job's path
        mode = os.stat(result.target).st_mode
    except OSError:
        return None  # not the job file, or reported when it is read again
    if result.target != _real(result.job.path):
        return None
    if mode & stat.S_IWUSR and os.access(result.target, os.W_OK):
        return None
    return JobError(
        result.job.file,
        0,
        "",
        "job file is read-only",
        f"mode {stat.S_IMODE(mode):04o}",
        "a job file its owner may write (chmod u+w) to render it in place, or --out",
    )


def _real(path: Path) -> Path:
    """``path`` with every symbolic link resolved (an in-place render writes the real file)."""
    return path.resolve()


def write_results(
    results: Sequence[RenderResult],
    allow_sensitive: bool = False,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    copies: Sequence[tuple[Path, Path]] = (),
    held: Collection[Path] = (),
) -> list[RenderResult]:
    """Write every result that has a target and a change; return those written. ``copies`` are
    ``(source, target)`` files written unchanged in the same batch (the asset definitions of jobs
    rendered into another directory), when the target differs. ``held``: resolved directories whose
    locks the caller holds already (they are not locked again).

    Under the directory locks each source is read again: a job file changed since it was rendered
    is rendered again from its new text, and any error then still stops the run before a write.
    An in-place target that is read-only stops the run too (:func:`_read_only`).
    """
    targets = [r for r in results if r.target is not None]
    paths = [r.target for r in targets if r.target is not None]
    if not paths:
        return []
    try:
        directories = {path.parent for path in paths} | {target.parent for _source, target in copies}
        to_lock = [d for d in directories if d.resolve() not in held]  # each directory once
        with directory_locks(to_lock, lock_timeout):
            report = ErrorReport([error for error in map(_read_only, targets) if error is not None])
            for result in targets:
                try:
                    current, bom = _read_text(result.job.path, result.job.file)
                except JobError as exc:
                    report.add(exc)
                    continue
                if current != result.original or bom != result.bom:
                    try:
                        job, outputs = result.loaded()
                        again = render_job(job, outputs, result.target, allow_sensitive, (current, bom))
                    except ErrorReport as exc:
                        report.extend(exc.errors)
                        continue
                    except JobError as exc:  # a reloaded job's asset or outputs file is now unreadable
                        report.add(exc)
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
                    text = read_bounded(source, display_path(source)).decode("utf-8")
                except JobError as exc:
                    report.add(exc)
                    continue
                except UnicodeDecodeError:
                    report.add(JobError(display_path(source), 0, "", "file is not UTF-8 text"))
                    continue
                copied.append((target, text, source))
            pending = [r for r in targets if r.target is not None and _differs(r.target, r.data, report)]
            # a new copy gets the job file's permissions, not the temp file's 0600
            files = [(r.target, r.data, r.job.path.stat().st_mode & 0o777) for r in pending if r.target]
            files += [
                (target, data, source.stat().st_mode & 0o777)
                for target, data, source in copied
                if _differs(target, data, report)
            ]
            report.raise_if_any()
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
        return _real(job.path)
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
    ``in_place`` (then the caller prints :attr:`RenderResult.text`). In place, the job file's
    directory is locked before the job is loaded (see the module docstring)."""
    directories = [_real(job_path).parent] if in_place and job_path.is_file() else []
    with _held_locks(directories, lock_timeout) as held:
        return _render_one(job_path, outputs_path, out, in_place, allow_sensitive, lock_timeout, held)


def _render_one(
    job_path: Path,
    outputs_path: Path,
    out: Path | str | None,
    in_place: bool,
    allow_sensitive: bool,
    lock_timeout: float,
    held: Collection[Path],
) -> RenderResult:
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
    write_results([result], allow_sensitive, lock_timeout, held=held)
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
    directories = [_real(path).parent for path in discover([str(jobs_dir)])] if in_place else []
    with _held_locks(directories, lock_timeout) as held, collector_paused():
        return _render_batch(jobs_dir, outputs_path, out_dir, allow_sensitive, lock_timeout, held)


def _render_batch(
    jobs_dir: Path,
    outputs_path: Path,
    out_dir: Path | None,
    allow_sensitive: bool,
    lock_timeout: float,
    held: Collection[Path],
) -> list[RenderResult]:
    report = ErrorReport()
    files, settings = find_jobs([str(jobs_dir)], None, report)
    workers = render_workers(len(files))
    source = OutputsSource(outputs_path)
    rendered: Sequence[tuple[LoadedJob | JobRef, RenderResult | list[JobError]]]
    if workers > 1:
        # read before the fork (each worker then has it); reported only after the jobs' own errors
        whole_file = _whole_file_error(source, outputs_path, len(files), jobs_dir)
        rendered = load_and_render(files, settings, source, allow_sensitive, workers, report)
        if whole_file is not None:
            raise whole_file
    else:
        jobs = load_found(files, settings, report, rendered=True)
        whole_file = _whole_file_error(source, outputs_path, len(jobs), jobs_dir)
        if whole_file is not None:
            raise whole_file
        rendered = [(job, render_with(source, job, None, allow_sensitive)) for job in jobs]
    results: list[RenderResult] = []
    for job, result in rendered:
        if isinstance(result, list):
            report.extend(result)
            continue
        result.target = _real(job.path) if out_dir is None else out_dir / os.path.relpath(job.path, jobs_dir)
        results.append(result)
    report.raise_if_any()
    copies = _asset_copies([job for job, _result in rendered], jobs_dir, out_dir)
    write_results(results, allow_sensitive, lock_timeout, copies, held)
    return results


def _whole_file_error(
    source: OutputsSource, outputs_path: Path, jobs: int, jobs_dir: Path
) -> ErrorReport | None:
    """The error of a batch whose one outputs file cannot serve it (unreadable, not an outputs file,
    or the outputs of a single stack); None: a directory of outputs files, or a file that can."""
    if source.is_dir:
        return None
    try:
        whole = source.file(outputs_path)
    except JobError as exc:
        return ErrorReport([exc])
    if whole.shape != "terraform":
        return None
    return ErrorReport(
        [
            JobError(
                whole.file,
                0,
                "",
                "a `terraform output -json` file holds the outputs of one stack",
                f"{jobs} jobs under {display_path(jobs_dir)}",
                "a cdktf outputs file ({stack: {name: value}}) or a directory of <stack>.json files",
            )
        ]
    )


def _asset_copies(
    jobs: Sequence[LoadedJob | JobRef], jobs_dir: Path, out_dir: Path | None
) -> list[tuple[Path, Path]]:
    """``(source, target)`` of each asset definition under ``jobs_dir`` that jobs rendered into
    ``out_dir`` reference, so that their ``asset_path`` still resolves there (none in place)."""
    if out_dir is None:
        return []
    root = jobs_dir.resolve()
    copies: dict[Path, Path] = {}
    for job in jobs:
        source = job.asset_file
        if source is not None and source.is_relative_to(root):
            copies[source] = out_dir / source.relative_to(root)
    return sorted(copies.items())
