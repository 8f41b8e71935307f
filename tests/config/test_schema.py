"""Job model rules beyond the invalid fixtures: defaults, dialects, placeholders, preserved keys, and
the per-runtime rules (each runtime's model, its cloud's grammar)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from dativo_infra.clouds.aws import FARGATE_SIZES
from dativo_infra.config.loader import load_job, load_jobs
from dativo_infra.config.schema import PLACEHOLDER_RE, job_json_schema
from dativo_infra.contract import RuntimeType
from dativo_infra.errors import ErrorReport

VALID = Path("tests/fixtures/jobs/valid")


def write(tmp_path: Path, text: str, name: str = "job.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


BASE = (VALID / "minimal_aws.yaml").read_text()


def test_defaults_are_filled() -> None:
    job = load_job(VALID / "minimal_aws.yaml").config
    runtime = job.runtime
    assert (runtime.mode, runtime.cpu_millicores, runtime.memory_mib) == ("job", 1000, 2048)
    assert runtime.schedule is None and runtime.ingress == "internal" and runtime.ephemeral_storage_gib == 20
    assert runtime.network.vpc_id is None and runtime.network.subnet_ids == []
    assert runtime.permissions.storage == [] and runtime.log_retention_days == 30
    # every run goes through the state machine with a one-hour timeout, on on-demand Fargate
    assert (runtime.timeout_seconds, runtime.capacity) == (3600, "on_demand")


def test_aws_on_demand_jobs_take_parallelism_timeout_and_spot(tmp_path: Path) -> None:
    """The state machine starts on-demand runs too: their task count and timeout are the job's."""
    text = BASE.replace(
        "    type: aws_fargate\n",
        "    type: aws_fargate\n    timeout_seconds: 86400\n    capacity: spot\n    scaling: {parallelism: 4}\n",
    )
    runtime = load_job(write(tmp_path, text)).config.runtime
    assert (runtime.timeout_seconds, runtime.capacity, runtime.scaling.parallelism) == (86400, "spot", 4)


def test_unknown_top_level_keys_are_kept(tmp_path: Path) -> None:
    job = load_job(write(tmp_path, BASE + "source:\n  connector: stripe\nlogging:\n  level: DEBUG\n"))
    assert job.data["source"] == {"connector": "stripe"}
    assert job.config.model_extra == {"source": {"connector": "stripe"}, "logging": {"level": "DEBUG"}}


@pytest.mark.parametrize(
    "text",
    [
        "{{terraform_outputs.cluster_name}}",
        "{{ terraform_outputs.cluster_name }}",
        "{{\tterraform_outputs.cluster_name  }}",
    ],
)
def test_placeholder_inner_whitespace(tmp_path: Path, text: str) -> None:
    job = load_job(write(tmp_path, BASE.replace('"{{terraform_outputs.cluster_name}}"', f'"{text}"')))
    assert job.config.referenced_outputs() == ["cluster_name"]
    assert PLACEHOLDER_RE.fullmatch(text)


def test_older_dialect_is_mapped() -> None:
    job = load_job(VALID / "legacy_ecs.yaml")
    assert job.legacy
    infra = job.config.infrastructure
    assert infra.provider.value == "aws" and infra.region == "us-east-1"
    assert infra.runtime.type is RuntimeType.AWS_FARGATE
    assert (infra.runtime.cpu_millicores, infra.runtime.memory_mib) == (1000, 2048)  # 1024 units = 1 vCPU
    assert infra.runtime.ephemeral_storage_gib == 30
    assert infra.runtime.network.subnet_ids == ["subnet-0123456789abcdef0"]
    assert infra.tags["cost_center"] == "FIN-001" and infra.tags["job_name"] == "csv_employee_to_iceberg"
    assert infra.tags["pipeline_type"] == "ingestion"
    assert infra.terraform["resource_refs"]["execution_role_arn"].endswith("dativo-etl-execution-role")


def test_older_dialect_cloud_run_units() -> None:
    runtime = load_job(VALID / "legacy_cloud_run.yaml").config.runtime
    assert runtime.type is RuntimeType.GCP_CLOUD_RUN and runtime.cpu_millicores == 1000  # GCP: 1000 = 1 vCPU


def test_older_dialect_errors_point_at_the_written_lines(tmp_path: Path) -> None:
    text = (VALID / "legacy_ecs.yaml").read_text().replace("memory_mb: 2048", "memory_mb: 100")
    with pytest.raises(ErrorReport) as caught:
        load_job(write(tmp_path, text))
    (error,) = list(caught.value)
    assert error.line == text.splitlines().index("    memory_mb: 100") + 1
    assert error.path == "infrastructure.runtime.memory_mib"


@pytest.mark.parametrize("cpu", sorted(FARGATE_SIZES))
def test_every_fargate_size_is_accepted(tmp_path: Path, cpu: int) -> None:
    millicores = cpu * 1000 // 1024
    for memory in FARGATE_SIZES[cpu]:
        text = BASE.replace(
            "    type: aws_fargate\n",
            f"    type: aws_fargate\n    cpu_millicores: {millicores}\n    memory_mib: {memory}\n",
        )
        assert load_job(write(tmp_path, text)).config.runtime.memory_mib == memory


def test_duplicate_stack_names_are_rejected(tmp_path: Path) -> None:
    write(tmp_path, BASE, "a.yaml")
    write(tmp_path, BASE.replace("stripe_customers_to_iceberg", "stripe-customers-to-iceberg"), "b.yaml")
    with pytest.raises(ErrorReport) as caught:
        load_jobs([str(tmp_path)])
    (error,) = list(caught.value)
    assert "two jobs map to the same stack" in str(error) and "a.yaml" in str(error)


def test_examples_are_valid_and_cover_every_runtime_and_mode(example_jobs: list) -> None:
    seen = {(j.config.runtime.type, j.config.runtime.mode) for j in example_jobs}
    assert seen == {(t, m) for t in RuntimeType for m in ("job", "service")}
    assert all(j.file.startswith(f"jobs/{j.config.tenant_id}/") for j in example_jobs)


def test_json_schema_accepts_the_examples(example_jobs: list) -> None:
    schema = job_json_schema()
    for job in example_jobs:
        jsonschema.validate(job.data, schema)
    # The committed schema file (what editors load) is the current one: `dativo-infra schema -o` refreshes it.
    assert json.loads(Path("schemas/job.schema.json").read_text()) == schema


def test_every_example_points_editors_at_the_schema(example_jobs: list) -> None:
    for job in example_jobs:
        first = job.path.read_text().splitlines()[0]
        assert first == "# yaml-language-server: $schema=../../schemas/job.schema.json"
        assert (job.path.parent / "../../schemas/job.schema.json").resolve().exists()


# --- Azure / GCP runtime rules: what is accepted, and every problem of a runtime at once -------------
SUB = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/data/providers"
AZURE = """\
tenant_id: acme
environment: dev
infrastructure:
  provider: azure
  region: westeurope
  runtime:
    type: azure_container_apps
    cpu_millicores: 500
    memory_mib: 1024
{runtime}  tags:
    job_name: azure_job
    team: data_platform
    pipeline_type: ingestion
    environment: dev
    cost_center: FINOPS-001
"""
GCP = """\
tenant_id: initech
environment: dev
infrastructure:
  provider: gcp
  region: europe-west1
  runtime:
    type: gcp_cloud_run
    project_id: initech-data-dev
{runtime}  tags:
    job_name: gcp_job
    team: data_platform
    pipeline_type: ingestion
    environment: dev
    cost_center: FINOPS-201
"""


def runtime_block(**fields: str) -> str:
    return "".join(f"    {key}: {value}\n" for key, value in fields.items())


def errors_of(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ErrorReport) as caught:
        load_job(write(tmp_path, text))
    return [f"{e.path}: {e.problem}" for e in caught.value]


@pytest.mark.parametrize(
    "cron",
    [
        "0 3 * * *",
        "*/15 0-6,22-23 1,15 JAN-MAR,dec mon-fri",
        "5 4 * * SUN",
        "0 0-12/2 * * 1-5",
        "59 23 31 12 6",
    ],
)
@pytest.mark.parametrize("template", [AZURE, GCP])
def test_unix_cron_is_accepted_on_azure_and_gcp(tmp_path: Path, template: str, cron: str) -> None:
    job = load_job(write(tmp_path, template.format(runtime=runtime_block(schedule=f'"{cron}"'))))
    assert job.config.runtime.schedule == cron


@pytest.mark.parametrize(
    ("template", "cron", "field"),
    [
        (AZURE, "0 3 * * 7", "day-of-week"),  # Container Apps (NCrontab): 0-6 only
        (AZURE, "0 3 L * *", "day-of-month"),
        (GCP, "0 3 ? * MON", "day-of-month"),
        (GCP, "0 3 * * 5#2", "day-of-week"),
        (GCP, "0 3 15W * *", "day-of-month"),
        (GCP, "60 3 * * *", "minute"),
        (GCP, "0 3 * 13 *", "month"),
        (GCP, "0 3 * * 5-1", "day-of-week"),  # a range runs upwards
        (GCP, "0 3/2 * * *", "hour"),  # steps only on '*' or a range
        (GCP, "0 3 * FOO *", "month"),
    ],
)
def test_non_unix_cron_is_refused_on_azure_and_gcp(
    tmp_path: Path, template: str, cron: str, field: str
) -> None:
    (error,) = errors_of(tmp_path, template.format(runtime=runtime_block(schedule=f'"{cron}"')))
    assert error.startswith(f"infrastructure.runtime.schedule: {field} field ")


def test_gcp_accepts_seven_as_sunday(tmp_path: Path) -> None:
    assert load_job(write(tmp_path, GCP.format(runtime=runtime_block(schedule='"0 3 * * 7"')))).config


def test_aws_keeps_quartz_cron(tmp_path: Path) -> None:
    text = BASE.replace("    type: aws_fargate\n", '    type: aws_fargate\n    schedule: "0 3 ? * MON-FRI"\n')
    assert load_job(write(tmp_path, text)).config.runtime.schedule == "0 3 ? * MON-FRI"


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Etc/GMT+5"])
def test_iana_time_zones_are_accepted(tmp_path: Path, zone: str) -> None:
    text = GCP.format(runtime=runtime_block(schedule='"0 3 * * *"', schedule_timezone=zone))
    assert load_job(write(tmp_path, text)).config.runtime.schedule_timezone == zone


@pytest.mark.parametrize("zone", ["CEST", "Europe/Berln", "europe/berlin ", "../../etc/passwd", "+02:00"])
def test_other_time_zones_are_refused(tmp_path: Path, zone: str) -> None:
    text = GCP.format(runtime=runtime_block(schedule='"0 3 * * *"', schedule_timezone=f'"{zone}"'))
    (error,) = errors_of(tmp_path, text)
    assert error == "infrastructure.runtime.schedule_timezone: not an IANA time zone"


def test_azure_references_in_their_valid_forms(tmp_path: Path) -> None:
    runtime = f"""\
    image: acmeacr.azurecr.io/ingest:2.0
    registry_id: {SUB}/Microsoft.ContainerRegistry/registries/AcmeACR
    environment_id: {SUB}/Microsoft.App/managedEnvironments/shared-cae
    secrets:
      A: https://jobs-kv.vault.azure.net/secrets/a-token
      B: https://jobs-kv.vault.azure.net/secrets/B-Token/0123456789abcdef0123456789abcdef
    permissions:
      secrets: ["{SUB.replace("resourceGroups", "resourcegroups")}/Microsoft.KeyVault/vaults/Jobs-KV"]
      storage:
        - {{bucket: "{SUB}/Microsoft.Storage/storageAccounts/lake", access: read}}
        - {{bucket: "{SUB}/Microsoft.Storage/storageAccounts/lake/blobServices/default/containers/raw-2024"}}
"""
    runtime_config = load_job(write(tmp_path, AZURE.format(runtime=runtime))).config.runtime
    assert runtime_config.environment_id and runtime_config.registry_id


def test_every_azure_reference_problem_is_reported_at_once(tmp_path: Path) -> None:
    """One error per bad value, in file order, instead of the first one only."""
    runtime = f"""\
    schedule: "0 3 ? * *"
    env: {{AZURE_CLIENT_ID: x}}
    secrets:
      A: https://jobs-kv.vault.azure.net/secrets/a_token
      B: https://other-kv.vault.azure.net/secrets/b
    permissions:
      secrets: ["{SUB}/Microsoft.KeyVault/vaults/jobs-kv", "jobs-kv"]
      storage:
        - {{bucket: "{SUB}/Microsoft.Storage/storageAccounts/lake"}}
        - {{bucket: "{SUB}/Microsoft.Storage/storageAccounts/lake/containers/raw"}}
"""
    assert errors_of(tmp_path, AZURE.format(runtime=runtime)) == [
        "infrastructure.runtime.schedule: day-of-month field '?' is not unix cron",
        "infrastructure.runtime.env.AZURE_CLIENT_ID: reserved: the platform sets it to the client id of the job "
        "identity",
        "infrastructure.runtime.secrets.A: not a Key Vault secret URL",
        "infrastructure.runtime.secrets.B: Key Vault 'other-kv' is not in permissions.secrets",
        "infrastructure.runtime.permissions.secrets[1]: not a Key Vault resource id",
        "infrastructure.runtime.permissions.storage[1].bucket: not a storage account resource id (it ends "
        "'...rage/storageAccounts/lake/containers/raw')",
    ]


@pytest.mark.parametrize("bucket", ["acme-raw", "acme_raw.2024", "a.b.c", "abc"])
def test_gcp_bucket_names_are_accepted(tmp_path: Path, bucket: str) -> None:
    runtime = f"    permissions:\n      storage: [{{bucket: {bucket}}}]\n"
    assert (
        load_job(write(tmp_path, GCP.format(runtime=runtime))).config.runtime.permissions.storage[0].bucket
        == bucket
    )


@pytest.mark.parametrize("bucket", ["gs://acme-raw", "acme-raw/landing", "Acme-Raw", "ab", "x" * 64, "-acme"])
def test_gcp_bucket_urls_and_paths_are_refused(tmp_path: Path, bucket: str) -> None:
    runtime = f"    permissions:\n      storage: [{{bucket: '{bucket}'}}]\n"
    (error,) = errors_of(tmp_path, GCP.format(runtime=runtime))
    assert error == "infrastructure.runtime.permissions.storage[0].bucket: not a bare bucket name"


@pytest.mark.parametrize(
    ("mode", "timeout", "ok"), [("service", 3600, True), ("service", 3601, False), ("job", 86400, True)]
)
def test_gcp_service_request_timeout_is_capped_by_the_schema(
    tmp_path: Path, mode: str, timeout: int, ok: bool
) -> None:
    text = GCP.format(runtime=runtime_block(mode=mode, timeout_seconds=str(timeout)))
    if ok:
        assert load_job(write(tmp_path, text)).config.runtime.timeout_seconds == timeout
    else:
        assert errors_of(tmp_path, text) == [
            "infrastructure.runtime.timeout_seconds: longer than a Cloud Run service request may take"
        ]


def test_bad_platform_settings_are_reported_with_the_jobs_own_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = tmp_path / "platform.yaml"
    settings.write_text("backend:\n  type: floppy\n")
    monkeypatch.setenv("DATIVO_PLATFORM_SETTINGS", str(settings))
    write(tmp_path, BASE.replace("aws_fargate", "aws_batch"))
    with pytest.raises(ErrorReport) as caught:
        load_jobs([str(tmp_path)])
    assert sorted(e.path for e in caught.value) == ["backend.type", "infrastructure.runtime.type"]


# --- strictness: whole-text patterns, values as YAML typed them --------------------------------------
@pytest.mark.parametrize(
    ("old", "new", "path"),
    [
        ("tenant_id: acme", 'tenant_id: "acme\\n"', "tenant_id"),
        ("environment: prod", 'environment: "prod\\n"', "environment"),
        ("region: us-east-1", 'region: "us-east-1\\n"', "infrastructure.region"),
        ("job_name: stripe_customers_to_iceberg", 'job_name: "orders\\n"', "infrastructure.tags.job_name"),
        (
            "type: aws_fargate",
            'type: aws_fargate\n    env: {"NAME\\n": x}',
            "infrastructure.runtime.env.NAME\n",
        ),
        (
            "cluster_name: ",
            '"cluster_name\\n": "{{terraform_outputs.cluster_name}}"\n    cluster_name: ',
            "infrastructure.resource_identifiers.cluster_name\n",
        ),
    ],
)
def test_a_trailing_newline_never_matches(tmp_path: Path, old: str, new: str, path: str) -> None:
    """Every pattern matches the whole text ('$' would accept a trailing newline)."""
    assert old in BASE
    found = errors_of(tmp_path, BASE.replace(old, new, 1))
    assert [p for p in found if p.startswith(path)], found


@pytest.mark.parametrize(
    ("template", "fields", "path"),
    [
        (AZURE, {"resource_group": '"data\\n"'}, "infrastructure.runtime.resource_group"),
        (
            AZURE,
            {"environment_id": f'"{SUB}/Microsoft.App/managedEnvironments/cae\\n"'},
            "infrastructure.runtime.environment_id",
        ),
        (
            GCP,
            {"permissions": '{storage: [{bucket: "initech-raw\\n"}]}'},
            "infrastructure.runtime.permissions.storage[0].bucket",
        ),
        (GCP, {"secrets": '{TOKEN: "token\\n"}'}, "infrastructure.runtime.secrets.TOKEN"),
    ],
)
def test_a_trailing_newline_never_matches_a_reference(
    tmp_path: Path, template: str, fields: dict[str, str], path: str
) -> None:
    found = errors_of(tmp_path, template.format(runtime=runtime_block(**fields)))
    assert [p for p in found if p.startswith(path)], found


def test_project_id_with_a_trailing_newline_is_refused(tmp_path: Path) -> None:
    text = GCP.format(runtime="").replace("project_id: initech-data-dev", 'project_id: "initech-data-dev\\n"')
    assert errors_of(tmp_path, text) == ["infrastructure.runtime.project_id: does not match the allowed form"]


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("cpu_millicores", '"1000"', "must be a whole number"),
        ("cpu_millicores", "true", "must be a whole number"),
        ("cpu_millicores", "1000.0", "must be a whole number"),
        ("retries", '"0"', "must be a whole number"),
        ("scaling", '{parallelism: "2"}', "must be a whole number"),
        ("network", '{assign_public_ip: "yes"}', "must be true or false"),
        ("network", "{assign_public_ip: 1}", "must be true or false"),
        ("network", '{assign_public_ip: "true"}', "must be true or false"),
    ],
)
def test_no_coercion(tmp_path: Path, field: str, value: str, problem: str) -> None:
    text = BASE.replace("type: aws_fargate", f"type: aws_fargate\n    {field}: {value}")
    found = errors_of(tmp_path, text)
    assert len(found) == 1 and found[0].endswith(f": {problem}"), found


def test_enums_and_literals_still_take_their_yaml_strings(tmp_path: Path) -> None:
    """Strict models: the provider enum and the runtime type, mode, ingress, access literals come
    from YAML as plain strings and are still accepted."""
    text = BASE.replace(
        "type: aws_fargate",
        "type: aws_fargate\n    mode: service\n    ingress: none\n    permissions:\n"
        "      storage: [{bucket: acme-raw, access: read_write}]",
    )
    job = load_job(write(tmp_path, text)).config
    assert job.infrastructure.provider == "aws" and job.runtime.TYPE is RuntimeType.AWS_FARGATE
    assert (job.runtime.mode, job.runtime.ingress) == ("service", "none")
    gcp = load_job(write(tmp_path, GCP.format(runtime=runtime_block(deletion_protection="false")), "g.yaml"))
    assert gcp.config.runtime.deletion_protection is False
