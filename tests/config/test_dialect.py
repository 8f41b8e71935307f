"""The older dialect mapped onto the canonical form without losing anything the file says: keys that
mean the same thing written twice are errors naming both lines (the invalid fixtures ``legacy_*`` hold
the exact messages), everything else maps as before."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dativo_infra.config.dialect import snake, to_canonical
from dativo_infra.config.loader import load_job, load_jobs
from dativo_infra.config.yamlpos import parse_positioned
from dativo_infra.errors import ErrorReport

VALID = Path("tests/fixtures/jobs/valid")
LEGACY = (VALID / "legacy_ecs.yaml").read_text()


def write(tmp_path: Path, text: str, name: str = "job.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def messages(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ErrorReport) as caught:
        load_job(write(tmp_path, text))
    return [f"{e.line}: {e.path}: {e.problem}" for e in caught.value]


@pytest.mark.parametrize("path", sorted(Path("jobs").rglob("*.yaml")) + sorted(VALID.glob("*.yaml")))
def test_canonical_documents_are_returned_unchanged(path: Path) -> None:
    doc = parse_positioned(path.read_text(), str(path))
    if "cloud_provider" not in path.read_text() and "runtime_environment" not in path.read_text():
        assert to_canonical(doc) is doc


def test_every_error_of_the_dialect_comes_in_one_report_through_load_jobs(tmp_path: Path) -> None:
    text = (
        LEGACY.replace("  cloud_provider: aws\n", "  provider: aws\n  cloud_provider: aws\n")
        .replace("    memory_mb: 2048\n", "    memory_mb: 2048\n    memory_mib: 4096\n")
        .replace("    JobName: csv_employee_to_iceberg\n", "    JobName: a\n    job_name: b\n")
    )
    write(tmp_path, text)
    with pytest.raises(ErrorReport) as caught:
        load_jobs([str(tmp_path)])
    assert [e.path for e in caught.value] == [
        "infrastructure.cloud_provider",
        "infrastructure.runtime_environment.memory_mib",
        "infrastructure.tags.job_name",
    ]
    assert all("both map to" in e.problem for e in caught.value)


def test_a_runtime_block_next_to_cloud_provider_is_kept(tmp_path: Path) -> None:
    # cloud_provider makes the file older-dialect; a canonical runtime beside it is used, not replaced
    text = LEGACY.split("  runtime_environment:")[0] + (
        "  runtime:\n    type: aws_fargate\n    mode: service\n    cpu_millicores: 4000\n    memory_mib: 8192\n"
        "  tags:\n    CostCenter: FIN-001\n    Team: data\n    Environment: prod\n    JobName: orders\n"
    )
    runtime = load_job(write(tmp_path, text)).config.runtime
    assert (runtime.mode, runtime.cpu_millicores, runtime.memory_mib) == ("service", 4000, 8192)


def test_provider_next_to_runtime_environment_maps(tmp_path: Path) -> None:
    job = load_job(write(tmp_path, LEGACY.replace("cloud_provider: aws", "provider: aws")))
    assert job.legacy and job.config.runtime.cpu_millicores == 1000


def test_the_same_tag_written_twice_alike_is_still_an_error(tmp_path: Path) -> None:
    # which spelling the user meant cannot be told: both lines are named even when the values agree
    text = LEGACY.replace(
        "    Team: data-engineering\n", "    Team: data-engineering\n    team: data-engineering\n"
    )
    assert messages(tmp_path, text) == [
        "24: infrastructure.tags.team: Team (line 23) and team (line 24) both map to tags.team"
    ]


def test_an_empty_region_is_not_replaced_by_the_default(tmp_path: Path) -> None:
    assert messages(
        tmp_path, LEGACY.replace("  cloud_provider: aws\n", "  cloud_provider: aws\n  region: ''\n")
    ) == ["9: infrastructure.region: does not match the allowed form"]
    unset = LEGACY.replace("  cloud_provider: aws\n", "  cloud_provider: aws\n  region:\n")
    assert load_job(write(tmp_path, unset)).config.infrastructure.region == "us-east-1"


@pytest.mark.parametrize(
    ("compute", "problem"),
    [
        ("[ecs_task]", "unknown compute type"),
        ("{a: 1}", "unknown compute type"),
        ("null", "unknown compute type"),
    ],
)
def test_a_compute_type_of_the_wrong_shape_is_an_error(tmp_path: Path, compute: str, problem: str) -> None:
    text = LEGACY.replace("compute_type: ecs_task", f"compute_type: {compute}")
    assert messages(tmp_path, text) == [f"10: infrastructure.runtime_environment.compute_type: {problem}"]


@pytest.mark.parametrize("units", ["1" + "0" * 400, "true"])
def test_odd_cpu_units_are_reported_not_crashed_on(tmp_path: Path, units: str) -> None:
    (message,) = messages(tmp_path, LEGACY.replace("cpu_units: 1024", f"cpu_units: {units}"))
    assert message.startswith("12: infrastructure.runtime.cpu_millicores: ")


def test_a_storage_value_that_is_not_a_mapping_is_an_error(tmp_path: Path) -> None:
    text = LEGACY.replace("    storage:\n      ephemeral_storage_gb: 30\n", "    storage: 30\n")
    assert messages(tmp_path, text) == ["19: infrastructure.runtime_environment.storage: must be a mapping"]


def test_persistent_volume_false_is_what_every_runtime_does(tmp_path: Path) -> None:
    text = LEGACY.replace(
        "ephemeral_storage_gb: 30\n", "ephemeral_storage_gb: 30\n      persistent_volume: false\n"
    )
    assert load_job(write(tmp_path, text)).config.runtime.ephemeral_storage_gib == 30


TAG_KEY = st.sampled_from(
    ["JobName", "job_name", "jobName", "Team", "team", "CostCenter", "cost_center", "Owner"]
)


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(st.lists(TAG_KEY, min_size=1, max_size=6, unique=True))
def test_tags_are_never_dropped(keys: list[str]) -> None:
    """Either every tag the file wrote is in the canonical tags (plus pipeline_type), or an error."""
    tags = "".join(f"    {key}: v{i}\n" for i, key in enumerate(keys))
    text = f"tenant_id: a\ninfrastructure:\n  cloud_provider: aws\n  tags:\n{tags}"
    doc = parse_positioned(text, "job.yaml")
    collide = len({snake(k) for k in keys}) < len(keys)
    try:
        out = to_canonical(doc).value["infrastructure"]["tags"]
    except ErrorReport as report:
        assert collide and all("both map to tags." in e.problem for e in report)
        return
    assert not collide
    assert sorted(v for k, v in out.items() if k != "pipeline_type") == sorted(
        f"v{i}" for i in range(len(keys))
    )


def test_twenty_gib_of_ephemeral_storage_is_fargates_default(tmp_path: Path) -> None:
    """Seed 002 writes ephemeral_storage_gb: 20, Fargate's own size: it means the default; 19 does not exist."""
    twenty = LEGACY.replace("ephemeral_storage_gb: 30", "ephemeral_storage_gb: 20")
    assert load_job(write(tmp_path, twenty)).config.runtime.ephemeral_storage_gib == 20
    nineteen = LEGACY.replace("ephemeral_storage_gb: 30", "ephemeral_storage_gb: 19")
    (message,) = messages(tmp_path, nineteen)
    assert message.startswith(f"{LEGACY.splitlines().index('      ephemeral_storage_gb: 30') + 1}: ")
    assert "infrastructure.runtime.ephemeral_storage_gib" in message
