"""Azure Container Apps registry credentials (``registry``): username and a Key Vault password read
with the job identity through the per-secret grant runtime.secrets already uses, and every error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dativo_infra.config.settings import PlatformSettings
from tests.clouds.rules import assert_azurerm_plan_time_rules
from tests.constructs.conftest import TAGS, Synthesize, one, resources
from tests.constructs.test_azure_container_apps_scaling import HEADER, VAULT, errors

PASSWORD = "https://jobs-kv.vault.azure.net/secrets/ghcr-token"
JOBS = {
    "private_registry": HEADER
    + f"""\
    image: ghcr.io/acme/ingest:2.1
    registry: {{server: GHCR.io, username: acme-bot, password_secret: "{PASSWORD}"}}
    permissions: {{secrets: ["{VAULT}"]}}
"""
    + TAGS.format(job="private_image"),
}


@pytest.fixture(scope="module")
def synthesized(synthesize: Synthesize) -> dict[str, dict[str, Any]]:
    return synthesize(JOBS, PlatformSettings())[1]


def test_registry_password_from_key_vault(synthesized: dict[str, dict[str, Any]]) -> None:
    doc = synthesized["private_registry"]
    job = one(doc, "azurerm_container_app_job")
    (secret,) = job["secret"]
    assert secret["key_vault_secret_id"] == PASSWORD
    assert secret["identity"].startswith("${azurerm_user_assigned_identity.")
    assert job["registry"] == [
        {"server": "ghcr.io", "username": "acme-bot", "password_secret_name": secret["name"]}
    ]
    grants = [(g["scope"], g["role_definition_name"]) for g in resources(doc, "azurerm_role_assignment")]
    assert grants == [(f"{VAULT}/secrets/ghcr-token", "Key Vault Secrets User")]  # the one per-secret grant
    assert_azurerm_plan_time_rules(doc)


@pytest.mark.parametrize(
    ("runtime", "expected"),
    [
        (
            f'    image: ghcr.io/a/b:1\n    registry: {{server: docker.io, username: u, password_secret: "{PASSWORD}"}}\n',
            [
                "job.yaml:9: infrastructure.runtime.registry.server: the image is not pulled from this registry, got 'docker.io'; expected the image's registry (ghcr.io)",
                "job.yaml:9: infrastructure.runtime.registry.password_secret: Key Vault 'jobs-kv' is not in permissions.secrets",
            ],
        ),
        (
            "    image: ghcr.io/a/b:1\n    registry: {server: ghcr.io, username: u, password_secret: 'hunter2'}\n",
            ["job.yaml:9: infrastructure.runtime.registry.password_secret: not a Key Vault secret URL"],
        ),
        (
            "    image: example.azurecr.io/a:1\n"
            "    registry_id: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/data/providers/"
            "Microsoft.ContainerRegistry/registries/example\n"
            f'    registry: {{server: example.azurecr.io, username: u, password_secret: "{PASSWORD}"}}\n'
            f'    permissions: {{secrets: ["{VAULT}"]}}\n',
            ["job.yaml:10: infrastructure.runtime.registry: registry_id already pulls with the job identity"],
        ),
    ],
)
def test_registry_errors(tmp_path: Path, runtime: str, expected: list[str]) -> None:
    found = errors(tmp_path, runtime)
    for message in expected:
        assert any(line.startswith(message) for line in found), (message, found)
    assert len(found) == len(expected), found
