"""The CDK library is chosen in one place: by what is installed or DATIVO_CDK, with clear errors;
provider packages are registered bare, once, and a package imported the normal way is refused."""

from __future__ import annotations

import ast
import subprocess
import sys
import types
from pathlib import Path

import pytest

from dativo_infra import cdk
from dativo_infra.cdk import LIBRARIES, CdkLibraryError, library


@pytest.fixture
def fresh_choice(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """``library()`` decides afresh (it caches its answer for the process)."""
    cdk.library.cache_clear()
    yield monkeypatch
    cdk.library.cache_clear()


def installed_as(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    monkeypatch.setattr(cdk, "_installed", lambda name: name in names)


def test_the_installed_library_is_chosen_and_the_variable_can_insist(
    fresh_choice: pytest.MonkeyPatch,
) -> None:
    fresh_choice.delenv(cdk.ENV, raising=False)
    installed_as(fresh_choice, "cdktn")
    assert library() is LIBRARIES["cdktn"]
    cdk.library.cache_clear()
    installed_as(fresh_choice, "cdktf", "cdktn")
    fresh_choice.setenv(cdk.ENV, "cdktf")
    assert library() is LIBRARIES["cdktf"]


@pytest.mark.parametrize(
    ("installed", "chosen", "message"),
    [
        ((), "", "no CDK library is installed in this Python"),
        (("cdktf", "cdktn"), "", "unset, and both libraries are installed in this Python"),
        (("cdktf",), "cdktn", "not installed in this Python"),
        (("cdktf",), "terraform-cdk", "not a CDK library, got 'terraform-cdk'; expected cdktf or cdktn"),
        (("cdktf",), "::error::x\n", "got '::error::x\\n'"),
    ],
)
def test_no_usable_library_is_a_positioned_environment_error(
    fresh_choice: pytest.MonkeyPatch, installed: tuple[str, ...], chosen: str, message: str
) -> None:
    installed_as(fresh_choice, *installed)
    fresh_choice.setenv(cdk.ENV, chosen)
    with pytest.raises(CdkLibraryError) as raised:
        library()
    text = str(raised.value)
    assert text.startswith(f"environment: {cdk.ENV}: ") and message in text
    assert "\n" not in text
    if not chosen:
        assert "DATIVO_CDK=cdktf or DATIVO_CDK=cdktn" in text or "make setup" in text


def test_the_app_reports_an_unusable_library_with_exit_2_before_any_synth(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", cdk.ENV: "cdktn", "CDKTF_OUTDIR": str(tmp_path / "out")}
    if _installed_here("cdktn"):
        env[cdk.ENV] = "cdktf" if not _installed_here("cdktf") else "nonsense"
    result = subprocess.run([sys.executable, "app.py"], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"environment: {cdk.ENV}: ") and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def _installed_here(name: str) -> bool:
    return cdk._installed(name)


def test_core_names_are_the_names_type_checkers_see() -> None:
    """The names resolved at run time (CORE_NAMES) are exactly those re-exported to type checkers."""
    tree = ast.parse(Path(cdk.__file__).read_text())
    checking = next(n for n in tree.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING")
    core = next(n for n in checking.body if isinstance(n, ast.ImportFrom) and n.module == "cdktf")
    assert {alias.name for alias in core.names} == cdk.CORE_NAMES
    assert all(alias.asname == alias.name for alias in core.names)  # `X as X`: re-exported


def test_every_library_names_its_packages_and_cli() -> None:
    assert LIBRARIES["cdktf"].provider_packages == (
        "cdktf_cdktf_provider_aws",
        "cdktf_cdktf_provider_azurerm",
        "cdktf_cdktf_provider_google",
    )
    assert LIBRARIES["cdktn"].provider_package("google") == "cdktn_provider_google"
    assert LIBRARIES["cdktn"].cli == "cdktn" and LIBRARIES["cdktf"].cli == "cdktf"
    assert (Path(cdk.__file__).parent.parent / LIBRARIES["cdktf"].cli_package / "package-lock.json").is_file()
    for library_ in LIBRARIES.values():  # the modules validation, tags and render must never import
        assert {library_.core, *library_.provider_packages} <= cdk.SYNTH_ONLY_MODULES
    assert {"jsii", "constructs"} <= cdk.SYNTH_ONLY_MODULES


def test_registration_is_idempotent_and_leaves_packages_bare() -> None:
    cdk.register_provider_packages()  # conftest registered them already: nothing changes
    cdk.register_provider_packages()
    for package in library().provider_packages:
        module = sys.modules[package]
        assert getattr(module, cdk.REGISTERED_MARK, False), package
        assert module.__path__  # submodules import from it
        # its __init__ (which imports every resource module: 2 137 for AWS) never ran
        assert len([name for name in sys.modules if name.startswith(package + ".")]) < 100, package


def test_a_provider_imported_the_normal_way_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    package = library().provider_packages[0]
    monkeypatch.setitem(sys.modules, package, types.ModuleType(package))  # as after `import <package>`
    with pytest.raises(RuntimeError, match=f"{package} was imported before dativo_infra registered it"):
        cdk.register_provider_packages()


def test_bindings_resolve_lazily_to_the_selected_librarys_modules() -> None:
    from dativo_infra.cdk import Token, provider_aws

    module = provider_aws.iam_role
    assert module.__name__ == f"{library().provider_package('aws')}.iam_role"
    assert provider_aws.iam_role is module  # imported once
    assert Token.__module__.split(".")[0] == library().core
    with pytest.raises(AttributeError):
        cdk.__getattr__("NotACoreName")
    with pytest.raises(ModuleNotFoundError):
        _ = provider_aws.no_such_resource_type
