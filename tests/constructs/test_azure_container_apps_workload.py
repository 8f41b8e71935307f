"""Azure Container Apps workload profiles (``workload_profiles``, ``workload_profile``): the dedicated
profiles of the environment the stack creates, the profile the app or job runs on, and every error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dativo_infra.config.settings import PlatformSettings
from tests.clouds.azurerm_rules import assert_azurerm_plan_time_rules
from tests.constructs.conftest import TAGS, Synthesize, one
from tests.constructs.test_azure_container_apps_scaling import HEADER, SUB, errors

ENVIRONMENT = f"{SUB}/providers/Microsoft.App/managedEnvironments/cae-shared"
JOBS = {
    "dedicated_job": HEADER
    + """\
    cpu_millicores: 4000
    memory_mib: 8192
    workload_profiles:
      - {name: d8-batch, type: D8, minimum_count: 0, maximum_count: 3}
      - {name: gpu, type: NC24-A100, maximum_count: 1}
    workload_profile: d8-batch
"""
    + TAGS.format(job="dedicated_job"),
    "dedicated_service": HEADER
    + """\
    mode: service
    workload_profiles: [{name: E4, type: E4, minimum_count: 1, maximum_count: 2}]
    workload_profile: E4
"""
    + TAGS.format(job="dedicated_service"),
    "shared_profile": HEADER
    + f"""\
    environment_id: {ENVIRONMENT}
    workload_profile: platform-d4
"""
    + TAGS.format(job="shared_profile"),
    "default_profile": HEADER + TAGS.format(job="default_profile"),
}


@pytest.fixture(scope="module")
def synthesized(synthesize: Synthesize) -> dict[str, dict[str, Any]]:
    return synthesize(JOBS, PlatformSettings())[1]


def _profiles(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return sorted(one(doc, "azurerm_container_app_environment")["workload_profile"], key=lambda p: p["name"])


def test_dedicated_profiles_and_the_job_on_one(synthesized: dict[str, dict[str, Any]]) -> None:
    doc = synthesized["dedicated_job"]
    assert _profiles(doc) == [
        {"name": "Consumption", "workload_profile_type": "Consumption"},
        {"name": "d8-batch", "workload_profile_type": "D8", "minimum_count": 0, "maximum_count": 3},
        {"name": "gpu", "workload_profile_type": "NC24-A100", "minimum_count": 0, "maximum_count": 1},
    ]
    job = one(doc, "azurerm_container_app_job")
    assert job["workload_profile_name"] == "d8-batch"
    assert job["template"]["container"][0]["cpu"] == 4 and job["template"]["container"][0]["memory"] == "8Gi"


def test_a_service_on_a_dedicated_profile(synthesized: dict[str, dict[str, Any]]) -> None:
    doc = synthesized["dedicated_service"]
    assert [p["name"] for p in _profiles(doc)] == ["Consumption", "E4"]
    assert one(doc, "azurerm_container_app")["workload_profile_name"] == "E4"


def test_a_shared_environment_takes_any_valid_profile_name(synthesized: dict[str, dict[str, Any]]) -> None:
    doc = synthesized["shared_profile"]
    assert "azurerm_container_app_environment" not in doc.get("resource", {})
    assert one(doc, "azurerm_container_app_job")["workload_profile_name"] == "platform-d4"


def test_consumption_by_default(synthesized: dict[str, dict[str, Any]]) -> None:
    doc = synthesized["default_profile"]
    assert _profiles(doc) == [{"name": "Consumption", "workload_profile_type": "Consumption"}]
    assert one(doc, "azurerm_container_app_job")["workload_profile_name"] == "Consumption"


@pytest.mark.parametrize("case", sorted(JOBS))
def test_plan_time_rules(synthesized: dict[str, dict[str, Any]], case: str) -> None:
    assert_azurerm_plan_time_rules(synthesized[case])


@pytest.mark.parametrize(
    ("runtime", "expected"),
    [
        (
            "    workload_profiles:\n      - {name: 9lives, type: D3, minimum_count: -1, maximum_count: 0}\n",
            [
                "job.yaml:9: infrastructure.runtime.workload_profiles[0].name: not a workload profile name, got '9lives'",
                "job.yaml:9: infrastructure.runtime.workload_profiles[0].type: not a dedicated workload profile type, got 'D3'",
                "job.yaml:9: infrastructure.runtime.workload_profiles[0].minimum_count: negative, got -1",
                "job.yaml:9: infrastructure.runtime.workload_profiles[0].maximum_count: below 1, got 0",
            ],
        ),
        (
            "    workload_profiles:\n      - {name: consumption, type: D4}\n      - {name: big, type: D4, minimum_count: 3, maximum_count: 2}\n"
            "      - {name: BIG, type: E4}\n",
            [
                "job.yaml:9: infrastructure.runtime.workload_profiles[0].name: the serverless profile's name, got 'consumption'",
                "job.yaml:10: infrastructure.runtime.workload_profiles[1].minimum_count: above maximum_count 2, got 3",
                "job.yaml:11: infrastructure.runtime.workload_profiles[2].name: listed twice, got 'BIG'",
            ],
        ),
        (
            "    workload_profiles:\n      - {name: a, type: NC96-A100, maximum_count: 50}\n      - {name: b, type: D32, maximum_count: 10}\n",
            [
                "job.yaml:10: infrastructure.runtime.workload_profiles[1].maximum_count: the profiles reach 5120 dedicated cores",
            ],
        ),
        (
            "    workload_profiles: [{name: d4, type: D4}]\n    workload_profile: d8\n",
            [
                "job.yaml:9: infrastructure.runtime.workload_profile: not a profile of the job's environment, got 'd8'; expected one of Consumption, d4",
            ],
        ),
        (
            "    workload_profile: consumption\n",
            ["job.yaml:8: infrastructure.runtime.workload_profile: spelled differently, got 'consumption'"],
        ),
        (
            f"    environment_id: {ENVIRONMENT}\n    workload_profiles: [{{name: d4, type: D4}}]\n"
            "    workload_profile: 'd4 *'\n",
            [
                "job.yaml:9: infrastructure.runtime.workload_profiles: an existing environment's profiles are managed",
                "job.yaml:10: infrastructure.runtime.workload_profile: not a workload profile name, got 'd4 *'",
            ],
        ),
    ],
)
def test_workload_profile_errors(tmp_path: Path, runtime: str, expected: list[str]) -> None:
    found = errors(tmp_path, runtime)
    for message in expected:
        assert any(line.startswith(message) for line in found), (message, "\n".join(found))
    assert len(found) == len(expected), found
