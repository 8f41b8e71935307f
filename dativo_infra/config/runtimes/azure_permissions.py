"""What the job identity of the ``azure_container_apps`` runtime may touch (``permissions``) and the
private registry it pulls from (``registry``); the rules come from :mod:`dativo_infra.clouds.azure`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from dativo_infra.clouds import WILDCARD_PROBLEM, azure, has_wildcard
from dativo_infra.config.fields import NonEmpty, Strict, tail
from dativo_infra.config.runtimes.base import StorageGrant, described

STORAGE_FORM = (
    azure.ARM_FORM
    + "Microsoft.Storage/storageAccounts/<account>[/blobServices/default/containers/<container>]"
)


def not_a(kind: str, value: str, *, cut: bool = True) -> str:
    """The problem of a reference that is not a ``kind``: a wildcard is named as such."""
    if has_wildcard(value):
        return WILDCARD_PROBLEM
    return f"not a {kind}" + (tail(value) if cut else "")


class AzureRegistryCredentials(Strict):
    """A private registry the image is pulled from with a username and a password kept in Key Vault."""

    server: NonEmpty = Field(description="Registry host, e.g. ghcr.io: the image's registry")
    username: NonEmpty = Field(description="Registry user name")
    password_secret: NonEmpty = Field(
        description="Key Vault secret URL https://<vault>.vault.azure.net/secrets/<name>[/<version>] of the "
        "password or token: an app secret read with the job identity (its vault must be in "
        "permissions.secrets; the identity gets Key Vault Secrets User on that secret)"
    )


class AzureStorageGrant(StorageGrant):
    """One storage account (or blob container of it) the job identity may use."""

    bucket: NonEmpty = described(StorageGrant, "bucket", f"Storage account resource id: {STORAGE_FORM}")
    access: Literal["read", "write", "read_write"] = described(
        StorageGrant,
        "access",
        "read (Storage Blob Data Reader), write or read_write (Contributor). Unset: read",
    )


class AzurePermissions(Strict):
    """What the job identity may touch. Unset: nothing."""

    storage: list[AzureStorageGrant] = Field(
        default_factory=list, description="Storage accounts. Unset: none"
    )
    secrets: list[NonEmpty] = Field(
        default_factory=list,
        description="Key Vault resource ids the job reads (every vault of a secret in runtime.secrets must be "
        "listed, unless existing_identity_id, where it is an error). Unset: none",
    )
