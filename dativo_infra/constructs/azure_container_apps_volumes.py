"""Volumes and init containers of an Azure Container Apps stack (``runtime.volumes``,
``runtime.init_containers``).

Resources, in the job's ``Runtime`` construct scope (construct ids are part of the contract), per
``azure_file`` volume ``<name>``:

* ``volume_account_<name>``: a ``data.azurerm_storage_account`` lookup of ``account_id`` for its
  access key (the deploying principal needs ``listKeys``; the key is kept in the Terraform state);
* ``volume_storage_<name>``: the ``azurerm_container_app_environment_storage`` of the share
  (name from :func:`~dativo_infra.clouds.azure_volumes.environment_storage_name`, unique per stack).

Blocks: ``template.volume`` (EmptyDir, AzureFile with its storage name, Secret), the main container's
``volume_mounts`` and ``template.init_container`` (with ``AZURE_CLIENT_ID``, plain variables, mounts).
"""

from __future__ import annotations

from typing import Any

from constructs import Construct

from dativo_infra.cdk import provider_azurerm
from dativo_infra.clouds import azure
from dativo_infra.clouds import azure_volumes as vol
from dativo_infra.config.runtimes import AzureContainerAppsRuntime

#: The binding classes per resource kind: volume, main container mount, init container, its env, its mount.
_CLASSES: dict[str, tuple[Any, Any, Any, Any, Any]] = {
    "app": (
        provider_azurerm.container_app.ContainerAppTemplateVolume,
        provider_azurerm.container_app.ContainerAppTemplateContainerVolumeMounts,
        provider_azurerm.container_app.ContainerAppTemplateInitContainer,
        provider_azurerm.container_app.ContainerAppTemplateInitContainerEnv,
        provider_azurerm.container_app.ContainerAppTemplateInitContainerVolumeMounts,
    ),
    "job": (
        provider_azurerm.container_app_job.ContainerAppJobTemplateVolume,
        provider_azurerm.container_app_job.ContainerAppJobTemplateContainerVolumeMounts,
        provider_azurerm.container_app_job.ContainerAppJobTemplateInitContainer,
        provider_azurerm.container_app_job.ContainerAppJobTemplateInitContainerEnv,
        provider_azurerm.container_app_job.ContainerAppJobTemplateInitContainerVolumeMounts,
    ),
}


def environment_storages(
    scope: Construct, stack: str, runtime: AzureContainerAppsRuntime, environment_id: str
) -> dict[str, provider_azurerm.container_app_environment_storage.ContainerAppEnvironmentStorage]:
    """The environment storage of every ``azure_file`` volume, by volume name."""
    storages: dict[
        str, provider_azurerm.container_app_environment_storage.ContainerAppEnvironmentStorage
    ] = {}
    for volume in runtime.volumes:
        if volume.type != "azure_file" or volume.account_id is None or volume.share is None:
            continue  # the model requires account_id and share for azure_file
        match = vol.STORAGE_ACCOUNT_ID_RE.fullmatch(volume.account_id)
        if match is None:
            raise ValueError(f"not a storage account resource id: {volume.account_id!r}")
        account = provider_azurerm.data_azurerm_storage_account.DataAzurermStorageAccount(
            scope,
            f"volume_account_{volume.name}",
            name=match["name"].lower(),  # account names are lowercase; the id ignores case
            resource_group_name=match["resource_group"],
        )
        storages[volume.name] = (
            provider_azurerm.container_app_environment_storage.ContainerAppEnvironmentStorage(
                scope,
                f"volume_storage_{volume.name}",
                name=vol.environment_storage_name(stack, volume.name),
                container_app_environment_id=environment_id,
                account_name=account.name,
                access_key=account.primary_access_key,
                share_name=volume.share,
                access_mode=vol.ACCESS_MODES[bool(volume.read_only)],
            )
        )
    return storages


def volume_parts(
    runtime: AzureContainerAppsRuntime,
    kind: str,
    storages: dict[str, provider_azurerm.container_app_environment_storage.ContainerAppEnvironmentStorage],
    client_id: str,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(template arguments, main container arguments)``: ``volume`` and ``init_container`` of the
    template, ``volume_mounts`` of the main container (each None when there is nothing)."""
    volume_cls, mount_cls, init_cls, env_cls, init_mount_cls = _CLASSES[kind]
    volumes = [
        volume_cls(
            name=v.name,
            storage_type=vol.VOLUME_STORAGE_TYPES[v.type],
            storage_name=storages[v.name].name if v.name in storages else None,
        )
        for v in runtime.volumes
    ]
    mounts = [
        mount_cls(name=v.name, path=v.mount_path, sub_path=v.sub_path)
        for v in runtime.volumes
        if v.mount_path
    ]
    inits = [
        init_cls(
            name=c.name,
            image=c.image,
            command=list(c.command) or None,
            env=[env_cls(name=azure.CLIENT_ID_VAR, value=client_id)]
            + [env_cls(name=k, value=value) for k, value in sorted(c.env.items())],
            volume_mounts=[init_mount_cls(name=n, path=p) for n, p in sorted(c.mounts.items())] or None,
        )
        for c in runtime.init_containers
    ]
    return {"volume": volumes or None, "init_container": inits or None}, {"volume_mounts": mounts or None}
