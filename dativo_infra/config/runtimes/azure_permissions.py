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
    prefix: str = Field(
        "",
        description="With a blob container bucket: limit the grant to blob paths starting with it (an ABAC "
        "condition, version 2.0, on the role assignment: reads, listings and writes outside it are denied), "
        "e.g. raw/events/. Unset: the whole container or account",
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
    vault_wide: list[NonEmpty] = Field(
        default_factory=list,
        description="Key Vault resource ids the job reads as a whole (with the SDK) although secrets of theirs are "
        "referenced (runtime.secrets, scale rules, registry): one Key Vault Secrets User on the vault replaces "
        "the per-secret grants of that vault. Such a vault needs no listing in permissions.secrets. Unset: none "
        "(a vault with referenced secrets gets per-secret grants only)",
    )
    roles: list[AzureRoleGrant] = Field(
        default_factory=list,
        description="More role assignments of the job identity (azurerm_role_assignment, role_definition_name at "
        "scope). Owner, User Access Administrator and Role Based Access Control Administrator (they write role "
        "assignments) anywhere, and Contributor at subscription scope, are refused unless the platform setting "
        "azure.allowed_privileged_roles names them. Not with existing_identity_id. Unset: none",
    )

    def key_vault_problems(
        self, references: dict[tuple[str | int, ...], str], *, owned: bool
    ) -> list[Problem]:
        """Vault ids of permissions.secrets and vault_wide, and every secret reference (``references``, by
        position): a Key Vault secret URL of a listed vault (``owned``: the stack owns the identity; else the
        identity must already read them, and nothing need be listed)."""
        found: list[Problem] = []
        vaults: set[str] = set()
        for key, listed in (("secrets", self.secrets), ("vault_wide", self.vault_wide)):
            for index, vault_id in enumerate(listed):
                vault = azure.key_vault_name(vault_id)
                if vault is None:
                    found.append(
                        Problem(
                            ("permissions", key, index),
                            not_a("Key Vault resource id", vault_id),
                            vault_id,
                            azure.ARM_FORM + "Microsoft.KeyVault/vaults/<vault>",
                        )
                    )
                else:
                    vaults.add(vault)
        for where, reference in references.items():
            secret = azure.secret_url_parts(reference)
            if secret is None:
                found.append(
                    Problem(
                        where,
                        not_a("Key Vault secret URL", reference, cut=False),
                        reference,
                        "https://<vault>.vault.azure.net/secrets/<name>[/<32-hex version>]",
                    )
                )
            elif secret[0] not in vaults and owned:
                found.append(
                    Problem(
                        where,
                        f"Key Vault {secret[0]!r} is not in permissions.secrets",
                        reference,
                        f"its resource id ({azure.ARM_FORM}Microsoft.KeyVault/vaults/{secret[0]}) in "
                        "permissions.secrets (or permissions.vault_wide)",
                    )
                )
        return found

    def storage_problems(self) -> list[Problem]:
        """Each storage grant's scope, and its prefix (an ABAC condition on a blob container's paths)."""
        found: list[Problem] = []
        for index, grant in enumerate(self.storage):
            where = ("permissions", "storage", index)
            scope = azure.storage_scope(grant.bucket)
            if scope is None:
                found.append(
                    Problem(
                        (*where, "bucket"),
                        not_a("storage account resource id", grant.bucket),
                        grant.bucket,
                        STORAGE_FORM,
                    )
                )
            if not grant.prefix:
                continue
            if scope is not None and scope["container"] is None:
                found.append(
                    Problem(
                        (*where, "prefix"),
                        "a prefix narrows a blob container: this grant names a whole storage account",
                        grant.prefix,
                        "bucket ending in /blobServices/default/containers/<container>, or no prefix",
                    )
                )
            if (refusal := azure.blob_prefix_refusal(grant.prefix)) is not None:
                found.append(Problem((*where, "prefix"), refusal.problem, grant.prefix, refusal.expected))
        return found

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
