"""What the job identity of the ``azure_container_apps`` runtime may touch (``permissions``) and the
private registry it pulls from (``registry``); the rules come from :mod:`dativo_infra.clouds.azure`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from dativo_infra.clouds import WILDCARD_PROBLEM, azure, has_wildcard
from dativo_infra.config.fields import NonEmpty, Problem, Strict, tail
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


class AzureRoleGrant(Strict):
    """One role assignment of the job identity: a role at a scope."""

    role: NonEmpty = Field(description=f"The role's name: {azure.ROLE_NAME_EXPECTED}")
    scope: NonEmpty = Field(description=f"Where it applies: {azure.ROLE_SCOPE_EXPECTED}")


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
    roles: list[AzureRoleGrant] = Field(
        default_factory=list,
        description="More role assignments of the job identity (azurerm_role_assignment, role_definition_name at "
        "scope). Owner, User Access Administrator and Role Based Access Control Administrator (they write role "
        "assignments) anywhere, and Contributor at subscription scope, are refused unless the platform setting "
        "azure.allowed_privileged_roles names them. Not with existing_identity_id. Unset: none",
    )

    def role_problems(self) -> list[Problem]:
        """Each role's name and scope form, and a role listed twice at one scope."""
        found: list[Problem] = []
        seen: set[tuple[str, str]] = set()
        for index, grant in enumerate(self.roles):
            where = ("permissions", "roles", index)
            if (refusal := azure.role_name_refusal(grant.role)) is not None:
                found.append(Problem((*where, "role"), refusal.problem, grant.role, refusal.expected))
            if (refusal := azure.role_scope_refusal(grant.scope)) is not None:
                found.append(Problem((*where, "scope"), refusal.problem, grant.scope, refusal.expected))
            key = (grant.role.casefold(), grant.scope.casefold())
            if key in seen:
                found.append(Problem((*where,), "listed twice", grant.role, "each role once per scope"))
            seen.add(key)
        return found

    def privilege_problems(self, allowed: tuple[str, ...]) -> list[Problem]:
        """Privileged roles the platform settings do not allow (``allowed``)."""
        return [
            Problem(("permissions", "roles", index, "role"), refusal.problem, grant.role, refusal.expected)
            for index, grant in enumerate(self.roles)
            if azure.role_name_refusal(grant.role) is None
            and (refusal := azure.privilege_refusal(grant.role, grant.scope, allowed)) is not None
        ]
