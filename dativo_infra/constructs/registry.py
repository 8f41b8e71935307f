"""The one registry of runtimes: runtime type -> the module that builds it.

Entries are import paths, not imports: looking a runtime up imports only that runtime's module,
and so only that cloud's provider bindings (one AWS job never loads google/azurerm).

Each runtime module exports:

* ``Props``: the typed, documented props dataclass of its construct;
* ``props_from_job(job: JobConfig, name: str) -> Props``: the job -> props mapping;
* ``Runtime``: the construct, ``Runtime(scope, id, props)``, with ``outputs: dict[str, Any]``
  holding a value for every name of :data:`dativo_infra.contract.OUTPUTS` for its type;
* ``configure_provider(stack, job, settings) -> None``: the provider block(s) of its cloud.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from dativo_infra.contract import RuntimeType

RUNTIME_MODULES: dict[RuntimeType, str] = {
    RuntimeType.AWS_FARGATE: "dativo_infra.constructs.aws_fargate",
    RuntimeType.AZURE_CONTAINER_APPS: "dativo_infra.constructs.azure_container_apps",
    RuntimeType.GCP_CLOUD_RUN: "dativo_infra.constructs.gcp_cloud_run",
}


def runtime_module(runtime_type: RuntimeType | str) -> ModuleType:
    """Import (once) and return the module implementing ``runtime_type``."""
    return importlib.import_module(RUNTIME_MODULES[RuntimeType(runtime_type)])
