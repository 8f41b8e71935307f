"""How the job stack finds a runtime's construct, and what a construct module provides.

The registry of runtimes is :mod:`dativo_infra.contract` (provider, outputs, construct module of each
runtime type). Looking a runtime up imports only that runtime's module, and so only that cloud's
provider bindings (one AWS job never loads google/azurerm).

Every construct module provides (:class:`RuntimeModule`):

* ``Runtime(scope, id, runtime, placement)``: the construct, taking the typed model of its runtime
  (whose field descriptions say what an unset field does) and the job's :class:`Placement`; its
  ``outputs`` hold a value for exactly the outputs the contract exports for the job's configuration
  (:func:`~dativo_infra.contract.exported_outputs`; the job stack checks);
* ``configure_provider(stack, placement, runtime, settings)``: the provider block(s) of its cloud.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Protocol, cast

from constructs import Construct, IConstruct

from dativo_infra.cdk import TerraformStack, register_provider_packages
from dativo_infra.config.settings import PlatformSettings
from dativo_infra.contract import CONSTRUCT_MODULES, RuntimeType


@dataclass(frozen=True)
class Placement:
    """The parts of a job outside its runtime block that its construct needs."""

    #: The stack name: every cloud resource name derives from it.
    name: str
    #: ``infrastructure.region``.
    region: str
    #: ``infrastructure.tags.job_name`` (display names and descriptions).
    job_name: str
    #: The job's ``environment`` (defaults that differ in prod).
    environment: str


class RuntimeConstruct(IConstruct, Protocol):
    """What the job stack reads from a runtime construct (a construct: the tagging Aspect is added
    to it)."""

    @property
    def outputs(self) -> dict[str, Any]: ...


class RuntimeModule(Protocol):
    """What every construct module provides (see the module docstring)."""

    def Runtime(self, scope: Construct, id: str, runtime: Any, placement: Placement) -> RuntimeConstruct: ...

    def configure_provider(
        self, stack: TerraformStack, placement: Placement, runtime: Any, settings: PlatformSettings
    ) -> None: ...


def runtime_module(runtime_type: RuntimeType) -> RuntimeModule:
    """Import (once) and return the construct module of ``runtime_type``; provider packages are
    registered first, so that module imports only the provider resource modules it uses."""
    register_provider_packages()
    return cast(RuntimeModule, importlib.import_module(CONSTRUCT_MODULES[runtime_type]))
