"""Hypothesis strategies of valid job files, for every runtime and mode, drawn from the models' rules.

A drawn job is a plain mapping (what a YAML job file holds). Tests write it as JSON (a YAML 1.2
document, characters written as they are: a YAML ``\\u`` escape cannot pair surrogates) and load it with the loader, so the property "whatever ``validate`` accepts, synth builds"
is checked on what the real ``validate`` accepted. Grant references (buckets, ARNs, ids, secrets) follow
each cloud's grammar, which refuses wildcards and policy variables. Free text carries Terraform's ``${`` / ``%{`` and
unicode wherever a job may hold any text; names go up to their allowed lengths; schedules come from
each cloud's cron grammar (tests/clouds/rules.py).
"""

from __future__ import annotations

import ipaddress
import string
from dataclasses import dataclass
from typing import Any, Literal

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from dativo_infra.clouds import aws, azure, gcp, has_wildcard
from dativo_infra.clouds import azure_scaling as keda
from dativo_infra.clouds.cron import CronError
from dativo_infra.clouds.timezones import iana_time_zones
from dativo_infra.config.runtimes.base import DEFAULT_IMAGE
from dativo_infra.contract import RuntimeType, exported_outputs
from tests.clouds.rules import env_names, expressions

#: Text Terraform would evaluate if it reached the JSON unescaped, and its escaped look-alikes.
TRICKY = ["${", "%{", "$${", "%%{", "${x}", "%{ if a }b%{ endif }", "$$${y}", "}", "$", "%"]
#: Characters a YAML file may hold as they are (no surrogates, controls or the non-characters U+FFFE/F).
_CHARS = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Cn"))
#: Any text a free-text field may hold.
text = st.lists(st.one_of(st.sampled_from(TRICKY), st.text(_CHARS, max_size=5)), max_size=4).map("".join)
nonempty = st.builds(str.__add__, st.sampled_from(TRICKY), text)
_ZONES = sorted(iana_time_zones() - {"UTC"})[::7] or ["Europe/Berlin"]
_SUB = "/subscriptions/0a1b2c3d-0000-4000-8000-00000000000{}/resourceGroups/{}/providers/"
_ALNUM = string.ascii_lowercase + string.digits
_ACCESS = st.sampled_from(["read", "write", "read_write"])


# --- grant references: each cloud's grammar (no wildcards, no policy variables: see clouds/) ------
_ACCOUNT = st.from_regex(r"[0-9]{12}", fullmatch=True)
_S3_BUCKET = st.from_regex(r"[a-z0-9][a-z0-9.-]{1,40}[a-z0-9]", fullmatch=True).filter(
    lambda b: aws.bucket_refusal(b) is None
)
#: Key prefixes: any text but wildcards, policy variables and a leading '/'.
_S3_PREFIX = (
    st.lists(
        st.one_of(
            st.sampled_from([t for t in TRICKY if not has_wildcard(t)]),
            st.text(
                st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Cn"), exclude_characters="*?$"),
                max_size=5,
            ),
        ),
        max_size=4,
    )
    .map("".join)
    .filter(lambda p: aws.prefix_refusal(p) is None)
)
_SECRET_ARN = st.builds(
    "arn:aws:secretsmanager:eu-west-1:{}:secret:{}".format,
    _ACCOUNT,
    st.from_regex(r"[A-Za-z0-9/_+=.@-]{1,30}", fullmatch=True),
)
_SSM_NAME = st.from_regex(r"[A-Za-z0-9_.-]{1,20}|(/[A-Za-z0-9_.-]{1,8}){1,4}", fullmatch=True)
_CONTAINER_SECRET = st.one_of(
    _SECRET_ARN,
    st.builds(
        "{}:{}:{}:".format,
        _SECRET_ARN,
        st.from_regex(r"[a-z_]{0,8}", fullmatch=True),
        st.sampled_from(["", "AWSCURRENT"]),
    ),
    _SSM_NAME,
    st.builds(
        "arn:aws:ssm:eu-west-1:{}:parameter/{}".format, _ACCOUNT, _SSM_NAME.map(lambda n: n.lstrip("/"))
    ),
)
_KMS_KEY = st.builds("arn:aws:kms:eu-west-1:{}:key/{}".format, _ACCOUNT, st.uuids().map(str))


def _network_id(kind: str) -> st.SearchStrategy[str]:
    return st.from_regex(kind + r"-([0-9a-f]{8}|[0-9a-f]{17})", fullmatch=True)


_GCP_SECRET = st.builds(
    "{}{}{}".format,
    st.one_of(
        st.just(""), st.from_regex(gcp.PROJECT_ID_PATTERN, fullmatch=True).map("projects/{}/secrets/".format)
    ),
    st.from_regex(r"[A-Za-z0-9_-]{1,30}", fullmatch=True),
    st.sampled_from(["", "/versions/latest", "/versions/3"]),
)


def _cron(valid_for: Any) -> st.SearchStrategy[str]:
    """Expressions of the cron grammar (unix, or unix + Quartz for AWS) that ``valid_for`` accepts."""

    def accepted(expression: str) -> bool:
        try:
            valid_for(expression)
        except CronError:
            return False
        return True

    return expressions(valid=True, unix=valid_for is not aws.check_schedule).filter(accepted)


_SCHEDULES = {
    RuntimeType.AWS_FARGATE: _cron(aws.check_schedule),
    RuntimeType.AZURE_CONTAINER_APPS: _cron(azure.check_schedule),
    RuntimeType.GCP_CLOUD_RUN: _cron(gcp.check_schedule),
}


@st.composite
def _common(draw: st.DrawFn, runtime: RuntimeType, mode: str) -> dict[str, Any]:
    """The fields every runtime has: container, environment, mode fields, scaling."""
    block: dict[str, Any] = {"type": runtime.value, "mode": mode}
    if draw(st.booleans()):
        block["image"] = draw(st.one_of(nonempty, st.just(DEFAULT_IMAGE)))
    if draw(st.booleans()):
        block["command"] = draw(st.lists(nonempty, max_size=3))
    block["env"] = draw(
        st.dictionaries(env_names.filter(lambda n: n != azure.CLIENT_ID_VAR), text, max_size=3)
    )
    if mode == "service":
        block["port"] = draw(st.integers(1, 65535))
        low = draw(st.integers(0, 3))
        block["scaling"] = {"min_replicas": low, "max_replicas": draw(st.integers(max(low, 1), 6))}
    return block


def _schedule(draw: st.DrawFn, runtime: RuntimeType, block: dict[str, Any], zones: bool) -> None:
    """A schedule (maybe), and with it the fields a schedule brings."""
    if not draw(st.booleans()):
        return
    block["schedule"] = draw(_SCHEDULES[runtime])
    if zones and draw(st.booleans()):
        block["schedule_timezone"] = draw(st.sampled_from(_ZONES))


@st.composite
def aws_runtime(draw: st.DrawFn, mode: str) -> dict[str, Any]:
    block = draw(_common(RuntimeType.AWS_FARGATE, mode))
    units = draw(st.sampled_from(sorted(aws.FARGATE_SIZES)))
    block["cpu_millicores"] = units * 1000 // 1024
    block["memory_mib"] = draw(st.sampled_from(aws.FARGATE_SIZES[units]))
    block["ephemeral_storage_gib"] = draw(st.integers(aws.DEFAULT_EPHEMERAL_GIB, aws.MAX_EPHEMERAL_GIB))
    block["log_retention_days"] = draw(st.sampled_from(aws.LOG_RETENTION_DAYS))
    block["capacity"] = draw(st.sampled_from(sorted(aws.CAPACITY_PROVIDERS)))  # x86_64: spot is allowed
    if mode == "job":
        block["timeout_seconds"] = draw(st.integers(60, 86400))
        block["scaling"] = {"parallelism": draw(st.integers(1, 100))}  # the state machine's, on demand too
        _schedule(draw, RuntimeType.AWS_FARGATE, block, zones=True)
        if "schedule" in block:
            block["retries"] = draw(st.integers(0, 10))
    else:
        block["ingress"] = draw(st.sampled_from(["none", "internal", "external"]))
        if block["ingress"] != "none":
            block["load_balancer"] = draw(_aws_load_balancer(block["ingress"]))
        if draw(st.booleans()):
            block["health_check_command"] = draw(st.lists(nonempty, min_size=1, max_size=3))
            block["stop_timeout_seconds"] = draw(st.integers(1, aws.MAX_STOP_TIMEOUT_SECONDS))
    block["secrets"] = draw(st.dictionaries(env_names, _CONTAINER_SECRET, max_size=2))
    block["secrets"] = {k: v for k, v in block["secrets"].items() if k not in block["env"]}
    behind_load_balancer = "load_balancer" in block  # an ALB needs two subnets (or the VPC's)
    block["network"] = {
        "vpc_id": draw(st.none() | _network_id("vpc")),
        "subnet_ids": draw(
            st.lists(_network_id("subnet"), max_size=2).filter(
                lambda ids: len(ids) != 1 or not behind_load_balancer
            )
        ),
        "security_group_ids": draw(st.lists(_network_id("sg"), max_size=2)),
        "assign_public_ip": draw(st.booleans()),
    }
    grant = st.fixed_dictionaries({"bucket": _S3_BUCKET, "access": _ACCESS, "prefix": _S3_PREFIX})
    block["permissions"] = {
        "storage": draw(st.lists(grant, max_size=2)),
        "secrets": draw(st.lists(_SECRET_ARN, max_size=2)),
        "kms_keys": draw(st.lists(_KMS_KEY, max_size=2)),
    }
    if draw(st.booleans()):
        block["log_kms_key_arn"] = draw(_KMS_KEY)
    _aws_platform(draw, block, behind_load_balancer)
    return block


_ECS_CLUSTER = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,30}", fullmatch=True)
_ROLE_ARN = st.builds(
    "arn:aws:iam::{}:role/{}{}".format,
    _ACCOUNT,
    st.sampled_from(["", "platform/", "a/b/"]),
    st.from_regex(r"[A-Za-z0-9+=,.@_-]{1,64}", fullmatch=True),
)
#: Extra statements a job may have: exact actions on ARNs of their resource type.
_STATEMENT = st.builds(
    lambda actions, account, name, secure: {
        "actions": actions,
        "resources": [f"arn:aws:dynamodb:eu-west-1:{account}:table/{name}"],
        **({"conditions": {"Bool": {"aws:SecureTransport": True}}} if secure else {}),
    },
    st.lists(
        st.sampled_from(["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:Query"]), min_size=1, unique=True
    ),
    _ACCOUNT,
    st.from_regex(r"[A-Za-z0-9_.-]{3,40}", fullmatch=True),
    st.booleans(),
)


def _aws_platform(draw: st.DrawFn, block: dict[str, Any], behind_load_balancer: bool) -> None:
    """Existing infrastructure and extra statements (whatever the stack may not own, it does not)."""
    block["permissions"]["statements"] = draw(st.lists(_STATEMENT, max_size=2))
    existing: dict[str, str] = {}
    if draw(st.booleans()):
        name = draw(_ECS_CLUSTER)
        existing["cluster"] = draw(
            st.sampled_from([name, f"arn:aws:ecs:eu-west-1:{draw(_ACCOUNT)}:cluster/{name}"])
        )
    if draw(st.booleans()):
        existing["execution_role_arn"] = draw(_ROLE_ARN)
    if draw(st.booleans()):  # a given task role gets nothing attached: no permissions, no ECS Exec
        existing["task_role_arn"] = draw(_ROLE_ARN)
        block["permissions"] = {}
        block.pop("enable_execute_command", None)
    if existing:
        block["existing"] = existing
    network = block["network"]
    if network["security_group_ids"] and not behind_load_balancer and draw(st.booleans()):
        network["create_security_group"] = False


@st.composite
def _aws_load_balancer(draw: st.DrawFn, ingress: str) -> dict[str, Any]:
    """A valid ``load_balancer`` block of an AWS service with ``ingress`` internal or external."""
    block: dict[str, Any] = {}
    if draw(st.booleans()):
        block["certificate_arn"] = draw(
            st.builds("arn:aws:acm:eu-west-1:{}:certificate/{}".format, _ACCOUNT, st.uuids().map(str))
        )
    elif ingress == "external":
        block["allow_plain_http"] = True
    block["health_check_path"] = draw(st.from_regex(r"/[A-Za-z0-9._~/@:+&()!,;=%-]{0,20}", fullmatch=True))
    block["health_check_grace_period_seconds"] = draw(st.integers(0, 3600))
    block["allowed_cidrs"] = draw(
        st.lists(st.ip_addresses(v=4).map(lambda ip: f"{ip}/32"), max_size=2)  # any /32 is a network
    )
    block["deletion_protection"] = draw(st.none() | st.booleans())
    if draw(st.booleans()):
        prefix = draw(_S3_PREFIX.filter(lambda p: aws.access_log_prefix_refusal(p) is None))
        block["access_logs"] = {"bucket": draw(_S3_BUCKET), "prefix": prefix}
    return block


def _arm(draw: st.DrawFn, kind: str, name: st.SearchStrategy[str]) -> str:
    group = draw(st.from_regex(r"[A-Za-z0-9_.()-]{0,12}[A-Za-z0-9_()-]", fullmatch=True))
    return _SUB.format(draw(st.integers(0, 9)), group) + f"{kind}/{draw(name)}"


@st.composite
def _azure_probe(draw: st.DrawFn, kind: str) -> dict[str, Any]:
    """One Container App probe of ``kind`` within the provider's ranges (clouds/azure.PROBE_SETTINGS)."""
    probe: dict[str, Any] = {"transport": draw(st.sampled_from(sorted(azure.PROBE_TRANSPORTS)))}
    if probe["transport"] != "tcp" and draw(st.booleans()):
        probe["path"] = draw(st.from_regex(r"/[A-Za-z0-9/_.?=&-]{0,20}", fullmatch=True))
    if draw(st.booleans()):
        probe["port"] = draw(st.integers(*azure.PROBE_PORT))
    for name, setting in azure.PROBE_SETTINGS.items():
        if kind in setting.kinds and draw(st.booleans()):
            probe[name] = draw(st.integers(setting.low, setting.high))
    return probe


@st.composite
def _azure_scale_rules(draw: st.DrawFn, mode: str, vaults: list[str]) -> list[dict[str, Any]]:
    """Up to three KEDA rules the model accepts in ``mode`` (no HTTP, cpu or memory rules for a job;
    queue rules only with a listed vault for their connection string)."""
    kinds = (
        ["custom"]
        + (["http"] if mode == "service" else [])
        + (["service_bus_queue", "storage_queue"] if vaults else [])
    )
    types = sorted(keda.CUSTOM_RULE_TYPES - (keda.JOB_REFUSED_RULE_TYPES if mode == "job" else set()))
    rules = []
    for index, kind in enumerate(draw(st.lists(st.sampled_from(kinds), min_size=1, max_size=3))):
        rule: dict[str, Any] = {"name": f"rule-{index}.{kind[:4]}", "type": kind}
        if kind == "http":
            rule["concurrent_requests"] = draw(st.integers(1, 1000))
        elif kind == "custom":
            rule["custom_type"] = draw(st.sampled_from(types))
            rule["metadata"] = draw(
                st.dictionaries(
                    st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,10}", fullmatch=True), text, min_size=1, max_size=2
                )
            )
        else:
            parent = (
                "Microsoft.ServiceBus/namespaces"
                if kind == "service_bus_queue"
                else "Microsoft.Storage/storageAccounts"
            )
            name = r"[a-z][a-z0-9-]{4,20}[a-z0-9]" if kind == "service_bus_queue" else r"[a-z0-9]{3,24}"
            rule["namespace_id" if kind == "service_bus_queue" else "account_id"] = _arm(
                draw, parent, st.from_regex(name, fullmatch=True)
            )
            rule["queue"] = draw(st.from_regex(r"[a-z0-9]{3,20}", fullmatch=True))
            rule["connection_secret"] = (
                f"https://{draw(st.sampled_from(vaults))}.vault.azure.net/secrets/conn-{index}"
            )
            if draw(st.booleans()):
                rule["queue_length"] = draw(st.integers(1, 1000))
        rules.append(rule)
    return rules


#: IPv4 networks an ingress may allow: no host bits, not 0.0.0.0/0 (clouds/azure.ip_range_refusal).
_IPV4_NETWORK = st.builds(
    lambda address, length: str(ipaddress.ip_network(f"{address}/{length}", strict=False)),
    st.ip_addresses(v=4),
    st.integers(1, 32),
)
#: Private registries a job may pull from with a user name and password (image host, any case).
_REGISTRY_SERVER = st.one_of(
    st.sampled_from(["ghcr.io", "quay.io", "registry.gitlab.com", "localhost", "localhost:5000"]),
    st.from_regex(r"[a-z0-9]{5,12}\.azurecr\.io", fullmatch=True),
    st.from_regex(
        r"[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?){1,2}(?::[1-9][0-9]{1,3})?",
        fullmatch=True,
    ),
)
_BLOB_CONTAINER = st.from_regex(r"[a-z0-9](?:-?[a-z0-9]){2,62}", fullmatch=True)
_BLOB_PREFIX = st.from_regex(r"[A-Za-z0-9_.=-][A-Za-z0-9_.=/-]{0,40}", fullmatch=True).filter(
    lambda p: azure.blob_prefix_refusal(p) is None
)
#: Storage accounts: azurerm and Azure take 3-24 lowercase letters and digits.
_STORAGE_ACCOUNT = st.from_regex(r"[a-z0-9]{3,24}", fullmatch=True)


@st.composite
def _azure_storage_grant(draw: st.DrawFn) -> dict[str, Any]:
    """A storage account, or a blob container of it (then maybe narrowed to a path prefix: ABAC)."""
    grant = {
        "bucket": _arm(draw, "Microsoft.Storage/storageAccounts", _STORAGE_ACCOUNT),
        "access": draw(_ACCESS),
    }
    if draw(st.booleans()):
        grant["bucket"] += f"/blobServices/default/containers/{draw(_BLOB_CONTAINER)}"
        if draw(st.booleans()):
            grant["prefix"] = draw(_BLOB_PREFIX)
    return grant


_AZURE_STORAGE_GRANT = _azure_storage_grant()


def _key_vault_secret_url(vaults: list[str]) -> st.SearchStrategy[str]:
    """Secret URLs of ``vaults``, latest or pinned to a version."""
    return st.builds(
        "https://{}.vault.azure.net/secrets/{}{}".format,
        st.sampled_from(vaults),
        st.from_regex(r"[A-Za-z0-9-]{1,20}", fullmatch=True),
        st.just("") | st.from_regex(r"/[0-9a-f]{32}", fullmatch=True),
    )


_VOLUME_NAME = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", fullmatch=True)
_PATH_PART = st.from_regex(r"[A-Za-z0-9_.-]{1,12}", fullmatch=True).filter(lambda p: p not in (".", ".."))
_INIT_NAME = st.from_regex(r"[a-z0-9](?:[a-z0-9.-]{0,44}[a-z0-9])?", fullmatch=True).filter(
    lambda n: n != "job"
)
_SHARE = st.from_regex(r"[a-z0-9](?:-?[a-z0-9]){2,62}", fullmatch=True)


@st.composite
def _azure_volumes(draw: st.DrawFn, secrets: bool) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Volumes (empty_dir, azure_file, and secret when the app has Key Vault ``secrets``) and init
    containers: each volume mounted in the main container (maybe a sub path of it), in init containers,
    or both; mount paths distinct within a container."""
    kinds = draw(
        st.lists(
            st.sampled_from(["empty_dir", "azure_file", *(["secret"] if secrets else [])]),
            min_size=1,
            max_size=3,
        )
    )
    names = draw(st.lists(_VOLUME_NAME, min_size=len(kinds), max_size=len(kinds), unique=True))
    volumes: list[dict[str, Any]] = []
    for index, (kind, name) in enumerate(zip(kinds, names, strict=True)):
        volume: dict[str, Any] = {"name": name, "type": kind}
        if draw(st.booleans()):
            volume["mount_path"] = f"/mnt/v{index}/{draw(_PATH_PART)}"
            if draw(st.booleans()):
                volume["sub_path"] = "/".join(draw(st.lists(_PATH_PART, min_size=1, max_size=3)))
        if kind == "azure_file":
            # resource ids ignore case: the account name may come capitalised
            account = _STORAGE_ACCOUNT | _STORAGE_ACCOUNT.map(str.upper)
            volume["account_id"] = _arm(draw, "Microsoft.Storage/storageAccounts", account)
            volume["share"] = draw(_SHARE)
            if draw(st.booleans()):
                volume["read_only"] = draw(st.booleans())
        volumes.append(volume)
    unmounted = [v["name"] for v in volumes if "mount_path" not in v]
    containers = draw(st.lists(_INIT_NAME, min_size=1 if unmounted else 0, max_size=2, unique=True))
    inits: list[dict[str, Any]] = []
    for position, name in enumerate(containers):
        mounted = set(draw(st.lists(st.sampled_from(names), max_size=len(names))))
        if position == 0:
            mounted |= set(unmounted)
        container: dict[str, Any] = {"name": name, "image": "ghcr.io/acme/prep:1.0"}
        if mounted:
            container["mounts"] = {volume: f"/init/v{names.index(volume)}" for volume in sorted(mounted)}
        inits.append(container)
    return volumes, inits


@st.composite
def azure_runtime(draw: st.DrawFn, mode: str) -> dict[str, Any]:
    block = draw(_common(RuntimeType.AZURE_CONTAINER_APPS, mode))
    block["cpu_millicores"] = draw(st.sampled_from(azure.CPU_MILLICORES))
    block["memory_mib"] = azure.memory_mib(block["cpu_millicores"])
    if mode == "job":
        block["timeout_seconds"] = draw(st.integers(60, 86400))
        block["retries"] = draw(st.integers(0, 10))
        block["scaling"] = {"parallelism": draw(st.integers(1, 100))}
        _schedule(draw, RuntimeType.AZURE_CONTAINER_APPS, block, zones=False)
    else:
        block["ingress"] = draw(st.sampled_from(["none", "internal", "external"]))
        if block["ingress"] == "external" and draw(st.booleans()):
            block["ingress_allowed_cidrs"] = draw(
                st.lists(_IPV4_NETWORK, min_size=1, max_size=3, unique=True)
            )
        kinds = draw(st.lists(st.sampled_from(azure.PROBE_KINDS), max_size=3, unique=True))
        if kinds:
            block["probes"] = {kind: draw(_azure_probe(kind)) for kind in kinds}
    profile_name = st.from_regex(r"[A-Za-z](?:[A-Za-z0-9-]{0,13}[A-Za-z0-9])?", fullmatch=True).filter(
        lambda n: n.casefold() != azure.CONSUMPTION_PROFILE.casefold()
    )
    if draw(st.booleans()):
        name = st.from_regex(r"[a-z][a-z0-9-]{0,20}[a-z0-9]", fullmatch=True)
        block["environment_id"] = _arm(draw, "Microsoft.App/managedEnvironments", name)
        if draw(st.booleans()):  # a profile of the shared environment: any valid name
            block["workload_profile"] = draw(profile_name | st.just(azure.CONSUMPTION_PROFILE))
    else:
        low, high = azure.LOG_RETENTION_DAYS
        block["log_retention_days"] = draw(st.integers(low, high))
        block["network"] = {"subnet_ids": draw(st.lists(nonempty, max_size=1))}
        if block["network"]["subnet_ids"]:  # environment settings that need the job's own subnet
            if draw(st.booleans()):
                block["network"]["external_environment"] = draw(st.booleans())
            if draw(st.booleans()):
                block["zone_redundant"] = draw(st.booleans())
        names = draw(st.lists(profile_name, max_size=2, unique_by=str.casefold))
        if names:  # dedicated profiles of the job's environment, counts 0 <= min <= max, max >= 1
            block["workload_profiles"] = []
            for name in names:
                high_count = draw(st.integers(1, 20))
                kind = draw(st.sampled_from(sorted(azure.DEDICATED_PROFILE_SIZES)))
                block["workload_profiles"].append(
                    {
                        "name": name,
                        "type": kind,
                        "minimum_count": draw(st.integers(0, high_count)),
                        "maximum_count": high_count,
                    }
                )
            block["workload_profile"] = draw(st.sampled_from([azure.CONSUMPTION_PROFILE, *names]))
    if draw(st.booleans()):  # letters and digits of any script, '_', '-', '.', '(' and ')', not ending in '.'
        word = st.characters(categories=("L", "Nd")) | st.sampled_from("_-()")
        group = st.builds(
            str.__add__, st.text(word | st.just("."), max_size=30), st.text(word, min_size=1, max_size=1)
        )
        block["resource_group"] = draw(group)
    pull = draw(st.sampled_from(["public", "registry_id", "registry"]))
    if pull == "registry_id":  # an Azure Container Registry, AcrPull for the job identity
        registry = draw(st.text(_ALNUM, min_size=5, max_size=12))
        block["registry_id"] = _SUB.format(1, "acr") + f"Microsoft.ContainerRegistry/registries/{registry}"
        block["image"] = f"{registry}.azurecr.io/{draw(st.from_regex(r'[a-z0-9/_.-]{1,20}', fullmatch=True))}"
    # Key Vaults: each listed in permissions.secrets, permissions.vault_wide or both (a registry password
    # needs one)
    vaults = draw(
        st.lists(
            st.text(_ALNUM, min_size=3, max_size=10),
            min_size=int(pull == "registry"),
            max_size=2,
            unique=True,
        )
    )
    listed = {vault: draw(st.sampled_from(["secrets", "vault_wide", "both"])) for vault in vaults}
    vault_id = (_SUB.format(2, "kv") + "Microsoft.KeyVault/vaults/{}").format
    block["permissions"] = {
        "storage": draw(st.lists(_AZURE_STORAGE_GRANT, max_size=2)),
        "secrets": [vault_id(vault) for vault in vaults if listed[vault] != "vault_wide"],
        "vault_wide": [vault_id(vault) for vault in vaults if listed[vault] != "secrets"],
    }
    secret_urls: set[str] = set()
    if vaults:
        url = _key_vault_secret_url(vaults)
        secrets = draw(st.dictionaries(env_names.filter(lambda n: n != azure.CLIENT_ID_VAR), url, max_size=2))
        block["secrets"] = {k: v for k, v in secrets.items() if k not in block["env"]}
        secret_urls |= set(block["secrets"].values())
        if pull == "registry":  # a private registry: user name and a Key Vault password
            server = draw(_REGISTRY_SERVER)
            path = draw(st.from_regex(r"[a-z0-9][a-z0-9/_.-]{0,20}", fullmatch=True))
            block["image"] = f"{server}/{path}:{draw(st.sampled_from(['1.0', 'latest', 'v2.3.4']))}"
            block["registry"] = {
                "server": draw(st.sampled_from([server, server.upper()])),  # hosts ignore case
                "username": draw(nonempty),
                "password_secret": draw(url),
            }
            secret_urls.add(block["registry"]["password_secret"])
    if draw(st.booleans()) and (mode == "service" or "schedule" not in block):  # KEDA rules, event trigger
        block["scaling"] = {**block.get("scaling", {}), "rules": draw(_azure_scale_rules(mode, vaults))}
        secret_urls |= {r["connection_secret"] for r in block["scaling"]["rules"] if "connection_secret" in r}
        if mode == "job":
            block["trigger"] = "event"
    if draw(st.booleans()):
        block["volumes"], block["init_containers"] = draw(_azure_volumes(bool(secret_urls)))
    if draw(st.booleans()):
        role = draw(
            st.sampled_from(
                ["Reader", "Storage Queue Data Reader", "Contributor", "Monitoring Metrics Publisher"]
            )
        )
        block["permissions"]["roles"] = [
            {"role": role, "scope": _SUB.format(3, "data").rstrip("/").removesuffix("/providers")}
        ]
    lock = draw(st.sampled_from([None, False, True]))  # None: the default (on in prod)
    if lock is not None:
        block["delete_lock"] = lock
    if draw(st.booleans()):  # an existing identity: the stack grants it nothing
        name = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{2,20}", fullmatch=True)
        block["existing_identity_id"] = _arm(draw, "Microsoft.ManagedIdentity/userAssignedIdentities", name)
        del block["permissions"]
        block.pop("registry_id", None)
    return block


_GCP_MEMBER = st.sampled_from(
    [
        "allUsers",
        "allAuthenticatedUsers",
        "user:ops@acme.example",
        "group:analysts@acme.example",
        "domain:acme.example",
        "serviceAccount:caller@acme-data.iam.gserviceaccount.com",
        "principalSet://iam.googleapis.com/locations/global/workforcePools/staff/group/analysts",
    ]
)


_GCP_CONNECTOR = st.one_of(
    st.from_regex(r"[a-z][-a-z0-9]{0,23}[a-z0-9]", fullmatch=True),
    st.from_regex(r"[a-z][a-z0-9-]{4,28}[a-z0-9]", fullmatch=True).map(
        "projects/{}/locations/europe-west1/connectors/conn-1".format
    ),
)
_NETWORK_TAG = st.from_regex(r"[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?", fullmatch=True)
_EGRESS = st.sampled_from(["ALL_TRAFFIC", "PRIVATE_RANGES_ONLY"])
_GCP_KMS_KEY = st.from_regex(
    r"projects/[a-z][a-z0-9-]{4,28}[a-z0-9]/locations/europe-west1/keyRings/[A-Za-z0-9_-]{1,63}"
    r"/cryptoKeys/[A-Za-z0-9_-]{1,63}",
    fullmatch=True,
)
_ITEM_PATH = st.from_regex(r"[a-z0-9._-]{0,20}[a-z0-9]", fullmatch=True).filter(lambda p: p.strip(".") == p)
_GCP_VOLUME = st.one_of(
    st.tuples(_GCP_SECRET, st.just({})),
    st.tuples(
        _GCP_SECRET.map(lambda s: s.split("/versions/")[0]),
        st.lists(_ITEM_PATH, min_size=1, max_size=3, unique=True).map(
            lambda paths: {"items": [{"path": path} for path in paths]}
        ),
    ),
)


@st.composite
def _gcp_network(draw: st.DrawFn) -> dict[str, Any]:
    """No VPC, direct VPC egress (with tags and egress), or a connector (with egress)."""
    form = draw(st.sampled_from(["none", "direct", "connector"]))
    if form == "none":
        return {}
    network: dict[str, Any] = {}
    if draw(st.booleans()):
        network["egress"] = draw(_EGRESS)
    if form == "connector":
        return {**network, "connector": draw(_GCP_CONNECTOR)}
    network["vpc_id"] = draw(nonempty)
    network["subnet_ids"] = draw(st.lists(nonempty, max_size=1))
    network["tags"] = draw(st.lists(_NETWORK_TAG, max_size=3, unique=True))
    return network


@st.composite
def _gcp_probe(draw: st.DrawFn, kind: str) -> dict[str, Any]:
    """A probe Cloud Run takes: one action, values in range, timeout <= period, startup within 240 s."""
    high = 240 if kind == "startup" else 3600
    actions = ["http_get", "grpc"] + (["tcp_socket"] if kind == "startup" else [])
    action = draw(st.sampled_from(actions))
    body: dict[str, Any] = {"port": draw(st.integers(1, 65535))} if draw(st.booleans()) else {}
    if action == "http_get" and draw(st.booleans()):
        body["path"] = "/" + draw(st.from_regex(r"[a-z0-9/_.-]{0,30}", fullmatch=True))
    period = draw(st.integers(1, high))
    probe: dict[str, Any] = {
        action: body,
        "period_seconds": period,
        "timeout_seconds": draw(st.integers(1, period)),
        "initial_delay_seconds": draw(st.integers(0, high)),
    }
    probe["failure_threshold"] = draw(st.integers(1, max(1, 240 // period) if kind == "startup" else 10))
    return probe


@st.composite
def _gcp_probes(draw: st.DrawFn) -> dict[str, Any]:
    probes = {}
    for kind in ("startup", "liveness"):
        if draw(st.booleans()):
            probes[kind] = draw(_gcp_probe(kind))
    return probes


@st.composite
def gcp_runtime(draw: st.DrawFn, mode: str) -> dict[str, Any]:
    block = draw(_common(RuntimeType.GCP_CLOUD_RUN, mode))
    block["project_id"] = draw(st.from_regex(gcp.PROJECT_ID_PATTERN, fullmatch=True))
    block["cpu_millicores"] = draw(st.sampled_from(gcp.CPU_MILLICORES))
    low, high = gcp.MEMORY_MIB[block["cpu_millicores"]]
    block["memory_mib"] = draw(st.integers(low, high))
    limit = gcp.SERVICE_MAX_TIMEOUT_SECONDS if mode == "service" else 86400
    block["timeout_seconds"] = draw(st.integers(60, limit))
    if mode == "job":
        block["retries"] = draw(st.integers(0, 10))
        block["scaling"] = {"parallelism": draw(st.integers(1, 100))}
        _schedule(draw, RuntimeType.GCP_CLOUD_RUN, block, zones=True)
        if block.get("schedule") is not None and draw(st.booleans()):
            low, high = sorted(
                draw(st.lists(st.integers(0, gcp.SCHEDULER_MAX_BACKOFF_SECONDS), min_size=2, max_size=2))
            )
            block["schedule_retry"] = {
                "retry_count": draw(st.integers(0, gcp.SCHEDULER_MAX_RETRY_COUNT)),
                "min_backoff_seconds": low,
                "max_backoff_seconds": high,
                "max_doublings": draw(st.integers(0, gcp.SCHEDULER_MAX_DOUBLINGS)),
            }
            block["schedule_attempt_deadline_seconds"] = draw(
                st.integers(*gcp.SCHEDULER_HTTP_ATTEMPT_DEADLINE_SECONDS)
            )
    else:
        block["ingress"] = draw(st.sampled_from(["none", "internal", "external"]))
        block["invokers"] = draw(st.lists(_GCP_MEMBER, max_size=3, unique=True))
    block["network"] = draw(_gcp_network())
    if mode == "service":
        if draw(st.booleans()):
            block["probes"] = draw(_gcp_probes())
        block["cpu_idle"] = draw(st.booleans())
        block["startup_cpu_boost"] = draw(st.booleans())
    if draw(st.booleans()):
        block["execution_environment"] = draw(st.sampled_from(["gen1", "gen2"]))
    block["volumes"] = [
        {"secret": secret, "mount_path": f"/secrets/v{index}", **items}
        for index, (secret, items) in enumerate(draw(st.lists(_GCP_VOLUME, max_size=2)))
    ]
    if draw(st.booleans()):
        block["encryption_key"] = draw(_GCP_KMS_KEY)
    bucket = st.from_regex(r"[a-z0-9][a-z0-9_-]{1,20}[a-z0-9]", fullmatch=True).filter(gcp.is_bucket_name)
    prefix = st.sampled_from(["raw/", "raw/orders/2024-", "tmp/%{x}/", "a b/ü/"])
    grant = st.fixed_dictionaries({"bucket": bucket, "access": _ACCESS}, optional={"prefix": prefix})
    block["permissions"] = {
        "storage": draw(st.lists(grant, max_size=2)),
        "secrets": draw(st.lists(_GCP_SECRET, max_size=2)),
    }
    secrets = draw(st.dictionaries(env_names, _GCP_SECRET, max_size=2))
    block["secrets"] = {k: v for k, v in secrets.items() if k not in block["env"]}
    if draw(st.booleans()):
        block["deletion_protection"] = draw(st.booleans())
    return block


RUNTIMES = {
    RuntimeType.AWS_FARGATE: ("aws", "eu-west-1", aws_runtime),
    RuntimeType.AZURE_CONTAINER_APPS: ("azure", "westeurope", azure_runtime),
    RuntimeType.GCP_CLOUD_RUN: ("gcp", "europe-west1", gcp_runtime),
}
#: Tag text every cloud takes (AWS allows only letters, digits, spaces and ``_.:/=+-@``).
_TAG_TEXT = st.text(
    st.characters(categories=("L", "N")) | st.sampled_from(" _.:/=+-@"), min_size=1, max_size=20
)


#: Required tags are not blank.
_REQUIRED_TAG = _TAG_TEXT.filter(str.strip)


@dataclass(frozen=True)
class _Facts:
    """What the output conditions read from a runtime, taken from a drawn runtime block (the models'
    defaults for what it leaves out)."""

    TYPE: RuntimeType
    mode: Literal["job", "service"]
    schedule: str | None
    ingress: Literal["none", "internal", "external"]
    environment_id: str | None

    @classmethod
    def of(cls, runtime: RuntimeType, block: dict[str, Any]) -> _Facts:
        return cls(
            runtime,
            block.get("mode", "job"),
            block.get("schedule"),
            block.get("ingress", "internal"),
            block.get("environment_id"),
        )


@st.composite
def jobs(
    draw: st.DrawFn, index: int, runtimes: tuple[RuntimeType, ...] = tuple(RuntimeType)
) -> dict[str, Any]:
    """A valid job of any of ``runtimes`` (unset: every runtime) and mode; ``index`` makes its stack
    name unique in a batch."""
    runtime = draw(st.sampled_from(list(runtimes)))
    mode = draw(st.sampled_from(["job", "service"]))
    provider, region, block = RUNTIMES[runtime]
    environment = draw(st.from_regex(r"[a-z][a-z0-9_-]{0,10}", fullmatch=True))
    # job names up to the 128 characters allowed (the index keeps stacks apart)
    head = draw(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,120}", fullmatch=True))
    tags: dict[str, str] = {
        "job_name": f"{head}.{index}"[-128:].lstrip("_.-") or f"j{index}",
        "team": draw(_REQUIRED_TAG),
        "pipeline_type": draw(_REQUIRED_TAG),
        "environment": environment,
        "cost_center": draw(_REQUIRED_TAG),
    }
    extra_value = (
        _TAG_TEXT if provider == "aws" else st.one_of(_TAG_TEXT, nonempty.filter(lambda v: len(v) < 200))
    )
    for key in draw(st.lists(st.from_regex(r"x[a-z0-9_]{0,15}", fullmatch=True), max_size=3, unique=True)):
        tags[key] = draw(extra_value)
    runtime_block = draw(block(mode))
    # only outputs this configuration exports (a placeholder for another is a validate error)
    outputs = sorted(exported_outputs(_Facts.of(runtime, runtime_block)))
    wanted = draw(st.lists(st.sampled_from(outputs), max_size=3, unique=True))
    return {
        "tenant_id": draw(st.from_regex(r"[a-z0-9][a-z0-9_-]{0,62}", fullmatch=True)),
        "environment": environment,
        "source": {"connector": draw(text)},
        "infrastructure": {
            "provider": provider,
            "region": region,
            "runtime": runtime_block,
            "resource_identifiers": {name: f"{{{{ terraform_outputs.{name} }}}}" for name in wanted},
            "tags": tags,
        },
    }


def strings(value: Any) -> list[str]:
    """Every string of a JSON-like value, mapping keys included (in order)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (k, *strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def synth_batches(count: int) -> settings:
    """Hypothesis settings of a test each of whose ``count`` examples synthesizes a batch of drawn jobs:
    no deadline, no example database, no shrinking (each try synthesizes; a failure names its job)."""
    return settings(
        max_examples=count,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )
