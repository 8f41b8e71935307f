"""Shared fixtures of the renderer's tests: a writable golden job, outputs files, YAML reading and the
CLI. The helpers are session-scoped factories: hypothesis tests may use them (it refuses
function-scoped fixtures, which would not be reset between its examples)."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from dativo_infra.config.loader import load_jobs
from dativo_infra.contract import OUTPUTS
from dativo_infra.render.outputs import StackOutputs, parse_outputs
from tests.cli import in_process
from tests.render import GOLDEN_JOB

_safe = YAML(typ="safe", pure=True)


@pytest.fixture(scope="session")
def cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """``cli(*args)``: run ``dativo-infra`` (in this process, :func:`tests.cli.in_process`)."""
    return in_process


@pytest.fixture(scope="session")
def tf_outputs() -> Callable[..., str]:
    """``tf_outputs(values, sensitive=())``: a `terraform output -json` text for ``values``."""

    def text(values: dict[str, Any], sensitive: tuple[str, ...] = ()) -> str:
        return json.dumps(
            {k: {"sensitive": k in sensitive, "type": "string", "value": v} for k, v in values.items()}
        )

    return text


@pytest.fixture(scope="session")
def outputs_of(tf_outputs: Callable[..., str]) -> Callable[..., StackOutputs]:
    """``outputs_of(values, sensitive=())``: the stack outputs of a `terraform output -json` file."""

    def outputs(values: dict[str, Any], sensitive: tuple[str, ...] = ()) -> StackOutputs:
        return parse_outputs(tf_outputs(values, sensitive), "outputs.json").for_stack("any")

    return outputs


@pytest.fixture(scope="session")
def load() -> Callable[[str], Any]:
    """``load(text)``: a YAML text as data (ruamel's pure-Python safe loader)."""

    def data(text: str) -> Any:
        return _safe.load(io.StringIO(text))

    return data


@pytest.fixture
def golden(tmp_path: Path) -> Path:
    """A writable copy of the golden job."""
    target = tmp_path / "jobs" / "acme" / GOLDEN_JOB.name
    target.parent.mkdir(parents=True)
    shutil.copyfile(GOLDEN_JOB, target)
    return target


@pytest.fixture(scope="session")
def write_example_outputs(tf_outputs: Callable[..., str]) -> Callable[..., dict[str, dict[str, str]]]:
    """``write_example_outputs(directory, skip=())``: one `terraform output -json` file per example job
    (every contract output); return the values."""

    def write(directory: Path, skip: tuple[str, ...] = ()) -> dict[str, dict[str, str]]:
        directory.mkdir(parents=True, exist_ok=True)
        values: dict[str, dict[str, str]] = {}
        for job in load_jobs(["jobs"]):
            if job.stack_name in skip:
                continue
            values[job.stack_name] = {
                name: f"{name}-of-{job.stack_name}" for name in OUTPUTS[job.config.runtime.type]
            }
            (directory / f"{job.stack_name}.json").write_text(tf_outputs(values[job.stack_name]))
        return values

    return write
