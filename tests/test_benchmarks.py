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


def test_jsii_call_counter_counts_requests_by_kind_and_site() -> None:
    from jsii._kernel.providers import process
    from jsii_calls import counting

    from dativo_infra.cdk import TerraformOutput, TerraformStack, Testing

    original = process._NodeProcess.send
    app = Testing.app()
    stack = TerraformStack(app, "counted")
    with counting(sites=True) as counters:
        TerraformOutput(stack, "a", value="x")
        TerraformOutput(stack, "b", value="y")
        assert stack.node.id == "counted"  # one property read: Construct.node, then id
    assert process._NodeProcess.send is original  # restored after the block
    assert counters["counts"]["create"] == 2
    assert counters["sites"]["create cdktf.TerraformOutput"] == 2
    assert counters["counts"]["get"] >= 1
    assert set(counters["wait_by_kind"]) == {k for k in counters["counts"] if k != "callbacks"}
