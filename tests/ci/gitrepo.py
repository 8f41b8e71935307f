"""Throw-away git repositories for the ``dativo_infra.ci`` tests: built from the real example jobs,
changed and committed one kind of change at a time. Expected stack names come from the project's
loader (:func:`expected_jobs`), never from literals.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from dativo_infra.ci.legs import ChangeSet
from dativo_infra.config.loader import load_jobs
from tests.cli import in_process

ROOT = Path(__file__).resolve().parent.parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "jobs"
STRIPE = "jobs/acme/stripe_customers_to_iceberg.yaml"
ORDERS = "jobs/acme/orders_cdc_stream.yaml"
HUBSPOT = "jobs/globex/hubspot_contacts_to_adls.yaml"
ASSET_A = "jobs/acme/assets/ci_test_customers.yaml"
ASSET_B = "jobs/acme/assets/ci_test_orders.yaml"
ASSET_JOBS = {  # job file -> the asset it references (relative to the job file)
    "jobs/acme/customers_enriched.yaml": "assets/ci_test_customers.yaml",
    "jobs/acme/customers_snapshot.yaml": "./assets/../assets/ci_test_customers.yaml",
    "jobs/acme/orders_backfill.yaml": "assets/ci_test_orders.yaml",
}

GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}
GIT_ENV.pop("DATIVO_PLATFORM_SETTINGS", None)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, env=GIT_ENV, check=True, capture_output=True, text=True
    ).stdout


def commit(repo: Path, message: str = "change") -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)


def with_job_name(text: str, old: str, new: str) -> str:
    assert f"job_name: {old}" in text
    return text.replace(f"job_name: {old}", f"job_name: {new}")


def expected_jobs(repo: Path, ref_files: list[str] | None = None) -> dict[str, tuple[str, str]]:
    """{job path: (stack, provider)} for the job files in the work tree, via the project's loader."""
    cwd = os.getcwd()
    os.chdir(repo)
    try:
        jobs = load_jobs(ref_files or ["jobs"])
    finally:
        os.chdir(cwd)
    return {j.file: (j.stack_name, j.config.infrastructure.provider.value) for j in jobs}


def included(changes: ChangeSet) -> dict[str, tuple[str, str]]:
    return {d.job: (d.stack, d.provider) for d in changes.include}


def destroyed(changes: ChangeSet) -> dict[str, tuple[str, str]]:
    return {d.job: (d.stack, d.provider) for d in changes.destroy}


def run_cli(repo: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``dativo-infra changed ARGS`` in ``repo`` (in this process, :func:`tests.cli.in_process`)."""
    return in_process("changed", *args, cwd=repo, env=env or GIT_ENV)
