"""Every example job as a synthesized stack: golden snapshots, the output contract, backends, imports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from syrupy.extensions.json import JSONSnapshotExtension

from dativo_infra.cdk import library
from dativo_infra.contract import OUTPUTS, PROVIDER_OF_RUNTIME, exported_outputs

EXAMPLE_STACKS = [
    "acme-catalog-orders-to-dynamodb",
    "acme-orders-cdc-stream",
    "acme-stripe-customers-to-iceberg",
    "globex-events-api-service",
    "globex-hubspot-contacts-to-adls",
    "globex-orders-queue-worker",
    "initech-clickstream-collector",
    "initech-inventory-sync-api",
    "initech-salesforce-accounts-to-bq",
    "umbrella-hr-employees-csv-to-iceberg",
    "umbrella-shipments-api-to-s3",
]


@pytest.fixture
def snapshot_json(snapshot: Any) -> Any:
    return snapshot.use_extension(JSONSnapshotExtension)


def test_every_example_has_a_stack(example_jobs: list, example_synth: dict[str, Any]) -> None:
    assert sorted(j.stack_name for j in example_jobs) == EXAMPLE_STACKS
    assert set(EXAMPLE_STACKS) <= set(example_synth)


@pytest.mark.parametrize("stack", EXAMPLE_STACKS)
def test_snapshot(stack: str, example_synth: dict[str, Any], snapshot_json: Any) -> None:
    """Golden JSON per example stack: review a diff here like code (`pytest --snapshot-update`)."""
    assert example_synth[stack] == snapshot_json


@pytest.mark.parametrize("stack", EXAMPLE_STACKS)
def test_contract_outputs_at_stack_level(
    stack: str, example_jobs: list, example_synth: dict[str, Any]
) -> None:
    job = next(j for j in example_jobs if j.stack_name == stack)
    outputs = example_synth[stack]["output"]
    exported = exported_outputs(job.config.runtime)
    assert set(outputs) == set(exported), sorted(set(outputs) ^ set(exported))
    assert set(exported) <= set(OUTPUTS[job.config.runtime.type])
    for name, description in exported.items():
        assert outputs[name]["value"] not in (None, "", "none"), f"{stack}: output {name} is empty"
        assert outputs[name]["description"] == description
    assert set(job.config.referenced_outputs()) <= set(outputs)


@pytest.mark.parametrize("stack", EXAMPLE_STACKS)
def test_one_provider_per_stack(stack: str, example_jobs: list, example_synth: dict[str, Any]) -> None:
    job = next(j for j in example_jobs if j.stack_name == stack)
    providers = set(example_synth[stack]["provider"])
    expected = {"aws": {"aws"}, "azure": {"azurerm"}, "gcp": {"google"}}[
        PROVIDER_OF_RUNTIME[job.config.runtime.type].value
    ]
    assert providers == expected


@pytest.mark.parametrize("stack", EXAMPLE_STACKS)
def test_local_backend_has_a_state_file_per_job(stack: str, example_synth: dict[str, Any]) -> None:
    backend = example_synth[stack]["terraform"]["backend"]
    assert backend == {"local": {"path": f"../../../state/{stack}.tfstate"}}


def test_synth_of_one_aws_job_loads_only_the_aws_provider(tmp_path: Path) -> None:
    code = (
        "import os, sys\n"
        "from dativo_infra.config.loader import load_jobs\n"
        "from dativo_infra.synth import synth\n"
        f"synth(load_jobs(['jobs/acme/orders_cdc_stream.yaml']), {str(tmp_path / 'out')!r})\n"
        # any module of a provider counts (its package itself may sit in sys.modules bare, unexecuted:
        # dativo_infra.cdk.register_provider_packages)
        "from dativo_infra.cdk import library\n"
        "roots = sorted({m.split('.')[0] for m in sys.modules if m.startswith(library().provider_prefix)\n"
        "                and '.' in m})\n"
        "print(roots)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == str([library().provider_package("aws")])
    assert json.loads((tmp_path / "out/stacks/acme-orders-cdc-stream/cdk.tf.json").read_text())["provider"][
        "aws"
    ]
