"""Which version of each cloud's Terraform provider a stack requires.

By default the version the installed prebuilt bindings were generated for (cdktf writes it into
``terraform.required_providers``). The platform settings can pin another one per cloud
(``aws.provider_version``, ``gcp.provider_version``, ``azure.provider_version`` in
``jobs/platform.yaml``), e.g. to use the version a provider mirror holds. The bindings still write
their own version's schema, so a pin the bound version does not satisfy is warned about, louder
when the major version differs (attributes renamed or removed between majors fail at plan time).

Pure Python: the bound versions are read from package metadata (:mod:`dativo_infra.tfcli`).
"""

from __future__ import annotations

import re

from dativo_infra.contract import Provider

#: Terraform's provider name of each cloud (``required_providers`` key, ``terraform-provider-<name>``).
TERRAFORM_PROVIDER: dict[Provider, str] = {
    Provider.AWS: "aws",
    Provider.AZURE: "azurerm",
    Provider.GCP: "google",
}

_VERSION = r"\d+(?:\.\d+){0,2}(?:-[0-9A-Za-z.-]+)?"
_CLAUSE = rf"(?:(?:=|!=|>=|<=|>|<|~>)\s*)?{_VERSION}"
#: A Terraform version constraint: comma-separated clauses ``[op] version``, op one of
#: ``= != > >= < <= ~>`` (https://developer.hashicorp.com/terraform/language/expressions/version-constraints).
CONSTRAINT_PATTERN = rf"^\s*{_CLAUSE}(?:\s*,\s*{_CLAUSE})*\s*$"
CONSTRAINT_DESCRIPTION = (
    "Terraform version constraint for this cloud's provider in every stack (an exact version such as "
    "5.100.0, or e.g. ~> 5.100), e.g. the version a provider mirror holds. Unset: the version the "
    "installed provider bindings were generated for"
)
_CLAUSE_PARTS = re.compile(rf"^(=|!=|>=|<=|>|<|~>)?\s*({_VERSION})$")


def version_key(version: str) -> tuple[int, ...]:
    """The numeric parts of a provider version, also its sort key (``5.100.0`` after ``5.99.1``; a
    pre-release sorts with its release)."""
    return tuple(int(part) for part in version.split("-", 1)[0].split("."))


def _admits(clause: str, version: tuple[int, ...]) -> bool:
    found = _CLAUSE_PARTS.match(clause.strip())
    if found is None:
        return False
    op, raw = found.group(1) or "=", found.group(2)
    bound = version_key(raw)
    padded = bound + (0,) * (3 - len(bound))
    if op == "~>":  # the rightmost given part may grow: ~> 1.2 is >= 1.2, < 2; ~> 1.2.3 is >= 1.2.3, < 1.3
        if len(bound) == 1:
            return version >= padded
        upper = (*bound[:-2], bound[-2] + 1)
        return padded <= version < upper + (0,) * (3 - len(upper))
    return {
        "=": version == padded,
        "!=": version != padded,
        ">": version > padded,
        ">=": version >= padded,
        "<": version < padded,
        "<=": version <= padded,
    }[op]


def admits(constraint: str, version: str) -> bool:
    """Whether Terraform ``constraint`` (matching :data:`CONSTRAINT_PATTERN`) admits ``version``."""
    parsed = version_key(version)
    parsed += (0,) * (3 - len(parsed))
    return all(_admits(clause, parsed) for clause in constraint.split(","))


def pin_mismatch(constraint: str, bound: str) -> str | None:
    """Why pinning ``constraint`` over bindings generated for ``bound`` is risky, or None when the
    constraint admits the bound version."""
    if admits(constraint, bound):
        return None
    majors = {version_key(clause.lstrip("=!<>~ "))[0] for clause in constraint.split(",")}
    if majors != {version_key(bound)[0]}:
        return (
            f"another major version than the installed bindings' {bound}: they write {bound}'s schema, and "
            "attributes renamed or removed between majors fail at plan time"
        )
    return f"does not admit {bound}, the version the installed bindings were generated for (they write its schema)"
