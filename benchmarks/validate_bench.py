"""Benchmark: `dativo-infra validate` over 1000 generated jobs (target: under 2 s on a 2-core machine).

Reports the in-process load+validate time (best of 3) and the wall time of the real CLI command
(process start and imports included). Run: `.venv/bin/python benchmarks/validate_bench.py`.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import generate_jobs

from dativo_infra.config.loader import load_jobs


def main(count: int = 1000) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "jobs"
        generate_jobs(root, count)
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            jobs = load_jobs([str(root)])
            best = min(best, time.perf_counter() - start)
        assert len(jobs) == count
        start = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "dativo_infra.cli", "validate", str(root)], capture_output=True, text=True
        )
        cli = time.perf_counter() - start
        assert result.returncode == 0, result.stderr
    print(f"validate {count} jobs: in-process {best:.2f} s (best of 3), CLI wall {cli:.2f} s (target < 2 s)")
    return {"validate_in_process_s": best, "validate_cli_s": cli}


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
