"""Tests of :mod:`dativo_infra.render`, one module per module of the package (fixtures in ``conftest``)."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path("tests/fixtures/render")
GOLDEN_JOB = FIXTURES / "golden_job.yaml"
GOLDEN_OUTPUTS = FIXTURES / "golden_outputs.json"
GOLDEN_CDKTF = FIXTURES / "golden_cdktf_outputs.json"
