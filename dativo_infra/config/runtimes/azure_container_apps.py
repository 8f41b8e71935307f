"""The ``azure_container_apps`` runtime model: a Container App Job (job mode) or a Container App
(service mode), its fields, defaults and Azure rules.

The rules come from :mod:`dativo_infra.clouds.azure`, which the construct builds with too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from pydantic import Field

from dativo_infra.clouds import azure
from dativo_infra.clouds import azure_volumes as vol
from dativo_infra.config.fields import EnvVarName, NonEmpty, Problem, Strict, only_in, tail
from dativo_infra.config.runtimes.azure_permissions import (
    AzurePermissions,
    AzureRegistryCredentials,
    not_a,
)
from dativo_infra.config.runtimes.azure_probes import AzureProbes
from dativo_infra.config.runtimes.azure_scaling import AzureScaling
from dativo_infra.config.runtimes.azure_volumes import AzureInitContainer, AzureVolume, volume_problems
from dativo_infra.config.runtimes.azure_workload import AzureWorkloadProfile, workload_problems
from dativo_infra.config.runtimes.base import (
    ALLOWED_AZURE_PRIVILEGED_ROLES,
    Ingress,
    RuntimeBase,
    described,
    log_retention_field,
    timeout_field,
)
from dativo_infra.contract import RuntimeType


class AzureNetwork(Strict):
    """Where the environment's infrastructure lives. Unset: a Container Apps managed network."""

    subnet_ids: list[NonEmpty] = Field(
        default_factory=list,
        description="At most one: the environment's infrastructure subnet id (workload profiles: /27 or larger, "
        "delegated to Microsoft.App/environments). Unset: a managed network",
    )
    external_environment: bool = Field(
        False,
        description="With subnet_ids: give the environment a public load balancer (external). Changing it "
        "replaces the environment (ForceNew in azurerm). Unset: false, the environment is internal "
        "(internal_load_balancer_enabled: reachable from the virtual network only). Only with subnet_ids: an "
        "environment without a subnet is always external",
    )


class AzureContainerAppsRuntime(RuntimeBase):
    """A Container App Job (job mode) or a Container App (service mode) on a workload profile of its
    environment (Consumption unless workload_profile names a dedicated one)."""

    TYPE: ClassVar[RuntimeType] = RuntimeType.AZURE_CONTAINER_APPS

    type: Literal[RuntimeType.AZURE_CONTAINER_APPS] = Field(description="azure_container_apps")
    cpu_millicores: int = described(
        RuntimeBase, "cpu_millicores", "vCPU in millicores: 250 to 4000 in steps of 250. Unset: 1000"
    )
    memory_mib: int = described(RuntimeBase, "memory_mib", "Memory in MiB: 2048 per vCPU. Unset: 2048")
    timeout_seconds: int = timeout_field(
        "Job mode: longest a replica may run before it is stopped. Unset: 3600", "job"
    )
    schedule: str | None = described(
        RuntimeBase,
        "schedule",
        "Job mode: 5-field unix cron (digits, * , - /, JAN-DEC, SUN-SAT; day-of-week 0-6), run in UTC. Unset: "
        "no schedule, the job runs when started",
    )
    schedule_timezone: NonEmpty = described(
        RuntimeBase, "schedule_timezone", "Job mode: UTC only (Container App Job schedules run in UTC)"
    )
    secrets: dict[EnvVarName, NonEmpty] = described(
        RuntimeBase,
        "secrets",
        "Environment variables from Key Vault secret URLs https://<vault>.vault.azure.net/secrets/<name>"
        "[/<version>] (the vault's resource id must be in permissions.secrets; with existing_identity_id the "
        "identity must already read it). Unset: none",
    )
    trigger: Literal["manual", "schedule", "event"] | None = Field(
        None,
        description="Job mode: how an execution starts. manual (started by hand or API: "
        "manual_trigger_config), schedule (schedule: schedule_trigger_config) or event (the KEDA rules of "
        "scaling.rules start executions: event_trigger_config). Unset: schedule when schedule is set, else "
        "manual",
        json_schema_extra=only_in("job"),
    )
    scaling: AzureScaling = Field(default_factory=AzureScaling)
    ingress: Ingress = described(
        RuntimeBase,
        "ingress",
        "Service mode: who reaches the service. none; internal: apps of the same environment; external: "
        "from outside the environment (from the internet, or only from the virtual network when the "
        "environment is internal, see network.external_environment). Unset: internal",
    )
    ingress_allowed_cidrs: list[NonEmpty] = Field(
        default_factory=list,
        description="Service mode with ingress external: the IPv4 networks (CIDR) allowed to reach the "
        "service, one Allow ip_security_restriction each (every other source is denied). Unset: no "
        "restriction",
        json_schema_extra=only_in("service"),
    )
    probes: AzureProbes = Field(default_factory=AzureProbes, json_schema_extra=only_in("service"))
    network: AzureNetwork = Field(default_factory=AzureNetwork)
    zone_redundant: bool = Field(
        False,
        description="Spread the environment over availability zones (the region must have zones). Changing "
        "it replaces the environment (ForceNew in azurerm). Only with network.subnet_ids. Unset: false",
    )
    workload_profiles: list[AzureWorkloadProfile] = Field(
        default_factory=list,
        description="Dedicated workload profiles (node pools) the environment the stack creates offers beside "
        "the serverless Consumption profile (workload_profile blocks). Not with environment_id. Unset: "
        "Consumption only",
    )
    workload_profile: NonEmpty = Field(
        azure.CONSUMPTION_PROFILE,
        description="The workload profile the Container App / Job runs on (workload_profile_name): "
        "Consumption, one of workload_profiles, or with environment_id a profile of that environment (not "
        "checked here: its profiles are not known; the name must still be a valid profile name). cpu and "
        "memory follow the same sizes on every profile. Unset: Consumption (serverless, billed per use)",
    )
    delete_lock: bool | None = Field(
        None,
        description="A CanNotDelete management lock on the Container App / Job, and on the environment and "
        "resource group when the stack creates them (the deploying principal needs "
        "Microsoft.Authorization/locks/*, e.g. Owner or User Access Administrator). Unset: true when the "
        "job's environment is prod, else false",
    )
    permissions: AzurePermissions = Field(default_factory=AzurePermissions)
    log_retention_days: int = log_retention_field("Log Analytics retention, 30 to 730 days. Unset: 30")
    resource_group: str | None = Field(
        None,
        pattern=azure.RESOURCE_GROUP_PATTERN,
        description="An existing resource group to use. Unset: one is created for the job",
    )
    environment_id: str | None = Field(
        None,
        description="Run in this existing workload-profiles Container Apps environment, "
        f"{azure.ARM_FORM}Microsoft.App/managedEnvironments/<name> (in the job's region); avoids the quota of 15 "
        "environments per subscription and region. Unset: the job gets its own environment and Log Analytics "
        "workspace",
    )
    registry_id: str | None = Field(
        None,
        description="The Azure Container Registry holding the image (resource id); the job identity gets AcrPull "
        "on it. Unset: no grant (an *.azurecr.io image is still pulled with the identity)",
    )
    volumes: list[AzureVolume] = Field(
        default_factory=list,
        description="Volumes (template.volume) and their mounts in the main container (volume_mounts). Unset: none",
    )
    init_containers: list[AzureInitContainer] = Field(
        default_factory=list,
        description="Containers run in order before the main container (template.init_container). Unset: none",
    )
    registry: AzureRegistryCredentials | None = Field(
        None,
        description="Pull the image from a private registry with a username and a Key Vault password "
        "(a registry block with password_secret_name). Not with registry_id. Unset: a public image, or an "
        "*.azurecr.io image pulled with the job identity",
    )

    existing_identity_id: str | None = Field(
        None,
        description="Run as this existing user-assigned managed identity, "
        f"{azure.USER_ASSIGNED_IDENTITY_FORM} (its client id is looked up for AZURE_CLIENT_ID). The stack "
        "creates no identity and no role assignment: permissions and registry_id are errors, grant the "
        "identity its roles where it is managed (it needs Key Vault Secrets User on every vault of "
        "runtime.secrets, AcrPull on an *.azurecr.io image's registry). Unset: the stack creates a "
        "user-assigned identity and grants it permissions",
    )

    @staticmethod
    def check_schedule(expression: str) -> None:
        azure.check_schedule(expression)

    def cloud_problems(self) -> list[Problem]:
        found: list[Problem] = []
        if self.cpu_millicores not in azure.CPU_MILLICORES:
            found.append(
                Problem(
                    ("cpu_millicores",),
                    "not a Container Apps size",
                    self.cpu_millicores,
                    "250 to 4000 in steps of 250",
                )
            )
        elif self.memory_mib != azure.memory_mib(self.cpu_millicores):
            found.append(
                Problem(
                    ("memory_mib",),
                    f"does not match cpu_millicores {self.cpu_millicores} on Container Apps",
                    self.memory_mib,
                    f"{azure.memory_mib(self.cpu_millicores)} (2 GiB per vCPU)",
                )
            )
        low, high = azure.LOG_RETENTION_DAYS
        if not low <= self.log_retention_days <= high:
            found.append(
                Problem(
                    ("log_retention_days",),
                    "outside Log Analytics limits",
                    self.log_retention_days,
                    f"{low} to {high}",
                )
            )
        if len(self.network.subnet_ids) > 1:
            found.append(
                Problem(
                    ("network", "subnet_ids"),
                    "Container Apps take one infrastructure subnet",
                    self.network.subnet_ids,
                    "at most one subnet id",
                )
            )
        if self.schedule is not None and self.schedule_timezone != "UTC":
            found.append(
                Problem(
                    ("schedule_timezone",),
                    "Container App Job schedules run in UTC",
                    self.schedule_timezone,
                    "UTC (convert the cron expression)",
                )
            )
        for var in sorted({azure.CLIENT_ID_VAR} & (set(self.env) | set(self.secrets))):
            where = "env" if var in self.env else "secrets"
            found.append(
                Problem(
                    (where, var),
                    "reserved: the platform sets it to the client id of the job identity",
                    var,
                    f"no {var} in env or secrets",
                )
            )
        found += self._network_problems()
        found += workload_problems(
            self.workload_profiles, self.workload_profile, self.environment_id is not None
        )
        found += self._trigger_problems()
        found += volume_problems(
            self.volumes, self.init_containers, len(set(self.secret_urls().values())), vol.MAIN_CONTAINER
        )
        found += self.scaling.problems(("scaling",), self.mode, self.job_trigger() == "event")
        found += self.probes.problems(("probes",))
        found += self._identity_problems()
        found += self._existing_resource_problems()
        found += self.permissions.key_vault_problems(
            self.secret_urls(), owned=self.existing_identity_id is None
        )
        found += self.permissions.role_problems()
        found += self.permissions.storage_problems()
        return found

    def _network_problems(self) -> list[Problem]:
        """Environment settings that need a subnet, and the ingress IP restrictions."""
        found: list[Problem] = []
        if not self.network.subnet_ids:
            given = [
                (("network", "external_environment"), self.network.external_environment)
                if "external_environment" in self.network.model_fields_set
                else None,
                (("zone_redundant",), self.zone_redundant)
                if "zone_redundant" in self.model_fields_set
                else None,
            ]
            found += [
                Problem(
                    where,
                    "applies only to an environment the job creates in its own subnet (without one the "
                    "environment is external and not zone redundant)",
                    value,
                    f"network.subnet_ids (one subnet id), or no {where[-1]}",
                )
                for where, value in filter(None, given)
            ]
        if self.ingress_allowed_cidrs and self.mode == "service" and self.ingress != "external":
            found.append(
                Problem(
                    ("ingress_allowed_cidrs",),
                    f"restricts external ingress only (ingress is {self.ingress})",
                    self.ingress_allowed_cidrs,
                    "ingress external, or no ingress_allowed_cidrs",
                )
            )
        seen: set[str] = set()
        for index, cidr in enumerate(self.ingress_allowed_cidrs):
            refusal = azure.ip_range_refusal(cidr)
            if refusal is not None:
                found.append(
                    Problem(("ingress_allowed_cidrs", index), refusal.problem, cidr, refusal.expected)
                )
            elif cidr in seen:
                found.append(
                    Problem(("ingress_allowed_cidrs", index), "listed twice", cidr, "each network once")
                )
            seen.add(cidr)
        return found

    def job_trigger(self) -> Literal["manual", "schedule", "event"]:
        """The job's trigger: ``trigger``, else schedule when a schedule is set, else manual."""
        if self.trigger is not None:
            return self.trigger
        return "schedule" if self.schedule is not None else "manual"

    def _trigger_problems(self) -> list[Problem]:
        if self.mode != "job" or self.trigger is None:
            return []
        if self.trigger == "schedule" and self.schedule is None:
            return [
                Problem(("trigger",), "a scheduled job needs a schedule", self.trigger, "schedule (cron)")
            ]
        if self.trigger != "schedule" and self.schedule is not None:
            return [
                Problem(
                    ("schedule",),
                    f"{'an' if self.trigger == 'event' else 'a'} {self.trigger}-triggered job has no schedule",
                    self.schedule,
                    "trigger schedule, or no schedule",
                )
            ]
        if self.trigger == "event" and not self.scaling.rules:
            return [
                Problem(
                    ("trigger",),
                    "an event-triggered job needs scale rules to start executions",
                    self.trigger,
                    "scaling.rules (service_bus_queue, storage_queue or custom)",
                )
            ]
        return []

    def secret_urls(self) -> dict[tuple[str | int, ...], str]:
        """Every Key Vault secret URL the app or job reads, by its path under the runtime block:
        ``secrets``, the scale rules' secrets, the registry password."""
        found: dict[tuple[str | int, ...], str] = {("secrets", var): url for var, url in self.secrets.items()}
        found |= {("scaling", *path): url for path, url in self.scaling.secret_urls().items()}
        if self.registry is not None:
            found[("registry", "password_secret")] = self.registry.password_secret
        return found

    def platform_problems(self, context: Mapping[str, Any]) -> list[Problem]:
        """Privileged roles of permissions.roles, unless the platform settings allow them (``context``)."""
        return self.permissions.privilege_problems(tuple(context.get(ALLOWED_AZURE_PRIVILEGED_ROLES, ())))

    def locked(self, environment: str) -> bool:
        """Whether the stack's resources get a delete lock: the field, else on in ``prod``."""
        return self.delete_lock if self.delete_lock is not None else environment == "prod"

    def _existing_resource_problems(self) -> list[Problem]:
        """environment_id and registry_id: their form, and the settings a shared environment fixes."""
        found: list[Problem] = []
        if self.environment_id is not None:
            if azure.environment_parts(self.environment_id) is None:
                found.append(
                    Problem(
                        ("environment_id",),
                        not_a("Container Apps environment resource id", self.environment_id),
                        self.environment_id,
                        azure.ARM_FORM + "Microsoft.App/managedEnvironments/<name>",
                    )
                )
            if self.network.subnet_ids:
                found.append(
                    Problem(
                        ("network", "subnet_ids"),
                        "the network of an existing environment is fixed",
                        self.network.subnet_ids,
                        "no subnet_ids with environment_id",
                    )
                )
            if "log_retention_days" in self.model_fields_set:
                found.append(
                    Problem(
                        ("log_retention_days",),
                        "an existing environment logs to its own workspace",
                        self.log_retention_days,
                        "no log_retention_days with environment_id",
                    )
                )
        if self.registry is not None:
            server = self.registry.server.lower()
            if self.registry_id is not None:
                found.append(
                    Problem(
                        ("registry",),
                        "registry_id already pulls with the job identity",
                        server,
                        "registry (username and password) or registry_id, not both",
                    )
                )
            if azure.image_registry(self.image) != server:
                found.append(
                    Problem(
                        ("registry", "server"),
                        "the image is not pulled from this registry",
                        self.registry.server,
                        f"the image's registry ({azure.image_registry(self.image) or 'Docker Hub: docker.io'})",
                    )
                )
        if self.registry_id is not None:
            registry = azure.registry_parts(self.registry_id)
            if registry is None:
                found.append(
                    Problem(
                        ("registry_id",),
                        not_a("container registry resource id", self.registry_id),
                        self.registry_id,
                        azure.ARM_FORM + "Microsoft.ContainerRegistry/registries/<name>",
                    )
                )
            elif azure.image_registry(self.image) != f"{registry['name'].lower()}.azurecr.io":
                server = f"{registry['name'].lower()}.azurecr.io"
                found.append(
                    Problem(
                        ("registry_id",),
                        "the image is not pulled from this registry" + tail(self.registry_id),
                        self.registry_id,
                        f"image on {server}, or no registry_id",
                    )
                )
        return found

    def _identity_problems(self) -> list[Problem]:
        """existing_identity_id: its form, and no role assignment for an identity the stack does not own."""
        if self.existing_identity_id is None:
            return []
        found: list[Problem] = []
        if azure.identity_parts(self.existing_identity_id) is None:
            found.append(
                Problem(
                    ("existing_identity_id",),
                    not_a("user-assigned identity resource id", self.existing_identity_id),
                    self.existing_identity_id,
                    azure.USER_ASSIGNED_IDENTITY_FORM,
                )
            )
        owned = "the stack grants roles only to an identity it creates (existing_identity_id is given)"
        given = [
            (("permissions", "storage"), self.permissions.storage, "storage roles"),
            (("permissions", "secrets"), self.permissions.secrets, "Key Vault Secrets User"),
            (("permissions", "vault_wide"), self.permissions.vault_wide, "Key Vault Secrets User"),
            (("permissions", "roles"), [g.model_dump() for g in self.permissions.roles], "the roles"),
            (("registry_id",), self.registry_id, "AcrPull on the registry"),
        ]
        found += [
            Problem(
                where,
                owned,
                value,
                f"grant {roles} to the identity where it is managed, or drop {'.'.join(map(str, where))}",
            )
            for where, value, roles in given
            if value
        ]
        return found
