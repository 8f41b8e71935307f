"""Import a prebuilt provider's resource modules without importing all of them.

A prebuilt provider package (``cdktf_cdktf_provider_aws`` and friends) is one Python package per
Terraform provider with one submodule per resource type: 2 137 of them for AWS, ~1 500 each for
Google and AzureRM. Its package ``__init__`` imports every submodule (``from . import ...`` for each),
and building their classes is most of the cost of "importing a provider": measured here, importing
``cdktf_cdktf_provider_aws.ecs_cluster`` took 9.0 s, of which 2.0 s is the jsii assembly load
(``._jsii``) that every submodule really needs and the rest is classes of resource types the job
never uses.

:func:`register_provider_packages` puts each provider package into ``sys.modules`` as a bare package:
its ``__path__`` is set, its ``__init__`` is not run. Importing ``<package>.ecs_cluster`` then runs only
that submodule, which imports ``<package>._jsii`` itself (the assembly load, once per process).
This is safe for these packages because their ``__init__`` defines nothing a submodule uses: the
submodules import ``.._jsii``, ``cdktf`` and ``constructs``, never a sibling. What is lost is only
``import cdktf_cdktf_provider_aws; cdktf_cdktf_provider_aws.ecs_cluster`` style attribute access
without importing the submodule; nothing in this project does that.

It is an explicit call, made before a construct module is imported
(:func:`dativo_infra.constructs.registry.runtime_module`). A provider package that was already imported
the normal way makes it fail loudly: that process has paid for every resource module already, and
the speed the app promises is gone. The generated Terraform JSON is byte for byte the same either way
(the snapshot tests run this way).
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


#: Set on a package module registered here (its ``__init__`` never ran). The benchmark's naive mode
#: sets it on packages it loads whole, to measure that cost through the same app code.
REGISTERED_MARK = "__dativo_bare_package__"


def register_provider_packages() -> None:
    """Register every installed package of :data:`PROVIDER_PACKAGES` as a bare package (idempotent).

    Raises RuntimeError when one was already imported the normal way (its ``__init__`` ran).
    """
    for package in PROVIDER_PACKAGES:
        module = sys.modules.get(package)
        if module is not None:
            if not getattr(module, REGISTERED_MARK, False):
                raise RuntimeError(
                    f"{package} was imported before dativo_infra registered it, so every one of its resource "
                    "modules is loaded (seconds per provider): import construct modules through "
                    "dativo_infra.constructs.registry.runtime_module, or call register_provider_packages() first"
                )
            continue
        spec = importlib.util.find_spec(package)
        if spec is None or spec.submodule_search_locations is None:
            continue  # not installed: importing a construct module of that cloud says so
        module = importlib.util.module_from_spec(spec)  # __path__ set, __init__ not executed
        setattr(module, REGISTERED_MARK, True)
        sys.modules[package] = module
