"""Required tags from more than one place (seed 002's precedence): ``team`` from the asset's governance,
``cost_center`` from the job's or the asset's finops block, either from the platform's default_tags;
``infrastructure.tags`` wins over all. A tag no place gives is an error listing every place."""

from __future__ import annotations

from pathlib import Path

import pytest

from dativo_infra.config.loader import load_job
from dativo_infra.errors import ErrorReport
from dativo_infra.tags import merged_tags
from tests.cli import in_process

BASE = Path("tests/fixtures/jobs/valid/minimal_aws.yaml").read_text()
ASSET = "team:\n  owner: owner@example.com\n  name: asset_team\nfinops:\n  cost_center: ASSET-CC\n"


def job(tmp_path: Path, text: str, asset: str | None = None) -> Path:
    if asset is not None:
        (tmp_path / "assets").mkdir(parents=True)
        (tmp_path / "assets" / "a.yaml").write_text(asset)
        text = text.replace("environment: prod\n", "environment: prod\nasset_path: assets/a.yaml\n", 1)
    path = tmp_path / "job.yaml"
    path.write_text(text)
    return path


def without(text: str, *keys: str) -> str:
    return "".join(line for line in text.splitlines(keepends=True) if line.strip().split(":")[0] not in keys)


def test_team_and_cost_center_come_from_the_asset(tmp_path: Path) -> None:
    loaded = load_job(job(tmp_path, without(BASE, "team", "cost_center"), ASSET))
    tags = merged_tags(loaded)
    assert (tags["team"], tags["cost_center"]) == ("asset_team", "ASSET-CC")


def test_the_jobs_finops_block_wins_over_the_asset_and_infrastructure_tags_over_both(tmp_path: Path) -> None:
    text = without(BASE, "team", "cost_center") + "finops:\n  cost_center: JOB-CC\n"
    assert merged_tags(load_job(job(tmp_path / "a", text, ASSET)))["cost_center"] == "JOB-CC"
    assert (
        merged_tags(load_job(job(tmp_path / "b", BASE + "finops:\n  cost_center: JOB-CC\n", ASSET)))[
            "cost_center"
        ]
        == "FINOPS-001"
    )


def test_a_missing_tag_lists_every_place_it_could_come_from(tmp_path: Path) -> None:
    text = without(BASE, "team", "cost_center")
    with pytest.raises(ErrorReport) as caught:
        load_job(job(tmp_path, text, "team:\n  name: asset_team\n"))
    (error,) = caught.value
    tags_line = text.splitlines().index("  tags:") + 2  # + 1: 1-based; + 1: the asset_path line job() adds
    assert (error.line, error.path, error.problem) == (
        tags_line,
        "infrastructure.tags.cost_center",
        "required tag missing",
    )
    assert error.expected == (
        "one of: infrastructure.tags.cost_center; the job's finops.cost_center; "
        "the asset definition's finops.cost_center; default_tags.cost_center in the platform settings"
    )


def test_a_missing_tag_is_reported_with_the_files_other_errors(tmp_path: Path) -> None:
    text = without(BASE, "team").replace("provider: aws", "provider: oracle")
    with pytest.raises(ErrorReport) as caught:
        load_job(job(tmp_path, text))
    assert [e.path for e in caught.value] == ["infrastructure.provider", "infrastructure.tags.team"]


def test_explain_names_the_level_and_place_of_each_value(tmp_path: Path) -> None:
    path = job(tmp_path, without(BASE, "team"), ASSET)
    result = in_process("tags", str(path), "--explain")
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(" = ", 1) for line in result.stdout.splitlines())
    assert lines["team"].startswith("asset_team    <- governance: ") and lines["team"].endswith(
        ":3 team.name"
    )
    assert lines["cost_center"].endswith("infrastructure.tags.cost_center")
    assert lines["managed_by"].startswith("dativo-infra    <- platform_owned: ")
