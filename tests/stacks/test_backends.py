"""State backends from the platform settings: one state per job, for every backend type."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dativo_infra.config.settings import PlatformSettings
from dativo_infra.stacks.job_stack import configure_backend

STACK = "acme-orders-cdc-stream"


def backend_json(settings: dict[str, Any]) -> dict[str, Any]:
    from dativo_infra.cdk import TerraformStack, Testing

    app = Testing.app()
    stack = TerraformStack(app, STACK)
    configure_backend(stack, STACK, PlatformSettings.model_validate(settings))
    return json.loads(Testing.synth(stack))["terraform"]["backend"]


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({}, {"local": {"path": f"../../../state/{STACK}.tfstate"}}),
        (
            {"backend": {"type": "local", "state_dir": "/var/lib/tf"}},
            {"local": {"path": f"/var/lib/tf/{STACK}.tfstate"}},
        ),
        (
            {"backend": {"type": "s3", "bucket": "acme-tf", "region": "us-east-1"}},
            {
                "s3": {
                    "bucket": "acme-tf",
                    "key": f"dativo/jobs/{STACK}.tfstate",
                    "region": "us-east-1",
                    "encrypt": True,
                    "use_lockfile": True,
                }
            },
        ),
        (
            {
                "backend": {
                    "type": "s3",
                    "bucket": "b",
                    "region": "eu-west-1",
                    "key_prefix": "x",
                    "dynamodb_table": "locks",
                }
            },
            {
                "s3": {
                    "bucket": "b",
                    "key": f"x/{STACK}.tfstate",
                    "region": "eu-west-1",
                    "encrypt": True,
                    "use_lockfile": False,
                    "dynamodb_table": "locks",
                }
            },
        ),
        (
            {"backend": {"type": "gcs", "bucket": "acme-tf"}},
            {"gcs": {"bucket": "acme-tf", "prefix": f"dativo/jobs/{STACK}"}},
        ),
        (
            {
                "backend": {
                    "type": "azurerm",
                    "resource_group_name": "rg",
                    "storage_account_name": "sa",
                    "container_name": "tfstate",
                }
            },
            {
                "azurerm": {
                    "resource_group_name": "rg",
                    "storage_account_name": "sa",
                    "container_name": "tfstate",
                    "key": f"dativo/jobs/{STACK}.tfstate",
                }
            },
        ),
    ],
    ids=["local", "local-absolute", "s3-lockfile", "s3-dynamodb", "gcs", "azurerm"],
)
def test_backend(settings: dict[str, Any], expected: dict[str, Any]) -> None:
    assert backend_json(settings) == expected


def test_hcp_terraform_workspace_per_job() -> None:
    from dativo_infra.cdk import TerraformStack, Testing

    app = Testing.app()
    stack = TerraformStack(app, STACK)
    configure_backend(
        stack, STACK, PlatformSettings.model_validate({"backend": {"type": "remote", "organization": "acme"}})
    )
    cloud = json.loads(Testing.synth(stack))["terraform"]["cloud"]
    assert cloud == {
        "hostname": "app.terraform.io",
        "organization": "acme",
        "workspaces": {"name": f"dativo-{STACK}"},
    }
