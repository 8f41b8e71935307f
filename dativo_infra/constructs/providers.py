"""Import a prebuilt provider's resource modules without importing all of them.

A prebuilt provider package (``cdktf_cdktf_provider_aws`` and friends) is one Python package per
Terraform provider with one submodule per resource type: 2 137 of them for AWS, ~1 500 each for
Google and AzureRM. Its package ``__init__`` imports every submodule (``from . import ...`` for each),
and building their classes is most of the cost of "importing a provider": measured here, importing
``cdktf_cdktf_provider_aws.ecs_cluster`` took 9.0 s, of which 2.0 s is the jsii assembly load
(``._jsii``) that every submodule really needs and the rest is classes of resource types the job
never uses.

:func:`defer_package_init` puts each provider package into ``sys.modules`` as a bare package: its
``__path__`` is set, its ``__init__`` is not run. Importing ``<package>.ecs_cluster`` then runs only
that submodule, which imports ``<package>._jsii`` itself (the assembly load, once per process).
This is safe for these packages because their ``__init__`` defines nothing a submodule uses: the
submodules import ``.._jsii``, ``cdktf`` and ``constructs``, never a sibling. What is lost is only
``import cdktf_cdktf_provider_aws; cdktf_cdktf_provider_aws.ecs_cluster`` style attribute access
without importing the submodule; nothing in this project does that.

Called when :mod:`dativo_infra.constructs` is imported, before any construct module imports its
provider. The generated Terraform JSON is byte for byte the same (the snapshot tests run this way).
"""

from __future__ import annotations

import importlib.util
import sys

#: The prebuilt provider packages the runtimes use.
PROVIDER_PACKAGES: tuple[str, ...] = (
    "cdktf_cdktf_provider_aws",
    "cdktf_cdktf_provider_azurerm",
    "cdktf_cdktf_provider_google",
)


def defer_package_init(package: str) -> bool:
    """Register ``package`` as a bare package whose ``__init__`` is never run; False when it is
    already imported (or not installed), in which case nothing changes."""
    if package in sys.modules:
        return False
    spec = importlib.util.find_spec(package)
    if spec is None or spec.submodule_search_locations is None:
        return False
    sys.modules[package] = importlib.util.module_from_spec(spec)  # __path__ set, __init__ not executed
    return True


def defer_provider_inits() -> None:
    """:func:`defer_package_init` for every provider package of :data:`PROVIDER_PACKAGES`."""
    for package in PROVIDER_PACKAGES:
        defer_package_init(package)
