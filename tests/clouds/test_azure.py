"""Azure rules: resource names valid for any job (the Azure naming rules, written independently of the
code under test), Container App secret names, sizes and references."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dativo_infra.clouds import azure
from dativo_infra.naming import stack_name
from tests.clouds.rules import SECRET_RE, assert_valid_names, env_names, job_names, tenants


def test_memory_follows_cpu() -> None:
    assert azure.memory_mib(500) == 1024 and azure.memory_quantity(azure.memory_mib(250)) == "0.5Gi"
    assert azure.CPU_MILLICORES[0] == 250 and azure.CPU_MILLICORES[-1] == 4000


def test_registry_server_only_for_azure_container_registry() -> None:
    assert azure.acr_server("acme.azurecr.io/team/ingest:1") == "acme.azurecr.io"
    for image in ("ghcr.io/dativo-io/dativo-ingest:1", "python:3.12", "azurecr.io.evil.com/x:1"):
        assert azure.acr_server(image) is None


@settings(max_examples=300, deadline=None)
@given(tenant=tenants, job=job_names)
def test_names_valid_for_any_job(tenant: str, job: str) -> None:
    for name in (stack_name(tenant, job), job):
        names = azure.resource_names(name)
        assert_valid_names(
            rg=names.resource_group,
            log=names.log_analytics_workspace,
            cae=names.environment,
            app=names.container_app,
            job=names.container_app_job,
            identity=names.identity,
            infra_rg=names.infrastructure_resource_group,
        )
        assert azure.resource_names(name) == names  # deterministic


@settings(max_examples=200, deadline=None)
@given(tenant=tenants, first=job_names, second=job_names)
def test_distinct_stacks_get_distinct_app_names(tenant: str, first: str, second: str) -> None:
    a, b = stack_name(tenant, first), stack_name(tenant, second)
    if a != b:
        assert azure.resource_names(a).container_app != azure.resource_names(b).container_app
        assert azure.resource_names(a).container_app_job != azure.resource_names(b).container_app_job
        assert azure.resource_names(a).environment != azure.resource_names(b).environment


@settings(max_examples=200, deadline=None)
@given(variables=st.lists(env_names, min_size=1, max_size=8, unique=True))
def test_secret_names_valid_and_unique(variables: list[str]) -> None:
    names = azure.secret_names(variables)
    assert set(names) == set(variables)
    assert len(set(names.values())) == len(variables)
    for name in names.values():
        assert SECRET_RE.match(name), name
    assert azure.secret_names(list(reversed(variables))) == names


_ID = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/data/providers/"


def test_references_are_matched_whole() -> None:
    """A trailing newline (which '$' would accept) or a wildcard is never part of a reference."""
    url = "https://jobs-kv.vault.azure.net/secrets/token"
    assert azure.secret_url_parts(url) == ("jobs-kv", "token")
    environment = _ID + "Microsoft.App/managedEnvironments/shared-cae"
    assert azure.environment_parts(environment) == ("data", "shared-cae")
    vault = _ID + "Microsoft.KeyVault/vaults/jobs-kv"
    assert azure.key_vault_name(vault) == "jobs-kv"
    storage = _ID + "Microsoft.Storage/storageAccounts/lake"
    assert azure.storage_scope(storage) is not None
    registry = _ID + "Microsoft.ContainerRegistry/registries/acmeacr"
    assert azure.registry_parts(registry) is not None
    assert azure.secret_url_parts(url + "\n") is None
    assert azure.environment_parts(environment + "\n") is None
    assert azure.key_vault_name(vault + "\n") is None
    assert azure.storage_scope(storage + "\n") is None and azure.storage_scope(storage + "*") is None
    assert azure.registry_parts(registry + "\n") is None


@pytest.mark.parametrize(
    ("name", "dedicated", "refused"),
    [
        ("Consumption", False, False),
        ("d4-batch", True, False),
        ("E4", True, False),
        ("a", True, False),
        ("abcdefghijklmno", True, False),  # 15
        ("abcdefghijklmnop", True, True),  # 16
        ("Consumption", True, True),
        ("CONSUMPTION", False, True),
        ("9lives", True, True),
        ("ends-", True, True),
        ("d4_batch", True, True),
        ("d4*", False, True),
    ],
)
def test_workload_profile_names(name: str, dedicated: bool, refused: bool) -> None:
    assert (azure.profile_name_refusal(name, dedicated) is not None) is refused


def test_every_dedicated_profile_fits_every_container_size() -> None:
    """Why cpu/memory need no per-profile rule: the largest size fits the smallest node."""
    largest = max(azure.CPU_MILLICORES)
    for vcpu, gib in azure.DEDICATED_PROFILE_SIZES.values():
        assert largest <= vcpu * 1000 and azure.memory_mib(largest) <= gib * 1024
