"""Azure Container Apps volumes and init containers, stated once (azurerm 4.55.0,
internal/services/containerapps/helpers/container_apps.go ``ContainerVolumeSchema``,
``ContainerVolumeMountSchema``, ``InitContainerAppContainerSchema``; container_app_environment_storage_resource.go):
volume kinds, names, mount paths, init container names, environment storage names and share names.

The volumes model (:mod:`dativo_infra.config.runtimes.azure_volumes`) validates with these and the
construct (:mod:`dativo_infra.constructs.azure_container_apps_volumes`) builds with them. Pure Python.
"""

from __future__ import annotations

import re

from dativo_infra.clouds.azure_scaling import STORAGE_ACCOUNT_FORM, STORAGE_ACCOUNT_ID_RE
from dativo_infra.naming import NameRule, short_hash

__all__ = ["STORAGE_ACCOUNT_FORM", "STORAGE_ACCOUNT_ID_RE"]

#: Name of the single main container of the app/job (an init container may not take it).
MAIN_CONTAINER = "job"
#: ``volumes[].type`` -> the provider's ``storage_type`` (``PossibleValuesForStorageType``, API 2025-07-01;
#: NfsAzureFile is not offered: it needs an NFS share in the environment's virtual network).
VOLUME_STORAGE_TYPES: dict[str, str] = {
    "empty_dir": "EmptyDir",
    "azure_file": "AzureFile",
    "secret": "Secret",
}
#: Volume names: the service takes Kubernetes volume names (DNS-1123 labels; the provider only requires
#: a non-empty string): 1-63 lowercase letters, digits and '-', starting and ending alphanumeric.
VOLUME_NAME_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
VOLUME_NAME_EXPECTED = "1-63 lowercase letters, digits and '-', starting and ending with a letter or digit"
#: Init container names: ``validate.ContainerAppContainerName`` (1-46 lowercase letters, digits, '-' and
#: '.', starting and ending alphanumeric).
CONTAINER_NAME_RE = re.compile(r"[a-z0-9](?:[a-z0-9.-]{0,44}[a-z0-9])?")
CONTAINER_NAME_EXPECTED = (
    "1-46 lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"
)
#: A mount path: absolute, of path-safe characters, no '.'/'..' segment, not '/' itself.
MOUNT_PATH_RE = re.compile(r"(?:/[A-Za-z0-9_.-]+)+")
MOUNT_PATH_EXPECTED = "an absolute path such as /mnt/data (letters, digits, '_', '.', '-'; no '..' segment)"
#: A sub path inside the volume: relative, same characters.
SUB_PATH_RE = re.compile(r"[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*")
#: Azure Files share names: 3-63 lowercase letters, digits and single hyphens, starting and ending alphanumeric.
SHARE_NAME_RE = re.compile(r"[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}")
SHARE_NAME_EXPECTED = (
    "3-63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit"
)
#: Environment storage (``azurerm_container_app_environment_storage``) access modes.
ACCESS_MODES = {True: "ReadOnly", False: "ReadWrite"}
#: Environment storage names: ``validate.ManagedEnvironmentStorageName`` (a letter, then up to 31
#: lowercase letters, digits and '-', no '--', not ending in '-').
ENVIRONMENT_STORAGE = NameRule(max_len=32, min_len=2, start_letter=True)
ENVIRONMENT_STORAGE_RE = re.compile(r"^([a-z])[a-z0-9-]{0,30}[a-z]?$")


def path_refusal(path: str, *, sub: bool = False) -> str | None:
    """Why ``path`` cannot be a mount path (``sub``: a sub path inside the volume), or None."""
    pattern = SUB_PATH_RE if sub else MOUNT_PATH_RE
    if not pattern.fullmatch(path):
        return "not a relative path inside the volume" if sub else "not an absolute mount path"
    if any(part in (".", "..") for part in path.split("/")):
        return "a '.' or '..' segment leaves the intended directory"
    return None


def environment_storage_name(stack: str, volume: str) -> str:
    """The environment storage of an Azure Files volume of ``stack``: unique per stack and volume (a
    shared environment holds the storages of many stacks)."""
    return ENVIRONMENT_STORAGE.make("st", short_hash(f"{stack}/{volume}"))
