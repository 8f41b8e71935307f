"""Provider versions as platform settings: Terraform's constraint grammar and matching, the warning
when a pin does not admit the version the installed bindings were generated for, and the pin in the
synthesized ``required_providers``."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dativo_infra.cdk import CdkLibraryError
from dativo_infra.config import provider_versions
from dativo_infra.config.provider_versions import CONSTRAINT_PATTERN, admits, pin_mismatch
from dativo_infra.config.settings import PlatformSettings, load_settings
from dativo_infra.contract import Provider
from dativo_infra.errors import ErrorReport
from dativo_infra.tfcli import BoundProvider, bound_provider
from tests.cli import in_process

part = st.integers(min_value=0, max_value=40)


@pytest.mark.parametrize(
    ("constraint", "version", "expected"),
    [
        ("5.100.0", "5.100.0", True),
        ("= 5.100.0", "5.100.1", False),
        ("5.100", "5.100.0", True),
        ("~> 5.100", "5.120.3", True),
        ("~> 5.100", "6.0.0", False),
        ("~> 5.100.0", "5.100.9", True),
        ("~> 5.100.0", "5.101.0", False),
        ("~> 5", "9.1.0", True),
        (">= 5.0, < 6.0", "5.99.0", True),
        (">= 5.0, < 6.0", "6.69.1", False),
        ("!= 6.69.1", "6.69.1", False),
        ("> 6.69.0,<=6.69.1", "6.69.1", True),
        ("6.0.0-beta1", "6.0.0", True),  # a pre-release compares by its version
    ],
)
def test_constraints_admit_as_terraform_reads_them(constraint: str, version: str, expected: bool) -> None:
    assert re.match(CONSTRAINT_PATTERN, constraint)
    assert admits(constraint, version) is expected


@given(part, part, part, st.integers(min_value=1, max_value=9))
def test_pessimistic_constraint_lets_only_the_rightmost_part_grow(
    major: int, minor: int, patch: int, k: int
) -> None:
    assert admits(f"~> {major}.{minor}.{patch}", f"{major}.{minor}.{patch + k}")
    assert not admits(f"~> {major}.{minor}.{patch}", f"{major}.{minor + 1}.0")
    assert admits(f"~> {major}.{minor}", f"{major}.{minor + k}.{patch}")
    assert not admits(f"~> {major}.{minor}", f"{major + 1}.0.0")
    assert admits(f"{major}.{minor}.{patch}", f"{major}.{minor}.{patch}")
    assert not admits(f"> {major}.{minor}.{patch}", f"{major}.{minor}.{patch}")


@pytest.mark.parametrize(
    "bad", ["${var.v}", "latest", "5.x", "~>", ">= 5.0,", "5.100.0.1", "v5.100.0", "5.100.0\n6"]
)
def test_a_bad_pin_is_a_positioned_settings_error(tmp_path: Path, bad: str) -> None:
    path = tmp_path / "platform.yaml"
    path.write_text(f"gcp:\n  provider_version: {json.dumps(bad)}\n")
    with pytest.raises(ErrorReport) as caught:
        load_settings(path)
    (error,) = list(caught.value)
    assert (error.line, error.path, error.problem) == (
        2,
        "gcp.provider_version",
        "does not match the allowed form",
    )
    assert error.expected is not None and "Terraform version constraint such as 5.100.0" in error.expected


def test_a_pin_another_major_than_the_bindings_is_a_loud_warning() -> None:
    assert pin_mismatch("5.100.0", "5.100.0") is None
    assert pin_mismatch("~> 6.0", "6.69.1") is None
    same_major = pin_mismatch("6.6.0", "6.69.1")
    assert same_major is not None and same_major.startswith("does not admit 6.69.1")
    other_major = pin_mismatch("5.100.0", "6.69.1")
    assert (
        other_major is not None and "another major version than the installed bindings' 6.69.1" in other_major
    )


def pinned(tmp_path: Path, cloud: str, pin: str) -> PlatformSettings:
    path = tmp_path / f"platform-{len(list(tmp_path.iterdir()))}.yaml"  # settings are read once per path
    path.write_text(f"# pins\n{cloud}:\n  provider_version: {json.dumps(pin)}\n")
    return load_settings(path)


def test_warnings_name_the_setting_and_the_bound_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bound = {"azurerm": BoundProvider("registry.terraform.io/hashicorp/azurerm", "5.10.0")}
    monkeypatch.setattr("dativo_infra.tfcli.bound_provider", bound.get)
    settings = pinned(tmp_path, "azure", "4.55.0")
    (warning,) = settings.provider_version_warnings([Provider.AZURE, Provider.AWS])
    assert str(warning).endswith(
        "platform-0.yaml:3: azure.provider_version: another major version than the installed bindings' 5.10.0: "
        "they write 5.10.0's schema, and attributes renamed or removed between majors fail at plan time, "
        "got '4.55.0'; expected a constraint that admits 5.10.0, or unset"
    )
    assert settings.provider_version_warnings([Provider.AWS]) == []  # a cloud without a pin
    assert pinned(tmp_path, "azure", "~> 5.10").provider_version_warnings([Provider.AZURE]) == []


def test_no_installed_library_means_nothing_to_compare(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unusable(name: str) -> None:
        raise CdkLibraryError.of("no CDK library is installed in this Python", None, "cdktf")

    monkeypatch.setattr("dativo_infra.tfcli.bound_provider", unusable)
    assert pinned(tmp_path, "aws", "4.0.0").provider_version_warnings([Provider.AWS]) == []


def test_validate_warns_about_a_pin_the_installed_aws_bindings_do_not_admit(tmp_path: Path) -> None:
    aws = bound_provider("aws")
    assert aws is not None
    other_major = f"{int(aws.version.split('.')[0]) - 1}.0.0"
    (tmp_path / "platform.yaml").write_text(f"aws:\n  provider_version: {other_major}\n")
    job = tmp_path / "job.yaml"
    job.write_text(Path("jobs/acme/orders_cdc_stream.yaml").read_text())
    env = {"DATIVO_PLATFORM_SETTINGS": str(tmp_path / "platform.yaml"), "PATH": "/usr/bin:/bin"}
    result = in_process("validate", str(job), env=env)
    assert result.returncode == 0, result.stderr
    assert (
        f"aws.provider_version: another major version than the installed bindings' {aws.version}"
        in result.stderr
    )
    assert "1 job file(s) valid, 1 warning(s)" in result.stdout


def test_every_cloud_section_takes_a_pin_and_its_terraform_provider_is_named() -> None:
    settings = PlatformSettings.model_validate(
        {"aws": {"provider_version": "5.100.0"}, "gcp": {"provider_version": "~> 6.50"}, "azure": {}}
    )
    assert settings.provider_version(Provider.AWS) == "5.100.0"
    assert settings.provider_version(Provider.GCP) == "~> 6.50"
    assert settings.provider_version(Provider.AZURE) is None
    assert provider_versions.TERRAFORM_PROVIDER == {
        Provider.AWS: "aws",
        Provider.AZURE: "azurerm",
        Provider.GCP: "google",
    }


def test_the_pin_replaces_the_bindings_version_in_required_providers(
    example_jobs: list[Any], tmp_path: Path
) -> None:
    from dativo_infra.synth import synth

    job = next(j for j in example_jobs if j.stack_name == "initech-salesforce-accounts-to-bq")
    settings = PlatformSettings.model_validate({"gcp": {"provider_version": ">= 6.0, < 7.0"}})
    stack = synth([job], tmp_path / "out", settings)[job.stack_name]
    required = stack["terraform"]["required_providers"]
    assert list(required) == ["google"]
    assert required["google"]["version"] == ">= 6.0, < 7.0"
    assert required["google"]["source"]  # the bindings' source address is kept
