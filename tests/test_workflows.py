"""The CI workflows: schema-valid, clean under zizmor, and wired to what ``dativo-infra changed`` emits.

Linters run as subprocesses from the project's .venv (``check-jsonschema`` and ``zizmor`` are pinned
in the ``dev`` extra). The structural tests read the YAML with ruamel (YAML 1.2: ``on`` stays a key).
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from dativo_infra.changed import ChangeSet, Deploy, Destroy

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
FILES = sorted(WORKFLOWS.glob("*.yml"))
BIN = Path(sys.executable).parent
SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
EXPR = re.compile(r"\$\{\{")


def load(path: Path) -> dict[str, Any]:
    return YAML(typ="safe", pure=True).load(path.read_text())


def workflow(name: str) -> dict[str, Any]:
    return load(WORKFLOWS / name)


def all_steps(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(job_id, step) for job_id, job in doc["jobs"].items() for step in job.get("steps", [])]


def tool(name: str) -> str:
    path = BIN / name
    assert path.exists(), f"{path} missing: install the dev extra (pip install -e '.[dev]')"
    return str(path)


def test_both_workflows_exist() -> None:
    assert [p.name for p in FILES] == ["deploy.yml", "pr.yml"]


def test_workflows_match_the_github_workflow_schema() -> None:
    proc = subprocess.run([tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *map(str, FILES)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ok -- validation done" in proc.stdout


def test_zizmor_reports_no_findings() -> None:
    proc = subprocess.run([tool("zizmor"), "--offline", "--no-progress", str(WORKFLOWS)],
                          capture_output=True, text=True, check=False, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No findings to report" in proc.stdout, proc.stdout + proc.stderr


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_commit_sha_with_a_version_comment(path: Path) -> None:
    uses = [step["uses"] for _, step in all_steps(load(path)) if "uses" in step]
    assert uses
    for ref in uses:
        assert SHA_PIN.match(ref), f"{path.name}: {ref} is not pinned to a full commit SHA"
    for line in path.read_text().splitlines():
        if "uses:" in line:
            assert re.search(r"@[0-9a-f]{40} # v\d+\.\d+\.\d+$", line), f"{path.name}: no version comment: {line}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_permissions_are_minimal(path: Path) -> None:
    doc = load(path)
    assert doc["permissions"] == {"contents": "read"}
    for job_id, job in doc["jobs"].items():
        perms = job.get("permissions", {})
        if perms.get("id-token") == "write":
            assert job_id in {"plan", "deploy", "destroy"}, job_id
            assert "strategy" in job and perms.get("contents") == "read"
        assert not (perms.get("id-token") == "write" and perms.get("contents") == "write"), job_id
        if perms.get("contents") == "write" or perms.get("pull-requests") == "write":
            assert job_id == "render", job_id


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_checkouts_do_not_persist_credentials(path: Path) -> None:
    checkouts = [step for _, step in all_steps(load(path)) if step.get("uses", "").startswith("actions/checkout@")]
    assert checkouts
    assert all(step.get("with", {}).get("persist-credentials") is False for step in checkouts)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_no_expression_is_expanded_inside_a_run_script(path: Path) -> None:
    scripts = [(job, step["run"]) for job, step in all_steps(load(path)) if "run" in step]
    assert scripts
    for job, script in scripts:
        assert not EXPR.search(script), f"{path.name}:{job}: use env: instead of ${{{{ }}}} in run:\n{script}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_matrix_job_has_a_concurrency_group_per_stack(path: Path) -> None:
    matrix_jobs = {job_id: job for job_id, job in load(path)["jobs"].items() if "strategy" in job}
    assert matrix_jobs
    for job_id, job in matrix_jobs.items():
        assert "${{ matrix.stack }}" in job["concurrency"]["group"], job_id
        assert job["strategy"]["fail-fast"] is False, job_id
        assert job["strategy"]["matrix"].startswith("${{ fromJSON(needs.changes.outputs."), job_id


def test_state_writing_legs_share_one_uncancellable_group_per_stack() -> None:
    jobs = workflow("deploy.yml")["jobs"]
    for job_id in ("deploy", "destroy"):
        assert jobs[job_id]["concurrency"] == {"group": "deploy-${{ matrix.stack }}", "cancel-in-progress": False}
    assert jobs["render"]["concurrency"]["cancel-in-progress"] is False
    assert "concurrency" not in jobs["changes"]  # a dropped change detection would lose a push's jobs


def test_matrix_fields_used_by_the_workflows_are_the_ones_changed_emits() -> None:
    emitted = {f.name for f in dataclasses.fields(Deploy)} & {f.name for f in dataclasses.fields(Destroy)}
    for path in FILES:
        used = set(re.findall(r"matrix\.(\w+)", path.read_text()))
        assert used and used <= emitted, f"{path.name}: {used - emitted}"


def test_outputs_read_from_the_changed_step_are_the_ones_it_writes() -> None:
    sample = ChangeSet([Deploy("jobs/a.yaml", "a-a", "aws")], [Destroy("jobs/b.yaml", "b-b", "gcp")], False, "1" * 40,
                       "2" * 40)
    written = {line.split("=", 1)[0] for line in sample.github_output().splitlines()}
    for path in FILES:
        doc = load(path)
        text = path.read_text()
        read = set(re.findall(r"steps\.changed\.outputs\.(\w+)", text))
        assert read and read <= written, f"{path.name}: {read - written}"
        declared = set(doc["jobs"]["changes"]["outputs"])
        needed = set(re.findall(r"needs\.changes\.outputs\.(\w+)", text))
        assert needed <= declared, f"{path.name}: {needed - declared}"


def _step(doc: dict[str, Any], job: str, name: str) -> dict[str, Any]:
    return next(step for step in doc["jobs"][job]["steps"] if step.get("name") == name)


def test_pr_workflow_validates_then_plans_each_changed_job() -> None:
    doc = workflow("pr.yml")
    assert set(doc["on"]) == {"pull_request"}
    jobs = doc["jobs"]
    assert jobs["changes"]["needs"] == "validate" and jobs["plan"]["needs"] == "changes"
    assert "dativo-infra validate jobs" in _step(doc, "validate", "Validate every job")["run"]
    changed = _step(doc, "changes", "Jobs affected by this pull request")
    assert changed["env"] == {"BASE_REF": "${{ github.base_ref }}"}
    assert 'dativo-infra changed --base "origin/${BASE_REF}"' in changed["run"] and "--github-output" in changed["run"]
    checkout = jobs["changes"]["steps"][0]
    assert checkout["with"]["fetch-depth"] == 0
    assert jobs["plan"]["if"] == "needs.changes.outputs.has_deploy == 'true'"
    assert _step(doc, "plan", "Synthesize the job's stack")["env"]["DATIVO_JOBS"] == "${{ matrix.job }}"
    plan = _step(doc, "plan", "Plan")
    assert plan["run"].startswith('cdktf plan "$STACK"') and plan["env"]["STACK"] == "${{ matrix.stack }}"


def test_deploy_workflow_deploys_uploads_renders_and_destroys() -> None:
    doc = workflow("deploy.yml")
    assert doc["on"]["push"] == {"branches": ["main"]}
    assert doc["on"]["workflow_dispatch"]["inputs"]["job_path"]["required"] is True
    dispatched = _step(doc, "changes", "The dispatched job")
    assert dispatched["env"] == {"JOB_PATH": "${{ inputs.job_path }}"}
    deploy = _step(doc, "deploy", "Deploy")["run"]
    assert ('cdktf deploy "$STACK" --skip-synth --auto-approve --skip-provider-lock --outputs-file '
            '"outputs/$STACK.json"') in deploy
    upload = _step(doc, "deploy", "Keep the outputs")
    assert upload["uses"].startswith("actions/upload-artifact@")
    assert upload["with"]["path"] == "outputs/${{ matrix.stack }}.json"
    download = _step(doc, "render", "Fetch the outputs of this stack's deploy")
    assert download["with"]["name"] == upload["with"]["name"]
    render = _step(doc, "render", "Render the outputs into a rendered copy of the job")
    assert render["run"] == 'dativo-infra render --job "$JOB" --outputs "outputs/$STACK.json" --out "rendered/$JOB"'
    pr = _step(doc, "render", "Propose the rendered job")
    assert pr["uses"].startswith("peter-evans/create-pull-request@") and pr["with"]["add-paths"] == "rendered/${{ matrix.job }}"
    jobs = doc["jobs"]
    assert jobs["destroy"]["strategy"]["matrix"] == "${{ fromJSON(needs.changes.outputs.destroy) }}"
    assert jobs["destroy"]["if"] == "needs.changes.outputs.has_destroy == 'true'"
    restore = _step(doc, "destroy", "Restore the job file as it was before the change")
    assert restore["env"]["BASE"] == "${{ needs.changes.outputs.base }}" and "git show" in restore["run"]
    assert _step(doc, "destroy", "Destroy")["run"].startswith('cdktf destroy "$STACK"')
    for job in ("deploy", "destroy"):
        assert "Require a remote state backend" in [s.get("name") for s in jobs[job]["steps"]]
