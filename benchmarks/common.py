"""Helpers shared by the benchmarks: generate many valid job files from the examples."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

EXAMPLES = sorted(Path(__file__).resolve().parent.parent.joinpath("jobs").rglob("*.yaml"))
EXAMPLES = [p for p in EXAMPLES if p.name != "platform.yaml" and "assets" not in p.parts]


def generate_jobs(
    target: Path, count: int, providers: tuple[str, ...] = ("aws", "azure", "gcp")
) -> list[Path]:
    """Write ``count`` valid job files (copies of the examples with distinct job names) under ``target``."""
    from dativo_infra.config.loader import load_job

    sources = []
    for path in EXAMPLES:
        job = load_job(path)
        if job.config.infrastructure.provider.value in providers:
            sources.append((path, path.read_text(), job.config.job_name))
    written = []
    for index in range(count):
        path, text, job_name = sources[index % len(sources)]
        # the job name as written: `job_name:` (canonical) or `JobName:` (older dialect)
        text = re.sub(
            rf"^(\s+(?:job_name|JobName): ){re.escape(job_name)}$",
            rf"\g<1>{job_name}_{index:04d}",
            text,
            count=1,
            flags=re.M,
        )
        text = text.replace("$schema=../../schemas", "$schema=../../../schemas")
        out = target / path.parent.name / f"{path.stem}_{index:04d}.yaml"
        if not out.parent.exists():
            out.parent.mkdir(parents=True)
            # asset definitions the jobs refer to (asset_path is relative to the job file)
            assets = path.parent / "assets"
            if assets.is_dir():
                shutil.copytree(assets, out.parent / "assets")
        out.write_text(text)
        written.append(out)
    return written
