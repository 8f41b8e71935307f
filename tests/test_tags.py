"""Tag merging (one test per precedence level), per-cloud rendering rules, positioned validation
errors, asset definitions, HCL output and the ``tags`` command."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import textwrap
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from dativo_infra import tags as tags_module
from dativo_infra.config.assets import AssetDefinition, Sourced
from dativo_infra.config.loader import LoadedJob, load_job, load_jobs
from dativo_infra.config.settings import PlatformSettings, load_settings
from dativo_infra.contract import Provider
from dativo_infra.errors import ErrorReport, JobError
from dativo_infra.naming import short_hash
from dativo_infra.tags import (
    check_tags,
    gcp_label_value,
    hcl_map,
    hcl_string,
    merged_tags,
    render_tags,
    render_with_problems,
    tfvars,
)
from dativo_infra.tfcli import terraform_env
from tests.cli import in_new_process, in_process

EXAMPLE_ASSET = Path("jobs/acme/assets/stripe_customers.yaml").resolve()

RUNTIMES = {
    # a log key: the jobs below carry PII classifications, which require encrypted logs on AWS
    "aws": "type: aws_fargate\n    log_kms_key_arn: arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    "azure": "type: azure_container_apps\n    cpu_millicores: 500\n    memory_mib: 1024",
    "gcp": "type: gcp_cloud_run\n    project_id: acme-data-prod",
}

NO_DEFAULTS = PlatformSettings()


def write_job(
    directory: Path,
    *,
    provider: str = "aws",
    extra_tags: str = "",
    top: str = "",
    name: str = "job.yaml",
) -> Path:
    """A valid job file in ``directory``; ``extra_tags`` lines go under infrastructure.tags,
    ``top`` lines at the top level (asset_path, finops, compliance)."""
    region = {"aws": "us-east-1", "azure": "westeurope", "gcp": "europe-west1"}[provider]
    text = textwrap.dedent(
        """\
        tenant_id: acme
        environment: prod
        {top}
        infrastructure:
          provider: {provider}
          region: {region}
          runtime:
            {runtime}
          tags:
            job_name: stripe_customers
            team: data_platform
            pipeline_type: ingestion
            environment: prod
            cost_center: FINOPS-001
        {extra}
        """
    ).format(
        top=top,
        provider=provider,
        region=region,
        runtime=RUNTIMES[provider],
        extra=textwrap.indent(textwrap.dedent(extra_tags), "    ") if extra_tags else "",
    )
    path = directory / name
    path.write_text(text)
    return path


def job_at(tmp_path: Path, **kwargs: str) -> LoadedJob:
    return load_job(write_job(tmp_path, **kwargs))


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def with_asset(job: LoadedJob, **sections: dict[str, str]) -> LoadedJob:
    """``job`` as if its asset definition held the given sections (tags are a pure function of the
    loaded job: no file is read)."""
    asset = AssetDefinition(
        "asset.yaml",
        **{
            name: {k: Sourced(v, "asset.yaml", 1, f"{name}.{k}") for k, v in tags.items()}
            for name, tags in sections.items()
        },
    )
    return dataclasses.replace(job, asset=asset)


# --- precedence: each level overrides the one below ---------------------------------------------


def test_platform_defaults_are_the_base(tmp_path: Path) -> None:
    settings = PlatformSettings(default_tags={"platform": "dativo", "Region-Owner": "emea"})
    tags = merged_tags(job_at(tmp_path), settings)
    assert tags["platform"] == "dativo"
    assert tags["Region-Owner"] == "emea"  # user keys are kept as written


def test_job_facts_override_platform_defaults(tmp_path: Path) -> None:
    settings = PlatformSettings(default_tags={"tenant_id": "default-tenant", "job_name": "x"})
    tags = merged_tags(job_at(tmp_path), settings)
    assert tags["tenant_id"] == "acme"
    assert tags["job_name"] == "stripe_customers"


def test_governance_overrides_job_facts(tmp_path: Path) -> None:
    job = with_asset(
        job_at(tmp_path), governance={"tenant_id": "from-governance", "owner": "ops@acme.example"}
    )
    tags = merged_tags(job, NO_DEFAULTS)
    assert tags["tenant_id"] == "from-governance"
    assert tags["owner"] == "ops@acme.example"


def test_compliance_overrides_governance(tmp_path: Path) -> None:
    job = with_asset(job_at(tmp_path), governance={"owner": "gov"}, compliance={"owner": "compliance"})
    assert merged_tags(job, NO_DEFAULTS)["owner"] == "compliance"


def test_finops_overrides_compliance(tmp_path: Path) -> None:
    job = with_asset(
        job_at(tmp_path), compliance={"classification": "PII"}, finops={"classification": "finops"}
    )
    assert merged_tags(job, NO_DEFAULTS)["classification"] == "finops"


def test_infrastructure_tags_override_finops(tmp_path: Path) -> None:
    job = job_at(
        tmp_path, top="finops:\n  cost_center: FIN-FROM-FINOPS\n  project: p1", extra_tags="project: p2"
    )
    tags = merged_tags(job, NO_DEFAULTS)
    assert tags["cost_center"] == "FINOPS-001"
    assert tags["project"] == "p2"


def test_platform_owned_keys_override_infrastructure_tags(tmp_path: Path) -> None:
    job = job_at(tmp_path, extra_tags="managed_by: Terraform\ndativo_runtime: mine")
    tags = merged_tags(job, PlatformSettings(default_tags={"managed_by": "x"}))
    assert tags["managed_by"] == "dativo-infra"
    assert tags["dativo_runtime"] == "aws_fargate"


def test_job_compliance_block_overrides_asset_compliance(tmp_path: Path) -> None:
    (tmp_path / "asset.yaml").write_text("compliance:\n  classification: [PII]\n  regulations: [GDPR]\n")
    job = job_at(tmp_path, top="asset_path: asset.yaml\ncompliance:\n  regulations: [GDPR, HIPAA]")
    tags = merged_tags(job, NO_DEFAULTS)
    assert tags["classification"] == "PII"
    assert tags["regulations"] == "GDPR,HIPAA"


def test_job_finops_block_overrides_asset_finops(tmp_path: Path) -> None:
    (tmp_path / "asset.yaml").write_text("finops:\n  project: asset-project\n  business_unit: sales\n")
    job = job_at(tmp_path, top="asset_path: asset.yaml\nfinops:\n  project: job-project")
    tags = merged_tags(job, NO_DEFAULTS)
    assert tags["project"] == "job-project"
    assert tags["business_unit"] == "sales"


def test_governance_section_overrides_team_section(tmp_path: Path) -> None:
    (tmp_path / "asset.yaml").write_text("team:\n  owner: a@x\n  name: t1\ngovernance:\n  owner: b@x\n")
    tags = merged_tags(job_at(tmp_path, top="asset_path: asset.yaml"), NO_DEFAULTS)
    assert tags["owner"] == "b@x"
    assert tags["team"] == "data_platform"  # infrastructure.tags.team is required and wins


def test_merged_map_is_sorted_and_stable(tmp_path: Path) -> None:
    settings = PlatformSettings(default_tags={"zeta": "1", "alpha": "2"})
    first = merged_tags(job_at(tmp_path), settings)
    assert list(first) == sorted(first)
    assert merged_tags(job_at(tmp_path), settings) == first


# --- asset definitions ----------------------------------------------------------------------------


def test_example_asset_contributes_governance_compliance_finops(tmp_path: Path) -> None:
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / EXAMPLE_ASSET.name).write_bytes(EXAMPLE_ASSET.read_bytes())
    job = job_at(tmp_path, top=f"asset_path: assets/{EXAMPLE_ASSET.name}")
    tags = merged_tags(job, NO_DEFAULTS)
    assert {k: tags[k] for k in ("owner", "classification", "regulations", "project", "business_unit")} == {
        "owner": "data-platform@acme.example",
        "classification": "PII",
        "regulations": "GDPR,CCPA",
        "project": "customer-360",
        "business_unit": "revenue",
    }
    assert "retention_days" not in tags
    assert check_tags(job, NO_DEFAULTS) == []
    assert render_tags(tags, Provider.AWS)["regulations"] == "GDPR+CCPA"


def test_older_asset_layout_under_asset_key(tmp_path: Path) -> None:
    (tmp_path / "asset.yaml").write_text(
        "asset:\n  name: x\n  governance:\n    owner: data-team@company.com\n"
        "  compliance:\n    classification: [PII, SENSITIVE]\n  finops:\n    project: payments\n"
    )
    tags = merged_tags(job_at(tmp_path, top="asset_path: asset.yaml"), NO_DEFAULTS)
    assert (tags["owner"], tags["classification"], tags["project"]) == (
        "data-team@company.com",
        "PII,SENSITIVE",
        "payments",
    )


def test_team_member_list_and_scalars(tmp_path: Path) -> None:
    (tmp_path / "asset.yaml").write_text(
        "team:\n  - username: a\n    role: owner\ncompliance:\n  classification: 3\n"
        "finops:\n  project: true\n  business_unit: null\n"
    )
    tags = merged_tags(job_at(tmp_path, top="asset_path: asset.yaml"), NO_DEFAULTS)
    assert "owner" not in tags
    assert (tags["classification"], tags["project"]) == ("3", "true")
    assert "business_unit" not in tags


def load_errors(path: Path) -> list[JobError]:
    """The errors of loading the job file at ``path`` (its asset definition is read with it)."""
    with pytest.raises(ErrorReport) as caught:
        load_job(path)
    return list(caught.value)


def test_missing_asset_path_is_positioned_at_asset_path(tmp_path: Path) -> None:
    path = write_job(tmp_path, top="asset_path: assets/nope.yaml")
    errors = load_errors(path)
    assert len(errors) == 1
    error = errors[0]
    assert (error.file, error.line, error.path) == (
        os.path.relpath(path),
        line_of(path, "asset_path"),
        "asset_path",
    )
    assert error.problem == "asset definition file not found"
    assert error.got == "'assets/nope.yaml'"


def test_asset_path_to_a_directory_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "assets").mkdir()
    errors = load_errors(write_job(tmp_path, top="asset_path: assets"))
    assert [e.path for e in errors] == ["asset_path"]


def test_unreadable_asset_is_positioned_at_asset_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "asset.yaml").write_text("team: x\n")
    path = write_job(tmp_path, top="asset_path: asset.yaml")
    real_open = os.open

    def refuse(file: Any, *args: Any, **kwargs: Any) -> Any:
        if Path(file).name == "asset.yaml":
            raise PermissionError(13, "Permission denied")
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)  # the tests run as root, where chmod 000 still reads
    assert [(e.path, e.problem) for e in load_errors(path)] == [
        ("asset_path", "asset definition file cannot be read (Permission denied)")
    ]


def test_invalid_asset_yaml_is_positioned_in_the_asset_file(tmp_path: Path) -> None:
    (tmp_path / "asset.yaml").write_text("team:\n  owner: [unclosed\n")
    errors = load_errors(write_job(tmp_path, top="asset_path: asset.yaml"))
    assert len(errors) == 1
    assert errors[0].file.endswith("asset.yaml")
    assert errors[0].problem.startswith("invalid YAML")


def test_asset_value_of_wrong_shape_is_positioned_in_the_asset_file(tmp_path: Path) -> None:
    (tmp_path / "asset.yaml").write_text(
        "name: x\ncompliance:\n  regulations:\n    - {name: GDPR}\nfinops: FIN-1\n"
    )
    errors = load_errors(write_job(tmp_path, top="asset_path: asset.yaml"))
    assert [(e.line, e.path, e.problem) for e in errors] == [
        (4, "compliance.regulations[0]", "list item cannot become tag text"),
        (5, "finops", "must be a mapping"),
    ]


def test_job_finops_block_of_wrong_shape(tmp_path: Path) -> None:
    path = write_job(tmp_path, top="finops:\n  project: {a: b}")
    errors = check_tags(load_job(path), NO_DEFAULTS)
    assert [(e.line, e.path, e.problem) for e in errors] == [
        (line_of(path, "project"), "finops.project", "cannot become tag text")
    ]


# --- AWS rendering --------------------------------------------------------------------------------


def problems(tags: dict[str, str], provider: Provider) -> list[str]:
    return [p.problem for p in render_with_problems(tags, provider)[1]]


def test_aws_limits_at_the_boundary_pass() -> None:
    tags = {"k" * 128: "v" * 256, "Zürich office": "Café 42 _.:/=+-@"}
    assert render_tags(tags, Provider.AWS) == dict(sorted(tags.items()))


def test_aws_key_too_long() -> None:
    assert problems({"k" * 129: "v"}, Provider.AWS) == [
        f"tag {'k' * 40!r}...: AWS tag keys are at most 128 characters"
    ]


def test_aws_value_too_long() -> None:
    assert problems({"team": "v" * 257}, Provider.AWS) == [
        "tag 'team': AWS tag values are at most 256 characters"
    ]


@pytest.mark.parametrize("key", ["aws:team", "AWS:team"])
def test_aws_reserved_prefix(key: str) -> None:
    assert problems({key: "x"}, Provider.AWS) == [f"tag {key!r}: the prefix 'aws:' is reserved by AWS"]


def test_aws_bad_characters_in_key_and_value() -> None:
    assert problems({"team#1": "a;b${x}"}, Provider.AWS) == [
        "tag 'team#1': AWS tag keys cannot contain '#'",
        "tag 'team#1': AWS tag values cannot contain '$;{}'",
    ]


def test_aws_comma_in_value_becomes_plus_but_not_in_key() -> None:
    assert render_tags({"regulations": "GDPR,CCPA"}, Provider.AWS) == {"regulations": "GDPR+CCPA"}
    assert problems({"a,b": "x"}, Provider.AWS) == ["tag 'a,b': AWS tag keys cannot contain ','"]


def test_aws_at_most_50_tags() -> None:
    fifty = {f"k{i:02}": "v" for i in range(50)}
    assert len(render_tags(fifty, Provider.AWS)) == 50
    assert problems({**fifty, "k50": "v"}, Provider.AWS) == ["AWS resources take at most 50 tags"]


# --- Azure rendering ------------------------------------------------------------------------------


def test_azure_strips_forbidden_name_characters_keeps_values() -> None:
    assert render_tags({"cost/center?": "<a&b>%\\", "Team": "x"}, Provider.AZURE) == {
        "Team": "x",
        "costcenter": "<a&b>%\\",
    }


def test_azure_name_empty_after_stripping() -> None:
    assert problems({"%/": "x"}, Provider.AZURE) == [
        "tag '%/': nothing is left of the Azure tag name after removing '<>%&\\\\?/'"
    ]


def test_azure_name_and_value_limits() -> None:
    assert render_tags({"n" * 512: "v" * 256}, Provider.AZURE) == {"n" * 512: "v" * 256}
    assert problems({"n" * 513: "v"}, Provider.AZURE) == [
        f"tag {'n' * 40!r}...: Azure tag names are at most 512 characters"
    ]
    assert problems({"team": "v" * 257}, Provider.AZURE) == [
        "tag 'team': Azure tag values are at most 256 characters"
    ]


def test_azure_at_most_50_tags() -> None:
    fifty = {f"k{i:02}": "v" for i in range(50)}
    assert len(render_tags(fifty, Provider.AZURE)) == 50
    assert problems({**fifty, "k50": "v"}, Provider.AZURE) == ["Azure resources take at most 50 tags"]


@pytest.mark.parametrize(("first", "second"), [("Team", "team"), ("a/b", "ab")])
def test_azure_collision_names_both(first: str, second: str) -> None:
    rendered, found = render_with_problems({first: "1", second: "2"}, Provider.AZURE)
    assert len(found) == 1
    assert set(found[0].keys) == {first, second}
    assert repr(first) in found[0].problem and repr(second) in found[0].problem
    assert rendered == {}


# --- GCP rendering --------------------------------------------------------------------------------


def test_gcp_lowercases_and_maps_outside_characters_to_underscore() -> None:
    assert render_tags(
        {"Data-Owner": "Web Analytics", "cost.center": "FIN-001", "ver": "2026.11"}, Provider.GCP
    ) == {
        "cost_center": "fin-001",
        "data-owner": "web_analytics",
        "ver": "2026_11",
    }


@pytest.mark.parametrize("key", ["1team", "_team", "-team", "élan", ""])
def test_gcp_key_must_start_with_a_letter(key: str) -> None:
    assert problems({key: "x"}, Provider.GCP) == [
        f"tag {key!r}: GCP label keys must start with a lowercase letter"
    ]


def test_gcp_key_length() -> None:
    assert render_tags({"k" * 63: "v"}, Provider.GCP) == {"k" * 63: "v"}
    assert problems({"k" * 64: "v"}, Provider.GCP) == [
        f"tag {'k' * 40!r}...: GCP label keys are at most 63 characters"
    ]


def test_gcp_long_values_are_cut_with_a_hash_of_the_original() -> None:
    exact = "v" * 63
    assert render_tags({"k": exact}, Provider.GCP) == {"k": exact}
    long_a, long_b = "x" * 60 + "A" * 10, "x" * 60 + "B" * 10
    rendered_a = gcp_label_value(long_a)
    assert len(rendered_a) == 63
    assert rendered_a == "x" * 56 + "-" + short_hash(long_a)
    assert gcp_label_value(long_b) != rendered_a
    assert gcp_label_value(long_a) == rendered_a


def test_gcp_at_most_64_labels() -> None:
    many = {f"k{i:02}": "v" for i in range(64)}
    assert len(render_tags(many, Provider.GCP)) == 64
    assert problems({**many, "k64": "v"}, Provider.GCP) == ["GCP resources take at most 64 labels"]


@pytest.mark.parametrize(("first", "second"), [("Team", "team"), ("cost.center", "cost_center")])
def test_gcp_collision_names_both(first: str, second: str) -> None:
    rendered, found = render_with_problems({first: "1", second: "2", "other": "3"}, Provider.GCP)
    assert [set(p.keys) for p in found] == [{first, second}]
    assert repr(first) in found[0].problem and repr(second) in found[0].problem
    assert rendered == {"other": "3"}


def test_render_reports_every_problem_at_once_and_sorted_output() -> None:
    with pytest.raises(ErrorReport) as caught:
        render_tags({"aws:x": "1", "b;": "2", "ok": "3"}, Provider.AWS)
    assert [e.path for e in caught.value] == ["tags.aws:x", "tags.b;"]
    rendered = render_tags({"b": "1", "a": "2", "C": "3"}, Provider.GCP)
    assert list(rendered) == ["a", "b", "c"]


# --- validation: positioned errors ----------------------------------------------------------------


def test_check_tags_positions_the_offending_infrastructure_tag(tmp_path: Path) -> None:
    path = write_job(tmp_path, provider="gcp", extra_tags="Team: other\n2fa: on")
    job = load_job(path)
    errors = check_tags(job, NO_DEFAULTS)
    # A collision is positioned at the first key (sorted) of the pair the job itself wrote.
    assert [(e.file, e.line, e.path) for e in errors] == [
        (job.file, line_of(path, "Team: other"), "infrastructure.tags.Team"),
        (job.file, line_of(path, "2fa"), "infrastructure.tags.2fa"),
    ]
    assert any("map to the same GCP label key 'team'" in e.problem for e in errors)
    assert any("must start with a lowercase letter" in e.problem for e in errors)


def test_check_tags_positions_asset_sourced_tags_in_the_asset(tmp_path: Path) -> None:
    (tmp_path / "asset.yaml").write_text("name: x\ncompliance:\n  classification: 'PII;SENSITIVE'\n")
    errors = check_tags(job_at(tmp_path, top="asset_path: asset.yaml"), NO_DEFAULTS)
    assert [(Path(e.file).name, e.line, e.path) for e in errors] == [
        ("asset.yaml", 3, "compliance.classification")
    ]


def test_check_tags_positions_platform_defaults_in_the_settings_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings_file = tmp_path / "platform.yaml"
    settings_file.write_text("default_tags:\n  platform: dativo\n  aws:owner: x\n")
    monkeypatch.setenv("DATIVO_PLATFORM_SETTINGS", str(settings_file))
    settings = load_settings()  # read once; the settings remember the file and its lines
    assert settings.default_tags == {"platform": "dativo", "aws:owner": "x"}
    errors = check_tags(job_at(tmp_path), settings)
    assert [(e.line, e.path) for e in errors] == [(3, "default_tags.aws:owner")]
    assert errors[0].file.endswith("platform.yaml")


def test_count_limit_is_positioned_at_the_tags_block(tmp_path: Path) -> None:
    settings = PlatformSettings(default_tags={f"d{i}": "x" for i in range(50)})
    path = write_job(tmp_path)
    errors = check_tags(load_job(path), settings)
    assert [(e.line, e.path, e.problem) for e in errors] == [
        (line_of(path, "  tags:"), "infrastructure.tags", "AWS resources take at most 50 tags")
    ]


def test_load_jobs_reports_tag_errors_for_validate(tmp_path: Path) -> None:
    path = write_job(tmp_path, extra_tags="'aws:team': x")
    with pytest.raises(ErrorReport) as caught:
        load_jobs([str(tmp_path)])
    expected = JobError(
        str(caught.value.errors[0].file),
        line_of(path, "aws:team"),
        "infrastructure.tags.aws:team",
        "tag 'aws:team': the prefix 'aws:' is reserved by AWS",
        "'aws:team'",
        "a key not starting with aws:",
    )
    assert list(caught.value) == [expected]
    assert Path(expected.file).resolve() == path.resolve()


def test_example_jobs_have_renderable_tags() -> None:
    jobs = load_jobs(["jobs"])
    assert len(jobs) == 11
    for job in jobs:
        assert check_tags(job, load_settings()) == []


# --- HCL / tfvars / CLI -----------------------------------------------------------------------------


def test_hcl_string_escapes() -> None:
    assert hcl_string('a"b\\c\n${x} %{y}\x01') == '"a\\"b\\\\c\\n$${x} %%{y}\\u0001"'
    assert hcl_map({}) == "{}"
    assert tfvars({"b": "1", "a": "2"}) == 'job_metadata = {\n  "a" = "2"\n  "b" = "1"\n}\n'


TRICKY = {"plain": "FINOPS-001", 'q"uote': 'say "hi" \\ ${var.x} %{if}', "nl": "a\nb\tc", "uni": "Zürich ✓"}


def test_tfvars_round_trips_through_terraform(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('variable "job_metadata" {\n  type = map(string)\n}\n')
    (tmp_path / "t.tfvars").write_text(tfvars(TRICKY))
    env = terraform_env()
    for args, extra_env in (
        (["-var-file=t.tfvars"], {}),
        ([], {"TF_VAR_job_metadata": hcl_map(TRICKY)}),
    ):
        result = subprocess.run(
            ["terraform", "console", *args],
            input="jsonencode(var.job_metadata)\n",
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env={**env, **extra_env},
            timeout=60,
            check=True,
        )
        assert json.loads(json.loads(result.stdout)) == TRICKY


def test_cli_tags_formats_and_no_cdktf_import(tmp_path: Path) -> None:
    job = "jobs/initech/clickstream_collector.yaml"
    loaded = load_jobs([job])[0]
    expected = merged_tags(loaded, load_settings())
    as_json = in_process("tags", job)
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout) == expected
    assert in_process("tags", job, "--format", "tfvars").stdout == tfvars(expected)
    assert in_process("tags", job, "-f", "hcl").stdout == hcl_map(expected) + "\n"
    rendered = json.loads(in_process("tags", job, "--rendered").stdout)
    assert rendered == render_tags(expected, Provider.GCP)
    assert rendered["data-owner"] == "web_analytics"
    bad = in_new_process("tags", job, "--format", "xml")  # the installed CLI: exit 2, no traceback
    assert bad.returncode == 2 and "xml" in bad.stderr
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from typer.testing import CliRunner; from dativo_infra.cli import app; "
            "from dativo_infra.cdk import SYNTH_ONLY_MODULES; "
            f"r = CliRunner().invoke(app, ['tags', '{job}']); assert r.exit_code == 0, r.output; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in SYNTH_ONLY_MODULES))",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip() == "[]"


def test_cli_validate_fails_with_positioned_tag_error(tmp_path: Path) -> None:
    path = write_job(tmp_path, provider="gcp", extra_tags="9lives: x")
    result = in_process("validate", str(path))
    assert result.returncode == 2
    assert (
        f":{line_of(path, '9lives')}: infrastructure.tags.9lives: tag '9lives': GCP label keys must start "
        "with a lowercase letter" in result.stderr
    )


@hypothesis_settings(max_examples=500, deadline=None, derandomize=True, database=None)
@given(
    st.text(
        alphabet=st.sampled_from("aZ09 _.:/=+-@,\t\n\u00a0é\u2028<>%&?*\x00") | st.characters(), max_size=40
    )
)
@example("a b\n")
@example("caf\u00e9\u00a0x")
def test_the_plain_text_shortcut_finds_the_same_characters_aws_refuses(text: str) -> None:
    """AWS accepts letters, digits and spaces of any script and its symbols: the ASCII shortcut of
    ``_aws_bad_chars`` agrees with the per-character rule on every text."""
    refused = {
        c for c in text if c not in tags_module.AWS_SYMBOLS and unicodedata.category(c)[0] not in "LNZ"
    }
    assert tags_module._aws_bad_chars(text) == "".join(sorted(refused))
