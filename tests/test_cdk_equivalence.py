"""(slow) CDK Terrain builds the same stacks as CDK for Terraform.

``make setup-test`` sets up ``.venv-cdktn`` (the package with its ``cdktn`` extra, never beside cdktf)
and the pinned ``cdktn`` CLI (``cli/cdktn``). Here the real ``cdktn synth`` runs the app in that
virtualenv over every example job, and each stack must equal the one this session's cdktf synth built
except for the documented lines (:data:`VERSION_LINES`):

* ``//.metadata.version``: the library's version;
* ``terraform.required_providers.<provider>.source``: cdktn 0.24 writes ``hashicorp/aws`` and
  ``hashicorp/google`` where cdktf writes ``aws`` and ``google`` (the same provider address);
* ``terraform.required_providers.<provider>.version``: the version each library's provider bindings
  were generated for (cdktn 0.24: aws 6.x, google 8.x, azurerm 5.x).

The provider majors differ; the attribute-level differences that touch these stacks are handled in
the constructs so both produce the same configuration (README, "cdktf or CDK Terrain"). Then the
same AWS jobs are synthesized with cdktn under a platform pin of the AWS provider to the version of
this machine's provider mirror, and Terraform validates the result with that provider.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from dativo_infra.cdk import LIBRARIES
from dativo_infra.tfcli import PROJECT_ROOT, bound_provider, node_bin_dir, terraform_env

pytestmark = pytest.mark.slow

VENV = PROJECT_ROOT / ".venv-cdktn"
CLI = PROJECT_ROOT / LIBRARIES["cdktn"].cli_package / "node_modules" / ".bin" / "cdktn"
#: The paths in a stack that may differ between the libraries (``*``: each required provider).
VERSION_LINES = (
    ("//", "metadata", "version"),
    ("terraform", "required_providers", "*", "source"),
    ("terraform", "required_providers", "*", "version"),
)


def cdktn_env(**extra: str) -> dict[str, str]:
    """The environment of a cdktn run: Node 22 first, the cdktn virtualenv's Python, its CLI."""
    env = terraform_env()
    node = node_bin_dir()
    parts = [str(VENV / "bin"), str(CLI.parent), *([str(node)] if node else []), env["PATH"]]
    env.update(
        PATH=os.pathsep.join(parts),
        DATIVO_CDK="cdktn",
        CDKTF_DISABLE_TELEMETRY="true",
        CI="true",
        FORCE_COLOR="0",
        VIRTUAL_ENV=str(VENV),
        **extra,
    )
    env.pop("PYTHONPATH", None)
    return env


@pytest.fixture(scope="module")
def cdktn_ready() -> None:
    missing = [str(p.relative_to(PROJECT_ROOT)) for p in (VENV / "bin" / "python", CLI) if not p.exists()]
    assert not missing, f"{', '.join(missing)} missing: run `make setup-test` (it sets up the cdktn side too)"


def cdktn_run(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``python ARGS`` in .venv-cdktn from the project root (it must succeed)."""
    result = subprocess.run(
        [str(VENV / "bin" / "python"), *args],
        cwd=PROJECT_ROOT,
        env=env or cdktn_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def cdktn_python(code: str) -> str:
    return cdktn_run("-c", code).stdout


def without_version_lines(stack: dict[str, Any], *more: tuple[str, ...]) -> dict[str, Any]:
    stack = copy.deepcopy(stack)
    for path in (*VERSION_LINES, *more):
        parents = [stack]
        for key in path[:-1]:
            parents = [child for p in parents for child in (p.values() if key == "*" else [p[key]])]
        for parent in parents:
            del parent[path[-1]]
    return stack


def version_lines(stack: dict[str, Any]) -> dict[str, Any]:
    required = stack["terraform"]["required_providers"]
    return {"metadata": stack["//"]["metadata"]["version"], **{p: dict(v) for p, v in required.items()}}


@pytest.fixture(scope="module")
def cdktn_synth(cdktn_ready: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``cdktn synth`` of every example job (the real CLI running the app in .venv-cdktn)."""
    outdir = tmp_path_factory.mktemp("cdktn") / "cdktf.out"
    app = f"{VENV / 'bin' / 'python'} -O app.py"
    result = subprocess.run(
        [str(CLI), "synth", "--app", app, "--output", str(outdir)],
        cwd=PROJECT_ROOT,
        env=cdktn_env(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return outdir


def test_every_example_stack_equals_cdktfs_but_for_the_version_lines(
    cdktn_synth: Path, example_synth: dict[str, Any]
) -> None:
    cdktf_stacks = {name: doc for name, doc in example_synth.items() if not name.startswith("__")}
    manifest = json.loads((cdktn_synth / "manifest.json").read_text())
    assert sorted(manifest["stacks"]) == sorted(cdktf_stacks)
    bound = json.loads(
        cdktn_python(
            "import json, importlib.metadata as m; from dativo_infra.tfcli import bound_providers; "
            "print(json.dumps({'cdktn': m.version('cdktn'), **{p.name: p.version for p in bound_providers()}}))"
        )
    )
    assert set(bound) == {"cdktn", "aws", "google", "azurerm"}
    for name, cdktf_doc in sorted(cdktf_stacks.items()):
        cdktn_doc = json.loads((cdktn_synth / "stacks" / name / "cdk.tf.json").read_text())
        assert without_version_lines(cdktn_doc) == without_version_lines(cdktf_doc), name
        (provider,) = cdktn_doc["terraform"]["required_providers"]
        lines = version_lines(cdktn_doc)
        assert lines["metadata"] == bound["cdktn"], name
        assert lines[provider]["version"] == bound[provider], name
        # both spellings are the address registry.terraform.io/hashicorp/<provider>
        assert lines[provider]["source"] in (provider, f"hashicorp/{provider}"), name
        assert bound_provider(provider) is not None
        assert version_lines(cdktf_doc)[provider]["version"] == bound_provider(provider).version  # type: ignore[union-attr]


def test_pinned_to_the_mirrors_aws_version_terraform_validates_cdktns_aws_stacks(
    cdktn_ready: None, example_synth: dict[str, Any], tmp_path: Path
) -> None:
    """The platform pin lets the cdktn output use the AWS provider this machine's mirror holds: the
    stacks are then cdktf's, and ``terraform validate`` accepts them with that provider."""
    aws = bound_provider("aws")  # cdktf's bindings: the version the mirror holds (tests/test_tfcli.py)
    assert aws is not None
    settings = tmp_path / "platform.yaml"
    settings.write_text(
        (PROJECT_ROOT / "jobs" / "platform.yaml").read_text() + f"aws:\n  provider_version: {aws.version}\n"
    )
    aws_jobs = sorted(p for p in (PROJECT_ROOT / "jobs").rglob("*.yaml") if "aws_fargate" in p.read_text())
    env = cdktn_env(
        DATIVO_PLATFORM_SETTINGS=str(settings),
        DATIVO_JOBS=",".join(str(p) for p in aws_jobs),
        CDKTF_OUTDIR=str(tmp_path / "out"),
    )
    validated = cdktn_run("-m", "dativo_infra.cli", "validate", *map(str, aws_jobs), env=env)
    assert "aws.provider_version: another major version than the installed bindings'" in validated.stderr
    cdktn_run("-O", "app.py", env=env, timeout=600)
    stacks = sorted((tmp_path / "out" / "stacks").iterdir())
    assert len(stacks) >= 4
    for stack_dir in stacks:
        doc = json.loads((stack_dir / "cdk.tf.json").read_text())
        assert doc["terraform"]["required_providers"]["aws"]["version"] == aws.version
        assert doc["//"]["metadata"]["overrides"] == {
            "stack": ["terraform"]
        }  # cdktf notes the pin's override
        pin_note = ("//", "metadata", "overrides")
        cdktf_doc = example_synth[stack_dir.name]
        assert without_version_lines(doc, pin_note) == without_version_lines(cdktf_doc), stack_dir.name
    from tests.stacks.test_terraform_validate import terraform_validate

    terraform_validate(stacks[0], terraform_env())


def test_validate_and_tags_under_cdktn_import_no_synth_module_and_the_cli_is_cdktns(
    cdktn_ready: None,
) -> None:
    out = cdktn_python(
        "import sys; from pathlib import Path\n"
        "from typer.testing import CliRunner\n"
        "from dativo_infra.cli import app\n"
        "for args in (['validate', 'jobs'], ['tags', 'jobs/acme/orders_cdc_stream.yaml']):\n"
        "    r = CliRunner().invoke(app, args); assert r.exit_code == 0, r.output\n"
        "from dativo_infra.cdk import SYNTH_ONLY_MODULES, library\n"
        "from dativo_infra.deploy import cdktf\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in SYNTH_ONLY_MODULES))\n"
        "print(library().name, cdktf(Path('o'), 'synth')[0])\n"
    )
    heavy, chosen = out.strip().splitlines()[-2:]
    assert heavy == "[]"
    assert chosen == "cdktn cdktn"
