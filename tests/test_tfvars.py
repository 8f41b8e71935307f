"""``dativo-infra tfvars``: the job's Terraform variables, as .tfvars.json and as escaped HCL."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from dativo_infra.config.loader import load_jobs
from dativo_infra.config.schema import PLACEHOLDER_RE
from dativo_infra.config.settings import load_settings
from dativo_infra.tags import merged_tags
from dativo_infra.tfcli import terraform_env
from dativo_infra.tfvars import hcl_string, job_variables, render_tfvars, to_hcl
from tests.cli import in_new_process, in_process

TRICKY = Path("tests/fixtures/render/tfvars_tricky_job.yaml")
VARIABLES = ("cloud_provider", "job_metadata", "resource_refs", "runtime_environment", "tags")


def test_variables_of_a_canonical_job() -> None:
    job = load_jobs(["jobs/acme/stripe_customers_to_iceberg.yaml"])[0]
    variables = job_variables(job)
    assert tuple(sorted(variables)) == VARIABLES
    assert variables["cloud_provider"] == "aws"
    runtime = variables["runtime_environment"]
    older = {
        "compute_type": "ecs_task",
        "compute_size": "medium",
        "cpu_units": 1024,
        "memory_mb": 4096,
        "storage": {"ephemeral_storage_gb": 20, "persistent_volume": False},
        "service_account": None,
    }
    dumped = job.config.runtime.model_dump(mode="json")
    dumped["network"]["assign_public_ip"] = True  # resolved: the default VPC path gives a public IP
    assert runtime == {**dumped, **older}
    assert (
        runtime["type"],
        runtime["mode"],
        runtime["cpu_millicores"],
        runtime["memory_mib"],
        runtime["timeout_seconds"],
        runtime["image"],
    ) == ("aws_fargate", "job", 1000, 4096, 5400, "public.ecr.aws/dativo/ingest:1.8.2")  # the state machine's
    assert runtime["network"] == {
        "vpc_id": None,
        "subnet_ids": [],
        "security_group_ids": [],
        "assign_public_ip": True,
        "egress": None,
        "create_security_group": True,
    }
    assert variables["tags"] == merged_tags(job, load_settings())
    assert variables["resource_refs"] == {}
    assert variables["job_metadata"] == {
        "tenant_id": "acme",
        "environment": "prod",
        "job_name": "stripe_customers_to_iceberg",
        "asset_name": "stripe_customers",
        "source_connector": "stripe",
        "target_connector": "iceberg",
    }


def test_variables_of_an_older_dialect_job() -> None:
    job = load_jobs(["tests/fixtures/jobs/valid/legacy_ecs.yaml"])[0]
    variables = job_variables(job)
    assert variables["resource_refs"] == {
        "execution_role_arn": "arn:aws:iam::123456789012:role/dativo-etl-execution-role"
    }
    assert variables["runtime_environment"]["network"]["subnet_ids"] == ["subnet-0123456789abcdef0"]
    assert variables["job_metadata"]["source_connector"] == "csv"
    assert variables["job_metadata"]["target_connector"] == ""
    assert variables["job_metadata"]["asset_name"] == variables["job_metadata"]["job_name"]  # no asset
    assert variables["runtime_environment"]["compute_type"] == "ecs_task"


def test_rendered_resource_identifiers_become_resource_refs(tmp_path: Path) -> None:
    from dativo_infra.render import render_one

    job_file = tmp_path / "job.yaml"
    job_file.write_text(Path("jobs/acme/orders_cdc_stream.yaml").read_text())
    template = load_jobs([str(job_file)])[0]
    assert job_variables(template)["resource_refs"] == {}  # placeholders are not references yet
    names = template.config.referenced_outputs()
    outputs = tmp_path / "outputs.json"
    outputs.write_text(
        json.dumps({n: {"value": f"{n}-value", "type": "string", "sensitive": False} for n in names})
    )
    render_one(job_file, outputs, in_place=True)
    rendered = load_jobs([str(job_file)], rendered=True)[0]
    refs = job_variables(rendered)["resource_refs"]
    assert refs == {
        key: f"{PLACEHOLDER_RE.search(text).group(1)}-value"  # type: ignore[union-attr]
        for key, text in template.config.infrastructure.resource_identifiers.items()
    }
    cli = in_process("tfvars", str(job_file))
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout)["resource_refs"] == refs


# The variables of the plain-Terraform module described in the product documents (seeds/002).
SEED_MODULE_TF = """
variable "cloud_provider" { type = string }
variable "runtime_environment" {
  type = object({
    compute_type      = string
    compute_size      = string
    memory_mb         = number
    cpu_units         = number
    timeout_seconds   = number
    network = object({
      vpc_id              = string
      subnet_ids          = list(string)
      security_group_ids  = list(string)
    })
    storage = object({
      ephemeral_storage_gb = number
      persistent_volume    = bool
    })
    service_account = string
  })
}
variable "tags" { type = map(string) }
variable "resource_refs" {
  type    = map(string)
  default = {}
}
variable "job_metadata" {
  type = object({
    tenant_id        = string
    environment      = string
    asset_name       = string
    source_connector = string
    target_connector = string
  })
}
output "runtime_environment" { value = var.runtime_environment }
output "job_metadata" { value = var.job_metadata }
output "tags" { value = var.tags }
"""


@pytest.mark.parametrize(
    "job_file", ["jobs/acme/stripe_customers_to_iceberg.yaml", "tests/fixtures/jobs/valid/legacy_ecs.yaml"]
)
def test_a_module_typed_like_the_product_documents_accepts_the_file(job_file: str, tmp_path: Path) -> None:
    job = load_jobs([job_file])[0]
    (tmp_path / "main.tf").write_text(SEED_MODULE_TF)
    var_file = tmp_path / "job.tfvars.json"
    var_file.write_text(render_tfvars(job, "json"))
    read = terraform_reads(tmp_path, var_file)
    variables = job_variables(job)
    assert read["job_metadata"]["asset_name"] == variables["job_metadata"]["asset_name"]
    assert read["runtime_environment"]["cpu_units"] == variables["runtime_environment"]["cpu_units"]
    assert (
        read["runtime_environment"]["network"]["subnet_ids"]
        == variables["runtime_environment"]["network"]["subnet_ids"]
    )
    assert "image" not in read["runtime_environment"]  # attributes the module does not declare are dropped
    assert read["tags"] == variables["tags"]


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


def main_tf(names: list[str]) -> str:
    """A configuration that declares the variables ``names`` and outputs each as it is."""
    return "".join(
        f'variable "{name}" {{\n  type = any\n}}\noutput "{name}" {{\n  value = var.{name}\n}}\n'
        for name in names
    )


def terraform_reads(workdir: Path, var_file: Path) -> dict[str, Any]:
    """Apply a configuration that echoes the variables from ``var_file``; return what Terraform read."""
    env = {**terraform_env(), "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1"}
    for args in (
        ["init", "-input=false", "-no-color"],
        ["apply", "-auto-approve", "-input=false", "-no-color", f"-var-file={var_file.name}"],
    ):
        done = subprocess.run(
            ["terraform", *args], cwd=workdir, env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stdout + done.stderr
    shown = subprocess.run(
        ["terraform", "output", "-json"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return {name: entry["value"] for name, entry in json.loads(shown.stdout).items()}


@pytest.mark.parametrize("fmt", ["hcl", "json"])
def test_terraform_reads_back_exactly_the_jobs_values(fmt: str, tmp_path: Path) -> None:
    job = load_jobs([str(TRICKY)])[0]
    (tmp_path / "main.tf").write_text(main_tf(sorted(job_variables(job))))
    var_file = tmp_path / ("job.tfvars" if fmt == "hcl" else "job.tfvars.json")
    var_file.write_text(render_tfvars(job, fmt))
    read = terraform_reads(tmp_path, var_file)
    expected = job_variables(job)
    assert read == json.loads(json.dumps(expected))
    assert read["runtime_environment"]["env"]["TEMPLATE"] == "dativo_${table}"
    assert read["runtime_environment"]["env"]["ESCAPED"] == "$${already}"
    assert read["role_template"] == "role ${arn}"
    assert read["nested"]["key ${x}"] == [1, True, None, "%{x}"]
    assert read["resource_refs"] == {"execution_role_arn": "arn:aws:iam::123456789012:role/x"}


def test_cli_tfvars() -> None:
    hcl = in_process("tfvars", str(TRICKY), "--format", "hcl")
    assert hcl.returncode == 0, hcl.stderr
    assert hcl.stdout == render_tfvars(load_jobs([str(TRICKY)])[0], "hcl")
    bad = in_new_process("tfvars", str(TRICKY), "--format", "yaml")  # the installed CLI: exit 2, no traceback
    assert bad.returncode == 2 and "'yaml' is not one of json, hcl" in bad.stderr
