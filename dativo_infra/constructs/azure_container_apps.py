"""Azure Container Apps runtime: a Container App (service mode) or a Container App Job (job mode).

Resources (construct ids are part of the contract: renaming one replaces the cloud resource):

* ``resource_group``: an ``azurerm_resource_group`` named from the stack, or, when the job names an
  existing group (``runtime.resource_group``), a ``data.azurerm_resource_group`` lookup instead;
* ``log_analytics``: the Log Analytics workspace receiving the container logs;
* ``environment``: a workload-profiles (v2) Container Apps environment with the ``Consumption``
  profile and the dedicated profiles of ``runtime.workload_profiles``, linked to that workspace
  (optionally in a subnet). When the job names an existing
  environment (``runtime.environment_id``) it is looked up (``data.azurerm_container_app_environment``)
  instead, and neither workspace nor environment is created: one subscription holds at most 15
  environments per region by default, so many jobs should share one;
* ``identity``: the user-assigned identity the app/job runs as, or, when the job names one
  (``runtime.existing_identity_id``), a ``data.azurerm_user_assigned_identity`` lookup of it (no role
  assignments then: a stack grants roles only to an identity it owns). Its client id is set as
  ``AZURE_CLIENT_ID`` in the container, which is how Azure SDKs (``DefaultAzureCredential``,
  ``ManagedIdentityCredential``) pick a user-assigned identity;
* role assignments of that identity (:func:`.azure_container_apps_roles.role_assignments`);
* ``app`` (service mode) or ``job`` (job mode), never both, on the workload profile
  ``runtime.workload_profile`` (``Consumption`` unless set),
  with a ``registry`` block (pull with the identity) when the image is on ``*.azurecr.io``. Both are
  built by one container builder; only the resource around it differs. External ingress takes one
  Allow ``ip_security_restriction`` per ``runtime.ingress_allowed_cidrs`` entry; the app's container
  takes the health probes of ``runtime.probes`` (:mod:`.azure_container_apps_probes`);
* KEDA scale rules of ``runtime.scaling.rules`` in the app's template, or the ``event_trigger_config``
  of an event-triggered job (:mod:`.azure_container_apps_scaling`); their Key Vault secrets and the
  registry password (``runtime.registry``) are app secrets read with the identity;
* ``volume_account_<name>`` / ``volume_storage_<name>``: the storage account lookup and environment
  storage of each Azure Files volume, and the volumes, mounts and init containers
  (:mod:`.azure_container_apps_volumes`);
* ``delete_lock_*``: CanNotDelete management locks when ``runtime.delete_lock`` (default: prod)
  (:mod:`.azure_container_apps_lock`).

With a subnet the environment is internal (``internal_load_balancer_enabled``) unless
``network.external_environment``, and zone redundant when ``runtime.zone_redundant``.

The construct takes the typed runtime model (:class:`~dativo_infra.config.runtimes.AzureContainerAppsRuntime`,
whose fields say what an unset field does) and the job's :class:`~.registry.Placement`. Sizes, ids and
names come from :mod:`dativo_infra.clouds.azure`, the rules validation uses. Tags are not set here: the
stack's TaggingAspect sets ``tags`` on every resource that accepts them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from constructs import Construct

from dativo_infra.cdk import (
    ITerraformDependable,
    Postcondition,
    TerraformResourceLifecycle,
    TerraformStack,
    provider_azurerm,
)
from dativo_infra.clouds import azure
from dativo_infra.clouds import azure_scaling as keda
from dativo_infra.clouds import azure_volumes as vol
from dativo_infra.config.runtimes import AzureContainerAppsRuntime
from dativo_infra.config.settings import PlatformSettings
from dativo_infra.constructs.azure_container_apps_lock import delete_locks
from dativo_infra.constructs.azure_container_apps_probes import probe_blocks
from dativo_infra.constructs.azure_container_apps_roles import (  # re-exported: tests and callers use them
    ACR_PULL_ROLE,
    KEY_VAULT_ROLE,
    STORAGE_ROLES,
    Grant,
    role_assignments,
)
from dativo_infra.constructs.azure_container_apps_scaling import app_scale_rules, event_trigger
from dativo_infra.constructs.azure_container_apps_volumes import environment_storages, volume_parts
from dativo_infra.constructs.registry import Placement

#: The serverless workload profile every environment the stack creates has (the default of the app/job).
WORKLOAD_PROFILE = azure.CONSUMPTION_PROFILE
#: Name of the single container of the app/job.
CONTAINER_NAME = vol.MAIN_CONTAINER


def configure_provider(
    stack: TerraformStack,
    placement: Placement,
    runtime: AzureContainerAppsRuntime,
    settings: PlatformSettings,
) -> None:
    """The azurerm provider. Subscription and credentials come from the deploy environment
    (``ARM_SUBSCRIPTION_ID``, ``ARM_TENANT_ID``, ``ARM_CLIENT_ID``, OIDC/CLI login): nothing here."""
    del placement, runtime, settings  # the provider has no region; the deploy target is AWS-only
    provider_azurerm.provider.AzurermProvider(
        stack,
        "azurerm",
        features=[provider_azurerm.provider.AzurermProviderFeatures()],
        # azurerm 4.x registers a legacy set of resource providers by default, 5.x none: name the ones
        # this runtime's resources need, so a fresh subscription works with either major.
        resource_providers_to_register=list(azure.RESOURCE_PROVIDERS),
    )


@dataclass(frozen=True)
class _Bindings:
    """The binding classes of one resource kind (Container App or Container App Job): the two kinds
    take the same container blocks under different class names."""

    container: Any
    env: Any
    secret: Any
    registry: Any
    identity: Any


_APP = _Bindings(
    provider_azurerm.container_app.ContainerAppTemplateContainer,
    provider_azurerm.container_app.ContainerAppTemplateContainerEnv,
    provider_azurerm.container_app.ContainerAppSecret,
    provider_azurerm.container_app.ContainerAppRegistry,
    provider_azurerm.container_app.ContainerAppIdentity,
)
_JOB = _Bindings(
    provider_azurerm.container_app_job.ContainerAppJobTemplateContainer,
    provider_azurerm.container_app_job.ContainerAppJobTemplateContainerEnv,
    provider_azurerm.container_app_job.ContainerAppJobSecret,
    provider_azurerm.container_app_job.ContainerAppJobRegistry,
    provider_azurerm.container_app_job.ContainerAppJobIdentity,
)


__all__ = ["ACR_PULL_ROLE", "KEY_VAULT_ROLE", "STORAGE_ROLES", "Grant", "Runtime", "role_assignments"]


class Runtime(Construct):
    """Azure Container Apps runtime of one job; ``outputs`` holds every contract output."""

    def __init__(
        self, scope: Construct, id: str, runtime: AzureContainerAppsRuntime, placement: Placement
    ) -> None:
        super().__init__(scope, id)
        self.runtime = runtime
        self.placement = placement
        self.names = names = azure.resource_names(placement.name)

        if runtime.resource_group is None:
            self.resource_group: (
                provider_azurerm.resource_group.ResourceGroup
                | provider_azurerm.data_azurerm_resource_group.DataAzurermResourceGroup
            ) = provider_azurerm.resource_group.ResourceGroup(
                self, "resource_group", name=names.resource_group, location=placement.region
            )
        else:
            self.resource_group = provider_azurerm.data_azurerm_resource_group.DataAzurermResourceGroup(
                self, "resource_group", name=runtime.resource_group
            )
        # Attribute tokens are read once each and kept: every read is a jsii round trip to Node.
        self.resource_group_name: str = self.resource_group.name
        rg_name = self.resource_group_name

        self.log_analytics: provider_azurerm.log_analytics_workspace.LogAnalyticsWorkspace | None = None
        self.log_analytics_id: str | None = None
        self.environment: (
            provider_azurerm.container_app_environment.ContainerAppEnvironment
            | provider_azurerm.data_azurerm_container_app_environment.DataAzurermContainerAppEnvironment
        )
        if runtime.environment_id is None:
            subnet_id = runtime.network.subnet_ids[0] if runtime.network.subnet_ids else None
            self.log_analytics = provider_azurerm.log_analytics_workspace.LogAnalyticsWorkspace(
                self,
                "log_analytics",
                name=names.log_analytics_workspace,
                location=placement.region,
                resource_group_name=rg_name,
                sku="PerGB2018",
                retention_in_days=runtime.log_retention_days,
            )
            self.log_analytics_id = self.log_analytics.id
            self.environment = provider_azurerm.container_app_environment.ContainerAppEnvironment(
                self,
                "environment",
                name=names.environment,
                location=placement.region,
                resource_group_name=rg_name,
                log_analytics_workspace_id=self.log_analytics_id,
                logs_destination="log-analytics",
                infrastructure_subnet_id=subnet_id,
                infrastructure_resource_group_name=names.infrastructure_resource_group if subnet_id else None,
                # both RequiredWith infrastructure_subnet_id in azurerm: left out without a subnet
                internal_load_balancer_enabled=not runtime.network.external_environment
                if subnet_id
                else None,
                zone_redundancy_enabled=runtime.zone_redundant if subnet_id else None,
                workload_profile=[
                    provider_azurerm.container_app_environment.ContainerAppEnvironmentWorkloadProfile(
                        name=WORKLOAD_PROFILE, workload_profile_type=WORKLOAD_PROFILE
                    ),
                    *(
                        provider_azurerm.container_app_environment.ContainerAppEnvironmentWorkloadProfile(
                            name=profile.name,
                            workload_profile_type=profile.type,
                            minimum_count=profile.minimum_count,
                            maximum_count=profile.maximum_count,
                        )
                        for profile in runtime.workload_profiles
                    ),
                ],
            )
        else:
            self.environment = self._existing_environment(runtime.environment_id)
        self.identity: (
            provider_azurerm.user_assigned_identity.UserAssignedIdentity
            | provider_azurerm.data_azurerm_user_assigned_identity.DataAzurermUserAssignedIdentity
        )
        if runtime.existing_identity_id is None:
            self.identity = provider_azurerm.user_assigned_identity.UserAssignedIdentity(
                self, "identity", name=names.identity, location=placement.region, resource_group_name=rg_name
            )
        else:
            self.identity = self._existing_identity(runtime.existing_identity_id)
        self.environment_id: str = self.environment.id
        self.identity_id: str = self.identity.id
        self.identity_client_id: str = self.identity.client_id
        self.role_assignments: list[provider_azurerm.role_assignment.RoleAssignment] = []
        grants = role_assignments(runtime)
        if grants:
            principal_id = self.identity.principal_id
            self.role_assignments = [
                provider_azurerm.role_assignment.RoleAssignment(
                    self,
                    grant.id,
                    scope=grant.scope,
                    role_definition_name=grant.role,
                    principal_id=principal_id,
                    principal_type="ServicePrincipal",
                    condition=grant.condition,
                    condition_version=azure.ABAC_CONDITION_VERSION if grant.condition else None,
                )
                for grant in grants
            ]

        #: App secret name of every Key Vault secret URL read other than through ``runtime.secrets``
        #: (scale rules), or through it (the variable's secret is reused).
        self.reference_secrets = keda.reference_secret_names(
            dict(runtime.secrets),
            [url for path, url in runtime.secret_urls().items() if path[0] != "secrets"],
        )
        self.volume_storages = environment_storages(self, placement.name, runtime, self.environment_id)
        self.app: provider_azurerm.container_app.ContainerApp | None = None
        self.job: provider_azurerm.container_app_job.ContainerAppJob | None = None
        if runtime.mode == "service":
            self.app = self._container_app()
            app_name = self.app.name
        else:
            self.job = self._container_app_job()
            app_name = self.job.name

        self.delete_locks = []
        locked = self.app or self.job
        if locked is not None and runtime.locked(placement.environment):
            self.delete_locks = delete_locks(
                self,
                placement.name,
                resource=locked,
                environment=self.environment,
                resource_group=self.resource_group,
            )

        # Only the outputs that exist for this configuration (contract.exported_outputs says which).
        self.outputs: dict[str, Any] = {
            "resource_group_name": rg_name,
            "environment_name": self.environment.name,
            "container_app_name": app_name,
            "managed_identity_id": self.identity_id,
            "managed_identity_client_id": self.identity_client_id,
        }
        if self.app is not None and runtime.ingress != "none":
            self.outputs["ingress_url"] = f"https://{self.app.ingress.fqdn}"
        if self.log_analytics is not None:  # a shared environment's workspace is not this stack's
            self.outputs["log_analytics_workspace_id"] = self.log_analytics_id

    def _existing_environment(
        self, environment_id: str
    ) -> provider_azurerm.data_azurerm_container_app_environment.DataAzurermContainerAppEnvironment:
        """Look up ``environment_id`` (the model guarantees its form); the plan fails if it is not in the
        job's region (apps and jobs must be created in their environment's region)."""
        parts = azure.environment_parts(environment_id)
        if parts is None:
            raise ValueError(f"not a Container Apps environment resource id: {environment_id!r}")
        resource_group, name = parts
        location = self.placement.region
        return provider_azurerm.data_azurerm_container_app_environment.DataAzurermContainerAppEnvironment(
            self,
            "environment",
            name=name,
            resource_group_name=resource_group,
            lifecycle=TerraformResourceLifecycle(
                postcondition=[
                    Postcondition(
                        condition=f'${{self.location == "{location}"}}',
                        error_message=f"The Container Apps environment must be in {location}, the job's region.",
                    )
                ]
            ),
        )

    def _existing_identity(
        self, identity_id: str
    ) -> provider_azurerm.data_azurerm_user_assigned_identity.DataAzurermUserAssignedIdentity:
        """Look up ``identity_id`` (the model guarantees its form) for its client id; the stack neither
        creates it nor grants it roles."""
        parts = azure.identity_parts(identity_id)
        if parts is None:
            raise ValueError(f"not a user-assigned identity resource id: {identity_id!r}")
        resource_group, name = parts
        return provider_azurerm.data_azurerm_user_assigned_identity.DataAzurermUserAssignedIdentity(
            self, "identity", name=name, resource_group_name=resource_group
        )

    def _container_parts(
        self, kinds: _Bindings, kind: str, probes: dict[str, list[Any]] | None = None
    ) -> dict[str, Any]:
        """What the app and the job share: identity, registry, Key Vault secrets and the one container
        (``AZURE_CLIENT_ID`` first, then plain variables, then secret references, each sorted)."""
        runtime = self.runtime
        secrets = azure.secret_names(list(runtime.secrets))
        env = [kinds.env(name=azure.CLIENT_ID_VAR, value=self.identity_client_id)]
        env += [kinds.env(name=k, value=v) for k, v in sorted(runtime.env.items())]
        env += [kinds.env(name=k, secret_name=secrets[k]) for k in sorted(runtime.secrets)]
        template, mounts = volume_parts(runtime, kind, self.volume_storages, self.identity_client_id)
        return {
            "template": template,
            "identity": kinds.identity(type="UserAssigned", identity_ids=[self.identity_id]),
            "registry": self._registry(kinds),
            "secret": [
                kinds.secret(name=secrets[k], key_vault_secret_id=v, identity=self.identity_id)
                for k, v in sorted(runtime.secrets.items())
            ]
            + [
                kinds.secret(name=name, key_vault_secret_id=url, identity=self.identity_id)
                for url, name in sorted(self.reference_secrets.items())
                if url not in runtime.secrets.values()
            ]
            or None,
            "container": kinds.container(
                name=CONTAINER_NAME,
                image=runtime.image,
                cpu=runtime.cpu_millicores / 1000,
                memory=azure.memory_quantity(runtime.memory_mib),
                command=list(runtime.command) or None,
                env=env,
                **(probes or {}),
                **mounts,
            ),
            # secrets are resolved and storage is reached with the identity's roles: grant first
            "depends_on": list[ITerraformDependable](self.role_assignments) or None,
        }

    def _registry(self, kinds: _Bindings) -> list[Any] | None:
        """The registry block: ``runtime.registry`` (username, password from a Key Vault secret), else
        the identity for an ``*.azurecr.io`` image, else none (a public image)."""
        credentials = self.runtime.registry
        if credentials is not None:
            return [
                kinds.registry(
                    server=credentials.server.lower(),
                    username=credentials.username,
                    password_secret_name=self.reference_secrets[credentials.password_secret],
                )
            ]
        server = azure.acr_server(self.runtime.image)
        return [kinds.registry(server=server, identity=self.identity_id)] if server else None

    def _container_app(self) -> provider_azurerm.container_app.ContainerApp:
        runtime = self.runtime
        parts = self._container_parts(_APP, "app", probe_blocks(runtime))
        ingress = None
        if runtime.ingress != "none":
            ingress = provider_azurerm.container_app.ContainerAppIngress(
                external_enabled=runtime.ingress == "external",
                target_port=runtime.port,
                ip_security_restriction=[
                    provider_azurerm.container_app.ContainerAppIngressIpSecurityRestriction(
                        name=azure.ip_restriction_name(index),
                        action=azure.IP_RESTRICTION_ACTION,
                        ip_address_range=cidr,
                    )
                    for index, cidr in enumerate(runtime.ingress_allowed_cidrs)
                ]
                or None,
                traffic_weight=[
                    provider_azurerm.container_app.ContainerAppIngressTrafficWeight(
                        percentage=100, latest_revision=True
                    )
                ],
            )
        return provider_azurerm.container_app.ContainerApp(
            self,
            "app",
            name=self.names.container_app,
            resource_group_name=self.resource_group_name,
            container_app_environment_id=self.environment_id,
            workload_profile_name=runtime.workload_profile,
            revision_mode="Single",
            identity=parts["identity"],
            registry=parts["registry"],
            secret=parts["secret"],
            ingress=ingress,
            template=provider_azurerm.container_app.ContainerAppTemplate(
                min_replicas=runtime.scaling.min_replicas,
                max_replicas=runtime.scaling.max_replicas,
                container=[parts["container"]],
                **app_scale_rules(runtime, self.reference_secrets),
                **parts["template"],
            ),
            depends_on=parts["depends_on"],
        )

    def _container_app_job(self) -> provider_azurerm.container_app_job.ContainerAppJob:
        runtime = self.runtime
        parts = self._container_parts(_JOB, "job")
        parallelism = runtime.scaling.parallelism
        manual = schedule = event = None
        trigger = runtime.job_trigger()
        if trigger == "event":
            event = event_trigger(runtime, self.reference_secrets)
        elif trigger == "manual":
            manual = provider_azurerm.container_app_job.ContainerAppJobManualTriggerConfig(
                parallelism=parallelism, replica_completion_count=parallelism
            )
        else:
            schedule = provider_azurerm.container_app_job.ContainerAppJobScheduleTriggerConfig(
                cron_expression=str(runtime.schedule),
                parallelism=parallelism,
                replica_completion_count=parallelism,
            )
        return provider_azurerm.container_app_job.ContainerAppJob(
            self,
            "job",
            name=self.names.container_app_job,
            location=self.placement.region,
            resource_group_name=self.resource_group_name,
            container_app_environment_id=self.environment_id,
            workload_profile_name=runtime.workload_profile,
            replica_timeout_in_seconds=runtime.timeout_seconds,
            replica_retry_limit=runtime.retries,
            manual_trigger_config=manual,
            schedule_trigger_config=schedule,
            event_trigger_config=event,
            identity=parts["identity"],
            registry=parts["registry"],
            secret=parts["secret"],
            template=provider_azurerm.container_app_job.ContainerAppJobTemplate(
                container=[parts["container"]], **parts["template"]
            ),
            depends_on=parts["depends_on"],
        )
