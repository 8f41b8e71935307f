"""Render benchmark: 1000 job files, one outputs file each, rendered in one process.

Generates the jobs from the example jobs under ``jobs/`` (job names varied so every job has its own
stack), writes one ``terraform output -json`` file per job named ``<stack>.json``, then times
:func:`dativo_infra.render.render_batch` (load and validate every job, render all in memory, write
all) into a fresh output directory. Prints one line. Target: under 2 s.

    .venv/bin/python benchmarks/render_bench.py [--jobs N]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dativo_infra.config.loader import load_jobs  # noqa: E402
from dativo_infra.contract import OUTPUTS  # noqa: E402
from dativo_infra.naming import stack_name  # noqa: E402
from dativo_infra.render import (  # noqa: E402
    OutputsSource,
    find_placeholders,
    load_jobs_for_render,
    render_batch,
    render_job,
    write_results,
)

TARGET_SECONDS = 2.0
RUNS = 3


def generate(workdir: Path, count: int) -> tuple[Path, Path]:
    """Write ``count`` job files and their outputs files under ``workdir``; return both directories."""
    examples = load_jobs([str(ROOT / "jobs")])
    jobs_dir, outputs_dir = workdir / "jobs", workdir / "outputs"
    examples_files = {job.path.resolve() for job in examples}
    # Everything but the example jobs themselves (asset definitions the jobs refer to, platform file).
    shutil.copytree(ROOT / "jobs", jobs_dir, ignore=lambda d, names: [
        n for n in names if (Path(d) / n).resolve() in examples_files])
    outputs_dir.mkdir(parents=True)
    for index in range(count):
        example = examples[index % len(examples)]
        name = f"{example.config.job_name}_{index:04d}"
        text = re.sub(r"(?m)^(\s*job_name:\s*)\S+", rf"\g<1>{name}", example.path.read_text(), count=1)
        target = jobs_dir / example.config.tenant_id / f"{name}.yaml"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        outputs = {
            output: {"value": f"{output}-{name}", "type": "string", "sensitive": False}
            for output in OUTPUTS[example.config.runtime.type]
        }
        stack = stack_name(example.config.tenant_id, name)
        (outputs_dir / f"{stack}.json").write_text(json.dumps(outputs))
    return jobs_dir, outputs_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1000, help="number of job files (default 1000)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="render-bench-") as tmp:
        workdir = Path(tmp)
        jobs_dir, outputs_dir = generate(workdir, args.jobs)
        times = []
        for attempt in range(RUNS):  # each into a fresh directory: every file is written every time
            start = time.perf_counter()
            results = render_batch(jobs_dir, outputs_dir, out_dir=workdir / f"rendered-{attempt}")
            times.append(time.perf_counter() - start)
        seconds = statistics.median(times)
        filled = sum(r.filled for r in results)
        written = sum(r.written for r in results)
        left = sum(len(find_placeholders(p.read_text(), str(p))) for p in (workdir / "rendered-0").rglob("*.yaml"))
        phases = _phases(jobs_dir, outputs_dir, workdir / "rendered-again")
        verdict = "ok" if seconds < TARGET_SECONDS else "over"
        print(f"render_bench: {len(results)} jobs, {filled} placeholders filled, {written} files written, "
              f"{left} left; {seconds:.2f} s (median of {RUNS}, best {min(times):.2f} s; "
              f"{seconds / len(results) * 1000:.2f} ms/job; target < {TARGET_SECONDS:g} s: {verdict}); "
              f"phases of another run: {phases}")


def _phases(jobs_dir: Path, outputs_dir: Path, out_dir: Path) -> str:
    """The same work as render_batch, timed per phase: load+validate, render in memory, durable writes."""
    start = time.perf_counter()
    jobs = load_jobs_for_render([str(jobs_dir)])
    loaded = time.perf_counter()
    source = OutputsSource(outputs_dir)
    results = [render_job(j, source.for_stack(j.stack_name), out_dir / j.path.relative_to(jobs_dir)) for j in jobs]
    rendered = time.perf_counter()
    write_results(results)
    done = time.perf_counter()
    return f"load {loaded - start:.2f} s, render {rendered - loaded:.2f} s, write {done - rendered:.2f} s"

if __name__ == "__main__":
    main()
