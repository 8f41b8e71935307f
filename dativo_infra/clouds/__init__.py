"""Each cloud's rules, stated once; pure Python (no cdktf).

What every cloud's grant references share lives here: a reference a rule refuses is a
:class:`Refusal` (what is wrong, what is allowed), and no reference may hold a wildcard or an IAM
policy variable, whatever its cloud: job text names exact resources, it never widens a grant.
"""

from __future__ import annotations

import ipaddress
from typing import NamedTuple


class Refusal(NamedTuple):
    """Why a cloud refuses a value: ``problem`` (what is wrong) and ``expected`` (what is allowed)."""

    problem: str
    expected: str


#: The problem of a reference holding a wildcard or a policy variable.
WILDCARD_PROBLEM = "wildcards are not allowed: '*', '?' and '${...}' would widen the grant"


def has_wildcard(text: str) -> bool:
    """Whether ``text`` holds ``*`` or ``?`` (IAM and storage wildcards) or ``${`` (policy variables)."""
    return "*" in text or "?" in text or "${" in text


def has_control(text: str) -> bool:
    """Whether ``text`` holds a control character (C0, DEL or C1)."""
    return any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in text)


def unpinned_image(image: str) -> str | None:
    """Why the container image reference ``image`` does not pin a version, or None: a reference by
    digest (``name@sha256:...``) or by a tag other than ``latest`` is pinned; no tag means ``latest``.
    The same for every cloud (``validate`` warns, it does not refuse)."""
    if "@" in image:
        return None
    name = image.rsplit("/", 1)[-1]
    if ":" not in name:
        return "image has no tag (the registry serves :latest, which moves)"
    if name.rsplit(":", 1)[1] == "latest":
        return "image tag latest moves: a redeploy or a new task may run another version"
    return None


def cidr_problem(
    value: str,
    version: int,
    *,
    wrong_version: str = "an IPv{found} CIDR block where IPv{version} is expected",
) -> str | None:
    """What is wrong with ``value`` as an IPv``version`` network in CIDR notation, or None: no prefix
    length, not an address, the other IP version (worded by ``wrong_version``), or host bits set below
    the prefix (``10.0.0.1/8``: the message names the network a cloud would mean)."""
    if "/" not in value:
        return "not a CIDR block (no prefix length, e.g. /32)"
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        return f"not an IPv{version} CIDR block"
    if network.version != version:
        return wrong_version.format(found=network.version, version=version)
    if ipaddress.ip_interface(value).ip != network.network_address:
        return f"host bits set: the network is {network.with_prefixlen}"
    return None
