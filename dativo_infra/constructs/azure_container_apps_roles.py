"""Role assignments of the job identity of an Azure Container Apps stack (:func:`role_assignments`).

Each grant becomes one ``azurerm_role_assignment`` in the job's ``Runtime`` construct scope, with the
construct id given here (construct ids are part of the contract). Pure planning: no cdktf.
"""

from __future__ import annotations

from dataclasses import dataclass

from dativo_infra.clouds import azure
from dativo_infra.clouds import azure_scaling as keda
from dativo_infra.config.runtimes import AzureContainerAppsRuntime
from dativo_infra.naming import short_hash

#: Role granted on a storage account (or blob container) per access level.
STORAGE_ROLES: dict[str, str] = {
    "read": "Storage Blob Data Reader",
    "write": "Storage Blob Data Contributor",
    "read_write": "Storage Blob Data Contributor",
}
#: Role granted on each referenced Key Vault secret, and on each vault read with the SDK.
KEY_VAULT_ROLE = "Key Vault Secrets User"
#: Role granted on ``runtime.registry_id``.
ACR_PULL_ROLE = "AcrPull"
_ROLE_SLUGS = {"Storage Blob Data Reader": "reader", "Storage Blob Data Contributor": "contributor"}
_ROLE_RANK = {"Storage Blob Data Reader": 0, "Storage Blob Data Contributor": 1}


@dataclass(frozen=True)
class Grant:
    """One role assignment of the job identity: its construct id, scope and role."""

    id: str
    scope: str
    role: str
    #: An ABAC condition (version :data:`~dativo_infra.clouds.azure.ABAC_CONDITION_VERSION`), or None.
    condition: str | None = None


def role_assignments(runtime: AzureContainerAppsRuntime) -> list[Grant]:
    """Every role the job identity gets (least privilege), in a stable order; none for an existing
    identity (``runtime.existing_identity_id``: a stack grants roles only to an identity it owns):

    * ``storage_<reader|contributor>_<hash of scope>``: a Storage Blob Data role per storage account
      (or blob container) of ``permissions.storage``, the stronger one when a scope is listed twice; a
      grant with a ``prefix`` is its own assignment (id hashed from scope and prefix) with an ABAC
      condition limiting it to blob paths under the prefix (:func:`~dativo_infra.clouds.azure.blob_prefix_condition`);
    * ``key_vault_<hash of scope>``: *Key Vault Secrets User* on a whole vault of ``permissions.secrets``
      only when none of ``runtime.secrets`` refers to that vault. ``permissions.secrets`` means "the job
      reads this vault with the SDK"; but every vault ``runtime.secrets`` refers to must be listed there
      too (a secret URL has the vault's name, not its resource id), and such a listing is taken as that
      address only: the job gets the referenced secrets, not the vault. A vault of
      ``permissions.vault_wide`` gets this one grant even when secrets of it are referenced (and then
      no per-secret grant: one grant, not both);
    * ``key_vault_secret_<hash of scope>``: *Key Vault Secrets User* on each secret ``runtime.secrets``
      references, scoped to that secret (``<vault id>/secrets/<name>``), not to its vault; the same for
      the secrets of the scale rules (a queue's connection string, a custom rule's authentication),
      and of the registry password (``registry.password_secret``), which count as references too;
    * ``queue_<hash of scope>``: on the queue of each queue scale rule (``scaling.rules``), the role that
      receives its messages (:data:`~dativo_infra.clouds.keda.QUEUE_ROLES`: Azure Service Bus Data
      Receiver, Storage Queue Data Message Processor), one per queue;
    * ``role_<hash of role and scope>``: each ``permissions.roles`` entry, as listed (privileged roles
      only when the platform settings allow them);
    * ``acr_pull_<hash of scope>``: *AcrPull* on ``runtime.registry_id`` when set. Without it, an
      ``*.azurecr.io`` image is still pulled with the identity, which then needs AcrPull granted
      elsewhere (e.g. once per registry by the platform team).
    """
    if runtime.existing_identity_id is not None:
        return []  # the model refuses permissions and registry_id with an identity the stack does not own
    storage: dict[tuple[str, str], str] = {}
    for grant in runtime.permissions.storage:
        role, key = STORAGE_ROLES[grant.access], (grant.bucket, grant.prefix)
        if key not in storage or _ROLE_RANK[role] > _ROLE_RANK[storage[key]]:
            storage[key] = role
    # the model guarantees every id and URL is well formed and every referenced vault is listed
    vault_ids = {
        azure.key_vault_name(vault_id): vault_id
        for vault_id in [*runtime.permissions.secrets, *runtime.permissions.vault_wide]
    }
    whole = {azure.key_vault_name(vault_id) for vault_id in runtime.permissions.vault_wide}
    secret_scopes: set[str] = set()
    referenced: set[str] = set()
    for url in runtime.secret_urls().values():
        parts = azure.secret_url_parts(url)
        if parts is not None and parts[0] in vault_ids:
            vault, secret = parts
            referenced.add(vault)
            if vault not in whole:
                secret_scopes.add(f"{vault_ids[vault]}/secrets/{secret}")
    grants = [
        Grant(
            f"storage_{_ROLE_SLUGS[role]}_{short_hash(scope if not prefix else f'{scope}|{prefix}')}",
            scope,
            role,
            azure.blob_prefix_condition(prefix, write=role != STORAGE_ROLES["read"]) if prefix else None,
        )
        for (scope, prefix), role in sorted(storage.items())
    ]
    grants += [
        Grant(f"key_vault_{short_hash(vault_id)}", vault_id, KEY_VAULT_ROLE)
        for vault_id in sorted(v for name, v in vault_ids.items() if name in whole or name not in referenced)
    ]
    grants += [Grant(f"key_vault_secret_{short_hash(s)}", s, KEY_VAULT_ROLE) for s in sorted(secret_scopes)]
    queues: dict[str, str] = {}
    for rule in runtime.scaling.rules:
        parent = rule.namespace_id or rule.account_id
        if rule.type in keda.QUEUE_ROLES and parent is not None and rule.queue is not None:
            queues[keda.queue_scope(rule.type, parent, rule.queue)] = keda.QUEUE_ROLES[rule.type]
    grants += [Grant(f"queue_{short_hash(scope)}", scope, role) for scope, role in sorted(queues.items())]
    grants += [
        Grant(f"role_{short_hash(role.role.casefold() + ' ' + role.scope.casefold())}", role.scope, role.role)
        for role in runtime.permissions.roles
    ]
    if runtime.registry_id is not None:
        grants.append(
            Grant(f"acr_pull_{short_hash(runtime.registry_id)}", runtime.registry_id, ACR_PULL_ROLE)
        )
    return grants
