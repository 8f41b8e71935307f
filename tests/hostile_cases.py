"""The hostile corpus: job files, outputs files and file-system tricks a hostile user can hand the CLI.

Each :class:`Case` builds its files in a fresh workspace (a copy of the example ``jobs/`` tree, a
secret file outside it) and names the command to run; ``expect`` is a fragment of the message that
proves the refusal. :mod:`tests.test_hostile` runs every case and checks what every refusal must
satisfy (exit 2, no traceback, no secret echoed, no ``::`` line, no raw control character, no file
changed). Cases are generated per category from the example jobs, plus every invalid fixture.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

#: Text that must never reach the output: it sits only in files outside the jobs tree.
SECRET = "HOSTILE-SECRET-7f3a9c"
PRIVATE_KEY = f"-----BEGIN OPENSSH PRIVATE KEY----- {SECRET} -----END OPENSSH PRIVATE KEY-----\n"
INVALID_FIXTURES = Path("tests/fixtures/jobs/invalid").resolve()

#: The example jobs, by what they are (paths relative to the workspace).
AWS_JOBS = ("jobs/acme/stripe_customers_to_iceberg.yaml", "jobs/acme/orders_cdc_stream.yaml",
            "jobs/umbrella/shipments_api_to_s3.yaml")  # fmt: skip
OLDER_JOB = "jobs/umbrella/hr_employees_csv_to_iceberg.yaml"
AZURE_JOBS = ("jobs/globex/hubspot_contacts_to_adls.yaml", "jobs/globex/events_api_service.yaml",
              "jobs/globex/orders_queue_worker.yaml")  # fmt: skip
GCP_JOBS = ("jobs/initech/salesforce_accounts_to_bq.yaml", "jobs/initech/clickstream_collector.yaml")
CANONICAL_JOBS = (*AWS_JOBS, *AZURE_JOBS, *GCP_JOBS)
ALL_JOBS = (*CANONICAL_JOBS, OLDER_JOB)

Build = Callable[[Path], list[str]]


@dataclass(frozen=True)
class Case:
    """One hostile input: ``build(work)`` writes it under the workspace ``work`` (the working
    directory of the command) and returns the CLI arguments; ``expect`` is in the messages."""

    name: str
    build: Build
    expect: str
    #: Environment variables the command runs with.
    env: tuple[tuple[str, str], ...] = ()


_yaml = YAML(typ="safe", pure=False)  # the C emitter: comments are not needed, speed is
_yaml.width = 4096


def edit(work: Path, job: str, changes: dict[tuple[Any, ...], Any]) -> None:
    """Set each path of ``changes`` in the job file (None as a value deletes the key)."""
    path = work / job
    data = _yaml.load(path.read_text(encoding="utf-8"))
    for keys, value in changes.items():
        node = data
        for key in keys[:-1]:
            node = node.setdefault(key, {}) if isinstance(node, dict) else node[key]
        if value is None:
            node.pop(keys[-1], None)
        else:
            node[keys[-1]] = value
    out = io.StringIO()
    _yaml.dump(data, out)
    path.write_text(out.getvalue(), encoding="utf-8")


def validate(job: str) -> list[str]:
    return ["validate", job]


def edited(job: str, changes: dict[tuple[Any, ...], Any], command: list[str] | None = None) -> Build:
    def build(work: Path) -> list[str]:
        edit(work, job, changes)
        return command or validate(job)

    return build


def slug(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text).strip("_")[:40]


def short(job: str) -> str:
    return Path(job).stem[:16]


# --- 1. contents of files outside the jobs tree ----------------------------------------------------


def asset_cases() -> Iterator[Case]:
    def absolute(work: Path) -> str:
        return str(work.parent / "private" / "id_rsa")

    def link(work: Path) -> str:
        (work / "jobs" / "acme" / "assets" / "key.yaml").symlink_to(work.parent / "private" / "id_rsa")
        return "assets/key.yaml"

    targets: dict[str, Callable[[Path], str]] = {
        "absolute": absolute,
        "climb": lambda work: "../../../private/id_rsa",
        "symlink": link,
        "etc_passwd": lambda work: "/etc/passwd",
        "dev_zero": lambda work: "/dev/zero",
        "directory": lambda work: "../../../private",
    }
    for job in ("jobs/acme/stripe_customers_to_iceberg.yaml", *AZURE_JOBS, *GCP_JOBS, OLDER_JOB):
        for kind, target in targets.items():

            def build(work: Path, job: str = job, target: Callable[[Path], str] = target) -> list[str]:
                edit(work, job, {("asset_path",): target(work)})
                return validate(job)

            yield Case(f"asset-{kind}-{short(job)}", build, "asset_path")

    def job_link(work: Path) -> list[str]:
        (work / "jobs" / "acme" / "key.yaml").symlink_to(work.parent / "private" / "id_rsa")
        return ["validate", "jobs"]

    def named_link(work: Path) -> list[str]:
        (work / "key.yaml").symlink_to(work.parent / "private" / "id_rsa")
        return ["validate", "key.yaml"]

    def settings_link(work: Path) -> list[str]:
        return ["validate", "jobs"]

    def outputs_secret(work: Path) -> list[str]:
        return ["render", "--job", AWS_JOBS[0], "--outputs", str(work.parent / "private" / "id_rsa")]

    yield Case("job-symlink-out-of-tree", job_link, "jobs/acme/key.yaml")
    yield Case("job-named-symlink-to-key", named_link, "key.yaml")
    yield Case(
        "settings-are-a-key", settings_link, "id_rsa", (("DATIVO_PLATFORM_SETTINGS", "../private/id_rsa"),)
    )
    yield Case("outputs-are-a-key", outputs_secret, "id_rsa")


# --- 2. wildcards and policy variables in grants ---------------------------------------------------

ACCOUNT = "123456789012"
WILDCARD = "wildcards are not allowed"
AWS_GRANTS: dict[str, dict[tuple[Any, ...], Any]] = {
    "bucket-star": {("permissions", "storage"): [{"bucket": "*", "access": "read"}]},
    "bucket-glob": {("permissions", "storage"): [{"bucket": "acme-*", "access": "read_write"}]},
    "bucket-policy-var": {("permissions", "storage"): [{"bucket": "${aws:username}", "access": "read"}]},
    "bucket-arn": {("permissions", "storage"): [{"bucket": "arn:aws:s3:::acme", "access": "read"}]},
    "prefix-policy-var": {
        ("permissions", "storage"): [{"bucket": "acme-data", "access": "write", "prefix": "${aws:username}/"}]
    },
    "prefix-star": {("permissions", "storage"): [{"bucket": "acme-data", "access": "read", "prefix": "a/*"}]},
    "prefix-question": {("permissions", "storage"): [{"bucket": "acme-data", "prefix": "a?/"}]},
    "secrets-star": {("permissions", "secrets"): ["*"]},
    "secrets-arn-star": {
        ("permissions", "secrets"): [f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:*"]
    },
    "secrets-policy-var": {
        ("permissions", "secrets"): [f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:${{aws:userid}}"]
    },
    "kms-star": {("permissions", "kms_keys"): ["*"]},
    "kms-arn-star": {("permissions", "kms_keys"): [f"arn:aws:kms:us-east-1:{ACCOUNT}:key/*"]},
    "container-secret-star": {("secrets",): {"TOKEN": "*"}},
    "container-ssm-star": {("secrets",): {"TOKEN": f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/*"}},
    "log-kms-star": {("log_kms_key_arn",): "*"},
}
GCP_GRANTS: dict[str, dict[tuple[Any, ...], Any]] = {
    "bucket-star": {("permissions", "storage"): [{"bucket": "*"}]},
    "bucket-glob": {("permissions", "storage"): [{"bucket": "initech-*"}]},
    "secrets-star": {("permissions", "secrets"): ["*"]},
    "secrets-project-star": {("permissions", "secrets"): ["projects/*/secrets/*"]},
    "container-secret-star": {("secrets",): {"TOKEN": "*"}},
    "prefix-star": {("permissions", "storage"): [{"bucket": "initech-lake", "prefix": "raw/*"}]},
    "prefix-template": {("permissions", "storage"): [{"bucket": "initech-lake", "prefix": "raw/${var.x}"}]},
    "invoker-star": {("invokers",): ["user:*@initech.example"]},
    "invoker-pool-star": {
        ("invokers",): ["principalSet://iam.googleapis.com/locations/global/workforcePools/staff/*"]
    },
    "role-star": {("permissions", "roles"): [{"role": "roles/bigquery.*"}]},
    "role-template": {("permissions", "roles"): [{"role": "projects/${var.p}/roles/loader"}]},
    "role-dataset-star": {
        ("permissions", "roles"): [{"role": "roles/bigquery.dataViewer", "resource": "datasets/*"}]
    },
    "role-topic-template": {
        ("permissions", "roles"): [{"role": "roles/pubsub.publisher", "resource": "topics/${var.t}"}]
    },
}
_SUBSCRIPTION = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/"
AZURE_GRANTS: dict[str, dict[tuple[Any, ...], Any]] = {
    "storage-star": {("permissions", "storage"): [{"bucket": "*"}]},
    "storage-group-star": {
        ("permissions", "storage"): [
            {"bucket": _SUBSCRIPTION + "*/providers/Microsoft.Storage/storageAccounts/x"}
        ]
    },
    "vault-star": {("permissions", "secrets"): ["*"]},
    "secret-url-star": {("secrets",): {"TOKEN": "https://*.vault.azure.net/secrets/x"}},
    "identity-star": {
        ("existing_identity_id",): _SUBSCRIPTION
        + "data/providers/Microsoft.ManagedIdentity/userAssignedIdentities/*"
    },
    "identity-template": {
        ("existing_identity_id",): _SUBSCRIPTION
        + "data/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${var.id}"
    },
    "role-star": {("permissions", "roles"): [{"role": "Storage*", "scope": _SUBSCRIPTION + "data"}]},
    "role-scope-template": {
        ("permissions", "roles"): [{"role": "Reader", "scope": _SUBSCRIPTION + "${var.rg}"}]
    },
    "scale-namespace-star": {
        ("scaling", "rules"): [
            {
                "name": "q",
                "type": "service_bus_queue",
                "namespace_id": _SUBSCRIPTION + "data/providers/Microsoft.ServiceBus/namespaces/*",
                "queue": "orders",
                "connection_secret": "https://globex-kv.vault.azure.net/secrets/x",
            }
        ]
    },
    "volume-account-template": {
        ("volumes",): [
            {
                "name": "files",
                "type": "azure_file",
                "account_id": _SUBSCRIPTION + "${var.rg}/providers/Microsoft.Storage/storageAccounts/lake",
                "share": "files",
                "mount_path": "/files",
            }
        ]
    },
}


def grant_cases() -> Iterator[Case]:
    for jobs, grants in ((AWS_JOBS, AWS_GRANTS), (GCP_JOBS, GCP_GRANTS), (AZURE_JOBS, AZURE_GRANTS)):
        for job in jobs:
            for name, change in grants.items():
                runtime = {("infrastructure", "runtime", *keys): value for keys, value in change.items()}
                expect = WILDCARD if any(mark in repr(change) for mark in "*?$") else "not an S3 bucket name"
                yield Case(f"grant-{name}-{short(job)}", edited(job, runtime), expect)


# --- 3. reads that never end -----------------------------------------------------------------------


def read_cases() -> Iterator[Case]:
    def fifo_in_dir(work: Path) -> list[str]:
        os.mkfifo(work / "jobs" / "acme" / "pipe.yaml")
        return ["validate", "jobs"]

    def fifo_named(work: Path) -> list[str]:
        os.mkfifo(work / "pipe.yaml")
        return ["validate", "pipe.yaml"]

    def device(name: str) -> Build:
        def build(work: Path) -> list[str]:
            (work / "jobs" / "acme" / "dev.yaml").symlink_to(name)
            return ["validate", "jobs"]

        return build

    def big(work: Path) -> list[str]:
        (work / "big.yaml").write_text("tenant_id: acme\n" + "# filler\n" * 200_000, encoding="utf-8")
        return ["validate", "big.yaml"]

    def outputs(target: str) -> Build:
        def build(work: Path) -> list[str]:
            if target == "fifo":
                os.mkfifo(work / "outputs.json")
                return ["render", "--job", AWS_JOBS[0], "--outputs", "outputs.json"]
            return ["render", "--job", AWS_JOBS[0], "--outputs", target]

        return build

    def settings_fifo(work: Path) -> list[str]:
        os.mkfifo(work / "settings.yaml")
        return ["validate", "jobs"]

    yield Case("fifo-in-jobs-dir", fifo_in_dir, "pipe.yaml")
    yield Case("fifo-named", fifo_named, "pipe.yaml")
    for name in ("/dev/zero", "/dev/urandom", "/dev/null"):
        yield Case(f"device-{slug(name)}", device(name), "dev.yaml")
    yield Case("too-large", big, "big.yaml")
    yield Case("outputs-dev-zero", outputs("/dev/zero"), "/dev/zero")
    yield Case("outputs-fifo", outputs("fifo"), "outputs.json")
    yield Case("outputs-directory-file", outputs("jobs/platform.yaml"), "platform.yaml")
    yield Case(
        "settings-fifo", settings_fifo, "settings.yaml", (("DATIVO_PLATFORM_SETTINGS", "settings.yaml"),)
    )
    yield Case("settings-dev-zero", lambda work: ["validate", "jobs"], "/dev/zero",
               (("DATIVO_PLATFORM_SETTINGS", "/dev/zero"),))  # fmt: skip


# --- 4. output a CI runner would execute ------------------------------------------------------------

COMMANDS = ("::add-mask::token", "::error file=x.yaml::owned", "::stop-commands::x")


def output_cases() -> Iterator[Case]:
    for job in ALL_JOBS:
        tags = ("infrastructure", "tags")
        for index, command in enumerate(COMMANDS):
            yield Case(
                f"newline-key-{index}-{short(job)}",
                edited(job, {(*tags, f"bad key\n{command}"): "x", ("tenant_id",): f"Bad\n{command}"}),
                "tenant_id",
            )
        yield Case(
            f"escape-value-{short(job)}",
            edited(job, {("environment",): "\x1b[2J\x1b]0;title\x07" + "\r::add-mask::x"}),
            "environment",
        )

    def file_named(name: str) -> Build:
        def build(work: Path) -> list[str]:
            (work / "jobs" / "acme" / name).write_text("tenant_id: [\n", encoding="utf-8")
            return ["validate", "jobs"]

        return build

    for index, command in enumerate(COMMANDS):
        yield Case(f"file-name-newline-{index}", file_named(f"x\n{command}.yaml"), "invalid YAML")
    yield Case("file-name-commands", file_named("::error::x.yaml"), "jobs/acme/::error::x.yaml")

    def top_level(work: Path) -> list[str]:
        (work / "::error::x.yaml").write_text("tenant_id: [\n", encoding="utf-8")
        return ["validate", "::error::x.yaml"]

    yield Case("file-name-commands-top-level", top_level, "./::error::x.yaml:2: invalid YAML")


# --- 5. dialects that would lose data --------------------------------------------------------------


def dialect_cases() -> Iterator[Case]:
    infra = ("infrastructure",)
    mixes: dict[str, dict[tuple[Any, ...], Any]] = {
        "runtime-and-runtime_environment": {
            (*infra, "runtime"): {"type": "aws_fargate", "mode": "service", "cpu_millicores": 4000}
        },
        "provider-and-cloud_provider": {(*infra, "provider"): "gcp"},
        "JobName-and-job_name": {(*infra, "tags", "job_name"): "other_name"},
        "Team-and-team": {(*infra, "tags", "team"): "other_team"},
        "cpu_units-and-cpu_millicores": {(*infra, "runtime_environment", "cpu_millicores"): 4000},
        "memory_mb-and-memory_mib": {(*infra, "runtime_environment", "memory_mib"): 8192},
        "storage-gb-and-gib": {(*infra, "runtime_environment", "ephemeral_storage_gib"): 50},
    }
    for name, change in mixes.items():
        yield Case(f"dialect-{name}", edited(OLDER_JOB, change), "both map to")
    yield Case(
        "canonical-with-runtime_environment",
        edited(AWS_JOBS[0], {(*infra, "runtime_environment"): {"compute_type": "cloud_run"}}),
        "both map to runtime",
    )


# --- 6. render: read-only jobs, outputs that nest or lie -------------------------------------------


def _outputs_for(work: Path, job: str) -> Path:
    """A cdktf outputs file with every output the job could reference."""
    from dativo_infra.config.loader import load_jobs
    from dativo_infra.contract import OUTPUTS

    loaded = load_jobs([str(work / job)])[0]
    path = work / "outputs.json"
    values = {name: f"value-of-{name}" for name in OUTPUTS[loaded.config.runtime.TYPE]}
    path.write_text(json.dumps({loaded.stack_name: values}), encoding="utf-8")
    return path


def render_cases() -> Iterator[Case]:
    for job in ALL_JOBS:

        def read_only(work: Path, job: str = job) -> list[str]:
            outputs = _outputs_for(work, job)
            (work / job).chmod(0o444)
            return ["render", "--job", job, "--outputs", str(outputs), "--in-place"]

        yield Case(f"render-read-only-{short(job)}", read_only, "read-only")

    def nested(opening: str, depth: int) -> Build:
        def build(work: Path) -> list[str]:
            (work / "outputs.json").write_text(opening * depth, encoding="utf-8")
            return ["render", "--job", AWS_JOBS[0], "--outputs", "outputs.json"]

        return build

    for opening in ("[", '{"a":'):
        for depth in (100, 100_000):
            yield Case(
                f"outputs-nested-{slug(opening) or 'list'}-{depth}", nested(opening, depth), "outputs.json"
            )

    def batch_read_only(work: Path) -> list[str]:
        (work / AWS_JOBS[0]).chmod(0o444)
        outputs = work / "outputs"
        outputs.mkdir()
        return ["render", "--jobs", "jobs", "--outputs", str(outputs), "--in-place"]

    yield Case("render-batch-read-only-without-outputs", batch_read_only, "no outputs for stack")


# --- 7. smaller escapes ----------------------------------------------------------------------------


def strictness_cases() -> Iterator[Case]:
    runtime = ("infrastructure", "runtime")
    region = ("infrastructure", "region")
    per_cloud: dict[str, list[tuple[str, dict[tuple[Any, ...], Any], str]]] = {
        "aws": [
            ("region-mars", {region: "mars-north-9"}, "not an AWS region"),
            ("region-azure", {region: "westeurope"}, "not an AWS region"),
            ("region-typo", {region: "us-est-1"}, "did you mean 'us-east-1' or 'us-west-1'?"),
            ("vpc-id", {(*runtime, "network", "vpc_id"): "vpc-XYZ"}, "not a VPC id"),
            ("subnet-star", {(*runtime, "network", "subnet_ids"): ["subnet-*"]}, "not a subnet id"),
        ],
        "azure": [
            ("region-aws", {region: "us-east-1"}, "not an Azure region (us-east-1 is an AWS region)"),
            ("region-typo", {region: "westeurop"}, "did you mean 'westeurope'?"),
        ],
        "gcp": [
            ("region-mars", {region: "mars-north9"}, "not a GCP region"),
            ("region-typo", {region: "europe-wst1"}, "did you mean 'europe-west1'?"),
            ("project-newline", {(*runtime, "project_id"): "initech-data\n"}, "project_id"),
        ],
    }
    common: list[tuple[str, dict[tuple[Any, ...], Any], str]] = [
        ("job-name-newline", {("infrastructure", "tags", "job_name"): "orders\n"}, "job_name"),
        ("tenant-newline", {("tenant_id",): "acme\n"}, "tenant_id"),
        ("quoted-cpu", {(*runtime, "cpu_millicores"): "1000"}, "must be a whole number, got '1000'"),
        ("bool-cpu", {(*runtime, "cpu_millicores"): True}, "must be a whole number"),
        ("float-cpu", {(*runtime, "cpu_millicores"): 1000.5}, "must be a whole number"),
        ("nan-memory", {(*runtime, "memory_mib"): float("nan")}, "expected an integer"),
        ("inf-memory", {(*runtime, "memory_mib"): float("inf")}, "expected an integer"),
        ("huge-memory", {(*runtime, "memory_mib"): 10**30}, "memory_mib"),
        ("bool-env-value", {(*runtime, "env"): {"A": True}}, "must be a string"),
        ("env-name-newline", {(*runtime, "env"): {"A\nB": "x"}}, "A\\nB"),
    ]
    clouds = {"aws": AWS_JOBS, "azure": AZURE_JOBS, "gcp": GCP_JOBS}
    for cloud, jobs in clouds.items():
        for job in jobs:
            for name, change, expect in [*per_cloud[cloud], *common]:
                yield Case(f"strict-{name}-{short(job)}", edited(job, change), expect)

    def nul(work: Path) -> list[str]:
        path = work / AWS_JOBS[0]
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        lines[9] = lines[9].rstrip("\n") + "\x00\n"
        path.write_text("".join(lines), encoding="utf-8")
        return validate(AWS_JOBS[0])

    def upper_case_extension(work: Path) -> list[str]:
        (work / "jobs" / "acme" / "extra.YAML").write_text("tenant_id: acme\n", encoding="utf-8")
        return ["validate", "jobs"]

    def broken_link(work: Path) -> list[str]:
        (work / "jobs" / "acme" / "gone.yaml").symlink_to(work / "nowhere.yaml")
        return ["validate", "jobs"]

    yield Case("nul-byte-line", nul, ":10:")
    yield Case("upper-case-extension", upper_case_extension, "extra.YAML")
    yield Case("broken-symlink", broken_link, "gone.yaml")


# --- 8. every invalid fixture ----------------------------------------------------------------------


def fixture_cases() -> Iterator[Case]:
    for fixture in sorted(INVALID_FIXTURES.glob("*.yaml")):

        def build(work: Path, fixture: Path = fixture) -> list[str]:
            target = work / "fixture" / fixture.name
            target.parent.mkdir(exist_ok=True)
            target.write_bytes(fixture.read_bytes())
            return ["validate", str(target.relative_to(work))]

        yield Case(f"fixture-{fixture.stem}", build, fixture.name)


def all_cases() -> list[Case]:
    cases = [
        *asset_cases(),
        *grant_cases(),
        *read_cases(),
        *output_cases(),
        *dialect_cases(),
        *render_cases(),
        *strictness_cases(),
        *fixture_cases(),
    ]
    names = [case.name for case in cases]
    assert len(names) == len(set(names)), "case names must be unique"
    return cases
