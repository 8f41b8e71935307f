"""``dativo-infra tfvars``: the job's Terraform variables, as .tfvars.json and as escaped HCL."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dativo_infra.config.loader import load_jobs
from dativo_infra.settings import load_settings
from dativo_infra.tags import merged_tags
from dativo_infra.tfcli import terraform_env
from dativo_infra.tfvars import hcl_string, job_variables, render_tfvars, to_hcl

TRICKY = Path("tests/fixtures/render/tfvars_tricky_job.yaml")
VARIABLES = ("cloud_provider", "job_metadata", "resource_refs", "runtime_environment", "tags")


def test_variables_of_a_canonical_job() -> None:
    job = load_jobs(["jobs/acme/stripe_customers_to_iceberg.yaml"])[0]
    variables = job_variables(job)
    assert tuple(sorted(variables)) == VARIABLES
    assert variables["cloud_provider"] == "aws"
    runtime = variables["runtime_environment"]
    assert runtime == job.config.runtime.model_dump(mode="json")
    assert (runtime["type"], runtime["mode"], runtime["cpu_millicores"], runtime["memory_mib"],
            runtime["timeout_seconds"], runtime["image"]) == (
        "aws_fargate", "job", 1000, 4096, 5400, "public.ecr.aws/dativo/ingest:1.8.2")
    assert runtime["network"] == {"vpc_id": None, "subnet_ids": [], "security_group_ids": [],
                                  "assign_public_ip": False}
    assert variables["tags"] == merged_tags(job, load_settings())
    assert variables["resource_refs"] == {}
    assert variables["job_metadata"] == {
        "tenant_id": "acme", "environment": "prod", "job_name": "stripe_customers_to_iceberg",
        "source_connector": "stripe", "target_connector": "iceberg",
    }


def test_variables_of_an_older_dialect_job() -> None:
    job = load_jobs(["tests/fixtures/jobs/valid/legacy_ecs.yaml"])[0]
    variables = job_variables(job)
    assert variables["resource_refs"] == {
        "execution_role_arn": "arn:aws:iam::123456789012:role/dativo-etl-execution-role"}
    assert variables["runtime_environment"]["network"]["subnet_ids"] == ["subnet-0123456789abcdef0"]
    assert variables["job_metadata"]["source_connector"] == "csv"
    assert variables["job_metadata"]["target_connector"] == ""


@pytest.mark.parametrize(
    ("text", "hcl"),
    [
        ("plain", '"plain"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("back\\slash", '"back\\\\slash"'),
        ("${var.x}", '"$${var.x}"'),
        ("%{ if x }", '"%%{ if x }"'),
        ("$${x}", '"$$${x}"'),
        ("a\nb\r\tc", '"a\\nb\\r\\tc"'),
        ("\x01\u2028é", '"\\u0001\\u2028é"'),
        ("$ {x} % {y} $", '"$ {x} % {y} $"'),
    ],
)
def test_hcl_string_escapes(text: str, hcl: str) -> None:
    assert hcl_string(text) == hcl


def test_hcl_layout_is_deterministic_golden() -> None:
    variables = {"b": {"z": [1, 2.5, True, None, "s"], "a": {}, "m": []}, "a": "x${y}"}
    assert to_hcl(variables) == (
        'a = "x$${y}"\n'
        "b = {\n"
        '  "a" = {}\n'
        '  "m" = []\n'
        '  "z" = [\n'
        "    1,\n"
        "    2.5,\n"
        "    true,\n"
        "    null,\n"
        '    "s",\n'
        "  ]\n"
        "}\n"
    )


def test_json_is_sorted_and_literal() -> None:
    job = load_jobs([str(TRICKY)])[0]
    text = render_tfvars(job, "json")
    data = json.loads(text)
    assert data == job_variables(job)
    assert data["runtime_environment"]["env"]["TEMPLATE"] == "dativo_${table}"  # JSON tfvars are literal
    assert list(data) == sorted(data) and list(data["job_metadata"]) == sorted(data["job_metadata"])
    assert text == render_tfvars(job, "json")


MAIN_TF = "".join(
    f'variable "{name}" {{\n  type = any\n}}\noutput "{name}" {{\n  value = var.{name}\n}}\n' for name in VARIABLES
)


def terraform_reads(workdir: Path, var_file: Path) -> dict[str, Any]:
    """Apply a configuration that echoes the variables from ``var_file``; return what Terraform read."""
    env = {**terraform_env(), "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1"}
    for args in (["init", "-input=false", "-no-color"],
                 ["apply", "-auto-approve", "-input=false", "-no-color", f"-var-file={var_file.name}"]):
        done = subprocess.run(["terraform", *args], cwd=workdir, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
    shown = subprocess.run(["terraform", "output", "-json"], cwd=workdir, env=env, capture_output=True, text=True,
                           timeout=120, check=True)
    return {name: entry["value"] for name, entry in json.loads(shown.stdout).items()}


@pytest.mark.parametrize("fmt", ["hcl", "json"])
def test_terraform_reads_back_exactly_the_jobs_values(fmt: str, tmp_path: Path) -> None:
    job = load_jobs([str(TRICKY)])[0]
    (tmp_path / "main.tf").write_text(MAIN_TF)
    var_file = tmp_path / ("job.tfvars" if fmt == "hcl" else "job.tfvars.json")
    var_file.write_text(render_tfvars(job, fmt))
    read = terraform_reads(tmp_path, var_file)
    expected = job_variables(job)
    assert read == json.loads(json.dumps(expected))
    assert read["runtime_environment"]["env"]["TEMPLATE"] == "dativo_${table}"
    assert read["runtime_environment"]["env"]["ESCAPED"] == "$${already}"
    assert read["resource_refs"]["role ${arn}"] == "arn:aws:iam::123456789012:role/x"


def test_cli_tfvars() -> None:
    cli = [sys.executable, "-m", "dativo_infra.cli", "tfvars"]
    hcl = subprocess.run([*cli, str(TRICKY), "--format", "hcl"], capture_output=True, text=True, timeout=120)
    assert hcl.returncode == 0, hcl.stderr
    assert hcl.stdout == render_tfvars(load_jobs([str(TRICKY)])[0], "hcl")
    bad = subprocess.run([*cli, str(TRICKY), "--format", "yaml"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "'yaml' is not one of json, hcl" in bad.stderr
