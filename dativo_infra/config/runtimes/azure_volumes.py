"""Volumes and init containers of the ``azure_container_apps`` runtime (``volumes``,
``init_containers``), checked against the azurerm 4.55.0 rules in :mod:`dativo_infra.clouds.azure_volumes`
(which the construct builds with too).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from dativo_infra.clouds import WILDCARD_PROBLEM, azure, has_wildcard
from dativo_infra.clouds import azure_volumes as vol
from dativo_infra.config.fields import EnvVarName, NonEmpty, Problem, Strict, tail


class AzureVolume(Strict):
    """One volume of the app/job, mounted in the main container at ``mount_path`` and/or in init containers."""

    name: NonEmpty = Field(description=f"Volume name, unique: {vol.VOLUME_NAME_EXPECTED}")
    type: Literal["empty_dir", "azure_file", "secret"] = Field(
        description="empty_dir (scratch space of the replica, gone with it), azure_file (an Azure Files share "
        "through an environment storage the stack creates) or secret (every Key Vault secret of the app as a "
        "file named by its app secret name)"
    )
    mount_path: str | None = Field(
        None, description="Where the main container sees the volume (absolute path). Unset: not mounted there"
    )
    sub_path: str | None = Field(
        None,
        description="With mount_path: mount this relative path of the volume only. Unset: the whole volume",
    )
    account_id: str | None = Field(
        None,
        description=f"azure_file: the storage account, {vol.STORAGE_ACCOUNT_FORM}. The stack reads its access key "
        "(data.azurerm_storage_account: the deploying principal needs listKeys; the key is in the Terraform "
        "state) for the environment storage",
    )
    share: str | None = Field(None, description=f"azure_file: the file share name, {vol.SHARE_NAME_EXPECTED}")
    read_only: bool | None = Field(
        None,
        description="azure_file: mount the share read-only (access_mode ReadOnly). Unset: false (ReadWrite)",
    )

    def problems(self, where: tuple[str | int, ...], secrets: int) -> list[Problem]:
        found: list[Problem] = []
        if not vol.VOLUME_NAME_RE.fullmatch(self.name):
            found.append(Problem((*where, "name"), "not a volume name", self.name, vol.VOLUME_NAME_EXPECTED))
        share_given = [("account_id", self.account_id), ("share", self.share), ("read_only", self.read_only)]
        if self.type == "azure_file":
            found += [
                Problem((*where, key), "required for an azure_file volume", None, key)
                for key, value in share_given[:2]
                if value is None
            ]
            if self.account_id is not None and not vol.STORAGE_ACCOUNT_ID_RE.fullmatch(self.account_id):
                problem = (
                    WILDCARD_PROBLEM if has_wildcard(self.account_id) else "not a storage account resource id"
                )
                found.append(
                    Problem(
                        (*where, "account_id"),
                        problem + tail(self.account_id),
                        self.account_id,
                        vol.STORAGE_ACCOUNT_FORM,
                    )
                )
            if self.share is not None and not vol.SHARE_NAME_RE.fullmatch(self.share):
                found.append(
                    Problem((*where, "share"), "not a file share name", self.share, vol.SHARE_NAME_EXPECTED)
                )
        else:
            found += [
                Problem(
                    (*where, key),
                    f"applies to an azure_file volume only (this one is {self.type})",
                    value,
                    f"no {key}",
                )
                for key, value in share_given
                if value is not None
            ]
        if self.type == "secret" and not secrets:
            found.append(
                Problem(
                    (*where, "type"),
                    "a secret volume holds the app's Key Vault secrets, and there are none",
                    self.type,
                    "secrets (or a scale rule or registry secret), or another volume type",
                )
            )
        if self.mount_path is not None and (refusal := vol.path_refusal(self.mount_path)) is not None:
            found.append(Problem((*where, "mount_path"), refusal, self.mount_path, vol.MOUNT_PATH_EXPECTED))
        if self.sub_path is not None:
            if self.mount_path is None:
                found.append(
                    Problem((*where, "sub_path"), "applies with mount_path only", self.sub_path, "mount_path")
                )
            elif (refusal := vol.path_refusal(self.sub_path, sub=True)) is not None:
                found.append(
                    Problem((*where, "sub_path"), refusal, self.sub_path, "a relative path such as data/in")
                )
        return found


class AzureInitContainer(Strict):
    """A container that runs to completion before the main container starts (same registry credentials and
    identity, AZURE_CLIENT_ID set)."""

    name: NonEmpty = Field(description=f"Container name, unique, not 'job': {vol.CONTAINER_NAME_EXPECTED}")
    image: NonEmpty = Field(description="Container image (pinned by a version tag or digest)")
    command: list[NonEmpty] = Field(default_factory=list, description="Command. Unset: the image's")
    env: dict[EnvVarName, str] = Field(
        default_factory=dict, description="Plain environment variables. Unset: none"
    )
    mounts: dict[NonEmpty, str] = Field(
        default_factory=dict, description="Volume name (of volumes) -> absolute mount path. Unset: none"
    )

    def problems(self, where: tuple[str | int, ...], volumes: set[str], reserved: str) -> list[Problem]:
        found: list[Problem] = []
        if not vol.CONTAINER_NAME_RE.fullmatch(self.name) or self.name == reserved:
            expected = f"{vol.CONTAINER_NAME_EXPECTED}, not {reserved!r} (the main container)"
            found.append(Problem((*where, "name"), "not an init container name", self.name, expected))
        if azure.CLIENT_ID_VAR in self.env:
            found.append(
                Problem(
                    (*where, "env", azure.CLIENT_ID_VAR),
                    "reserved: the platform sets it to the client id of the job identity",
                    azure.CLIENT_ID_VAR,
                    f"no {azure.CLIENT_ID_VAR} in env",
                )
            )
        for volume, path in self.mounts.items():
            if volume not in volumes:
                found.append(
                    Problem((*where, "mounts", volume), "no such volume", volume, "a name listed in volumes")
                )
            elif (refusal := vol.path_refusal(path)) is not None:
                found.append(Problem((*where, "mounts", volume), refusal, path, vol.MOUNT_PATH_EXPECTED))
        found += _shared_paths([((*where, "mounts", v), p) for v, p in self.mounts.items()])
        return found


def _shared_paths(mounts: list[tuple[tuple[str | int, ...], str]]) -> list[Problem]:
    """A mount path one container already uses (Kubernetes, under Container Apps, refuses a container
    whose volume mounts share a path)."""
    found, seen = [], set()
    for where, path in mounts:
        if path in seen:
            found.append(Problem(where, "mount path used twice in one container", path, "a path of its own"))
        seen.add(path)
    return found


def volume_problems(
    volumes: list[AzureVolume], init_containers: list[AzureInitContainer], secrets: int, main: str
) -> list[Problem]:
    """Every problem of ``volumes`` and ``init_containers`` (``secrets``: how many Key Vault secrets the app
    has; ``main``: the main container's name)."""
    found: list[Problem] = []
    names: set[str] = set()
    for index, volume in enumerate(volumes):
        found += volume.problems(("volumes", index), secrets)
        if volume.name in names:
            found.append(Problem(("volumes", index, "name"), "listed twice", volume.name, "each volume once"))
        names.add(volume.name)
    mounted = {v.name for v in volumes if v.mount_path is not None}
    found += _shared_paths(
        [
            (("volumes", i, "mount_path"), v.mount_path)
            for i, v in enumerate(volumes)
            if v.mount_path is not None
        ]
    )
    seen: set[str] = set()
    for index, container in enumerate(init_containers):
        found += container.problems(("init_containers", index), names, main)
        if container.name in seen:
            found.append(
                Problem(("init_containers", index, "name"), "listed twice", container.name, "each name once")
            )
        seen.add(container.name)
        mounted |= set(container.mounts)
    found += [
        Problem(
            ("volumes", index, "name"),
            "mounted nowhere",
            volume.name,
            "a mount_path, or an init container's mounts naming it",
        )
        for index, volume in enumerate(volumes)
        if volume.name not in mounted
    ]
    return found
