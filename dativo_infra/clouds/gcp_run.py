"""Cloud Run revision rules, stated once: VPC egress (connector or direct VPC egress, network tags),
health probes, execution environments, secret volumes and CMEK keys.

Read from hashicorp/google 6.50.0 (the version cdktf-cdktf-provider-google 16.12.1 binds:
``google_cloud_run_v2_service`` / ``google_cloud_run_v2_job`` schema descriptions) and the Cloud Run
Admin API v2 and Cloud Run documentation where the provider defers to the API. The GCP runtime model
validates with these and the construct builds with the same tables. Pure Python: no cdktf.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from dativo_infra.clouds import WILDCARD_PROBLEM, Refusal, has_control, has_wildcard

#: A project in a resource name: its id, or its number.
_PROJECT = r"(?:[a-z][a-z0-9-]{4,28}[a-z0-9]|[0-9]{1,20})"

# --- VPC egress (template.vpc_access) --------------------------------------------------------------
#: ``vpc_access.egress``: "Possible values: ["ALL_TRAFFIC", "PRIVATE_RANGES_ONLY"]"; the API's default
#: when unset is PRIVATE_RANGES_ONLY (Cloud Run Admin API v2, VpcAccess.egress).
VPC_EGRESS: tuple[str, ...] = ("ALL_TRAFFIC", "PRIVATE_RANGES_ONLY")
DEFAULT_VPC_EGRESS = "PRIVATE_RANGES_ONLY"
#: Serverless VPC Access connector ids: the API's "Connector ID must follow the pattern
#: ^[a-z][-a-z0-9]{0,23}[a-z0-9]$" (at most 25 characters).
_CONNECTOR_NAME = r"[a-z][-a-z0-9]{0,23}[a-z0-9]"
_CONNECTOR_RE = re.compile(
    rf"(?:projects/(?P<project>{_PROJECT})/locations/(?P<location>[a-z0-9-]{{1,63}})/connectors/)?"
    rf"(?P<name>{_CONNECTOR_NAME})"
)
CONNECTOR_EXPECTED = (
    "a Serverless VPC Access connector: projects/<project>/locations/<region>/connectors/<name>, or <name> "
    "in the job's project and region (name: 2-25 of a-z 0-9 -, starting with a letter, not ending with -)"
)
#: Network tags (``network_interfaces.tags``) follow Compute Engine's tag rule: RFC 1035 labels,
#: lowercase letters, digits and '-', 1-63 characters, starting with a letter, not ending with '-';
#: an instance carries at most 64 tags.
_NETWORK_TAG_RE = re.compile(r"[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?")
MAX_NETWORK_TAGS = 64
NETWORK_TAG_EXPECTED = "a network tag: 1-63 of a-z 0-9 -, starting with a letter, not ending with '-'"


def connector_id(connector: str, project: str, region: str) -> str:
    """The full connector id of ``connector`` (a bare name is in ``project`` and ``region``)."""
    match = _CONNECTOR_RE.fullmatch(connector)
    if match is None:
        raise ValueError(f"not a connector: {connector!r}")
    if match["project"] is not None:
        return connector
    return f"projects/{project}/locations/{region}/connectors/{connector}"


def connector_refusal(connector: str, region: str) -> Refusal | None:
    """Why ``connector`` is not a connector Cloud Run in ``region`` can use, or None: a connector
    serves only Cloud Run resources of its own region."""
    if has_wildcard(connector):
        return Refusal(WILDCARD_PROBLEM, CONNECTOR_EXPECTED)
    match = _CONNECTOR_RE.fullmatch(connector)
    if match is None:
        return Refusal("not a Serverless VPC Access connector", CONNECTOR_EXPECTED)
    if match["location"] is not None and match["location"] != region:
        return Refusal(
            f"a connector in {match['location']}: Cloud Run uses a connector of its own region only",
            f"a connector in {region}",
        )
    return None


def network_tag_refusal(tag: str) -> Refusal | None:
    """Why ``tag`` is not a network tag, or None."""
    return None if _NETWORK_TAG_RE.fullmatch(tag) else Refusal("not a network tag", NETWORK_TAG_EXPECTED)


# --- execution environment, CPU -------------------------------------------------------------------
#: ``execution_environment`` per job value: "Possible values: ["EXECUTION_ENVIRONMENT_GEN1",
#: "EXECUTION_ENVIRONMENT_GEN2"]" (service template and job task template alike).
EXECUTION_ENVIRONMENTS: dict[str, str] = {
    "gen1": "EXECUTION_ENVIRONMENT_GEN1",
    "gen2": "EXECUTION_ENVIRONMENT_GEN2",
}


# --- health probes (services: containers.startup_probe / liveness_probe) --------------------------
ProbeKind = Literal["startup", "liveness"]


@dataclass(frozen=True)
class ProbeSetting:
    """One numeric probe attribute: its bounds per probe kind (``None``: no upper bound)."""

    low: int
    startup_high: int | None
    liveness_high: int | None

    def high(self, kind: ProbeKind) -> int | None:
        return self.startup_high if kind == "startup" else self.liveness_high


#: The provider's ranges: initial_delay_seconds "Minimum value is 0. Maximum value for liveness probe is
#: 3600. Maximum value for startup probe is 240"; period_seconds "Minimum value is 1. Maximum value for
#: liveness probe is 3600. Maximum value for startup probe is 240"; timeout_seconds "Minimum value is 1.
#: Maximum value is 3600. Must be smaller than periodSeconds"; failure_threshold "Minimum value is 1".
PROBE_SETTINGS: dict[str, ProbeSetting] = {
    "initial_delay_seconds": ProbeSetting(0, 240, 3600),
    "period_seconds": ProbeSetting(1, 240, 3600),
    "timeout_seconds": ProbeSetting(1, 3600, 3600),
    "failure_threshold": ProbeSetting(1, None, None),
}
#: Cloud Run's defaults when a probe leaves them unset (the provider's default_value).
PROBE_DEFAULTS: dict[str, int] = {
    "initial_delay_seconds": 0,
    "period_seconds": 10,
    "timeout_seconds": 1,
    "failure_threshold": 3,
}
#: A startup probe gives up after failure_threshold * period_seconds, which Cloud Run caps at 240 s
#: (cloud.google.com/run/docs/configuring/healthchecks).
STARTUP_MAX_SECONDS = 240
#: Probe actions per kind: startup probes are HTTP, TCP or gRPC; liveness probes HTTP or gRPC only
#: (Cloud Run documents no TCP liveness probe). One action per probe (the API's ``probe_type`` oneof).
PROBE_ACTIONS: dict[ProbeKind, tuple[str, ...]] = {
    "startup": ("http_get", "tcp_socket", "grpc"),
    "liveness": ("http_get", "grpc"),
}
PORT_RANGE: tuple[int, int] = (1, 65535)
_HTTP_PATH_RE = re.compile(r"/[A-Za-z0-9._~!$&'()*+,;=:@%/-]{0,1023}")
HTTP_PATH_EXPECTED = "an HTTP path starting with '/' (no space, '?', '#' or control character; at most 1024)"


def http_path_refusal(path: str) -> Refusal | None:
    """Why ``path`` is not a probe's HTTP path, or None (a ``${`` is refused: it would be evaluated)."""
    if "${" in path or "%{" in path or not _HTTP_PATH_RE.fullmatch(path):
        return Refusal("not an HTTP path", HTTP_PATH_EXPECTED)
    return None


# --- secret volumes (template.volumes[].secret + containers.volume_mounts) ------------------------
#: Paths Cloud Run does not mount a volume at, or under (cloud.google.com/run/docs/configuring/services/secrets:
#: "Cloud Run doesn't allow you to mount secrets at /dev, /proc and /sys, or on their subdirectories").
RESERVED_MOUNT_PATHS: tuple[str, ...] = ("/dev", "/proc", "/sys")
_MOUNT_PATH_RE = re.compile(r"(?:/[A-Za-z0-9._@+=-]{1,255}){1,32}")
MOUNT_PATH_EXPECTED = (
    "an absolute directory such as /secrets/db (segments of letters, digits and . _ @ + = -; no ':', "
    "no '..'; not /, " + ", ".join(RESERVED_MOUNT_PATHS) + " or under them)"
)
_ITEM_PATH_RE = re.compile(r"[A-Za-z0-9._@+=-]{1,255}(?:/[A-Za-z0-9._@+=-]{1,255}){0,31}")
ITEM_PATH_EXPECTED = "a relative file path such as 'token' or 'db/password' (no leading '/', no '..', no ':')"


def mount_path_refusal(path: str) -> Refusal | None:
    """Why ``path`` cannot take a secret volume, or None. The provider says "Must not contain ':'";
    Cloud Run refuses the reserved paths; an absolute path without '.'/'..' segments is unambiguous."""
    if has_wildcard(path) or has_control(path):
        return Refusal("holds a wildcard or control character", MOUNT_PATH_EXPECTED)
    if not path.startswith("/"):
        return Refusal("not an absolute path", MOUNT_PATH_EXPECTED)
    if not _MOUNT_PATH_RE.fullmatch(path) or any(part in (".", "..") for part in path.split("/")):
        return Refusal("not a mount path", MOUNT_PATH_EXPECTED)
    if any(path == reserved or path.startswith(reserved + "/") for reserved in RESERVED_MOUNT_PATHS):
        return Refusal("a path Cloud Run reserves", MOUNT_PATH_EXPECTED)
    return None


def item_path_refusal(path: str) -> Refusal | None:
    """Why ``path`` is not a file path inside a secret volume, or None."""
    if not _ITEM_PATH_RE.fullmatch(path) or any(part in (".", "..") for part in path.split("/")):
        return Refusal("not a relative file path", ITEM_PATH_EXPECTED)
    return None


def volume_name(index: int) -> str:
    """Name of the job's ``index``-th secret volume (a DNS label the volume mount refers to)."""
    return f"secret-{index}"


# --- CMEK (encryption_key) -----------------------------------------------------------------------
#: A Cloud KMS crypto key id; key ring and key ids are 1-63 of letters, digits, '_' and '-'.
_KMS_KEY_RE = re.compile(
    rf"projects/(?P<project>{_PROJECT})/locations/(?P<location>[a-z0-9-]{{1,63}})"
    r"/keyRings/[A-Za-z0-9_-]{1,63}/cryptoKeys/[A-Za-z0-9_-]{1,63}"
)
KMS_KEY_EXPECTED = (
    "a Cloud KMS key: projects/<project>/locations/<the job's region>/keyRings/<ring>/cryptoKeys/<key> "
    "(ring and key: 1-63 of letters, digits, '_' or '-'; no version)"
)
#: The role the Cloud Run service agent needs on the key (cloud.google.com/run/docs/securing/using-cmek).
KMS_ENCRYPTER_DECRYPTER_ROLE = "roles/cloudkms.cryptoKeyEncrypterDecrypter"


def kms_key_refusal(key: str, region: str) -> Refusal | None:
    """Why ``key`` cannot encrypt a Cloud Run resource in ``region``, or None. The platform asks for
    a key in the job's own region: a regional Cloud Run resource with a key elsewhere fails to deploy
    or ties the job to a second region's KMS availability."""
    if has_wildcard(key):
        return Refusal(WILDCARD_PROBLEM, KMS_KEY_EXPECTED)
    match = _KMS_KEY_RE.fullmatch(key)
    if match is None:
        return Refusal("not a Cloud KMS crypto key id", KMS_KEY_EXPECTED)
    if match["location"] != region:
        return Refusal(
            f"a key in {match['location']}: Cloud Run takes a key in its own region", f"a key in {region}"
        )
    return None


def run_service_agent(project_number: str) -> str:
    """The IAM member of the Cloud Run service agent of the project numbered ``project_number``."""
    return f"serviceAccount:service-{project_number}@serverless-robot-prod.iam.gserviceaccount.com"
