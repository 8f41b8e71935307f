"""Delete locks of an Azure Container Apps stack (``runtime.delete_lock``; unset: on in prod).

One ``azurerm_management_lock`` at level ``CanNotDelete`` per locked resource, each in the job's
``Runtime`` construct scope (construct ids are part of the contract):

* ``delete_lock_app`` or ``delete_lock_job``: on the Container App (service mode) or Job (job mode);
* ``delete_lock_environment``: on the Container Apps environment, only when the stack creates it
  (a shared ``runtime.environment_id`` belongs to someone else);
* ``delete_lock_resource_group``: on the resource group, only when the stack creates it (not on
  ``runtime.resource_group``).

A lock stops deletion from outside the stack (portal, CLI, a resource-group delete, another stack).
Each lock depends on its resource (its scope is the resource's id), so ``terraform destroy`` deletes
the locks before the resources; the deploying principal needs ``Microsoft.Authorization/locks/*``
(Owner or User Access Administrator, or a custom role) to create and delete them. Rules (level, name,
notes length) come from :mod:`dativo_infra.clouds.azure`.
"""

from __future__ import annotations

from constructs import Construct

from dativo_infra.cdk import provider_azurerm
from dativo_infra.clouds import azure


def delete_locks(
    scope: Construct,
    stack: str,
    *,
    resource: provider_azurerm.container_app.ContainerApp
    | provider_azurerm.container_app_job.ContainerAppJob,
    environment: provider_azurerm.container_app_environment.ContainerAppEnvironment
    | provider_azurerm.data_azurerm_container_app_environment.DataAzurermContainerAppEnvironment,
    resource_group: provider_azurerm.resource_group.ResourceGroup
    | provider_azurerm.data_azurerm_resource_group.DataAzurermResourceGroup,
) -> list[provider_azurerm.management_lock.ManagementLock]:
    """The CanNotDelete locks (in ``scope``, the job's ``Runtime``) of the app or job ``resource``, and of
    the ``environment`` and ``resource_group`` when the stack creates them (not looked up), in that order."""
    kind = "app" if isinstance(resource, provider_azurerm.container_app.ContainerApp) else "job"
    scopes: list[tuple[str, str]] = [(f"delete_lock_{kind}", resource.id)]
    if isinstance(environment, provider_azurerm.container_app_environment.ContainerAppEnvironment):
        scopes.append(("delete_lock_environment", environment.id))
    if isinstance(resource_group, provider_azurerm.resource_group.ResourceGroup):
        scopes.append(("delete_lock_resource_group", resource_group.id))
    notes = azure.delete_lock_notes(stack)
    return [
        provider_azurerm.management_lock.ManagementLock(
            scope,
            construct_id,
            name=azure.DELETE_LOCK_NAME,
            scope=locked,
            lock_level=azure.DELETE_LOCK_LEVEL,
            notes=notes,
        )
        for construct_id, locked in scopes
    ]
