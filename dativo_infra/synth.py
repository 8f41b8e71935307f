"""Build and synthesize job stacks (imports cdktf; used by app.py, tests and benchmarks)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dativo_infra.config.loaded import LoadedJob
from dativo_infra.config.settings import PlatformSettings

if TYPE_CHECKING:
    from dativo_infra.cdk import App


def build_app(
    jobs: Iterable[LoadedJob], outdir: str | Path = "cdktf.out", settings: PlatformSettings | None = None
) -> App:
    """An ``App`` holding one :class:`JobStack` per job (nothing synthesized yet). ``settings``
    default to those each job was loaded with."""
    from dativo_infra.cdk import register_provider_packages

    register_provider_packages()  # before cdktf and any construct module is imported
    from dativo_infra.cdk import App
    from dativo_infra.stacks.job_stack import JobStack

    app = App(outdir=str(outdir), skip_validation=False)
    for job in jobs:
        JobStack(app, job, settings or job.settings)
    return app


def synth(
    jobs: Iterable[LoadedJob], outdir: str | Path, settings: PlatformSettings | None = None
) -> dict[str, Any]:
    """Synthesize ``jobs`` into ``outdir`` in this process; return ``{stack name: parsed cdk.tf.json}``."""
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
