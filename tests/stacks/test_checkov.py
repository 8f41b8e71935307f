"""checkov (``--framework terraform_json``) passes on every synthesized AWS example stack.

checkov runs from its own virtualenv, ``.venv-checkov``, which ``make setup`` (scripts/setup.sh) builds
from ``requirements-checkov.txt``: its pins clash with the app's. The configuration is the repository's
``.checkov.yaml``, whose ``skip-check`` list names every skipped check with its one-line reason. Two
runs over the same synthesized files: with the configuration (zero failed checks), and with its skip
list emptied (every skipped check must still fail somewhere, else its skip is stale: delete it).
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


def aws_stack_files(example_synth: dict[str, Any]) -> list[Path]:
    """The ``cdk.tf.json`` of every AWS example stack (the AWS provider is configured in it)."""
    stacks = Path(example_synth["__outdir__"]) / "stacks"
    return [
        stacks / name / "cdk.tf.json"
        for name, doc in sorted(example_synth.items())
        if isinstance(doc, dict) and "aws" in doc.get("provider", {})
    ]


def failed_checks(files: list[Path], config: Path) -> list[dict[str, Any]]:
    """checkov's failed checks over ``files`` with the configuration ``config``."""
    assert CHECKOV.exists(), f"{CHECKOV} is missing: run `make setup`"
    command = [str(CHECKOV), "--config-file", str(config), "--output", "json", "--quiet"]
    command += [arg for file in files for arg in ("--file", str(file))]
    # run where the configuration is: checkov also reads a .checkov.yaml of its working directory
    run = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False, cwd=config.parent)
    assert run.returncode in (0, 1), run.stderr  # 1: some check failed; anything else: checkov broke
    reports = json.loads(run.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    assert [r["check_type"] for r in reports] == ["terraform_json"], run.stdout[:2000]
    (report,) = reports
    assert report["summary"]["parsing_errors"] == 0, run.stdout[:2000]
    return list(report["results"]["failed_checks"])


def describe(failed: list[dict[str, Any]]) -> list[str]:
    return sorted(
        f"{f['check_id']} {f['check_name']}: {f['resource']} in {Path(f['file_path']).parent.name}"
        for f in failed
    )


def test_the_aws_examples_pass_checkov(example_synth: dict[str, Any]) -> None:
    files = aws_stack_files(example_synth)
    assert len(files) >= 4 and all(f.is_file() for f in files), files
    assert describe(failed_checks(files, CONFIG)) == []


def test_every_skipped_check_has_a_reason_and_still_fails_without_its_skip(
    example_synth: dict[str, Any], tmp_path: Path
) -> None:
    text = CONFIG.read_text()
    config = yaml.safe_load(text)
    skipped = config["skip-check"]
    for check in skipped:
        assert re.search(rf"^  - {check}  # \S.*$", text, re.M), f"{check}: one line `- ID  # reason`"
    unskipped = tmp_path / "checkov.yaml"
    unskipped.write_text(yaml.safe_dump({**config, "skip-check": []}))
    failing = {f["check_id"] for f in failed_checks(aws_stack_files(example_synth), unskipped)}
    assert sorted(set(skipped) - failing) == [], "these checks pass now: remove them from .checkov.yaml"
