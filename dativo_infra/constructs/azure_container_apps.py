"""Azure Container Apps runtime: a Container App (service mode) or a Container App Job (job mode).

Resources (construct ids are part of the contract: renaming one replaces the cloud resource):

* ``resource_group``: an ``azurerm_resource_group`` named from the stack, or, when the job names an
  existing group (``runtime.resource_group``), a ``data.azurerm_resource_group`` lookup instead;
* ``log_analytics``: the Log Analytics workspace receiving the container logs;
* ``environment``: a workload-profiles (v2) Container Apps environment with the ``Consumption``
  profile, linked to that workspace (optionally in a subnet). When the job names an existing
  environment (``runtime.environment_id``) it is looked up (``data.azurerm_container_app_environment``)
  instead, and neither workspace nor environment is created: one subscription holds at most 15
  environments per region by default, so many jobs should share one;
* ``identity``: the user-assigned identity the app/job runs as. Its client id is set as
  ``AZURE_CLIENT_ID`` in the container, which is how Azure SDKs (``DefaultAzureCredential``,
  ``ManagedIdentityCredential``) pick a user-assigned identity;
* role assignments of that identity (see *Grants*);
* ``app`` (service mode) or ``job`` (job mode), never both, on the ``Consumption`` workload profile,
  with a ``registry`` block (pull with the identity) when the image is on ``*.azurecr.io``.

Grants (least privilege):

* ``storage_<reader|contributor>_<hash of scope>``: a Storage Blob Data role per storage account (or
  blob container) of ``permissions.storage``, the stronger one when a scope is listed twice;
* ``key_vault_secret_<hash of scope>``: *Key Vault Secrets User* on each secret referenced by
  ``runtime.secrets``, scoped to that secret (``<vault id>/secrets/<name>``), not to its vault;
* ``key_vault_<hash of scope>``: *Key Vault Secrets User* on a whole vault of ``permissions.secrets``
  only when none of ``runtime.secrets`` refers to that vault. ``permissions.secrets`` means "the job
  reads this vault with the SDK"; but the schema also requires every vault that ``runtime.secrets``
  refers to to be listed there (the secret URL has the vault's name, not its resource id), and such
  a listing is taken as that address only: the job gets the referenced secrets, not the vault;
* ``acr_pull_<hash of scope>``: *AcrPull* on ``runtime.registry_id`` when set. Without it, an
  ``*.azurecr.io`` image is still pulled with the identity, which then needs AcrPull granted
  elsewhere (e.g. once per registry by the platform team).

Tags are not set here: the stack's TaggingAspect sets ``tags`` on every resource that accepts them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from cdktf import ITerraformDependable, Postcondition, TerraformResourceLifecycle, TerraformStack
from cdktf_cdktf_provider_azurerm.container_app import (
    ContainerApp,
    ContainerAppIdentity,
    ContainerAppIngress,
    ContainerAppIngressTrafficWeight,
    ContainerAppRegistry,
    ContainerAppSecret,
    ContainerAppTemplate,
    ContainerAppTemplateContainer,
    ContainerAppTemplateContainerEnv,
)
from cdktf_cdktf_provider_azurerm.container_app_environment import (
    ContainerAppEnvironment,
    ContainerAppEnvironmentWorkloadProfile,
)
from cdktf_cdktf_provider_azurerm.container_app_job import (
    ContainerAppJob,
    ContainerAppJobIdentity,
    ContainerAppJobManualTriggerConfig,
    ContainerAppJobRegistry,
    ContainerAppJobScheduleTriggerConfig,
    ContainerAppJobSecret,
    ContainerAppJobTemplate,
    ContainerAppJobTemplateContainer,
    ContainerAppJobTemplateContainerEnv,
)
from cdktf_cdktf_provider_azurerm.data_azurerm_container_app_environment import (
    DataAzurermContainerAppEnvironment,
)
from cdktf_cdktf_provider_azurerm.data_azurerm_resource_group import DataAzurermResourceGroup
from cdktf_cdktf_provider_azurerm.log_analytics_workspace import LogAnalyticsWorkspace
from cdktf_cdktf_provider_azurerm.provider import AzurermProvider, AzurermProviderFeatures
from cdktf_cdktf_provider_azurerm.resource_group import ResourceGroup
from cdktf_cdktf_provider_azurerm.role_assignment import RoleAssignment
from cdktf_cdktf_provider_azurerm.user_assigned_identity import UserAssignedIdentity
from constructs import Construct

from dativo_infra.config.schema import (
    AZURE_CLIENT_ID_VAR,
    KEY_VAULT_ID_RE,
    KEY_VAULT_SECRET_URL_RE,
    MANAGED_ENVIRONMENT_ID_RE,
    JobConfig,
    image_registry,
)
from dativo_infra.naming import (
    AZURE_CONTAINER_APP,
    AZURE_CONTAINER_APP_ENVIRONMENT,
    AZURE_CONTAINER_APP_SECRET,
    AZURE_LOG_ANALYTICS_WORKSPACE,
    AZURE_RESOURCE_GROUP,
    AZURE_USER_ASSIGNED_IDENTITY,
    short_hash,
)
from dativo_infra.settings import PlatformSettings

#: Role granted on a storage account per access level.
STORAGE_ROLES: dict[str, str] = {
    "read": "Storage Blob Data Reader",
    "write": "Storage Blob Data Contributor",
    "read_write": "Storage Blob Data Contributor",
}
#: Role granted on each referenced Key Vault secret, and on each vault read with the SDK.
KEY_VAULT_ROLE = "Key Vault Secrets User"
#: Role granted on ``runtime.registry_id``.
ACR_PULL_ROLE = "AcrPull"
#: The workload profile of the environment, the app and the job (serverless, billed per use).
WORKLOAD_PROFILE = "Consumption"
#: Name of the single container of the app/job.
CONTAINER_NAME = "job"
#: Value of ``ingress_url`` when there is no ingress (job mode, or ``ingress: none``).
NO_INGRESS = "none"
#: Value of ``log_analytics_workspace_id`` in an existing environment (``environment_id``): the
#: workspace is the environment's, not this stack's, and the azurerm data source exposes only its
#: name, never its resource id.
NO_WORKSPACE = "none"

_ROLE_SLUGS = {"Storage Blob Data Reader": "reader", "Storage Blob Data Contributor": "contributor"}
_ROLE_RANK = {"Storage Blob Data Reader": 0, "Storage Blob Data Contributor": 1}


@dataclass(frozen=True)
class AzureNames:
    """The Azure resource names of one stack, each valid for its resource type."""

    resource_group: str
    log_analytics_workspace: str
    environment: str
    container_app: str
    container_app_job: str
    identity: str
    #: Platform-managed group Azure creates for an environment in a custom subnet (named here, so
    #: Terraform does not see a generated name as drift and replace the environment).
    infrastructure_resource_group: str


def azure_names(name: str) -> AzureNames:
    """Deterministic, valid Azure names for the stack ``name`` (pure; CAF abbreviations as prefixes)."""
    return AzureNames(
        resource_group=AZURE_RESOURCE_GROUP.make("rg", name),
        log_analytics_workspace=AZURE_LOG_ANALYTICS_WORKSPACE.make("log", name),
        environment=AZURE_CONTAINER_APP_ENVIRONMENT.make("cae", name),
        container_app=AZURE_CONTAINER_APP.make("ca", name),
        container_app_job=AZURE_CONTAINER_APP.make("caj", name),
        identity=AZURE_USER_ASSIGNED_IDENTITY.make("id", name),
        infrastructure_resource_group=AZURE_RESOURCE_GROUP.make("me", name),
    )


def secret_names(variables: list[str] | tuple[str, ...]) -> dict[str, str]:
    """Container App secret name per environment variable name (lowercase, hyphens, unique).

    Two variables that map to the same name (``A_B`` and ``a_b``) both get a hash of their own name
    appended, so the mapping stays injective and does not depend on the order of the variables.
    """
    plain = {var: AZURE_CONTAINER_APP_SECRET.make(var) for var in variables}
    counts: dict[str, int] = {}
    for secret in plain.values():
        counts[secret] = counts.get(secret, 0) + 1
    return {
        var: secret if counts[secret] == 1 else AZURE_CONTAINER_APP_SECRET.make(var, short_hash(var))
        for var, secret in sorted(plain.items())
    }


def memory_quantity(memory_mib: int) -> str:
    """Container Apps memory quantity: 1024 -> ``"1Gi"``, 512 -> ``"0.5Gi"``, 1536 -> ``"1.5Gi"``."""
    return f"{memory_mib / 1024:g}Gi"


@dataclass(frozen=True)
class Props:
    """Typed props of :class:`Runtime`. Strings from a job file arrive already literal-escaped."""

    #: Stack name; every Azure name is derived from it (see :func:`azure_names`). Required.
    name: str
    #: Azure region (``infrastructure.region``), e.g. ``westeurope``. Required.
    location: str
    #: ``job``: a Container App Job; ``service``: a Container App. Unset: job.
    mode: Literal["job", "service"] = "job"
    #: Container image. Unset: the platform image.
    image: str = "ghcr.io/dativo-io/dativo-ingest:latest"
    #: Container command. Unset (empty): the image's entrypoint/command.
    command: tuple[str, ...] = ()
    #: vCPU of the container (0.25 steps). Unset: 1.0.
    cpu: float = 1.0
    #: Memory quantity of the container, e.g. ``"2Gi"``. Unset: 2Gi (the pair for 1 vCPU).
    memory: str = "2Gi"
    #: Plain environment variables, name -> value. Unset (empty): none.
    env: dict[str, str] = field(default_factory=dict)
    #: Environment variables read from Key Vault, name -> Key Vault secret id (URL). The secret is
    #: fetched with the runtime identity (grant it with ``key_vault_secret_scopes``). Unset (empty): none.
    #: ``AZURE_CLIENT_ID`` (the identity's client id) is always set besides these.
    secret_env: dict[str, str] = field(default_factory=dict)
    #: Job mode: longest a replica may run, seconds. Unset: 3600.
    timeout_seconds: int = 3600
    #: Job mode: retries of a failed replica. Unset: 0.
    retries: int = 0
    #: Job mode: 5-field cron expression, evaluated in UTC. Unset (None): manual trigger.
    schedule: str | None = None
    #: Service mode: port the container listens on. Unset: 8080.
    port: int = 8080
    #: Service mode: ``external`` (internet), ``internal`` (inside the environment) or ``none``
    #: (no ingress block). Unset: internal.
    ingress: Literal["none", "internal", "external"] = "internal"
    #: Service mode: fewest replicas (0 lets the app scale to zero). Unset: 1.
    min_replicas: int = 1
    #: Service mode: most replicas. Unset: 1.
    max_replicas: int = 1
    #: Job mode: replicas started per execution, all of which must complete. Unset: 1.
    parallelism: int = 1
    #: Log Analytics retention in days (30-730). Unset: 30. Unused with ``environment_id``.
    log_retention_days: int = 30
    #: Existing resource group to deploy into (looked up, never created). Unset (None): a resource
    #: group named from the stack is created.
    resource_group: str | None = None
    #: Existing Container Apps environment (resource id) to run in, looked up, never created. It
    #: must be a workload-profiles environment (it then always has the ``Consumption`` profile) in
    #: ``location`` and in the deploy subscription (it is looked up by resource group and name); a
    #: plan fails on a location mismatch or when it is not found. Unset (None): the stack creates its own
    #: environment and Log Analytics workspace (mind the default quota of 15 environments per
    #: subscription and region). With it, ``log_analytics_workspace_id`` is ``"none"``
    #: (:data:`NO_WORKSPACE`) and ``subnet_id`` / ``log_retention_days`` are unused.
    environment_id: str | None = None
    #: Infrastructure subnet id of the environment (workload profiles: a /27 or larger subnet
    #: delegated to ``Microsoft.App/environments``). Unset (None): a Container Apps managed network.
    subnet_id: str | None = None
    #: Storage account (or blob container) resource id -> role of the identity there. Unset
    #: (empty): no storage access.
    storage_roles: dict[str, str] = field(default_factory=dict)
    #: Key Vault resource ids the identity may read every secret of (SDK reads). Unset (empty): none.
    key_vault_ids: tuple[str, ...] = ()
    #: Key Vault secret resource ids (``<vault id>/secrets/<name>``) the identity may read: the
    #: secrets of ``secret_env``. Unset (empty): none.
    key_vault_secret_scopes: tuple[str, ...] = ()
    #: Registry server the image is pulled from with the identity, e.g. ``acme.azurecr.io``. Unset
    #: (None): anonymous pull (public registries).
    registry_server: str | None = None
    #: Azure Container Registry resource id on which the identity gets AcrPull. Unset (None): no
    #: grant; a private ``registry_server`` then needs AcrPull for the identity granted elsewhere.
    registry_id: str | None = None


def props_from_job(config: JobConfig, name: str) -> Props:
    """Map a (literal-escaped) job onto :class:`Props`; ``name`` is the stack name."""
    runtime = config.runtime  # the schema already rejects non-UTC schedules for Container App Jobs
    storage_roles: dict[str, str] = {}
    for grant in runtime.permissions.storage:
        role = STORAGE_ROLES[grant.access]
        current = storage_roles.get(grant.bucket)
        if current is None or _ROLE_RANK[role] > _ROLE_RANK[current]:
            storage_roles[grant.bucket] = role
    # The schema guarantees the forms and that every referenced vault is listed in permissions.secrets.
    vault_ids = {KEY_VAULT_ID_RE.match(v)["name"].lower(): v for v in runtime.permissions.secrets}  # type: ignore[index]
    secret_scopes, referenced = set(), set()
    for url in runtime.secrets.values():
        secret = KEY_VAULT_SECRET_URL_RE.match(url)
        assert secret is not None
        referenced.add(secret["vault"])
        secret_scopes.add(f"{vault_ids[secret['vault']]}/secrets/{secret['secret']}")
    registry = image_registry(runtime.image)
    return Props(
        name=name,
        location=config.infrastructure.region,
        mode=runtime.mode,
        image=runtime.image,
        command=tuple(runtime.command),
        cpu=runtime.cpu_millicores / 1000,
        memory=memory_quantity(runtime.memory_mib),
        env=dict(sorted(runtime.env.items())),
        secret_env=dict(sorted(runtime.secrets.items())),
        timeout_seconds=runtime.timeout_seconds,
        retries=runtime.retries,
        schedule=runtime.schedule,
        port=runtime.port,
        ingress=runtime.ingress,
        min_replicas=runtime.scaling.min_replicas,
        max_replicas=runtime.scaling.max_replicas,
        parallelism=runtime.scaling.parallelism,
        log_retention_days=runtime.log_retention_days,
        resource_group=runtime.resource_group,
        environment_id=runtime.environment_id,
        subnet_id=runtime.network.subnet_ids[0] if runtime.network.subnet_ids else None,
        storage_roles=dict(sorted(storage_roles.items())),
        key_vault_ids=tuple(sorted(v for name, v in vault_ids.items() if name not in referenced)),
        key_vault_secret_scopes=tuple(sorted(secret_scopes)),
        registry_server=registry if registry is not None and registry.endswith(".azurecr.io") else None,
        registry_id=runtime.registry_id,
    )


def configure_provider(stack: TerraformStack, config: JobConfig, settings: PlatformSettings) -> None:
    """The azurerm provider. Subscription and credentials come from the deploy environment
    (``ARM_SUBSCRIPTION_ID``, ``ARM_TENANT_ID``, ``ARM_CLIENT_ID``, OIDC/CLI login): nothing here."""
    AzurermProvider(stack, "azurerm", features=[AzurermProviderFeatures()])


class Runtime(Construct):
    """Azure Container Apps runtime of one job; ``outputs`` holds every contract output."""

    def __init__(self, scope: Construct, id: str, props: Props) -> None:
        super().__init__(scope, id)
        self.props = props
        self.names = names = azure_names(props.name)

        if props.resource_group is None:
            self.resource_group: ResourceGroup | DataAzurermResourceGroup = ResourceGroup(
                self, "resource_group", name=names.resource_group, location=props.location
            )
        else:
            self.resource_group = DataAzurermResourceGroup(self, "resource_group", name=props.resource_group)
        rg_name = self.resource_group.name

        self.log_analytics: LogAnalyticsWorkspace | None = None
        self.environment: ContainerAppEnvironment | DataAzurermContainerAppEnvironment
        if props.environment_id is None:
            self.log_analytics = LogAnalyticsWorkspace(
                self,
                "log_analytics",
                name=names.log_analytics_workspace,
                location=props.location,
                resource_group_name=rg_name,
                sku="PerGB2018",
                retention_in_days=props.log_retention_days,
            )
            self.environment = ContainerAppEnvironment(
                self,
                "environment",
                name=names.environment,
                location=props.location,
                resource_group_name=rg_name,
                log_analytics_workspace_id=self.log_analytics.id,
                logs_destination="log-analytics",
                infrastructure_subnet_id=props.subnet_id,
                infrastructure_resource_group_name=names.infrastructure_resource_group
                if props.subnet_id
                else None,
                workload_profile=[
                    ContainerAppEnvironmentWorkloadProfile(
                        name=WORKLOAD_PROFILE, workload_profile_type=WORKLOAD_PROFILE
                    )
                ],
            )
            workspace_id: str = self.log_analytics.id
        else:
            self.environment = self._existing_environment(props.environment_id)
            workspace_id = NO_WORKSPACE
        self.identity = UserAssignedIdentity(
            self, "identity", name=names.identity, location=props.location, resource_group_name=rg_name
        )

        self.role_assignments: list[RoleAssignment] = []
        for scope_id, role in props.storage_roles.items():
            self._grant(f"storage_{_ROLE_SLUGS[role]}_{short_hash(scope_id)}", scope_id, role)
        for vault_id in props.key_vault_ids:
            self._grant(f"key_vault_{short_hash(vault_id)}", vault_id, KEY_VAULT_ROLE)
        for secret_scope in props.key_vault_secret_scopes:
            self._grant(f"key_vault_secret_{short_hash(secret_scope)}", secret_scope, KEY_VAULT_ROLE)
        if props.registry_id is not None:
            self._grant(f"acr_pull_{short_hash(props.registry_id)}", props.registry_id, ACR_PULL_ROLE)

        self.app: ContainerApp | None = None
        self.job: ContainerAppJob | None = None
        if props.mode == "service":
            self.app = self._container_app()
            app_name = self.app.name
            ingress_url = f"https://{self.app.ingress.fqdn}" if props.ingress != "none" else NO_INGRESS
        else:
            self.job = self._container_app_job()
            app_name = self.job.name
            ingress_url = NO_INGRESS

        self.outputs: dict[str, Any] = {
            "resource_group_name": rg_name,
            "environment_name": self.environment.name,
            "container_app_name": app_name,
            "ingress_url": ingress_url,
            "managed_identity_id": self.identity.id,
            "managed_identity_client_id": self.identity.client_id,
            "log_analytics_workspace_id": workspace_id,
        }

    def _existing_environment(self, environment_id: str) -> DataAzurermContainerAppEnvironment:
        """Look up ``environment_id``; the plan fails if it is not in the job's region (apps and jobs
        must be created in their environment's region)."""
        parts = MANAGED_ENVIRONMENT_ID_RE.match(environment_id)
        if parts is None:
            raise ValueError(f"not a Container Apps environment resource id: {environment_id!r}")
        location = self.props.location
        return DataAzurermContainerAppEnvironment(
            self,
            "environment",
            name=parts["name"],
            resource_group_name=parts["resource_group"],
            lifecycle=TerraformResourceLifecycle(
                postcondition=[
                    Postcondition(
                        condition=f'${{self.location == "{location}"}}',
                        error_message=f"The Container Apps environment must be in {location}, the job's region.",
                    )
                ]
            ),
        )

    def _grant(self, construct_id: str, scope_id: str, role: str) -> None:
        self.role_assignments.append(
            RoleAssignment(
                self,
                construct_id,
                scope=scope_id,
                role_definition_name=role,
                principal_id=self.identity.principal_id,
                principal_type="ServicePrincipal",
            )
        )

    def _depends_on(self) -> list[ITerraformDependable]:
        # Secrets are resolved and storage is reached with the identity's roles: grant first.
        return list(self.role_assignments)

    def _container_app(self) -> ContainerApp:
        props = self.props
        secrets = secret_names(list(props.secret_env))
        env = [ContainerAppTemplateContainerEnv(name=AZURE_CLIENT_ID_VAR, value=self.identity.client_id)]
        env += [ContainerAppTemplateContainerEnv(name=k, value=v) for k, v in props.env.items()]
        env += [ContainerAppTemplateContainerEnv(name=k, secret_name=secrets[k]) for k in props.secret_env]
        ingress = None
        if props.ingress != "none":
            ingress = ContainerAppIngress(
                external_enabled=props.ingress == "external",
                target_port=props.port,
                traffic_weight=[ContainerAppIngressTrafficWeight(percentage=100, latest_revision=True)],
            )
        return ContainerApp(
            self,
            "app",
            name=self.names.container_app,
            resource_group_name=self.resource_group.name,
            container_app_environment_id=self.environment.id,
            workload_profile_name=WORKLOAD_PROFILE,
            revision_mode="Single",
            identity=ContainerAppIdentity(type="UserAssigned", identity_ids=[self.identity.id]),
            registry=[ContainerAppRegistry(server=props.registry_server, identity=self.identity.id)]
            if props.registry_server
            else None,
            secret=[
                ContainerAppSecret(name=secrets[k], key_vault_secret_id=v, identity=self.identity.id)
                for k, v in props.secret_env.items()
            ]
            or None,
            ingress=ingress,
            template=ContainerAppTemplate(
                min_replicas=props.min_replicas,
                max_replicas=props.max_replicas,
                container=[
                    ContainerAppTemplateContainer(
                        name=CONTAINER_NAME,
                        image=props.image,
                        cpu=props.cpu,
                        memory=props.memory,
                        command=list(props.command) or None,
                        env=env,
                    )
                ],
            ),
            depends_on=self._depends_on() or None,
        )

    def _container_app_job(self) -> ContainerAppJob:
        props = self.props
        secrets = secret_names(list(props.secret_env))
        env = [ContainerAppJobTemplateContainerEnv(name=AZURE_CLIENT_ID_VAR, value=self.identity.client_id)]
        env += [ContainerAppJobTemplateContainerEnv(name=k, value=v) for k, v in props.env.items()]
        env += [ContainerAppJobTemplateContainerEnv(name=k, secret_name=secrets[k]) for k in props.secret_env]
        manual = schedule = None
        if props.schedule is None:
            manual = ContainerAppJobManualTriggerConfig(
                parallelism=props.parallelism, replica_completion_count=props.parallelism
            )
        else:
            schedule = ContainerAppJobScheduleTriggerConfig(
                cron_expression=props.schedule,
                parallelism=props.parallelism,
                replica_completion_count=props.parallelism,
            )
        return ContainerAppJob(
            self,
            "job",
            name=self.names.container_app_job,
            location=self.props.location,
            resource_group_name=self.resource_group.name,
            container_app_environment_id=self.environment.id,
            workload_profile_name=WORKLOAD_PROFILE,
            replica_timeout_in_seconds=props.timeout_seconds,
            replica_retry_limit=props.retries,
            manual_trigger_config=manual,
            schedule_trigger_config=schedule,
            identity=ContainerAppJobIdentity(type="UserAssigned", identity_ids=[self.identity.id]),
            registry=[ContainerAppJobRegistry(server=props.registry_server, identity=self.identity.id)]
            if props.registry_server
            else None,
            secret=[
                ContainerAppJobSecret(name=secrets[k], key_vault_secret_id=v, identity=self.identity.id)
                for k, v in props.secret_env.items()
            ]
            or None,
            template=ContainerAppJobTemplate(
                container=[
                    ContainerAppJobTemplateContainer(
                        name=CONTAINER_NAME,
                        image=props.image,
                        cpu=props.cpu,
                        memory=props.memory,
                        command=list(props.command) or None,
                        env=env,
                    )
                ]
            ),
            depends_on=self._depends_on() or None,
        )
