"""Azure Container Apps volumes (EmptyDir, AzureFile through an environment storage, Secret) and init
containers: the blocks and resources azurerm 4.55.0 takes, and every error."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from dativo_infra.clouds import azure_volumes as vol
from dativo_infra.config.settings import PlatformSettings
from tests.clouds.rules import assert_azurerm_plan_time_rules
from tests.constructs.conftest import TAGS, Synthesize, data_sources, one
from tests.constructs.test_azure_container_apps_scaling import HEADER, SUB, VAULT, errors

ACCOUNT = f"{SUB}/providers/Microsoft.Storage/storageAccounts/lakefiles"
TOKEN = "https://jobs-kv.vault.azure.net/secrets/api-token"
VOLUMES = f"""\
    secrets: {{API_TOKEN: "{TOKEN}"}}
    permissions: {{secrets: ["{VAULT}"]}}
    volumes:
      - {{name: scratch, type: empty_dir, mount_path: /scratch}}
      - {{name: landing, type: azure_file, account_id: "{ACCOUNT}", share: landing, read_only: true,
         mount_path: /mnt/landing, sub_path: incoming}}
      - {{name: creds, type: secret, mount_path: /etc/creds}}
    init_containers:
      - name: fetch-config
        image: ghcr.io/acme/fetch:1.0
        command: [fetch, --to, /scratch]
        env: {{TARGET: /scratch}}
        mounts: {{scratch: /scratch}}
"""
#: Resource ids ignore case: validate takes an account id with a capitalised account name.
UPPER_ACCOUNT = f"""\
    volumes:
      - {{name: landing, type: azure_file, account_id: "{ACCOUNT.replace("lakefiles", "LakeFiles")}",
         share: landing, mount_path: /mnt/landing}}
"""
JOBS = {
    "job_volumes": HEADER + VOLUMES + TAGS.format(job="volume_job"),
    "service_volumes": HEADER + "    mode: service\n" + VOLUMES + TAGS.format(job="volume_service"),
    "upper_account": HEADER + UPPER_ACCOUNT + TAGS.format(job="volume_upper_account"),
}


@pytest.fixture(scope="module")
def synthesized(synthesize: Synthesize) -> dict[str, dict[str, Any]]:
    return synthesize(JOBS, PlatformSettings())[1]


@pytest.mark.parametrize(
    ("case", "kind"),
    [("job_volumes", "azurerm_container_app_job"), ("service_volumes", "azurerm_container_app")],
)
def test_volumes_mounts_and_init_containers(
    synthesized: dict[str, dict[str, Any]], case: str, kind: str
) -> None:
    doc = synthesized[case]
    template = one(doc, kind)["template"]
    storage = one(doc, "azurerm_container_app_environment_storage")
    assert storage["share_name"] == "landing" and storage["access_mode"] == "ReadOnly"
    assert storage["container_app_environment_id"].startswith("${azurerm_container_app_environment.")
    assert storage["access_key"].startswith("${data.azurerm_storage_account.")
    assert re.fullmatch(r"st-[0-9a-f]{6,}", storage["name"]) and vol.ENVIRONMENT_STORAGE_RE.match(
        storage["name"]
    )
    (account,) = data_sources(doc, "azurerm_storage_account")
    assert (account["name"], account["resource_group_name"]) == ("lakefiles", "data")
    assert template["volume"] == [
        {"name": "scratch", "storage_type": "EmptyDir"},
        {
            "name": "landing",
            "storage_type": "AzureFile",
            "storage_name": "${azurerm_container_app_environment_storage." + storage_id(doc) + ".name}",
        },
        {"name": "creds", "storage_type": "Secret"},
    ]
    (container,) = template["container"]
    assert container["volume_mounts"] == [
        {"name": "scratch", "path": "/scratch"},
        {"name": "landing", "path": "/mnt/landing", "sub_path": "incoming"},
        {"name": "creds", "path": "/etc/creds"},
    ]
    (init,) = template["init_container"]
    assert init["name"] == "fetch-config" and init["image"] == "ghcr.io/acme/fetch:1.0"
    assert init["command"] == ["fetch", "--to", "/scratch"]
    assert [e["name"] for e in init["env"]] == ["AZURE_CLIENT_ID", "TARGET"]
    assert init["volume_mounts"] == [{"name": "scratch", "path": "/scratch"}]
    assert_azurerm_plan_time_rules(doc)


def test_a_capitalised_account_name_is_looked_up_lowercase(synthesized: dict[str, dict[str, Any]]) -> None:
    """Storage account names are lowercase (azurerm's data source refuses capitals); the id's name is
    not case-sensitive, so the lookup uses it lowercased."""
    doc = synthesized["upper_account"]
    (account,) = data_sources(doc, "azurerm_storage_account")
    assert (account["name"], account["resource_group_name"]) == ("lakefiles", "data")
    assert_azurerm_plan_time_rules(doc)


def storage_id(doc: dict[str, Any]) -> str:
    (name,) = doc["resource"]["azurerm_container_app_environment_storage"]
    return str(name)


def test_storage_names_are_unique_per_stack_and_volume() -> None:
    names = {vol.environment_storage_name(s, v) for s in ("a", "b") for v in ("x", "y")}
    assert len(names) == 4 and all(vol.ENVIRONMENT_STORAGE_RE.match(n) and "--" not in n for n in names)


@pytest.mark.parametrize(
    ("runtime", "expected"),
    [
        (
            "    volumes:\n      - {name: Bad_Vol, type: empty_dir, mount_path: relative, share: x}\n"
            "      - {name: data, type: azure_file, mount_path: /a/../b}\n",
            [
                "job.yaml:9: infrastructure.runtime.volumes[0].name: not a volume name",
                "job.yaml:9: infrastructure.runtime.volumes[0].share: applies to an azure_file volume only (this one is empty_dir)",
                "job.yaml:9: infrastructure.runtime.volumes[0].mount_path: not an absolute mount path, got 'relative'",
                "job.yaml:10: infrastructure.runtime.volumes[1].account_id: required for an azure_file volume",
                "job.yaml:10: infrastructure.runtime.volumes[1].share: required for an azure_file volume",
                "job.yaml:10: infrastructure.runtime.volumes[1].mount_path: a '.' or '..' segment leaves the intended directory",
            ],
        ),
        (
            "    volumes:\n      - {name: s, type: secret, mount_path: /s}\n      - {name: e, type: empty_dir}\n"
            '      - {name: f, type: azure_file, account_id: "*", share: "A_B", mount_path: /f}\n',
            [
                "job.yaml:9: infrastructure.runtime.volumes[0].type: a secret volume holds the app's Key Vault secrets, and there are none",
                "job.yaml:11: infrastructure.runtime.volumes[2].account_id: wildcards are not allowed",
                "job.yaml:11: infrastructure.runtime.volumes[2].share: not a file share name, got 'A_B'",
                "job.yaml:10: infrastructure.runtime.volumes[1].name: mounted nowhere, got 'e'",
            ],
        ),
        (
            "    init_containers:\n      - {name: job, image: 'a/b:1', mounts: {nope: /x}, env: {AZURE_CLIENT_ID: x}}\n"
            "      - {name: job, image: 'a/b:1'}\n",
            [
                "job.yaml:9: infrastructure.runtime.init_containers[0].name: not an init container name, got 'job'",
                "job.yaml:9: infrastructure.runtime.init_containers[0].env.AZURE_CLIENT_ID: reserved",
                "job.yaml:9: infrastructure.runtime.init_containers[0].mounts.nope: no such volume",
                "job.yaml:10: infrastructure.runtime.init_containers[1].name: not an init container name",
                "job.yaml:10: infrastructure.runtime.init_containers[1].name: listed twice",
            ],
        ),
        (
            "    volumes:\n      - {name: a, type: empty_dir, mount_path: /data}\n"
            "      - {name: b, type: empty_dir, mount_path: /data}\n"
            "    init_containers:\n      - {name: prep, image: 'a/b:1', mounts: {a: /in, b: /in}}\n",
            [
                "job.yaml:10: infrastructure.runtime.volumes[1].mount_path: mount path used twice in one "
                "container, got '/data'; expected a path of its own",
                "job.yaml:12: infrastructure.runtime.init_containers[0].mounts.b: mount path used twice in one "
                "container, got '/in'; expected a path of its own",
            ],
        ),
    ],
)
def test_volume_errors(tmp_path: Path, runtime: str, expected: list[str]) -> None:
    found = errors(tmp_path, runtime)
    for message in expected:
        assert any(line.startswith(message) for line in found), (message, found)
    assert len(found) == len(expected), found
