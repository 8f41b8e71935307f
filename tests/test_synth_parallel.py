"""Batched synth: the plan (pure), cdktf's manifest format, the merge, settings, failures, and the
proof that batches in worker processes write exactly what one process writes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dativo_infra.errors import JobError
from dativo_infra.synth_parallel import (
    DEFAULT_BATCH,
    MIN_BATCH,
    BatchFailed,
    merge_batches,
    plan_batches,
    stable_json,
    synth_batched,
    synth_settings,
    synthesize,
)

ROOT = Path(__file__).resolve().parent.parent

jobsets = st.lists(st.sampled_from(["aws", "azure", "gcp"]), max_size=1200).map(
    lambda clouds: [(cloud, index) for index, cloud in enumerate(clouds)]
)


@given(jobsets, st.integers(1, 16), st.integers(1, 400))
def test_every_job_lands_in_exactly_one_batch_of_one_cloud(
    jobs: list[tuple[str, int]], workers: int, most: int
) -> None:
    batches = plan_batches(jobs, lambda j: j[0], workers, most)
    assert sorted(j for b in batches for j in b) == sorted(jobs)
    if len(batches) > 1:
        assert all(len({cloud for cloud, _ in b}) == 1 for b in batches)
        assert all(0 < len(b) <= most for b in batches)
        for cloud in {c for c, _ in jobs}:
            sizes = [len(b) for b in batches if b[0][0] == cloud]
            assert max(sizes) - min(sizes) <= 1, "a cloud's batches are near-equal"
            # the order within a cloud is kept (stack names: the output is the same either way)
            assert [j for b in batches if b[0][0] == cloud for j in b] == [j for j in jobs if j[0] == cloud]


@given(jobsets, st.integers(1, 16), st.integers(1, 400))
def test_small_sets_stay_in_one_process_and_large_ones_use_every_worker(
    jobs: list[tuple[str, int]], workers: int, most: int
) -> None:
    batches = plan_batches(jobs, lambda j: j[0], workers, most)
    if len(jobs) < 2 * MIN_BATCH and len(jobs) <= most:
        assert batches == ([jobs] if jobs else [])
        return
    if any(len(b) > MIN_BATCH * 2 for b in batches):
        # a batch that could have been split is only left whole once every worker has one
        assert len(batches) >= min(workers, len(jobs) // MIN_BATCH)


def test_one_job_and_a_handful_keep_the_single_process_path() -> None:
    assert plan_batches([("aws", 0)], lambda j: j[0], 2, DEFAULT_BATCH) == [[("aws", 0)]]
    handful = [("aws", i) for i in range(12)] + [("gcp", i) for i in range(12)]
    assert len(plan_batches(handful, lambda j: j[0], 2, DEFAULT_BATCH)) == 1


def test_a_thousand_mixed_jobs_on_two_cores() -> None:
    jobs = [(("aws", "azure", "gcp")[i % 3], i) for i in range(1000)]
    sizes = [(b[0][0], len(b)) for b in plan_batches(jobs, lambda j: j[0], 2, DEFAULT_BATCH)]
    assert sizes == [("aws", 167), ("aws", 167), ("azure", 167), ("azure", 166), ("gcp", 167), ("gcp", 166)]
    # the benchmark's mix (five AWS examples to three Azure and three GCP): four batches, two rounds
    mix = [(("aws",) * 5 + ("azure",) * 3 + ("gcp",) * 3)[i % 11] for i in range(1000)]
    sizes = [(b[0], len(b)) for b in plan_batches(mix, lambda j: j, 2, DEFAULT_BATCH)]
    assert sizes == [("aws", 228), ("aws", 227), ("azure", 273), ("gcp", 272)]


def test_the_manifest_is_written_exactly_as_cdktf_writes_it(example_synth: dict[str, Any]) -> None:
    text = (Path(example_synth["__outdir__"]) / "manifest.json").read_text()
    assert stable_json(json.loads(text)) == text


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=12,
)


@given(json_values)
def test_stable_json_is_json_with_sorted_keys(value: Any) -> None:
    text = stable_json(value)
    assert json.loads(text) == value
    assert stable_json(json.loads(text)) == text


def test_stable_json_breaks_empty_containers_like_json_stable_stringify() -> None:
    assert stable_json({"b": [], "a": {}}) == '{\n  "a": {\n  },\n  "b": [\n  ]\n}'


def _batch(root: Path, name: str, stacks: list[str], version: str = "0.21.0") -> Path:
    batch = root / name
    entries = {}
    for stack in stacks:
        (batch / "stacks" / stack).mkdir(parents=True)
        (batch / "stacks" / stack / "cdk.tf.json").write_text(f'{{"from": "{name}"}}')
        entries[stack] = {"name": stack, "workingDirectory": f"stacks/{stack}", "annotations": []}
    (batch / "manifest.json").write_text(json.dumps({"stacks": entries, "version": version}))
    return batch


def test_merge_moves_every_stack_and_replaces_a_stale_one(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "stacks" / "b").mkdir(parents=True)
    (out / "stacks" / "b" / "stale.txt").write_text("from an earlier synth")
    merge_batches(out, [_batch(tmp_path, "0", ["b", "c"]), _batch(tmp_path, "1", ["a"])])
    manifest = json.loads((out / "manifest.json").read_text())
    assert sorted(manifest["stacks"]) == ["a", "b", "c"] and manifest["version"] == "0.21.0"
    assert sorted(p.name for p in (out / "stacks").iterdir()) == ["a", "b", "c"]
    assert not (out / "stacks" / "b" / "stale.txt").exists()
    assert json.loads((out / "stacks" / "a" / "cdk.tf.json").read_text()) == {"from": "1"}
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []


def test_merge_refuses_a_stack_twice_or_two_cdktf_versions(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="stack a was synthesized by two batches"):
        merge_batches(tmp_path / "out", [_batch(tmp_path, "0", ["a"]), _batch(tmp_path, "1", ["a"])])
    with pytest.raises(RuntimeError, match="different cdktf versions"):
        merge_batches(
            tmp_path / "out2", [_batch(tmp_path, "2", ["x"]), _batch(tmp_path, "3", ["y"], "0.20.0")]
        )


@pytest.mark.parametrize("raw", ["0", "-1", "two", "1.5", "٣", "10001", "2 workers"])
def test_a_bad_setting_names_the_variable_and_what_is_allowed(raw: str) -> None:
    with pytest.raises(JobError) as info:
        synth_settings({"DATIVO_SYNTH_WORKERS": raw})
    assert str(info.value).startswith("environment: DATIVO_SYNTH_WORKERS: not a worker or batch count, got ")
    assert str(info.value).endswith("; expected an integer 1..10000")


def test_settings_default_to_the_cores_and_300_jobs() -> None:
    assert synth_settings({}) == (len(os.sched_getaffinity(0)), DEFAULT_BATCH)
    assert synth_settings({"DATIVO_SYNTH_WORKERS": " 3 ", "DATIVO_SYNTH_BATCH": "40"}) == (3, 40)


def test_the_app_reports_a_bad_setting_with_exit_2_before_any_synth(tmp_path: Path) -> None:
    env = {**os.environ, "DATIVO_SYNTH_BATCH": "many", "CDKTF_OUTDIR": str(tmp_path / "out")}
    proc = subprocess.run(
        [sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        "environment: DATIVO_SYNTH_BATCH: not a worker or batch count, got 'many'; expected an integer 1..10000",
        "1 error(s) in 1 file(s)",
    ]
    assert not (tmp_path / "out").exists()


def test_a_failed_worker_stops_the_synth_and_leaves_no_manifest(
    example_jobs: list[Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # every worker process is `false`: it exits 1 at once
    monkeypatch.setattr(sys, "executable", "/bin/false")
    with pytest.raises(BatchFailed, match=r"synth batch \d+ failed \(exit status 1\)"):
        synth_batched(example_jobs, tmp_path, workers=2, most=3)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_batches_write_byte_for_byte_what_one_process_writes(
    example_jobs: list[Any], example_synth: dict[str, Any], tmp_path: Path
) -> None:
    single = Path(example_synth["__outdir__"])
    results = synthesize(example_jobs, tmp_path, workers=2, most=3)
    assert len(results) == 4  # aws 5 jobs -> 3 + 2, azure 3, gcp 3
    assert sorted(s for r in results for s in r.stacks) == sorted(j.stack_name for j in example_jobs)
    assert all(r.node_peak_kb > 0 and r.python_peak_kb > 0 for r in results)
    files = sorted(p.relative_to(single) for p in single.rglob("*") if p.is_file())
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file()) == files
    for name in files:
        assert (tmp_path / name).read_bytes() == (single / name).read_bytes(), name


def test_synth_warns_about_a_provider_pin_the_bindings_do_not_admit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`cdktf synth` says what `validate` says about the platform's provider pin, before building."""
    from dativo_infra import synth as synth_module
    from dativo_infra.config.loader import load_jobs
    from dativo_infra.synth_parallel import synthesize

    settings = tmp_path / "platform.yaml"
    settings.write_text('aws:\n  provider_version: "1.0.0"\n')
    jobs = load_jobs(["jobs/acme/orders_cdc_stream.yaml"], settings_file=settings)
    built: list[int] = []

    class App:
        def synth(self) -> None:
            built.append(len(jobs))

    monkeypatch.setattr(synth_module, "build_app", lambda jobs, outdir: App())
    assert synthesize(jobs, tmp_path / "out") == [] and built == [1]
    err = capsys.readouterr().err
    assert err.startswith("warning: ") and "aws.provider_version: another major version" in err
