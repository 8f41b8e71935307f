"""One job's stack through the real cdktf CLI: synthesize, deploy with an outputs file, render the
outputs into the job (``dativo-infra render``), destroy.

The main job (:class:`dativo_infra.localcloud.run.LocalRun`, many stacks at once) and the Dagster
assets (:mod:`dativo_infra.orchestration.dagster_assets`, one stack per materialization) both call
these functions, so a stack is deployed the same way whoever asks. Each call runs one CLI process
in the project root with :func:`cdktf_env` and appends its output to a log file; a non-zero exit
raises :class:`CommandFailed` with the log's tail.

This module imports no cdktf: the CLI does the synthesizing (``app.py`` with ``DATIVO_JOBS``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dativo_infra import tfcli
from dativo_infra.cdk import CdkLibraryError, library
from dativo_infra.config.provider_versions import TERRAFORM_PROVIDER
from dativo_infra.config.settings import SETTINGS_ENV, PlatformSettings
from dativo_infra.contract import Provider
from dativo_infra.errors import ErrorReport, JobError, show_value
from dativo_infra.tfcli import PROJECT_ROOT, terraform_env


class CommandFailed(RuntimeError):
    pass


def run_command(cmd: list[str], env: Mapping[str, str], cwd: Path, log: Path, timeout: int = 1800) -> str:
    """Run ``cmd``; append the command and its output to ``log``; return the output."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "a") as handle:
        handle.write(f"\n$ {' '.join(cmd)}\n")
        handle.flush()
        proc = subprocess.run(
            cmd,
            cwd=cwd,
            env=dict(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        handle.write(proc.stdout)
    if proc.returncode != 0:
        tail = "\n".join(proc.stdout.strip().splitlines()[-25:])
        raise CommandFailed(f"{' '.join(cmd[:3])} exited {proc.returncode}; see {log}\n{tail}")
    return proc.stdout


def cdktf_env(
    jobs: str | Path, settings_file: Path, target: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment of every CLI call: :func:`~dativo_infra.tfcli.terraform_env`, the jobs the app
    synthesizes (``DATIVO_JOBS``: files, directories or globs), the platform settings file, and
    ``target`` (where the AWS provider points, e.g. :meth:`MotoServer.environ` for the emulator)."""
    env = terraform_env()
    env.update(target or {})
    env.update(
        {
            "DATIVO_JOBS": str(jobs),
            SETTINGS_ENV: str(settings_file),
            # concurrent `terraform init` runs never share a plugin cache
            "CDKTF_DISABLE_PLUGIN_CACHE_ENV": "true",
            "CDKTF_DISABLE_TELEMETRY": "true",
            "CI": env.get("CI", "true"),  # no interactive prompts from the cdktf CLI
            "FORCE_COLOR": "0",
        }
    )
    return env


def cdktf(outdir: Path, *args: str) -> list[str]:
    """A command line of the CDK library's CLI (``cdktf``, or ``cdktn`` for CDK Terrain) writing to (and
    reading from) ``outdir``."""
    return [library().cli, *args, "--output", str(outdir)]


def synth_stacks(outdir: Path, env: Mapping[str, str], log: Path) -> None:
    """``cdktf synth``: every job ``DATIVO_JOBS`` selects, into ``outdir``."""
    run_command(cdktf(outdir, "synth"), env, PROJECT_ROOT, log)


def deploy_stack(
    stack: str, outdir: Path, outputs_file: Path, env: Mapping[str, str], log: Path
) -> dict[str, Any]:
    """``cdktf deploy <stack> --skip-synth --outputs-file``; return the stack's outputs (cdktf leaves
    sensitive outputs out of that file)."""
    outputs_file.parent.mkdir(parents=True, exist_ok=True)
    run_command(
        cdktf(
            outdir,
            "deploy",
            stack,
            "--auto-approve",
            "--skip-synth",
            "--skip-provider-lock",
            "--outputs-file",
            str(outputs_file),
        ),
        env,
        PROJECT_ROOT,
        log,
    )
    outputs: dict[str, Any] = json.loads(outputs_file.read_text()).get(stack, {})
    return outputs


def render_job_file(
    job_file: Path, outputs_file: Path, env: Mapping[str, str], log: Path, out: Path | None = None
) -> Path:
    """``dativo-infra render --job``: fill the job's placeholders from ``outputs_file``, all or
    nothing, into ``out`` (a file path), or in place when ``out`` is None. Returns the written file."""
    where = ["--in-place"] if out is None else ["--out", str(out)]
    run_command(
        [
            sys.executable,
            "-m",
            "dativo_infra.cli",
            "render",
            "--job",
            str(job_file),
            "--outputs",
            str(outputs_file),
            *where,
        ],
        env,
        PROJECT_ROOT,
        log,
        timeout=120,
    )
    return job_file if out is None else out


def destroy_stack(stack: str, outdir: Path, env: Mapping[str, str], log: Path) -> list[str]:
    """``cdktf destroy <stack> --skip-synth``; return what the stack's state still holds (empty when
    everything was destroyed)."""
    run_command(cdktf(outdir, "destroy", stack, "--auto-approve", "--skip-synth"), env, PROJECT_ROOT, log)
    stack_dir = outdir / "stacks" / stack
    return run_command(["terraform", "state", "list"], env, stack_dir, log).split()


def provider_error(
    settings: PlatformSettings,
    mirrors: dict[str, Path] | None = None,
    registry: tuple[bool, str] | None = None,
    bound: tfcli.BoundProvider | None = None,
    *,
    cloud: Provider = Provider.AWS,
) -> JobError | None:
    """Why ``terraform init`` of ``cloud``'s stacks would fail here, as an error at the settings'
    ``<cloud>.provider_version``, or None: the stacks require the pin, else the version the installed
    bindings were generated for (``mirrors``, ``registry``, ``bound``: see
    :func:`~dativo_infra.tfcli.install_problem`, discovered when not given)."""
    pin = settings.provider_version(cloud)
    problem = tfcli.install_problem(TERRAFORM_PROVIDER[cloud], pin, mirrors, registry, bound)
    if problem is None:
        return None
    source, path, label = problem.provider.source, (cloud.value, "provider_version"), cloud.name
    if pin is None:
        why = (
            f"unset, so every {label} stack requires {source} {problem.provider.version} (the version the "
            f"installed {library().name} provider bindings were generated for)"
        )
    else:
        why = f"every {label} stack requires {source} {pin} (this pin)"
    return JobError(
        settings.source_file,
        settings.line_of(path) if pin is not None else 0,
        ".".join(path),
        f"{why}, which terraform init cannot install here: {problem.reason}",
        None if pin is None else show_value(pin),
        problem.fix,
    )


def require_provider(settings: PlatformSettings, cloud: Provider) -> None:
    """Raise :class:`~dativo_infra.errors.ErrorReport` when ``terraform init`` cannot install the
    provider ``cloud``'s stacks require (:func:`provider_error`) or no CDK library is usable: called
    before anything is synthesized or deployed, so deploys do not fail late in ``terraform init``."""
    try:
        error = provider_error(settings, cloud=cloud)
    except CdkLibraryError as exc:  # no bindings to synthesize with
        error = exc
    if error is not None:
        raise ErrorReport([error])
