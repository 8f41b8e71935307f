"""(slow) ``terraform init -backend=false`` + ``terraform validate`` of the GCP and Azure example stacks,
and :func:`terraform_validate`, the one helper every such test uses (the AWS ones too).

A stack is validated where Terraform can install its provider at the version the bindings were made
for (:func:`dativo_infra.tfcli.installable`): a discovered filesystem mirror holds that version, or the
provider is in no mirror and the public registry is reachable. Reachability is
``DATIVO_TF_REGISTRY=1``/``0`` when set, else one HEAD request to the registry's service-discovery
document with a 2 s budget (name resolution included), asked once per session and only when a
provider is in no mirror. Anywhere else the test is skipped, and the skip reason names the provider,
its version and where it was looked for (pytest's ``-ra`` in ``addopts`` prints it in the summary).

These tests run Terraform with a CLI config generated from the same discovery they decide on (in a
temporary directory; ``.gen/terraform.rc`` is left alone) and a shared plugin cache, so a registry
download happens once per provider, not once per stack.
"""

from __future__ import annotations

import functools
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from dativo_infra import tfcli
from dativo_infra.config.provider_versions import TERRAFORM_PROVIDER
from dativo_infra.contract import PROVIDER_OF_RUNTIME, RuntimeType

#: The runtimes validated here (AWS stacks: tests/constructs/test_aws_fargate.py, mirror on this machine).
RUNTIMES = (RuntimeType.GCP_CLOUD_RUN, RuntimeType.AZURE_CONTAINER_APPS)


def terraform_validate(stack_dir: Path, env: dict[str, str] | None = None) -> None:
    """``terraform init -backend=false`` and ``terraform validate`` in ``stack_dir``; fails with
    Terraform's output. ``env`` defaults to :func:`dativo_infra.tfcli.terraform_env`."""
    from dativo_infra.tfcli import terraform_env

    env = terraform_env() if env is None else env
    for command in (
        ["terraform", "init", "-backend=false", "-input=false", "-no-color"],
        ["terraform", "validate", "-no-color"],
    ):
        result = subprocess.run(command, cwd=stack_dir, env=env, capture_output=True, text=True, timeout=600)
        if result.returncode != 0:
            print(result.stdout)
            print(result.stderr)
        assert result.returncode == 0, f"{' '.join(command)} failed in {stack_dir}:\n{result.stderr}"


def _example_jobs() -> list[Any]:
    from dativo_infra.config.loader import load_jobs

    return [job for job in load_jobs(["jobs"]) if job.config.runtime.type in RUNTIMES]


#: (stack, Terraform provider) of every GCP and Azure example job (collected once, pure Python).
EXAMPLE_STACKS = sorted(
    (job.stack_name, TERRAFORM_PROVIDER[PROVIDER_OF_RUNTIME[job.config.runtime.type]])
    for job in _example_jobs()
)


@functools.cache
def _mirrors() -> dict[str, Path]:
    return tfcli.discover_mirrors()


@functools.cache
def _registry() -> tuple[bool, str]:
    return tfcli.registry_reachable()


def skip_reason(provider_name: str) -> str | None:
    """Why ``terraform init`` cannot install the bound ``provider_name`` here, or None when it can."""
    provider = tfcli.bound_provider(provider_name)
    if provider is None:
        return f"hashicorp/{provider_name}: its cdktf-cdktf-provider-{provider_name} package is not installed"
    mirrors = _mirrors()
    return tfcli.installable(provider, mirrors, None if provider.address in mirrors else _registry())


@pytest.fixture(scope="session")
def validate_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """terraform's environment with a CLI config from the discovery the skips decide on, and a plugin cache."""
    folder = tmp_path_factory.mktemp("terraform-cli")
    config = folder / "terraform.rc"
    config.write_text(tfcli.cli_config_text(_mirrors()))
    (folder / "plugin-cache").mkdir()
    env = tfcli.terraform_env()
    env["TF_CLI_CONFIG_FILE"] = str(config)
    env["TF_PLUGIN_CACHE_DIR"] = str(folder / "plugin-cache")
    return env


@pytest.fixture(scope="session")
def cloud_examples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every GCP and Azure example job synthesized once for the real cloud: the outdir."""
    from dativo_infra.config.settings import load_settings
    from dativo_infra.synth import synth

    jobs = _example_jobs()
    outdir = tmp_path_factory.mktemp("cloud-examples") / "cdktf.out"
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("DATIVO_DEPLOY_TARGET", raising=False)
        synth(jobs, outdir, load_settings())
    return outdir


def test_every_gcp_and_azure_example_is_validated() -> None:
    assert {provider for _, provider in EXAMPLE_STACKS} == {"google", "azurerm"}


@pytest.mark.slow
@pytest.mark.parametrize(("stack", "provider"), EXAMPLE_STACKS, ids=[stack for stack, _ in EXAMPLE_STACKS])
def test_examples_pass_terraform_validate(stack: str, provider: str, request: pytest.FixtureRequest) -> None:
    reason = skip_reason(provider)
    if reason is not None:
        pytest.skip(reason)  # decided before synthesizing: a skipped run costs no provider load
    outdir: Path = request.getfixturevalue("cloud_examples")
    assert provider in required_providers(outdir / "stacks" / stack)
    terraform_validate(outdir / "stacks" / stack, request.getfixturevalue("validate_env"))


def required_providers(stack_dir: Path) -> set[str]:
    """The provider names a synthesized stack requires."""
    return set(json.loads((stack_dir / "cdk.tf.json").read_text())["terraform"]["required_providers"])
