"""Fixtures of the ``dativo_infra.ci`` tests: the default platform settings path and the ``repo``
fixture (a throw-away git repository, see :mod:`tests.ci.gitrepo`)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.ci.gitrepo import ASSET_A, ASSET_B, ASSET_JOBS, ROOT, STRIPE, commit, git, with_job_name


@pytest.fixture(autouse=True)
def _default_settings_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATIVO_PLATFORM_SETTINGS", raising=False)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repo (branch main, tag ``base``) with the example jobs, platform settings, shared files,
    two asset definitions and three jobs that reference them through ``asset_path``."""
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "jobs", repo / "jobs")
    (repo / "cli/cdktn").mkdir(parents=True)
    for name in ("pyproject.toml", "package-lock.json", "package.json", "cdktf.json", "app.py"):
        shutil.copy(ROOT / name, repo / name)
    for name in ("cli/cdktn/package.json", "cli/cdktn/package-lock.json"):
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
