"""Health probes of an Azure Container App (``probes`` of the ``azure_container_apps`` runtime, service
mode): liveness, readiness and startup, each HTTP, HTTPS or TCP, checked against the azurerm ranges in
:data:`dativo_infra.clouds.azure.PROBE_SETTINGS` (which the construct builds with too).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from dativo_infra.clouds import azure
from dativo_infra.config.fields import Problem, Strict


def _range(name: str) -> str:
    setting = azure.PROBE_SETTINGS[name]
    return f"{setting.low} to {setting.high}"


class AzureProbe(Strict):
    """One probe of the container."""

    transport: Literal["http", "https", "tcp"] = Field(
        "http", description="http or https (a GET of path; 200-399 passes) or tcp (a connection). Unset: http"
    )
    path: str | None = Field(
        None,
        description="http/https: the request path, starting with '/'. Not with tcp. Unset: / (the provider's "
        "default)",
    )
    port: int | None = Field(
        None, description="The container port probed, 1 to 65535. Unset: runtime.port (the service's port)"
    )
    initial_delay_seconds: int | None = Field(
        None,
        description=f"Seconds after the container starts before the first probe, {_range('initial_delay_seconds')}. "
        "Unset: the provider's default (liveness 1, readiness and startup 0)",
    )
    interval_seconds: int | None = Field(
        None, description=f"Seconds between probes, {_range('interval_seconds')}. Unset: 10"
    )
    timeout_seconds: int | None = Field(
        None, description=f"Seconds before a probe times out, {_range('timeout_seconds')}. Unset: 1"
    )
    failure_threshold: int | None = Field(
        None,
        description=f"Consecutive failures that fail the probe, {_range('failure_threshold')}. Unset: 3",
    )
    success_threshold: int | None = Field(
        None,
        description=f"Readiness only: consecutive successes that make the replica ready, "
        f"{_range('success_threshold')}. Unset: 3",
    )

    def problems(self, kind: str, where: tuple[str | int, ...]) -> list[Problem]:
        """This probe's values against the provider's rules (``kind``: liveness, readiness or startup)."""
        found: list[Problem] = []
        for name, setting in azure.PROBE_SETTINGS.items():
            value = getattr(self, name)
            if value is None:
                continue
            if kind not in setting.kinds:
                only = " or ".join(setting.kinds)
                found.append(
                    Problem((*where, name), f"applies to a {only} probe only", value, f"no {name} in {kind}")
                )
            elif not setting.low <= value <= setting.high:
                found.append(
                    Problem(
                        (*where, name),
                        f"outside the Container Apps probe range ({setting.attribute})",
                        value,
                        f"{setting.low} to {setting.high}",
                    )
                )
        low, high = azure.PROBE_PORT
        if self.port is not None and not low <= self.port <= high:
            found.append(Problem((*where, "port"), "not a port", self.port, f"{low} to {high}"))
        if self.path is not None:
            if self.transport == "tcp":
                found.append(
                    Problem(
                        (*where, "path"),
                        "a tcp probe has no path",
                        self.path,
                        "transport http or https, or no path",
                    )
                )
            else:
                refusal = azure.probe_path_refusal(self.path)
                if refusal is not None:
                    found.append(Problem((*where, "path"), refusal.problem, self.path, refusal.expected))
        return found


class AzureProbes(Strict):
    """Health probes of the container. Unset: none (Container Apps adds default TCP probes on the ingress
    target port when ingress is enabled)."""

    liveness: AzureProbe | None = Field(
        None, description="Restart the container when it fails. Unset: no liveness probe"
    )
    readiness: AzureProbe | None = Field(
        None, description="Send traffic to a replica only while it passes. Unset: no readiness probe"
    )
    startup: AzureProbe | None = Field(
        None,
        description="Hold the other probes until it passes once (slow starts). Unset: no startup probe",
    )

    def given(self) -> dict[str, AzureProbe]:
        """The probes set, by kind, in :data:`~dativo_infra.clouds.azure.PROBE_KINDS` order."""
        return {kind: probe for kind in azure.PROBE_KINDS if (probe := getattr(self, kind)) is not None}

    def problems(self, where: tuple[str | int, ...]) -> list[Problem]:
        """Every probe's problems, positioned under ``where``."""
        return [p for kind, probe in self.given().items() for p in probe.problems(kind, (*where, kind))]
