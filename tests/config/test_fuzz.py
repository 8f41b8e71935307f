"""Hypothesis fuzz of the loader: random bytes, random YAML trees built from the job schema's keys
and hostile scalars, and mutations of the example jobs. Loading either succeeds or raises
:class:`ErrorReport`; ``dativo-infra validate`` (in-process) exits 0 or 2 without a traceback.
Derandomized (the same examples every run) and sized to stay within a few seconds."""

from __future__ import annotations

import io
import json
import math
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from dativo_infra.config.loader import load_jobs
from dativo_infra.errors import ErrorReport, JobError
from tests.cli import in_process

FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
EXAMPLES = sorted(Path("jobs").rglob("*.yaml"))
EXAMPLE_TEXTS = {p: p.read_text() for p in EXAMPLES if p.name != "platform.yaml" and "assets" not in p.parts}

#: Keys of the job schema (both dialects), so random trees reach past the first "unknown field".
SCHEMA_KEYS = [
    "tenant_id", "environment", "asset_path", "source", "target", "infrastructure", "provider",
    "cloud_provider", "region", "runtime", "runtime_environment", "type", "compute_type", "mode",
    "image", "cpu_millicores", "cpu_units", "memory_mib", "memory_mb", "storage",
    "ephemeral_storage_gb", "ephemeral_storage_gib", "persistent_volume", "network", "vpc_id",
    "subnet_ids", "security_group_ids", "permissions", "secrets", "kms_keys", "bucket", "access",
    "prefix", "env", "schedule", "schedule_timezone", "timeout_seconds", "retries", "scaling",
    "min_replicas", "max_replicas", "parallelism", "port", "ingress", "project_id", "environment_id",
    "resource_identifiers", "tags", "job_name", "JobName", "team", "Team", "cost_center", "CostCenter",
    "pipeline_type", "terraform", "resource_refs", "compute_size", "service_account",
]  # fmt: skip
#: Values the schema gives a meaning to, so that some trees are nearly valid.
MEANINGFUL = [
    "aws", "azure", "gcp", "aws_fargate", "azure_container_apps", "gcp_cloud_run", "ecs_task",
    "cloud_run", "lambda", "job", "service", "us-east-1", "westeurope", "prod", "acme", "0 3 * * *",
    "{{terraform_outputs.cluster_name}}", "{{terraform_outputs.nope}}", "*", "../../../etc/passwd",
    "/dev/zero", "read", "read_write", "arn:aws:s3:::*", "${aws:username}", "::error::x",
]  # fmt: skip
HOSTILE_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=20)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**63, max_value=10**400),
    st.floats(),
    st.sampled_from([math.nan, math.inf, -math.inf, 0.5, 1e308]),
    HOSTILE_TEXT,
    st.sampled_from(MEANINGFUL),
)
KEYS = st.one_of(st.sampled_from(SCHEMA_KEYS), HOSTILE_TEXT)
TREES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=5),
    max_leaves=25,
)
JOB_SHAPED = st.fixed_dictionaries(
    {
        "tenant_id": st.one_of(st.sampled_from(["acme", "umbrella"]), SCALARS),
        "environment": st.one_of(st.just("prod"), SCALARS),
        "infrastructure": st.dictionaries(KEYS, TREES, max_size=8),
    },
    optional={"asset_path": st.one_of(SCALARS, st.sampled_from(["assets/x.yaml", "/etc/hostname"]))},
)
DOCUMENTS = st.one_of(st.dictionaries(KEYS, TREES, max_size=6), JOB_SHAPED, TREES)

_yaml = YAML(typ="safe", pure=True)


def dump(value: Any, as_json: bool) -> bytes:
    if as_json:
        return json.dumps(value).encode()
    out = io.StringIO()
    _yaml.dump(value, out)
    return out.getvalue().encode()


@pytest.fixture(scope="module")
def jobs_copy() -> Iterator[Path]:
    """A copy of the example jobs tree (asset definitions included): mutated jobs are written into it."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "jobs"
        shutil.copytree("jobs", root)
        yield root


def assert_loads_or_reports(path: Path) -> None:
    """The property: the loader returns or raises ErrorReport of JobErrors; the CLI exits 0 or 2."""
    try:
        load_jobs([str(path)])
    except ErrorReport as report:
        assert report.errors and all(isinstance(e, JobError) for e in report.errors)
        str(report)
    result = in_process("validate", str(path))  # fails the test if an exception escapes the command
    assert result.returncode in (0, 2), (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr


@FUZZ
@given(st.binary(max_size=600))
def test_random_bytes(jobs_copy: Path, raw: bytes) -> None:
    path = jobs_copy / "acme" / "fuzz.yaml"
    path.write_bytes(raw)
    assert_loads_or_reports(path)


def _job(provider: Any, runtime_type: Any) -> dict[str, Any]:
    infrastructure = {"provider": provider, "region": "us-east-1", "runtime": {"type": runtime_type}}
    return {"tenant_id": "acme", "environment": "prod", "infrastructure": infrastructure}


@FUZZ
@given(DOCUMENTS, st.booleans())
# Crashes the fuzz found (TypeError: unhashable type in schema.Infrastructure._pairing_first):
@example(_job([], "aws_fargate"), False)
@example(_job({}, "aws_fargate"), False)
@example(_job("aws", []), False)
@example(_job("aws", {}), False)
def test_random_yaml_trees(jobs_copy: Path, document: Any, as_json: bool) -> None:
    path = jobs_copy / "acme" / "fuzz.yaml"
    path.write_bytes(dump(document, as_json))
    assert_loads_or_reports(path)


def _replace_value(line: str, value: Any) -> str:
    key, sep, _ = line.partition(":")
    return f"{key}{sep} {json.dumps(value)}" if sep else line


@FUZZ
@given(
    st.sampled_from(sorted(EXAMPLE_TEXTS)),
    st.sampled_from(["delete", "replace", "duplicate", "truncate", "control"]),
    st.integers(min_value=0, max_value=10_000),
    st.one_of(SCALARS.filter(lambda v: not (isinstance(v, float) and not math.isfinite(v))), TREES),
    st.characters(min_codepoint=0, max_codepoint=31) | st.sampled_from(["\x7f", "\u2028", "\ufeff"]),
)
def test_mutated_examples(
    jobs_copy: Path, example: Path, operation: str, where: int, value: Any, control: str
) -> None:
    text = EXAMPLE_TEXTS[example]
    lines = text.splitlines(keepends=True)
    index = where % len(lines)
    if operation == "delete":
        del lines[index]
    elif operation == "replace":
        lines[index] = _replace_value(lines[index].rstrip("\n"), value) + "\n"
    elif operation == "duplicate":
        lines.insert(index, lines[index])
    mutated = "".join(lines)
    if operation == "truncate":
        mutated = text[: where % len(text)]
    elif operation == "control":
        at = where % len(text)
        mutated = text[:at] + control + text[at:]
    path = jobs_copy / example.relative_to("jobs").parent / "fuzz.yaml"
    path.write_text(mutated)
    try:
        assert_loads_or_reports(path)
    finally:
        path.unlink()
