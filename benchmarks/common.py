"""Helpers shared by the benchmarks: generate many valid job files from the examples."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

EXAMPLES = sorted(Path(__file__).resolve().parent.parent.joinpath("jobs").rglob("*.yaml"))
EXAMPLES = [p for p in EXAMPLES if p.name != "platform.yaml" and "assets" not in p.parts]


def generate_jobs(target: Path, count: int, providers: tuple[str, ...] = ("aws", "azure", "gcp")) -> list[Path]:
    """Write ``count`` valid job files (copies of the examples with distinct job names) under ``target``."""
    sources = []
    for path in EXAMPLES:
        text = path.read_text()
        provider = re.search(r"^  provider: (\w+)", text, re.M).group(1)  # type: ignore[union-attr]
        if provider in providers:
            sources.append((path, text))
    written = []
    for index in range(count):
        path, text = sources[index % len(sources)]
        job_name = re.search(r"^    job_name: (\S+)", text, re.M).group(1)  # type: ignore[union-attr]
        text = text.replace(f"job_name: {job_name}", f"job_name: {job_name}_{index:04d}")
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
