"""Health probes of the Container App's container (``runtime.probes``, service mode only).

Each probe given becomes one ``<kind>_probe`` block (``liveness_probe``, ``readiness_probe``,
``startup_probe``) of ``template.container``: transport and port (unset: ``runtime.port``), the path
of an HTTP(S) probe, and each integer setting the job sets under the provider attribute named in
:data:`dativo_infra.clouds.azure.PROBE_SETTINGS` (the table validation checks the ranges with). Unset
settings are left out, so the provider's defaults apply.
"""

from __future__ import annotations

from typing import Any

from dativo_infra.cdk import provider_azurerm
from dativo_infra.clouds import azure
from dativo_infra.config.runtimes import AzureContainerAppsRuntime

_BLOCKS: dict[str, Any] = {
    "liveness": provider_azurerm.container_app.ContainerAppTemplateContainerLivenessProbe,
    "readiness": provider_azurerm.container_app.ContainerAppTemplateContainerReadinessProbe,
    "startup": provider_azurerm.container_app.ContainerAppTemplateContainerStartupProbe,
}


def probe_blocks(runtime: AzureContainerAppsRuntime) -> dict[str, list[Any]]:
    """The container's probe arguments (``liveness_probe=[...]`` ...), one block per probe given."""
    blocks: dict[str, list[Any]] = {}
    for kind, probe in runtime.probes.given().items():
        settings = {
            setting.attribute: value
            for name, setting in azure.PROBE_SETTINGS.items()
            if (value := getattr(probe, name)) is not None
        }
        blocks[f"{kind}_probe"] = [
            _BLOCKS[kind](
                transport=azure.PROBE_TRANSPORTS[probe.transport],
                port=probe.port if probe.port is not None else runtime.port,
                path=probe.path,
                **settings,
            )
        ]
    return blocks
