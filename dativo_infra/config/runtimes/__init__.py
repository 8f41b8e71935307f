"""One typed model per runtime, and the union the job model validates ``infrastructure.runtime`` with.

The union is discriminated by ``type``: a block is validated by exactly one runtime's model, so a field
that runtime does not have is an unknown field (the message names the runtimes that have it).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from dativo_infra.config.runtimes.aws_fargate import AwsFargateRuntime
from dativo_infra.config.runtimes.azure_container_apps import AzureContainerAppsRuntime
from dativo_infra.config.runtimes.base import DEFAULT_IMAGE, RuntimeBase, Scaling
from dativo_infra.config.runtimes.gcp_cloud_run import GcpCloudRunRuntime
from dativo_infra.contract import RuntimeType

__all__ = [
    "DEFAULT_IMAGE",
    "MODELS",
    "AnyRuntime",
    "AwsFargateRuntime",
    "AzureContainerAppsRuntime",
    "GcpCloudRunRuntime",
    "RuntimeBase",
    "Scaling",
    "runtimes_with_field",
]

AnyRuntime = AwsFargateRuntime | AzureContainerAppsRuntime | GcpCloudRunRuntime
#: ``infrastructure.runtime``: the model of the block's ``type``.
Runtime = Annotated[AnyRuntime, Field(discriminator="type")]

#: The model of each runtime type.
MODELS: dict[RuntimeType, type[RuntimeBase]] = {
    model.TYPE: model for model in (AwsFargateRuntime, AzureContainerAppsRuntime, GcpCloudRunRuntime)
}


def _model_at(model: type[BaseModel], path: tuple[str, ...]) -> type[BaseModel] | None:
    """The model nested at ``path`` (field names; list items are skipped by the caller), or None."""
    for name in path:
        field = model.model_fields.get(name)
        if field is None:
            return None
        candidates = [field.annotation, *getattr(field.annotation, "__args__", ())]
        nested = [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]
        if not nested:
            return None
        model = nested[0]
    return model


def fields_at(model: type[BaseModel], path: tuple[str, ...]) -> list[str] | None:
    """Sorted field names of the model nested in ``model`` at ``path``, or None."""
    found = _model_at(model, path)
    return sorted(found.model_fields) if found is not None else None


def runtimes_with_field(path: tuple[str, ...]) -> list[RuntimeType]:
    """The runtimes whose block has the field at ``path`` (relative to ``infrastructure.runtime``)."""
    *parents, name = path
    return [t for t, model in MODELS.items() if name in (fields_at(model, tuple(parents)) or ())]
