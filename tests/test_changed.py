"""``dativo-infra changed``: which jobs a git change deploys or destroys (the CI matrix).

Every test builds a throw-away git repository from the real example jobs, commits a base, makes
one kind of change, commits it and asks :func:`dativo_infra.changed.detect` (or the CLI) about it.
Expected stack names come from the project's loader, never from literals.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dativo_infra.changed import ChangeSet, detect
from dativo_infra.config.loader import load_jobs
from dativo_infra.errors import ErrorReport, JobError

ROOT = Path(__file__).resolve().parent.parent
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
    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, env=GIT_ENV, check=True, capture_output=True, text=True).stdout


def commit(repo: Path, message: str = "change") -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)


def with_job_name(text: str, old: str, new: str) -> str:
    assert f"job_name: {old}" in text
    return text.replace(f"job_name: {old}", f"job_name: {new}")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repo (branch main, tag ``base``) with the example jobs, platform settings, shared files,
    two asset definitions and three jobs that reference them through ``asset_path``."""
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "jobs", repo / "jobs")
    for name in ("pyproject.toml", "package-lock.json", "package.json", "cdktf.json", "app.py"):
        shutil.copy(ROOT / name, repo / name)
    (repo / "dativo_infra").mkdir()
    (repo / "dativo_infra" / "shared.py").write_text('"""Stands in for the project package."""\nVALUE = 1\n')
    (repo / "README.md").write_text("# test repo\n")
    (repo / "jobs/acme/assets").mkdir(exist_ok=True)
    (repo / ASSET_A).write_text("name: customers\nteam:\n  owner: billing@acme.example\n")
    (repo / ASSET_B).write_text("name: orders\nteam:\n  owner: orders@acme.example\n")
    # the example already points at its own asset: these jobs point at theirs instead
    stripe = re.sub(r"^asset_path: .*\n", "", (repo / STRIPE).read_text(), flags=re.M)
    for job, asset in ASSET_JOBS.items():
        text = with_job_name(stripe, "stripe_customers_to_iceberg", Path(job).stem)
        (repo / job).write_text(text.replace("tenant_id: acme\n", f"tenant_id: acme\nasset_path: {asset}\n", 1))
    git(repo, "init", "-q", "--initial-branch=main")
    commit(repo, "base")
    git(repo, "tag", "base")
    return repo


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
    # -P: the test repo's own dativo_infra/ directory must not shadow the real package.
    return subprocess.run([sys.executable, "-P", "-m", "dativo_infra.cli", "changed", *args], cwd=repo,
                          capture_output=True, text=True, env=env or GIT_ENV, check=False)


def test_changed_job_is_the_only_deploy(repo: Path) -> None:
    path = repo / STRIPE
    path.write_text(path.read_text().replace("cpu_millicores: 1000", "cpu_millicores: 2000"))
    commit(repo)
    changes = detect("base", cwd=repo)
    assert included(changes) == {STRIPE: expected_jobs(repo)[STRIPE]}
    assert included(changes)[STRIPE][1] == "aws"
    assert changes.destroy == [] and changes.all is False


def test_added_job_is_deployed(repo: Path) -> None:
    added = "jobs/globex/hubspot_companies_to_adls.yaml"
    text = with_job_name((repo / HUBSPOT).read_text(), "hubspot_contacts_to_adls", "hubspot_companies_to_adls")
    (repo / added).write_text(text)
    commit(repo)
    changes = detect("base", "HEAD", cwd=repo)
    assert included(changes) == {added: expected_jobs(repo)[added]}
    assert included(changes)[added][1] == "azure"
    assert changes.destroy == []


def test_deleted_job_is_destroyed_with_the_stack_of_its_base_content(repo: Path) -> None:
    before = expected_jobs(repo)[ORDERS]
    git(repo, "rm", "-q", ORDERS)
    commit(repo)
    changes = detect("base", cwd=repo)
    assert changes.include == []
    assert destroyed(changes) == {ORDERS: before}
    assert ORDERS not in expected_jobs(repo)


def test_renamed_job_with_the_same_stack_deploys_the_new_path_and_destroys_nothing(repo: Path) -> None:
    before = expected_jobs(repo)[STRIPE]
    moved = "jobs/acme/billing/stripe_customers_to_iceberg.yaml"
    (repo / moved).parent.mkdir()
    git(repo, "mv", STRIPE, moved)
    commit(repo)
    changes = detect("base", cwd=repo)
    assert included(changes) == {moved: before}  # same tenant/job name: the stack (and its state) stays
    assert changes.destroy == []


def test_renamed_job_with_a_new_name_is_delete_old_plus_add_new(repo: Path) -> None:
    before = expected_jobs(repo)[STRIPE]
    renamed = "jobs/acme/stripe_customers_v2.yaml"
    text = with_job_name((repo / STRIPE).read_text(), "stripe_customers_to_iceberg", "stripe_customers_v2")
    git(repo, "rm", "-q", STRIPE)
    (repo / renamed).write_text(text)
    commit(repo)
    changes = detect("base", cwd=repo)
    assert included(changes) == {renamed: expected_jobs(repo)[renamed]}
    assert destroyed(changes) == {STRIPE: before}
    assert before[0] != included(changes)[renamed][0]


def test_job_whose_stack_name_changes_in_place_destroys_the_old_stack(repo: Path) -> None:
    before = expected_jobs(repo)[STRIPE]
    path = repo / STRIPE
    path.write_text(with_job_name(path.read_text(), "stripe_customers_to_iceberg", "stripe_customers_daily"))
    commit(repo)
    changes = detect("base", cwd=repo)
    assert included(changes) == {STRIPE: expected_jobs(repo)[STRIPE]}
    assert destroyed(changes) == {STRIPE: before}


@pytest.mark.parametrize("shared", [
    "dativo_infra/shared.py", "jobs/platform.yaml", "package-lock.json", "pyproject.toml", "app.py", "cdktf.json",
])
def test_shared_change_deploys_every_job(repo: Path, shared: str) -> None:
    path = repo / shared
    path.write_text(path.read_text() + ("\n" if shared.endswith(".json") else "\n# touched\n"))
    commit(repo)
    changes = detect("base", cwd=repo)
    assert changes.all is True
    assert included(changes) == expected_jobs(repo)
    assert set(ASSET_JOBS) | {STRIPE, ORDERS, HUBSPOT} <= set(included(changes))
    assert changes.destroy == []


def test_new_file_in_a_shared_directory_deploys_every_job(repo: Path) -> None:
    (repo / "schemas").mkdir()
    (repo / "schemas/job.schema.json").write_text("{}\n")
    commit(repo)
    assert detect("base", cwd=repo).all is True


def test_shared_change_and_deleted_job_together(repo: Path) -> None:
    before = expected_jobs(repo)[HUBSPOT]
    git(repo, "rm", "-q", HUBSPOT)
    (repo / "dativo_infra/shared.py").write_text("VALUE = 2\n")
    commit(repo)
    changes = detect("base", cwd=repo)
    assert changes.all is True
    assert included(changes) == expected_jobs(repo)
    assert destroyed(changes) == {HUBSPOT: before}


def test_asset_change_deploys_only_the_jobs_referencing_it(repo: Path) -> None:
    (repo / ASSET_A).write_text("name: customers\nteam:\n  owner: crm@acme.example\n")
    commit(repo)
    changes = detect("base", cwd=repo)
    want = {job for job, asset in ASSET_JOBS.items() if asset.endswith("ci_test_customers.yaml")}
    assert set(included(changes)) == want == {"jobs/acme/customers_enriched.yaml", "jobs/acme/customers_snapshot.yaml"}
    assert included(changes) == {job: expected_jobs(repo)[job] for job in want}
    assert changes.all is False and changes.destroy == []


def test_deleted_asset_redeploys_its_jobs_so_the_breakage_shows(repo: Path) -> None:
    git(repo, "rm", "-q", ASSET_B)
    commit(repo)
    assert [d.job for d in detect("base", cwd=repo).include] == ["jobs/acme/orders_backfill.yaml"]


def test_no_change_and_unrelated_change_are_empty(repo: Path) -> None:
    empty = detect("base", cwd=repo)
    assert (empty.include, empty.destroy, empty.all) == ([], [], False)
    (repo / "README.md").write_text("# docs only\n")
    commit(repo)
    docs = detect("base", cwd=repo)
    assert (docs.include, docs.destroy, docs.all) == ([], [], False)
    assert docs.head == git(repo, "rev-parse", "HEAD").strip()


def test_only_committed_content_counts_not_the_work_tree(repo: Path) -> None:
    (repo / STRIPE).write_text((repo / STRIPE).read_text() + "\n# uncommitted\n")
    assert detect("base", cwd=repo).include == []


def test_pull_request_sees_only_its_own_changes_when_main_moved_on(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / ORDERS).write_text((repo / ORDERS).read_text().replace("cost_center:", "owner: x\n    cost_center:", 1))
    commit(repo, "feature")
    git(repo, "checkout", "-q", "main")
    (repo / HUBSPOT).write_text((repo / HUBSPOT).read_text() + "\n# main moved on\n")
    commit(repo, "main")
    changes = detect("main", "feature", cwd=repo)
    assert [d.job for d in changes.include] == [ORDERS]
    assert changes.base == git(repo, "rev-parse", "base").strip()


def test_invalid_job_to_deploy_is_a_positioned_error(repo: Path) -> None:
    path = repo / STRIPE
    path.write_text(path.read_text().replace("provider: aws", "provider: oracle"))
    commit(repo)
    with pytest.raises(ErrorReport) as caught:
        detect("base", cwd=repo)
    assert any(e.file == STRIPE and e.path == "infrastructure.provider" and e.line > 1 for e in caught.value)


def test_deleted_job_whose_base_content_was_invalid_destroys_nothing_but_warns(repo: Path) -> None:
    path = repo / ORDERS
    path.write_text(path.read_text().replace("provider: aws", "provider: oracle"))
    commit(repo, "broken")
    git(repo, "tag", "broken")
    git(repo, "rm", "-q", ORDERS)
    commit(repo)
    changes = detect("broken", cwd=repo)
    assert changes.destroy == [] and changes.include == []
    assert len(changes.warnings) == 1 and ORDERS in changes.warnings[0] and "provider" in changes.warnings[0]


def test_bad_ref_is_a_job_error(repo: Path) -> None:
    with pytest.raises(JobError) as caught:
        detect("no-such-branch", cwd=repo)
    assert caught.value.file == "--base" and "no-such-branch" in str(caught.value)
    with pytest.raises(JobError) as caught:
        detect("base", "--output=x", cwd=repo)
    assert caught.value.file == "--head"


def test_project_in_a_subdirectory_of_the_repository(tmp_path: Path) -> None:
    top = tmp_path / "mono"
    project = top / "infra"
    shutil.copytree(ROOT / "jobs", project / "jobs")
    (top / "other").mkdir()
    (top / "other/pyproject.toml").write_text("[project]\nname = 'other'\n")
    git(top, "init", "-q", "--initial-branch=main")
    commit(top, "base")
    (top / "other/pyproject.toml").write_text("[project]\nname = 'changed'\n")  # not this project's
    (project / HUBSPOT).write_text((project / HUBSPOT).read_text() + "\n# edit\n")
    commit(top)
    changes = detect("HEAD~1", cwd=project)
    assert [d.job for d in changes.include] == [HUBSPOT] and changes.all is False


# --- through the CLI ------------------------------------------------------------------------


def test_cli_prints_the_matrix_json(repo: Path) -> None:
    git(repo, "rm", "-q", ORDERS)
    (repo / ASSET_B).write_text("name: orders\n")
    commit(repo)
    proc = run_cli(repo, "--base", "base", "--head", "HEAD", "--jobs-dir", "jobs")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert list(data) == ["all", "destroy", "include"]
    assert data["all"] is False
    base_jobs = expected_jobs(repo, None)
    assert data["include"] == [{"job": "jobs/acme/orders_backfill.yaml", "stack": base_jobs["jobs/acme/orders_backfill.yaml"][0],
                                "provider": "aws"}]
    assert [d["job"] for d in data["destroy"]] == [ORDERS]
    assert set(data["destroy"][0]) == {"job", "stack", "provider"}
    assert run_cli(repo, "--base", "base").stdout == proc.stdout  # deterministic, default head HEAD


def test_cli_github_output(repo: Path, tmp_path: Path) -> None:
    (repo / "jobs/platform.yaml").write_text((repo / "jobs/platform.yaml").read_text() + "\n# touched\n")
    git(repo, "rm", "-q", HUBSPOT)
    commit(repo)
    out = tmp_path / "github_output"
    out.write_text("earlier=kept\n")
    proc = run_cli(repo, "--base", "base", "--github-output", env={**GIT_ENV, "GITHUB_OUTPUT": str(out)})
    assert proc.returncode == 0, proc.stderr
    lines = dict(line.split("=", 1) for line in out.read_text().splitlines())
    assert lines["earlier"] == "kept"  # appended, not overwritten
    printed = json.loads(proc.stdout)
    assert json.loads(lines["matrix"]) == {"include": printed["include"]}
    assert json.loads(lines["destroy"]) == {"include": printed["destroy"]}
    assert len(printed["include"]) == len(expected_jobs(repo)) and printed["all"] is True
    assert [d["job"] for d in printed["destroy"]] == [HUBSPOT]
    assert (lines["has_changes"], lines["has_deploy"], lines["has_destroy"], lines["all"]) == ("true",) * 4
    assert lines["head"] == git(repo, "rev-parse", "HEAD").strip()


def test_cli_github_output_without_changes(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "github_output"
    proc = run_cli(repo, "--base", "base", "--github-output", env={**GIT_ENV, "GITHUB_OUTPUT": str(out)})
    assert proc.returncode == 0, proc.stderr
    lines = dict(line.split("=", 1) for line in out.read_text().splitlines())
    assert (lines["has_changes"], lines["has_deploy"], lines["has_destroy"]) == ("false",) * 3
    assert json.loads(lines["matrix"]) == {"include": []}


def test_cli_github_output_needs_the_variable(repo: Path) -> None:
    env = {k: v for k, v in GIT_ENV.items() if k != "GITHUB_OUTPUT"}
    proc = run_cli(repo, "--base", "base", "--github-output", env=env)
    assert proc.returncode == 2 and "GITHUB_OUTPUT is not set" in proc.stderr


def test_cli_bad_ref_exits_2_with_a_clear_message(repo: Path) -> None:
    proc = run_cli(repo, "--base", "origin/nope")
    assert proc.returncode == 2
    assert "--base: unknown git revision, got 'origin/nope'" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_cli_outside_a_repository_exits_2(tmp_path: Path) -> None:
    proc = run_cli(tmp_path, "--base", "HEAD")
    assert proc.returncode == 2 and "git" in proc.stderr and "Traceback" not in proc.stderr


def test_cli_invalid_job_exits_2(repo: Path) -> None:
    path = repo / STRIPE
    path.write_text(path.read_text().replace("provider: aws", "provider: oracle"))
    commit(repo)
    proc = run_cli(repo, "--base", "base")
    assert proc.returncode == 2
    assert f"{STRIPE}:" in proc.stderr and "infrastructure.provider" in proc.stderr
