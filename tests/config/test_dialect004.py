"""The seed 004 dialect (``infrastructure.provider`` + ``compute: {type: ecs, cluster_name: ...}``)
mapped onto the canonical form: what maps, the positioned errors for what has no runtime, and nothing
accepted and dropped. The seed's own snippets are fixtures under ``tests/fixtures/jobs/seeds/``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dativo_infra.config.dialect import COMPUTE_TYPES, NOT_SUPPORTED_YET
from dativo_infra.config.dialect004 import map_seed004
from dativo_infra.config.loader import load_job
from dativo_infra.config.refs import NOT_TAKEN, known_references
from dativo_infra.config.yamlpos import parse_positioned
from dativo_infra.contract import RuntimeType
from dativo_infra.errors import ErrorReport

SEEDS = Path("tests/fixtures/jobs/seeds")
BASIC = (SEEDS / "seed004_aws_ecs_basic.yaml").read_text()
SUPPORTED = "one of " + ", ".join(sorted(COMPUTE_TYPES))

#: The seed fixtures that fail, each with its exact positioned message; every other one validates.
FAILING: dict[str, list[str]] = {
    "seed004_aws_eks.yaml": [
        "tests/fixtures/jobs/seeds/seed004_aws_eks.yaml:10: infrastructure.compute.type: compute type not "
        f"supported yet, got 'eks'; expected {SUPPORTED}",
    ],
    "seed004_gcp_ecs.yaml": [
        "tests/fixtures/jobs/seeds/seed004_gcp_ecs.yaml:9: infrastructure.compute.type: compute type does not "
        "run on provider gcp, got 'ecs'; expected cloud_run for gcp",
    ],
}


def load(tmp_path: Path, text: str) -> Any:
    path = tmp_path / "job.yaml"
    path.write_text(text)
    return load_job(path)


def errors(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ErrorReport) as caught:
        load(tmp_path, text)
    return [f"{e.line}: {e.path}: {e.problem}; got {e.got}; expected {e.expected}" for e in caught.value]


def line(text: str, needle: str) -> int:
    return next(n for n, row in enumerate(text.splitlines(), 1) if needle in row)


def job(provider: str, region: str, compute: str, extra: str = "") -> str:
    """A complete seed 004 job: ``compute`` and ``extra`` are lines under ``infrastructure``."""
    return (
        "tenant_id: acme\nenvironment: prod\ninfrastructure:\n"
        f"  provider: {provider}\n  region: {region}\n  compute:\n{compute}{extra}"
        "  tags:\n    cost_center: CC-001\n    environment: prod\n    job_name: orders\n    team: data\n"
    )


# --- the seed's snippets -------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(SEEDS.glob("seed004_*.yaml")), ids=lambda p: p.name)
def test_every_seed_snippet_validates_or_fails_with_its_positioned_reason(path: Path) -> None:
    if path.name not in FAILING:
        assert load_job(path).config.job_name
        return
    with pytest.raises(ErrorReport) as caught:
        load_job(path)
    assert [str(e) for e in caught.value] == FAILING[path.name]


def test_the_basic_usage_snippet_maps_onto_the_canonical_form() -> None:
    loaded = load_job(SEEDS / "seed004_aws_ecs_basic.yaml")
    runtime = loaded.config.runtime
    assert loaded.dialect == "seed004" and not loaded.legacy
    assert runtime.type is RuntimeType.AWS_FARGATE
    assert runtime.existing.cluster == "dativo-prod-cluster"
    # seed 004 jobs are ingestion jobs, as older ones: the one required tag the seed never writes
    assert loaded.config.infrastructure.tags["pipeline_type"] == "ingestion"
    # positions follow the values: the runtime's type is where compute.type was written
    assert loaded.document.line_of(("infrastructure", "runtime", "type")) == line(BASIC, "type: ecs")
    assert loaded.document.line_of(("infrastructure", "runtime", "existing", "cluster")) == line(
        BASIC, "cluster_name"
    )


def test_the_tag_propagation_snippet_joins_its_list_and_overrides_finops() -> None:
    from dativo_infra.tags import merged_tags, render_tags

    loaded = load_job(SEEDS / "seed004_tag_propagation.yaml")
    tags = merged_tags(loaded)
    assert (tags["compliance"], tags["cost_center"]) == ("GDPR,SOC2", "CC-999")
    assert render_tags(tags, loaded.config.infrastructure.provider)["compliance"] == "GDPR+SOC2"


def test_the_gcp_snippet_renders_the_joined_list_as_a_label() -> None:
    from dativo_infra.tags import merged_tags, render_tags

    loaded = load_job(SEEDS / "seed004_gcp_cloud_run.yaml")
    assert loaded.config.runtime.type is RuntimeType.GCP_CLOUD_RUN
    assert (
        render_tags(merged_tags(loaded), loaded.config.infrastructure.provider)["compliance"] == "gdpr_soc2"
    )


# --- compute.type ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "region", "compute", "runtime"),
    [
        ("aws", "us-east-1", "ecs", RuntimeType.AWS_FARGATE),
        ("aws", "us-east-1", "fargate", RuntimeType.AWS_FARGATE),
        ("gcp", "us-central1", "cloud_run", RuntimeType.GCP_CLOUD_RUN),
        ("azure", "westeurope", "container_apps", RuntimeType.AZURE_CONTAINER_APPS),
    ],
)
def test_compute_types_map_to_runtimes(
    tmp_path: Path, provider: str, region: str, compute: str, runtime: RuntimeType
) -> None:
    project = "    project_id: acme-data-prod\n" if provider == "gcp" else ""
    loaded = load(tmp_path, job(provider, region, f"    type: {compute}\n{project}"))
    assert loaded.config.runtime.type is runtime


@pytest.mark.parametrize("compute", NOT_SUPPORTED_YET)
def test_compute_types_without_a_runtime_are_not_supported_yet(tmp_path: Path, compute: str) -> None:
    text = job("aws", "us-east-1", f"    type: {compute}\n")
    assert errors(tmp_path, text) == [
        f"7: infrastructure.compute.type: compute type not supported yet; got '{compute}'; expected {SUPPORTED}"
    ]


@pytest.mark.parametrize(
    ("compute", "problem"),
    [("k8s", "unknown compute type; got 'k8s'"), ("[ecs]", "unknown compute type; got a list")],
)
def test_unknown_compute_types_are_errors(tmp_path: Path, compute: str, problem: str) -> None:
    text = job("aws", "us-east-1", f"    type: {compute}\n")
    assert errors(tmp_path, text) == [f"7: infrastructure.compute.type: {problem}; expected {SUPPORTED}"]


def test_a_missing_compute_type_is_an_error(tmp_path: Path) -> None:
    text = job("aws", "us-east-1", "    cluster_name: shared\n")
    assert errors(tmp_path, text) == [
        f"6: infrastructure.compute.type: required field missing; got None; expected {SUPPORTED}"
    ]


@pytest.mark.parametrize(
    ("provider", "region", "compute", "own"),
    [
        ("gcp", "us-central1", "ecs", "cloud_run"),
        ("aws", "us-east-1", "cloud_run", "ecs, ecs_task, fargate"),
        ("azure", "westeurope", "fargate", "container_apps"),
    ],
)
def test_a_compute_type_of_another_provider_is_an_error(
    tmp_path: Path, provider: str, region: str, compute: str, own: str
) -> None:
    text = job(provider, region, f"    type: {compute}\n")
    assert errors(tmp_path, text) == [
        f"7: infrastructure.compute.type: compute type does not run on provider {provider}; "
        f"got '{compute}'; expected {own} for {provider}"
    ]


# --- compute.cluster_name and other references: refs.py's table -------------------------------------


@pytest.mark.parametrize(
    ("provider", "region", "compute", "runtime"),
    [
        ("gcp", "us-central1", "cloud_run\n    project_id: acme-data-prod", RuntimeType.GCP_CLOUD_RUN),
        ("azure", "westeurope", "container_apps", RuntimeType.AZURE_CONTAINER_APPS),
    ],
)
def test_cluster_name_on_a_runtime_without_a_cluster_is_refused_as_resource_refs_is(
    tmp_path: Path, provider: str, region: str, compute: str, runtime: RuntimeType
) -> None:
    text = job(provider, region, f"    type: {compute}\n    cluster_name: shared\n")
    reason = NOT_TAKEN[runtime]["cluster_name"]
    as_compute = errors(tmp_path, text)
    assert as_compute == [
        f"{line(text, 'cluster_name')}: infrastructure.compute.cluster_name: not taken by {runtime.value}: "
        f"{reason}; got 'cluster_name'; expected one of {known_references(runtime)}"
    ]
    # the same words as the resource_refs spelling of that reference
    refs = text.replace("    cluster_name: shared\n", "").replace(
        "  tags:\n", "  terraform:\n    resource_refs:\n      cluster_name: shared\n  tags:\n"
    )
    (as_ref,) = errors(tmp_path, refs)
    assert as_ref.split(": ", 2)[2] == as_compute[0].split(": ", 2)[2]


def test_compute_role_references_become_the_existing_fields(tmp_path: Path) -> None:
    role = "arn:aws:iam::123456789012:role/dativo-ecs-execution-role"
    text = job("aws", "us-east-1", f"    type: ecs\n    execution_role_arn: {role}\n")
    assert load(tmp_path, text).config.runtime.existing.execution_role_arn == role


def test_a_log_group_reference_in_compute_is_refused(tmp_path: Path) -> None:
    text = job("aws", "us-east-1", "    type: ecs\n    log_group_name: /ecs/x\n")
    (message,) = errors(tmp_path, text)
    assert message.startswith("8: infrastructure.compute.log_group_name: not taken by aws_fargate: ")


def test_cluster_name_and_the_existing_cluster_both_given_are_an_error(tmp_path: Path) -> None:
    text = job("aws", "us-east-1", "    type: ecs\n    existing:\n      cluster: a\n    cluster_name: b\n")
    assert errors(tmp_path, text) == [
        "10: infrastructure.compute.cluster_name: existing.cluster (line 9) and cluster_name (line 10) "
        "both map to runtime.existing.cluster; got 'b'; expected one of them"
    ]


def test_cluster_name_and_cluster_arn_both_given_are_an_error(tmp_path: Path) -> None:
    arn = "arn:aws:ecs:us-east-1:123456789012:cluster/a"
    text = job("aws", "us-east-1", f"    type: ecs\n    cluster_arn: {arn}\n    cluster_name: b\n")
    (message,) = errors(tmp_path, text)
    assert message.startswith(
        "9: infrastructure.compute.cluster_name: cluster_arn (line 8) and cluster_name (line 9) both map to "
        "runtime.existing.cluster"
    )


def test_cluster_name_and_resource_refs_must_agree(tmp_path: Path) -> None:
    refs = "  terraform:\n    resource_refs:\n      cluster_name: {}\n"
    same = job("aws", "us-east-1", "    type: ecs\n    cluster_name: a\n", refs.format("a"))
    assert load(tmp_path, same).config.runtime.existing.cluster == "a"
    other = job("aws", "us-east-1", "    type: ecs\n    cluster_name: a\n", refs.format("b"))
    (message,) = errors(tmp_path, other)
    assert "(line 8) and terraform.resource_refs.cluster_name (line 11) both map to" in message


# --- other compute keys ------------------------------------------------------------------------------


def test_canonical_runtime_fields_in_compute_carry_over(tmp_path: Path) -> None:
    text = job(
        "aws",
        "us-east-1",
        "    type: fargate\n    mode: service\n    cpu_millicores: 2000\n    memory_mib: 4096\n",
    )
    runtime = load(tmp_path, text).config.runtime
    assert (runtime.mode, runtime.cpu_millicores) == ("service", 2000)


def test_an_unknown_compute_key_is_the_schemas_error_at_its_line(tmp_path: Path) -> None:
    text = job("aws", "us-east-1", "    type: ecs\n    task_cpu: '1024'\n")
    (message,) = errors(tmp_path, text)
    assert message.startswith("8: infrastructure.runtime.task_cpu: unknown field")


def test_compute_next_to_a_runtime_block_is_an_error_naming_both_lines(tmp_path: Path) -> None:
    text = job("aws", "us-east-1", "    type: ecs\n", "  runtime:\n    type: aws_fargate\n")
    assert errors(tmp_path, text) == [
        "8: infrastructure.runtime: compute (line 6) and runtime (line 8) both map to runtime; got a mapping; "
        "expected one of them (the seed 004 dialect's compute cannot be mixed with another dialect's runtime)"
    ]
    older = job("aws", "us-east-1", "    type: ecs\n", "  runtime_environment:\n    compute_type: ecs_task\n")
    (message,) = errors(tmp_path, older)
    assert message.startswith(
        "8: infrastructure.runtime_environment: compute (line 6) and runtime_environment (line 8) both map"
    )


# --- network, monitoring, storage -----------------------------------------------------------------------


def test_network_maps_onto_the_runtime_network(tmp_path: Path) -> None:
    network = (
        "  network:\n    vpc_id: vpc-0123456789abcdef0\n    subnets:\n      - subnet-0123456789abcdef0\n"
        "    security_groups:\n      - sg-0123456789abcdef0\n"
    )
    net = load(tmp_path, job("aws", "us-east-1", "    type: ecs\n", network)).config.runtime.network
    assert net.vpc_id == "vpc-0123456789abcdef0"
    assert (net.subnet_ids, net.security_group_ids) == (
        ["subnet-0123456789abcdef0"],
        ["sg-0123456789abcdef0"],
    )


def test_network_keys_a_runtime_lacks_are_errors_at_their_lines(tmp_path: Path) -> None:
    text = job(
        "azure", "westeurope", "    type: container_apps\n", "  network:\n    security_groups: [sg-1]\n"
    )
    (message,) = errors(tmp_path, text)
    assert message.startswith("9: infrastructure.runtime.network.security_group_ids: unknown field")


@pytest.mark.parametrize(
    ("compute", "network", "first", "second"),
    [
        (
            "    network:\n      vpc_id: vpc-a\n",
            "  network:\n    vpc_id: vpc-b\n",
            "compute.network (line 8)",
            "network (line 10)",
        ),
        (
            "",
            "  network:\n    subnets: [subnet-a]\n    subnet_ids: [subnet-b]\n",
            "subnets (line 9)",
            "subnet_ids (line 10)",
        ),
    ],
)
def test_two_spellings_of_one_network_field_are_an_error(
    tmp_path: Path, compute: str, network: str, first: str, second: str
) -> None:
    (message,) = errors(tmp_path, job("aws", "us-east-1", f"    type: ecs\n{compute}", network))
    assert f"{first} and {second} both map to runtime.network" in message


def test_monitoring_log_retention_maps_and_the_rest_is_refused(tmp_path: Path) -> None:
    ok = job("aws", "us-east-1", "    type: ecs\n", "  monitoring:\n    log_retention_days: 90\n")
    assert load(tmp_path, ok).config.runtime.log_retention_days == 90
    text = job(
        "aws",
        "us-east-1",
        "    type: ecs\n",
        "  monitoring:\n    log_group: /ecs/dativo\n    metrics_namespace: Dativo/ETL\n",
    )
    expected = "log_retention_days (metrics, alerts and log groups have no runtime field)"
    assert errors(tmp_path, text) == [
        f"9: infrastructure.monitoring.log_group: not taken by aws_fargate: "
        f"{NOT_TAKEN[RuntimeType.AWS_FARGATE]['log_group_name']}; got '/ecs/dativo'; "
        f"expected no monitoring.log_group; {expected}",
        "10: infrastructure.monitoring.metrics_namespace: no runtime field for this monitoring setting; "
        f"got 'metrics_namespace'; expected {expected}",
    ]


def test_storage_is_never_accepted_and_dropped(tmp_path: Path) -> None:
    text = job(
        "aws", "us-east-1", "    type: ecs\n", "  storage:\n    bucket: lake\n    kms_key_id: alias/lake\n"
    )
    found = errors(tmp_path, text)
    assert [m.split(";")[0] for m in found] == [
        "9: infrastructure.storage.bucket: storage settings have no runtime field",
        "10: infrastructure.storage.kms_key_id: storage settings have no runtime field",
    ]
    assert all("runtime.permissions" in m for m in found)


# --- pure: nothing dropped ------------------------------------------------------------------------------

COMPUTE_KEY = st.sampled_from(
    [
        "cluster_name",
        "cluster_arn",
        "execution_role_arn",
        "mode",
        "cpu_millicores",
        "task_cpu",
        "log_group_name",
    ]
)


@settings(max_examples=80, deadline=None, derandomize=True, database=None)
@given(st.lists(COMPUTE_KEY, max_size=5, unique=True))
def test_every_compute_key_lands_in_the_runtime_or_is_an_error(keys: list[str]) -> None:
    compute = "".join(f"    {key}: v{i}\n" for i, key in enumerate(keys))
    text = f"infrastructure:\n  provider: aws\n  compute:\n    type: ecs\n{compute}"
    doc, found = map_seed004(parse_positioned(text, "job.yaml"))
    runtime = doc.value["infrastructure"]["runtime"]
    placed = {v for v in _leaves(runtime) if isinstance(v, str) and v.startswith("v")}
    refused = {e.line for e in found}
    for i, key in enumerate(keys):
        assert f"v{i}" in placed or line(text, f"{key}:") in refused, key
    assert runtime["type"] == "aws_fargate"


def _leaves(value: object) -> list[object]:
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    return [value]


def test_an_older_cloud_provider_with_compute_maps_through_both_dialects(tmp_path: Path) -> None:
    text = job("aws", "us-east-1", "    type: ecs\n").replace("  provider: aws\n", "  cloud_provider: aws\n")
    text = text.replace("    team: data\n", "    Team: data\n")
    loaded = load(tmp_path, text)
    assert (loaded.dialect, loaded.config.infrastructure.provider.value) == ("seed004", "aws")
    assert loaded.config.infrastructure.tags["team"] == "data"
