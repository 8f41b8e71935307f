"""checkov (``--framework terraform_json``) passes on every synthesized example stack, of every cloud.

checkov runs from its own virtualenv, ``.venv-checkov``, which ``make setup`` (scripts/setup.sh) builds
from ``requirements-checkov.txt``: its pins clash with the app's. The configuration is the repository's
``.checkov.yaml``, whose ``skip-check`` list names every skipped check with its one-line reason. Two
runs over the same synthesized files: with the configuration (zero failed checks), and with its skip
list emptied (every skipped check must still fail somewhere, else its skip is stale: delete it).

checkov 3.3's ``terraform_json`` parser cannot read a ``moved`` block (HCL JSON writes it as a list of
``{"from", "to"}`` objects; checkov takes each as a named block and stops with "this method receives
only dicts", counting the whole file as a parsing error). A ``moved`` block configures no resource, so
checkov scans a copy of each stack without it; every other byte is the synthesized file.
checkov has no checks for Container Apps, Cloud Run v2 services and jobs, Cloud Scheduler or
user-assigned identities; what covers those is the provider plan-time rules in tests/clouds/ and the
public-exposure checks in tests/stacks/test_public_exposure.py.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT

CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
CONFIG = ROOT / ".checkov.yaml"

pytestmark = pytest.mark.slow


PROVIDERS = ("aws", "azurerm", "google")


def stack_files(example_synth: dict[str, Any], provider: str, scan_dir: Path) -> list[Path]:
    """What checkov scans of every example stack whose Terraform provider is ``provider``: a copy of
    its ``cdk.tf.json`` (without ``moved`` blocks, see above) in ``scan_dir/<stack>/``."""
    stacks = Path(example_synth["__outdir__"]) / "stacks"
    files = []
    for name, doc in sorted(example_synth.items()):
        if isinstance(doc, dict) and provider in doc.get("provider", {}):
            synthesized = json.loads((stacks / name / "cdk.tf.json").read_text())
            synthesized.pop("moved", None)
            copy = scan_dir / name / "cdk.tf.json"
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_text(json.dumps(synthesized, indent=2, sort_keys=True))
            files.append(copy)
    return files


@pytest.fixture(scope="module")
def scanned(example_synth: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    """The files checkov scans, per provider."""
    scan_dir = tmp_path_factory.mktemp("checkov")
    return {provider: stack_files(example_synth, provider, scan_dir) for provider in PROVIDERS}


def checkov(files: list[Path], config: Path, *, passed: bool = False) -> dict[str, Any]:
    """checkov's results over ``files`` with the configuration ``config`` (no parsing error allowed);
    ``passed``: with the passed checks too."""
    assert CHECKOV.exists(), f"{CHECKOV} is missing: run `make setup`"
    command = [str(CHECKOV), "--config-file", str(config), "--output", "json"] + (
        [] if passed else ["--quiet"]
    )
    command += [arg for file in files for arg in ("--file", str(file))]
    # run where the configuration is: checkov also reads a .checkov.yaml of its working directory
    run = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False, cwd=config.parent)
    assert run.returncode in (0, 1), run.stderr  # 1: some check failed; anything else: checkov broke
    reports = json.loads(run.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    assert [r["check_type"] for r in reports] == ["terraform_json"], run.stdout[:2000]
    (report,) = reports
    assert report["summary"]["parsing_errors"] == 0, run.stdout[:2000]
    return dict(report["results"])


def failed_checks(files: list[Path], config: Path) -> list[dict[str, Any]]:
    """checkov's failed checks over ``files`` with the configuration ``config``."""
    return list(checkov(files, config)["failed_checks"])


def describe(failed: list[dict[str, Any]]) -> list[str]:
    return sorted(
        f"{f['check_id']} {f['check_name']}: {f['resource']} in {Path(f['file_path']).parent.name}"
        for f in failed
    )


def test_the_aws_examples_pass_checkov(scanned: dict[str, list[Path]]) -> None:
    files = scanned["aws"]
    assert len(files) >= 4, files
    assert describe(failed_checks(files, CONFIG)) == []


def test_the_gcp_and_azure_examples_pass_checkov(scanned: dict[str, list[Path]]) -> None:
    """Every GCP and Azure example parses and fails no check. On GCP, checkov's IAM and service
    account checks do run (a stack with no check run at all would pass vacuously)."""
    assert len(scanned["google"]) >= 2 and len(scanned["azurerm"]) >= 2, scanned
    results = checkov(scanned["google"] + scanned["azurerm"], CONFIG, passed=True)
    assert describe(results["failed_checks"]) == []
    ran_on = {Path(check["file_path"]).parent.name for check in results["passed_checks"]}
    assert {file.parent.name for file in scanned["google"]} <= ran_on, ran_on


def test_every_skipped_check_has_a_reason_and_still_fails_without_its_skip(
    scanned: dict[str, list[Path]], tmp_path: Path
) -> None:
    text = CONFIG.read_text()
    config = yaml.safe_load(text)
    skipped = config["skip-check"]
    for check in skipped:
        assert re.search(rf"^  - {check}  # \S.*$", text, re.M), f"{check}: one line `- ID  # reason`"
    unskipped = tmp_path / "checkov.yaml"
    unskipped.write_text(yaml.safe_dump({**config, "skip-check": []}))
    every_stack = [file for files in scanned.values() for file in files]
    failing = {f["check_id"] for f in failed_checks(every_stack, unskipped)}
    assert sorted(set(skipped) - failing) == [], "these checks pass now: remove them from .checkov.yaml"
