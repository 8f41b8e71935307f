"""Benchmark: `dativo-infra validate` and the merged tags over 1000 generated jobs (target: each under
1 s on a 2-core machine).

Reports, as the median of ``--runs`` runs: the in-process load+validate time (``load_jobs``), the
merged and rendered tags of every loaded job (``render_tags(merged_tags(job))``, what ``tags`` prints
per job), and the wall time of the real CLI command (``python -m dativo_infra.cli validate DIR``:
process start and imports included). Each figure comes with its CPU time (user + system), steadier
than the wall time on a shared machine. Run: `.venv/bin/python benchmarks/validate_bench.py [--jobs N]`.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# this checkout's package (not whichever one the virtualenv's editable install points at)
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from common import generate_jobs  # noqa: E402

from dativo_infra.config.loader import load_jobs  # noqa: E402
from dativo_infra.config.settings import load_settings  # noqa: E402
from dativo_infra.tags import merged_tags, render_tags  # noqa: E402

TARGET_SECONDS = 1.0


def cpu_seconds() -> float:
    """User + system CPU time of this process and of its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(func: Callable[[], object], runs: int) -> tuple[float, float, list[float]]:
    """Median wall time, median CPU time and every wall time of ``runs`` calls of ``func``."""
    walls, cpus = [], []
    for _ in range(runs):
        cpu, start = cpu_seconds(), time.perf_counter()
        func()
        walls.append(time.perf_counter() - start)
        cpus.append(cpu_seconds() - cpu)
    return statistics.median(walls), statistics.median(cpus), walls


def main() -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1000, help="number of job files (default 1000)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each measurement (default 3)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "jobs"
        generate_jobs(root, args.jobs)
        jobs = load_jobs([str(root)])
        assert len(jobs) == args.jobs
        settings = load_settings()
        command = [sys.executable, "-m", "dativo_infra.cli", "validate", "--quiet", str(root)]

        def cli() -> None:
            result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
            assert result.returncode == 0, result.stderr

        figures = {
            "validate_in_process": timed(lambda: load_jobs([str(root)]), args.runs),
            "tags_in_process": timed(
                lambda: [
                    render_tags(merged_tags(j, settings), j.config.infrastructure.provider) for j in jobs
                ],
                args.runs,
            ),
            "validate_cli": timed(cli, args.runs),
        }
    for name, (wall, cpu, walls) in figures.items():
        verdict = "ok" if wall < TARGET_SECONDS else "over"
        runs = " ".join(f"{w:.2f}" for w in walls)
        print(
            f"{name} ({args.jobs} jobs): {wall:.2f} s wall (median of {args.runs}: {runs}), "
            f"{cpu:.2f} s CPU; target < {TARGET_SECONDS:g} s: {verdict}"
        )
    return {f"{name}_s": wall for name, (wall, _cpu, _walls) in figures.items()}


if __name__ == "__main__":
    main()
