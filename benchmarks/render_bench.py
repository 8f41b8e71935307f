"""Render benchmark: 1000 job files, one outputs file each, rendered in one process.

Generates the jobs from the example jobs under ``jobs/`` (job names varied so every job has its own
stack), writes one ``terraform output -json`` file per job named ``<stack>.json``, then times
:func:`dativo_infra.render.write.render_batch` (load and validate every job, render all in memory, write
all) into a fresh output directory, and the same through the real CLI (``python -m dativo_infra.cli
render --jobs``: process start and imports included). Each time is a median of 3, with its CPU time
(user + system, steadier than the wall time on a shared machine; worker processes included). Batches of
200 jobs or more are loaded and rendered by worker processes (``DATIVO_RENDER_WORKERS``, default the
cores: :mod:`dativo_infra.render.parallel`); ``DATIVO_RENDER_WORKERS=1`` times the single-process path.
Prints one line. Target: under 1 s.

    .venv/bin/python benchmarks/render_bench.py [--jobs N]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from common import generate_jobs  # noqa: E402

from dativo_infra.config.loader import collector_paused, load_jobs  # noqa: E402
from dativo_infra.contract import OUTPUTS  # noqa: E402
from dativo_infra.render.jobs import render_job  # noqa: E402
from dativo_infra.render.outputs import OutputsSource  # noqa: E402
from dativo_infra.render.parallel import render_workers  # noqa: E402
from dativo_infra.render.splice import find_placeholders  # noqa: E402
from dativo_infra.render.write import render_batch, write_results  # noqa: E402

TARGET_SECONDS = 1.0
RUNS = 3


def generate(workdir: Path, count: int) -> tuple[Path, Path]:
    """Write ``count`` job files (:func:`common.generate_jobs`) and one outputs file per job under
    ``workdir``; return both directories."""
    jobs_dir, outputs_dir = workdir / "jobs", workdir / "outputs"
    generate_jobs(jobs_dir, count)
    shutil.copy(ROOT / "jobs" / "platform.yaml", jobs_dir / "platform.yaml")
    outputs_dir.mkdir(parents=True)
    for job in load_jobs([str(jobs_dir)]):
        outputs = {
            output: {"value": f"{output}-{job.stack_name}", "type": "string", "sensitive": False}
            for output in OUTPUTS[job.config.runtime.type]
        }
        (outputs_dir / f"{job.stack_name}.json").write_text(json.dumps(outputs))
    return jobs_dir, outputs_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1000, help="number of job files (default 1000)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="render-bench-") as tmp:
        workdir = Path(tmp)
        jobs_dir, outputs_dir = generate(workdir, args.jobs)
        times, cpus = [], []
        for attempt in range(RUNS):  # each into a fresh directory: every file is written every time
            cpu, start = _cpu(), time.perf_counter()
            results = render_batch(jobs_dir, outputs_dir, out_dir=workdir / f"rendered-{attempt}")
            times.append(time.perf_counter() - start)
            cpus.append(_cpu() - cpu)
        seconds = statistics.median(times)
        cli_times, cli_cpus = [], []
        for attempt in range(RUNS):
            command = [sys.executable, "-m", "dativo_infra.cli", "render", "--jobs", str(jobs_dir)]
            command += ["--outputs", str(outputs_dir), "--out", str(workdir / f"cli-{attempt}")]
            cpu, start = _cpu(), time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
            cli_times.append(time.perf_counter() - start)
            cli_cpus.append(_cpu() - cpu)
            assert done.returncode == 0, done.stderr[-3000:]
        filled = sum(r.filled for r in results)
        written = sum(r.written for r in results)
        left = sum(
            len(find_placeholders(p.read_text(), str(p))) for p in (workdir / "rendered-0").rglob("*.yaml")
        )
        phases = _phases(jobs_dir, outputs_dir, workdir / "rendered-again")
        verdict = "ok" if seconds < TARGET_SECONDS else "over"
        workers = render_workers(len(results))
        print(
            f"render_bench: {len(results)} jobs ({workers} worker process{'es' if workers > 1 else ''}), "
            f"{filled} placeholders filled, {written} files written, "
            f"{left} left; {seconds:.2f} s (median of {RUNS}, best {min(times):.2f} s, CPU "
            f"{statistics.median(cpus):.2f} s; {seconds / len(results) * 1000:.2f} ms/job; target < "
            f"{TARGET_SECONDS:g} s: {verdict}); CLI {statistics.median(cli_times):.2f} s wall, "
            f"{statistics.median(cli_cpus):.2f} s CPU; phases of a single-process run: {phases}"
        )


def _cpu() -> float:
    """User + system CPU time of this process and of its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _phases(jobs_dir: Path, outputs_dir: Path, out_dir: Path) -> str:
    """The work of render_batch's single-process path, timed per phase: load+validate, render in
    memory (outputs files read, placeholders filled), durable writes; with the cyclic garbage
    collector paused, as render_batch pauses it."""
    with collector_paused():
        start = time.perf_counter()
        jobs = load_jobs([str(jobs_dir)], rendered=True)
        loaded = time.perf_counter()
        source = OutputsSource(outputs_dir)
        results = [
            render_job(j, source.for_stack(j.stack_name), out_dir / j.path.relative_to(jobs_dir))
            for j in jobs
        ]
        rendered = time.perf_counter()
        write_results(results)
        done = time.perf_counter()
    return f"load {loaded - start:.2f} s, render {rendered - loaded:.2f} s, write {done - rendered:.2f} s"


if __name__ == "__main__":
    main()
