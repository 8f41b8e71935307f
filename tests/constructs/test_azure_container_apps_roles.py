"""Azure role assignments per job (``permissions.roles``): created for the stack's own identity, each
role and scope checked, privileged roles refused unless ``azure.allowed_privileged_roles`` allows them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from dativo_infra.clouds import azure
from dativo_infra.config.loader import load_job
from dativo_infra.config.settings import AzurePlatform, PlatformSettings, load_settings
from dativo_infra.config.yamlpos import display_path
from dativo_infra.errors import ErrorReport
from tests.constructs.conftest import TAGS, Synthesize, resources
from tests.constructs.test_azure_container_apps_scaling import HEADER, errors

SUBSCRIPTION = "/subscriptions/00000000-0000-0000-0000-000000000000"
GROUP = f"{SUBSCRIPTION}/resourceGroups/data"
TOPIC = f"{GROUP}/providers/Microsoft.EventGrid/topics/loads-done"
ROLES = f"""\
    permissions:
      roles:
        - {{role: EventGrid Data Sender, scope: "{TOPIC}"}}
        - {{role: Reader, scope: "{GROUP}"}}
"""
JOBS = {"job_roles": HEADER + ROLES + TAGS.format(job="role_job")}


@pytest.fixture(scope="module")
def synthesized(synthesize: Synthesize) -> dict[str, dict[str, Any]]:
    return synthesize(JOBS, PlatformSettings())[1]


def test_roles_are_assigned_to_the_stack_identity(synthesized: dict[str, dict[str, Any]]) -> None:
    doc = synthesized["job_roles"]
    grants = resources(doc, "azurerm_role_assignment")
    assert sorted((g["role_definition_name"], g["scope"]) for g in grants) == [
        ("EventGrid Data Sender", TOPIC),
        ("Reader", GROUP),
    ]
    for grant in grants:
        assert re.fullmatch(r"\$\{azurerm_user_assigned_identity\.\w+\.principal_id\}", grant["principal_id"])
        assert grant["principal_type"] == "ServicePrincipal"
    assert all(
        name.startswith("Runtime_role_") or "role_" in name
        for name in doc["resource"]["azurerm_role_assignment"]
    )


def role(name: str, scope: str) -> str:
    return f'    permissions:\n      roles:\n        - {{role: "{name}", scope: "{scope}"}}\n'


@pytest.mark.parametrize(
    ("name", "scope"),
    [
        ("Owner", TOPIC),
        ("user access administrator", GROUP),  # role names compare case-insensitively
        ("Role Based Access Control Administrator", GROUP),
        ("Contributor", SUBSCRIPTION),
        ("Owner", SUBSCRIPTION),
    ],
)
def test_privileged_roles_are_refused_unless_allowed(tmp_path: Path, name: str, scope: str) -> None:
    (error,) = errors(tmp_path, role(name, scope))
    assert error.startswith(
        "job.yaml:10: infrastructure.runtime.permissions.roles[0].role: a privileged role"
    )
    assert "azure.allowed_privileged_roles" in error
    path = tmp_path / "job.yaml"
    allowed = PlatformSettings(azure=AzurePlatform(allowed_privileged_roles=[name.title()]))
    assert load_job(path, allowed).config.runtime.permissions.roles[0].role == name


@pytest.mark.parametrize(
    ("name", "scope"), [("Contributor", GROUP), ("Reader", SUBSCRIPTION), ("Contributor", TOPIC)]
)
def test_other_roles_need_no_allowance(tmp_path: Path, name: str, scope: str) -> None:
    path = tmp_path / "job.yaml"
    path.write_text(HEADER + role(name, scope) + TAGS.format(job="j"))
    assert load_job(path, PlatformSettings()).config.runtime.permissions.roles[0].scope == scope


@pytest.mark.parametrize(
    ("runtime", "expected"),
    [
        (
            role("Reader*", "data"),
            [
                "job.yaml:10: infrastructure.runtime.permissions.roles[0].role: wildcards are not allowed",
                "job.yaml:10: infrastructure.runtime.permissions.roles[0].scope: not a full resource id, got 'data'",
            ],
        ),
        (
            role("Reader", f"{GROUP}/providers/${{var.x}}"),
            ["job.yaml:10: infrastructure.runtime.permissions.roles[0].scope: wildcards are not allowed"],
        ),
        (
            role("Reader", GROUP) + f'        - {{role: reader, scope: "{GROUP}"}}\n',
            ["job.yaml:11: infrastructure.runtime.permissions.roles[1]: listed twice"],
        ),
        (
            f"    existing_identity_id: {GROUP}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ingest\n"
            + role("Reader", GROUP),
            [
                "job.yaml:10: infrastructure.runtime.permissions.roles: the stack grants roles only to an identity it creates"
            ],
        ),
    ],
)
def test_role_errors(tmp_path: Path, runtime: str, expected: list[str]) -> None:
    found = errors(tmp_path, runtime)
    for message in expected:
        assert any(line.startswith(message) for line in found), (message, found)
    assert len(found) == len(expected), found


def test_the_platform_file_allows_privileged_roles(tmp_path: Path) -> None:
    (tmp_path / "platform.yaml").write_text("azure:\n  allowed_privileged_roles:\n    - Contributor\n")
    settings = load_settings(tmp_path / "platform.yaml")
    path = tmp_path / "job.yaml"
    path.write_text(HEADER + role("Contributor", SUBSCRIPTION) + TAGS.format(job="j"))
    assert load_job(path, settings).config.runtime.permissions.roles[0].role == "Contributor"
    (tmp_path / "bad.yaml").write_text("azure:\n  allowed_privileged_roles:\n    - Owner*\n")
    with pytest.raises(ErrorReport) as caught:
        load_settings(tmp_path / "bad.yaml")
    (error,) = [str(e) for e in caught.value]
    assert error.startswith(
        f"{display_path(tmp_path / 'bad.yaml')}:3: azure.allowed_privileged_roles[0]: wildcards are not allowed"
    )


@pytest.mark.parametrize(
    ("scope", "ok"),
    [
        (SUBSCRIPTION, True),
        (GROUP, True),
        (TOPIC, True),
        (f"{GROUP}/providers/Microsoft.Storage/storageAccounts/a/blobServices/default/containers/c", True),
        ("/subscriptions/not-a-guid", False),
        (f"{GROUP}/providers/Microsoft.EventGrid", False),
        ("/providers/Microsoft.Management/managementGroups/root", False),
        (f"{GROUP}/", False),
    ],
)
def test_scope_grammar(scope: str, ok: bool) -> None:
    assert (azure.role_scope_refusal(scope) is None) == ok


# --- one vault, per-secret and vault-wide needs; storage prefixes as ABAC conditions ------------------

VAULT = f"{GROUP}/providers/Microsoft.KeyVault/vaults/jobs-kv"
OTHER_VAULT = f"{GROUP}/providers/Microsoft.KeyVault/vaults/other-kv"
CONTAINER = f"{GROUP}/providers/Microsoft.Storage/storageAccounts/lake/blobServices/default/containers/raw"


def test_vault_wide_replaces_the_per_secret_grants_of_its_vault() -> None:
    from dativo_infra.constructs.azure_container_apps import KEY_VAULT_ROLE, role_assignments
    from tests.constructs.test_azure_container_apps import azure_runtime

    runtime = azure_runtime(
        secrets={
            "A": "https://jobs-kv.vault.azure.net/secrets/a",
            "B": "https://other-kv.vault.azure.net/secrets/b",
        },
        permissions={"secrets": [OTHER_VAULT], "vault_wide": [VAULT]},
    )
    assert [(g.id.rsplit("_", 1)[0], g.scope, g.role) for g in role_assignments(runtime)] == [
        ("key_vault", VAULT, KEY_VAULT_ROLE),  # one grant on the whole vault, no per-secret grant of it
        ("key_vault_secret", f"{OTHER_VAULT}/secrets/b", KEY_VAULT_ROLE),
    ]


def test_storage_prefix_is_an_abac_condition() -> None:
    from dativo_infra.constructs.azure_container_apps import role_assignments
    from tests.constructs.test_azure_container_apps import azure_runtime

    runtime = azure_runtime(
        permissions={
            "storage": [
                {"bucket": CONTAINER, "access": "read", "prefix": "raw/events/"},
                {"bucket": CONTAINER, "access": "write", "prefix": "out/"},
                {"bucket": CONTAINER, "access": "read"},
            ]
        }
    )
    grants = role_assignments(runtime)
    by_prefix = {g.condition is not None and ("raw/events/" in g.condition): g for g in grants if g.condition}
    assert [(g.role, g.condition is None) for g in grants] == [
        ("Storage Blob Data Reader", True),
        ("Storage Blob Data Contributor", False),
        ("Storage Blob Data Reader", False),
    ]
    assert len({g.id for g in grants}) == 3
    read = by_prefix[True].condition or ""
    assert (
        "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers/blobs:path] StringStartsWith 'raw/events/'"
        in read
    )
    assert (
        "@Request[Microsoft.Storage/storageAccounts/blobServices/containers/blobs:prefix] StringStartsWith 'raw/events/'"
        in read
    )
    assert "blobs/write" not in read
    write = by_prefix[False].condition or ""
    for action in azure.BLOB_WRITE_ACTIONS:
        assert (
            f"ActionMatches{{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/{action}'}}"
            in write
        )
    assert write.count("(") == write.count(")")


def test_condition_reaches_the_stack(synthesize: Synthesize) -> None:
    text = (
        HEADER
        + (
            f'    permissions:\n      storage:\n        - {{bucket: "{CONTAINER}", access: read_write, prefix: raw/}}\n'
        )
        + TAGS.format(job="prefixed")
    )
    doc = synthesize({"prefixed": text}, PlatformSettings())[1]["prefixed"]
    (grant,) = resources(doc, "azurerm_role_assignment")
    assert grant["condition_version"] == "2.0" and "StringStartsWith 'raw/'" in grant["condition"]


@pytest.mark.parametrize(
    ("runtime", "expected"),
    [
        (
            f'    permissions:\n      storage:\n        - {{bucket: "{GROUP}/providers/Microsoft.Storage/storageAccounts/lake",'
            " prefix: raw/}\n",
            [
                "job.yaml:10: infrastructure.runtime.permissions.storage[0].prefix: a prefix narrows a blob container"
            ],
        ),
        (
            f'    permissions:\n      storage:\n        - {{bucket: "{CONTAINER}", prefix: "raw/*"}}\n',
            ["job.yaml:10: infrastructure.runtime.permissions.storage[0].prefix: wildcards are not allowed"],
        ),
        (
            f'    permissions:\n      storage:\n        - {{bucket: "{CONTAINER}", prefix: "it\'s/"}}\n',
            ["job.yaml:10: infrastructure.runtime.permissions.storage[0].prefix: not a blob path prefix"],
        ),
        (
            "    permissions:\n      vault_wide: [kv]\n",
            ["job.yaml:9: infrastructure.runtime.permissions.vault_wide[0]: not a Key Vault resource id"],
        ),
        (
            f"    existing_identity_id: {GROUP}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ingest\n"
            f'    permissions:\n      vault_wide: ["{VAULT}"]\n',
            [
                "job.yaml:10: infrastructure.runtime.permissions.vault_wide: the stack grants roles only to an identity"
            ],
        ),
    ],
)
def test_permission_errors(tmp_path: Path, runtime: str, expected: list[str]) -> None:
    found = errors(tmp_path, runtime)
    for message in expected:
        assert any(line.startswith(message) for line in found), (message, found)
    assert len(found) == len(expected), found
