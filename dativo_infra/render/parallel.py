"""Load and render a large batch of jobs in worker processes, one per core (``render --jobs``).

Loading, validating and filling the placeholders of a job is pure Python, about 0.6 ms of one core
per job. A batch of at least :data:`PARALLEL_MIN_JOBS` job files is split into contiguous shares,
loaded and rendered by forked worker processes (forked after the imports: a worker imports nothing;
Linux only), each doing exactly what the single-process path does for a job
(:func:`~dativo_infra.config.loader.load_job`, :func:`~dativo_infra.tags.check_tags`,
:func:`~dativo_infra.render.jobs.render_with`). A worker writes nothing: it sends back, per job file,
its errors or what the parent needs to report and write it (a :class:`~.jobs.JobRef`'s fields, the
text read and the rendered text, or the errors of rendering it): pickling the loaded jobs back
would cost about as much as loading them. The parent checks the whole batch as
:func:`~dativo_infra.config.loader.load_jobs` does (same errors, same order) and writes every file
itself, all or nothing (:func:`dativo_infra.render.write.write_results`). A worker that fails or dies
stops the run before anything is written.

Setting (environment; a bad value is an error naming the variable, exit 2):
``DATIVO_RENDER_WORKERS``: worker processes (default: the cores this process may use; 1: no worker,
everything in this process). Fewer than :data:`PARALLEL_MIN_JOBS` job files keep the single process
(a worker costs a fork and sending results back: a few milliseconds).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from dativo_infra.config.loader import check_unique_stacks, load_job
from dativo_infra.config.settings import PlatformSettings
from dativo_infra.errors import ErrorReport, JobError
from dativo_infra.render.jobs import JobRef, RenderResult, render_with
from dativo_infra.render.outputs import OutputsSource
from dativo_infra.synth_parallel import default_workers, env_count
from dativo_infra.tags import check_tags

#: Fewest job files rendered by worker processes (below: the single-process path and its latency).
PARALLEL_MIN_JOBS = 200
#: Fewest job files per worker.
MIN_SHARE = 100
#: Tasks per worker: smaller shares even out a core that is busy with something else.
TASKS_PER_WORKER = 4
WORKERS_ENV = "DATIVO_RENDER_WORKERS"


def render_workers(count: int, environ: Mapping[str, str] | None = None) -> int:
    """How many worker processes load and render ``count`` job files; 1: none (this process does).
    Raises :class:`JobError` for a bad ``DATIVO_RENDER_WORKERS``."""
    workers = env_count(WORKERS_ENV, default_workers(), environ)
    # forking a process that has imported (and maybe started threads) is safe on Linux only
    if count < PARALLEL_MIN_JOBS or not sys.platform.startswith("linux"):
        return 1
    return max(1, min(workers, count // MIN_SHARE))


@dataclass(frozen=True)
class _Rendered:
    """What a worker sends back of a job it loaded (the fields of a :class:`JobRef` and the render)."""

    file: str
    stack_name: str
    job_name_line: int
    asset_file: Path | None
    tag_errors: list[JobError]
    #: (text read, rendered text, BOM, placeholders filled), or the errors of rendering it.
    render: tuple[str, str, bool, int] | list[JobError]


#: A worker's result per job file: its load errors, or the job loaded and rendered.
_Outcome = list[JobError] | _Rendered

#: What every task of a worker needs (:func:`_share`).
_shared: tuple[PlatformSettings | None, OutputsSource, bool] | None = None


def _share(settings: PlatformSettings | None, source: OutputsSource, allow_sensitive: bool) -> None:
    """A worker's initializer: its arguments reach the worker through the fork, never pickled."""
    global _shared
    _shared = (settings, source, allow_sensitive)


def _load_and_render(paths: Sequence[Path]) -> list[_Outcome]:
    """A worker's task: load, check and render each of ``paths`` as the single-process path does."""
    assert _shared is not None
    settings, source, allow_sensitive = _shared
    outcomes: list[_Outcome] = []
    for path in paths:
        try:
            job = load_job(path, settings or PlatformSettings(), rendered=True)
        except ErrorReport as exc:
            outcomes.append(exc.errors)
            continue
        tag_errors = check_tags(job) if settings is not None else []
        result = render_with(source, job, None, allow_sensitive)
        render = (
            result if isinstance(result, list) else (result.original, result.text, result.bom, result.filled)
        )
        outcomes.append(
            _Rendered(job.file, job.stack_name, job.job_name_line, job.asset_file, tag_errors, render)
        )
    return outcomes


def _shares(paths: Sequence[Path], count: int) -> list[Sequence[Path]]:
    """``paths`` cut into ``count`` contiguous shares of near-equal size (none empty)."""
    count = max(1, min(count, len(paths)))
    size, extra = divmod(len(paths), count)
    shares, start = [], 0
    for index in range(count):
        end = start + size + (index < extra)
        shares.append(paths[start:end])
        start = end
    return shares


def _run(
    paths: Sequence[Path],
    settings: PlatformSettings | None,
    source: OutputsSource,
    allow_sensitive: bool,
    workers: int,
) -> list[_Outcome]:
    """Every outcome of ``paths``, in order, from ``workers`` forked processes."""
    import multiprocessing  # here: a small batch never needs them
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    pool = ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_share,
        initargs=(settings, source, allow_sensitive),
    )
    try:
        shares = pool.map(_load_and_render, _shares(paths, workers * TASKS_PER_WORKER))
        return [outcome for share in shares for outcome in share]
    except BrokenProcessPool as exc:
        raise WorkerDied(f"a render worker process died ({exc}); nothing was written") from None
    finally:
        pool.shutdown(cancel_futures=True)


class WorkerDied(RuntimeError):
    """A worker process ended without sending its results back (killed, out of memory). Not a
    problem of the job files: ``DATIVO_RENDER_WORKERS=1`` renders the batch in one process."""


def load_and_render(
    paths: Sequence[Path],
    settings: PlatformSettings | None,
    source: OutputsSource,
    allow_sensitive: bool,
    workers: int,
    report: ErrorReport,
) -> list[tuple[JobRef, RenderResult | list[JobError]]]:
    """Load and render the job files ``paths`` in ``workers`` processes; return each job with its
    result (no target yet) or the errors of rendering it, in the order of ``paths``.

    Raises ``report`` with the errors ``load_jobs(..., rendered=True)`` would raise (``report`` holds
    those found before: discovery, settings; ``settings`` None: the settings file is invalid)."""
    outcomes = _run(paths, settings, source, allow_sensitive, workers)
    job_settings = settings or PlatformSettings()
    loaded: list[tuple[JobRef, _Rendered]] = []
    for path, outcome in zip(paths, outcomes, strict=True):
        if isinstance(outcome, list):
            report.extend(outcome)
            continue
        ref = JobRef(
            path,
            outcome.file,
            outcome.stack_name,
            outcome.job_name_line,
            outcome.asset_file,
            job_settings,
            source,
        )
        loaded.append((ref, outcome))
    check_unique_stacks([ref for ref, _outcome in loaded], report)
    for _ref, outcome in loaded:
        report.extend(outcome.tag_errors)
    report.raise_if_any()
    results: list[tuple[JobRef, RenderResult | list[JobError]]] = []
    for ref, outcome in loaded:
        if isinstance(outcome.render, list):
            results.append((ref, outcome.render))
        else:
            original, text, bom, filled = outcome.render
            results.append((ref, RenderResult(ref, None, None, original, text, bom, filled)))
    return results
