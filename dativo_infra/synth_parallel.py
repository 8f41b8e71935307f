"""Synthesize large job sets in batches, each in its own worker process, merged into one ``cdktf.out``.

A jsii runtime keeps every construct of every stack until its process ends, so one process
synthesizing thousands of jobs holds them all (1.6 GB of Node for 1000 jobs) and uses one core.
Here the jobs are split into batches; each batch runs in a fresh worker process (its own Python and
jsii Node runtime, gone when the batch is done), at most ``workers`` at a time. Every batch writes a
complete cdktf output directory of its own; the merge moves each stack's directory into ``outdir`` and
writes one manifest, byte for byte what a single ``App`` synthesizing every job writes
(:func:`stable_json` is cdktf's own formatter, ``json-stable-stringify`` with two spaces).

Settings (environment; a bad value is an error naming the variable, exit 2):

- ``DATIVO_SYNTH_WORKERS``: worker processes at a time (default: the cores this process may use).
- ``DATIVO_SYNTH_BATCH``: most jobs per batch (default 300: a provider's assembly alone is 500-650
  MB of Node memory, and an AWS job adds about 0.3 MB; measured, 228 AWS jobs peaked at 722 MB).
  Fewer than ``2 * MIN_BATCH`` jobs, or at most ``DATIVO_SYNTH_BATCH`` of one cloud, keep the
  single-process path; more, of several clouds, make one batch per cloud at least, whatever
  ``DATIVO_SYNTH_WORKERS`` says (one provider per Node process bounds its memory).

Jobs are ordered by cloud before they are cut into batches, so a batch usually loads one provider.
Nothing here imports cdktf: the parent only plans, starts workers and merges files.
"""

from __future__ import annotations

import json
import math
import os
import pickle
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

from dativo_infra.cdk import library
from dativo_infra.config.loaded import LoadedJob
from dativo_infra.errors import JobError, safe_line

T = TypeVar("T")

#: Most jobs per batch when ``DATIVO_SYNTH_BATCH`` is unset.
DEFAULT_BATCH = 300
#: Fewest jobs worth a worker process of their own (a worker pays seconds to start jsii and load a
#: provider; below this a second core saves less than that).
MIN_BATCH = 25
#: Largest value either variable accepts.
MAX_SETTING = 10_000
MANIFEST = "manifest.json"
#: Where ``dativo_infra`` is imported from: a worker imports the same code, whatever its working directory.
_PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent)
STACKS = "stacks"


@dataclass(frozen=True)
class BatchResult:
    """What one worker did: its stacks, its wall time and the peak RSS of its processes."""

    stacks: tuple[str, ...]
    seconds: float
    #: Peak resident set size (kB) of the worker's Python process and of its jsii Node process.
    python_peak_kb: int
    node_peak_kb: int


def env_count(name: str, default: int, environ: Mapping[str, str] | None = None) -> int:
    """The positive integer in environment variable ``name`` (``default`` when unset or empty).

    Raises :class:`JobError` (reported like a bad job file: exit 2) for anything else."""
    raw = (os.environ if environ is None else environ).get(name, "").strip()
    if not raw:
        return default
    if raw.isascii() and raw.isdigit() and 1 <= int(raw) <= MAX_SETTING:
        return int(raw)
    raise JobError.at(
        "environment", 0, name, "not a worker or batch count", raw, f"an integer 1..{MAX_SETTING}"
    )


def default_workers() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0))


def plan_batches(jobs: Sequence[T], group: Callable[[T], str], workers: int, most: int) -> list[list[T]]:
    """Cut ``jobs`` into batches that never mix two groups (a cloud: one provider per jsii runtime),
    of no more than ``most`` jobs, near-equal within a group, and, where the jobs allow batches of
    ``MIN_BATCH``, at least as many as ``workers``. Jobs keep their order within a group; groups are
    in sorted order. A single batch (fewer than ``2 * MIN_BATCH`` jobs, or ``most`` or more, in one
    group) means: synthesize in this process."""
    groups: dict[str, list[T]] = {}
    for job in jobs:
        groups.setdefault(group(job), []).append(job)
    if len(jobs) < 2 * MIN_BATCH and len(jobs) <= most:
        return [list(jobs)] if jobs else []
    counts = {name: math.ceil(len(members) / most) for name, members in groups.items()}
    target = min(workers, len(jobs) // MIN_BATCH)
    while sum(counts.values()) < target:
        # split the group whose batches are largest, while its batches stay at least MIN_BATCH
        name = max(sorted(groups), key=lambda g: len(groups[g]) / counts[g])
        if len(groups[name]) // (counts[name] + 1) < MIN_BATCH:
            break
        counts[name] += 1
    batches: list[list[T]] = []
    for name in sorted(groups):
        members, count = groups[name], counts[name]
        size, extra = divmod(len(members), count)
        start = 0
        for index in range(count):
            end = start + size + (1 if index < extra else 0)
            batches.append(members[start:end])
            start = end
    return batches


def stable_json(value: Any, level: int = 0) -> str:
    """``value`` as cdktf writes its manifest (``json-stable-stringify`` with ``space: 2``): keys
    sorted, two-space indentation, and an empty list or mapping still broken over two lines."""
    indent = "\n" + "  " * level
    if isinstance(value, Mapping):
        items = [
            f"{indent}  {json.dumps(k, ensure_ascii=False)}: {stable_json(value[k], level + 1)}"
            for k in sorted(value)
        ]
        return "{" + ",".join(items) + indent + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(f"{indent}  {stable_json(v, level + 1)}" for v in value) + indent + "]"
    return json.dumps(value, ensure_ascii=False)


def merge_batches(outdir: Path, batch_dirs: Sequence[Path]) -> None:
    """Move every batch's stack directories into ``outdir/stacks`` (replacing a stale one of the same
    name) and write one manifest with all their stacks; the manifest is replaced atomically."""
    manifests = [json.loads((d / MANIFEST).read_text()) for d in batch_dirs]
    versions = {m["version"] for m in manifests}
    if len(versions) != 1:
        raise RuntimeError(f"batches were synthesized by different cdktf versions: {sorted(versions)}")
    (outdir / STACKS).mkdir(parents=True, exist_ok=True)
    stacks: dict[str, Any] = {}
    for batch_dir, manifest in zip(batch_dirs, manifests, strict=True):
        for name, entry in manifest["stacks"].items():
            if name in stacks:
                raise RuntimeError(f"stack {name} was synthesized by two batches")
            target = outdir / entry["workingDirectory"]
            if target.exists():
                shutil.rmtree(target)
            (batch_dir / entry["workingDirectory"]).rename(target)
            stacks[name] = entry
    partial = outdir / f".{MANIFEST}.{os.getpid()}"
    partial.write_text(stable_json({"stacks": stacks, "version": versions.pop()}))
    partial.replace(outdir / MANIFEST)


def synthesize(
    jobs: Sequence[LoadedJob], outdir: str | Path, workers: int = 1, most: int = DEFAULT_BATCH
) -> list[BatchResult]:
    """Synthesize ``jobs`` into ``outdir`` (app.py's path): in batches (:func:`synth_batched`) when the
    set is large enough, else in this process. Either way ``outdir`` ends up byte for byte the same.
    Returns what each batch did (an empty list: one process did it all). A provider pin the installed
    bindings do not satisfy is warned about on stderr first, as ``validate`` does."""
    from dativo_infra.config.posture import provider_version_warnings

    for warning in provider_version_warnings(jobs):
        print(safe_line(f"warning: {warning}"), file=sys.stderr)
    batches = synth_batched(jobs, Path(outdir), workers, most)
    if not batches:
        from dativo_infra.synth import build_app

        build_app(jobs, outdir).synth()
    return batches


def synth_settings(environ: Mapping[str, str] | None = None) -> tuple[int, int]:
    """``(workers, most jobs per batch)`` from ``DATIVO_SYNTH_WORKERS`` and ``DATIVO_SYNTH_BATCH``
    (raises :class:`~dativo_infra.errors.JobError` for a bad value, and when no CDK library is usable:
    :func:`dativo_infra.cdk.library`)."""
    library()
    return (
        env_count("DATIVO_SYNTH_WORKERS", default_workers(), environ),
        env_count("DATIVO_SYNTH_BATCH", DEFAULT_BATCH, environ),
    )


def synth_batched(jobs: Sequence[LoadedJob], outdir: Path, workers: int, most: int) -> list[BatchResult]:
    """Synthesize ``jobs`` into ``outdir`` in batches of at most ``most`` jobs, ``workers`` processes
    at a time; an empty list when the set is small enough for the single-process path (the caller's).
    A failed batch stops the others and raises :class:`BatchFailed` with the worker's error output."""
    batches = plan_batches(jobs, lambda j: j.config.infrastructure.provider.value, workers, most)
    if len(batches) < 2:
        return []
    outdir = outdir.resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    scratch = outdir / f".dativo-batches-{os.getpid()}"
    dirs = [scratch / str(index) for index in range(len(batches))]
    for batch_dir, batch in zip(dirs, batches, strict=True):
        batch_dir.mkdir(parents=True)
        batch_dir.with_suffix(".pickle").write_bytes(pickle.dumps(batch))
    running: set[subprocess.Popen[bytes]] = set()
    stopping = threading.Event()  # a batch failed: start no other
    lock = threading.Lock()

    def run(batch_dir: Path) -> BatchResult:
        # a fresh interpreter per batch, started like this one (``-O`` kept): its own jsii runtime
        command = [sys.executable, *(["-" + "O" * sys.flags.optimize] if sys.flags.optimize else [])]
        with lock:
            if stopping.is_set():
                raise BatchFailed(batch_dir.name, 0, "not started: another batch failed")
            proc = subprocess.Popen(
                [*command, "-m", __name__, str(batch_dir)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                env={
                    **os.environ,
                    "PYTHONPATH": os.pathsep.join(
                        filter(None, [_PACKAGE_ROOT, os.environ.get("PYTHONPATH")])
                    ),
                },
            )
            running.add(proc)
        _, stderr = proc.communicate()
        with lock:
            running.discard(proc)
        if proc.returncode != 0:
            raise BatchFailed(batch_dir.name, proc.returncode, stderr.decode(errors="replace"))
        result = json.loads(batch_dir.with_suffix(".json").read_text())
        return BatchResult(**{**result, "stacks": tuple(result["stacks"])})

    try:
        with ThreadPoolExecutor(min(workers, len(batches))) as pool:
            # largest batches first: the last round is the shortest
            order = sorted(range(len(batches)), key=lambda i: -len(batches[i]))
            submitted = {index: pool.submit(run, dirs[index]) for index in order}
            futures = [submitted[index] for index in range(len(batches))]
            done, _ = wait(futures, return_when=FIRST_EXCEPTION)
            failed = [f.exception() for f in futures if f in done and f.exception() is not None]
            if failed:
                for future in futures:
                    future.cancel()
                with lock:
                    stopping.set()
                    for proc in running:
                        proc.kill()
                raise failed[0]  # type: ignore[misc]
            results = [f.result() for f in futures]
        merge_batches(outdir, dirs)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return results


class BatchFailed(RuntimeError):
    """A worker process failed: its batch, exit status and error output (a jsii error's stack)."""

    def __init__(self, batch: str, status: int, stderr: str) -> None:
        super().__init__(f"synth batch {batch} failed (exit status {status}):\n{stderr.rstrip()}")


def _worker(batch_dir: Path) -> None:
    """A worker process: synthesize the batch pickled beside ``batch_dir`` into it; record the result."""
    start = time.perf_counter()
    jobs: list[LoadedJob] = pickle.loads(batch_dir.with_suffix(".pickle").read_bytes())
    from dativo_infra.synth import build_app

    build_app(jobs, batch_dir).synth()
    result = BatchResult(
        tuple(j.stack_name for j in jobs),
        time.perf_counter() - start,
        peak_kb(os.getpid()),
        sum(peak_kb(pid) for pid in descendants(os.getpid())),
    )
    batch_dir.with_suffix(".json").write_text(json.dumps(asdict(result)))


def descendants(pid: int) -> list[int]:
    """Every live descendant of ``pid`` (the jsii Node process and anything it started)."""
    found: list[int] = []
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            children = Path(f"/proc/{pid}/task/{task}/children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            found += [child, *descendants(child)]
    return found


def peak_kb(pid: int) -> int:
    """The peak resident set size (``VmHWM``) of a live process, in kB (0 once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


if __name__ == "__main__":
    _worker(Path(sys.argv[1]))
