"""Provider packages are registered bare, once, and a package imported the normal way is refused."""

from __future__ import annotations

import sys
import types

import pytest

from dativo_infra.constructs import providers


def test_registration_is_idempotent_and_leaves_packages_bare() -> None:
    providers.register_provider_packages()  # conftest registered them already: nothing changes
    providers.register_provider_packages()
    for package in providers.PROVIDER_PACKAGES:
        module = sys.modules[package]
        assert getattr(module, providers.REGISTERED_MARK, False), package
        assert module.__path__  # submodules import from it
        # its __init__ (which imports every resource module: 2 137 for AWS) never ran
        assert len([name for name in sys.modules if name.startswith(package + ".")]) < 100, package


def test_a_provider_imported_the_normal_way_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    package = providers.PROVIDER_PACKAGES[0]
    monkeypatch.setitem(sys.modules, package, types.ModuleType(package))  # as after `import <package>`
    with pytest.raises(RuntimeError, match=f"{package} was imported before dativo_infra registered it"):
        providers.register_provider_packages()
