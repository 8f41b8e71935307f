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

from dativo_infra.changed import MAX_LEGS, ChangeSet, Deploy, detect, pack
from dativo_infra.config.loader import load_jobs
from dativo_infra.errors import ErrorReport, JobError
from dativo_infra.naming import stack_name

ROOT = Path(__file__).resolve().parent.parent
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


@pytest.fixture(autouse=True)
def _default_settings_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATIVO_PLATFORM_SETTINGS", raising=False)


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
        (repo / job).write_text(
            text.replace("tenant_id: acme\n", f"tenant_id: acme\nasset_path: {asset}\n", 1)
        )
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
    return subprocess.run(
        [sys.executable, "-P", "-m", "dativo_infra.cli", "changed", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        env=env or GIT_ENV,
        check=False,
    )


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
    text = with_job_name(
        (repo / HUBSPOT).read_text(), "hubspot_contacts_to_adls", "hubspot_companies_to_adls"
    )
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


@pytest.mark.parametrize(
    "shared",
    [
        "dativo_infra/shared.py",
        "jobs/platform.yaml",
        "package-lock.json",
        "pyproject.toml",
        "app.py",
        "cdktf.json",
    ],
)
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
    assert (
        set(included(changes))
        == want
        == {"jobs/acme/customers_enriched.yaml", "jobs/acme/customers_snapshot.yaml"}
    )
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
    (repo / ORDERS).write_text(
        (repo / ORDERS).read_text().replace("cost_center:", "owner: x\n    cost_center:", 1)
    )
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


def without_cost_center(text: str) -> str:
    """The job with its cost_center tag removed: content today's schema rejects."""
    out = re.sub(r"^    cost_center: .*\n", "", text, flags=re.M)
    assert out != text
    return out


def test_deleted_job_whose_old_content_no_longer_validates_is_still_destroyed(repo: Path) -> None:
    before = expected_jobs(repo)[ORDERS]
    path = repo / ORDERS
    path.write_text(without_cost_center(path.read_text()))
    commit(repo, "no longer valid")
    git(repo, "tag", "broken")
    git(repo, "rm", "-q", ORDERS)
    commit(repo)
    changes = detect("broken", cwd=repo)
    assert changes.include == [] and changes.warnings == []
    assert destroyed(changes) == {ORDERS: before}  # the stack name read leniently: tenant_id + job_name


def test_modified_job_whose_old_content_no_longer_validates_destroys_its_renamed_stack(repo: Path) -> None:
    before = expected_jobs(repo)[STRIPE]
    path = repo / STRIPE
    path.write_text(without_cost_center(path.read_text()))
    commit(repo, "no longer valid")
    git(repo, "tag", "broken")
    path.write_text(
        with_job_name(git(repo, "show", f"base:{STRIPE}"), "stripe_customers_to_iceberg", "stripe_v3")
    )
    commit(repo)
    changes = detect("broken", cwd=repo)
    assert included(changes) == {STRIPE: expected_jobs(repo)[STRIPE]}
    assert destroyed(changes) == {STRIPE: before}


@pytest.mark.parametrize("fixture", ["valid/legacy_ecs.yaml", "invalid/legacy_lambda.yaml"])
def test_deleted_older_dialect_job_is_destroyed_by_its_jobname_tag(repo: Path, fixture: str) -> None:
    legacy = "jobs/acme/legacy.yaml"
    shutil.copy(FIXTURES / fixture, repo / legacy)
    commit(repo, "older dialect")
    git(repo, "tag", "legacy")
    git(repo, "rm", "-q", legacy)
    commit(repo)
    changes = detect("legacy", cwd=repo)
    tenant = "production_tenant" if "ecs" in fixture else "acme"
    job = "csv_employee_to_iceberg" if "ecs" in fixture else "csv_to_s3"
    assert destroyed(changes) == {legacy: (stack_name(tenant, job), "aws")}


def test_old_content_without_a_stack_name_is_a_positioned_error(repo: Path) -> None:
    path = repo / ORDERS
    path.write_text(re.sub(r"^    job_name: .*\n", "", path.read_text(), flags=re.M))
    commit(repo, "no job name")
    git(repo, "tag", "nameless")
    sha = git(repo, "rev-parse", "nameless").strip()[:12]
    tags_line = next(i for i, line in enumerate(path.read_text().splitlines(), 1) if line == "  tags:")
    git(repo, "rm", "-q", ORDERS)
    commit(repo)
    with pytest.raises(ErrorReport) as caught:
        detect("nameless", cwd=repo)
    assert [str(e) for e in caught.value] == [
        f"{sha}:{ORDERS}:{tags_line}: infrastructure.tags.job_name: cannot tell which stack the old content "
        "deployed, so it cannot be destroyed, got nothing; expected a non-empty string (fix the old commit's "
        "file or destroy its stack by hand)"
    ]
    proc = run_cli(repo, "--base", "nameless")
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.splitlines() == [str(next(iter(caught.value))), "1 error(s) in 1 file(s)"]


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


def leg(*items: tuple[str, str, str]) -> dict[str, str]:
    """The expected JSON of a one-job leg (job, stack, provider)."""
    ((job, stack, provider),) = items
    return {"name": stack, "key": stack, "jobs": job, "stacks": stack, "providers": provider}


def test_cli_prints_the_matrix_json(repo: Path) -> None:
    before = expected_jobs(repo)[ORDERS]
    git(repo, "rm", "-q", ORDERS)
    (repo / ASSET_B).write_text("name: orders\n")
    commit(repo)
    proc = run_cli(repo, "--base", "base", "--head", "HEAD", "--jobs-dir", "jobs")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    backfill = "jobs/acme/orders_backfill.yaml"
    stack = expected_jobs(repo)[backfill][0]
    assert data == {
        "all": False,
        "include": [{"job": backfill, "stack": stack, "provider": "aws"}],
        "destroy": [{"job": ORDERS, "stack": before[0], "provider": "aws"}],
        "matrix": {"include": [leg((backfill, stack, "aws"))]},
        "destroy_matrix": {"include": [leg((ORDERS, before[0], "aws"))]},
    }
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
    assert json.loads(lines["matrix"]) == printed["matrix"]
    assert json.loads(lines["destroy"]) == printed["destroy_matrix"]
    jobs = expected_jobs(repo)
    assert printed["matrix"]["include"] == [leg((job, *jobs[job])) for job in sorted(jobs)]
    assert printed["all"] is True
    assert printed["destroy_matrix"]["include"] == [
        leg((HUBSPOT, stack_name("globex", "hubspot_contacts_to_adls"), "azure"))
    ]
    assert (lines["has_changes"], lines["has_deploy"], lines["has_destroy"], lines["all"]) == ("true",) * 4
    assert lines["head"] == git(repo, "rev-parse", "HEAD").strip()
    assert lines["base"] == git(repo, "rev-parse", "base").strip()


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


# --- more jobs than a GitHub matrix can hold --------------------------------------------------


def test_pack_cuts_sorted_jobs_into_balanced_legs_of_one_shape() -> None:
    items = [Deploy(f"jobs/t/j{i}.yaml", f"t-j{i}", "gcp" if i == 3 else "aws") for i in (4, 0, 3, 1, 2)]
    legs = [leg.to_json() for leg in pack(items, 2)]
    assert legs == [
        {
            "name": "t-j0 and 2 more",
            "key": legs[0]["key"],
            "jobs": "jobs/t/j0.yaml,jobs/t/j1.yaml,jobs/t/j2.yaml",
            "stacks": "t-j0 t-j1 t-j2",
            "providers": "aws",
        },
        {
            "name": "t-j3 and 1 more",
            "key": legs[1]["key"],
            "jobs": "jobs/t/j3.yaml,jobs/t/j4.yaml",
            "stacks": "t-j3 t-j4",
            "providers": "aws gcp",
        },
    ]
    assert re.fullmatch(r"pack-[0-9a-f]{12}", legs[0]["key"]) and legs[0]["key"] != legs[1]["key"]
    assert [leg.to_json() for leg in pack(reversed(items), 2)] == legs  # deterministic: sorted first
    assert [leg.to_json() for leg in pack(items[:1], 2)] == [
        {"name": "t-j4", "key": "t-j4", "jobs": "jobs/t/j4.yaml", "stacks": "t-j4", "providers": "aws"}
    ]
    assert [len(leg.jobs) for leg in pack(items, 5)] == [1] * 5
    assert [len(leg.jobs) for leg in pack(items * 0, 5)] == []
    with pytest.raises(ValueError):
        pack(items, 0)


def _add_generated_jobs(repo: Path, count: int) -> list[str]:
    template = (repo / ORDERS).read_text()
    paths = []
    for i in range(count):
        path = f"jobs/gen/job_{i:03d}.yaml"
        (repo / path).parent.mkdir(exist_ok=True)
        (repo / path).write_text(with_job_name(template, "orders_cdc_stream", f"gen_job_{i:03d}"))
        paths.append(path)
    return paths


def test_more_than_256_jobs_are_packed_into_256_balanced_legs(repo: Path) -> None:
    paths = _add_generated_jobs(repo, 300)
    commit(repo, "300 jobs")
    git(repo, "tag", "many")
    changes = detect("base", cwd=repo)
    assert [d.job for d in changes.include] == paths and MAX_LEGS == 256
    legs = changes.deploy_legs()
    assert [len(leg.jobs) for leg in legs] == [2] * 44 + [1] * 212  # 300 = 44 * 2 + 212
    assert [job for leg in legs for job in leg.jobs] == paths  # sorted, every job exactly once
    for leg in legs:
        assert leg.stacks == tuple(stack_name("acme", f"gen_{Path(j).stem}") for j in leg.jobs)
    assert legs[0].to_json() == {
        "name": "acme-gen-job-000 and 1 more",
        "key": legs[0].key,
        "jobs": "jobs/gen/job_000.yaml,jobs/gen/job_001.yaml",
        "stacks": "acme-gen-job-000 acme-gen-job-001",
        "providers": "aws",
    }
    assert legs[-1].to_json() == {
        "name": "acme-gen-job-299",
        "key": "acme-gen-job-299",
        "jobs": "jobs/gen/job_299.yaml",
        "stacks": "acme-gen-job-299",
        "providers": "aws",
    }
    # deleting them all: the destroy matrix is packed the same way
    git(repo, "rm", "-q", "-r", "jobs/gen")
    commit(repo, "drop them")
    gone = detect("many", cwd=repo)
    assert gone.include == [] and [d.job for d in gone.destroy] == paths
    assert [leg.to_json() for leg in gone.destroy_legs()] == [leg.to_json() for leg in legs]


def test_cli_max_legs_packs_the_github_output_matrices(repo: Path, tmp_path: Path) -> None:
    (repo / "app.py").write_text((repo / "app.py").read_text() + "\n# touched\n")
    commit(repo)
    out = tmp_path / "github_output"
    proc = run_cli(
        repo,
        "--base",
        "base",
        "--max-legs",
        "3",
        "--github-output",
        env={**GIT_ENV, "GITHUB_OUTPUT": str(out)},
    )
    assert proc.returncode == 0, proc.stderr
    jobs = expected_jobs(repo)
    lines = dict(line.split("=", 1) for line in out.read_text().splitlines())
    matrix = json.loads(lines["matrix"])["include"]
    # every job (a shared file changed) in 3 contiguous legs of sorted jobs whose sizes differ by at most one
    ordered = sorted(jobs)
    size, extra = divmod(len(ordered), 3)
    bounds = [0]
    for index in range(3):
        bounds.append(bounds[-1] + size + (1 if index < extra else 0))
    parts = [ordered[bounds[i] : bounds[i + 1]] for i in range(3)]
    assert len(ordered) > 3 and max(map(len, parts)) - min(map(len, parts)) <= 1
    assert [leg["jobs"].split(",") for leg in matrix] == parts
    assert [leg["stacks"].split(" ") for leg in matrix] == [[jobs[j][0] for j in part] for part in parts]
    assert [leg["providers"] for leg in matrix] == [
        " ".join(sorted({jobs[j][1] for j in part})) for part in parts
    ]
    assert json.loads(proc.stdout)["matrix"]["include"] == matrix
    for bad in ("0", "257"):
        refused = run_cli(repo, "--base", "base", "--max-legs", bad)
        assert refused.returncode == 2 and "--max-legs" in refused.stderr and refused.stdout == ""


# --- pushes: the two trees directly ----------------------------------------------------------


def test_direct_mode_sees_a_force_push_that_drops_commits(repo: Path) -> None:
    added = "jobs/globex/hubspot_companies_to_adls.yaml"
    (repo / added).write_text(
        with_job_name((repo / HUBSPOT).read_text(), "hubspot_contacts_to_adls", "hubspot_companies_to_adls")
    )
    (repo / STRIPE).write_text(
        (repo / STRIPE).read_text().replace("cpu_millicores: 1000", "cpu_millicores: 2000")
    )
    commit(repo, "dropped later")
    git(repo, "tag", "before")
    added_stack = expected_jobs(repo)[added]
    git(repo, "reset", "-q", "--hard", "base")  # the force push: main rewound, then a new commit
    (repo / "README.md").write_text("# rewritten\n")
    commit(repo, "after")
    pushed = detect("before", "HEAD", cwd=repo, direct=True)
    assert included(pushed) == {STRIPE: expected_jobs(repo)[STRIPE]}  # back to the old configuration
    assert destroyed(pushed) == {added: added_stack}  # only the dropped commit had it
    assert pushed.base == git(repo, "rev-parse", "before").strip() and pushed.all is False
    merge_base = detect("before", "HEAD", cwd=repo)  # pull-request semantics see nothing here
    assert (merge_base.include, merge_base.destroy) == ([], [])


@pytest.mark.parametrize("before", ["0" * 40, "", "deadbeef" * 5])
def test_direct_mode_without_a_usable_previous_commit_deploys_every_job(repo: Path, before: str) -> None:
    # the fixture repository has one commit: there is no HEAD~1 to fall back to
    assert git(repo, "rev-list", "--count", "HEAD").strip() == "1"
    changes = detect(before, cwd=repo, direct=True)
    assert included(changes) == expected_jobs(repo)
    assert (changes.destroy, changes.all, changes.base) == ([], True, "")
    assert changes.warnings == [
        f"--base {before!r} is not a commit in this clone (a new branch, or a force push "
        "whose old head is gone): every job is deployed and no stack is destroyed"
    ]
    with pytest.raises(JobError):
        detect(before or "0" * 40, cwd=repo)  # pull requests: a missing base stays an error


def test_cli_direct_with_an_all_zero_before(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "github_output"
    proc = run_cli(
        repo, "--direct", "--base", "0" * 40, "--github-output", env={**GIT_ENV, "GITHUB_OUTPUT": str(out)}
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.startswith(f"warning: --base '{'0' * 40}' is not a commit in this clone")
    lines = dict(line.split("=", 1) for line in out.read_text().splitlines())
    assert (lines["base"], lines["all"], lines["has_deploy"], lines["has_destroy"]) == (
        "",
        "true",
        "true",
        "false",
    )
    assert len(json.loads(lines["matrix"])["include"]) == len(expected_jobs(repo))


# --- platform settings path, duplicate stacks, paths DATIVO_JOBS cannot carry -----------------


@pytest.mark.parametrize("absolute", [False, True])
def test_settings_path_follows_dativo_platform_settings(
    repo: Path, monkeypatch: pytest.MonkeyPatch, absolute: bool
) -> None:
    (repo / "config").mkdir()
    shutil.copy(repo / "jobs/platform.yaml", repo / "config/platform.yaml")
    commit(repo, "settings moved")
    git(repo, "tag", "moved")
    monkeypatch.setenv(
        "DATIVO_PLATFORM_SETTINGS", str(repo / "config/platform.yaml") if absolute else "config/platform.yaml"
    )
    (repo / "jobs/platform.yaml").write_text("# no longer the settings file\n")
    commit(repo, "old file")
    unrelated = detect("moved", cwd=repo)
    assert (unrelated.include, unrelated.all) == ([], False)
    git(repo, "tag", "old-file")
    (repo / "config/platform.yaml").write_text((repo / "config/platform.yaml").read_text() + "\n# touched\n")
    commit(repo, "settings changed")
    changes = detect("old-file", cwd=repo)
    assert changes.all is True and included(changes) == expected_jobs(repo)


def test_two_jobs_with_one_stack_at_head_are_rejected_by_the_loaders_check(repo: Path) -> None:
    copy = "jobs/globex/stripe_copy.yaml"
    shutil.copy(repo / STRIPE, repo / copy)  # unchanged STRIPE and the new copy: same tenant and job name
    commit(repo)
    line = next(i for i, text in enumerate((repo / copy).read_text().splitlines(), 1) if "job_name:" in text)
    stack = expected_jobs(repo, [STRIPE])[STRIPE][0]
    want = (
        f"{copy}:{line}: infrastructure.tags.job_name: two jobs map to the same stack, got '{stack}'; "
        f"expected a tenant_id/job_name pair not already used by {STRIPE}"
    )
    with pytest.raises(ErrorReport) as caught:
        detect("base", cwd=repo)
    assert [str(e) for e in caught.value] == [want]
    proc = run_cli(repo, "--base", "base")
    assert proc.returncode == 2 and proc.stderr.splitlines() == [want, "1 error(s) in 1 file(s)"]


def test_job_path_that_dativo_jobs_cannot_carry_is_an_error(repo: Path) -> None:
    odd = "jobs/acme/orders,v2.yaml"
    (repo / odd).write_text(with_job_name((repo / ORDERS).read_text(), "orders_cdc_stream", "orders_v2"))
    commit(repo)
    with pytest.raises(ErrorReport) as caught:
        detect("base", cwd=repo)
    assert [str(e) for e in caught.value] == [
        f"{odd}: job path cannot be passed in DATIVO_JOBS, got '{odd}'; expected a file name without any of , * ? ["
    ]
