"""Build and synthesize job stacks (imports cdktf; used by app.py, tests and benchmarks)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from dativo_infra.config.loader import LoadedJob
from dativo_infra.settings import PlatformSettings, load_settings


def build_app(
    jobs: Iterable[LoadedJob], outdir: str | Path = "cdktf.out", settings: PlatformSettings | None = None
):
    """An ``App`` holding one :class:`JobStack` per job (nothing synthesized yet)."""
    from cdktf import App

    from dativo_infra.stacks.job_stack import JobStack

    settings = settings or load_settings()
    app = App(outdir=str(outdir), skip_validation=False)
    for job in jobs:
        JobStack(app, job, settings)
    return app


def synth(
    jobs: Iterable[LoadedJob], outdir: str | Path, settings: PlatformSettings | None = None
) -> dict[str, Any]:
    """Synthesize ``jobs`` into ``outdir``; return ``{stack name: parsed cdk.tf.json}``."""
    jobs = list(jobs)
    build_app(jobs, outdir, settings).synth()
    out: dict[str, Any] = {}
    for job in jobs:
        path = Path(outdir) / "stacks" / job.stack_name / "cdk.tf.json"
        out[job.stack_name] = json.loads(path.read_text())
    return out


def selected_paths(default: str = "jobs") -> list[str]:
    """Jobs selected by ``DATIVO_JOBS`` (comma-separated files, dirs or globs), default all of jobs/."""
    raw = os.environ.get("DATIVO_JOBS", "")
    return [p.strip() for p in raw.split(",") if p.strip()] or [default]
