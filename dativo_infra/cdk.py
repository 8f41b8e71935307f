"""The CDK library stacks are built with: CDK for Terraform (``cdktf``, the default) or its community
fork CDK Terrain (``cdktn``). Every other module imports the library through this one::

    from dativo_infra.cdk import TerraformStack, Token     # the core library's names
    from dativo_infra.cdk import provider_aws              # a provider's prebuilt bindings
    provider_aws.ecs_cluster.EcsCluster(self, "cluster", ...)

Which library: ``$DATIVO_CDK`` (``cdktf`` or ``cdktn``) when set, else the one that is installed; an
error (:class:`CdkLibraryError`, exit 2 from the app) when neither is installed, when both are and
none is chosen, or when the chosen one is not installed. The two never share a virtualenv
(``make setup CDK=cdktn``). Deciding reads package metadata only: importing this module, or asking
:func:`library`, loads no jsii runtime.

The names resolve on first use (module ``__getattr__``): the core names from the library's package,
``provider_aws``/``provider_google``/``provider_azurerm`` as :class:`ProviderPackage` objects whose attributes are the binding's
resource modules, imported one by one. Type checkers see the cdktf packages (the API the app is
written against; cdktn's is a superset of it): the binding modules the app uses are listed in the
stubs :mod:`dativo_infra.cdk_types`.

A prebuilt provider package is one Python package with one submodule per resource type: 2 137 for
AWS, ~1 500 each for Google and AzureRM. cdktf's package ``__init__`` imports every submodule, and
building their classes is most of the cost of "importing a provider" (measured on cdktf: importing
``cdktf_cdktf_provider_aws.ecs_cluster`` took 9.0 s, 2.0 s of it the jsii assembly load that every
submodule really needs). So a provider package is put into ``sys.modules`` as a bare package (its
``__path__`` set, its ``__init__`` not run, :func:`register_provider_packages`): importing one resource
module then runs only that module, which imports the package's ``_jsii`` itself. This is safe for
these packages because their ``__init__`` defines nothing a submodule uses. cdktn's packages already
load their submodules lazily; registering them the same way changes nothing there. The generated
Terraform JSON is byte for byte the same either way (the snapshot tests run this way).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING, Any

from dativo_infra.errors import JobError, show_value

if TYPE_CHECKING:
    # One import, `X as X`: re-exports each name to type checkers.
    # isort: off
    from cdktf import (
        App as App,
        Aspects as Aspects,
        AzurermBackend as AzurermBackend,
        CloudBackend as CloudBackend,
        Fn as Fn,
        GcsBackend as GcsBackend,
        IAspect as IAspect,
        ITerraformDependable as ITerraformDependable,
        LocalBackend as LocalBackend,
        NamedCloudWorkspace as NamedCloudWorkspace,
        Postcondition as Postcondition,
        S3Backend as S3Backend,
        TerraformOutput as TerraformOutput,
        TerraformProvider as TerraformProvider,
        TerraformResource as TerraformResource,
        TerraformResourceLifecycle as TerraformResourceLifecycle,
        TerraformStack as TerraformStack,
        TerraformVariable as TerraformVariable,
        Testing as Testing,
        Token as Token,
    )
    from dativo_infra.cdk_types import provider_aws as provider_aws
    from dativo_infra.cdk_types import provider_azurerm as provider_azurerm
    from dativo_infra.cdk_types import provider_google as provider_google
    # isort: on


#: Chooses the library when both (or to insist on one) are installed.
ENV = "DATIVO_CDK"
#: The clouds' Terraform provider names; ``provider_<name>`` is this module's name for its bindings.
PROVIDERS = ("aws", "azurerm", "google")
#: The core library's names other modules import from here.
CORE_NAMES = frozenset(
    {
        "App",
        "Aspects",
        "AzurermBackend",
        "CloudBackend",
        "Fn",
        "GcsBackend",
        "IAspect",
        "ITerraformDependable",
        "LocalBackend",
        "NamedCloudWorkspace",
        "Postcondition",
        "S3Backend",
        "TerraformOutput",
        "TerraformProvider",
        "TerraformResource",
        "TerraformResourceLifecycle",
        "TerraformStack",
        "TerraformVariable",
        "Testing",
        "Token",
    }
)


@dataclass(frozen=True)
class Library:
    """One CDK library: its Python packages and its CLI."""

    name: str  # cdktf | cdktn
    core: str  # the core Python package
    provider_prefix: str  # + provider name = the prebuilt binding's Python package
    jsii_provider_prefix: str  # + provider name = the binding's jsii package (``__jsii_type__`` prefix)
    cli: str  # the npm CLI's command
    cli_package: str  # the directory (relative to the project) whose package-lock.json pins that CLI
    extra: str  # the extra of pyproject.toml that installs the library and its prebuilt providers

    def provider_package(self, provider: str) -> str:
        """The Python package of ``provider``'s prebuilt bindings (``cdktf_cdktf_provider_aws``)."""
        return f"{self.provider_prefix}{provider}"

    @property
    def provider_packages(self) -> tuple[str, ...]:
        return tuple(self.provider_package(p) for p in PROVIDERS)


LIBRARIES = {
    "cdktf": Library("cdktf", "cdktf", "cdktf_cdktf_provider_", "@cdktf/provider-", "cdktf", ".", "cdk"),
    "cdktn": Library("cdktn", "cdktn", "cdktn_provider_", "@cdktn/provider-", "cdktn", "cli/cdktn", "cdktn"),
}

#: Top-level modules that only synthesis may import, of every library whether installed or not: the
#: jsii runtime, the constructs library, each core and each provider package. Validation, tags and
#: rendering import none of them (the tests check against this set).
SYNTH_ONLY_MODULES = frozenset(
    {"jsii", "constructs"}
    | {library.core for library in LIBRARIES.values()}
    | {package for library in LIBRARIES.values() for package in library.provider_packages}
)


class CdkLibraryError(JobError):
    """No usable CDK library (reported like a bad setting: exit 2): says which are installed and how
    to choose."""

    @classmethod
    def of(cls, problem: str, got: str | None, expected: str) -> CdkLibraryError:
        return cls("environment", 0, ENV, problem, None if got is None else show_value(got), expected)


def _installed(name: str) -> bool:
    return importlib.util.find_spec(LIBRARIES[name].core) is not None


@cache
def library() -> Library:
    """The library of this process (see the module docstring); raises :class:`CdkLibraryError`."""
    chosen = os.environ.get(ENV, "")
    installed = [name for name in LIBRARIES if _installed(name)]
    here = f"this Python ({sys.prefix}; installed: {', '.join(installed) or 'none'})"
    if chosen:
        if chosen not in LIBRARIES:
            raise CdkLibraryError.of("not a CDK library", chosen, " or ".join(LIBRARIES))
        if chosen not in installed:
            raise CdkLibraryError.of(
                f"not installed in {here}",
                chosen,
                f"an installed library; set it up with `make setup CDK={chosen}`",
            )
        return LIBRARIES[chosen]
    if len(installed) == 1:
        return LIBRARIES[installed[0]]
    if not installed:
        raise CdkLibraryError.of(
            f"no CDK library is installed in {here}",
            None,
            "cdktf (`make setup`) or cdktn (`make setup CDK=cdktn`)",
        )
    raise CdkLibraryError.of(
        f"unset, and both libraries are installed in {here}", None, f"{ENV}=cdktf or {ENV}=cdktn"
    )


#: Set on a provider package registered here (its ``__init__`` never ran). The benchmark's naive mode
#: sets it on packages it loads whole, to measure that cost through the same app code.
REGISTERED_MARK = "__dativo_bare_package__"


def register_provider_packages() -> None:
    """Register each installed provider package of the library as a bare package (idempotent).

    Raises RuntimeError when one was already imported the normal way (its ``__init__`` ran).
    """
    for package in library().provider_packages:
        module = sys.modules.get(package)
        if module is not None:
            if not getattr(module, REGISTERED_MARK, False):
                raise RuntimeError(
                    f"{package} was imported before dativo_infra registered it, so every one of its resource "
                    "modules is loaded (seconds per provider): import the bindings through dativo_infra.cdk"
                )
            continue
        spec = importlib.util.find_spec(package)
        if spec is None or spec.submodule_search_locations is None:
            continue  # not installed: using that provider says so
        module = importlib.util.module_from_spec(spec)  # __path__ set, __init__ not executed
        setattr(module, REGISTERED_MARK, True)
        sys.modules[package] = module


class ProviderPackage:
    """A provider's prebuilt bindings: attribute ``ecs_cluster`` is the resource module
    ``<package>.ecs_cluster``, imported on first use."""

    def __init__(self, provider: str) -> None:
        self._provider = provider
        self._package = library().provider_package(provider)

    def __getattr__(self, module: str) -> ModuleType:
        if module.startswith("_"):
            raise AttributeError(module)
        register_provider_packages()
        try:
            loaded = importlib.import_module(f"{self._package}.{module}")
        except ModuleNotFoundError as exc:
            if exc.name == self._package:
                raise CdkLibraryError.of(
                    f"the {self._provider} provider bindings ({self._package}) are not installed",
                    library().name,
                    f"a set-up with every provider: `make setup CDK={library().name}`",
                ) from None
            raise
        setattr(self, module, loaded)
        return loaded


def __getattr__(name: str) -> Any:
    if name in CORE_NAMES:
        value = getattr(importlib.import_module(library().core), name)
    elif name.startswith("provider_") and name.removeprefix("provider_") in PROVIDERS:
        value = ProviderPackage(name.removeprefix("provider_"))
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value
