"""``dativo-infra changed``: which jobs a git change deploys or destroys (the rules of
:mod:`dativo_infra.ci.detect`).

Every test builds a throw-away git repository from the real example jobs (the ``repo`` fixture),
commits a base, makes one kind of change, commits it and asks :func:`dativo_infra.ci.detect.detect`
(or the CLI) about it. Expected stack names come from the project's loader, never from literals.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from dativo_infra.ci.detect import SHARED_FILES, detect
from dativo_infra.errors import ErrorReport, JobError
from dativo_infra.naming import stack_name
from tests.ci.gitrepo import (
    ASSET_A,
    ASSET_B,
    ASSET_JOBS,
    FIXTURES,
    GIT_ENV,
    HUBSPOT,
    ORDERS,
    STRIPE,
    commit,
    destroyed,
    expected_jobs,
    git,
    included,
    run_cli,
    with_job_name,
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


SHARED_CHANGES = [
    "dativo_infra/shared.py",
    "jobs/platform.yaml",
    "package.json",
    "package-lock.json",
    "pyproject.toml",
    "app.py",
    "cdktf.json",
    "cli/cdktn/package.json",  # the cdktn CLI's pins: legs run it when the workflows' CDK is cdktn
    "cli/cdktn/package-lock.json",
]


def test_every_shared_file_is_tested_below() -> None:
    assert set(SHARED_FILES) <= set(SHARED_CHANGES)


@pytest.mark.parametrize("shared", SHARED_CHANGES)
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


NOTHING = (
    "so no stack is destroyed for it: content that names no stack was never deployed by this tool "
    "(if an earlier version of the file was, destroy its stack by hand)"
)


def deleted_at_tag(repo: Path, path: str, text: str, tag: str) -> str:
    """Commit ``text`` as ``path``, tag that commit, delete the file in a second commit; return the
    tagged commit's short sha (the prefix of positions in the old content)."""
    (repo / path).write_text(text)
    commit(repo, "old content")
    git(repo, "tag", tag)
    git(repo, "rm", "-q", path)
    commit(repo)
    return git(repo, "rev-parse", tag).strip()[:12]


def test_deleted_job_whose_old_content_names_no_stack_destroys_nothing_and_says_why(repo: Path) -> None:
    text = re.sub(r"^    job_name: .*\n", "", (repo / ORDERS).read_text(), flags=re.M)
    tags_line = text.splitlines().index("  tags:") + 1
    sha = deleted_at_tag(repo, ORDERS, text, "nameless")
    (repo / STRIPE).write_text(
        (repo / STRIPE).read_text().replace("cpu_millicores: 1000", "cpu_millicores: 2000")
    )
    commit(repo, "another change")
    changes = detect("nameless", cwd=repo)
    assert changes.destroy == []
    assert included(changes) == {STRIPE: expected_jobs(repo)[STRIPE]}  # the rest of the change goes on
    warning = (
        f"{sha}:{ORDERS}:{tags_line}: infrastructure.tags.job_name: the old content names no stack, got "
        f"nothing; expected a non-empty string ({NOTHING})"
    )
    assert changes.warnings == [warning]
    proc = run_cli(repo, "--base", "nameless")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines() == [f"warning: {warning}"]
    assert json.loads(proc.stdout)["destroy"] == []


def test_deleted_file_that_was_never_yaml_destroys_nothing(repo: Path) -> None:
    broken = "jobs/acme/broken.yaml"
    sha = deleted_at_tag(repo, broken, "tenant_id: acme\ninfrastructure: [\n", "broken")
    changes = detect("broken", cwd=repo)
    assert (changes.include, changes.destroy) == ([], [])
    (warning,) = changes.warnings
    assert warning.startswith(f"{sha}:{broken}:3: invalid YAML: ")
    assert warning.endswith(f" ({NOTHING})")


@pytest.mark.parametrize(
    ("tenant", "problem"),
    [
        ("tenant_id: ''", "got ''"),
        ("tenant_id: [acme]", "got a list"),
        ("tenant_id: 42", "got 42"),
    ],
)
def test_deleted_job_with_an_unusable_tenant_destroys_nothing(repo: Path, tenant: str, problem: str) -> None:
    text = re.sub(r"^tenant_id: .*$", tenant, (repo / ORDERS).read_text(), flags=re.M)
    sha = deleted_at_tag(repo, ORDERS, text, "tenantless")
    changes = detect("tenantless", cwd=repo)
    assert changes.destroy == []
    assert changes.warnings == [
        f"{sha}:{ORDERS}:{text.splitlines().index(tenant) + 1}: tenant_id: the old content names no stack, "
        f"{problem}; expected a non-empty string ({NOTHING})"
    ]


LEGACY_TWO_NAMES = """tenant_id: acme
environment: prod
infrastructure:
  cloud_provider: aws
  runtime_environment:
    compute_type: ecs_task
  tags:
    JobName: orders_a
    job_name: {second}
"""


def test_old_content_naming_two_job_names_destroys_neither(repo: Path) -> None:
    legacy = "jobs/acme/legacy.yaml"
    sha = deleted_at_tag(repo, legacy, LEGACY_TWO_NAMES.format(second="orders_b"), "two")
    changes = detect("two", cwd=repo)
    assert changes.destroy == []
    assert changes.warnings == [
        f"{sha}:{legacy}:9: infrastructure.tags.job_name: the old content names infrastructure.tags.job_name "
        "twice (infrastructure.tags.JobName at line 8, infrastructure.tags.job_name at line 9), got "
        f"'orders_b'; expected one of them ({NOTHING})"
    ]


def test_old_content_naming_one_job_name_twice_alike_is_destroyed(repo: Path) -> None:
    legacy = "jobs/acme/legacy.yaml"
    deleted_at_tag(repo, legacy, LEGACY_TWO_NAMES.format(second="orders_a"), "alike")
    changes = detect("alike", cwd=repo)
    assert destroyed(changes) == {legacy: (stack_name("acme", "orders_a"), "aws")}
    assert changes.warnings == []


def test_modified_job_whose_old_content_named_no_stack_is_deployed_with_a_warning(repo: Path) -> None:
    good = (repo / ORDERS).read_text()
    (repo / ORDERS).write_text(re.sub(r"^    job_name: .*\n", "", good, flags=re.M))
    commit(repo, "broken")
    git(repo, "tag", "broken")
    (repo / ORDERS).write_text(good)
    commit(repo, "fixed")
    changes = detect("broken", cwd=repo)
    assert included(changes) == {ORDERS: expected_jobs(repo)[ORDERS]}
    assert changes.destroy == []
    (warning,) = changes.warnings
    assert "infrastructure.tags.job_name: the old content names no stack" in warning


# --- through the CLI ------------------------------------------------------------------------


def test_cli_github_output_needs_the_variable(repo: Path) -> None:
    env = {k: v for k, v in GIT_ENV.items() if k != "GITHUB_OUTPUT"}
    proc = run_cli(repo, "--base", "base", "--github-output", env=env)
    assert proc.returncode == 2 and "GITHUB_OUTPUT is not set" in proc.stderr


def test_cli_invalid_job_exits_2(repo: Path) -> None:
    path = repo / STRIPE
    path.write_text(path.read_text().replace("provider: aws", "provider: oracle"))
    commit(repo)
    proc = run_cli(repo, "--base", "base")
    assert proc.returncode == 2
    assert f"{STRIPE}:" in proc.stderr and "infrastructure.provider" in proc.stderr


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
