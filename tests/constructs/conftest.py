"""Test plumbing shared by the construct test modules: synthesizing test jobs, reading the stacks.

Test jobs are YAML texts (``{case: text}``), written to a fresh temporary directory and loaded with
``load_jobs`` (so validation applies), then synthesized together in one App by
:func:`dativo_infra.synth.synth`, once per session per module (through the ``synthesize`` fixture).
The readers below take a parsed ``cdk.tf.json`` and look resources up by type and properties, never
by hashed ids; the test modules import them (``from tests.constructs.conftest import one, resources``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from dativo_infra.config.loader import LoadedJob, load_jobs
from dativo_infra.config.settings import PlatformSettings
from tests.terraform_text import jsonencoded

__all__ = ["jsonencoded"]

#: The ``infrastructure.tags`` block of a test job file (2-space indented): ``TAGS.format(job=job_name)``.
TAGS = """\
  tags:
    job_name: {job}
    team: data
    pipeline_type: ingestion
    environment: dev
    cost_center: CC-1
"""

#: ``synthesize(cases, settings=None, *, outdir=None) -> ({case: LoadedJob}, {case: cdk.tf.json})``
Synthesize = Callable[..., tuple[dict[str, LoadedJob], dict[str, dict[str, Any]]]]


@pytest.fixture(scope="session")
def synthesize(tmp_path_factory: pytest.TempPathFactory) -> Synthesize:
    """A function that loads ``{case: yaml text}`` and synthesizes every job in one App.

    ``settings`` default to those each job was loaded with; ``outdir`` (the App's output directory)
    defaults to ``cdktf.out`` next to the job files. DATIVO_DEPLOY_TARGET and DATIVO_AWS_ENDPOINT are
    removed from the environment while synthesizing: the settings decide, not the caller's shell.
    """

    def run(
        cases: Mapping[str, str], settings: PlatformSettings | None = None, *, outdir: Path | None = None
    ) -> tuple[dict[str, LoadedJob], dict[str, dict[str, Any]]]:
        from dativo_infra.synth import synth  # imports cdktf: only once a test asks for a synth

        root = tmp_path_factory.mktemp("synth")
        folder = root / "jobs"
        folder.mkdir()
        paths = []
        for case, text in cases.items():
            path = folder / f"{case}.yaml"
            path.write_text(text)
            paths.append(str(path))
        jobs = {job.path.stem: job for job in load_jobs(paths)}
        assert sorted(jobs) == sorted(cases)
        with pytest.MonkeyPatch.context() as patch:
            patch.delenv("DATIVO_DEPLOY_TARGET", raising=False)
            patch.delenv("DATIVO_AWS_ENDPOINT", raising=False)
            stacks = synth(list(jobs.values()), outdir or root / "cdktf.out", settings)
        return jobs, {case: stacks[job.stack_name] for case, job in jobs.items()}

    return run


def _bodies(doc: dict[str, Any], section: str, kind: str) -> list[dict[str, Any]]:
    """Bodies of every ``kind`` block of ``section`` (``resource``/``data``), in logical-id order,
    without the cdktf metadata (``//``)."""
    found = doc.get(section, {}).get(kind, {})
    return [{k: v for k, v in body.items() if k != "//"} for _, body in sorted(found.items())]


def resources(doc: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    """Bodies of every resource of type ``kind`` in a synthesized stack."""
    return _bodies(doc, "resource", kind)


def data_sources(doc: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    """Bodies of every data source of type ``kind`` in a synthesized stack."""
    return _bodies(doc, "data", kind)


def one(doc: dict[str, Any], kind: str) -> dict[str, Any]:
    """The body of the one resource of type ``kind`` (fails unless there is exactly one)."""
    found = resources(doc, kind)
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]
