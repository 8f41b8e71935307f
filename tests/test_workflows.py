"""The CI workflows: schema-valid, clean under zizmor, and wired to what ``dativo-infra changed`` emits.

Linters run as subprocesses from the project's .venv (``check-jsonschema``, ``zizmor``, ``actionlint``
and ``shellcheck`` are pinned in the ``dev`` extra; actionlint runs shellcheck over every ``run:``
script because shellcheck is on its PATH). The structural tests read the YAML with ruamel (YAML 1.2: ``on`` stays a key).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from dativo_infra.ci.legs import ChangeSet, Deploy, Destroy, make_leg
from dativo_infra.ci.setup_stamp import CDKS, PARTS, digest, tf_plugins_digest
from dativo_infra.config.loader import load_jobs
from dativo_infra.synth import selected_paths

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
    proc = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *map(str, FILES)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ok -- validation done" in proc.stdout


def test_zizmor_reports_no_findings() -> None:
    proc = subprocess.run(
        [tool("zizmor"), "--offline", "--no-progress", str(WORKFLOWS)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No findings to report" in proc.stdout, proc.stdout + proc.stderr


def actionlint(*paths: Path) -> subprocess.CompletedProcess[str]:
    """actionlint with only the project's tools on PATH (shellcheck among them; no pyflakes)."""
    return subprocess.run(
        [tool("actionlint"), "-verbose", "-no-color", *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env={"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(ROOT)},
    )


def test_actionlint_reports_no_findings_with_shellcheck_enabled() -> None:
    tool("shellcheck")
    proc = actionlint(*FILES)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert 'Rule "shellcheck" was disabled' not in proc.stderr, proc.stderr
    assert "Found 0 errors in 2 files" in proc.stderr, proc.stderr


def test_actionlint_does_check_the_run_scripts(tmp_path: Path) -> None:
    """The check above can fail: an unquoted variable in a run script is a shellcheck finding."""
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "name: bad\non: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-24.04\n"
        "    steps:\n      - run: rm -rf $TARGET/\n"
    )
    proc = actionlint(bad)
    assert proc.returncode == 1 and "SC2086" in proc.stdout, proc.stdout + proc.stderr


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_commit_sha_with_a_version_comment(path: Path) -> None:
    uses = [step["uses"] for _, step in all_steps(load(path)) if "uses" in step]
    assert uses
    for ref in uses:
        assert SHA_PIN.match(ref), f"{path.name}: {ref} is not pinned to a full commit SHA"
    for line in path.read_text().splitlines():
        if "uses:" in line:
            assert re.search(r"@[0-9a-f]{40} # v\d+\.\d+\.\d+$", line), (
                f"{path.name}: no version comment: {line}"
            )


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
    checkouts = [
        step for _, step in all_steps(load(path)) if step.get("uses", "").startswith("actions/checkout@")
    ]
    assert checkouts
    assert all(step.get("with", {}).get("persist-credentials") is False for step in checkouts)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_no_expression_is_expanded_inside_a_run_script(path: Path) -> None:
    scripts = [(job, step["run"]) for job, step in all_steps(load(path)) if "run" in step]
    assert scripts
    for job, script in scripts:
        assert not EXPR.search(script), f"{path.name}:{job}: use env: instead of ${{{{ }}}} in run:\n{script}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_matrix_job_has_a_concurrency_group_per_leg_key(path: Path) -> None:
    matrix_jobs = {job_id: job for job_id, job in load(path)["jobs"].items() if "strategy" in job}
    assert matrix_jobs
    for job_id, job in matrix_jobs.items():
        assert "${{ matrix.key }}" in job["concurrency"]["group"], job_id  # the stack name for one-job legs
        assert job["strategy"]["fail-fast"] is False, job_id
        assert job["strategy"]["matrix"].startswith("${{ fromJSON(needs.changes.outputs."), job_id


def test_state_writing_legs_share_one_uncancellable_group_per_stack() -> None:
    jobs = workflow("deploy.yml")["jobs"]
    for job_id in ("deploy", "destroy"):
        assert jobs[job_id]["concurrency"] == {
            "group": "deploy-${{ matrix.key }}",
            "cancel-in-progress": False,
        }
    assert jobs["render"]["concurrency"]["cancel-in-progress"] is False
    assert "concurrency" not in jobs["changes"]  # a dropped change detection would lose a push's jobs


def test_matrix_fields_used_by_the_workflows_are_the_ones_changed_emits() -> None:
    one = make_leg([Deploy("jobs/a.yaml", "a-a", "aws")]).to_json()
    packed = make_leg([Deploy("jobs/a.yaml", "a-a", "aws"), Destroy("jobs/b.yaml", "b-b", "gcp")]).to_json()
    assert set(one) == set(packed) == {"name", "key", "jobs", "stacks", "providers"}  # one shape for both
    for path in FILES:
        used = set(re.findall(r"matrix\.(\w+)", path.read_text()))
        assert used == {"name", "key", "jobs", "stacks", "providers"}, f"{path.name}: {used}"


def test_outputs_read_from_the_changed_step_are_the_ones_it_writes() -> None:
    sample = ChangeSet(
        [Deploy("jobs/a.yaml", "a-a", "aws")],
        [Destroy("jobs/b.yaml", "b-b", "gcp")],
        False,
        "1" * 40,
        "2" * 40,
    )
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
    # pull requests keep merge-base semantics: no --direct
    assert changed["run"] == 'dativo-infra changed --base "origin/${BASE_REF}" --head HEAD --github-output'
    checkout = jobs["changes"]["steps"][0]
    assert checkout["with"]["fetch-depth"] == 0
    assert jobs["plan"]["if"] == "needs.changes.outputs.has_deploy == 'true'"
    assert jobs["plan"]["name"] == "plan ${{ matrix.name }}"
    assert _step(doc, "plan", "Synthesize the leg's stacks")["env"] == {"DATIVO_JOBS": "${{ matrix.jobs }}"}
    plan = _step(doc, "plan", "Plan")
    assert plan["env"]["STACKS"] == "${{ matrix.stacks }}"
    assert '"$CDK" plan "$stack" --skip-synth --skip-provider-lock' in plan["run"]


def test_plan_never_takes_the_state_lock() -> None:
    plan = _step(workflow("pr.yml"), "plan", "Plan")
    assert plan["env"]["TF_CLI_ARGS_plan"] == "-lock=false"  # read-only role; never blocks a deploy
    assert "-lock=false" not in (WORKFLOWS / "deploy.yml").read_text()  # deploys and destroys do lock


def test_deploy_workflow_deploys_uploads_renders_and_destroys() -> None:
    doc = workflow("deploy.yml")
    jobs = doc["jobs"]
    assert doc["on"]["push"] == {"branches": ["main"]}
    assert doc["on"]["workflow_dispatch"]["inputs"]["job_path"]["required"] is True
    changed = _step(doc, "changes", "Jobs affected by this push")
    assert changed["env"] == {"BEFORE": "${{ github.event.before }}"}
    assert (
        changed["run"]
        .rstrip()
        .endswith('dativo-infra changed --direct --base "$BEFORE" --head HEAD --github-output')
    )
    assert "HEAD~1" not in (WORKFLOWS / "deploy.yml").read_text()
    before = _step(doc, "changes", "Fetch the previous head of main")
    assert before["with"]["ref"] == "${{ github.event.before }}" and before["continue-on-error"] is True
    assert before["with"]["path"] == ".dativo-before" and ".dativo-before HEAD" in changed["run"]
    dispatched = _step(doc, "changes", "The dispatched job")
    assert dispatched["env"] == {"JOB_PATH": "${{ inputs.job_path }}"}
    assert _step(doc, "deploy", "Synthesize the leg's stacks")["env"] == {"DATIVO_JOBS": "${{ matrix.jobs }}"}
    deploy = _step(doc, "deploy", "Deploy")
    assert deploy["env"]["STACKS"] == "${{ matrix.stacks }}"
    assert (
        '"$CDK" deploy "${stacks[@]}" --skip-synth --auto-approve --skip-provider-lock --outputs-file '
        "outputs/outputs.json"
    ) in deploy["run"]
    upload = _step(doc, "deploy", "Keep the outputs")
    assert upload["uses"].startswith("actions/upload-artifact@")
    assert (
        upload["with"]["path"] == "outputs/outputs.json"
        and upload["with"]["name"] == "outputs-${{ matrix.key }}"
    )
    assert "if" not in upload  # uploaded only when the deploy step succeeded
    download = _step(doc, "render", "Fetch the outputs of this leg's deploy")
    assert download["with"]["name"] == upload["with"]["name"]
    render = _step(doc, "render", "Render the outputs into rendered copies of the leg's jobs")
    assert render["env"] == {"JOBS": "${{ matrix.jobs }}"}
    assert (
        'dativo-infra render --job "$job" --outputs outputs/outputs.json --out "rendered/$job"'
        in render["run"]
    )
    pr = _step(doc, "render", "Propose the rendered jobs")
    assert pr["uses"].startswith("peter-evans/create-pull-request@") and pr["with"]["add-paths"] == "rendered"
    assert pr["with"]["branch"] == "dativo/render/${{ matrix.key }}"
    assert jobs["destroy"]["strategy"]["matrix"] == "${{ fromJSON(needs.changes.outputs.destroy) }}"
    assert jobs["destroy"]["if"] == "needs.changes.outputs.has_destroy == 'true'"
    assert _step(doc, "destroy", "Synthesize the old stacks")["env"] == {"DATIVO_JOBS": "${{ matrix.jobs }}"}
    assert (
        '"$CDK" destroy "${stacks[@]}" --skip-synth --auto-approve --skip-provider-lock'
        in _step(doc, "destroy", "Destroy")["run"]
    )
    for job in ("deploy", "destroy"):
        assert "Require a remote state backend" in [s.get("name") for s in jobs[job]["steps"]]


def test_destroy_legs_run_from_a_checkout_of_the_base_commit() -> None:
    steps = workflow("deploy.yml")["jobs"]["destroy"]["steps"]
    assert steps[0]["uses"].startswith("actions/checkout@")
    assert steps[0]["with"] == {"ref": "${{ needs.changes.outputs.base }}", "persist-credentials": False}
    assert not any("git show" in step.get("run", "") for step in steps)  # no single file restored into head


def test_render_legs_render_only_what_their_own_deploy_leg_produced() -> None:
    doc = workflow("deploy.yml")
    render = doc["jobs"]["render"]
    assert render["needs"] == ["changes", "deploy"]
    assert render["if"] == "${{ !cancelled() && needs.changes.outputs.has_deploy == 'true' }}"
    names = [step.get("name", step.get("uses", "").split("@")[0]) for step in render["steps"]]
    fetch = names.index("Fetch the outputs of this leg's deploy")
    download = render["steps"][fetch]
    assert download["id"] == "outputs" and download["continue-on-error"] is True
    skip = _step(doc, "render", "Nothing to render (this leg's deploy did not succeed)")
    assert skip["if"] == "steps.outputs.outcome != 'success'" and "::warning::" in skip["run"]
    for step in render["steps"][fetch + 1 :]:
        if step is not skip:
            assert step["if"] == "steps.outputs.outcome == 'success'", step


def test_deploy_workflow_runs_from_main_only() -> None:
    jobs = workflow("deploy.yml")["jobs"]
    assert jobs["changes"]["if"] == "github.ref == 'refs/heads/main'"
    assert {"changes"} <= {
        jobs[j]["needs"] if isinstance(jobs[j]["needs"], str) else jobs[j]["needs"][0]
        for j in ("deploy", "render", "destroy")
    }
    refuse = jobs["wrong-ref"]
    assert refuse["if"] == "github.ref != 'refs/heads/main'"
    proc = subprocess.run(
        ["bash", "-ec", refuse["steps"][0]["run"]],
        env={"REF": "refs/heads/feature"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert (
        proc.stdout
        == "::error::deploy runs from refs/heads/main only, not refs/heads/feature: dispatch it on main\n"
    )


# --- the leg scripts, run with bash against stand-in cdktf / cdktn / dativo-infra commands ------

_RECORDER = """#!/bin/sh
{ printf '%s' "$(basename "$0")"; for arg in "$@"; do printf ' [%s]' "$arg"; done; echo; } >> "$CALLS"
for arg in "$@"; do [ "$arg" = "$FAIL_ON" ] && exit 1; done
exit 0
"""


def call(*argv: str) -> str:
    """A recorded command line: the program, then every argument in brackets (spaces stay visible)."""
    return " ".join([argv[0], *(f"[{arg}]" for arg in argv[1:])])


def run_leg_script(
    script: str, tmp_path: Path, env: dict[str, str], fail_on: str = "-"
) -> tuple[int, list[str]]:
    """Run a workflow ``run:`` script with bash -e (as GitHub does) and recording fakes on PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name in ("cdktf", "cdktn", "dativo-infra"):
        (bin_dir / name).write_text(_RECORDER)
        (bin_dir / name).chmod(0o755)
    calls = tmp_path / "calls"
    calls.write_text("")
    full = {"PATH": f"{bin_dir}:/usr/bin:/bin", "CALLS": str(calls), "FAIL_ON": fail_on, **env}
    proc = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=tmp_path,
        env=full,
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.returncode, calls.read_text().splitlines()


ONE = make_leg([Deploy("jobs/acme/a.yaml", "acme-a", "aws")]).to_json()
PACKED = make_leg(
    [
        Deploy("jobs/acme/a.yaml", "acme-a", "aws"),
        Deploy("jobs/my jobs/b.yaml", "acme-b", "gcp"),
        Deploy("jobs/acme/c.yaml", "acme-c", "azure"),
    ]
).to_json()


@pytest.mark.parametrize("cdk", sorted(CDKS))
@pytest.mark.parametrize("leg", [ONE, PACKED], ids=["one-job", "packed"])
def test_deploy_and_destroy_scripts_handle_every_stack_of_a_leg(
    leg: dict[str, str], cdk: str, tmp_path: Path
) -> None:
    doc = workflow("deploy.yml")
    stacks = leg["stacks"].split(" ")
    env = {"STACKS": leg["stacks"], "CDK": cdk}
    code, calls = run_leg_script(_step(doc, "deploy", "Deploy")["run"], tmp_path, env)
    assert code == 0 and calls == [
        call(
            cdk,
            "deploy",
            *stacks,
            "--skip-synth",
            "--auto-approve",
            "--skip-provider-lock",
            "--outputs-file",
            "outputs/outputs.json",
        )
    ]
    assert (tmp_path / "outputs").is_dir()
    code, calls = run_leg_script(_step(doc, "destroy", "Destroy")["run"], tmp_path, env)
    assert code == 0 and calls == [
        call(cdk, "destroy", *stacks, "--skip-synth", "--auto-approve", "--skip-provider-lock")
    ]


@pytest.mark.parametrize("cdk", sorted(CDKS))
@pytest.mark.parametrize(
    ("file", "job", "name"),
    [
        ("pr.yml", "plan", "Synthesize the leg's stacks"),
        ("deploy.yml", "deploy", "Synthesize the leg's stacks"),
        ("deploy.yml", "destroy", "Synthesize the old stacks"),
    ],
    ids=["plan", "deploy", "destroy"],
)
def test_each_leg_synthesizes_with_the_workflows_cdk_cli(
    file: str, job: str, name: str, cdk: str, tmp_path: Path
) -> None:
    code, calls = run_leg_script(_step(workflow(file), job, name)["run"], tmp_path, {"CDK": cdk})
    assert code == 0 and calls == [call(cdk, "synth")]


@pytest.mark.parametrize("leg", [ONE, PACKED], ids=["one-job", "packed"])
def test_render_script_renders_every_job_of_a_leg(leg: dict[str, str], tmp_path: Path) -> None:
    script = _step(
        workflow("deploy.yml"), "render", "Render the outputs into rendered copies of the leg's jobs"
    )["run"]
    code, calls = run_leg_script(script, tmp_path, {"JOBS": leg["jobs"]})
    assert code == 0
    assert calls == [
        call(
            "dativo-infra",
            "render",
            "--job",
            job,
            "--outputs",
            "outputs/outputs.json",
            "--out",
            f"rendered/{job}",
        )
        for job in leg["jobs"].split(",")
    ]


@pytest.mark.parametrize("cdk", sorted(CDKS))
def test_plan_script_plans_each_stack_and_fails_after_trying_them_all(cdk: str, tmp_path: Path) -> None:
    script = _step(workflow("pr.yml"), "plan", "Plan")["run"]
    code, calls = run_leg_script(script, tmp_path, {"STACKS": PACKED["stacks"], "CDK": cdk})
    want = [
        call(cdk, "plan", stack, "--skip-synth", "--skip-provider-lock")
        for stack in ("acme-a", "acme-b", "acme-c")
    ]
    assert code == 0 and calls == want
    bin_dir = tmp_path / "bin"
    proc = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={
            "PATH": f"{bin_dir}:/usr/bin:/bin",
            "CALLS": str(tmp_path / "calls2"),
            "FAIL_ON": "acme-b",
            "STACKS": PACKED["stacks"],
            "CDK": cdk,
        },
    )
    assert proc.returncode == 1 and (tmp_path / "calls2").read_text().splitlines() == want
    assert "::error::plan failed for: acme-b" in proc.stdout


def test_dispatched_job_becomes_a_one_job_leg(tmp_path: Path) -> None:
    script = _step(workflow("deploy.yml"), "changes", "The dispatched job")["run"]
    job = "jobs/acme/stripe_customers_to_iceberg.yaml"
    out = tmp_path / "github_output"
    proc = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={
            "PATH": f"{BIN}:/usr/bin:/bin",
            "JOB_PATH": job,
            "RUNNER_TEMP": str(tmp_path),
            "GITHUB_OUTPUT": str(out),
        },
    )
    assert proc.returncode == 0, proc.stderr
    lines = dict(line.split("=", 1) for line in out.read_text().splitlines())
    stack = "acme-stripe-customers-to-iceberg"
    assert json.loads(lines["matrix"]) == {
        "include": [{"name": stack, "key": stack, "jobs": job, "stacks": stack, "providers": "aws"}]
    }
    assert (json.loads(lines["destroy"]), lines["has_deploy"], lines["has_destroy"]) == (
        {"include": []},
        "true",
        "false",
    )


# --- set-up of the legs: exact caches, then `scripts/setup.sh --ci-leg` ---------------------------

LEG_JOBS = [("pr.yml", "plan"), ("deploy.yml", "deploy"), ("deploy.yml", "destroy")]
CACHE_ACTION = "actions/cache@"
SET_UP = "Set up (.venv with the CDK library's extra, Node 22, its pinned CLI; skips what is current)"
#: The set-up part of each library's CLI (its cache's path is the directory of the part's stamp).
CLI_PART = {"cdktf": "node", "cdktn": "node-cdktn"}


def setup_steps(file: str, job: str) -> list[dict[str, Any]]:
    """The leg's steps from setup-python up to and including the set-up."""
    steps = workflow(file)["jobs"][job]["steps"]
    first = next(i for i, s in enumerate(steps) if s.get("uses", "").startswith("actions/setup-python@"))
    last = next(i for i, s in enumerate(steps) if s.get("name") == SET_UP)
    return steps[first : last + 1]


#: A cdktf or cdktn command line (the program in command position), which a leg must not hard-code.
LITERAL_CLI = re.compile(r"(^|[;|&(]|\bthen|\bdo)\s*(cdktf|cdktn)\s", re.M)


def test_literal_cli_finds_a_hard_coded_cli() -> None:
    assert LITERAL_CLI.search("cdktf synth") and LITERAL_CLI.search("x\n  cdktn plan a || failed+=(a)")
    assert not LITERAL_CLI.search('"$CDK" synth\nif [ "$CDK" = cdktn ]; then cli=x; fi')


def test_the_legs_cdk_library_is_one_workflow_setting_equal_in_both_workflows() -> None:
    """CDK (cdktf by default, cdktn for CDK Terrain) is set once per workflow, the same in both (pull
    requests plan what main deploys), and no leg step names a CLI literally."""
    assert workflow("pr.yml")["env"]["CDK"] == workflow("deploy.yml")["env"]["CDK"] == "cdktf"
    for path in FILES:
        assert re.search(
            r"^  # The CDK library .*\n  # \(see README \"cdktf or CDK Terrain\"\)", path.read_text(), re.M
        )
        assert all("CDK" not in job.get("env", {}) for job in load(path)["jobs"].values())
    for file, job in LEG_JOBS:
        for step in workflow(file)["jobs"][job]["steps"]:
            assert not LITERAL_CLI.search(step.get("run", "")), step["run"]


def cache_steps_for(steps: list[dict[str, Any]], cdk: str) -> dict[str, dict[str, Any]]:
    """The cache steps that run when CDK is ``cdk`` (their ``if:`` evaluated), by path."""
    caches: dict[str, dict[str, Any]] = {}
    for step in steps:
        if not step.get("uses", "").startswith(CACHE_ACTION):
            continue
        cond = step.get("if")
        assert cond in (None, *(f"env.CDK == '{name}'" for name in CDKS)), cond
        if cond is None or cond == f"env.CDK == '{cdk}'":
            assert step["with"]["path"] not in caches, step
            caches[step["with"]["path"]] = step
    return caches


@pytest.mark.parametrize("cdk", sorted(CDKS))
@pytest.mark.parametrize(("file", "job"), LEG_JOBS, ids=lambda v: str(v))
def test_each_leg_restores_exact_caches_then_sets_up_only_what_a_leg_needs(
    file: str, job: str, cdk: str
) -> None:
    steps = setup_steps(file, job)
    assert steps[0]["id"] == "python"
    keys = next(s for s in steps if s.get("id") == "keys")
    assert keys["run"] == (
        'python -m dativo_infra.ci.setup_stamp github-output --mode ci-leg --cdk "$CDK" '
        '--terraform-version "$TERRAFORM_VERSION" >> "$GITHUB_OUTPUT"'
    )
    caches = cache_steps_for(steps, cdk)
    cli = CLI_PART[cdk]
    cli_dir = str(Path(PARTS[cli].stamp).parent)  # where setup.sh installs (and stamps) the CLI
    assert cli_dir == {"cdktf": "node_modules", "cdktn": "cli/cdktn/node_modules"}[cdk]
    assert set(caches) == {".venv", cli_dir, "~/.terraform.d/plugin-cache"}
    names = [s.get("name") for s in steps]
    every_cache = [s for s in steps if s.get("uses", "").startswith(CACHE_ACTION)]
    assert names.index(keys["name"]) < min(names.index(c["name"]) for c in every_cache)
    assert names[-1] == SET_UP  # after every restore
    for cache in every_cache:
        assert set(cache["with"]) == {"path", "key"}, cache  # no restore-keys: a key is hit exactly or missed
    assert caches[".venv"]["with"]["key"] == (
        "venv-ci-leg-${{ env.CDK }}-${{ runner.os }}-${{ runner.arch }}-py${{ steps.python.outputs.python-version }}-"
        "${{ steps.keys.outputs.venv }}"
    )
    prefix = {"cdktf": "node", "cdktn": "node-cdktn"}[cdk]  # the equivalence job's keys: one cache each
    output = cli.replace("-", "_")
    assert (
        caches[cli_dir]["with"]["key"]
        == f"{prefix}-${{{{ runner.os }}}}-${{{{ runner.arch }}}}-${{{{ steps.keys.outputs.{output} }}}}"
    )
    assert caches["~/.terraform.d/plugin-cache"]["with"]["key"] == (
        "tf-plugins-${{ runner.os }}-${{ runner.arch }}-${{ steps.keys.outputs.tf_plugins }}-${{ matrix.providers }}"
    )
    run = steps[-1]["run"]
    assert run.startswith('scripts/setup.sh --ci-leg --cdk "$CDK"\n') and "make setup" not in run


@pytest.mark.parametrize("cdk", sorted(CDKS))
def test_the_set_up_step_installs_the_library_and_puts_its_cli_on_path(cdk: str, tmp_path: Path) -> None:
    """Run the legs' set-up step against a recording scripts/setup.sh: it gets ``--ci-leg --cdk <cdk>``
    and the step puts that library's CLI (the directory setup.sh installs it into) on PATH."""
    script = setup_steps("pr.yml", "plan")[-1]["run"]
    (tmp_path / "scripts").mkdir()
    setup = tmp_path / "scripts" / "setup.sh"
    setup.write_text('#!/bin/sh\nprintf "%s\\n" "$@" > "$CALLS"\n')
    setup.chmod(0o755)
    calls, path_file = tmp_path / "calls", tmp_path / "github_path"
    proc = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=tmp_path,
        env={
            "PATH": "/usr/bin:/bin",
            "CALLS": str(calls),
            "CDK": cdk,
            "GITHUB_WORKSPACE": "/ws",
            "GITHUB_PATH": str(path_file),
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert calls.read_text().splitlines() == ["--ci-leg", "--cdk", cdk]
    cli_dir = Path(PARTS[CLI_PART[cdk]].stamp).parent.as_posix()
    assert path_file.read_text().splitlines() == [
        "/ws/.venv/node-bin",
        f"/ws/{cli_dir}/.bin",
        "/ws/.venv/bin",
    ]


def test_every_leg_sets_up_the_same_way() -> None:
    first, *others = (setup_steps(file, job) for file, job in LEG_JOBS)
    assert all(steps == first for steps in others)
    for path in FILES:
        assert "make setup" not in path.read_text()  # the full set-up (dev tools, checkov) is for people


def run_keys_step(keys: dict[str, Any], tmp_path: Path, cdk: str = "cdktf") -> dict[str, str]:
    """Run a workflow's cache-keys step as GitHub does (with the workflow env CDK); return its outputs."""
    out = tmp_path / f"github_output-{cdk}"
    proc = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", keys["run"]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={
            "PATH": f"{BIN}:/usr/bin:/bin",
            "GITHUB_OUTPUT": str(out),
            "TERRAFORM_VERSION": "1.11.4",
            "CDK": cdk,
        },
    )
    assert proc.returncode == 0, proc.stderr
    return dict(line.split("=", 1) for line in out.read_text().splitlines())


def test_the_keys_step_writes_the_digests_setup_stamps(tmp_path: Path) -> None:
    """Run the keys step as GitHub does, with each CDK: its outputs are the names the cache keys read,
    and the hashes are the digests setup.sh stamps for that library, so a restored .venv is current for
    setup.sh, and the two libraries never share a .venv or plugin cache."""
    keys = next(s for s in setup_steps("pr.yml", "plan") if s.get("id") == "keys")
    written = {cdk: run_keys_step(keys, tmp_path, cdk) for cdk in CDKS}
    used = {path.name: set(re.findall(r"steps\.keys\.outputs\.(\w+)", path.read_text())) for path in FILES}
    for cdk in CDKS:
        assert all(names <= set(written[cdk]) for names in used.values()), used
        assert set().union(*used.values()) == set(written[cdk])  # the equivalence job reads venv_cdktn
        assert written[cdk] == {
            "venv": digest("venv", mode="ci-leg", cdk=cdk),
            "node": digest("node", mode="ci-leg"),
            "tf_plugins": tf_plugins_digest("1.11.4", cdk=cdk),
            "node_cdktn": digest("node-cdktn"),
            "venv_cdktn": digest("venv-cdktn"),
        }
    assert written["cdktf"]["venv"] != written["cdktn"]["venv"]
    assert written["cdktf"]["tf_plugins"] != written["cdktn"]["tf_plugins"]
    assert (
        workflow("pr.yml")["env"]["TERRAFORM_VERSION"] == workflow("deploy.yml")["env"]["TERRAFORM_VERSION"]
    )


def test_terraform_uses_the_restored_plugin_cache_without_a_lock_file() -> None:
    for path in FILES:
        assert workflow(path.name)["env"]["TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE"] == "true"
        assert "TF_PLUGIN_CACHE_DIR" not in workflow(path.name)["env"]  # cdktf's default, the cached path


@pytest.mark.parametrize("max_legs", [256, 3], ids=["one-job-legs", "packed-legs"])
def test_a_leg_synthesizes_exactly_the_stacks_it_plans(
    max_legs: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`changed --github-output` -> matrix leg -> DATIVO_JOBS -> the jobs app.py loads: their stacks
    are the leg's `stacks`, the names `cdktf plan` / `deploy` are given (over the example jobs)."""
    proc = subprocess.run(
        [str(BIN / "dativo-infra"), "stacks", "--", "jobs"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    include = [Deploy(job, s["stack"], s["provider"]) for job, s in json.loads(proc.stdout).items()]
    assert len(include) > 3
    change = ChangeSet(include, [], True, "", "2" * 40, max_legs=max_legs)
    lines = dict(line.split("=", 1) for line in change.github_output().splitlines())
    legs = json.loads(lines["matrix"])["include"]
    assert len(legs) == min(len(include), max_legs)
    monkeypatch.chdir(ROOT)
    seen: list[str] = []
    for leg in legs:
        monkeypatch.setenv("DATIVO_JOBS", leg["jobs"])
        loaded = load_jobs(selected_paths())
        assert sorted(job.stack_name for job in loaded) == sorted(leg["stacks"].split(" ")), leg
        seen += leg["stacks"].split(" ")
    assert sorted(seen) == sorted(d.stack for d in include)  # every job in exactly one leg


# --- the cdktf/cdktn equivalence job: `make setup-test`'s cdktn parts, then the equivalence test ------

EQUIVALENCE_SET_UP = "Set up (.venv with cdktf, .venv-cdktn, both CLIs; skips what is current)"


def test_the_equivalence_job_runs_on_pull_requests_with_read_only_permissions() -> None:
    doc = workflow("pr.yml")
    job = doc["jobs"]["cdktn-equivalence"]
    assert set(doc["on"]) == {"pull_request"} and "needs" not in job and "if" not in job
    assert job["runs-on"].startswith("ubuntu-") and job["permissions"] == {"contents": "read"}
    assert job["steps"][0]["uses"].startswith("actions/checkout@")
    assert job["steps"][0]["with"] == {"persist-credentials": False}
    assert job["steps"][-1]["run"] == "python -m pytest tests/test_cdk_equivalence.py -q"


def test_the_equivalence_job_restores_exact_caches_then_sets_up_both_libraries(tmp_path: Path) -> None:
    steps = workflow("pr.yml")["jobs"]["cdktn-equivalence"]["steps"]
    names = [s.get("name") for s in steps]
    keys = next(s for s in steps if s.get("id") == "keys")
    assert keys["run"] == (
        "python -m dativo_infra.ci.setup_stamp github-output --mode full "
        '--terraform-version "$TERRAFORM_VERSION" >> "$GITHUB_OUTPUT"'
    )
    caches = {s["with"]["path"]: s for s in steps if s.get("uses", "").startswith(CACHE_ACTION)}
    py = "py${{ steps.python.outputs.python-version }}"
    where = "${{ runner.os }}-${{ runner.arch }}"
    assert {path: cache["with"] for path, cache in caches.items()} == {  # no restore-keys
        ".venv": {"path": ".venv", "key": f"venv-full-{where}-{py}-${{{{ steps.keys.outputs.venv }}}}"},
        "node_modules": {"path": "node_modules", "key": f"node-{where}-${{{{ steps.keys.outputs.node }}}}"},
        ".venv-cdktn": {
            "path": ".venv-cdktn",
            "key": f"venv-cdktn-{where}-{py}-${{{{ steps.keys.outputs.venv_cdktn }}}}",
        },
        "cli/cdktn/node_modules": {
            "path": "cli/cdktn/node_modules",
            "key": f"node-cdktn-{where}-${{{{ steps.keys.outputs.node_cdktn }}}}",
        },
    }
    set_up = names.index(EQUIVALENCE_SET_UP)
    assert names.index(keys["name"]) < min(names.index(c["name"]) for c in caches.values())
    assert max(names.index(c["name"]) for c in caches.values()) < set_up == len(steps) - 2
    assert steps[set_up]["run"].startswith("scripts/setup.sh --with-cdktn-venv --no-checkov\n")
    assert "/cli/cdktn/node_modules/.bin" in steps[set_up]["run"]
    # run as GitHub does: the keys it writes are the digests setup.sh stamps in a full set-up with cdktf
    written = run_keys_step(keys, tmp_path)
    assert written["venv"] == digest("venv", mode="full") != digest("venv", mode="ci-leg")
    assert (written["node"], written["venv_cdktn"], written["node_cdktn"]) == (
        digest("node"),
        digest("venv-cdktn"),
        digest("node-cdktn"),
    )
