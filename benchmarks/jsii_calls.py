"""Count the jsii round trips a synth costs per job (a script, never a timed test).

Run: `.venv/bin/python benchmarks/jsii_calls.py [--jobs 20] [--clouds aws,azure,gcp] [--sites 25]
[--time 200]`.

Every request the Python runtime sends to the jsii kernel (the Node process) is one round trip:
Python writes a JSON line and blocks until Node answers. This script synthesizes generated jobs
(``benchmarks/common.py``) of one cloud in a fresh interpreter started like cdktf starts app.py
(``-O``), with ``jsii._kernel.providers.process._NodeProcess.send`` wrapped to count every request
by kind:

* ``create`` (a construct or struct-with-overrides object made in Node), ``invoke`` / ``sinvoke``
  (a method / static method), ``get`` / ``set`` / ``sget`` / ``sset`` (a property), ``complete``
  (Python answering a callback: Node calling back into Python, e.g. an Aspect's ``visit`` or a
  Python-implemented interface), ``load`` (an assembly), and the async kinds;
* ``callbacks``: how many answers from Node were a callback rather than a result (each costs one
  ``complete`` round trip more).

It prints, per cloud, the marginal round trips per job: ``(count at N jobs - count at 1 job) / (N -
1)``, by kind, and the time spent blocked on Node per job (noisy). ``--sites K`` also prints the K most
frequent call sites at N jobs (``kind class.member``, and the app's own source line that caused
the request). ``--time N`` times an AWS-only synth of 1 and of N jobs without counting (twice) and
prints the marginal ms per job: wall time, and the CPU time of Python and of Node (less sensitive
to the other load of a shared machine, not immune to it: compare runs interleaved in one hour).

``benchmarks/run.py`` may import :func:`round_trips_per_job`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
BENCH = ROOT / "benchmarks"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

from common import generate_jobs  # noqa: E402

from dativo_infra.synth_parallel import descendants  # noqa: E402

#: request class name -> kind
KINDS = {
    "CreateRequest": "create",
    "InvokeRequest": "invoke",
    "StaticInvokeRequest": "sinvoke",
    "GetRequest": "get",
    "SetRequest": "set",
    "StaticGetRequest": "sget",
    "StaticSetRequest": "sset",
    "_CompleteRequest": "complete",
    "LoadRequest": "load",
    "DeleteRequest": "delete",
    "BeginRequest": "begin",
    "StaticBeginRequest": "sbegin",
    "EndRequest": "end",
    "CallbacksRequest": "callbacks_poll",
    "StatsRequest": "stats",
}


def _class_of(ref: Any) -> str:
    """``cdktf.TerraformStack@10042`` -> ``cdktf.TerraformStack``."""
    return str(getattr(ref, "ref", ref)).split("@", 1)[0]


def _site(request: Any, kind: str, callback_cookie: str | None) -> str:
    if kind == "create":
        return f"create {request.fqn}"
    if kind in ("invoke", "begin"):
        return f"{kind} {_class_of(request.objref)}.{request.method}"
    if kind in ("sinvoke", "sbegin"):
        return f"{kind} {request.fqn}.{request.method}"
    if kind in ("get", "set"):
        return f"{kind} {_class_of(request.objref)}.{request.property}"
    if kind in ("sget", "sset"):
        return f"{kind} {request.fqn}.{request.property}"
    if kind == "complete":
        return f"complete {callback_cookie or '?'}"
    return kind


def _app_line() -> str:
    """The innermost frame of the app's own code (dativo_infra/, app.py) on the current stack."""
    frame = sys._getframe(2)
    while frame is not None:
        filename = frame.f_code.co_filename
        if "dativo_infra" in filename or filename.endswith("app.py"):
            short = filename[filename.index("dativo_infra") :] if "dativo_infra" in filename else filename
            return f"{short}:{frame.f_lineno} ({frame.f_code.co_name})"
        frame = frame.f_back  # type: ignore[assignment]
    return "(outside the app)"


@contextmanager
def counting(sites: bool = False) -> Iterator[dict[str, Any]]:
    """Count every jsii round trip made inside the block (restores the runtime afterwards).

    Yields the live counters: ``counts`` (kind -> requests, plus ``callbacks``), ``wait_by_kind``
    (kind -> seconds blocked on Node) and, with ``sites``, ``sites`` / ``lines`` (call site -> count).
    """
    import time
    from collections import Counter

    import jsii._kernel as kernel_module
    from jsii._kernel.providers import process

    counts: Counter[str] = Counter()
    by_site: Counter[str] = Counter()
    by_line: Counter[str] = Counter()
    wait_by_kind: dict[str, float] = {}
    pending_cookie: list[str] = []
    original_send = process._NodeProcess.send
    original_handle = kernel_module._handle_callback

    def send(self: Any, request: Any, response_type: Any) -> Any:
        kind = KINDS.get(type(request).__name__, type(request).__name__)
        counts[kind] += 1
        if sites:
            cookie = pending_cookie.pop() if kind == "complete" and pending_cookie else None
            by_site[_site(request, kind, cookie)] += 1
            by_line[f"{kind} {_app_line()}"] += 1
        start = time.perf_counter()
        response = original_send(self, request, response_type)
        waited = time.perf_counter() - start
        wait_by_kind[kind] = wait_by_kind.get(kind, 0.0) + waited
        if type(response).__name__ == "Callback":
            counts["callbacks"] += 1
        return response

    def handle_callback(kernel: Any, callback: Any) -> Any:
        # remember what Node called back for the `complete` request that answers it
        request = callback.invoke or callback.get or callback.set
        what = "invoke" if callback.invoke else "get" if callback.get else "set"
        label = f"{what} {_class_of(request.objref)}.{callback.cookie}" if request else callback.cookie
        try:
            return original_handle(kernel, callback)
        finally:
            if sites:
                pending_cookie.append(label)

    process._NodeProcess.send = send  # type: ignore[method-assign]
    kernel_module._handle_callback = handle_callback
    try:
        yield {"counts": counts, "sites": by_site, "lines": by_line, "wait_by_kind": wait_by_kind}
    finally:
        process._NodeProcess.send = original_send  # type: ignore[method-assign]
        kernel_module._handle_callback = original_handle


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a live process (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _child(jobs_dir: str, outdir: str, count: bool, sites: bool) -> None:
    """In the fresh interpreter: synthesize every job under ``jobs_dir``; print JSON counts."""
    import time

    with ExitStack() as stack:
        counters = stack.enter_context(counting(sites)) if count else None
        start = time.perf_counter()
        from dativo_infra.config.loader import load_jobs
        from dativo_infra.synth import synth

        jobs = load_jobs([jobs_dir])
        synth(jobs, outdir)
        elapsed = time.perf_counter() - start
    # CPU seconds of this interpreter and of the Node process (still running: jsii stops it at exit)
    cpu = time.process_time()
    node_cpu = sum(_cpu_seconds(pid) for pid in descendants(os.getpid()))
    result: dict[str, Any] = {"jobs": len(jobs), "seconds": elapsed, "python_cpu": cpu, "node_cpu": node_cpu}
    if counters is not None:
        result["counts"] = dict(counters["counts"])
        result["total"] = sum(v for k, v in counters["counts"].items() if k != "callbacks")
        result["wait_by_kind"] = dict(counters["wait_by_kind"])
        result["sites"] = dict(counters["sites"])
        result["lines"] = dict(counters["lines"])
    print(json.dumps(result))


def _run_child(jobs_dir: Path, count: bool = True, sites: bool = False) -> dict[str, Any]:
    from dativo_infra.tfcli import terraform_env

    with tempfile.TemporaryDirectory() as out:
        args = [sys.executable, "-O", str(Path(__file__).resolve()), "--child", str(jobs_dir), out]
        args += ["--count"] if count else []
        args += ["--with-sites"] if sites else []
        result = subprocess.run(
            args, capture_output=True, text=True, env=terraform_env(), cwd=ROOT, timeout=3600
        )
    if result.returncode != 0:
        raise RuntimeError(f"synth of {jobs_dir} failed:\n{result.stderr[-3000:]}")
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def synth_counts(cloud: str, jobs: int, sites: bool = False) -> dict[str, Any]:
    """Round-trip counts of a fresh-process synth of ``jobs`` generated jobs of ``cloud``."""
    with tempfile.TemporaryDirectory(prefix="dativo-jsii-") as work:
        generate_jobs(Path(work), jobs, providers=(cloud,))
        return _run_child(Path(work), count=True, sites=sites)


def _wait(result: dict[str, Any]) -> float:
    return float(sum(v for k, v in result["wait_by_kind"].items() if k != "load"))


def round_trips_per_job(cloud: str, jobs: int) -> dict[str, Any]:
    """Marginal jsii round trips per ``cloud`` job: ``(count at jobs - count at 1) / (jobs - 1)``.

    Returns ``{"total": float, "by_kind": {kind: float}, "wait_ms": float}`` (``wait_ms``: time
    blocked on Node per job while counting, which the counting itself inflates a little).
    """
    if jobs < 2:
        raise ValueError("jobs must be >= 2 for a marginal count")
    one = synth_counts(cloud, 1)
    many = synth_counts(cloud, jobs)
    kinds = sorted(set(one["counts"]) | set(many["counts"]))
    per = jobs - 1
    return {
        "total": (many["total"] - one["total"]) / per,
        "by_kind": {
            k: (many["counts"].get(k, 0) - one["counts"].get(k, 0)) / per
            for k in kinds
            if many["counts"].get(k, 0) != one["counts"].get(k, 0)
        },
        # time blocked on Node, assembly loads (a fixed cost) left out
        "wait_ms": (_wait(many) - _wait(one)) * 1000 / per,
    }


def marginal_ms_per_job(cloud: str, jobs: int) -> dict[str, float]:
    """Marginal ms per job, ``(at jobs - at 1 job) / (jobs - 1)``, of a synth in fresh processes
    without counting: ``wall`` (what a user waits; noisy on a shared machine) and ``cpu`` (Python +
    Node CPU time, less sensitive to other load)."""
    with tempfile.TemporaryDirectory(prefix="dativo-jsii-") as work:
        one, many = Path(work, "one"), Path(work, "many")
        generate_jobs(one, 1, providers=(cloud,))
        generate_jobs(many, jobs, providers=(cloud,))
        r_one = _run_child(one, count=False)
        r_many = _run_child(many, count=False)

    def cpu(r: dict[str, Any]) -> float:
        return float(r["python_cpu"] + r["node_cpu"])

    def per_job(key: str) -> float:
        return float(r_many[key] - r_one[key]) * 1000 / (jobs - 1)

    return {
        "wall": per_job("seconds"),
        "cpu": (cpu(r_many) - cpu(r_one)) * 1000 / (jobs - 1),
        "python_cpu": per_job("python_cpu"),
        "node_cpu": per_job("node_cpu"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=20, help="N for the marginal count (default 20)")
    parser.add_argument("--clouds", default="aws,azure,gcp")
    parser.add_argument("--sites", type=int, default=0, metavar="K", help="print the K top call sites")
    parser.add_argument("--time", type=int, default=0, metavar="N", help="also time an AWS synth of N jobs")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.add_argument("--child", nargs=2, metavar=("JOBS_DIR", "OUTDIR"), help=argparse.SUPPRESS)
    parser.add_argument("--count", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--with-sites", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], args.child[1], args.count, args.with_sites)
        return
    os.environ.setdefault("CHECKPOINT_DISABLE", "1")
    report: dict[str, Any] = {}
    for cloud in args.clouds.split(","):
        per_job = round_trips_per_job(cloud, args.jobs)
        report[cloud] = per_job
        if not args.json:
            kinds = ", ".join(f"{k} {v:.1f}" for k, v in per_job["by_kind"].items())
            print(
                f"{cloud}: {per_job['total']:.1f} round trips/job ({kinds}); "
                f"{per_job['wait_ms']:.1f} ms/job waiting on Node (counting on)"
            )
        if args.sites:
            detail = synth_counts(cloud, args.jobs, sites=True)
            report[f"{cloud}_sites"] = detail
            if not args.json:
                for title, key in (("call sites", "sites"), ("app source lines", "lines")):
                    print(f"  top {title} at {args.jobs} jobs (count, count/job):")
                    top = sorted(detail[key].items(), key=lambda kv: (-kv[1], kv[0]))[: args.sites]
                    for site, n in top:
                        print(f"    {n:6d} {n / args.jobs:7.2f}  {site}")
    if args.time:
        runs = [marginal_ms_per_job("aws", args.time) for _ in range(2)]
        report["aws_marginal_ms_per_job"] = runs
        if not args.json:
            print(
                f"aws marginal synth ms/job at {args.time} jobs (two runs, no counting): wall "
                + ", ".join(f"{r['wall']:.1f}" for r in runs)
                + "; cpu (python + node) "
                + ", ".join(f"{r['cpu']:.1f} ({r['python_cpu']:.1f} + {r['node_cpu']:.1f})" for r in runs)
            )
    if args.json:
        print(json.dumps(report, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
