"""Matrix legs (:mod:`dativo_infra.ci.legs`): jobs packed into at most 256 legs of one shape, and the
result printed as JSON and as ``$GITHUB_OUTPUT`` lines by ``dativo-infra changed``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dativo_infra.ci.detect import detect
from dativo_infra.ci.legs import MAX_LEGS, Deploy, pack
from dativo_infra.naming import stack_name
from tests.ci.gitrepo import (
    ASSET_B,
    GIT_ENV,
    HUBSPOT,
    ORDERS,
    commit,
    expected_jobs,
    git,
    run_cli,
    with_job_name,
)

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
