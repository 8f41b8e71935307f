"""Git access (:mod:`dativo_infra.ci.git`): only committed content counts, revisions that name nothing
and a missing repository are clear errors, and a project may be a subdirectory of its repository."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dativo_infra.ci.detect import detect
from dativo_infra.errors import JobError
from tests.ci.gitrepo import GIT_ENV, HUBSPOT, ROOT, STRIPE, commit, git, run_cli
from tests.cli import in_new_process


def test_only_committed_content_counts_not_the_work_tree(repo: Path) -> None:
    (repo / STRIPE).write_text((repo / STRIPE).read_text() + "\n# uncommitted\n")
    assert detect("base", cwd=repo).include == []


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


def test_cli_bad_ref_exits_2_with_a_clear_message(repo: Path) -> None:
    proc = run_cli(repo, "--base", "origin/nope")
    assert proc.returncode == 2
    assert "--base: unknown git revision, got 'origin/nope'" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_cli_outside_a_repository_exits_2(tmp_path: Path) -> None:
    # the installed CLI: exit 2 without a traceback
    proc = in_new_process("changed", "--base", "HEAD", cwd=tmp_path, env=GIT_ENV)
    assert proc.returncode == 2 and "git" in proc.stderr and "Traceback" not in proc.stderr
