"""Azure rules, stated once: Container Apps sizes, Log Analytics retention, resource ids, Key Vault
secret URLs, resource names, schedules.

The Azure runtime model validates with these and the construct builds with the same functions.
ARM segment names are case-insensitive, so the id patterns are too. Pure Python: no cdktf.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from dativo_infra.clouds import WILDCARD_PROBLEM, Refusal, cidr_problem, has_wildcard
from dativo_infra.clouds.cron import check_unix_cron
from dativo_infra.naming import NameRule, short_hash

#: Container Apps consumption profile: cpu (cores) in 0.25 steps up to 4.
CPU_MILLICORES: tuple[int, ...] = tuple(range(250, 4000 + 1, 250))
#: Memory is fixed by the cpu: 2 GiB per core.
MEMORY_MIB_PER_CPU = 2048
#: Log Analytics workspace retention bounds (days).
LOG_RETENTION_DAYS = (30, 730)
#: Container App Job cron: day-of-week 0-6 (no 7), evaluated in UTC.
MAX_WEEKDAY = 6
#: Set on every container to the client id of the job's user-assigned identity (Azure SDKs pick the
#: identity by it); a job may not set it itself.
CLIENT_ID_VAR = "AZURE_CLIENT_ID"

#: The resource providers (namespaces) of the resource types a Container Apps job stack creates:
#: container apps, jobs and environments; user-assigned identities; Log Analytics workspaces (resource
#: groups, role assignments and locks are Microsoft.Resources / Microsoft.Authorization, always registered).
RESOURCE_PROVIDERS = ("Microsoft.App", "Microsoft.ManagedIdentity", "Microsoft.OperationalInsights")


#: Container Apps environment attributes that need a subnet: azurerm 4.55.0 declares
#: ``internal_load_balancer_enabled`` and ``zone_redundancy_enabled`` ``RequiredWith:
#: infrastructure_subnet_id`` (both ForceNew): without a subnet an environment is external and not
#: zone redundant, and the construct leaves both attributes out.
ENVIRONMENT_SUBNET_ATTRIBUTES = ("internal_load_balancer_enabled", "zone_redundancy_enabled")


def memory_mib(cpu_millicores: int) -> int:
    """The memory (MiB) Container Apps pairs with a cpu size."""
    return cpu_millicores * MEMORY_MIB_PER_CPU // 1000


def memory_quantity(memory: int) -> str:
    """Container Apps memory quantity of a size in MiB: 1024 -> ``"1Gi"``, 512 -> ``"0.5Gi"``."""
    return f"{memory / 1024:g}Gi"


def check_schedule(expression: str) -> None:
    """Raise :class:`~dativo_infra.clouds.cron.CronError` unless Container Apps takes ``expression``."""
    check_unix_cron(expression, MAX_WEEKDAY)


# --- workload profiles (azurerm 4.55.0 ``workload_profile``, helpers/container_app_environment.go) -----
#: The serverless profile every workload-profiles environment has, and the default of every app and job.
CONSUMPTION_PROFILE = "Consumption"
#: Dedicated profile types a job's environment may add (``workload_profile_type``, the provider's
#: WorkloadProfileSku list less the serverless ``Consumption*`` SKUs, which take no node counts), with
#: the vCPU and memory (GiB) of one node (Azure docs, "Workload profiles in Azure Container Apps"). A
#: replica may use at most one node's cores (Container Apps quotas, "Cores per replica"); every size of
#: :data:`CPU_MILLICORES` (at most 4 vCPU, 8 GiB) fits the smallest node (D4: 4 vCPU, 16 GiB), so the
#: cpu/memory rule above holds on every profile and no size needs a per-profile check.
DEDICATED_PROFILE_SIZES: dict[str, tuple[int, int]] = {
    "D4": (4, 16),
    "D8": (8, 32),
    "D16": (16, 64),
    "D32": (32, 128),
    "E4": (4, 32),
    "E8": (8, 64),
    "E16": (16, 128),
    "E32": (32, 256),
    "NC24-A100": (24, 220),
    "NC48-A100": (48, 440),
    "NC96-A100": (96, 880),
}
#: Largest number of dedicated cores one environment can hold (Container Apps quotas: 100 by default,
#: raised on request up to 5,000): the sum of maximum_count x node vCPU over the environment's profiles.
MAX_DEDICATED_CORES = 5000
#: A workload profile name: letters, digits and '-', starting with a letter, ending alphanumeric, at
#: most 15 characters (the provider only wants it non-empty; this is the subset the portal and CLI
#: take), unique in the environment regardless of case; ``Consumption`` is the serverless profile's.
PROFILE_NAME_RE = re.compile(r"[A-Za-z](?:[A-Za-z0-9-]{0,13}[A-Za-z0-9])?")
PROFILE_NAME_EXPECTED = (
    "1-15 letters, digits and '-', starting with a letter and ending with a letter or digit, e.g. d4-batch"
)


def profile_name_refusal(name: str, dedicated: bool) -> Refusal | None:
    """Why ``name`` cannot name a workload profile (``dedicated``: one the job's environment adds), or None."""
    if name.casefold() == CONSUMPTION_PROFILE.casefold():
        if dedicated:
            return Refusal("the serverless profile's name", "another name: Consumption is always present")
        return None if name == CONSUMPTION_PROFILE else Refusal("spelled differently", CONSUMPTION_PROFILE)
    if has_wildcard(name) or not PROFILE_NAME_RE.fullmatch(name):
        return Refusal("not a workload profile name", PROFILE_NAME_EXPECTED)
    return None


# --- resource ids and references -----------------------------------------------------------------
_ARM = (  # shared with azure_scaling
    r"/subscriptions/(?P<subscription>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
    r"/resourceGroups/(?P<resource_group>[-\w.()]{0,89}[-\w()])/providers/"
)
#: How every ARM id starts, for messages.
ARM_FORM = "/subscriptions/<subscription id>/resourceGroups/<group>/providers/"
#: Container Apps managed environment resource id (``runtime.environment_id``).
MANAGED_ENVIRONMENT_ID_RE = re.compile(
    _ARM + r"Microsoft\.App/managedEnvironments/(?P<name>[a-z][a-z0-9-]{0,58}[a-z0-9])", re.I
)
#: Key Vault resource id (``permissions.secrets``).
KEY_VAULT_ID_RE = re.compile(_ARM + r"Microsoft\.KeyVault/vaults/(?P<name>[a-z0-9-]{3,24})", re.I)
#: Storage account resource id, optionally narrowed to one blob container (``permissions.storage[].bucket``).
STORAGE_SCOPE_RE = re.compile(
    _ARM + r"Microsoft\.Storage/storageAccounts/(?P<account>[a-z0-9]{3,24})"
    r"(?:/blobServices/default/containers/(?P<container>[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}))?",
    re.I,
)
#: Azure Container Registry resource id (``runtime.registry_id``).
CONTAINER_REGISTRY_ID_RE = re.compile(
    _ARM + r"Microsoft\.ContainerRegistry/registries/(?P<name>[a-z0-9]{5,50})", re.I
)
#: Key Vault secret URL, optionally pinned to a version (``runtime.secrets`` values).
KEY_VAULT_SECRET_URL_RE = re.compile(
    r"https://(?P<vault>[a-z0-9-]{3,24})\.vault\.azure\.net/secrets/(?P<secret>[A-Za-z0-9-]{1,127})"
    r"(?:/(?P<version>[0-9a-f]{32}))?"
)
#: Resource groups (``runtime.resource_group``): 1-90 of word characters, ``-.()``, not ending in ``.``.
RESOURCE_GROUP_PATTERN = r"^[-\w.()]{0,89}[-\w()]$"


def storage_scope(bucket: str) -> re.Match[str] | None:
    """The parts of a storage account (or blob container) resource id, or None when it is not one."""
    return None if has_wildcard(bucket) else STORAGE_SCOPE_RE.fullmatch(bucket)


def registry_parts(registry_id: str) -> re.Match[str] | None:
    """The parts of a container registry resource id, or None when it is not one."""
    return CONTAINER_REGISTRY_ID_RE.fullmatch(registry_id)


def key_vault_name(vault_id: str) -> str | None:
    """The vault name (lowercased: Key Vault names ignore case) of a Key Vault resource id, or None."""
    match = KEY_VAULT_ID_RE.fullmatch(vault_id)
    return match["name"].lower() if match else None


def secret_url_parts(url: str) -> tuple[str, str] | None:
    """``(vault, secret)`` of a Key Vault secret URL (any version), or None when it is not one."""
    match = KEY_VAULT_SECRET_URL_RE.fullmatch(url)
    return (match["vault"], match["secret"]) if match else None


def environment_parts(environment_id: str) -> tuple[str, str] | None:
    """``(resource group, name)`` of a Container Apps environment resource id, or None."""
    match = MANAGED_ENVIRONMENT_ID_RE.fullmatch(environment_id)
    return (match["resource_group"], match["name"]) if match else None


def image_registry(image: str) -> str | None:
    """The registry host of an image reference, lowercased (``x.azurecr.io/a/b:1`` -> ``x.azurecr.io``);
    None for a Docker Hub short name (``python:3.12``, ``library/python``)."""
    host, slash, _ = image.partition("/")
    if slash and ("." in host or ":" in host or host == "localhost"):
        return host.lower()
    return None


def acr_server(image: str) -> str | None:
    """The Azure Container Registry an image is pulled from (``<name>.azurecr.io``), or None."""
    registry = image_registry(image)
    return registry if registry is not None and registry.endswith(".azurecr.io") else None


# --- names (sources: Azure resource-name rules and the azurerm 4.x validators) ---------------------
#: Resource group: 1-90 characters; kept to lowercase alphanumerics and hyphens (a subset of what
#: Azure allows: alphanumerics, '_', '-', '.', '(', ')', not ending in '.').
RESOURCE_GROUP = NameRule(max_len=90, min_len=1)
#: Log Analytics workspace: 4-63 alphanumerics and hyphens, starting and ending alphanumeric.
LOG_ANALYTICS_WORKSPACE = NameRule(max_len=63, min_len=4)
#: Container Apps (managed) environment: lowercase alphanumerics and hyphens, starting with a letter,
#: ending alphanumeric. Azure allows 60, but azurerm's validator only accepts a digit as the last
#: character up to 59 characters, so names stop at 59.
CONTAINER_APP_ENVIRONMENT = NameRule(max_len=59, min_len=2, start_letter=True)
#: Container App and Container App Job: 2-32 lowercase alphanumerics and hyphens, starting with a
#: letter, ending alphanumeric, no '--'.
CONTAINER_APP = NameRule(max_len=32, min_len=2, start_letter=True)
#: User-assigned managed identity: 3-128 alphanumerics, hyphens and underscores, starting alphanumeric.
USER_ASSIGNED_IDENTITY = NameRule(max_len=128, min_len=3)
#: Container App secret: lowercase alphanumerics and hyphens, starting and ending alphanumeric.
CONTAINER_APP_SECRET = NameRule(max_len=63, min_len=1)


@dataclass(frozen=True)
class AzureNames:
    """The Azure resource names of one stack, each valid for its resource type (CAF prefixes)."""

    resource_group: str
    log_analytics_workspace: str
    environment: str
    container_app: str
    container_app_job: str
    identity: str
    #: Platform-managed group Azure creates for an environment in a custom subnet (named here, so
    #: Terraform does not see a generated name as drift and replace the environment).
    infrastructure_resource_group: str


def resource_names(stack: str) -> AzureNames:
    """Deterministic, valid Azure names derived from ``stack`` (the stack name)."""
    return AzureNames(
        resource_group=RESOURCE_GROUP.make("rg", stack),
        log_analytics_workspace=LOG_ANALYTICS_WORKSPACE.make("log", stack),
        environment=CONTAINER_APP_ENVIRONMENT.make("cae", stack),
        container_app=CONTAINER_APP.make("ca", stack),
        container_app_job=CONTAINER_APP.make("caj", stack),
        identity=USER_ASSIGNED_IDENTITY.make("id", stack),
        infrastructure_resource_group=RESOURCE_GROUP.make("me", stack),
    )


def secret_names(variables: list[str] | tuple[str, ...]) -> dict[str, str]:
    """Container App secret name per environment variable name (lowercase, hyphens, unique).

    Two variables that map to the same name (``A_B`` and ``a_b``) both get a hash of their own name
    appended, so the mapping stays injective and does not depend on the order of the variables.
    """
    plain = {var: CONTAINER_APP_SECRET.make(var) for var in variables}
    counts: dict[str, int] = {}
    for secret in plain.values():
        counts[secret] = counts.get(secret, 0) + 1
    return {
        var: secret if counts[secret] == 1 else CONTAINER_APP_SECRET.make(var, short_hash(var))
        for var, secret in sorted(plain.items())
    }


# --- ingress IP restrictions (azurerm 4.55.0 ``ingress.ip_security_restriction``) -------------------
#: The one action of every rule: the provider (and the service) refuse Allow and Deny rules mixed in
#: one ingress; an Allow list denies every other source.
IP_RESTRICTION_ACTION = "Allow"
IP_RANGE_EXPECTED = (
    "an IPv4 network in CIDR notation, e.g. 203.0.113.0/24 (a single address: /32), not 0.0.0.0/0"
)


def ip_range_refusal(value: str) -> Refusal | None:
    """Why ``value`` cannot be an allowed source network of a Container App ingress, or None.

    IPv4 CIDR only, without host bits below the prefix (``10.0.0.1/8`` names the network Azure would
    mean); ``0.0.0.0/0`` is refused, as an allow-everything rule is no restriction."""
    wrong_version = "an IPv{found} CIDR block: Container Apps IP restrictions take IPv{version}"
    if (problem := cidr_problem(value, 4, wrong_version=wrong_version)) is not None:
        return Refusal(problem, IP_RANGE_EXPECTED)
    if ipaddress.ip_network(value).prefixlen == 0:
        return Refusal("allows every source: no restriction", IP_RANGE_EXPECTED)
    return None


def ip_restriction_name(index: int) -> str:
    """Name of the ``index``-th (0-based) allow rule of an ingress (the provider requires a non-empty name)."""
    return f"allow-{index + 1}"


# --- management locks (azurerm 4.55.0 ``azurerm_management_lock``) --------------------------------
#: Lock level of the delete lock (``CanNotDelete``: read and modify allowed, delete refused).
DELETE_LOCK_LEVEL = "CanNotDelete"
#: Name of the delete lock on each locked resource (unique per scope; the provider takes alphanumerics,
#: '-' and '_', under 260 characters).
DELETE_LOCK_NAME = "dativo-delete-lock"
#: The provider's limit on a lock's notes.
LOCK_NOTES_MAX = 512


def delete_lock_notes(stack: str) -> str:
    """The notes of a delete lock of ``stack`` (at most :data:`LOCK_NOTES_MAX` characters)."""
    return f"Set by dativo-infra stack {stack} (runtime.delete_lock): remove the lock before deleting."[
        :LOCK_NOTES_MAX
    ]


# --- health probes (azurerm 4.55.0 ``template.container.{liveness,readiness,startup}_probe``) -------
#: The probe kinds, each a block ``<kind>_probe`` of the container (one of each is sent to Azure).
PROBE_KINDS = ("liveness", "readiness", "startup")
#: Probe transports: the model's lowercase value and the provider's value.
PROBE_TRANSPORTS: dict[str, str] = {"http": "HTTP", "https": "HTTPS", "tcp": "TCP"}


@dataclass(frozen=True)
class ProbeSetting:
    """One integer setting of a probe: the provider attribute it fills, its range and the kinds that
    take it (read from ``Container App{Liveness,Readiness,Startup}ProbeSchema`` in azurerm v4.55.0,
    internal/services/containerapps/helpers/container_apps.go, ``validation.IntBetween``)."""

    attribute: str
    low: int
    high: int
    kinds: tuple[str, ...] = PROBE_KINDS


#: Model field -> provider rule. Unset fields are left out (provider defaults: initial_delay 1 for
#: liveness and 0 for readiness and startup, interval 10, timeout 1, failure 3, success 3).
PROBE_SETTINGS: dict[str, ProbeSetting] = {
    "initial_delay_seconds": ProbeSetting("initial_delay", 0, 60),
    "interval_seconds": ProbeSetting("interval_seconds", 1, 240),
    "timeout_seconds": ProbeSetting("timeout", 1, 240),
    "failure_threshold": ProbeSetting("failure_count_threshold", 1, 30),
    "success_threshold": ProbeSetting("success_count_threshold", 1, 10, ("readiness",)),
}
#: Probe port range (``validation.IntBetween(1, 65535)``).
PROBE_PORT = (1, 65535)
#: An HTTP(S) probe path: starts with '/', printable ASCII without spaces (the provider takes any
#: string and defaults to '/'; the service sends it as the request target).
PROBE_PATH_RE = re.compile(r"/[!-~]{0,1023}")
PROBE_PATH_EXPECTED = (
    "a request path starting with '/', e.g. /healthz (printable ASCII, no spaces, no ${ or %{)"
)


def probe_path_refusal(path: str) -> Refusal | None:
    """Why ``path`` cannot be the path of an HTTP(S) probe, or None."""
    if "${" in path or "%{" in path:
        return Refusal("a Terraform template sequence ('${' or '%{') is not a path", PROBE_PATH_EXPECTED)
    if not PROBE_PATH_RE.fullmatch(path):
        return Refusal("not a request path", PROBE_PATH_EXPECTED)
    return None


# --- existing user-assigned identity (``runtime.existing_identity_id``) ---------------------------
#: User-assigned managed identity resource id: 3-128 alphanumerics, '-' and '_', starting alphanumeric.
USER_ASSIGNED_IDENTITY_ID_RE = re.compile(
    _ARM + r"Microsoft\.ManagedIdentity/userAssignedIdentities/(?P<name>[a-z0-9][a-z0-9_-]{2,127})", re.I
)
USER_ASSIGNED_IDENTITY_FORM = ARM_FORM + "Microsoft.ManagedIdentity/userAssignedIdentities/<name>"


def identity_parts(identity_id: str) -> tuple[str, str] | None:
    """``(resource group, name)`` of a user-assigned identity resource id, or None."""
    if has_wildcard(identity_id) or "%{" in identity_id:
        return None
    match = USER_ASSIGNED_IDENTITY_ID_RE.fullmatch(identity_id)
    return (match["resource_group"], match["name"]) if match else None


# --- role assignments of permissions.roles (azurerm 4.55.0 ``azurerm_role_assignment``) -----------
#: A role assignment scope: a subscription, a resource group, or a resource (any nesting of
#: ``<Namespace>/<type>/<name>`` segments), as a full resource id.
ROLE_SCOPE_RE = re.compile(
    r"/subscriptions/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    r"(?P<group>/resourceGroups/[-\w.()]{0,89}[-\w()]"
    r"(?:/providers/[A-Za-z][A-Za-z0-9]*\.[A-Za-z][A-Za-z0-9.]*(?:/[A-Za-z][A-Za-z0-9]*/[-\w.()]{1,260})+)?)?",
    re.I,
)
ROLE_SCOPE_EXPECTED = (
    "a full resource id: /subscriptions/<subscription id>[/resourceGroups/<group>[/providers/<Namespace>/"
    "<type>/<name>...]] (no '*', no '${')"
)
#: A role name (``role_definition_name``): a built-in or custom role's display name.
ROLE_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._()/-]{0,127}")
ROLE_NAME_EXPECTED = (
    "a role's name such as 'Storage Queue Data Reader' (letters, digits, spaces, . _ ( ) / -)"
)
#: Roles that can write role assignments (a job holding one could grant itself anything): refused at any
#: scope unless ``azure.allowed_privileged_roles`` names them. Compared case-insensitively, as Azure does.
ROLE_ASSIGNMENT_WRITERS = ("Owner", "User Access Administrator", "Role Based Access Control Administrator")
#: Roles refused at subscription scope unless allowed (they can change everything in the subscription).
SUBSCRIPTION_WIDE_ROLES = ("Owner", "User Access Administrator", "Contributor")
PRIVILEGED_EXPECTED = (
    "a narrower role or scope, or the role named in the platform setting azure.allowed_privileged_roles "
    "(jobs/platform.yaml)"
)


def role_name_refusal(role: str) -> Refusal | None:
    """Why ``role`` is not one exact role name, or None."""
    if has_wildcard(role):
        return Refusal(WILDCARD_PROBLEM, ROLE_NAME_EXPECTED)
    return None if ROLE_NAME_RE.fullmatch(role) else Refusal("not a role name", ROLE_NAME_EXPECTED)


def role_scope_refusal(scope: str) -> Refusal | None:
    """Why ``scope`` is not a full resource id a role can be assigned at, or None."""
    if has_wildcard(scope):
        return Refusal(WILDCARD_PROBLEM, ROLE_SCOPE_EXPECTED)
    return None if ROLE_SCOPE_RE.fullmatch(scope) else Refusal("not a full resource id", ROLE_SCOPE_EXPECTED)


def privilege_refusal(role: str, scope: str, allowed: tuple[str, ...] | list[str]) -> Refusal | None:
    """Why a job may not grant ``role`` at ``scope`` (unless ``allowed`` names the role), or None."""
    folded = role.casefold()
    if folded in {a.casefold() for a in allowed}:
        return None
    if folded in {r.casefold() for r in ROLE_ASSIGNMENT_WRITERS}:
        return Refusal("a privileged role (it can write role assignments)", PRIVILEGED_EXPECTED)
    match = ROLE_SCOPE_RE.fullmatch(scope)
    if folded in {r.casefold() for r in SUBSCRIPTION_WIDE_ROLES} and match is not None and not match["group"]:
        return Refusal("a privileged role at subscription scope", PRIVILEGED_EXPECTED)
    return None


# --- storage prefixes as ABAC conditions (``azurerm_role_assignment`` ``condition``, version 2.0) ------
#: A blob path prefix: path characters only (no quote, wildcard or template can reach the condition).
BLOB_PREFIX_RE = re.compile(r"[A-Za-z0-9_.=-][A-Za-z0-9_.=/-]{0,1023}")
BLOB_PREFIX_EXPECTED = (
    "a blob path prefix such as raw/events/ (letters, digits, _ . = - /; not starting with /)"
)
ABAC_CONDITION_VERSION = "2.0"
_BLOBS = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs"
#: The data actions of Storage Blob Data Contributor other than read, each limited to the prefix.
BLOB_WRITE_ACTIONS = ("write", "add/action", "delete", "move/action")


def blob_prefix_refusal(prefix: str) -> Refusal | None:
    """Why ``prefix`` cannot narrow a storage grant, or None."""
    if has_wildcard(prefix):
        return Refusal(WILDCARD_PROBLEM, BLOB_PREFIX_EXPECTED)
    if not BLOB_PREFIX_RE.fullmatch(prefix) or any(part in (".", "..") for part in prefix.split("/")):
        return Refusal("not a blob path prefix", BLOB_PREFIX_EXPECTED)
    return None


def blob_prefix_condition(prefix: str, write: bool) -> str:
    """The ABAC condition limiting a Storage Blob Data role on a container to paths under ``prefix``:
    blob reads by the blob's path, listings by the request's prefix, and (``write``) every write action
    of Storage Blob Data Contributor by the blob's path (the Azure docs' "read or list blobs with a path"
    pattern)."""
    path = f"@Resource[{_BLOBS}:path] StringStartsWith '{prefix}'"
    read = f"ActionMatches{{'{_BLOBS}/read'}}"
    clauses = [
        f"(!({read} AND NOT SubOperationMatches{{'Blob.List'}})) OR ({path})",
        f"(!({read} AND SubOperationMatches{{'Blob.List'}})) OR "
        f"(@Request[{_BLOBS}:prefix] StringStartsWith '{prefix}')",
    ]
    if write:
        writes = " AND ".join(f"!(ActionMatches{{'{_BLOBS}/{action}'}})" for action in BLOB_WRITE_ACTIONS)
        clauses.append(f"({writes}) OR ({path})")
    return " AND ".join(f"({clause})" for clause in clauses)
