"""The benchmarks' job generator keeps working as examples are added (it broke silently twice)."""

from __future__ import annotations

import sys
from pathlib import Path

from dativo_infra.config.loader import load_jobs

sys.path.insert(0, str(Path("benchmarks").resolve()))
from common import EXAMPLES, generate_jobs


def test_generated_jobs_are_valid_with_distinct_stacks_from_every_example(tmp_path: Path) -> None:
    count = 2 * len(EXAMPLES)
    written = generate_jobs(tmp_path, count)
    jobs = load_jobs([str(tmp_path)])  # validates, and rejects two jobs with one stack
    assert len(written) == len(jobs) == count
    assert {j.config.runtime.type for j in jobs} == {j.config.runtime.type for j in load_jobs(["jobs"])}
    assert any(j.legacy for j in jobs)


def test_providers_select_the_examples(tmp_path: Path) -> None:
    jobs = load_jobs([str(p) for p in generate_jobs(tmp_path, 5, providers=("gcp",))])
    assert {j.config.infrastructure.provider.value for j in jobs} == {"gcp"}
